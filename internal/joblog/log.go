package joblog

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"syscall"
)

// Log is a job log open for appending. Its methods are safe for concurrent use.
type Log struct {
	name string

	mu   sync.Mutex
	f    *os.File
	sink func([]byte) error // NewStream: where lines go instead of f
	err  error              // sticky: set once a line was torn, so no later line joins it
}

// Open opens the job log at path for appending, creating it if needed.
//
// With resume false the file is truncated and Header written. With resume true
// an existing file must be a job log: if its first line is not Header, Open
// returns an error naming the file and wrapping ErrNotJobLog, and the file is
// left untouched. A missing or empty file gets the header. An existing job log
// whose last line is torn (no trailing newline, left by a crash mid-write or a
// full disk) is truncated after its last whole line, so no new line is glued to
// the fragment and the fragment is never trusted.
//
// The directory must exist: a missing one is a one-line error naming it, which
// wraps fs.ErrNotExist.
//
// Open takes the log's lock first (see lock.go), waiting as long as another
// run holds it.
func Open(path string, resume bool) (*Log, error) {
	return OpenWaiting(context.Background(), path, resume, nil)
}

// OpenWaiting is Open, calling waiting (when not nil) once before it waits
// for another run to let go of the log, and giving up when ctx is done.
func OpenWaiting(ctx context.Context, path string, resume bool, waiting func()) (*Log, error) {
	// Not O_TRUNC: the file is emptied only once the lock is held.
	flag := os.O_WRONLY | os.O_CREATE | os.O_APPEND
	if resume {
		flag = os.O_RDWR | os.O_CREATE | os.O_APPEND
	}
	f, err := os.OpenFile(path, flag, 0o666)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			dir := filepath.Dir(path)
			if _, serr := os.Stat(dir); errors.Is(serr, fs.ErrNotExist) {
				return nil, &dirError{path: path, dir: dir, err: err}
			}
		}
		return nil, err
	}
	if err := lock(ctx, f, waiting); err != nil {
		f.Close()
		return nil, err
	}
	if !resume {
		if err := f.Truncate(0); err != nil {
			f.Close()
			return nil, err
		}
	}
	l := &Log{name: path, f: f}
	if resume {
		err = l.prepare()
	} else {
		err = l.write([]byte(Header + "\n"))
	}
	if err != nil {
		f.Close()
		return nil, err
	}
	return l, nil
}

// prepare checks an existing log opened for resume, writes the header into an
// empty one, and cuts a torn last line.
func (l *Log) prepare() error {
	fi, err := l.f.Stat()
	if err != nil {
		return err
	}
	size := fi.Size()
	if size == 0 {
		return l.write([]byte(Header + "\n"))
	}
	head := make([]byte, len(Header)+1)
	if n, err := l.f.ReadAt(head, 0); n < len(head) || string(head) != Header+"\n" {
		if err != nil && err != io.EOF {
			return fmt.Errorf("read %s: %w", l.name, err)
		}
		return notJobLog(l.name)
	}
	end, err := lastNewline(l.f, size)
	if err != nil {
		return fmt.Errorf("read %s: %w", l.name, err)
	}
	if end+1 < size {
		if err := l.f.Truncate(end + 1); err != nil {
			return err
		}
	}
	return nil
}

// lastNewline returns the offset of the last '\n' in the first size bytes of f.
// The header guarantees there is one.
func lastNewline(f *os.File, size int64) (int64, error) {
	buf := make([]byte, 64<<10)
	for end := size; end > 0; {
		start := max(end-int64(len(buf)), 0)
		chunk := buf[:end-start]
		if _, err := f.ReadAt(chunk, start); err != nil {
			return 0, err
		}
		if i := bytes.LastIndexByte(chunk, '\n'); i >= 0 {
			return start + int64(i), nil
		}
		end = start
	}
	return 0, io.ErrUnexpectedEOF
}

// Write appends e's line (see Format) with one write(2) on the O_APPEND
// descriptor, so lines from concurrent writers, in this process or another,
// never interleave and a crash never tears one.
//
// A line that does not fit (a full disk, a file size limit) leaves nothing
// behind: the rest of a short write is tried to learn why it fell short,
// and whatever part of the line was written is cut off the file again, so
// that no later line is glued to a fragment and --resume never trusts one.
// The error is then a *fs.PathError naming the file and the errno, and the
// Log stays usable: a later line is written whole if there is room for it.
// Only when a fragment cannot be cut off does every later Write fail with
// that error. The line is not synced to disk: it survives the process, not
// the machine.
func (l *Log) Write(e Entry) error {
	line := []byte(Format(e))
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.err != nil {
		return l.err
	}
	return l.write(line)
}

// write appends b whole or not at all; l.mu is held or l not yet shared.
func (l *Log) write(b []byte) error {
	if l.sink != nil {
		if err := l.sink(b); err != nil {
			return &fs.PathError{Op: "write", Path: l.name, Err: unwrapPath(err)}
		}
		return nil
	}
	written := 0
	for written < len(b) {
		n, err := l.write1(b[written:])
		written += n
		if err == nil && n == 0 {
			err = io.ErrShortWrite
		}
		if err != nil {
			if written > 0 {
				if cerr := l.cut(written); cerr != nil {
					return cerr
				}
			}
			return &fs.PathError{Op: "write", Path: l.name, Err: err}
		}
	}
	return nil
}

// cut removes the last n bytes of the file, the part of a line that did not
// fit. If it cannot, the Log fails from then on.
func (l *Log) cut(n int) error {
	fi, err := l.f.Stat()
	if err == nil {
		err = l.f.Truncate(fi.Size() - int64(n))
	}
	if err != nil {
		l.err = fmt.Errorf("write %s: the part of a line that did not fit cannot be cut off: %w", l.name, unwrapPath(err))
	}
	return l.err
}

// write1 makes one write(2) of b and returns the bytes written and the
// errno. (os.File.Write would loop on a short write, making two.)
func (l *Log) write1(b []byte) (int, error) {
	rc, err := l.f.SyscallConn()
	if err != nil {
		return 0, err
	}
	var n int
	var werr error
	err = rc.Write(func(fd uintptr) bool {
		for {
			n, werr = syscall.Write(int(fd), b)
			if werr != syscall.EINTR { // EINTR: nothing was written
				return true
			}
		}
	})
	if err != nil {
		return 0, err
	}
	return max(n, 0), werr
}

// unwrapPath drops the operation and path of a *fs.PathError, which the
// caller's message names already.
func unwrapPath(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// Close unlocks and closes the log. Write after Close fails.
func (l *Log) Close() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.f == nil { // a stream
		l.err = fs.ErrClosed
		return nil
	}
	unlock(l.f)
	return l.f.Close()
}

// dirError reports a job log whose directory does not exist.
type dirError struct {
	path, dir string
	err       error
}

func (e *dirError) Error() string {
	return fmt.Sprintf("%s: directory %s does not exist", e.path, e.dir)
}

func (e *dirError) Unwrap() error { return e.err }

// Stdout is the --joblog name that means standard output (GNU parallel).
const Stdout = "-"

// NewStream returns a Log that hands each line, whole, to write instead of
// appending it to a file: a job log on standard output, between the jobs'
// outputs. It writes Header first. It takes no lock (there is no file to
// lock: Lock returns nil), cannot be resumed from, and a line write refused
// is simply lost. name is what its errors call it.
func NewStream(name string, write func([]byte) error) (*Log, error) {
	l := &Log{name: name, sink: write}
	return l, l.write([]byte(Header + "\n"))
}
