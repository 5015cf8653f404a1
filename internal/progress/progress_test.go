package progress

import (
	"bytes"
	"io"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

// syncBuffer is a writer the drawing goroutine and the test share; waiters
// are woken at every write, so tests wait for events instead of sleeping.
type syncBuffer struct {
	mu     sync.Mutex
	cond   *sync.Cond
	buf    bytes.Buffer
	writes int
}

func newSyncBuffer() *syncBuffer {
	b := &syncBuffer{}
	b.cond = sync.NewCond(&b.mu)
	return b
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.writes++
	b.cond.Broadcast()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func (b *syncBuffer) count() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.writes
}

// waitFor waits until ok holds for the buffer's text, failing the test
// after a generous deadline.
func (b *syncBuffer) waitFor(t *testing.T, what string, ok func(string) bool) string {
	t.Helper()
	timeout := time.AfterFunc(10*time.Second, func() {
		b.mu.Lock()
		b.writes = -1 // tells the waiter to give up
		b.cond.Broadcast()
		b.mu.Unlock()
	})
	defer timeout.Stop()
	b.mu.Lock()
	defer b.mu.Unlock()
	for !ok(b.buf.String()) {
		if b.writes < 0 {
			t.Fatalf("timed out waiting for %s; output:\n%q", what, b.buf.String())
		}
		b.cond.Wait()
	}
	return b.buf.String()
}

// lastLine is the last complete line of s.
func lastLine(s string) string {
	lines := strings.Split(strings.TrimSuffix(s, "\n"), "\n")
	return lines[len(lines)-1] + "\n"
}

var lineFormat = regexp.MustCompile(`^parmap: \d+/\d+\+? done( \(\d+%\))?, \d+ failed, \d+\.\d jobs/s, elapsed [0-9hms.]+, ETA ([0-9hms.]+\+?|\?)\n$`)

func TestLines(t *testing.T) {
	buf := newSyncBuffer()
	p := New(buf, Options{Mode: Lines, Interval: time.Millisecond})
	p.Add(10)
	for i := range 4 {
		p.Done(i == 0)
	}
	out := buf.waitFor(t, "a line with 4/10+", func(s string) bool { return strings.Contains(s, "parmap: 4/10+ done, 1 failed,") })
	if !lineFormat.MatchString(lastLine(out)) {
		t.Errorf("line %q does not have the status format", lastLine(out))
	}

	p.Add(10)
	p.InputDone()
	for range 16 {
		p.Done(true)
	}
	buf.waitFor(t, "a line with 20/20", func(s string) bool { return strings.Contains(s, "parmap: 20/20 done (100%), 17 failed,") })

	p.Finish()
	p.Finish() // idempotent
	out = buf.String()
	final := lastLine(out)
	if !strings.HasPrefix(final, "parmap: 20/20 done (100%), 17 failed, ") || !strings.HasSuffix(final, ", ETA 0s\n") {
		t.Errorf("final line = %q, want 20/20 done, 17 failed, ETA 0s", final)
	}
	for _, line := range strings.SplitAfter(out, "\n") {
		if line != "" && !lineFormat.MatchString(line) {
			t.Errorf("line %q does not have the status format", line)
		}
	}
	if strings.ContainsAny(out, "\r\x1b") {
		t.Errorf("lines output has control characters: %q", out)
	}

	// Nothing is written after Finish, however many intervals pass.
	n := buf.count()
	p.Add(1)
	p.Done(false)
	time.Sleep(20 * time.Millisecond) // 20 intervals: proves a negative, not a wait for an event
	if buf.count() != n {
		t.Errorf("%d writes after Finish: %q", buf.count()-n, buf.String()[len(out):])
	}
}

func TestLinesFinishBeforeInterval(t *testing.T) {
	buf := newSyncBuffer()
	p := New(buf, Options{Mode: Lines}) // 5s: Finish comes first
	p.Add(3)
	p.Done(false)
	p.Finish()
	out := buf.String()
	if strings.Count(out, "\n") != 1 || !strings.HasPrefix(out, "parmap: 1/3+ done, 0 failed, ") {
		t.Errorf("output = %q, want one line with 1/3+ (input not finished)", out)
	}
}

func TestStatusLine(t *testing.T) {
	for _, tc := range []struct {
		s    status
		want string
	}{
		{status{done: 120, total: 500, failed: 3, elapsed: 2900 * time.Millisecond},
			"parmap: 120/500+ done, 3 failed, 41.4 jobs/s, elapsed 2.9s, ETA ?\n"},
		{status{done: 120, total: 500, failed: 3, known: true, elapsed: 2900 * time.Millisecond},
			"parmap: 120/500 done (24%), 3 failed, 41.4 jobs/s, elapsed 2.9s, ETA 9.2s\n"},
		{status{done: 120, total: 500, failed: 3, interrupted: 2, known: true, elapsed: 2900 * time.Millisecond},
			"parmap: 120/500 done (24%), 3 failed, 2 interrupted, 41.4 jobs/s, elapsed 2.9s, ETA 9.2s\n"},
		{status{done: 120, total: 500, failed: 3, known: true, inputDone: true, elapsed: 2900 * time.Millisecond},
			"parmap: 120/500 done (24%), 3 failed, 41.4 jobs/s, elapsed 2.9s, ETA 9.2s\n"},
		{status{done: 0, total: 7, known: true, inputDone: true, elapsed: time.Second},
			"parmap: 0/7 done (0%), 0 failed, 0.0 jobs/s, elapsed 1s, ETA ?\n"},
		{status{done: 0, total: 0, known: true, inputDone: true, elapsed: 0},
			"parmap: 0/0 done, 0 failed, 0.0 jobs/s, elapsed 0s, ETA 0s\n"},
		{status{done: 100, total: 1000, known: true, inputDone: true, elapsed: 65 * time.Second},
			"parmap: 100/1000 done (10%), 0 failed, 1.5 jobs/s, elapsed 1m5s, ETA 9m45s\n"},
	} {
		if got := tc.s.line(); got != tc.want {
			t.Errorf("%+v.line() =\n%q, want\n%q", tc.s, got, tc.want)
		}
	}
}

func TestTerminal(t *testing.T) {
	buf := newSyncBuffer()
	p := New(buf, Options{Mode: Terminal, Width: 20})
	p.Add(5)
	p.Done(false)
	buf.waitFor(t, "the bar at 1/5", func(s string) bool { return strings.Contains(s, "1/5") })
	p.Add(45)
	p.InputDone()
	for i := range 49 {
		p.Done(i%10 == 0)
	}
	p.Finish()
	p.Finish()
	out := buf.String()
	final := out[strings.LastIndex(out, "\r"):]
	if !strings.Contains(final, "(50/50,") || !strings.HasSuffix(final, " 5 failed\n") {
		t.Errorf("final bar = %q, want 50/50 and 5 failed, then a newline", final)
	}
	n := buf.count()
	p.Done(false)
	time.Sleep(2 * redraw) // proves a negative
	if buf.count() != n {
		t.Errorf("the bar was drawn after Finish: %q", buf.String()[len(out):])
	}
}

// A run stopped early shows where it stopped, not a full bar.
func TestTerminalStoppedEarly(t *testing.T) {
	buf := newSyncBuffer()
	p := New(buf, Options{Mode: Terminal})
	p.Add(10)
	for range 3 {
		p.Done(true)
	}
	p.Finish()
	final := buf.String()
	final = final[strings.LastIndex(final, "\r"):]
	if !strings.Contains(final, "3/10") || !strings.Contains(final, "3 failed, reading input") {
		t.Errorf("final bar = %q, want 3/10 and 3 failed, reading input", final)
	}
}

// Jobs finishing as fast as records are read must not complete the bar early.
func TestTerminalCaughtUp(t *testing.T) {
	buf := newSyncBuffer()
	p := New(buf, Options{Mode: Terminal})
	p.Add(2)
	p.Done(false)
	p.Done(false)
	buf.waitFor(t, "a bar", func(s string) bool { return strings.Contains(s, "(2/2+,") })
	p.Add(2)
	p.Done(false)
	p.Done(false)
	p.InputDone()
	p.Finish()
	if out := buf.String(); !strings.Contains(out[strings.LastIndex(out, "\r"):], "4/4") {
		t.Errorf("final bar lacks 4/4: %q", out)
	}
}

func TestTerminalNothingRead(t *testing.T) {
	buf := newSyncBuffer()
	p := New(buf, Options{Mode: Terminal})
	p.InputDone()
	p.Finish()
	if out := buf.String(); out != "" {
		t.Errorf("output = %q, want nothing for a run without records", out)
	}
}

func TestOff(t *testing.T) {
	if p := New(new(bytes.Buffer), Options{}); p != nil {
		t.Fatalf("New(Off) = %v, want nil", p)
	}
	var p *Progress
	p.Add(1)
	p.Done(true)
	p.InputDone()
	p.Finish()
}

func BenchmarkDone(b *testing.B) {
	p := New(io.Discard, Options{Mode: Terminal})
	defer p.Finish()
	p.Add(int64(b.N))
	b.ResetTimer()
	for range b.N {
		p.Done(false)
	}
}

func BenchmarkDoneParallel(b *testing.B) {
	p := New(io.Discard, Options{Mode: Lines})
	defer p.Finish()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			p.Done(false)
		}
	})
}

func BenchmarkDoneOff(b *testing.B) {
	var p *Progress
	for range b.N {
		p.Done(false)
	}
}

func TestGNUProgress(t *testing.T) {
	buf := newSyncBuffer()
	p := New(buf, Options{Mode: GNU, Jobs: 2, CPUs: 4, ETA: true})
	p.Add(4)
	p.Done(false)
	p.Done(true)
	p.InputDone()
	p.Finish()
	out := buf.String()
	if !strings.HasPrefix(out, "\nComputers / CPU cores / Max jobs to run\n1:local / 4 / 2\n\nComputer:jobs running/jobs completed/%of started jobs/Average seconds to complete\n") {
		t.Fatalf("header: %q", out)
	}
	if !regexp.MustCompile(`\rETA: \d+s Left: 2 AVG: \d+\.\d\ds  local:2/2/100%/\d+\.\ds \n$`).MatchString(out) {
		t.Fatalf("final status: %q", out)
	}
}
