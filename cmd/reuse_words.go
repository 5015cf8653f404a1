package cmd

import (
	"errors"
	"fmt"

	"github.com/parmap/parmap/channel"
	"github.com/parmap/parmap/reuse"
)

// The reuse package reports facts (typed errors, notices); this file words
// them for --reuse, naming the options a user can change. Each function
// returns one line without the "parmap: " prefix.

// wordReuse words an error from the reuse package: a record's failure
// (Answer.Err), the pool giving up (Summary.Err), or a bad
// --reuse-protocol (ParseProtocol); wordError hands it any error it does
// not know, and it gives those their own text.
func wordReuse(err error) string {
	var (
		timeout    *reuse.TimeoutError
		protocol   *reuse.ProtocolError
		lost       *reuse.LostError
		unsendable *reuse.UnsendableError
		answer     *reuse.AnswerError
		start      *reuse.StartError
		dying      *reuse.DyingError
		unknown    *reuse.UnknownProtocolError
	)
	var s string
	switch {
	case errors.As(err, &timeout):
		s = fmt.Sprintf("no answer from the worker in slot %d within --timeout %v; it was killed", timeout.Slot, timeout.Timeout)
	case errors.As(err, &protocol):
		s = wordProtocolError(protocol)
	case errors.As(err, &lost):
		s = fmt.Sprintf("the worker in slot %d %s before answering", lost.Slot, wordExit(lost.Result))
	case errors.As(err, &unsendable):
		s = "the record holds a newline, which the line protocol cannot send; use --reuse-protocol null or json"
		if unsendable.Byte == 0 {
			s = "the record holds a NUL byte, which the null protocol cannot send; use --reuse-protocol json"
		}
	case errors.As(err, &answer):
		s = answer.Message
	case errors.As(err, &start):
		var cannot *channel.StartError
		if errors.As(start.Err, &cannot) {
			s = "--reuse: " + cannot.Error()
		} else {
			s = "--reuse: starting a worker: " + start.Err.Error()
		}
	case errors.As(err, &dying):
		s = fmt.Sprintf("--reuse: workers died %d times in a row before answering a record (the last: %s); is the command a worker that reads records from stdin and answers each?", dying.Count, wordExit(dying.Last))
	case errors.As(err, &unknown):
		s = fmt.Sprintf("--reuse-protocol %q: give line, null or json", unknown.Name)
	default:
		s = err.Error() // from no package of ours
	}
	return oneLine(s)
}

// wordReuseNotice words what happened to a worker that no record reports.
func wordReuseNotice(n reuse.Notice) string {
	if n.Kind == reuse.WorkerKilled && n.Reason != nil {
		return wordReuse(n.Reason)
	}
	return oneLine(fmt.Sprintf("the worker in slot %d %s", n.Slot, wordExit(n.Result)))
}

func wordProtocolError(e *reuse.ProtocolError) string {
	switch e.Fault {
	case reuse.BadAnswer:
		return fmt.Sprintf("the worker in slot %d: %v: %s; it was killed", e.Slot, e.Err, quoteAnswer(e.Line))
	case reuse.UnknownRecord:
		return fmt.Sprintf("the worker in slot %d answered record %d, which was not in flight to it: %s; it was killed", e.Slot, e.Seq, quoteAnswer(e.Line))
	}
	return fmt.Sprintf("the worker in slot %d gave an answer with no record in flight: %s; it was killed", e.Slot, quoteAnswer(e.Line))
}

// wordExit says how a worker process ended: "exited with status 3", "was
// killed by signal 9 (killed)".
func wordExit(res channel.Result) string {
	switch {
	case res.Err != nil:
		return "could not start: " + res.Err.Error()
	case res.Signal != 0:
		return fmt.Sprintf("was killed by signal %d (%v)", int(res.Signal), res.Signal)
	}
	return fmt.Sprintf("exited with status %d", res.Exit)
}

// quoteAnswer quotes a worker's answer, cut after its first 80 bytes.
func quoteAnswer(b []byte) string {
	const n = 80
	if len(b) > n {
		return fmt.Sprintf("%q…", b[:n])
	}
	return fmt.Sprintf("%q", b)
}
