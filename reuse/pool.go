// Package reuse runs long-lived workers instead of a process per record: N
// worker processes are started once, each record is written to a free
// worker's stdin and its answer read back from the worker's stdout (line, NUL
// or JSON framing), with up to a window of records in flight per worker.
//
// A worker that dies, breaks the protocol or stays silent past the timeout is
// restarted; exactly the records in flight to it fail (and are retried, when
// asked). Workers run as tasks of an exchange.Exchange, one per job slot, so
// signals, halts and process-group kills work as they do for jobs. The pool
// knows nothing of the command line or of how answers are printed: it
// reports what happened as values (Answer.Err, Notice, Summary.Err), for the
// caller to word.
//
// Records reach the workers through an Input queue, which wakes its reader
// once per batch. A worker with a window of one record is driven by a
// single goroutine (write, read the answer, take the next record); a larger
// window has a sender and a receiver goroutine. In lock-step every
// goroutine wake-up is on the path of every record, so both keep them few.
// Lock-step never waits on a write, though: a worker that answers while it
// reads (cat) would wait on its answer while parmap waited on the record;
// a record that does not fit in the pipe at once makes the worker a sender
// and a receiver too.
//
// The life of a run:
//
//	starter ──first record──▶ supply ──▶ tasks ──▶ exchange slot ──▶ worker process
//	                            ▲                                         │ exits
//	                            └──── supply(1) ◀──── workerDone ◀────────┘
//
//	Input ──▶ next (retries first) ──▶ sender ──▶ stdin ┄ worker ┄ stdout ──▶ receiver ──▶ resolve ──▶ deliver
//	                ▲                                                                        │ failed, tries left
//	                └──────────────────────────── retry queue ◀──────────────────────────────┘
//
// settle closes tasks once every record is resolved; the slots then end
// with their workers, and Run returns.
package reuse

import (
	"context"
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
	// before it is stopped (SIGTERM, then SIGKILL after the exchange's
	// KillAfter) and restarted; its records fail with a *TimeoutError. 0
	// means no limit.
	Timeout time.Duration
	// Retries sends a record that failed up to that many more times.
	Retries int
	// Halt stops the run by the records that failed or succeeded.
	Halt exchange.Halt
	// Exchange holds the settings for running the worker processes: signals,
	// KillAfter (also the grace a faulty worker gets before SIGKILL), Delay.
	// Its Jobs, Timeout, Retries and Halt are the pool's.
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
	// Notice is told what happened to a worker when no record reports it
	// (see NoticeKind). It is called from the worker's slot, concurrently
	// with other calls and with deliver. It may be nil.
	Notice func(Notice)
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
	// Err is why the record failed, nil when it succeeded: a *LostError,
	// *TimeoutError, *ProtocolError, *UnsendableError or *AnswerError.
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
	// Err is why the pool gave up: a *StartError (its workers cannot
	// start) or a *DyingError (they keep dying before they answer
	// anything). nil when it did not.
	Err error
}

// Pool is one run of reused workers. Make it with Run.
type Pool struct {
	opt     Options
	in      *Input
	deliver func(Answer)
	x       *exchange.Exchange
	tasks   chan exchange.Task // the supply of workers; holds Workers
	kick    chan struct{}      // a record was queued for retry

	wg sync.WaitGroup // the starter and the workers' goroutines

	// Counted per record, without the lock.
	outstanding atomic.Int64 // records taken from in and not yet resolved (queued retries included)
	taking      atomic.Int32 // senders between reading in and counting what they read
	inputEnded  atomic.Bool
	retries     atomic.Int32 // len(retry)
	done        atomic.Int64
	failed      atomic.Int64
	deaths      atomic.Int32 // workers in a row that died before answering anything

	mu        sync.Mutex
	retry     []*Request // records to send again, first come first
	live      int        // workers counted for the exchange: queued on tasks or running
	supplying int        // of those, how many are still to be sent on tasks
	closed    bool       // tasks is closed (or about to be, by the settle that set this)
	err       error
}

// Run feeds the records from in to the workers until in is closed and every
// record is resolved, or the run is stopped (ctx, a signal, a halt), and
// returns once every worker has exited and every goroutine of the run has
// ended. deliver is called once per resolved record, from the workers'
// goroutines, concurrently.
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
	p.wg.Add(1)
	go p.start()
	xsum := p.x.Run(ctx, p.tasks, p.workerDone)
	p.wg.Wait()

	p.mu.Lock()
	defer p.mu.Unlock()
	return Summary{Done: p.done.Load(), Failed: p.failed.Load(), Signal: xsum.Signal, Canceled: xsum.Canceled,
		Halted: xsum.Halted, HaltExit: xsum.HaltExit, Err: p.err}
}

// start is the starter: it waits for the first record, or the end of the
// input or of the run, while the exchange already acts on signals and ctx;
// no worker starts before there is a record for it.
func (p *Pool) start() {
	defer p.wg.Done()
	for !p.stopping() {
		if r := p.read(true, nil); r != nil {
			p.again(r) // the first worker takes it
			p.supply(p.opt.Workers)
			return
		}
		if p.inputEnded.Load() {
			return // no record: read settled the run, and no worker starts
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
// retry, a stop). The reader counts itself in p.taking while it reads:
// while any reader is between reading a record and counting it in
// p.outstanding, the run cannot be seen as finished (see settle).
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

// untake ends a read of the input.
func (p *Pool) untake() {
	if p.taking.Add(-1) == 0 {
		p.settle()
	}
}

func closed(c <-chan struct{}) bool {
	select {
	case <-c:
		return true
	default:
		return false
	}
}

// again queues a record for another try (or its first one, from the
// starter). It stays counted in p.outstanding.
func (p *Pool) again(r *Request) {
	p.mu.Lock()
	p.retry = append(p.retry, r)
	p.retries.Add(1)
	p.mu.Unlock()
	p.kickRetry()
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

// dropRetries forgets queued retries when the pool gives up.
func (p *Pool) dropRetries() {
	p.mu.Lock()
	n := len(p.retry)
	p.retry = nil
	p.retries.Store(0)
	p.mu.Unlock()
	if n > 0 && p.outstanding.Add(-int64(n)) == 0 {
		p.settle()
	}
}

func (p *Pool) kickRetry() { signal(p.kick) }

// settle closes the supply of workers once every record is resolved: the
// input has ended, no reader is between taking a record and counting it,
// no record is outstanding (in flight, or queued for a retry), and no
// supply is between counting a worker and sending it. The exchange's slots
// then end as their workers do. It is the one place that decides this.
//
// Why it is race-free:
//
//   - Once true, the condition stays true. After the input ended, a read
//     takes nothing (the Input reports its end for good), so outstanding
//     only falls; retries are counted in it, so none can be queued.
//   - It is checked after every change that can make it true, by the
//     goroutine that made the change: untake (taking falls to 0; the end of
//     input is only ever seen inside a read, so the untake after it checks),
//     resolve and dropRetries (outstanding falls to 0) and supply
//     (supplying falls to 0). Each writes its counter before settle reads
//     the others, and atomics are sequentially consistent, so of two
//     changes that race, at least the later check sees both.
//   - A reader counts itself in taking before it reads the input and
//     counts what it took in outstanding before it uncounts itself, so a
//     record is never between the two counters unseen.
//   - tasks is closed once (closed, under p.mu) and never while a supply
//     is about to send on it (supplying > 0); such a supply calls settle
//     when it has sent. No send or close happens under p.mu.
func (p *Pool) settle() {
	if !p.inputEnded.Load() || p.taking.Load() != 0 || p.outstanding.Load() != 0 {
		return
	}
	p.mu.Lock()
	last := !p.closed && p.supplying == 0 && len(p.retry) == 0
	if last {
		p.closed = true
	}
	p.mu.Unlock()
	if last {
		close(p.tasks)
	}
}

// supply queues up to n new workers for the exchange, while there is work
// for them (the input goes on, or records wait for a retry), the run goes
// on, and fewer than Workers are queued or running.
func (p *Pool) supply(n int) {
	p.mu.Lock()
	if p.closed || p.stopping() || p.inputEnded.Load() && len(p.retry) == 0 {
		n = 0
	}
	n = min(n, p.opt.Workers-p.live)
	if n <= 0 {
		p.mu.Unlock()
		return
	}
	p.live += n
	p.supplying += n
	p.mu.Unlock()
	for range n {
		p.tasks <- &worker{p: p} // never blocks: tasks holds Workers, and live ≤ Workers
	}
	p.mu.Lock()
	p.supplying -= n
	p.mu.Unlock()
	p.settle()
}

// resolve delivers a record's outcome, or queues it for another try
// (Retries).
func (p *Pool) resolve(a *Answer) {
	if a.Err != nil && a.Req.tries < p.opt.Retries && !p.stopping() {
		a.Req.tries++
		p.again(a.Req)
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
	if p.outstanding.Add(-1) == 0 {
		p.settle()
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

// startLimit is how many workers in a row may die before answering anything
// before the pool gives up.
func (p *Pool) startLimit() int { return max(5, 2*p.opt.Workers) }

// workerDone is the exchange's Done: a worker process has exited (or could
// not start). Its records in flight fail, and a new worker takes its place
// while there is work left.
func (p *Pool) workerDone(t exchange.Task, slot int, res channel.Result) {
	w := t.(*worker)
	w.finish(res)
	if res.Err == exchange.ErrNotStarted {
		// The run stopped before the worker started: no record went to
		// it, and none takes its place.
		p.mu.Lock()
		p.live--
		p.mu.Unlock()
		return
	}
	stopping := p.stopping()
	reason := w.fault()

	p.mu.Lock()
	p.live--
	switch {
	case res.Err != nil:
		if p.err == nil {
			p.err = &StartError{Slot: slot, Err: res.Err}
		}
	case w.answered == 0 && !stopping:
		if n := int(p.deaths.Add(1)); n >= p.startLimit() && p.err == nil {
			p.err = &DyingError{Count: n, Last: res}
		}
	}
	gaveUp := p.err != nil
	p.mu.Unlock()

	// The records in flight to it fail, unless the run is being stopped
	// (then they are not done, as jobs killed by a stop are not).
	lost := w.unanswered()
	var lostErr error
	for _, r := range lost {
		if stopping && reason == nil {
			continue
		}
		err := reason
		if err == nil {
			if lostErr == nil {
				lostErr = &LostError{Slot: slot, Result: res}
			}
			err = lostErr
		}
		p.resolve(&Answer{Req: r, Err: err, Slot: slot, Start: r.sent, Runtime: time.Since(r.sent)})
	}
	if gaveUp {
		p.x.Drain()
		p.dropRetries()
		return
	}
	if p.opt.Notice != nil && len(lost) == 0 && !stopping {
		switch {
		case reason != nil:
			p.opt.Notice(Notice{Kind: WorkerKilled, Slot: slot, Result: res, Reason: reason})
		case res.Exit != 0 || res.Signal != 0:
			p.opt.Notice(Notice{Kind: WorkerExited, Slot: slot, Result: res})
		}
	}
	p.supply(1)
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
