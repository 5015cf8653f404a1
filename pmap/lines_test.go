package pmap

import (
	"bytes"
	"fmt"
	"math/rand"
	"os"
	"sort"
	"strings"
	"sync"
	"testing"
)

// TestLineWriterHoldsLongLineInBudget: a 20 MB line written in pieces
// waits for its newline in the Budget's memory and spill file, not in a
// growing slice of its own, and comes out whole with its tag once.
func TestLineWriterHoldsLongLineInBudget(t *testing.T) {
	dir := t.TempDir()
	const limit = 256 << 10
	budget := NewBudget(limit, dir)
	defer budget.Close()
	var out bytes.Buffer
	o := NewOutput(&out, &out, nil)
	l := o.Lines("t", false, budget)
	piece := bytes.Repeat([]byte("x"), 32<<10)
	const pieces = 640 // 20 MiB
	for i := 0; i < pieces; i++ {
		l.Write(piece)
		if cap(l.part) > 2*lineHold { // lineHold, and what append adds

			t.Fatalf("after %d pieces the line's own memory is %d bytes", i+1, cap(l.part))
		}
		if n := budget.InMemory(); n > limit {
			t.Fatalf("after %d pieces %d bytes in memory, over the budget of %d", i+1, n, limit)
		}
		if out.Len() != 0 {
			t.Fatalf("after %d pieces %d bytes out before the newline", i+1, out.Len())
		}
	}
	if budget.Spilled() == 0 {
		t.Fatal("nothing spilled")
	}
	l.Write([]byte("y\nz"))
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	want := "t\t" + strings.Repeat("x", pieces*len(piece)) + "y\nt\tz"
	if out.String() != want {
		t.Fatalf("output of %d bytes is not the line whole (%d bytes)", out.Len(), len(want))
	}
	if n := budget.InMemory(); n != 0 {
		t.Fatalf("%d bytes still held after Close", n)
	}
}

// TestLineWriterNeverBreaksLines: three writers on one Output (two jobs'
// stdout and one's stderr) write lines short and long (up to 1 MB, past
// lineHold and the Budget) in pieces of every size, one piece of each in
// turn; every line comes out whole, stdout's and stderr's apart.
func TestLineWriterNeverBreaksLines(t *testing.T) {
	budget := NewBudget(128<<10, t.TempDir())
	defer budget.Close()
	var stdout, stderr bytes.Buffer
	o := NewOutput(&stdout, &stderr, nil)
	rng := rand.New(rand.NewSource(1))
	type stream struct {
		l     *LineWriter
		data  []byte
		lines []string
	}
	streams := []*stream{
		{l: o.Lines("a", false, budget)},
		{l: o.Lines("", false, budget)},
		{l: o.Lines("c", true, budget)},
	}
	for k, s := range streams {
		for i := 0; i < 40; i++ {
			n := rng.Intn(100)
			if i%4 == 0 {
				n = rng.Intn(1 << 20)
			}
			line := fmt.Sprintf("%d:%d:", k, i) + strings.Repeat(string(rune('a'+k)), n)
			s.data = append(s.data, line+"\n"...)
			if s.l.tag != "" {
				line = s.l.tag + "\t" + line
			}
			s.lines = append(s.lines, line)
		}
	}
	for left := true; left; {
		left = false
		for _, s := range streams {
			if len(s.data) == 0 {
				continue
			}
			n := min(len(s.data), 1+rng.Intn(200<<10))
			s.l.Write(s.data[:n])
			s.data = s.data[n:]
			left = true
		}
	}
	for _, s := range streams {
		if err := s.l.Close(); err != nil {
			t.Fatal(err)
		}
	}
	sameLines(t, "stdout", stdout.String(), append(streams[0].lines, streams[1].lines...))
	sameLines(t, "stderr", stderr.String(), streams[2].lines)
}

// TestLineWriterConcurrentLongLines: two jobs writing long lines in pieces
// at the same time never mix within a line.
func TestLineWriterConcurrentLongLines(t *testing.T) {
	budget := NewBudget(64<<10, t.TempDir())
	defer budget.Close()
	var out bytes.Buffer
	o := NewOutput(&out, os.Stderr, nil)
	var wg sync.WaitGroup
	var want []string
	for k := 0; k < 2; k++ {
		l := o.Lines("", false, budget)
		var data []byte
		for i := 0; i < 20; i++ {
			line := strings.Repeat(string(rune('a'+k)), 100000+i*7919)
			want = append(want, line)
			data = append(data, line+"\n"...)
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			for len(data) > 0 {
				n := min(len(data), 4093)
				l.Write(data[:n])
				data = data[n:]
			}
			l.Close()
		}()
	}
	wg.Wait()
	sameLines(t, "stdout", out.String(), want)
}

// sameLines checks that got's lines are want's, in any order.
func sameLines(t *testing.T, name, got string, want []string) {
	t.Helper()
	lines := strings.Split(strings.TrimSuffix(got, "\n"), "\n")
	want = append([]string(nil), want...)
	sort.Strings(lines)
	sort.Strings(want)
	if len(lines) != len(want) {
		t.Fatalf("%s: %d lines, want %d", name, len(lines), len(want))
	}
	for i := range lines {
		if lines[i] != want[i] {
			t.Fatalf("%s: line of %d bytes %.40q… is not one of the lines written", name, len(lines[i]), lines[i])
		}
	}
}
