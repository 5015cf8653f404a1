package cmd

import (
	"errors"
	"fmt"
	"github.com/parmap/parmap/internal/agent"
	"syscall"

	"github.com/parmap/parmap/channel"
	"github.com/parmap/parmap/exchange"

	"github.com/parmap/parmap/internal/engine"
	"github.com/parmap/parmap/internal/results"
)

// wordNotice words what the engine tells during a run, as one line.
func wordNotice(n engine.Notice) string {
	var s string
	switch n.Kind {
	case engine.JobError:
		s = fmt.Sprintf("job %d%s: %s", n.Seq, wordCommand(n.Command), wordError(n.Err))
		if errors.As(n.Err, new(*agent.TransferError)) || errors.As(n.Err, new(*agent.ReturnError)) {
			// A file of the job's on a host: the host and the file say it.
			s = fmt.Sprintf("job %d on %s: %v", n.Seq, n.Host, n.Err)
		}
	case engine.JobOutputLost:
		s = fmt.Sprintf("job %d: %s", n.Seq, wordOutputLost(n.Err))
	case engine.JobResultsFailed:
		var dir *results.DirError
		if t, ok := wordTable(n.Err); ok {
			s = t
		} else if errors.As(n.Err, &dir) { // it names the job
			s = wordResults(dir)
		} else {
			s = fmt.Sprintf("job %d: --json: %s", n.Seq, wordError(n.Err))
		}
	case engine.JobTimedOut:
		s = fmt.Sprintf("job %d%s: stopped after --timeout %v", n.Seq, wordCommand(n.Command), n.Timeout)
		if n.Signal != 0 {
			s += fmt.Sprintf(" (%v)", n.Signal)
		}
	case engine.JobHalted:
		s = wordHalted(n)
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
		var start *agent.StartError
		if errors.As(n.Err, &start) {
			s = "--slurm " + s
			if start.SSH {
				s = fmt.Sprintf("-S %s: %s; no jobs go there", n.Host, wordAgentStart(start))
			}
		}
	case engine.HostDown:
		var lost *agent.LostError
		if errors.As(n.Err, &lost) {
			if lost.SSH {
				s = fmt.Sprintf("-S %s: its agent was lost (%v); its jobs in flight run again on the other hosts", n.Host, lost.Err)
				break
			}
			s = fmt.Sprintf("--slurm node %s: its agent was lost (%v); its jobs in flight run again on the other nodes", n.Host, lost.Err)
			break
		}
		s = fmt.Sprintf("-S %s: ssh failed (exit 255) and the host does not answer; its jobs go to the other hosts", n.Host)
	case engine.JobOutOfMemory, engine.LimitsPlaced, engine.LimitsLeft, engine.ResourceTotals:
		s = wordResources(n)
	case engine.JobShed:
		s = fmt.Sprintf("job %d%s: stopped: less than half of --memfree is available", n.Seq, wordCommand(n.Command))
		if n.Signal != 0 {
			s += fmt.Sprintf(" (%v)", n.Signal)
		}
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

// maxCommandWords is how much of a job's command line a message shows.
const maxCommandWords = 60

// wordCommand is a job's command line as a message shows it after the job's
// number: " (sleep 3)", on one line and clipped; "" when there is none.
func wordCommand(line string) string {
	line = oneLine(line)
	if line == "" {
		return ""
	}
	if r := []rune(line); len(r) > maxCommandWords {
		line = string(r[:maxCommandWords-1]) + "…"
	}
	return " (" + line + ")"
}

// wordHalted says which job triggered the halt policy, why, and what the
// run does now, as GNU parallel's "This job failed:" and "Starting no more
// jobs" do.
func wordHalted(n engine.Notice) string {
	res := channel.Result{Exit: n.Exit, Signal: n.Signal, Err: n.Err}
	counted, what := n.Failed, "failed"
	switch n.Halt.On {
	case exchange.HaltOnSuccess:
		counted, what = n.Done-n.Failed, "succeeded"
	case exchange.HaltOnDone:
		counted, what = n.Done, "finished"
	}
	count := fmt.Sprintf("%d jobs %s", counted, what)
	switch {
	case n.Total > 0:
		count = fmt.Sprintf("%d of %d jobs %s", counted, n.Total, what)
	case counted == 1:
		count = "1 job " + what
	}
	then := "starting no more jobs"
	switch {
	case n.Running > 0 && n.Halt.When == exchange.HaltNow:
		then += fmt.Sprintf(", stopping the %d running", n.Running)
	case n.Running > 0:
		then += fmt.Sprintf(", waiting for the %d running to finish", n.Running)
	}
	return fmt.Sprintf("halting on job %d%s, which %s: %s (--halt %v); %s",
		n.Seq, wordCommand(n.Command), res.Describe(), count, n.Halt, then)
}

// wordAgentStart says why an -S host's agent did not start: a platform
// parmap cannot run on, or a copy cut short, in their own words; else
// what the agent's start said.
func wordAgentStart(e *agent.StartError) string {
	var arch *agent.ArchError
	var cp *agent.CopyError
	switch {
	case errors.As(e.Err, &arch):
		return arch.Error()
	case errors.As(e.Err, &cp):
		return cp.Error()
	}
	return e.Reason()
}
