package channel

import (
	"os"

	"golang.org/x/sys/unix"
)

// awaitExit returns once the child has exited, without reaping it (Wait
// reaps it then, at once). It waits through Go's poller on a pidfd, not in
// a blocking wait call: a blocked call holds an OS thread, so a thread per
// running job, and threads count against the same process limit as the
// jobs (ulimit -u), where the runtime cannot do without one it needs.
// Without a pidfd (out of descriptors, an old kernel) it returns at once
// and Wait blocks as before.
func (c *Child) awaitExit() {
	fd, err := unix.PidfdOpen(c.proc.Pid, unix.PIDFD_NONBLOCK)
	if err != nil {
		return
	}
	f := os.NewFile(uintptr(fd), "pidfd")
	defer f.Close()
	rc, err := f.SyscallConn()
	if err != nil {
		return
	}
	rc.Read(func(fd uintptr) bool {
		var info unix.Siginfo
		err := unix.Waitid(unix.P_PIDFD, int(fd), &info, unix.WEXITED|unix.WNOHANG|unix.WNOWAIT, nil)
		// Done once the child has exited (Linux sets Signo to SIGCHLD
		// then, and leaves it 0 while the child runs), or when the pidfd
		// cannot tell.
		return err != nil || info.Signo != 0
	})
}
