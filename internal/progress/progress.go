// Package progress shows how far a parmap run is: done/total, rate, elapsed, ETA and failures.
//
// The total is known when the records can be counted before they are read
// (Count: a regular file, ::: values) or once the input has ended
// (InputDone); until then the display shows what is done and the rate, and
// no percentage or ETA. In Terminal mode every other write to the bar's
// terminal goes through Above, which prints it above the bar.
package progress

import (
	"fmt"
	"io"
	"sync"
	"sync/atomic"
	"time"
)

// Mode is how progress is shown.
type Mode int

const (
	Off      Mode = iota // nothing is shown
	Terminal             // a bar redrawn in place; for a terminal
	Lines                // a plain one-line status every Interval (a batch log), no control characters
	GNU                  // GNU parallel's --progress (and --eta) display, redrawn with \r
)

// Options says how progress is shown. The zero value shows nothing.
type Options struct {
	Mode     Mode
	Interval time.Duration // Lines mode: how often a line is printed; 0 = 5s
	Width    int           // Terminal mode: bar width; 0 = automatic (40, narrower on a narrow terminal)
	Jobs     int           // GNU mode: job slots ("Max jobs to run")
	CPUs     int           // GNU mode: CPU cores
	ETA      bool          // GNU mode: lead each status with ETA, jobs left and average time (--eta)
}

// Timing of the display.
const (
	defaultInterval = 5 * time.Second
	redraw          = 150 * time.Millisecond // Terminal mode: how often the bar is redrawn
)

// Progress counts a run's records and finished jobs and shows them on its
// writer.
//
// Design: Add, Done and InputDone sit on the per-job hot path, so they only
// touch atomic counters. One goroutine, started by New and stopped by
// Finish, reads the counters on a ticker and does all the drawing; Finish
// then draws the final state itself. In Terminal mode the drawing and every
// write through Above hold one lock, so the bar and other output never mix.
//
// All methods are safe for concurrent use. A nil *Progress (what New returns
// for Off) does nothing.
type Progress struct {
	// Counters, written by the run. Done raises done before failed and
	// snapshot reads failed before done, so a snapshot never has more
	// failures than finished jobs.
	total       atomic.Int64
	done        atomic.Int64
	failed      atomic.Int64
	interrupted atomic.Int64
	skipped     atomic.Int64 // records counted by Count that run no job
	counted     atomic.Int64 // Count's total; -1 until known
	counting    atomic.Bool  // Count is still counting
	inputDone   atomic.Bool

	w        io.Writer
	mode     Mode
	start    time.Time
	interval time.Duration
	term     *terminal // Terminal mode only
	jobs     int       // GNU mode
	eta      bool      // GNU mode

	stop     chan struct{} // closed by Finish to stop the drawing goroutine (and counting)
	stopped  chan struct{} // closed by the drawing goroutine when it returns
	finished sync.Once
}

// New starts showing progress on w as opt says. It returns nil for Off,
// which is a valid *Progress that shows nothing.
func New(w io.Writer, opt Options) *Progress {
	if opt.Mode != Terminal && opt.Mode != Lines && opt.Mode != GNU {
		return nil
	}
	p := &Progress{
		w:        w,
		mode:     opt.Mode,
		start:    time.Now(),
		interval: opt.Interval,
		stop:     make(chan struct{}),
		stopped:  make(chan struct{}),
	}
	p.counted.Store(-1)
	switch {
	case p.mode == Terminal:
		p.interval = redraw
		p.term = newTerminal(w, opt.Width, p.snapshot)
	case p.mode == GNU:
		p.interval, p.jobs, p.eta = time.Second, opt.Jobs, opt.ETA
		fmt.Fprintf(w, "\nComputers / CPU cores / Max jobs to run\n1:local / %d / %d\n\n"+
			"Computer:jobs running/jobs completed/%%of started jobs/Average seconds to complete\n", opt.CPUs, opt.Jobs)
	case p.interval <= 0:
		p.interval = defaultInterval
	}
	go p.loop()
	return p
}

// Add records that n more records were read: the total grows while input is
// read.
func (p *Progress) Add(n int64) {
	if p == nil {
		return
	}
	p.total.Add(n)
}

// InputDone records that the input has been read to its end, so the total is
// final. Until then, without a count, the total is shown as a lower bound
// (120/500+) and no percentage or ETA is shown.
func (p *Progress) InputDone() {
	if p == nil {
		return
	}
	p.inputDone.Store(true)
}

// Count learns the total before the input is read: count counts the
// records in the background (until it is done or stop is closed, by
// Finish) and reports whether it could. Until it returns, Terminal mode
// draws no bar (unless the input ends first), so that the first bar drawn
// has the real total.
func (p *Progress) Count(count func(stop <-chan struct{}) (int64, bool)) {
	if p == nil {
		return
	}
	p.counting.Store(true)
	go func() {
		defer p.counting.Store(false)
		if n, ok := count(p.stop); ok {
			p.counted.Store(n)
		}
	}()
}

// Skip records that a record Count counted runs no job (another shard's,
// or one --resume finds done).
func (p *Progress) Skip() {
	if p == nil {
		return
	}
	p.skipped.Add(1)
}

// Done records that one job finished, and whether it failed.
func (p *Progress) Done(failed bool) {
	if p == nil {
		return
	}
	p.done.Add(1)
	if failed {
		p.failed.Add(1)
	}
}

// Interrupted records that one job finished because the run stopped it (a
// signal, a stop): it is done, but counted apart from the failures.
func (p *Progress) Interrupted() {
	if p == nil {
		return
	}
	p.done.Add(1)
	p.interrupted.Add(1)
}

// Finish ends the display: it stops the drawing goroutine and draws the
// final state once (Terminal: the bar, then a newline; Lines: one last status
// line). Nothing is written to w after Finish returns but what goes through
// Above, as it is. Calling it again does nothing.
func (p *Progress) Finish() {
	if p == nil {
		return
	}
	p.finished.Do(func() {
		close(p.stop)
		<-p.stopped
		p.draw(true)
	})
}

// loop draws every interval until Finish.
func (p *Progress) loop() {
	defer close(p.stopped)
	t := time.NewTicker(p.interval)
	defer t.Stop()
	for {
		select {
		case <-p.stop:
			return
		case <-t.C:
			p.draw(false)
		}
	}
}

// draw shows the current counts; final is true for Finish's last drawing.
func (p *Progress) draw(final bool) {
	s := p.snapshot()
	switch p.mode {
	case Terminal:
		p.term.show(s, final, p.counting.Load())
	case GNU:
		end := ""
		if final {
			end = "\n"
		}
		io.WriteString(p.w, "\r"+s.gnuLine(p.jobs, p.eta)+end)
	default:
		io.WriteString(p.w, s.line())
	}
}

// snapshot reads the counters.
func (p *Progress) snapshot() status {
	// Read in the reverse order of the writes (see the counters).
	s := status{inputDone: p.inputDone.Load(), failed: p.failed.Load(), interrupted: p.interrupted.Load()}
	s.done = p.done.Load()
	s.total = p.total.Load()
	if n := p.counted.Load(); n >= 0 && !s.inputDone {
		s.total, s.known = max(n-p.skipped.Load(), s.total), true
	}
	s.known = s.known || s.inputDone
	s.total = max(s.total, s.done)
	s.elapsed = time.Since(p.start)
	return s
}
