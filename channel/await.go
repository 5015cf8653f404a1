package channel

import (
	"os"
	"sync/atomic"

	"golang.org/x/sys/unix"
)

// blockingWaits is how many children may be waited for in a blocking call
// at once (a thread each) before awaitExit waits through the poller: few
// threads are cheap, and the pidfd costs a little per job (about 2 % of
// `seq 2000 | parmap true`), so it is kept for many jobs at once.
const blockingWaits = 8

// waiting counts the children being waited for now.
var waiting atomic.Int32

// awaitExit returns once the child has exited, without reaping it (Wait
// reaps it then, at once). It waits through Go's poller on a pidfd, not in
// a blocking wait call: a blocked call holds an OS thread, so a thread per
// running job, and threads count against the same process limit as the
// jobs (ulimit -u), where the runtime cannot do without one it needs.
// Without a pidfd (out of descriptors, an old kernel) it returns at once
// and Wait blocks as before; so it does while fewer than blockingWaits
// children are waited for. done must be called once Wait has reaped.
func (c *Child) awaitExit() (done func()) {
	done = func() { waiting.Add(-1) }
	if waiting.Add(1) <= blockingWaits {
		return done
	}
	fd, err := unix.PidfdOpen(c.proc.Pid, unix.PIDFD_NONBLOCK)
	if err != nil {
		return done
	}
	f := os.NewFile(uintptr(fd), "pidfd")
	defer f.Close()
	rc, err := f.SyscallConn()
	if err != nil {
		return done
	}
	rc.Read(func(fd uintptr) bool {
		var info unix.Siginfo
		err := unix.Waitid(unix.P_PIDFD, int(fd), &info, unix.WEXITED|unix.WNOHANG|unix.WNOWAIT, nil)
		// Done once the child has exited (Linux sets Signo to SIGCHLD
		// then, and leaves it 0 while the child runs), or when the pidfd
		// cannot tell.
		return err != nil || info.Signo != 0
	})
	return done
}
