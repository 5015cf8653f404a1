package cmd

import (
	"errors"
	"fmt"
	"syscall"

	"github.com/parmap/parmap/channel"

	"github.com/parmap/parmap/internal/engine"
	"github.com/parmap/parmap/internal/results"
)

// wordNotice words what the engine tells during a run, as one line.
func wordNotice(n engine.Notice) string {
	var s string
	switch n.Kind {
	case engine.JobError:
		s = fmt.Sprintf("job %d: %s", n.Seq, wordError(n.Err))
	case engine.JobOutputLost:
		s = fmt.Sprintf("job %d: %s", n.Seq, wordOutputLost(n.Err))
	case engine.JobResultsFailed:
		var dir *results.DirError
		if errors.As(n.Err, &dir) { // it names the job
			s = wordResults(dir)
		} else {
			s = fmt.Sprintf("job %d: --json: %s", n.Seq, wordError(n.Err))
		}
	case engine.JobTimedOut:
		s = fmt.Sprintf("job %d: stopped after --timeout %v (%v)", n.Seq, n.Timeout, n.Signal)
	case engine.JoblogFailed:
		s = wordJoblogFailed(n.Seq, n.Err)
	case engine.JoblogWaiting:
		s = "waiting for the run that holds job log " + n.Path
	case engine.RecordFailed:
		s = fmt.Sprintf("record %d: %s", n.Seq, wordError(n.Err))
	case engine.WorkerEvent:
		s = wordReuseNotice(n.Worker)
	case engine.HostUnreachable:
		s = wordError(n.Err) + "; no jobs go there"
	case engine.HostDown:
		s = fmt.Sprintf("-S %s: ssh failed (exit 255) and the host does not answer; its jobs go to the other hosts", n.Host)
	case engine.JobsLowered:
		s = fmt.Sprintf("warning: out of %s at %d jobs; running at most %d at once", wordShortage(n.Err), n.Jobs+1, n.Jobs)
	default:
		s = fmt.Sprintf("%+v", n)
	}
	return "parmap: " + oneLine(s)
}

// wordShortage says which resource err says ran out, and the system's words
// for it: "file descriptors (too many open files)".
func wordShortage(err error) string {
	errno, _ := channel.Resource(err)
	what := "processes"
	switch errno {
	case syscall.EMFILE, syscall.ENFILE:
		what = "file descriptors"
	case syscall.ENOMEM:
		what = "memory"
	}
	return fmt.Sprintf("%s (%v)", what, errno)
}
