package testscripts

import (
	"os"
	"path/filepath"
	"strings"
)

// memcgWritable reports whether a child cgroup can be made in this
// process's cgroup v1 memory controller (root, with the v1 hierarchy
// mounted at /sys/fs/cgroup/memory): what the [memcg] condition asks.
func memcgWritable() bool {
	b, err := os.ReadFile("/proc/self/cgroup")
	if err != nil || os.Geteuid() != 0 {
		return false
	}
	for _, line := range strings.Split(string(b), "\n") {
		parts := strings.SplitN(line, ":", 3)
		if len(parts) != 3 || !strings.Contains(","+parts[1]+",", ",memory,") {
			continue
		}
		dir := filepath.Join("/sys/fs/cgroup/memory", parts[2])
		probe, err := os.MkdirTemp(dir, "parmap-probe-")
		if err != nil {
			return false
		}
		os.Remove(probe)
		return true
	}
	return false
}
