// Package reuse runs long-lived workers instead of a process per record: N
// worker processes are started once, each record is written to a free
// worker's stdin and its answer read back from the worker's stdout (line, NUL
// or JSON framing), with up to a window of records in flight per worker.
//
// A worker that dies, breaks the protocol or stays silent past the timeout is
// restarted; exactly the records in flight to it fail (and are retried, when
// asked). Workers run as tasks of an exchange.Exchange, one per job slot, so
// signals, halts and process-group kills work as they do for jobs. The pool
// knows nothing of the command line or of how answers are printed.
//
// Records reach the workers through an Input queue, which wakes its reader
// once per batch. A worker with a window of one record is driven by a
// single goroutine (write, read the answer, take the next record); a larger
// window has a sender and a receiver goroutine. In lock-step every
// goroutine wake-up is on the path of every record, so both keep them few.
package reuse

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/parmap/parmap/channel"
	"github.com/parmap/parmap/exchange"
)

// Options are a pool's settings.
type Options struct {
	// Workers is how many workers run at once (at least 1).
	Workers int
	// Window is how many records may be in flight to one worker (at least 1).
	Window   int
	Protocol Protocol
	// MaxRecords recycles a worker after that many records (0: never): it
	// gets end of file, answers what it has, exits, and a new one starts.
	MaxRecords int
	// Timeout is how long a worker with records in flight may stay silent
	// before it is killed (SIGTERM, then SIGKILL after the exchange's
	// KillAfter) and restarted. 0 means no limit.
	Timeout time.Duration
	// Retries sends a record that failed up to that many more times.
	Retries int
	// Halt stops the run by the records that failed or succeeded.
	Halt exchange.Halt
	// Exchange holds the settings for running the worker processes: signals,
	// KillAfter, Delay. Its Jobs, Timeout, Retries and Halt are the pool's.
	Exchange exchange.Options
	// Command returns the worker process for a job slot, without its
	// standard streams.
	Command func(slot int) (channel.Spec, error)
	// Stderr returns where the worker in a slot writes its stderr; it is
	// closed when the worker has exited. nil discards it.
	Stderr func(slot int) io.WriteCloser
	// Timing records when each record was sent and answered (Answer.Start
	// and Runtime); without it they are zero, saving two clock reads per
	// record.
	Timing bool
	// Idle is called by a goroutine that delivered answers and is about to
	// wait for more: the moment to flush output. It may be nil.
	Idle func()
	// Message reports one line about the workers (a restart, an exit
	// status); it may be nil.
	Message func(string)
}

// Request is one record to send.
type Request struct {
	Seq    int64
	Input  string   // the record as sent
	Fields []string // its fields, for the JSON protocol; nil for none
	Item   any      // the caller's, handed back untouched

	tries int       // sends that failed so far
	sent  time.Time // when it was last sent
}

// Answer is what became of one record; it is delivered exactly once per
// record that was resolved.
type Answer struct {
	Req *Request
	// Output is the answer without its separator. It is only valid during
	// the delivery call.
	Output []byte
	// Err is why the record failed; nil when it succeeded.
	Err error
	// Slot is the job slot of the worker that answered (or failed) it.
	Slot    int
	Start   time.Time
	Runtime time.Duration
}

// Summary is what a pool's run came to.
type Summary struct {
	Done, Failed int64 // records resolved, and of those, failed
	// Signal is the SIGINT or SIGTERM that stopped the run, 0 when none.
	Signal   syscall.Signal
	Canceled bool
	Halted   bool
	HaltExit int
	// Err is why the pool gave up: its workers cannot start, or keep dying
	// before they answer anything.
	Err error
}

// Pool is one run of reused workers. Make it with Run.
type Pool struct {
	opt     Options
	in      *Input
	deliver func(Answer)
	x       *exchange.Exchange
	tasks   chan exchange.Task
	kick    chan struct{} // a record was queued for retry

	wg sync.WaitGroup // the workers' sender and receiver goroutines

	// Counted per record, without the lock.
	outstanding atomic.Int64 // records taken from in and not yet resolved
	taking      atomic.Int32 // senders between reading in and counting what they read
	inputEnded  atomic.Bool
	retries     atomic.Int32 // len(retry)
	done        atomic.Int64
	failed      atomic.Int64
	deaths      atomic.Int32 // workers in a row that died before answering anything

	mu          sync.Mutex
	retry       []*Request // records to send again, first come first
	live        int        // worker tasks queued or running
	tasksClosed bool
	err         error
}

// Run feeds the records from in to the workers until in is closed and every
// record is resolved, or the run is stopped (ctx, a signal, a halt), and
// returns once every worker has exited. deliver is called once per resolved
// record, from the workers' goroutines, concurrently.
func Run(ctx context.Context, opt Options, in *Input, deliver func(Answer)) Summary {
	opt.Workers = max(opt.Workers, 1)
	opt.Window = max(opt.Window, 1)
	xopt := opt.Exchange
	xopt.Jobs, xopt.Timeout, xopt.Retries, xopt.Halt = opt.Workers, 0, 0, exchange.Halt{}
	p := &Pool{
		opt:     opt,
		in:      in,
		deliver: deliver,
		x:       exchange.New(xopt),
		tasks:   make(chan exchange.Task, opt.Workers),
		kick:    make(chan struct{}, 1),
	}

	// No worker starts before there is a record for it.
	first, ok := p.first(ctx)
	if !ok {
		close(p.tasks)
	} else {
		p.outstanding.Store(1)
		p.retry = append(p.retry, first)
		p.retries.Store(1)
		for range opt.Workers {
			p.live++
			p.tasks <- &worker{p: p}
		}
	}
	xsum := p.x.Run(ctx, p.tasks, p.workerDone)
	p.wg.Wait()

	p.mu.Lock()
	defer p.mu.Unlock()
	return Summary{Done: p.done.Load(), Failed: p.failed.Load(), Signal: xsum.Signal, Canceled: xsum.Canceled,
		Halted: xsum.Halted, HaltExit: xsum.HaltExit, Err: p.err}
}

// first waits for the first record, or the end of input or of the run.
func (p *Pool) first(ctx context.Context) (*Request, bool) {
	for {
		r, ended := p.in.take()
		switch {
		case r != nil:
			return r, true
		case ended:
			p.inputEnded.Store(true)
			return nil, false
		}
		select {
		case <-p.in.Ready():
		case <-p.in.Done():
		case <-ctx.Done():
			return nil, false
		}
	}
}

// next returns the record a worker sends next: one to retry, else the next
// from the input. It calls flush before it waits. ok is false when there is
// nothing more for this worker: the input has ended and nothing waits for a
// retry, the run stops, or stop is closed.
func (p *Pool) next(stop <-chan struct{}, flush func() bool) (*Request, bool) {
	flushed := false
	for {
		if p.retries.Load() > 0 {
			if r := p.popRetry(); r != nil {
				return r, true
			}
		}
		if p.inputEnded.Load() || p.stopping() || closed(stop) {
			return nil, false
		}
		// Once what is buffered for the worker is flushed, wait.
		if r := p.read(flushed, stop); r != nil {
			return r, true
		}
		if !flushed {
			if !flush() {
				return nil, false
			}
			flushed = true
		}
	}
}

// read takes the next record from the input, or nil: at its end, when
// there is none yet and wait is false, or when woken for another reason (a
// retry, a stop). The sender counts itself in p.taking while it reads:
// while any sender is between reading a record and counting it in
// p.outstanding, the run cannot be seen as finished.
func (p *Pool) read(wait bool, stop <-chan struct{}) *Request {
	p.taking.Add(1)
	defer p.untake()
	r, ended := p.in.take()
	switch {
	case r != nil:
		p.outstanding.Add(1)
		return r
	case ended:
		p.inputEnded.Store(true)
	case wait:
		select {
		case <-p.in.Ready():
		case <-p.in.Done():
		case <-p.kick:
		case <-p.x.Quit():
		case <-stop:
		}
	}
	return nil
}

func closed(c <-chan struct{}) bool {
	select {
	case <-c:
		return true
	default:
		return false
	}
}

// popRetry takes the first record queued for another try, or nil.
func (p *Pool) popRetry() *Request {
	p.mu.Lock()
	if len(p.retry) == 0 {
		p.mu.Unlock()
		return nil
	}
	r := p.retry[0]
	p.retry[0] = nil
	p.retry = p.retry[1:]
	more := p.retries.Add(-1) > 0
	p.mu.Unlock()
	if more {
		p.kickRetry() // wake another waiting worker for the rest
	}
	return r
}

// untake ends a sender's read of the input.
func (p *Pool) untake() {
	if p.taking.Add(-1) == 0 && p.inputEnded.Load() {
		p.closeTasksIfFinished()
	}
}

func (p *Pool) kickRetry() { signal(p.kick) }

// closeTasksIfFinished ends the supply of workers once every record is
// resolved.
func (p *Pool) closeTasksIfFinished() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.closeTasksIfFinishedLocked()
}

func (p *Pool) closeTasksIfFinishedLocked() {
	if p.inputEnded.Load() && p.taking.Load() == 0 && p.outstanding.Load() == 0 && len(p.retry) == 0 && !p.tasksClosed {
		p.tasksClosed = true
		close(p.tasks)
	}
}

// resolve delivers a record's outcome, or queues it for another try
// (Retries).
func (p *Pool) resolve(a *Answer) {
	if a.Err != nil && a.Req.tries < p.opt.Retries && !p.stopping() {
		a.Req.tries++
		p.mu.Lock()
		p.retry = append(p.retry, a.Req)
		p.retries.Add(1)
		p.mu.Unlock()
		p.kickRetry()
		return
	}
	p.deliver(*a)
	done := p.done.Add(1)
	var failed int64
	if a.Err != nil {
		failed = p.failed.Add(1)
	} else {
		failed = p.failed.Load()
	}
	if p.outstanding.Add(-1) == 0 && p.inputEnded.Load() {
		p.closeTasksIfFinished()
	}
	if p.opt.Halt.When != exchange.HaltNever && p.opt.Halt.Triggered(done, failed) {
		exit := 0
		if a.Err != nil {
			exit = 1
		}
		p.x.Halt(p.opt.Halt.When == exchange.HaltNow, exit)
	}
}

// stopping reports whether the run starts no more work.
func (p *Pool) stopping() bool {
	select {
	case <-p.x.Quit():
		return true
	default:
		return false
	}
}

func (p *Pool) message(format string, args ...any) {
	if p.opt.Message != nil {
		p.opt.Message(fmt.Sprintf(format, args...))
	}
}

// startLimit is how many workers in a row may die before answering anything
// before the pool gives up.
func (p *Pool) startLimit() int { return max(5, 2*p.opt.Workers) }

// workerDone is the exchange's Done: a worker process has exited (or could
// not start). Its records in flight fail, and a new worker takes its place
// while there is work left.
func (p *Pool) workerDone(t exchange.Task, slot int, res channel.Result) {
	w := t.(*worker)
	w.finish(res)
	stopping := p.stopping()

	var startErr *channel.StartError
	p.mu.Lock()
	p.live--
	switch {
	case errors.As(res.Err, &startErr):
		if p.err == nil {
			p.err = res.Err
		}
	case res.Err != nil:
		if p.err == nil {
			p.err = fmt.Errorf("starting a worker: %w", res.Err)
		}
	case w.answered == 0 && !stopping:
		if n := int(p.deaths.Add(1)); n >= p.startLimit() && p.err == nil {
			p.err = fmt.Errorf("workers died %d times in a row before answering a record (the last: %s); is the command a worker that reads records from stdin and answers each?", n, exitText(res))
		}
	}
	gaveUp := p.err != nil
	p.mu.Unlock()

	// The records in flight to it fail, unless the run is being stopped
	// (then they are not done, as jobs killed by a stop are not).
	lost := w.unanswered()
	for _, r := range lost {
		if stopping && w.reason == nil {
			continue
		}
		reason := w.reason
		if reason == nil {
			reason = fmt.Errorf("the worker in slot %d %s before answering", slot, exitText(res))
		}
		p.resolve(&Answer{Req: r, Err: reason, Slot: slot, Start: r.sent, Runtime: time.Since(r.sent)})
	}
	if gaveUp {
		p.x.Drain()
		p.mu.Lock()
		p.dropRetries()
		p.mu.Unlock()
		return
	}
	switch {
	case len(lost) > 0 || stopping:
	case w.reason != nil:
		p.message("parmap: %v", w.reason)
	case res.Err == nil && (res.Exit != 0 || res.Signal != 0):
		p.message("parmap: the worker in slot %d %s", slot, exitText(res))
	}

	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.tasksClosed && !p.stopping() && (!p.inputEnded.Load() || len(p.retry) > 0) && p.live < p.opt.Workers {
		p.live++
		p.tasks <- &worker{p: p}
	}
	p.closeTasksIfFinishedLocked()
}

// dropRetries forgets queued retries when the pool gives up. p.mu is held.
func (p *Pool) dropRetries() {
	p.outstanding.Add(-int64(len(p.retry)))
	p.retry = nil
	p.retries.Store(0)
}

// exitText says how a process ended: "exited with status 3", "was killed
// by signal 9".
func exitText(res channel.Result) string {
	switch {
	case res.Err != nil:
		return "could not start: " + res.Err.Error()
	case res.Signal != 0:
		return fmt.Sprintf("was killed by signal %d (%v)", int(res.Signal), res.Signal)
	}
	return fmt.Sprintf("exited with status %d", res.Exit)
}

// pipes makes the worker's stdin and stdout pipes; the parent's ends are
// returned first.
func pipes() (in, out, childIn, childOut *os.File, err error) {
	childIn, in, err = os.Pipe()
	if err != nil {
		return nil, nil, nil, nil, err
	}
	out, childOut, err = os.Pipe()
	if err != nil {
		childIn.Close()
		in.Close()
		return nil, nil, nil, nil, err
	}
	return in, out, childIn, childOut, nil
}
