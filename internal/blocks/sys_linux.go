package blocks

import (
	"io"
	"os"

	"golang.org/x/sys/unix"
)

// GrowPipe asks the kernel for a buffer of n bytes for the pipe f, instead of
// the default 64 KiB, and returns the size it got. Feeding a job through a
// 1 MiB pipe takes about half the time (BenchmarkFeedRange,
// BenchmarkWriteBlock). Above /proc/sys/fs/pipe-max-size, or past the user's
// share of pipe memory, it fails with EPERM and the pipe stays as it was,
// which does no harm.
func GrowPipe(f *os.File, n int) (int, error) {
	rc, err := f.SyscallConn()
	if err != nil {
		return 0, err
	}
	var size int
	var serr error
	if err := rc.Control(func(fd uintptr) {
		size, serr = unix.FcntlInt(fd, unix.F_SETPIPE_SZ, n)
	}); err != nil {
		return 0, err
	}
	if serr != nil {
		return 0, os.NewSyscallError("fcntl F_SETPIPE_SZ", serr)
	}
	return size, nil
}

// spliceRange moves bytes [off, end) of src to dst with splice(2). It returns
// where it got to, and errNoKernelCopy if splice cannot serve these files.
func spliceRange(dst, src *os.File, off, end int64) (int64, error) {
	return feed(dst, src, off, end, splice)
}

// mover moves up to n bytes of the file sfd from *off, advancing it, to dfd,
// as splice(2) and sendfile(2) do.
type mover func(dfd, sfd int, off *int64, n int, nonblock bool) (int, error)

// splice is the mover FeedRange uses. sendfile(2) to a pipe runs the same
// code in the kernel and measures the same (BenchmarkFeedRange); splice says
// what it does.
func splice(dfd, sfd int, off *int64, n int, nonblock bool) (int, error) {
	flags := 0
	if nonblock {
		flags = unix.SPLICE_F_NONBLOCK
	}
	m, err := unix.Splice(sfd, off, dfd, nil, n, flags)
	return int(m), err
}

// feed moves bytes [off, end) of src to dst with move, waiting in the runtime
// poller while dst is a full non-blocking pipe. It returns where it got to,
// and errNoKernelCopy if move cannot serve these files.
func feed(dst, src *os.File, off, end int64, move mover) (int64, error) {
	in, err := src.SyscallConn()
	if err != nil {
		return off, err
	}
	out, err := dst.SyscallConn()
	if err != nil {
		return off, err
	}
	var ferr error
	err = in.Control(func(sfd uintptr) {
		nonblock := -1
		err := out.Write(func(dfd uintptr) bool {
			if nonblock < 0 {
				// Splice waits for room in a pipe unless told not to: tell it
				// only for a pipe the poller can wait on for us.
				fl, e := unix.FcntlInt(dfd, unix.F_GETFL, 0)
				nonblock = 0
				if e == nil && fl&unix.O_NONBLOCK != 0 {
					nonblock = 1
				}
			}
			for off < end {
				n, e := move(int(dfd), int(sfd), &off, int(min(end-off, 1<<30)), nonblock == 1)
				switch {
				case e == unix.EINTR:
				case e == unix.EAGAIN:
					return false
				case e == unix.EINVAL || e == unix.ENOSYS:
					ferr = errNoKernelCopy
					return true
				case e != nil:
					ferr = os.NewSyscallError("splice", e)
					return true
				case n == 0:
					ferr = io.ErrUnexpectedEOF
					return true
				}
			}
			return true
		})
		if ferr == nil {
			ferr = err
		}
	})
	if err != nil {
		return off, err
	}
	return off, ferr
}
