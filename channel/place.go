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
	start := func() (*os.Process, error) { return startProcess(spec, path, attr) }
	if spec.Place == nil {
		return startNicedIf(spec.Nice, start)
	}
	var startErr error
	proc, err := spec.Place.Fork(func(cgroupFD int, ownThread bool) (p *os.Process, err error) {
		if cgroupFD >= 0 {
			attr.Sys.UseCgroupFD, attr.Sys.CgroupFD = true, cgroupFD
		}
		switch {
		case !ownThread:
			p, err = startNicedIf(spec.Nice, start)
		case spec.Nice.Set:
			// The Place's thread must fork (its cgroup): it takes the
			// niceness itself, for good, as a niced thread does.
			if err = niceThisThread(spec.Nice.Value); err == nil {
				p, err = start()
			}
		default:
			p, err = start()
		}
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
