package channel

import (
	"errors"
	"os"
	"sync"
	"syscall"
)

// The system calls Start makes to open files and start the process. They
// are variables so that the package's tests can make each fail in turn;
// nothing else changes them.
var (
	osPipe         = os.Pipe
	osOpenFile     = os.OpenFile
	osStartProcess = os.StartProcess
)

// A ResourceError says a process could not be started because the system
// (or parmap's own limits) ran out of something every process needs: file
// descriptors (EMFILE, ENFILE), processes (EAGAIN) or memory (ENOMEM). It
// is not the job's fault: tried again once another job has ended, it may
// well start. Resource tells it from other errors.
type ResourceError struct {
	// Op is what failed: "pipe", "open /dev/null", or "PROGRAM: fork/exec".
	Op  string
	Err syscall.Errno
}

func (e *ResourceError) Error() string { return e.Op + ": " + e.Err.Error() }
func (e *ResourceError) Unwrap() error { return e.Err }

// resourceErrnos are the errors that mean a resource ran out.
var resourceErrnos = [...]syscall.Errno{syscall.EMFILE, syscall.ENFILE, syscall.EAGAIN, syscall.ENOMEM}

// Resource reports whether err, or an error it wraps, says a resource ran
// out (see ResourceError), and which: EMFILE, ENFILE, EAGAIN or ENOMEM. It
// classifies any error, a ResourceError from Start as well as a capture
// file that could not be opened for want of descriptors.
func Resource(err error) (syscall.Errno, bool) {
	if err == nil {
		return 0, false
	}
	for _, e := range resourceErrnos {
		if errors.Is(err, e) {
			return e, true
		}
	}
	return 0, false
}

// resourceError returns a *ResourceError for err when a resource ran out,
// else err unchanged.
func resourceError(op string, err error) error {
	if errno, ok := Resource(err); ok {
		return &ResourceError{Op: op, Err: errno}
	}
	return err
}

// devNull is /dev/null opened read-only, once, and shared by every child
// that reads nothing. An open that fails (out of descriptors) is tried
// again by the next Start rather than remembered.
var devNull struct {
	mu sync.Mutex
	f  *os.File
}

func devNullFile() (*os.File, error) {
	devNull.mu.Lock()
	defer devNull.mu.Unlock()
	if devNull.f == nil {
		f, err := osOpenFile(os.DevNull, os.O_RDONLY, 0)
		if err != nil {
			return nil, resourceError("open "+os.DevNull, err)
		}
		devNull.f = f
	}
	return devNull.f, nil
}

// startLow starts the process as os.StartProcess does, with its files
// copied to the lowest descriptors free. It is for when the first try
// failed with EBADF: under a hard limit on open files (ulimit -n), the
// child moves descriptors above the highest one it is given before it puts
// them in place, which fails when that one is the last the limit allows.
// A copy that cannot be made, or a start that fails so again, is out of
// file descriptors.
func startLow(program, path string, argv []string, attr *os.ProcAttr) (*os.Process, error) {
	low := *attr
	low.Files = make([]*os.File, len(attr.Files))
	defer func() {
		for _, f := range low.Files {
			if f != nil {
				f.Close()
			}
		}
	}()
	for i, f := range attr.Files {
		if f == nil {
			continue
		}
		fd, _, errno := syscall.Syscall(syscall.SYS_FCNTL, f.Fd(), syscall.F_DUPFD_CLOEXEC, 0)
		if errno != 0 {
			return nil, resourceError(program+": fork/exec", errno)
		}
		low.Files[i] = os.NewFile(fd, f.Name())
	}
	proc, err := osStartProcess(path, argv, &low)
	if errors.Is(err, syscall.EBADF) {
		return nil, &ResourceError{Op: program + ": fork/exec", Err: syscall.EMFILE}
	}
	return proc, err
}
