package pmap

import (
	"errors"
	"io/fs"
	"syscall"
)

// StreamError is a job's output that could not be written to parmap's own
// stdout (or stderr, with Stderr): Err is the first error writing to that
// stream. Once a stream has failed, every later output for it is dropped
// with the same error.
type StreamError struct {
	Stderr bool
	Err    error
}

func (e *StreamError) Error() string {
	name := "stdout"
	if e.Stderr {
		name = "stderr"
	}
	return "writing " + name + ": " + e.Err.Error()
}

func (e *StreamError) Unwrap() error { return e.Err }

// TmpError is a job's output that could not be kept whole in the temporary
// directory Dir: a spill file that could not be written (Spill), or capture
// files the job could not write all of its output into, as the file system
// was found full (Err is then ENOSPC) while the job ran.
type TmpError struct {
	Dir   string
	Spill bool
	Err   error
}

func (e *TmpError) Error() string {
	what := "capture file in "
	if e.Spill {
		what = "spill file in "
	}
	return what + e.Dir + ": " + e.Err.Error()
}

func (e *TmpError) Unwrap() error { return e.Err }

// errFull is the TmpError.Err of capture files on a full file system.
var errFull error = syscall.ENOSPC

// unwrapPath drops the operation and path of a *fs.PathError, which a
// TmpError names in its own way.
func unwrapPath(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}
