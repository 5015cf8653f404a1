package joblog

import (
	"context"
	"errors"
	"io/fs"
	"os"

	"golang.org/x/sys/unix"
)

// Two runs never use one job log at once: Open takes an exclusive flock(2)
// on the log's open file description and holds it until Close. A run whose
// jobs are guarded (internal/guard) passes that description to its guard as
// well (Lock), so when parmap is killed the lock goes only once the guard
// has killed every process of the run: a --resume started at once waits for
// that, and never runs a job beside a survivor of the killed run. A second
// run started while the first is alive waits for it too, and is told so
// (Open's waiting). A file system that cannot lock (flock fails otherwise
// than with EWOULDBLOCK) leaves the log unlocked.

// lock takes the exclusive lock on f. When another open file description
// holds it, lock calls waiting (if not nil) and waits until it is free or
// ctx is done.
func lock(ctx context.Context, f *os.File, waiting func()) error {
	fd := int(f.Fd())
	err := flock(fd, unix.LOCK_EX|unix.LOCK_NB)
	if !errors.Is(err, unix.EWOULDBLOCK) {
		return nil // locked, or the file system cannot lock
	}
	if waiting != nil {
		waiting()
	}
	// The wait is in a goroutine of its own, on a descriptor of its own: it
	// may outlive this call (ctx done, the caller closes f), and then takes
	// the lock only for the moment before it closes that descriptor.
	dup, err := unix.FcntlInt(uintptr(fd), unix.F_DUPFD_CLOEXEC, 0)
	if err != nil {
		return &fs.PathError{Op: "lock", Path: f.Name(), Err: err}
	}
	done := make(chan error, 1)
	go func() {
		err := flock(dup, unix.LOCK_EX)
		unix.Close(dup)
		done <- err
	}()
	select {
	case err := <-done:
		if err != nil {
			return &fs.PathError{Op: "lock", Path: f.Name(), Err: err}
		}
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// unlock lets go of the lock before f is closed: another process that
// shares its open file description (a guard) may keep that open a while.
func unlock(f *os.File) {
	if rc, err := f.SyscallConn(); err == nil {
		rc.Control(func(fd uintptr) { flock(int(fd), unix.LOCK_UN) })
	}
}

func flock(fd, how int) error {
	for {
		err := unix.Flock(fd, how)
		if err != unix.EINTR {
			return err
		}
	}
}

// Lock returns the file whose open file description holds the log's lock.
// A process that is passed it (as a descriptor it inherits) holds the lock
// as long as it keeps it open, even after this one has closed the log.
// A stream (NewStream) has none: Lock returns nil.
func (l *Log) Lock() *os.File { return l.f }

// Stream reports whether l is a stream (NewStream), not a file.
func (l *Log) Stream() bool { return l.sink != nil }
