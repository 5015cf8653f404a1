package channel

import (
	"errors"
	"os"
	"syscall"
)

// A PlaceError is a child that could not be placed under its limits
// (Spec.Place): nothing was started, or what started was killed.
type PlaceError struct{ Err error }

func (e *PlaceError) Error() string { return "placing the job under its limits: " + e.Err.Error() }
func (e *PlaceError) Unwrap() error { return e.Err }

// startPlaced starts the process, through spec.Place when set.
func startPlaced(spec Spec, path string, attr *os.ProcAttr) (*os.Process, error) {
	if spec.Place == nil {
		return startProcess(spec, path, attr)
	}
	var startErr error
	proc, err := spec.Place.Fork(func(cgroupFD int) (*os.Process, error) {
		if cgroupFD >= 0 {
			attr.Sys.UseCgroupFD, attr.Sys.CgroupFD = true, cgroupFD
		}
		p, err := startProcess(spec, path, attr)
		startErr = err
		return p, err
	})
	if err != nil && err != startErr {
		return nil, &PlaceError{Err: err}
	}
	return proc, err
}

// startProcess starts the process, again on the lowest descriptors when
// the first try failed for want of a high one (startLow).
// It is pinned to spec.CPUs from its first instruction: the forking
// thread (a placed child's too) holds that mask while it forks.
func startProcess(spec Spec, path string, attr *os.ProcAttr) (proc *os.Process, err error) {
	err = pinned(spec.CPUs, func() (err error) {
		proc, err = osStartProcess(path, spec.Argv, attr)
		if errors.Is(err, syscall.EBADF) {
			proc, err = startLow(spec.Argv[0], path, spec.Argv, attr)
		}
		return err
	})
	return proc, err
}
