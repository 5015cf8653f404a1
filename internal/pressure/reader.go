// Package pressure reads how loaded the machine is and how much memory is
// available to parmap's jobs, and from that decides whether a job may start
// (--load, --memfree) and whether a running one must give its memory back.
//
// A Reader takes its readings from the kernel's files: the CPU pressure
// stall information (/proc/pressure/cpu), the load average (/proc/loadavg),
// the memory available (/proc/meminfo's MemAvailable) and, inside a
// memory-limited control group (its path in /proc/self/cgroup), the group's
// headroom: its limit less what it uses (cgroup v2 memory.max and
// memory.current, v1 memory.limit_in_bytes and memory.usage_in_bytes, each
// less the inactive file cache of memory.stat, which the kernel reclaims
// before it kills).
//
// A Gate (NewGate) asks those readings before each start: a reading that
// cannot be had holds nothing back; the jobs running grow by one at a time,
// Settle apart, so that a job just started shows in the readings before
// another joins it, while a job that ends is replaced at once.
//
// For tests only: the environment variable PARMAP_TEST_PROCFS=DIR makes
// NewGate read every one of those files under DIR instead of / (DIR/proc/loadavg,
// DIR/proc/pressure/cpu, DIR/proc/meminfo, DIR/proc/self/cgroup,
// DIR/sys/fs/cgroup/…), and the Gate then appends a line to DIR/gate.log
// each time it turns a job away ("wait load", "wait memory") or asks for a
// job to be stopped ("shed"), so that a test can tell that parmap waits. It
// is no user option and appears in no help.
package pressure

import (
	"bufio"
	"bytes"
	"errors"
	"os"
	"path"
	"path/filepath"
	"strconv"
	"strings"
)

// TestRootVar names the environment variable that points a Gate's Reader at
// fake files (tests only).
const TestRootVar = "PARMAP_TEST_PROCFS"

// ErrUnreadable is a reading the kernel's files do not give.
var ErrUnreadable = errors.New("not readable")

// Reader reads the machine's load and memory from the files under Root
// ("" for /).
type Reader struct{ Root string }

func (r Reader) read(name string) ([]byte, error) {
	return os.ReadFile(filepath.Join(r.root(), name))
}

func (r Reader) root() string {
	if r.Root == "" {
		return "/"
	}
	return r.Root
}

// CPUPressure returns the share of the last 10 seconds, in percent, in which
// some runnable task waited for a CPU (/proc/pressure/cpu, "some avg10");
// ok is false where the kernel has no pressure stall information.
func (r Reader) CPUPressure() (avg10 float64, ok bool) {
	b, err := r.read("proc/pressure/cpu")
	if err != nil {
		return 0, false
	}
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Fields(line)
		if len(f) < 2 || f[0] != "some" {
			continue
		}
		for _, kv := range f[1:] {
			if v, found := strings.CutPrefix(kv, "avg10="); found {
				x, err := strconv.ParseFloat(v, 64)
				return x, err == nil
			}
		}
	}
	return 0, false
}

// LoadAvg returns the load average of the last minute (/proc/loadavg).
func (r Reader) LoadAvg() (float64, error) {
	b, err := r.read("proc/loadavg")
	if err != nil {
		return 0, err
	}
	f := strings.Fields(string(b))
	if len(f) == 0 {
		return 0, ErrUnreadable
	}
	return strconv.ParseFloat(f[0], 64)
}

// MemAvailable returns the bytes of memory available to new jobs: the
// machine's MemAvailable, or the headroom of parmap's control group (or of
// one above it) where that is smaller.
func (r Reader) MemAvailable() (int64, error) {
	b, err := r.read("proc/meminfo")
	if err != nil {
		return 0, err
	}
	avail, ok := field(b, "MemAvailable:")
	if !ok {
		return 0, ErrUnreadable
	}
	avail *= 1024
	if h, ok := r.cgroupHeadroom(); ok && h < avail {
		avail = h
	}
	return avail, nil
}

// unlimited is at and above what cgroup v1 reports for no limit.
const unlimited = 1 << 62

// cgroupHeadroom is the least headroom of parmap's memory control group and
// of the groups above it that have a limit; ok is false when none has one.
func (r Reader) cgroupHeadroom() (least int64, ok bool) {
	b, err := r.read("proc/self/cgroup")
	if err != nil {
		return 0, false
	}
	for _, line := range strings.Split(string(b), "\n") {
		parts := strings.SplitN(line, ":", 3)
		if len(parts) != 3 {
			continue
		}
		var dirs []string
		var limitF, usageF, inactiveF string
		switch {
		case parts[0] == "0" && parts[1] == "":
			dirs = []string{"sys/fs/cgroup", "sys/fs/cgroup/unified"}
			limitF, usageF, inactiveF = "memory.max", "memory.current", "inactive_file"
		case hasController(parts[1], "memory"):
			dirs = []string{"sys/fs/cgroup/memory"}
			limitF, usageF, inactiveF = "memory.limit_in_bytes", "memory.usage_in_bytes", "total_inactive_file"
		default:
			continue
		}
		for _, base := range dirs {
			for p := path.Clean("/" + parts[2]); ; p = path.Dir(p) {
				dir := path.Join(base, p)
				if h, has := r.headroom(dir, limitF, usageF, inactiveF); has && (!ok || h < least) {
					least, ok = h, true
				}
				if p == "/" {
					break
				}
			}
		}
	}
	return least, ok
}

// headroom is one group's limit less its usage (less its inactive file
// cache); has is false without a limit.
func (r Reader) headroom(dir, limitF, usageF, inactiveF string) (h int64, has bool) {
	lb, err := r.read(path.Join(dir, limitF))
	if err != nil {
		return 0, false
	}
	limit, err := strconv.ParseInt(strings.TrimSpace(string(lb)), 10, 64)
	if err != nil || limit >= unlimited { // "max", or v1's no limit
		return 0, false
	}
	ub, err := r.read(path.Join(dir, usageF))
	if err != nil {
		return 0, false
	}
	usage, err := strconv.ParseInt(strings.TrimSpace(string(ub)), 10, 64)
	if err != nil {
		return 0, false
	}
	if sb, err := r.read(path.Join(dir, "memory.stat")); err == nil {
		if inactive, ok := field(sb, inactiveF); ok && inactive <= usage {
			usage -= inactive
		}
	}
	if usage > limit {
		return 0, true
	}
	return limit - usage, true
}

func hasController(list, name string) bool {
	for _, c := range strings.Split(list, ",") {
		if c == name {
			return true
		}
	}
	return false
}

// field finds "name value" among b's lines and returns value (a number).
func field(b []byte, name string) (int64, bool) {
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) >= 2 && f[0] == name {
			v, err := strconv.ParseInt(f[1], 10, 64)
			return v, err == nil
		}
	}
	return 0, false
}
