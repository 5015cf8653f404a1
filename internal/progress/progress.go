// Package progress shows how far a parmap run is: done/total, rate, elapsed, ETA and failures.
package progress

import (
	"fmt"
	"io"
	"sync"
	"sync/atomic"
	"time"

	"github.com/schollz/progressbar/v3"
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
// then draws the final state itself, so writes to w never overlap.
//
// All methods are safe for concurrent use. A nil *Progress (what New returns
// for Off) does nothing.
type Progress struct {
	// Counters, written by the run. Done raises done before failed and
	// snapshot reads failed before done, so a snapshot never has more
	// failures than finished jobs.
	total     atomic.Int64
	done      atomic.Int64
	failed    atomic.Int64
	inputDone atomic.Bool

	w        io.Writer
	mode     Mode
	start    time.Time
	interval time.Duration
	bar      *terminalBar // Terminal mode only
	jobs     int          // GNU mode
	eta      bool         // GNU mode

	stop     chan struct{} // closed by Finish to stop the drawing goroutine
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
	switch {
	case p.mode == Terminal:
		p.interval = redraw
		p.bar = newTerminalBar(w, opt.Width)
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
// final. Until then, the total is shown as a lower bound (120/500+).
func (p *Progress) InputDone() {
	if p == nil {
		return
	}
	p.inputDone.Store(true)
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

// Finish ends the display: it stops the drawing goroutine and draws the
// final state once (Terminal: the bar, then a newline; Lines: one last status
// line). Nothing is written to w after Finish returns. Calling it again does
// nothing.
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
		p.bar.show(s, final)
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
	s := status{inputDone: p.inputDone.Load(), failed: p.failed.Load()}
	s.done = p.done.Load()
	s.total = max(p.total.Load(), s.done)
	s.elapsed = time.Since(p.start)
	return s
}

// status is what the display shows at one moment.
type status struct {
	done, total, failed int64
	inputDone           bool
	elapsed             time.Duration
}

// line formats s as one plain status line, like
//
//	parmap: 120/500+ done (24%), 3 failed, 41.2 jobs/s, elapsed 2.9s, ETA 9s+
//
// where + marks the total and the ETA as lower bounds while input is still
// being read.
func (s status) line() string {
	more := "+"
	if s.inputDone {
		more = ""
	}
	percent := ""
	if s.total > 0 {
		percent = fmt.Sprintf(" (%d%%)", s.done*100/s.total)
	}
	rate := 0.0
	if sec := s.elapsed.Seconds(); sec > 0 {
		rate = float64(s.done) / sec
	}
	eta := "?"
	if left := s.total - s.done; left == 0 {
		eta = "0s"
	} else if rate > 0 {
		eta = roundDuration(time.Duration(float64(left) / rate * float64(time.Second)))
	}
	if eta != "?" {
		eta += more
	}
	return fmt.Sprintf("parmap: %d/%d%s done%s, %d failed, %.1f jobs/s, elapsed %s, ETA %s\n",
		s.done, s.total, more, percent, s.failed, rate, roundDuration(s.elapsed), eta)
}

// roundDuration shows d to a tenth of a second under a minute and to the
// second above: 2.9s, 1m5s.
func roundDuration(d time.Duration) string {
	if d < time.Minute {
		return d.Round(100 * time.Millisecond).String()
	}
	return d.Round(time.Second).String()
}

// terminalBar is the Terminal mode's display: a progressbar/v3 bar, owned by
// the drawing goroutine and then by Finish, never used by two at once.
type terminalBar struct {
	w     io.Writer
	bar   *progressbar.ProgressBar
	drawn bool   // whether the bar was drawn yet
	shown int64  // the count of finished jobs the bar holds
	max   int64  // the bar's total
	desc  string // the bar's description
}

func newTerminalBar(w io.Writer, width int) *terminalBar {
	opts := []progressbar.Option{
		progressbar.OptionSetWriter(w),
		progressbar.OptionShowDescriptionAtLineEnd(),
		progressbar.OptionShowCount(),
		progressbar.OptionShowIts(),
		progressbar.OptionSetItsString("jobs"),
		progressbar.OptionSetPredictTime(true),
		progressbar.OptionSetElapsedTime(true),
		progressbar.OptionShowElapsedTimeOnFinish(),
		// parmap's own ticker paces the drawing; the bar draws when told.
		progressbar.OptionThrottle(0),
	}
	if width > 0 {
		opts = append(opts, progressbar.OptionSetWidth(width))
	}
	// The bar starts with a total of 1, as 0 is refused and -1 (unknown)
	// starts a spinner goroutine of the bar's own; nothing is drawn until
	// records are read.
	b := &terminalBar{w: w, bar: progressbar.NewOptions64(1, opts...), max: 1}
	b.bar.StartWithoutRender() // elapsed time and rate count from New
	return b
}

// show draws s. While the run goes on, the bar's total is kept above the
// count of finished jobs, because progressbar marks a bar that reaches its
// total as finished and never draws it again, yet the total may still grow.
func (b *terminalBar) show(s status, final bool) {
	if s.total == 0 && !b.drawn {
		return // nothing read, nothing to show
	}
	want := max(s.total, 1)
	if !final {
		want = max(want, s.done+1)
	}
	desc := fmt.Sprintf("%d failed", s.failed)
	if !s.inputDone {
		desc += ", reading input"
	}
	// Describe and ChangeMax64 each draw the bar; hidden, they only change
	// it, so the bar is drawn once, by Add64, with everything up to date.
	// An Option is a plain function of the bar, so it may be applied after
	// NewOptions64; the bar runs no goroutine of its own with a known total,
	// and only this goroutine uses it.
	progressbar.OptionSetVisibility(false)(b.bar)
	if desc != b.desc {
		b.desc = desc
		b.bar.Describe(desc)
	}
	if want != b.max {
		b.max = want
		b.bar.ChangeMax64(want)
	}
	progressbar.OptionSetVisibility(true)(b.bar)
	b.bar.Add64(s.done - b.shown)
	b.shown = s.done
	b.drawn = true
	if final {
		io.WriteString(b.w, "\n")
	}
}

// gnuLine formats s as GNU parallel's --progress status,
//
//	local:2/10/100%/0.1s
//
// (jobs running, jobs completed, share of started jobs, average seconds per
// job), led with --eta by "ETA: 5s Left: 10 AVG: 0.10s  ".
func (s status) gnuLine(jobs int, eta bool) string {
	running := s.total - s.done
	if jobs > 0 {
		running = min(running, int64(jobs))
	}
	avg := 0.0
	if s.done > 0 {
		avg = s.elapsed.Seconds() / float64(s.done)
	}
	line := fmt.Sprintf("local:%d/%d/100%%/%.1fs ", running, s.done, avg)
	if !eta {
		return line
	}
	left := s.total - s.done
	return fmt.Sprintf("ETA: %.0fs Left: %d AVG: %.2fs  %s", float64(left)*avg, left, avg, line)
}
