package pmap

import (
	"errors"
	"io"
	"os"

	"golang.org/x/sys/unix"
)

// sendFile writes the first n bytes of the regular file src to dst in the
// kernel. Go's File.ReadFrom does that with copy_file_range, which takes only
// a regular file as dst; for a pipe, a terminal or a socket (parmap's stdout
// as often as not) it falls back to reading and writing, so those get
// sendfile(2) here, which takes any dst. Reading and writing is the last
// resort.
func sendFile(dst, src *os.File, n int64) (int64, error) {
	if st, err := dst.Stat(); err != nil || st.Mode().IsRegular() {
		if _, err := src.Seek(0, io.SeekStart); err != nil {
			return 0, err
		}
		return dst.ReadFrom(&io.LimitedReader{R: src, N: n})
	}
	rc, err := dst.SyscallConn()
	if err != nil {
		return 0, err
	}
	var off, done int64
	var serr error
	err = rc.Write(func(fd uintptr) bool {
		for done < n {
			m, err := unix.Sendfile(int(fd), int(src.Fd()), &off, int(min(n-done, 1<<30)))
			if m > 0 {
				done += int64(m)
			}
			switch {
			case err == unix.EAGAIN:
				return false // wait until dst takes more
			case err == unix.EINTR:
			case err != nil:
				serr = err
				return true
			case m == 0:
				serr = io.ErrUnexpectedEOF // src is shorter than n
				return true
			}
		}
		return true
	})
	if err == nil {
		err = serr
	}
	if done == 0 && (errors.Is(err, unix.EINVAL) || errors.Is(err, unix.ENOSYS)) {
		// The kernel cannot send from src: read and write.
		return io.Copy(onlyWriter{dst}, io.NewSectionReader(src, 0, n))
	}
	if err != nil {
		err = &os.PathError{Op: "write", Path: dst.Name(), Err: err}
	}
	return done, err
}
