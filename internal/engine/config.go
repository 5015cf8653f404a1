package engine

import (
	"os"
	"time"

	"github.com/parmap/parmap/channel"
	"github.com/parmap/parmap/exchange"
	"github.com/parmap/parmap/internal/blocks"
	"github.com/parmap/parmap/internal/cgroup"
	"github.com/parmap/parmap/internal/hosts"
	"github.com/parmap/parmap/internal/jobserver"
	"github.com/parmap/parmap/internal/pressure"
	"github.com/parmap/parmap/internal/progress"
	"github.com/parmap/parmap/internal/records"
	"github.com/parmap/parmap/internal/slurm"
	"github.com/parmap/parmap/internal/template"
	"github.com/parmap/parmap/pmap"
	"github.com/parmap/parmap/reuse"
)

// Config is one run, settled: every option checked and every value derived
// from others (the job count after Slurm, the hosts and make's jobserver;
// the slots -X spreads its last records over) computed once by whoever
// built it. Run reads it and never changes it; one Config may drive several
// runs.
type Config struct {
	// Sources are where the records come from, in order; Records says how
	// they are read (separator, fields, -n, -X, --header, --link).
	Sources []records.Source
	Records records.Options
	// Template is the command run for each record (for each worker with
	// Reuse).
	Template *template.Template
	// Env is the environment jobs inherit, before the variables each job
	// gets of its own (PARMAP_SEQ, PARMAP_SLOT, their GNU parallel names
	// PARALLEL_SEQ and PARALLEL_JOBSLOT, and MAKEFLAGS when the run serves
	// a jobserver).
	Env []string
	// SlotVar, when set, names one more variable every job gets: its job
	// slot counted from 0 (xargs --process-slot-var).
	SlotVar string

	// Jobs is the number of job slots: at most that many jobs at once.
	// 0 means as many as there are records, up to exchange.MaxUnlimited.
	Jobs int
	// Devices, when set, are each job slot's devices, Devices[s-1] for
	// slot s (ids joined by commas): a job gets its slot's in
	// devices.Vars, instead of any the environment had (Template's {gpu}
	// is the same list). CPUs, when set, are each slot's CPUs: a job runs
	// on its slot's only, from its first instruction. Either caps the
	// slots at its length, whatever Jobs or a resize ask
	// (exchange.Options.MaxJobs): a slot runs one job at a time, so no
	// two running jobs share a set. Not with Hosts or Slurm.
	Devices []string
	CPUs    [][]int
	// DryRun expands every command and prints it instead of running it,
	// in input order (KeepOrder or not).
	DryRun bool
	// Verbose writes each job's command line to stdout before its output,
	// tagged as its output is (GNU parallel's -v); Trace writes it to
	// stderr as the job starts (-t). Neither applies with Reuse.
	Verbose, Trace bool
	// Confirm, when set, is asked before each job starts whether to run
	// its command; false skips the job, which is then neither run nor
	// counted (xargs -p). It says the command line itself: Trace does not.
	Confirm func(cmd template.Command) bool
	// JobStdin, when set, is every job's standard input instead of
	// /dev/null (xargs -o: the terminal). Run does not close it.
	JobStdin *os.File
	// Success lists the exit values that count as success; nil means 0.
	Success map[int]bool
	// KillAfter is how long a stopped job gets before SIGKILL (a timeout,
	// SIGINT, SIGTERM); 0 means channel.DefaultGrace.
	KillAfter time.Duration
	// Timeout, Retries, RetryDelay, Delay and Halt are as in
	// exchange.Options.
	Timeout    time.Duration
	Retries    int
	RetryDelay time.Duration
	Delay      time.Duration
	Halt       exchange.Halt
	// Stop stops the run at the first job that ends as it names (no more
	// jobs start; running ones finish); the Summary reports it as Halted,
	// with that job's exit value as HaltExit, after a JobHalted notice.
	Stop exchange.StopOn
	// Pressure holds jobs back while the machine's load is high or its
	// memory short (--load, --memfree): each run asks a pressure.Gate of
	// its own before each start, and stops the youngest job when memory
	// falls below half of MemFree (JobShed). Jobs run here only: hosts'
	// load is not read.
	Pressure pressure.Limits
	// Nice, when Set, is the jobs' niceness from their start (--nice; with
	// Hosts, that of the local ssh).
	Nice channel.Niceness

	// KeepOrder writes outputs in input order (a Map) rather than as jobs
	// finish (a Queue).
	KeepOrder bool
	// Mode is how a job's output reaches the run's output.
	Mode pmap.Mode
	// Tag prefixes each output line with TagText expanded for the job, or
	// with the record's values when TagText is nil (and a TAB).
	Tag     bool
	TagText *template.Text
	// Results, when set, is a directory where each job's output is also
	// saved. JSON prints one JSON line per job instead of its output.
	Results string
	JSON    bool
	// Files saves each job's stdout in a new file in TmpDir, kept after
	// the run, and writes the file's name instead (--files).
	Files bool
	// Joblog, when set, is the job log; Resume skips every job whose command
	// it shows, whatever its exit (GNU parallel's --resume), and appends to
	// it; with ResumeFailed too, only the jobs it shows succeeded
	// (--resume-failed: the failed ones run again).
	Joblog       string
	Resume       bool
	ResumeFailed bool
	// TmpDir is where output is captured and spilled ("" for $TMPDIR).
	TmpDir string
	// Progress is how progress is shown on the run's stderr.
	Progress progress.Options
	// Totals tells, at the end, what the jobs used in all (a
	// ResourceTotals notice): --bar, --eta.
	Totals bool

	// Pipe, when set, feeds blocks of the input to the jobs' stdin.
	Pipe *Pipe
	// Reuse, when set, runs the command as Jobs long-lived workers.
	Reuse *Reuse
	// Hosts, when set, runs the jobs on these hosts over ssh.
	Hosts *Hosts
	// Slurm, when set, runs each job as a job step of this allocation.
	Slurm *slurm.Alloc
	// Agents, when set, runs the jobs through one agent per node.
	Agents *Agents
	// Transfer is the files the agents' jobs carry (GNU parallel's
	// --transferfile, --return, --cleanup, --basefile); ignored without
	// Agents, and for an agent node marked Local.
	Transfer Transfer
	// Shard, when N > 0, runs only the jobs n with (n-1) mod N = K.
	Shard Shard
	// Make is the run's part in GNU make's jobserver.
	Make Make
	// Limits, when any is set, runs each job in a control group of its
	// own with these limits (else, for memory, under RLIMIT_AS); a CPU
	// limit without a cgroup is cgroup.ErrNoCgroup in the Summary.
	Limits cgroup.Limits
	// Guard runs a guard process (internal/guard) that kills every job's
	// process group, grandchildren included, if parmap dies, even by
	// SIGKILL. It re-executes this very program, which must run guard.Main
	// first thing when guard.Invoked reports true (cmd.Main does).
	Guard bool
}

// Pipe is pipe mode (--pipe, --pipepart).
type Pipe struct {
	// File is the input file; "" for standard input.
	File string
	// Ranges has each job read its own byte range of File (--pipepart).
	Ranges bool
	// Block is the size blocks are cut at, in bytes.
	Block int64
	// Header is the number of records repeated at the head of every block.
	Header int
	// Bounds, when set, are the record boundaries (--recend, --recstart,
	// -L, -N) instead of Records.Delim; with Ranges, only fixed strings
	// (blocks.NewRangesBounds).
	Bounds *blocks.Bounds
	// RoundRobin starts at most Jobs jobs and deals the blocks to their
	// stdin in turn (--round-robin); not with Ranges.
	RoundRobin bool
}

// Reuse is the long-lived workers' settings (--reuse).
type Reuse struct {
	Protocol   reuse.Protocol
	Window     int // records in flight per worker, at least 1
	MaxRecords int // records per worker before it is replaced; 0 for no limit
	// Line is the worker's command line (for slot 1): the job log's Command
	// for a record is Line and the record, quoted, and --resume matches by it.
	Line string
}

// Hosts is the ssh hosts jobs run on (-S).
type Hosts struct {
	// List is the hosts, each with its number of slots settled (none 0).
	List []hosts.Host
	// SSH is the ssh command; nil for ssh.
	SSH []string
	// Env is NAME=value for each variable passed to the jobs there (--env).
	Env []string
}

// Shard is one share of the jobs: those numbered n with (n-1) mod N = K.
// The zero Shard is every job.
type Shard struct{ K, N int }

// In reports whether job seq is in the shard.
func (s Shard) In(seq int64) bool { return slurm.InShard(seq, s.K, s.N) }

// Make is the run's part in GNU make's jobserver.
type Make struct {
	// Join is the jobserver of the make parmap runs under, whose slots the
	// jobs take; its Style is StyleNone when there is none.
	Join jobserver.Auth
	// Serve serves a jobserver of Jobs slots to the jobs, so that a make
	// or parmap they run shares the budget (--jobserver).
	Serve bool
	// Makeflags is MAKEFLAGS as parmap found it, the base of the one the
	// jobs get when it serves a jobserver.
	Makeflags string
}
