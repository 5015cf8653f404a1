package blocks

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"syscall"
	"testing"
)

// lines returns n records of varied lengths.
func lines(n int) []byte {
	var b bytes.Buffer
	for i := range n {
		fmt.Fprintf(&b, "%d %s\n", i, strings.Repeat("x", i%97))
	}
	return b.Bytes()
}

// drain reads r to its end on another goroutine; wait returns what it read.
func drain(r *os.File) (wait func() []byte) {
	done := make(chan []byte)
	go func() {
		b, _ := io.ReadAll(r)
		r.Close()
		done <- b
	}()
	return func() []byte { return <-done }
}

// TestFeedRange feeds every range of one file at once, each into its own
// pipe, and the header twice more, and checks each pipe's bytes.
func TestFeedRange(t *testing.T) {
	data := lines(40000) // about 2.2 MB, each range several pipefuls
	f := tempFile(t, data)
	rs, err := NewRanges(f, 256<<10, '\n', 1)
	if err != nil {
		t.Fatal(err)
	}
	all := []Range{rs.Header(), rs.Header()}
	for {
		r, err := rs.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, r)
	}
	if len(all) < 8 {
		t.Fatalf("only %d ranges", len(all))
	}
	var wg sync.WaitGroup
	for _, r := range all {
		wg.Go(func() {
			pr, pw, err := os.Pipe()
			if err != nil {
				t.Error(err)
				return
			}
			wait := drain(pr)
			err = FeedRange(pw, f, r.Start, r.End)
			pw.Close()
			got := wait()
			if err != nil || !bytes.Equal(got, data[r.Start:r.End]) {
				t.Errorf("range %d [%d, %d): %v, got %d bytes that differ", r.Seq, r.Start, r.End, err, len(got))
			}
		})
	}
	wg.Wait()
	if off, err := f.Seek(0, io.SeekCurrent); off != 0 || err != nil {
		t.Errorf("file offset moved to %d, %v", off, err)
	}
}

// TestFeedRangeEPIPE checks that a reader leaving early ends FeedRange with
// EPIPE, whether it leaves before the feed or during it.
func TestFeedRangeEPIPE(t *testing.T) {
	data := lines(40000)
	f := tempFile(t, data)
	for _, early := range []bool{true, false} {
		pr, pw, err := os.Pipe()
		if err != nil {
			t.Fatal(err)
		}
		done := make(chan struct{})
		go func() {
			if !early {
				pr.Read(make([]byte, 1)) // wait for the feed to start
			}
			pr.Close()
			close(done)
		}()
		if early {
			<-done
		}
		err = FeedRange(pw, f, 0, int64(len(data)))
		pw.Close()
		<-done
		if !errors.Is(err, syscall.EPIPE) {
			t.Errorf("reader gone early %v: FeedRange gave %v, want EPIPE", early, err)
		}
	}
}

// TestFeedRangeCopy checks the fallback, to a regular file that splice cannot
// write, and ranges past the end of the file.
func TestFeedRangeCopy(t *testing.T) {
	data := lines(10000)
	src := tempFile(t, data)
	dst := tempFile(t, nil)
	if err := FeedRange(dst, src, 100, int64(len(data))); err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(dst.Name()); !bytes.Equal(got, data[100:]) {
		t.Errorf("copy to a file: got %d bytes that differ", len(got))
	}
	if err := FeedRange(dst, src, 0, int64(len(data))+1); !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Errorf("copy past the end to a file: %v", err)
	}
	pr, pw, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	wait := drain(pr)
	err = FeedRange(pw, src, int64(len(data))-5, int64(len(data))+5)
	pw.Close()
	if got := wait(); !errors.Is(err, io.ErrUnexpectedEOF) || !bytes.Equal(got, data[len(data)-5:]) {
		t.Errorf("feed past the end into a pipe: %v, %q", err, got)
	}
	if err := FeedRange(pw, src, 5, 5); err != nil {
		t.Errorf("empty range to a closed pipe: %v", err)
	}
}

// TestWriteTo writes blocks through a pipe and into a buffer.
func TestWriteTo(t *testing.T) {
	data := lines(40000)
	c := NewCutter(bytes.NewReader(data), 1<<20, '\n', 2)
	var want, buf bytes.Buffer
	pr, pw, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	wait := drain(pr)
	for {
		b, err := c.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		want.Write(b.Header)
		want.Write(b.Data)
		for _, w := range []io.Writer{pw, &buf} {
			if n, err := b.WriteTo(w); err != nil || n != int64(len(b.Header)+len(b.Data)) {
				t.Fatalf("WriteTo %T: %d, %v", w, n, err)
			}
		}
		b.Release()
	}
	pw.Close()
	if got := wait(); !bytes.Equal(got, want.Bytes()) || !bytes.Equal(buf.Bytes(), want.Bytes()) {
		t.Errorf("wrote %d bytes to the pipe and %d to the buffer, want %d", len(got), buf.Len(), want.Len())
	}
}

// TestWriteToEPIPE checks that a reader leaving during a write ends it with EPIPE.
func TestWriteToEPIPE(t *testing.T) {
	b := &Block{Header: []byte("h\n"), Data: lines(40000)}
	pr, pw, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer pw.Close()
	done := make(chan struct{})
	go func() {
		pr.Read(make([]byte, 1))
		pr.Close()
		close(done)
	}()
	n, err := b.WriteTo(pw)
	<-done
	if !errors.Is(err, syscall.EPIPE) || n >= int64(len(b.Data)) {
		t.Errorf("WriteTo a pipe closed early: %d, %v; want EPIPE", n, err)
	}
}

// TestFeedRangeMovesNoBytesThroughParmap: from a regular file into a pipe,
// the bytes go by splice(2) alone, never through a buffer in user space.
func TestFeedRangeMovesNoBytesThroughParmap(t *testing.T) {
	defer func(f func(io.Writer, io.ReaderAt, int64, int64) error) { copyFallback = f }(copyFallback)
	copyFallback = func(io.Writer, io.ReaderAt, int64, int64) error {
		t.Error("FeedRange copied through user space")
		return nil
	}
	data := lines(100000)
	f := tempFile(t, data)
	pr, pw, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	wait := drain(pr)
	if err := FeedRange(pw, f, 7, int64(len(data))-3); err != nil {
		t.Fatal(err)
	}
	pw.Close()
	if got := wait(); !bytes.Equal(got, data[7:len(data)-3]) {
		t.Fatalf("got %d bytes that differ from the range's %d", len(got), len(data)-10)
	}
}
