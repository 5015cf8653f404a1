package records

import (
	"bytes"
	"io"
	"runtime"
	"strings"
	"testing"
	"time"
)

// Next returns record 1 before record 2 is written: the writer blocks until the
// reader has it, so a reader that waited for more input would deadlock.
func TestStreaming(t *testing.T) {
	pr, pw := io.Pipe()
	got1 := make(chan struct{})
	go func() {
		pw.Write([]byte("1\n"))
		<-got1
		pw.Write([]byte("2\n"))
		pw.Close()
	}()
	r, err := Open(nil, pr, DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	next := func() (Record, error) {
		type result struct {
			rec Record
			err error
		}
		done := make(chan result, 1)
		go func() {
			rec, err := r.Next()
			done <- result{rec, err}
		}()
		select {
		case res := <-done:
			return res.rec, res.err
		case <-time.After(10 * time.Second): // a guard against a hang, not a synchronisation
			t.Fatal("Next blocked: it waits for input beyond the record")
			return Record{}, nil
		}
	}
	rec, err := next()
	if err != nil || rec.Args[0] != "1" {
		t.Fatalf("first Next = %q, %v", rec.Args, err)
	}
	close(got1)
	rec, err = next()
	if err != nil || rec.Args[0] != "2" {
		t.Fatalf("second Next = %q, %v", rec.Args, err)
	}
	if _, err := next(); err != io.EOF {
		t.Fatalf("third Next: %v, want io.EOF", err)
	}
}

// The product streams its first source too.
func TestStreamingProduct(t *testing.T) {
	pr, pw := io.Pipe()
	got := make(chan struct{})
	go func() {
		pw.Write([]byte("a\n"))
		<-got
		pw.Close()
	}()
	r, err := Open([]Source{Stdin(), List(strs("1 2"))}, pr, DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"a 1", "a 2"} {
		rec, err := r.Next()
		if err != nil || strings.Join(rec.Args, " ") != want {
			t.Fatalf("Next = %q, %v; want %s", rec.Args, err, want)
		}
	}
	close(got)
	if _, err := r.Next(); err != io.EOF {
		t.Fatalf("Next: %v, want io.EOF", err)
	}
}

func TestHugeRecord(t *testing.T) {
	const size = 100 << 20
	pattern := []byte("0123456789abc\r") // 14 bytes: chunks never line up with it
	big := bytes.Repeat(pattern, size/len(pattern)+1)[:size]
	input := io.MultiReader(bytes.NewReader(big), strings.NewReader("\r\nnext\n"))
	r, err := Open(nil, input, Options{Delim: '\n', StripCR: true})
	if err != nil {
		t.Fatal(err)
	}
	rec, err := r.Next()
	if err != nil {
		t.Fatal(err)
	}
	v := rec.Args[0]
	if len(v) != size {
		t.Fatalf("record of %d bytes, want %d", len(v), size)
	}
	if v != string(big) {
		t.Fatal("record content differs from the input")
	}
	if rec, err := r.Next(); err != nil || rec.Args[0] != "next" {
		t.Fatalf("record after the huge one: %q, %v", rec.Args, err)
	}
}

// endless is an input of "line\n" forever.
type endless struct{ off int }

const endlessLine = "line\n"

func (e *endless) Read(p []byte) (int, error) {
	n := 0
	for n < len(p) {
		c := copy(p[n:], endlessLine[e.off:])
		n += c
		e.off = (e.off + c) % len(endlessLine)
	}
	return n, nil
}

// Memory stays flat on endless input: nothing accumulates per record.
func TestFlatMemory(t *testing.T) {
	for _, tt := range []struct {
		opt Options
		n   int
	}{
		{DefaultOptions(), memoryRecords},
		{Options{Delim: '\n', XArgs: 4096, Slots: 8}, memoryRecords / 10},
	} {
		opt, n := tt.opt, tt.n
		if testing.Short() {
			n /= 10
		}
		r, err := Open([]Source{Stdin(), List(strs("x"))}, &endless{}, opt)
		if err != nil {
			t.Fatal(err)
		}
		runtime.GC()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		base := ms.HeapInuse
		var peak uint64
		const limit = 8 << 20
		var recs int
		for recs < n {
			rec, err := r.Next()
			if err != nil {
				t.Fatal(err)
			}
			recs += len(rec.Args) / 2
			if rec.Args[0] != "line" {
				t.Fatalf("record %q", rec.Args[0])
			}
			if recs%(1<<20) < len(rec.Args)/2 {
				// What is still live after a collection: garbage not yet
				// collected (the collector lags on a busy machine) is not
				// memory the reader holds.
				runtime.GC()
				runtime.ReadMemStats(&ms)
				peak = max(peak, ms.HeapInuse)
				if ms.HeapInuse > base+limit {
					t.Fatalf("after %d records HeapInuse is %d KiB, started at %d KiB", recs, ms.HeapInuse>>10, base>>10)
				}
			}
		}
		t.Logf("%+v: %d records, HeapInuse %d KiB at start, %d KiB at most", opt, recs, base>>10, peak>>10)
	}
}

func BenchmarkNext(b *testing.B) {
	const lines = 1_000_000
	var buf bytes.Buffer
	for i := range lines {
		buf.WriteString("/some/path/file")
		buf.WriteByte(byte('0' + i%10))
		buf.WriteString(".txt\n")
	}
	input := buf.Bytes()
	b.SetBytes(int64(len(input)))
	b.ReportAllocs()
	for b.Loop() {
		r, err := Open(nil, bytes.NewReader(input), DefaultOptions())
		if err != nil {
			b.Fatal(err)
		}
		n := 0
		for {
			_, err := r.Next()
			if err != nil {
				break
			}
			n++
		}
		if n != lines {
			b.Fatalf("%d records", n)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/lines, "ns/record")
}
