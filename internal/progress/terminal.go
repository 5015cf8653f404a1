package progress

import (
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"golang.org/x/term"
)

// clearLine takes the cursor back to the start of its line and erases the
// line: whatever was there (the bar, a "^C" the terminal echoed after it)
// is gone.
const clearLine = "\r\x1b[K"

// terminal is the Terminal mode's display: one line at the bottom of the
// terminal, redrawn in place, with every other write to that terminal
// printed above it (Above). Its lock is held while the bar is drawn and
// while anything else is written, so the two never mix.
type terminal struct {
	mu    sync.Mutex
	w     io.Writer     // the terminal the bar is drawn on
	width int           // the bar's width; 0: automatic
	now   func() status // the counts now, for a bar drawn again after output
	// line is the bar as last drawn, "" before the first drawing.
	line string
	// shown: the bar is on the cursor's line, to be cleared before other
	// output.
	shown bool
	// midLine: output written through Above ended without a newline; the
	// bar waits for the line's end rather than overwrite it.
	midLine bool
	// final: Finish drew the last bar; writes through Above go straight
	// through from now on.
	final bool
}

func newTerminal(w io.Writer, width int, now func() status) *terminal {
	return &terminal{w: w, width: width, now: now}
}

// show draws s as the bar. Nothing is drawn before there is something to
// show: no record read yet, or (counting) a count under way that will give
// the real total.
func (t *terminal) show(s status, final, counting bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.final {
		return
	}
	if s.total == 0 && t.line == "" || !final && counting && !s.known {
		return
	}
	if t.midLine {
		if !final {
			return
		}
		io.WriteString(t.w, "\n")
		t.midLine = false
	}
	line := barLine(s, final, t.width, columns(t.w))
	if !final && t.shown && line == t.line {
		return // nothing changed on the screen
	}
	t.line = line
	if final {
		io.WriteString(t.w, clearLine+t.line+"\n")
		t.shown, t.final = false, true
		return
	}
	io.WriteString(t.w, clearLine+t.line)
	t.shown = true
}

// write writes b to w, a stream on the bar's terminal, above the bar: it
// clears the bar's line, writes b, and once the cursor is at the start of
// a line again, redraws the bar below.
func (t *terminal) write(w io.Writer, b []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.shown {
		io.WriteString(t.w, clearLine)
		t.shown = false
	}
	n, err := w.Write(b)
	if n > 0 {
		t.midLine = b[n-1] != '\n'
	}
	if !t.midLine && !t.final && t.line != "" {
		t.line = barLine(t.now(), false, t.width, columns(t.w))
		io.WriteString(t.w, t.line)
		t.shown = true
	}
	return n, err
}

// above is a writer to a stream on the bar's terminal; see Progress.Above.
type above struct {
	t *terminal
	w io.Writer
}

func (a above) Write(b []byte) (int, error) { return a.t.write(a.w, b) }

// Above returns the writer for w, a stream writing to the bar's terminal
// (the bar's own writer, or a standard output on the same terminal): what
// is written to it is printed above the bar, which is cleared first and
// redrawn after, never through it. Every write to the bar's terminal while
// the bar is shown must go through such a writer. In modes other than
// Terminal, and for a nil *Progress, Above returns w itself.
func (p *Progress) Above(w io.Writer) io.Writer {
	if p == nil || p.term == nil {
		return w
	}
	return above{t: p.term, w: w}
}

// columns is the width of the terminal w is, 0 when unknown.
func columns(w io.Writer) int {
	f, ok := w.(*os.File)
	if !ok {
		return 0
	}
	cols, _, err := term.GetSize(int(f.Fd()))
	if err != nil {
		return 0
	}
	return cols
}

// barLine formats s as the bar, fitting it in cols columns (0: no limit);
// the final bar has no ETA.
// With the total known:
//
//	45% |██████████████████                      | (90/200, 65 jobs/s) [1s:2s] 0 failed
//
// While it is not (input from a pipe, still being read), no percentage,
// no bar and no ETA, and the count read so far as a lower bound:
//
//	(90/130+, 65 jobs/s) [1s] 0 failed, reading input
func barLine(s status, final bool, width, cols int) string {
	rate := s.rate()
	rateText := fmt.Sprintf("%.1f", rate)
	if rate >= 10 {
		rateText = fmt.Sprintf("%.0f", rate)
	}
	elapsed := s.elapsed.Round(time.Second).String()
	if !s.known {
		line := fmt.Sprintf("(%d/%d+, %s jobs/s) [%s] %d failed%s, reading input",
			s.done, s.total, rateText, elapsed, s.failed, s.stopped())
		return fit(line, cols)
	}
	clock := elapsed
	if left, ok := s.eta(); ok && !final && s.done < s.total {
		clock += ":" + left.Round(time.Second).String()
	}
	percent := int64(100)
	if s.total > 0 {
		percent = s.done * 100 / s.total
	}
	tail := fmt.Sprintf(" (%d/%d, %s jobs/s) [%s] %d failed%s", s.done, s.total, rateText, clock, s.failed, s.stopped())
	head := fmt.Sprintf("%4d%% ", percent)
	if width <= 0 {
		width = 40
		if cols > 0 {
			width = min(width, cols-1-len(head)-2-utf8.RuneCountInString(tail))
		}
	}
	if width < 10 {
		return fit(strings.TrimSpace(head)+tail, cols)
	}
	fill := int(int64(width) * s.done / max(s.total, 1))
	fill = min(fill, width)
	return fit(head+"|"+strings.Repeat("█", fill)+strings.Repeat(" ", width-fill)+"|"+tail, cols)
}

// fit cuts line to fewer than cols columns, so that the terminal never
// wraps it (a wrapped bar could not be cleared with one carriage return).
func fit(line string, cols int) string {
	if cols <= 1 || utf8.RuneCountInString(line) < cols {
		return line
	}
	r := []rune(line)
	return string(r[:cols-1])
}
