package progress

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/parmap/parmap/internal/testbed/ttyscreen"
)

// Output written through Above lands above the bar: the bar's line is
// cleared first and the bar drawn again below, so no stale bar is left.
func TestAbove(t *testing.T) {
	buf := newSyncBuffer()
	p := New(buf, Options{Mode: Terminal, Width: 10})
	out := p.Above(buf)
	p.Add(3)
	p.InputDone()
	p.Done(false)
	buf.waitFor(t, "the bar", func(s string) bool { return strings.Contains(s, "(1/3,") })
	out.Write([]byte("err 1\n"))
	out.Write([]byte("part"))
	out.Write([]byte("ial\n"))
	p.Done(false)
	p.Done(true)
	p.Finish()
	out.Write([]byte("after\n"))
	got := ttyscreen.Screen(buf.String())
	want := []string{"err 1", "partial"}
	if len(got) != 5 || got[0] != want[0] || got[1] != want[1] || !strings.Contains(got[2], "(3/3,") || got[3] != "after" || got[4] != "" {
		t.Errorf("screen:\n%q\nwant err 1, partial, the final bar, after", got)
	}
	// While a line is unfinished, the bar is not drawn over it.
	if strings.Contains(buf.String(), "part\r") {
		t.Errorf("the bar was drawn over an unfinished line: %q", buf.String())
	}
}

func TestAboveOtherModes(t *testing.T) {
	var b bytes.Buffer
	if w := New(&b, Options{Mode: Lines}).Above(&b); w != &b {
		t.Errorf("Lines mode: Above wraps its writer")
	}
	var p *Progress
	if w := p.Above(&b); w != &b {
		t.Errorf("nil Progress: Above wraps its writer")
	}
}

// From a pipe the total is not known: no percentage and no ETA until the
// input ends.
func TestTerminalUnknownTotal(t *testing.T) {
	s := status{done: 90, total: 130, elapsed: 2 * time.Second}
	line := barLine(s, false, 0, 100)
	if line != "(90/130+, 45 jobs/s) [2s] 0 failed, reading input" {
		t.Errorf("bar = %q", line)
	}
	s.known, s.inputDone = true, true
	line = barLine(s, false, 20, 100)
	if line != "  69% |█████████████       | (90/130, 45 jobs/s) [2s:1s] 0 failed" {
		t.Errorf("bar = %q", line)
	}
}

// The bar never wraps: it fits the terminal's width.
func TestBarFits(t *testing.T) {
	s := status{done: 12345, total: 99999, known: true, failed: 12, interrupted: 3, elapsed: time.Minute}
	for _, cols := range []int{100, 60, 30, 10} {
		line := barLine(s, false, 0, cols)
		if n := len([]rune(line)); n >= cols {
			t.Errorf("%d columns: bar of %d: %q", cols, n, line)
		}
	}
}

// Count gives the real total before the records are read; the first bar
// drawn waits for it.
func TestTerminalCounted(t *testing.T) {
	buf := newSyncBuffer()
	p := New(buf, Options{Mode: Terminal})
	release := make(chan struct{})
	p.Count(func(<-chan struct{}) (int64, bool) { <-release; return 200, true })
	p.Add(7)
	p.Done(false)
	time.Sleep(3 * redraw) // proves a negative: no bar while counting
	if s := buf.String(); s != "" {
		t.Errorf("a bar drawn while counting: %q", s)
	}
	close(release)
	out := buf.waitFor(t, "the bar", func(s string) bool { return s != "" })
	if !strings.Contains(out, "(1/200,") || !strings.Contains(out, "0%") {
		t.Errorf("first bar = %q, want 1/200 and a percentage", out)
	}
	p.Skip()
	p.Finish()
	if out := buf.String(); !strings.Contains(out[strings.LastIndex(out, "\r"):], "(1/199,") {
		t.Errorf("final bar = %q, want 1/199 after a skip", out)
	}
}

// Interrupted jobs are counted apart from failed ones.
func TestTerminalInterrupted(t *testing.T) {
	buf := newSyncBuffer()
	p := New(buf, Options{Mode: Terminal})
	p.Add(3)
	p.InputDone()
	p.Done(true)
	p.Interrupted()
	p.Interrupted()
	p.Finish()
	got := ttyscreen.Screen(buf.String())
	if len(got) != 2 || !strings.Contains(got[0], "(3/3, ") || !strings.HasSuffix(got[0], " 1 failed, 2 interrupted") {
		t.Errorf("screen = %q, want the bar ending 1 failed, 2 interrupted", got)
	}
}
