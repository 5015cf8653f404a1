package engine

import (
	"errors"
	"syscall"
	"time"

	"github.com/parmap/parmap/channel"
	"github.com/parmap/parmap/exchange"
	"github.com/parmap/parmap/internal/cgroup"
	"github.com/parmap/parmap/reuse"
)

// NoticeKind says what a Notice is about.
type NoticeKind int

const (
	// JobError: job Seq (Command, when it was made) could not be made or
	// started, or failed to run (Err).
	JobError NoticeKind = iota
	// JobTimedOut: job Seq (Command) ran past Timeout and was stopped with
	// Signal.
	JobTimedOut
	// JobOutputLost: job Seq's output could not be kept whole (Err: a
	// *pmap.TmpError, a full temporary directory) or read back (Err).
	JobOutputLost
	// JobResultsFailed: job Seq's --results files or JSON line could not be
	// made (Err).
	JobResultsFailed
	// JoblogFailed: job Seq's line of the job log could not be written
	// (Err); Resume runs it again.
	JoblogFailed
	// JoblogWaiting: the job log (Path) is held by another run, alive or
	// killed and its guard still killing its processes; the run waits for it.
	JoblogWaiting
	// RecordFailed: record Seq, sent to a reused worker, failed (Err).
	RecordFailed
	// WorkerEvent: something about a reused worker (Worker).
	WorkerEvent
	// HostUnreachable: a host could not be reached at the start; no jobs
	// go there (Err, a *hosts.HostError).
	HostUnreachable
	// HostDown: Host failed during the run (ssh's exit 255 and no answer;
	// with Agents, its agent was lost: Err, an *agent.LostError); its jobs
	// go to the other hosts.
	HostDown
	// JobsLowered: the run ran out of a resource (Err: file descriptors,
	// processes or memory, as channel.Resource tells) with Jobs jobs
	// running; it runs at most Jobs at once from then on, and the job
	// that could not start waits for a running one to end. Said once.
	JobsLowered
	// JobHalted: job Seq (Command), which ended with Exit (Signal; Err
	// when it did not start), triggered the Halt policy once Done jobs
	// of Total (0 while not known) had finished and Failed of them had
	// failed; Running jobs were still running (Halt.When says whether
	// they are stopped or finish).
	JobHalted
	// JobOutOfMemory: job Seq (Command) failed, and the OOM killer killed
	// a process of its group, under Limits.
	JobOutOfMemory
	// LimitsPlaced: the jobs run under Limits, placed as Via says; told
	// once, before the first job.
	LimitsPlaced
	// LimitsLeft: a group of the run could not be removed at its end (Err).
	LimitsLeft
	// ResourceTotals: what the run's jobs used in all (Usage; its MaxRSS
	// the largest one job's, job Seq's), told at the end (Config.Totals).
	ResourceTotals
	// JobShed: job Seq (Command) was stopped (Signal) because less than
	// half of Config.Pressure.MemFree was available; it failed, and runs
	// again under Retries (GNU parallel's --memfree).
	JobShed
)

// Notice is something that happened during a run that its user should be
// told, as facts; the caller words it (Streams.Word).
type Notice struct {
	Kind    NoticeKind
	Seq     int64 // the job or record
	Err     error
	Timeout time.Duration
	Signal  syscall.Signal
	Host    string
	Path    string
	Worker  reuse.Notice
	Jobs    int // JobsLowered
	// Command is the job's command line, "" when it could not be made.
	Command string
	// Exit, Halt, Done, Failed, Total and Running: JobHalted.
	Exit                int
	Halt                exchange.Halt
	Done, Failed, Total int64
	Running             int
	// Limits and Via: LimitsPlaced, JobOutOfMemory.
	Limits cgroup.Limits
	Via    cgroup.Kind
	// Usage: ResourceTotals.
	Usage channel.Usage
}

// ErrNoHosts is a run none of whose hosts could be reached.
var ErrNoHosts = errors.New("no host can be reached")

// ErrHostsDown is a run that stopped because every host failed; the jobs left
// were not run.
var ErrHostsDown = errors.New("every host failed; the jobs left were not run")

// InputError is pipe mode's input file that could not be opened or read.
type InputError struct {
	Path   string
	Ranges bool // read by byte ranges (--pipepart)
	Header bool // while reading the header records
	Err    error
}

func (e *InputError) Error() string {
	s := e.Path + ": "
	if e.Header {
		s += "reading its header: "
	}
	return s + e.Err.Error()
}

func (e *InputError) Unwrap() error { return e.Err }

// ReadError is input that failed part way through pipe mode.
type ReadError struct{ Err error }

func (e *ReadError) Error() string { return "reading the input: " + e.Err.Error() }
func (e *ReadError) Unwrap() error { return e.Err }

// JoblogError is a job log that could not be read (for Resume) or opened.
type JoblogError struct {
	Path string
	Err  error
}

func (e *JoblogError) Error() string { return "job log " + e.Path + ": " + e.Err.Error() }
func (e *JoblogError) Unwrap() error { return e.Err }

// JobserverError is a jobserver the run could not serve or join.
type JobserverError struct {
	Serve bool // serving one (Make.Serve); else joining make's
	Err   error
}

func (e *JobserverError) Error() string { return "jobserver: " + e.Err.Error() }
func (e *JobserverError) Unwrap() error { return e.Err }
