package cmd

import (
	"errors"
	"fmt"

	"github.com/parmap/parmap/channel"
	"github.com/parmap/parmap/reuse"
)

// wordReuse words an error from the reuse package: a record's failure
// (Answer.Err), the pool giving up (Summary.Err), or a bad
// --reuse-protocol (ParseProtocol). The errors whose own text names no
// option a user could change (a protocol fault, a worker lost before it
// answered, a JSON "error" answer) are their own words. wordError hands
// it any error it does not know, and it gives those their own text.
func wordReuse(err error) string {
	var (
		timeout    *reuse.TimeoutError
		unsendable *reuse.UnsendableError
		start      *reuse.StartError
		dying      *reuse.DyingError
		unknown    *reuse.UnknownProtocolError
	)
	var s string
	switch {
	case errors.As(err, &timeout):
		s = fmt.Sprintf("no answer from the worker in slot %d within --timeout %v; it was killed", timeout.Slot, timeout.Timeout)
	case errors.As(err, &unsendable):
		s = "the record holds a newline, which the line protocol cannot send; use --reuse-protocol null or json"
		if unsendable.Byte == 0 {
			s = "the record holds a NUL byte, which the null protocol cannot send; use --reuse-protocol json"
		}
	case errors.As(err, &start):
		var cannot *channel.StartError
		if errors.As(start.Err, &cannot) {
			s = "--reuse: " + cannot.Error()
		} else {
			s = "--reuse: starting a worker: " + start.Err.Error()
		}
	case errors.As(err, &dying):
		s = fmt.Sprintf("--reuse: workers died %d times in a row before answering a record (the last: %s); is the command a worker that reads records from stdin and answers each?", dying.Count, dying.Last.Describe())
	case errors.As(err, &unknown):
		s = fmt.Sprintf("--reuse-protocol %q: give line, null or json", unknown.Name)
	default:
		s = err.Error()
	}
	return oneLine(s)
}

// wordReuseNotice words what happened to a worker that no record reports.
func wordReuseNotice(n reuse.Notice) string {
	if n.Kind == reuse.WorkerKilled && n.Reason != nil {
		return wordReuse(n.Reason)
	}
	return oneLine(fmt.Sprintf("the worker in slot %d %s", n.Slot, n.Result.Describe()))
}
