// Package exchange is parmap's scheduler: it takes tasks from a bounded queue,
// keeps at most N of them running, each in a job slot of its own, and acts on
// signals (stop, drain, suspend, resume). It knows nothing of how output is
// printed: each finished task is handed to a callback with its result.
package exchange

import (
	"context"
	"os"
	"sync"
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

// Done receives every task exactly once, with the slot it ran in and its
// result. It is called from the job's own goroutine, concurrently with other
// calls; the slot is given back when it returns, so a slow Done holds back new
// jobs (backpressure from the output).
type Done func(t Task, slot int, res channel.Result)

// Options are the scheduler's settings.
type Options struct {
	// Jobs is the number of job slots; 0 means as many as there are tasks,
	// up to MaxUnlimited.
	Jobs int
	// KillAfter is how long jobs get after SIGTERM or SIGINT before SIGKILL.
	KillAfter time.Duration
	// Success lists the exit values that count as success; nil means 0.
	Success map[int]bool
	// Signals delivers the signals parmap caught; nil for none.
	Signals <-chan os.Signal
	// DryRun hands every task to Done with a zero Result instead of running it.
	DryRun bool
}

// Summary is what a run came to.
type Summary struct {
	Done   int64 // tasks finished (failed ones included)
	Failed int64
	// Signal is the SIGINT or SIGTERM that stopped the run, 0 when none.
	Signal syscall.Signal
	// Canceled is true when the context stopped the run.
	Canceled bool
}

// Exchange runs tasks. Its zero value is not usable; call New.
type Exchange struct {
	opt   Options
	slots chan int

	mu        sync.Mutex
	running   map[int]*channel.Child // by slot
	lingering []int                  // process groups left by finished jobs
	done      int64
	failed    int64
	nextSlot  int // with Jobs == 0: the highest slot handed out
	killed    bool
}

// New returns an Exchange with the given options.
func New(opt Options) *Exchange {
	n := opt.Jobs
	if n <= 0 {
		n = MaxUnlimited
	}
	x := &Exchange{opt: opt, slots: make(chan int, n), running: make(map[int]*channel.Child)}
	if opt.Jobs > 0 {
		for i := 1; i <= n; i++ {
			x.slots <- i
		}
	}
	return x
}

// Run takes tasks until the channel is closed, a signal or ctx stops it, and
// returns once every job it started has finished and Done has returned for it.
func (x *Exchange) Run(ctx context.Context, tasks <-chan Task, done Done) Summary {
	var wg sync.WaitGroup
	var sum Summary
	sigs := x.opt.Signals
	var stop stopper
	stop.x = x

feed:
	for {
		slot, ok := x.acquire(ctx, sigs, &stop, &sum)
		if !ok {
			break
		}
		var t Task
		for t == nil {
			select {
			case t, ok = <-tasks:
				if !ok {
					x.slots <- slot
					break feed
				}
			case sig := <-sigs:
				if !stop.handle(sig.(syscall.Signal), &sum) {
					x.slots <- slot
					break feed
				}
			case <-ctx.Done():
				sum.Canceled = true
				stop.begin(syscall.SIGTERM)
				x.slots <- slot
				break feed
			}
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			x.run(t, slot, done)
			x.slots <- slot
		}()
	}

	// Wait for the running jobs, still acting on signals.
	finished := make(chan struct{})
	go func() { wg.Wait(); close(finished) }()
	ctxDone := ctx.Done()
	for waiting := true; waiting; {
		select {
		case <-finished:
			waiting = false
		case sig := <-sigs:
			stop.handle(sig.(syscall.Signal), &sum)
		case <-ctxDone:
			ctxDone = nil
			sum.Canceled = true
			stop.begin(syscall.SIGTERM)
		case <-stop.escalate:
			x.signalAll(syscall.SIGKILL)
		}
	}
	if stop.timer != nil {
		stop.timer.Stop()
	}
	x.mu.Lock()
	for _, pgid := range x.lingering {
		channel.KillGroup(pgid)
	}
	x.lingering = nil
	sum.Done, sum.Failed = x.done, x.failed
	x.mu.Unlock()
	return sum
}

// acquire waits for a free slot, acting on signals meanwhile. It returns
// false when the run must start no more jobs.
func (x *Exchange) acquire(ctx context.Context, sigs <-chan os.Signal, stop *stopper, sum *Summary) (int, bool) {
	if stop.stopping {
		return 0, false
	}
	for {
		if x.opt.Jobs <= 0 {
			select {
			case s := <-x.slots:
				return s, true
			default:
			}
			x.mu.Lock()
			if x.nextSlot < MaxUnlimited {
				x.nextSlot++
				s := x.nextSlot
				x.mu.Unlock()
				return s, true
			}
			x.mu.Unlock()
		}
		select {
		case s := <-x.slots:
			return s, true
		case sig := <-sigs:
			if !stop.handle(sig.(syscall.Signal), sum) {
				return 0, false
			}
		case <-ctx.Done():
			sum.Canceled = true
			stop.begin(syscall.SIGTERM)
			return 0, false
		}
	}
}

// run runs one task in slot and hands its result to done.
func (x *Exchange) run(t Task, slot int, done Done) {
	var res channel.Result
	switch spec, err := t.Spec(slot); {
	case err != nil:
		res = channel.Result{Exit: channel.ExitNotExecutable, Err: err, Start: time.Now()}
	case x.opt.DryRun:
	default:
		res = x.start(spec, slot)
	}
	failed := res.Failed(x.opt.Success) && !x.opt.DryRun
	x.mu.Lock()
	x.done++
	if failed {
		x.failed++
	}
	x.mu.Unlock()
	done(t, slot, res)
}

func (x *Exchange) start(spec channel.Spec, slot int) channel.Result {
	x.mu.Lock()
	if x.killed {
		x.mu.Unlock()
		return channel.Result{Exit: 128 + int(syscall.SIGKILL), Signal: syscall.SIGKILL, Start: time.Now()}
	}
	child, err := channel.Start(spec)
	if err != nil {
		x.mu.Unlock()
		res := channel.Result{Exit: channel.ExitNotExecutable, Err: err, Start: time.Now()}
		if se, ok := err.(*channel.StartError); ok {
			res.Exit = se.Exit
		}
		return res
	}
	x.running[slot] = child
	x.mu.Unlock()
	res := child.Wait()
	x.mu.Lock()
	delete(x.running, slot)
	if res.Lingering {
		x.lingering = append(x.lingering, res.Pgid)
	}
	x.mu.Unlock()
	return res
}

// signalAll sends sig to every running job's process group, and to the
// groups finished jobs left behind.
func (x *Exchange) signalAll(sig syscall.Signal) {
	x.mu.Lock()
	defer x.mu.Unlock()
	if sig == syscall.SIGKILL {
		x.killed = true
	}
	for _, c := range x.running {
		c.Signal(sig)
	}
	for _, pgid := range x.lingering {
		syscall.Kill(-pgid, sig)
	}
}
