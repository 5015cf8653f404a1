package reuse

import (
	"fmt"
	"time"

	"github.com/parmap/parmap/channel"
)

// The pool reports facts, not sentences for a user: each error below has
// exported fields so that the caller can word it, and an Error text that
// states the same facts plainly, naming no command-line option.

// NoticeKind says what a Notice reports.
type NoticeKind int

const (
	// WorkerExited: a worker with no record in flight exited with a
	// non-zero status or was killed by a signal (Notice.Result says how).
	// It is replaced while there is work left.
	WorkerExited NoticeKind = iota + 1
	// WorkerKilled: a worker was killed for a fault (Notice.Reason, a
	// *TimeoutError or *ProtocolError) while no record was in flight to
	// it, so no record reports the fault.
	WorkerKilled
)

func (k NoticeKind) String() string {
	switch k {
	case WorkerExited:
		return "worker exited"
	case WorkerKilled:
		return "worker killed"
	}
	return fmt.Sprintf("NoticeKind(%d)", int(k))
}

// Notice is something that happened to a worker that no record's Answer
// reports. Records that fail carry their own error instead.
type Notice struct {
	Kind NoticeKind
	// Slot is the worker's job slot.
	Slot int
	// Result is how the worker's process ended.
	Result channel.Result
	// Reason is why the worker was killed (WorkerKilled); nil otherwise.
	Reason error
}

// TimeoutError fails the records in flight to a worker that gave no answer
// within Options.Timeout; the worker was killed.
type TimeoutError struct {
	Slot    int
	Timeout time.Duration
}

func (e *TimeoutError) Error() string {
	return fmt.Sprintf("no answer from the worker in slot %d within %v; it was killed", e.Slot, e.Timeout)
}

// ProtocolFault is how a worker broke the protocol.
type ProtocolFault int

const (
	// BadAnswer: the answer is not a valid JSON answer (ProtocolError.Err
	// says why).
	BadAnswer ProtocolFault = iota + 1
	// UnknownRecord: a JSON answer names a record (ProtocolError.Seq) that
	// was not in flight to the worker.
	UnknownRecord
	// ExtraAnswer: an answer came with no record in flight to the worker.
	ExtraAnswer
)

func (f ProtocolFault) String() string {
	switch f {
	case BadAnswer:
		return "bad answer"
	case UnknownRecord:
		return "unknown record"
	case ExtraAnswer:
		return "extra answer"
	}
	return fmt.Sprintf("ProtocolFault(%d)", int(f))
}

// ProtocolError fails the records in flight to a worker that broke the
// protocol; the worker was killed.
type ProtocolError struct {
	Slot  int
	Fault ProtocolFault
	// Line is the offending answer, without its separator.
	Line []byte
	// Seq is the record number an UnknownRecord answer named.
	Seq int64
	// Err says what is wrong with a BadAnswer.
	Err error
}

func (e *ProtocolError) Error() string {
	switch e.Fault {
	case BadAnswer:
		return fmt.Sprintf("the worker in slot %d: %v: %s; it was killed", e.Slot, e.Err, clip(e.Line))
	case UnknownRecord:
		return fmt.Sprintf("the worker in slot %d answered record %d, which was not in flight to it: %s; it was killed", e.Slot, e.Seq, clip(e.Line))
	}
	return fmt.Sprintf("the worker in slot %d gave an answer with no record in flight: %s; it was killed", e.Slot, clip(e.Line))
}

func (e *ProtocolError) Unwrap() error { return e.Err }

// LostError fails the records in flight to a worker that exited (Result
// says how) before answering them.
type LostError struct {
	Slot   int
	Result channel.Result
}

func (e *LostError) Error() string {
	return fmt.Sprintf("the worker in slot %d %s before answering", e.Slot, e.Result.Describe())
}

// UnsendableError fails a record that holds the protocol's separator
// (Byte), which the protocol cannot send; it was not sent.
type UnsendableError struct {
	Protocol Protocol
	Byte     byte
}

func (e *UnsendableError) Error() string {
	what := "a newline"
	if e.Byte == 0 {
		what = "a NUL byte"
	}
	return fmt.Sprintf("the record holds %s, which the %v protocol cannot send", what, e.Protocol)
}

// AnswerError fails a record that a worker answered with an error (the
// JSON protocol's "error").
type AnswerError struct {
	Slot int
	// Message is the worker's error: the string it gave, or the JSON text
	// of any other value.
	Message string
}

func (e *AnswerError) Error() string { return e.Message }

// StartError is Summary.Err when a worker could not be started (a missing
// program, a failing Options.Command): the pool gave up.
type StartError struct {
	Slot int
	// Err is why; a *channel.StartError for a program that is missing or
	// cannot be executed.
	Err error
}

func (e *StartError) Error() string { return fmt.Sprintf("workers cannot start: %v", e.Err) }

func (e *StartError) Unwrap() error { return e.Err }

// DyingError is Summary.Err when Count workers in a row died before
// answering any record: the pool gave up.
type DyingError struct {
	Count int
	// Last is how the last of them ended.
	Last channel.Result
}

func (e *DyingError) Error() string {
	return fmt.Sprintf("workers died %d times in a row before answering a record (the last %s)", e.Count, e.Last.Describe())
}

// UnknownProtocolError is ParseProtocol's error for a name that is not a
// protocol.
type UnknownProtocolError struct{ Name string }

func (e *UnknownProtocolError) Error() string { return fmt.Sprintf("unknown protocol %q", e.Name) }

// clip quotes an answer, cut after its first 80 bytes.
func clip(b []byte) string {
	const n = 80
	if len(b) > n {
		return fmt.Sprintf("%q…", b[:n])
	}
	return fmt.Sprintf("%q", b)
}
