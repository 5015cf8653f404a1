package cgroup

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"
)

// Under RLIMIT_AS a job is not started directly: parmap starts itself as a
// shim (Shim) that sets the limit on its own process and then execs the
// job's program in its place (RunShim, first thing in parmap's main). So
// the limit holds from the program's first instruction: setting it on the
// started job from outside (prlimit) left a window in which a fast
// program's allocations, on a loaded machine whole seconds of them, were
// not limited. It costs one exec of parmap per job, only where no cgroup
// can be used.
const (
	shimExec  = "PARMAP_RLIMIT_EXEC"  // the program the shim execs
	shimArg0  = "PARMAP_RLIMIT_ARGV0" // its argv[0]
	shimLimit = "PARMAP_RLIMIT_AS"    // the limit, in bytes
)

// ShimName is the shim's argv[0]: a name no personality of parmap's
// answers to (and a command the test binaries register).
const ShimName = "parmap-rlimit-shim"

// Shim returns how to start the program at path with argv and env (nil:
// parmap's) under the tree's RLIMIT_AS: this executable named ShimName,
// the program, its argv[0] and the limit in its environment. It returns
// them unchanged when the tree is not RLIMIT_AS or has no memory limit.
func (t *Tree) Shim(path string, argv, env []string) (string, []string, []string, error) {
	if t.kind != Rlimit || t.limits.Memory <= 0 {
		return path, argv, env, nil
	}
	if env == nil {
		env = os.Environ()
	}
	env = append(env[:len(env):len(env)], shimExec+"="+path, shimArg0+"="+argv[0],
		shimLimit+"="+strconv.FormatInt(t.limits.Memory, 10))
	argv = append([]string{ShimName}, argv[1:]...)
	// /proc/self/exe: this very binary, whatever the path to it (a user
	// may run parmap through directories it cannot search again).
	return "/proc/self/exe", argv, env, nil
}

// RunShim does nothing unless this process was started by Shim; then it
// sets RLIMIT_AS, removes its marks from the environment and execs the
// job's program with this process's arguments. It returns only when that
// fails, with the exit status to end with (126, or 127 for a program that
// is not there, as a shell would) after saying why on stderr.
func RunShim() (exit int, shim bool) {
	path, ok := os.LookupEnv(shimExec)
	if !ok {
		return 0, false
	}
	limit, err := strconv.ParseUint(os.Getenv(shimLimit), 10, 64)
	if err == nil {
		err = unix.Setrlimit(unix.RLIMIT_AS, &unix.Rlimit{Cur: limit, Max: limit})
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "parmap: --mem-limit: cannot set RLIMIT_AS on the job: %v\n", err)
		return 126, true
	}
	argv := append([]string{os.Getenv(shimArg0)}, os.Args[1:]...)
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, shimExec+"=") && !strings.HasPrefix(kv, shimArg0+"=") && !strings.HasPrefix(kv, shimLimit+"=") {
			env = append(env, kv)
		}
	}
	err = syscall.Exec(path, argv, env)
	fmt.Fprintf(os.Stderr, "parmap: %s: %v\n", path, err)
	if err == syscall.ENOENT {
		return 127, true
	}
	return 126, true
}
