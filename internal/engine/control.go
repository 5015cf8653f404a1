package engine

import (
	"errors"
	"os"
	"sync"
	"sync/atomic"
	"syscall"

	"github.com/parmap/parmap/exchange"
	"github.com/parmap/parmap/internal/records"
)

// Control steers a run while it goes on, from other goroutines (a detached
// run's supervisor answering its control socket). The caller makes it with
// NewControl and hands it to Run in Streams.Control; the Config stays as it
// was. Every method is safe for concurrent use, may be called before Run
// starts (what it asks is done as the run starts) and after Run has
// returned (it then changes nothing), and returns without waiting for a
// job. A Control steers one Run.
//
// What each kind of run allows:
//
//   - A plain run (a process per record, also --pipe): everything.
//   - Over hosts (-S): SetJobs is ErrNotSupported (the slots are the
//     hosts'). With --round-robin too (its jobs are dealt the blocks:
//     fewer would leave the dealer waiting); Pause there also holds the
//     dealing of blocks to the running jobs.
//   - With Reuse: Status (Running is 0: records in flight are not
//     counted) and Stop; SetJobs, Pause and Continue are ErrNotSupported.
//
// Records are added to a running run through a records.Feed among its
// Sources (records.Feed.Source, records.Source.Then), not through the
// Control; Run rejects a Feed with Pipe (ErrNotSupported) and closes every
// Feed of its Sources when it ends.
type Control struct {
	mu      sync.Mutex
	x       *exchange.Exchange // the run's scheduler, once it has one
	reuse   bool               // a Reuse run: Stop goes through signals
	signals chan os.Signal     // Reuse: Stop's SIGHUP and SIGTERM
	started bool
	ended   bool
	jobs    int    // the limit asked by SetJobs before the scheduler came; -1: none
	cfgJobs int    // Config.Jobs, once the run has started
	fixed   string // the kind of run whose job count cannot change ("hosts", "round-robin"); "" for none
	paused  bool
	stop    stopAsked
	asked   chan struct{} // closed by the first Stop: ends a wait for the job log

	total      atomic.Int64 // records (blocks) read for jobs so far
	inputEnded atomic.Bool
	done       atomic.Int64 // Reuse: records finished
	failed     atomic.Int64 // Reuse: of those, failed
}

// stopAsked is what Stop asked so far.
type stopAsked int

const (
	notStopped stopAsked = iota
	drainAsked
	stopNowAsked
)

// State is where a run is.
type State int

const (
	// Running: jobs start as slots free up.
	Running State = iota
	// Paused: no new job starts (Pause); running ones go on.
	Paused
	// Draining: no new job starts any more (Stop, a signal, a halt);
	// running ones finish or are being stopped.
	Draining
	// Done: Run has returned.
	Done
)

var stateNames = [...]string{"running", "paused", "draining", "done"}

// String is the state's name in --status: running, paused, draining, done.
func (s State) String() string { return stateNames[s] }

// Status is a snapshot of a run.
type Status struct {
	State        State
	Done, Failed int64 // jobs (records, with Reuse) finished, and of those, failed
	Running      int   // jobs running now
	// Total is the records (blocks, with Pipe) read for jobs so far:
	// those --resume skips or another shard runs are not counted.
	// InputEnded says the input has ended: Total is the run's total.
	Total      int64
	InputEnded bool
	// Jobs is the most jobs that run at once now (Config.Jobs, SetJobs,
	// or lower when a resource ran out; exchange.MaxUnlimited for 0).
	Jobs int
}

// ErrNotSupported is what a Control operation that the run cannot do
// returns, wrapped in an *UnsupportedError.
var ErrNotSupported = errors.New("not supported by this run")

// UnsupportedError is a Control operation (or an added-records Feed) that
// this kind of run cannot do. errors.Is(err, ErrNotSupported) holds.
type UnsupportedError struct {
	Op  string // "SetJobs", "Pause", "Continue", "Add"
	Run string // "reuse", "pipe", "hosts"
}

func (e *UnsupportedError) Error() string { return e.Op + " is not supported by a " + e.Run + " run" }

// Is makes errors.Is(err, ErrNotSupported) true.
func (e *UnsupportedError) Is(target error) bool { return target == ErrNotSupported }

// ErrBadJobs is SetJobs with a negative number.
var ErrBadJobs = errors.New("the number of jobs cannot be negative")

// NewControl returns a Control for a run yet to start.
func NewControl() *Control {
	return &Control{jobs: -1, asked: make(chan struct{})}
}

// Status returns a snapshot of the run. It takes two short locks and
// costs the same whatever the run's size.
func (c *Control) Status() Status {
	c.mu.Lock()
	defer c.mu.Unlock()
	s := Status{Total: c.total.Load(), InputEnded: c.inputEnded.Load(), State: Running}
	stopping := c.stop != notStopped
	switch {
	case c.x != nil:
		n := c.x.Counts()
		s.Done, s.Failed, s.Running, s.Jobs = n.Done, n.Failed, n.Running, n.Limit
		stopping = stopping || n.Stopping
	case c.reuse:
		s.Done, s.Failed, s.Jobs = c.done.Load(), c.failed.Load(), c.cfgJobs
	default: // not started yet
		s.Jobs = c.cfgJobs
		if c.jobs >= 0 {
			s.Jobs = c.jobs
		}
	}
	if s.Jobs <= 0 {
		s.Jobs = exchange.MaxUnlimited
	}
	switch {
	case c.ended:
		s.State = Done
	case stopping:
		s.State = Draining
	case c.paused:
		s.State = Paused
	}
	return s
}

// SetJobs makes n the most jobs that run at once from now on (0: as many
// as there are records, up to exchange.MaxUnlimited). Raised, waiting jobs
// start at once; lowered, no job is stopped: new ones wait until fewer
// run. A limit a resource shortage lowered is replaced: if the resource
// runs out again, the run lowers it again (Notice JobsLowered).
func (c *Control) SetJobs(n int) error {
	if n < 0 {
		return ErrBadJobs
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	switch {
	case c.reuse:
		return &UnsupportedError{Op: "SetJobs", Run: "reuse"}
	case c.fixed != "":
		return &UnsupportedError{Op: "SetJobs", Run: c.fixed}
	case c.x != nil:
		if err := c.x.SetLimit(n); errors.Is(err, exchange.ErrFixedSlots) {
			return &UnsupportedError{Op: "SetJobs", Run: "hosts"}
		}
	default:
		c.jobs = n
	}
	return nil
}

// Pause starts no new job until Continue; running jobs go on.
func (c *Control) Pause() error { return c.setPaused(true, "Pause") }

// Continue undoes Pause: jobs start again.
func (c *Control) Continue() error { return c.setPaused(false, "Continue") }

func (c *Control) setPaused(paused bool, op string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.reuse {
		return &UnsupportedError{Op: op, Run: "reuse"}
	}
	c.paused = paused
	switch {
	case c.x == nil:
	case paused:
		c.x.Pause()
	default:
		c.x.Continue()
	}
	return nil
}

// Stop stops the run. Without now it drains, as SIGHUP does: no new job
// starts, running ones go on to their end. With now it stops running jobs
// too, as SIGTERM does (TERM to each job's group, KILL after
// Config.KillAfter), and the Summary says Stopped; a second Stop(true)
// kills them at once. A run waiting for its job log's lock ends the wait
// (with nothing run).
func (c *Control) Stop(now bool) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	ask := drainAsked
	if now {
		ask = stopNowAsked
	}
	if c.stop == notStopped {
		close(c.asked)
	}
	c.stop = max(c.stop, ask)
	switch {
	case c.x != nil:
		c.x.Stop(now)
	case c.reuse:
		sig := os.Signal(syscall.SIGHUP)
		if now {
			sig = syscall.SIGTERM
		}
		select {
		case c.signals <- sig:
		default: // the run acts on those pending first
		}
	}
	return nil
}

// stopNow reports whether Stop(true) was asked.
func (c *Control) stopNow() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.stop == stopNowAsked
}

// begin marks cfg's run started.
func (c *Control) begin(cfg *Config) {
	if c == nil {
		return
	}
	c.mu.Lock()
	c.started, c.cfgJobs = true, cfg.Jobs
	switch {
	case cfg.Hosts != nil:
		c.fixed = "hosts"
	case cfg.Pipe != nil && cfg.Pipe.RoundRobin:
		c.fixed = "round-robin"
	}
	if c.fixed != "" {
		c.jobs = -1 // a SetJobs before the run cannot be kept
	}
	c.mu.Unlock()
}

// attach hands the run's scheduler to c, and does to it what was asked
// before.
func (c *Control) attach(x *exchange.Exchange) {
	if c == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.x = x
	if c.jobs >= 0 {
		x.SetLimit(c.jobs)
	}
	if c.paused {
		x.Pause()
	}
	if c.stop != notStopped {
		x.Stop(c.stop == stopNowAsked)
	}
}

// attachReuse makes c steer a Reuse run, whose workers' scheduler acts on
// the signals returned: those of the run's Streams, and Stop's. stop ends
// the forwarding once the run has ended.
func (c *Control) attachReuse(from <-chan os.Signal) (sigs <-chan os.Signal, stop func()) {
	if c == nil {
		return from, func() {}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.reuse = true
	c.signals = make(chan os.Signal, 2)
	switch c.stop {
	case drainAsked:
		c.signals <- syscall.SIGHUP
	case stopNowAsked:
		c.signals <- syscall.SIGTERM
	}
	if from == nil {
		return c.signals, func() {}
	}
	merged := make(chan os.Signal)
	end := make(chan struct{})
	go func() {
		for {
			var sig os.Signal
			select {
			case sig = <-from:
			case sig = <-c.signals:
			case <-end:
				return
			}
			select {
			case merged <- sig:
			case <-end:
				return
			}
		}
	}()
	return merged, func() { close(end) }
}

// end marks the run ended.
func (c *Control) end() {
	if c == nil {
		return
	}
	c.mu.Lock()
	c.ended = true
	c.mu.Unlock()
}

// read counts one record (block) read for a job.
func (c *Control) read() {
	if c != nil {
		c.total.Add(1)
	}
}

// readAll marks the input ended.
func (c *Control) readAll() {
	if c != nil {
		c.inputEnded.Store(true)
	}
}

// finished counts a record a Reuse run finished.
func (c *Control) finished(failed bool) {
	if c == nil {
		return
	}
	c.done.Add(1)
	if failed {
		c.failed.Add(1)
	}
}

// readOne counts a record (block) read for a job: the progress bar's and
// the Control's total.
func (r *run) readOne() {
	r.bar.Add(1)
	r.st.Control.read()
}

// countRecords has the progress bar count rd's records before they are
// read, when their sources can be read twice (files, ::: values), so that
// it shows the real total from the start. Called before rd is read.
func (r *run) countRecords() {
	if r.bar == nil {
		return
	}
	if count, ok := records.Counter(r.cfg.Sources, r.st.Stdin, r.cfg.Records); ok {
		r.bar.Count(count)
	}
}

// inputDone tells the progress bar and the Control that the input ended.
func (r *run) inputDone() {
	r.bar.InputDone()
	r.st.Control.readAll()
}
