package cmd

import (
	"os"
	"strconv"
	"strings"
)

// pidMaxLimit is the largest pid_max Linux allows on 64-bit systems
// (PID_MAX_LIMIT), the bound when /proc cannot be read.
const pidMaxLimit = 4 << 20

// maxJobs is the most jobs the system can run at once: each job is a
// process at least, and the kernel has at most pid_max processes and
// threads-max threads (/proc/sys/kernel). A larger -j could only cost
// memory and time, never run more. The user's own process limit (ulimit -u)
// is not a bound here: the user's other processes, and parmap's own
// threads, count against it too, so the run finds its height when it gets
// there, and says so (exchange.Options.Lowered).
func maxJobs() (int, string) {
	most, from := pidMaxLimit, "the kernel's PID_MAX_LIMIT"
	for _, name := range []string{"pid_max", "threads-max"} {
		path := "/proc/sys/kernel/" + name
		b, err := os.ReadFile(path)
		if err != nil {
			continue
		}
		if n, err := strconv.Atoi(strings.TrimSpace(string(b))); err == nil && n > 0 && n < most {
			most, from = n, path
		}
	}
	return most, from
}
