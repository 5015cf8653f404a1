package channel

import (
	"errors"
	"os"
	"runtime"
	"syscall"
)

// A PlaceError is a child that could not be placed under its limits
// (Spec.Place): nothing was started, or what started was killed.
type PlaceError struct{ Err error }

func (e *PlaceError) Error() string { return "placing the job under its limits: " + e.Err.Error() }
func (e *PlaceError) Unwrap() error { return e.Err }

// spoiler is an error from Place that leaves its thread unfit to run on.
type spoiler interface{ ThreadSpoiled() bool }

func spoiled(err error) bool {
	var s spoiler
	return errors.As(err, &s) && s.ThreadSpoiled()
}

// startPlaced starts the process, placed as spec.Place says: Place's
// Before and After run on the forking thread, locked to this goroutine.
func startPlaced(spec Spec, path string, attr *os.ProcAttr) (*os.Process, error) {
	if spec.Place == nil {
		return startProcess(spec, path, attr)
	}
	runtime.LockOSThread()
	fd, err := spec.Place.Before()
	if err != nil {
		if !spoiled(err) {
			runtime.UnlockOSThread()
		}
		return nil, &PlaceError{Err: err}
	}
	if fd >= 0 {
		attr.Sys.UseCgroupFD, attr.Sys.CgroupFD = true, fd
	}
	proc, err := startProcess(spec, path, attr)
	pid := 0
	if err == nil {
		pid = proc.Pid
	}
	aerr := spec.Place.After(pid)
	if !spoiled(aerr) {
		runtime.UnlockOSThread()
		if aerr != nil && proc != nil {
			syscall.Kill(-proc.Pid, syscall.SIGKILL)
			proc.Wait()
			return nil, &PlaceError{Err: aerr}
		}
	}
	return proc, err
}

// startProcess starts the process, again on the lowest descriptors when
// the first try failed for want of a high one (startLow).
func startProcess(spec Spec, path string, attr *os.ProcAttr) (*os.Process, error) {
	proc, err := osStartProcess(path, spec.Argv, attr)
	if errors.Is(err, syscall.EBADF) {
		proc, err = startLow(spec.Argv[0], path, spec.Argv, attr)
	}
	return proc, err
}
