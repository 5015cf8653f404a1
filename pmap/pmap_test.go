package pmap

import (
	"bytes"
	"fmt"
	"math/rand"
	"os"
	"strings"
	"sync"
	"testing"
)

func TestMapEmitsInInputOrder(t *testing.T) {
	var got []int64
	m := NewMap(1, func(v int64) { got = append(got, v) })
	order := rand.New(rand.NewSource(1)).Perm(1000)
	var wg sync.WaitGroup
	for _, i := range order {
		wg.Add(1)
		go func() { defer wg.Done(); m.Put(int64(i+1), int64(i+1)) }()
	}
	wg.Wait()
	if len(got) != 1000 {
		t.Fatalf("emitted %d, want 1000", len(got))
	}
	for i, v := range got {
		if v != int64(i+1) {
			t.Fatalf("position %d holds %d", i, v)
		}
	}
	if m.Waiting() != 0 {
		t.Fatalf("%d still waiting", m.Waiting())
	}
}

func TestMapHoldsUntilTurn(t *testing.T) {
	var got []string
	m := NewMap(1, func(v string) { got = append(got, v) })
	m.Put(2, "b")
	m.Put(3, "c")
	if len(got) != 0 || m.Waiting() != 2 {
		t.Fatalf("emitted %v before job 1", got)
	}
	m.Put(1, "a")
	if strings.Join(got, "") != "abc" {
		t.Fatalf("got %v", got)
	}
}

func TestQueueEmitsAtOnce(t *testing.T) {
	var got []string
	q := NewQueue(func(v string) { got = append(got, v) })
	q.Put(3, "c")
	q.Put(1, "a")
	if strings.Join(got, "") != "ca" {
		t.Fatalf("got %v", got)
	}
}

func fill(b *Buffer, seed byte, n int) []byte {
	want := make([]byte, n)
	for i := range want {
		want[i] = seed + byte(i%251)
	}
	for p := want; len(p) > 0; {
		k := min(len(p), 1+rand.Intn(70000))
		b.Write(p[:k])
		p = p[k:]
	}
	b.Seal()
	return want
}

func TestBufferStaysInMemoryWithinBudget(t *testing.T) {
	budget := NewBudget(1<<20, t.TempDir())
	defer budget.Close()
	b := NewBuffer(budget)
	want := fill(b, 1, 300000)
	if budget.Spilled() != 0 {
		t.Fatalf("spilled %d bytes under budget", budget.Spilled())
	}
	var out bytes.Buffer
	b.WriteTo(&out)
	if !bytes.Equal(out.Bytes(), want) {
		t.Fatal("content differs")
	}
	b.Release()
	if budget.InMemory() != 0 {
		t.Fatalf("%d bytes still held after Release", budget.InMemory())
	}
}

func TestBufferSpillsBeyondBudget(t *testing.T) {
	dir := t.TempDir()
	budget := NewBudget(256*1024, dir)
	bufs := make([]*Buffer, 20)
	wants := make([][]byte, 20)
	var wg sync.WaitGroup
	for i := range bufs {
		bufs[i] = NewBuffer(budget)
		wg.Add(1)
		go func() { defer wg.Done(); wants[i] = fill(bufs[i], byte(i), 100000+i*977) }()
	}
	wg.Wait()
	if budget.InMemory() > 256*1024 {
		t.Fatalf("%d bytes in memory, budget 256 KiB", budget.InMemory())
	}
	if budget.Spilled() == 0 {
		t.Fatal("nothing spilled beyond the budget")
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Fatalf("spill file has a name: %v", entries)
	}
	for i, b := range bufs {
		var out bytes.Buffer
		if _, err := b.WriteTo(&out); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(out.Bytes(), wants[i]) {
			t.Fatalf("buffer %d: content differs (%d bytes, want %d)", i, out.Len(), len(wants[i]))
		}
		if b.Err() != nil {
			t.Fatal(b.Err())
		}
		b.Release()
	}
	if budget.InMemory() != 0 {
		t.Fatalf("%d bytes held after Release", budget.InMemory())
	}
	budget.Close()
}

func TestManySmallOutputsDoNotExhaustBudget(t *testing.T) {
	budget := NewBudget(1<<20, t.TempDir())
	defer budget.Close()
	for i := 0; i < 1000; i++ {
		b := NewBuffer(budget)
		fmt.Fprintf(b, "%d\n", i)
		b.Seal()
	}
	if budget.Spilled() != 0 {
		t.Fatalf("1000 tiny outputs spilled %d bytes", budget.Spilled())
	}
}

func TestOutputTagsEveryLine(t *testing.T) {
	var out, errOut bytes.Buffer
	o := NewOutput(&out, &errOut, nil)
	budget := NewBudget(1<<20, "")
	b, e := NewBuffer(budget), NewBuffer(budget)
	b.Write([]byte("one\ntwo\nthr"))
	b.Write([]byte("ee\nfour"))
	e.Write([]byte("oops\n"))
	b.Seal()
	e.Seal()
	o.WriteJob("a b", b, e)
	if got, want := out.String(), "a b\tone\na b\ttwo\na b\tthree\na b\tfour"; got != want {
		t.Fatalf("stdout %q, want %q", got, want)
	}
	if got := errOut.String(); got != "a b\toops\n" {
		t.Fatalf("stderr %q", got)
	}
}

func TestLineWriterPassesWholeLines(t *testing.T) {
	var out bytes.Buffer
	o := NewOutput(&out, &out, nil)
	l1, l2 := o.Lines("", false, nil), o.Lines("t", false, nil)
	l1.Write([]byte("hel"))
	l2.Write([]byte("abc\nde"))
	l1.Write([]byte("lo\nwor"))
	l2.Write([]byte("f\n"))
	l1.Close()
	l2.Close()
	if got, want := out.String(), "t\tabc\nhello\nt\tdef\nwor"; got != want {
		t.Fatalf("got %q, want %q", got, want)
	}
}

type failWriter struct{ n int }

func (f *failWriter) Write(p []byte) (int, error) { f.n++; return 0, os.ErrClosed }

func TestOutputReportsFirstWriteError(t *testing.T) {
	calls := 0
	o := NewOutput(&failWriter{}, &bytes.Buffer{}, func(error) { calls++ })
	budget := NewBudget(1<<20, "")
	for i := 0; i < 3; i++ {
		b := NewBuffer(budget)
		b.Write([]byte("x\n"))
		b.Seal()
		o.WriteJob("", b, nil)
	}
	if calls != 1 || o.Err() == nil {
		t.Fatalf("failed called %d times, err %v", calls, o.Err())
	}
}
