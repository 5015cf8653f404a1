// Package exchange is parmap's scheduler: it takes tasks from a bounded queue,
// keeps at most N of them running, each in a job slot of its own, bounds them
// in time (--timeout), reruns failed ones (--retries), spaces their starts
// (--delay), stops early by a halt policy (--halt), and acts on signals (stop,
// drain, suspend, resume). It knows nothing of how output is printed: each
// finished task is handed to a callback with its result.
//
// A run can also be steered while it goes on, from other goroutines:
// SetLimit resizes the job limit (up, or down without stopping a job),
// Pause and Continue stop and restart starting new jobs, Stop drains or
// stops the jobs as SIGHUP and SIGTERM do, and Counts takes a snapshot
// (done, failed, running, the limit) under a short lock.
package exchange

import (
	"context"
	"errors"
	"os"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/parmap/parmap/channel"
)

// MaxUnlimited is how many jobs -j 0 runs at once at most.
const MaxUnlimited = 1024

// Task is one job waiting for a slot.
type Task interface {
	// Spec describes the job's process once it has its slot (1..Jobs).
	// An error makes the job a failed one without starting anything.
	Spec(slot int) (channel.Spec, error)
}

// Done receives every task taken from the channel exactly once, with the
// slot it ran in and its result. It is called from the job's own goroutine,
// concurrently with other calls; the slot is given back when it returns, so
// a slow Done holds back new jobs (backpressure from the output). A task
// the run stopped before it started (a signal, a drain, a halt, the
// context) comes with Err ErrNotStarted: it never ran, and the Summary does
// not count it.
type Done func(t Task, slot int, res channel.Result)

// ErrNotStarted is the Result.Err of a task that never ran because the run
// starts no more jobs.
var ErrNotStarted = errors.New("not started: the run starts no more jobs")

// ErrSkipped, returned by a Task's Spec, skips the task: it does not run
// and, like a task the run stopped before it started, comes to Done with
// Err ErrNotStarted and is not counted (xargs -p answered no).
var ErrSkipped = errors.New("skipped")

// Options are the scheduler's settings.
type Options struct {
	// Jobs is the number of job slots; 0 means as many as there are tasks,
	// up to MaxUnlimited. A slot costs nothing until a task needs it: the
	// slots start one by one as tasks come, so a Jobs far above the tasks
	// costs no memory.
	Jobs int
	// MaxJobs, when above 0, is the most slots the run may ever have,
	// whatever Jobs or SetLimit ask for: it caps both (Jobs 0 then means
	// MaxJobs). Slots are numbered 1..MaxJobs, and a slot runs one job at
	// a time, so a resource tied to each slot number (a device set, a CPU
	// set) is held by at most one running job.
	MaxJobs int
	// Lowered, when set, is told once when the run first runs out of a
	// resource (a channel.Resource error: descriptors, processes, memory)
	// while jobs of its own run: from then on at most running jobs run at
	// once (fewer if it runs out again), and the job that could not start
	// waits for a running one to end and starts then. err is what the
	// system said. A job that runs out with none of the run's jobs
	// running fails with that error.
	Lowered func(running int, err error)
	// KillAfter is how long jobs get after SIGTERM or SIGINT before SIGKILL.
	KillAfter time.Duration
	// StopSignal, when set, is what jobs get when parmap is stopped by
	// SIGINT or SIGTERM, instead of the same signal (srun ends a job step
	// on SIGTERM, while one SIGINT only makes it print a status).
	StopSignal syscall.Signal
	// Success lists the exit values that count as success; nil means 0.
	Success map[int]bool
	// Signals delivers the signals parmap caught; nil for none.
	Signals <-chan os.Signal
	// DryRun hands every task to Done with a zero Result instead of running it.
	DryRun bool
	// Timeout stops a job that runs longer: SIGTERM to its group, SIGKILL
	// after KillAfter. 0 means no limit.
	Timeout time.Duration
	// Retries runs a failed job up to that many more times, waiting
	// RetryDelay before the first rerun and twice as long before each next.
	Retries    int
	RetryDelay time.Duration
	// Delay is the least time between two job starts.
	Delay time.Duration
	// Halt stops the run early when enough jobs failed or succeeded.
	// Halted, when set, is told the job that triggered it, once Done has
	// returned for it.
	Halt   Halt
	Halted func(HaltEvent)
	// Stop stops the run at one of the job ends it names (as a halt soon).
	Stop StopOn
	// Hosts, when set, spreads the slots over hosts: host i has
	// Hosts[i] slots, numbered after those of the hosts before it, and Jobs
	// is their sum. A run whose result HostFailed reports as the host's
	// fault (ssh's exit 255) takes that host out of rotation: its slots
	// start nothing more, and the task runs again on another host's slot
	// (HostDown is told, once per host). With every host down, the tasks
	// left are not run and Summary.HostsDown says so.
	Hosts []int
	// HostAhead, when set, marks the last HostAhead[i] of host i's slots
	// as slots ahead: they hold a task sent on to the host before a slot
	// is free there (an agent's queue), and take one only while every
	// other slot of the hosts in rotation is busy, so that no task waits
	// on one host while another idles.
	HostAhead  []int
	HostFailed func(host int, res channel.Result) bool
	HostDown   func(host int, res channel.Result)
	// Tokens, when set, is a budget of job slots shared with other
	// programs (make's jobserver): a job starts only once it holds a token,
	// and gives it back when it has ended. Jobs still caps the slots.
	Tokens Tokens
	// Gate, when set, is asked before each job starts whether it may (the
	// machine's load and memory); a job it turns away waits for a job to
	// end or the time it names, and asks again. While jobs run, its Shed is
	// asked every Watch, and the youngest running job is stopped when it
	// says so: the job fails (Retries runs it again), and Shed is told.
	Gate Gate
	Shed func(t Task, slot int, res channel.Result)
}

// Tokens hands out job slots shared with other programs.
type Tokens interface {
	// Acquire waits for a slot; it fails when ctx is done. release gives
	// the slot back.
	Acquire(ctx context.Context) (release func(), err error)
}

// A Watcher is a Task that is told its process once it has started, for a
// task that talks to its process while it runs (a reused worker). Started is
// called from the slot's goroutine before the exchange waits for the process.
type Watcher interface {
	Started(c *channel.Child)
}

// A Retrier is a Task that must forget a failed run (its output) before it
// runs again under Options.Retries.
type Retrier interface {
	Retry()
}

// Summary is what a run came to.
type Summary struct {
	Done   int64 // tasks finished (failed ones included)
	Failed int64
	// Signal is the SIGINT or SIGTERM that stopped the run, 0 when none.
	Signal syscall.Signal
	// Canceled is true when the context stopped the run.
	Canceled bool
	// Halted is true when the Halt policy stopped the run; HaltExit is the
	// exit status it calls for (Halt.Exit; Exchange.Halt's exit).
	Halted   bool
	HaltExit int
	// HostsDown is true when every host was taken out of rotation.
	HostsDown bool
	// Lowered is how many jobs at once the run was lowered to when it ran
	// out of a resource (Options.Lowered); 0 when it never was (or
	// SetLimit set the limit since).
	Lowered int
	// Stopped is true when Stop(true) stopped the run's jobs.
	Stopped bool
}

// Exchange runs tasks. Its zero value is not usable; call New.
type Exchange struct {
	opt      Options
	tasks    <-chan Task
	done     Done
	quit     chan struct{} // closed when no new job may start
	quitOnce sync.Once
	quitCtx  context.Context // done when quit is closed, for Tokens.Acquire
	quitStop context.CancelFunc
	wg       sync.WaitGroup // one count per slot goroutine

	mu        sync.Mutex
	running   map[int]*channel.Child // by slot
	lingering []int                  // process groups left by finished jobs
	doneCount int64
	failed    int64
	total     int64          // SetTotal; 0 while not known
	slots     int            // slot goroutines started
	idle      int            // of those, how many wait for a task
	limit     int            // slots at most and jobs at once: Jobs, lowered when resources run out
	lowered   bool           // limit was lowered
	waiting   int            // slots waiting for a job to end (short)
	finishing int            // Done calls under way
	ended     chan struct{}  // closed and replaced when a job ends while some wait
	ends      atomic.Uint64  // jobs ended so far; changed under mu
	stopping  syscall.Signal // what running jobs were sent when the run began to stop; no job starts after it
	halted    bool
	haltExit  int
	haltNow   chan struct{} // receives once when a HaltNow policy triggers
	stopNow   chan struct{} // receives Stop(true) for Run's goroutine
	paused    bool          // Pause: no job starts until Continue
	steered   atomic.Bool   // Pause or SetLimit was called: slots pass the gate before taking a task
	shedding  map[int]bool  // slots whose job the Gate had stopped

	delayMu   sync.Mutex // serialises starts under Delay
	lastStart time.Time
	turns     turns // the order of starts under Delay

	hosts *hostRotation // with Options.Hosts
}

// New returns an Exchange with the given options.
func New(opt Options) *Exchange {
	x := &Exchange{opt: opt, running: make(map[int]*channel.Child), haltNow: make(chan struct{}, 1), quit: make(chan struct{}),
		ended: make(chan struct{}), stopNow: make(chan struct{}, 1)}
	x.quitCtx, x.quitStop = context.WithCancel(context.Background())
	x.turns.cond.L = &x.turns.mu
	if len(opt.Hosts) > 0 {
		x.hosts = newHostRotation(opt.Hosts, opt.HostAhead)
		x.opt.Jobs = x.hosts.slots()
	}
	return x
}

// Quit returns a channel that is closed once the run starts no more tasks:
// after a signal, a halt, a Drain, or when the context is done.
func (x *Exchange) Quit() <-chan struct{} { return x.quit }

// Drain starts no more tasks; running ones go on to their end.
func (x *Exchange) Drain() { x.closeQuit() }

// Run takes tasks until the channel is closed, a signal or ctx stops it, and
// returns once every job it started has finished and Done has returned for it.
//
// Each job slot is a goroutine of its own that takes the next task from the
// channel as soon as its previous job is done, so a finished job hands its
// slot on without a detour through a scheduler loop. Run's own goroutine
// acts on signals and the context meanwhile. The slots start one at a
// time (grow), up to Jobs; hosts' slots all start at once.
func (x *Exchange) Run(ctx context.Context, tasks <-chan Task, done Done) Summary {
	var sum Summary
	stop := stopper{x: x}
	x.tasks, x.done = tasks, done
	x.mu.Lock() // SetLimit may be called from now on
	x.limit = x.capped(x.opt.Jobs)
	n := 1 // more are started as they are needed
	if x.hosts != nil {
		n = x.hosts.slots()
		x.limit = n
	}
	x.slots, x.idle = n, n
	for slot := 1; slot <= n; slot++ {
		x.wg.Add(1)
		go x.runSlot(slot)
	}
	x.mu.Unlock()
	finished := make(chan struct{})
	go func() { x.wg.Wait(); close(finished) }()

	ctxDone := ctx.Done()
	watch, stopWatch := x.shedTicker()
	defer stopWatch()
	for waiting := true; waiting; {
		select {
		case <-finished:
			waiting = false
		case <-watch:
			x.shed()
		case sig := <-x.opt.Signals:
			stop.handle(sig.(syscall.Signal), &sum)
		case <-ctxDone:
			ctxDone = nil
			sum.Canceled = true
			stop.begin(syscall.SIGTERM)
		case <-x.haltNow:
			stop.begin(syscall.SIGTERM)
		case <-x.stopNow:
			stop.now(&sum)
		}
	}
	x.mu.Lock()
	for _, pgid := range x.lingering {
		channel.KillGroup(pgid)
	}
	x.lingering = nil
	sum.Done, sum.Failed = x.doneCount, x.failed
	sum.Halted, sum.HaltExit = x.halted, x.haltExit
	if x.lowered {
		sum.Lowered = x.limit
	}
	x.mu.Unlock()
	if x.hosts != nil {
		sum.HostsDown = x.hosts.allDown()
	}
	return sum
}

// capped is the limit n asks for (0 or less: MaxUnlimited), at most
// Options.MaxJobs.
func (x *Exchange) capped(n int) int {
	if n <= 0 {
		n = MaxUnlimited
	}
	if x.opt.MaxJobs > 0 && n > x.opt.MaxJobs {
		n = x.opt.MaxJobs
	}
	return n
}

// closeQuit tells every slot to start no more jobs.
func (x *Exchange) closeQuit() {
	x.quitOnce.Do(func() {
		close(x.quit)
		x.quitStop()
	})
}

// runSlot is the goroutine of job slot number slot: it runs tasks one after
// another until the tasks run out or the run must start no more jobs.
func (x *Exchange) runSlot(slot int) {
	defer x.wg.Done()
	if x.hosts != nil {
		x.runHostSlot(slot)
		return
	}
	for {
		if x.steered.Load() && !x.gate() {
			return
		}
		t, tk, ok := x.take()
		if !ok {
			return
		}
		select {
		case <-x.quit:
			x.turns.pass(tk)
			x.done(t, slot, channel.Result{Err: ErrNotStarted}) // a stop came while the task was taken
			return
		default:
		}
		x.mu.Lock()
		x.idle--
		x.mu.Unlock()
		x.run(t, slot, x.done, tk)
		x.mu.Lock()
		x.idle++
		x.wake() // a slot waiting at the gate counts busy slots
		x.mu.Unlock()
	}
}

// take takes the next task from the queue, with its ticket under Delay; ok
// is false once the queue has ended or the run starts no more jobs.
func (x *Exchange) take() (t Task, tk *ticket, ok bool) {
	if x.opt.Delay > 0 && !x.opt.DryRun {
		x.turns.take.Lock()
		defer x.turns.take.Unlock()
	}
	select {
	case <-x.quit:
		return nil, nil, false
	case t, ok = <-x.tasks:
		if !ok {
			return nil, nil, false
		}
	}
	if x.opt.Delay > 0 && !x.opt.DryRun {
		tk = x.turns.issue()
	}
	return t, tk, true
}

// run runs one task in slot, again under Retries while it fails, and hands
// the last run's result to done. Under Delay, tk is the task's place in the
// order of starts: it waits for its turn before anything else.
func (x *Exchange) run(t Task, slot int, done Done, tk *ticket) {
	x.turns.await(tk)
	defer x.turns.pass(tk) // when it never started
	var res channel.Result
	if x.opt.Tokens != nil && !x.opt.DryRun {
		release, err := x.opt.Tokens.Acquire(x.quitCtx)
		if err != nil {
			// The run is stopping: the job does not start.
			done(t, slot, channel.Result{Err: ErrNotStarted})
			return
		}
		defer func() {
			if release != nil {
				release()
			}
		}()
		// The slot goes back as soon as the job has ended, before its
		// output is written.
		done = func(t Task, slot int, res channel.Result) {
			release()
			release = nil
			x.done(t, slot, res)
		}
	}
	for attempt := 0; ; attempt++ {
		r := x.attempt(t, slot, tk)
		if r.Err == ErrNotStarted {
			if attempt == 0 {
				done(t, slot, r) // it never ran, and is not counted
				return
			}
			break // the last run stands
		}
		res = r
		if x.hosts != nil && x.hostFailed(t, slot, res) {
			return // the task runs again elsewhere
		}
		if x.opt.DryRun || !res.Failed(x.opt.Success) || attempt >= x.opt.Retries {
			break
		}
		if !x.pause(x.opt.RetryDelay << attempt) {
			break
		}
		if r, ok := t.(Retrier); ok {
			r.Retry()
		}
	}
	x.finish(t, slot, res, done)
}

// attempt runs the task once. A Spec that fails for want of a resource (a
// capture file, out of descriptors) is made again once a running job has
// ended, as a process that cannot start is (spawn).
func (x *Exchange) attempt(t Task, slot int, tk *ticket) channel.Result {
	for {
		ends := x.ends.Load()
		spec, err := t.Spec(slot)
		switch {
		case err == nil && x.opt.DryRun:
			return channel.Result{}
		case err == nil:
			return x.start(t, spec, slot, tk)
		case errors.Is(err, ErrSkipped):
			return channel.Result{Err: ErrNotStarted}
		}
		if _, ok := channel.Resource(err); ok && !x.opt.DryRun {
			x.mu.Lock()
			again, stopped := x.short(err, ends)
			x.mu.Unlock()
			if stopped {
				return channel.Result{Err: ErrNotStarted}
			}
			if again {
				continue
			}
		}
		return channel.Result{Exit: channel.ExitNotExecutable, Err: err, Start: time.Now()}
	}
}

// pause waits d, or less if the run is told to start no more jobs; it
// reports whether the whole time passed.
func (x *Exchange) pause(d time.Duration) bool {
	if d <= 0 {
		select {
		case <-x.quit:
			return false
		default:
			return true
		}
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-x.quit:
		return false
	}
}

// stopAll stops every running job (channel.Child.Stop: sig, SIGCONT, and
// SIGKILL after KillAfter) and signals the groups finished jobs left behind
// (Run kills those when it ends). From now on no job starts.
func (x *Exchange) stopAll(sig syscall.Signal) {
	x.mu.Lock()
	defer x.mu.Unlock()
	x.stopping = sig
	for _, c := range x.running {
		c.Stop(sig, x.opt.KillAfter)
	}
	for _, pgid := range x.lingering {
		syscall.Kill(-pgid, sig)
		syscall.Kill(-pgid, syscall.SIGCONT)
	}
}

// signalAll sends sig to every running job's process group, and to the
// groups finished jobs left behind.
func (x *Exchange) signalAll(sig syscall.Signal) {
	x.mu.Lock()
	defer x.mu.Unlock()
	for _, c := range x.running {
		c.Signal(sig)
	}
	for _, pgid := range x.lingering {
		syscall.Kill(-pgid, sig)
	}
}

// killAll kills every running job's process group at once, and the groups
// finished jobs left behind. From now on no job starts.
func (x *Exchange) killAll() {
	x.mu.Lock()
	x.stopping = syscall.SIGKILL
	x.mu.Unlock()
	x.signalAll(syscall.SIGKILL)
}
