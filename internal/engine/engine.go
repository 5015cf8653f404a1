// Package engine runs one parmap run, driven by a Config, without knowing
// the command line: the CLI, a detached supervisor and a cluster agent call
// Run alike. A record goes one way through it:
//
//	records.Reader ──▶ job (a task) ──▶ tasks (bounded queue)
//	                                      │
//	                                      ▼
//	exchange.Exchange: a job slot ──▶ job.Spec (template.Expand; output wired)
//	                                      │
//	                                      ▼
//	channel.Start ── the child runs ──▶ channel.Result
//	                                      │
//	                                      ▼
//	run.done (job log, --results, the job's output form) ──▶ pmap Map (-k) | Queue
//	                                      │
//	                                      ▼
//	run.emit ──▶ pmap.Output ──▶ stdout, stderr (above the progress bar, on its terminal)
//
// With Reuse, reuse.Pool's workers stand in for the per-record channels
// (runReuse); with Pipe, blocks of the input stand in for the records.
//
// Nothing here prints a word of its own: what the user should be told is
// a Notice, or a typed error in the Summary, and the caller words it.
//
// # Live control
//
// A run can be steered while it goes on (a detached run's supervisor):
// the caller makes a Control with NewControl, hands it to Run in
// Streams.Control, and calls it from any goroutine, before, during or
// after the run:
//
//	ctl.Status() Status        // state, done, failed, running, total, jobs; O(1)
//	ctl.SetJobs(n int) error   // resize the job limit live, up or down
//	ctl.Pause() error          // start no new job; running ones go on
//	ctl.Continue() error
//	ctl.Stop(now bool) error   // drain (as SIGHUP), or stop the jobs too (as SIGTERM)
//
// Records are added to a running run through a records.Feed among the
// Config's Sources (records.Feed.Source, or records.Source.Then after the
// run's own input); they go through the job log and Resume as any record.
// The Control drives the same paths a signal, a halt or a shortage of
// resources does (exchange.Exchange's SetLimit, Pause, Stop); with Reuse,
// and with a Feed under Pipe, what the run cannot do is an
// *UnsupportedError (ErrNotSupported). Without a Control a run pays a nil
// check per record.
package engine

import (
	"context"
	"errors"
	"io"
	"os"
	"sync"
	"syscall"

	"github.com/parmap/parmap/exchange"
	"github.com/parmap/parmap/internal/cgroup"
	"github.com/parmap/parmap/internal/devices"
	"github.com/parmap/parmap/internal/guard"
	"github.com/parmap/parmap/internal/joblog"
	"github.com/parmap/parmap/internal/pressure"
	"github.com/parmap/parmap/internal/progress"
	"github.com/parmap/parmap/internal/records"
	"github.com/parmap/parmap/internal/results"
	"github.com/parmap/parmap/internal/slurm"
	"github.com/parmap/parmap/pmap"
)

// Streams are what a run reads and writes besides its files.
type Streams struct {
	// Stdin is read for records (or blocks) when a source is standard input.
	Stdin io.Reader
	// Stdout and Stderr are the run's output; jobs may be handed them
	// directly (-u, and -k for the job whose turn it is).
	Stdout, Stderr *os.File
	// Signals delivers the signals the run acts on (SIGINT, SIGTERM,
	// SIGHUP, SIGTSTP, SIGCONT); nil for none.
	Signals <-chan os.Signal
	// Word turns a Notice into the line written to Stderr between jobs'
	// output, "" for none. nil says nothing.
	Word func(Notice) string
	// Control, when set, steers the run while it goes on (Status,
	// SetJobs, Pause, Continue, Stop); nil for none.
	Control *Control
}

// Summary is what a run came to.
type Summary struct {
	Done, Failed int64 // jobs (records, with Reuse) finished, and of those, failed
	// Signal is the SIGINT or SIGTERM that stopped the run, 0 when none.
	Signal syscall.Signal
	// Stopped is true when Control.Stop(true) stopped the run's jobs.
	Stopped bool
	// Halted is true when the halt policy stopped the run; HaltExit is the
	// exit status it calls for (exchange.Halt.Exit: GNU parallel's).
	Halted   bool
	HaltExit int
	// Err is why the run could not start (an input, file, jobserver or
	// host it needs) or gave up (ErrHostsDown; the workers cannot start or
	// keep dying: a reuse.StartError or reuse.DyingError).
	Err error
	// InputErr is reading the records failed part way.
	InputErr error
	// OutputErr is the first error writing to Stdout (syscall.EPIPE for a
	// closed pipe); the run stopped its jobs on it.
	OutputErr error
	// Lost counts the jobs part of whose output could not be written: when
	// any did, or OutputErr is not EPIPE, the run's output is incomplete.
	Lost Lost
}

// Lost counts the jobs that lost output, each job once for each place.
type Lost struct {
	// Output: jobs whose output did not reach Stdout and Stderr whole. It
	// was lost in the temporary directory or could not be read back
	// (JobOutputLost), or a stream failed (OutputErr, or Stderr; not
	// counted for a closed pipe, which only stops the run).
	Output int64
	// Results: jobs whose --results files could not all be written
	// (JobResultsFailed).
	Results int64
	// Joblog: jobs whose job log line could not be written (JoblogFailed);
	// Resume runs them again.
	Joblog int64
}

// Any reports whether any job lost output.
func (l Lost) Any() bool { return l.Output+l.Results+l.Joblog > 0 }

// outputBudget bounds the bytes of finished jobs' output held in memory while
// waiting for their turn; beyond it they spill to a temporary file.
const outputBudget = 4 << 20

// maxHeldCaptures bounds the capture pairs held by waiting outputs (two
// file descriptors each); beyond it, waiting output moves into buffers.
const maxHeldCaptures = 256

// run is the state of one run shared by its jobs.
type run struct {
	cfg   *Config
	st    Streams
	out   *pmap.Output
	bar   *progress.Progress
	env   []string // Config.Env without the per-job variables, and with a served MAKEFLAGS
	paths sync.Map // program name → path found in PATH

	records *records.Reader // the records, without Pipe; nil once the reader goroutine owns it
	blocks  *blockSource    // the blocks, with Pipe
	make    *makeJobs
	remote  *remote         // -S; nil without it
	agents  *agentPool      // Agents; nil without them
	log     *joblog.Log     // nil without a job log
	skip    map[string]bool // Resume: command lines logged (that succeeded, with ResumeFailed)
	dir     *results.Dir    // nil without --results
	table   *resultsTable   // nil without --results FILE.csv, .tsv, .json
	lost    lostJobs        // the jobs that lost output, for Summary.Lost
	guard   *guard.Guard    // Config.Guard, when jobs run here; nil otherwise
	limits  *cgroup.Tree    // Config.Limits; nil without
	usage   usageTotals     // what the jobs used
	closers []func()        // what open opened, closed in reverse by close

	// live are the writers -u's jobs get instead of Stdout and Stderr,
	// nil for none: those on the progress bar's terminal (aboveBar).
	live [2]io.Writer

	// Set by runJobs:
	x        *exchange.Exchange // nil with Reuse
	budget   *pmap.Budget
	captures *pmap.CapturePool // Group mode; nil otherwise
	order    pmap.Orderer[*job]
}

// Run runs cfg to its end, a signal (st.Signals) or ctx, and returns once
// every job it started has ended and every file it opened is closed.
func Run(ctx context.Context, cfg *Config, st Streams) Summary {
	st.Control.begin(cfg)
	defer st.Control.end()
	r, err := open(ctx, cfg, st)
	if err != nil {
		var stop *stopError
		if errors.As(err, &stop) {
			return stop.summary()
		}
		return Summary{Err: err}
	}
	defer r.close()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	r.bar = progress.New(st.Stderr, cfg.Progress)
	// A failed write to stdout stops the run: its output has nowhere to go.
	stdout, stderr := r.aboveBar()
	r.out = pmap.NewOutput(stdout, stderr, func(error) { cancel() })
	if cfg.Joblog == joblog.Stdout && !cfg.DryRun {
		// Between the jobs' outputs; a failed write is the output's error.
		r.log, _ = joblog.NewStream("standard output", r.out.Stdout)
	}
	var sum Summary
	if cfg.Reuse != nil {
		sum = r.runReuse(ctx)
	} else {
		sum = r.runJobs(ctx)
	}
	sum.OutputErr = r.out.Err()
	sum.Lost = r.lost.count()
	return sum
}

// open opens what the run reads from and writes to besides its streams, in
// the order their errors are reported: the input, make's jobserver, the
// hosts, the job log, the results directory.
func open(ctx context.Context, cfg *Config, st Streams) (r *run, err error) {
	r = &run{cfg: cfg, st: st}
	defer func() {
		if err != nil {
			r.close()
		}
	}()
	for _, src := range cfg.Sources {
		// A run that ends stops its feeds: an Add returns an error, and
		// a reader waiting on one ends.
		for _, f := range src.Feeds() {
			r.closers = append(r.closers, f.Close)
			if cfg.Pipe != nil {
				return r, &UnsupportedError{Op: "Add", Run: "pipe"}
			}
		}
	}
	if cfg.Pipe != nil {
		if r.blocks, err = openBlocks(cfg.Pipe, cfg.Records.Delim, st.Stdin); err != nil {
			return r, err
		}
		// Jobs read their ranges of the file until the run ends.
		r.closers = append(r.closers, r.blocks.close)
	} else {
		if r.records, err = records.Open(cfg.Sources, st.Stdin, cfg.Records); err != nil {
			return r, err
		}
		r.closers = append(r.closers, func() {
			if r.records != nil { // no reader goroutine took it
				r.records.Close()
			}
		})
	}
	if r.make, err = openMakeJobs(cfg); err != nil {
		return r, err
	}
	// Every slot taken from make goes back.
	r.closers = append(r.closers, r.make.close)
	r.env = baseEnv(cfg.Env, r.make.env)
	if cfg.Devices != nil {
		r.env = withoutVars(r.env, devices.Vars)
	}
	if cfg.Hosts != nil && !cfg.DryRun {
		if r.remote, err = openRemote(ctx, cfg.Hosts, r.notify); err != nil {
			return r, err
		}
		r.closers = append(r.closers, r.remote.close)
	}
	if cfg.Agents != nil && !cfg.DryRun {
		if r.agents, err = openAgents(ctx, cfg, r.env, r.notify); err != nil {
			return r, err
		}
		r.closers = append(r.closers, r.agents.close)
	}
	if cfg.Joblog != "" && cfg.Joblog != joblog.Stdout && !cfg.DryRun {
		// The log first: once its lock is held, no other run (nor the
		// guard of a killed one) changes what it says.
		if r.log, err = r.openLog(ctx); err != nil {
			return r, err
		}
		r.closers = append(r.closers, func() { r.log.Close() })
	}
	if cfg.Joblog != "" && cfg.Joblog != joblog.Stdout && cfg.Resume {
		// A dry run reads the log too (and writes none): it prints what
		// the resumed run would run.
		if cfg.ResumeFailed {
			r.skip, err = joblog.Succeeded(cfg.Joblog, cfg.Success)
		} else {
			r.skip, err = joblog.Logged(cfg.Joblog)
		}
		if err != nil {
			return r, &JoblogError{Path: cfg.Joblog, Err: err}
		}
	}
	r.openGuard()
	if err := r.openLimits(); err != nil {
		return r, err
	}
	if cfg.Results != "" && !cfg.DryRun && results.FormatOf(cfg.Results) != results.NoTable {
		return r, r.openTable()
	}
	if cfg.Results != "" && !cfg.DryRun {
		if r.dir, err = results.OpenDir(cfg.Results); err != nil {
			return r, err
		}
	}
	return r, nil
}

// close releases what open opened, last opened first.
func (r *run) close() {
	for i := len(r.closers) - 1; i >= 0; i-- {
		r.closers[i]()
	}
	r.closers = nil
}

// notify tells the user n, between jobs' output once there is output, and
// counts a job that lost output.
func (r *run) notify(n Notice) {
	r.lost.note(n)
	if r.st.Word == nil {
		return
	}
	line := r.st.Word(n)
	if line == "" {
		return
	}
	if r.out != nil {
		r.out.Message(line)
		return
	}
	io.WriteString(r.st.Stderr, line+"\n")
}

// exchangeOptions are the scheduler's settings for this run.
func (r *run) exchangeOptions() exchange.Options {
	cfg := r.cfg
	opt := exchange.Options{
		Jobs:       cfg.Jobs,
		KillAfter:  cfg.KillAfter,
		Success:    cfg.Success,
		Signals:    r.st.Signals,
		DryRun:     cfg.DryRun,
		Timeout:    cfg.Timeout,
		Retries:    cfg.Retries,
		RetryDelay: cfg.RetryDelay,
		Delay:      cfg.Delay,
		Halt:       cfg.Halt,
		Stop:       cfg.Stop,
		Halted:     r.halted,
		Lowered:    r.lowered,
		MaxJobs:    slotSets(cfg),
	}
	if r.make.client != nil {
		opt.Tokens = r.make
	}
	if cfg.Pressure.Any() {
		opt.Gate, opt.Shed = pressure.NewGate(cfg.Pressure), r.shed
	}
	if cfg.Slurm != nil {
		opt.StopSignal = slurm.StopSignal
	}
	if r.remote != nil {
		r.remote.exchangeOptions(&opt, r.notify)
	}
	if r.agents != nil {
		r.agents.exchangeOptions(&opt, r.notify)
	}
	return opt
}

// halted tells that a job triggered the halt policy.
func (r *run) halted(ev exchange.HaltEvent) {
	j, ok := ev.Task.(*job)
	if !ok {
		return
	}
	r.notify(Notice{Kind: JobHalted, Seq: j.rec.Seq, Command: j.cmd.Line, Exit: ev.Result.Exit,
		Signal: ev.Result.Signal, Err: ev.Result.Err, Halt: r.cfg.Halt,
		Done: ev.Done, Failed: ev.Failed, Total: ev.Total, Running: ev.Running})
}
