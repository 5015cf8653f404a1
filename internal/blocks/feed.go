package blocks

import (
	"errors"
	"io"
	"os"
)

// FeedRange copies bytes [start, end) of src, a regular file, to dst,
// typically the pipe to a job's stdin. On Linux it moves them with splice(2)
// from the file's page cache into the pipe, so they never pass through user
// space; only if the kernel cannot (EINVAL, ENOSYS: dst is not a pipe, or the
// file system has no splice) does it fall back to pread and write. It reads at
// explicit offsets, never the file's own, so any number of FeedRange calls may
// run at once on one src. Waiting for room in a non-blocking pipe holds no OS
// thread. If the reader goes away it returns an error matching syscall.EPIPE;
// if src is shorter than end, one matching io.ErrUnexpectedEOF.
func FeedRange(dst, src *os.File, start, end int64) error {
	if start >= end {
		return nil
	}
	off, err := spliceRange(dst, src, start, end)
	if err == errNoKernelCopy {
		return copyFallback(dst, src, off, end)
	}
	return err
}

// copyFallback is the copy through user space FeedRange falls back to; a
// test replaces it to prove the kernel moved the bytes.
var copyFallback = copyRange

// errNoKernelCopy says the kernel cannot move the bytes between these files.
var errNoKernelCopy = errors.New("no kernel copy between these files")

// copyRange copies bytes [off, end) of src to dst through a buffer, with
// pread and write.
func copyRange(dst io.Writer, src io.ReaderAt, off, end int64) error {
	buf := make([]byte, min(end-off, 256<<10))
	for off < end {
		n, err := src.ReadAt(buf[:min(end-off, int64(len(buf)))], off)
		if n > 0 {
			if _, err := dst.Write(buf[:n]); err != nil {
				return err
			}
			off += int64(n)
		}
		if err == io.EOF && off < end {
			return io.ErrUnexpectedEOF
		}
		if err != nil && err != io.EOF {
			return err
		}
	}
	return nil
}
