package runs

import (
	"fmt"
	"path/filepath"
)

// ParentError is the error of a parent directory of runs that cannot be
// created or written (Op "create" or "write"): Err says why (permission
// denied, read-only file system, not a directory).
type ParentError struct {
	Path string
	Op   string
	Err  error
}

func (e *ParentError) Error() string {
	return fmt.Sprintf("run directory %s: cannot %s: %v", e.Path, e.Op, e.Err)
}

func (e *ParentError) Unwrap() error { return e.Err }

// IDRule says which names are run ids; BadIDError quotes it.
const IDRule = "a run id is 1 to 64 letters, digits, '.', '_' or '-', not starting with '.'"

// BadIDError is the error of a run id that breaks [IDRule].
type BadIDError struct {
	ID string
}

func (e *BadIDError) Error() string {
	return fmt.Sprintf("bad run id %q: %s", e.ID, IDRule)
}

// IDInUseError is the error of Create given the id of an existing run;
// nothing was changed.
type IDInUseError struct {
	ID  string
	Dir string
}

func (e *IDInUseError) Error() string {
	return fmt.Sprintf("run id %q is in use (%s)", e.ID, e.Dir)
}

// UnknownRunError is the error of Open for an id with no run under Parent.
type UnknownRunError struct {
	ID     string
	Parent string
}

func (e *UnknownRunError) Error() string {
	return fmt.Sprintf("no run %q in %s", e.ID, e.Parent)
}

// NotLiveError is the error of Dial when no supervisor listens on the
// run's socket: the run is done or dead, or its supervisor has not started
// listening yet. Run.Status tells which.
type NotLiveError struct {
	Dir string
	Err error
}

func (e *NotLiveError) Error() string {
	return fmt.Sprintf("run %s has no live supervisor: %v", filepath.Base(e.Dir), e.Err)
}

func (e *NotLiveError) Unwrap() error { return e.Err }

// LockedError is the error of Run.Lock for a run whose lock another process
// holds: its supervisor is alive.
type LockedError struct {
	Dir string
}

func (e *LockedError) Error() string {
	return fmt.Sprintf("run %s is live: its lock is held", filepath.Base(e.Dir))
}

// ForeignSocketError is the error of Dial for a control socket (or run
// directory) owned by another user than the caller: the client refuses to
// talk to it.
type ForeignSocketError struct {
	Path string
	UID  int
}

func (e *ForeignSocketError) Error() string {
	return fmt.Sprintf("%s is owned by uid %d, not by you", e.Path, e.UID)
}

// PathTooLongError is the error of Dial and Listen for a socket path longer
// than a sockaddr_un holds, where /proc/self/fd cannot shorten it.
type PathTooLongError struct {
	Path string
	Err  error
}

func (e *PathTooLongError) Error() string {
	return fmt.Sprintf("socket path %s is longer than %d bytes: %v", e.Path, maxSunPath, e.Err)
}

func (e *PathTooLongError) Unwrap() error { return e.Err }

// RemoteError is an op the supervisor answered with an error: Code is
// CodeRefused, CodeBadRequest, or the handler's (an error with a
// Code() string method), else CodeFailed; Message is the error's text.
type RemoteError struct {
	Op      string
	Code    string
	Message string
}

func (e *RemoteError) Error() string {
	return fmt.Sprintf("%s: %s (%s)", e.Op, e.Message, e.Code)
}

// Codes of RemoteError.
const (
	CodeRefused    = "refused"     // the peer is another user
	CodeBadRequest = "bad-request" // not a request this package knows
	CodeFailed     = "failed"      // the handler failed, without a code
)
