package records

import (
	"context"
	"errors"
	"io"
	"reflect"
	"sync"
	"testing"
	"time"
)

// nextValues reads records from r on a goroutine of their own, each
// record's first value in turn, until the end.
func nextValues(r *Reader) (<-chan string, <-chan error) {
	vs := make(chan string)
	end := make(chan error, 1)
	go func() {
		defer close(vs)
		for {
			rec, err := r.Next()
			if err != nil {
				end <- err
				return
			}
			vs <- rec.Values[0]
		}
	}()
	return vs, end
}

func TestFeedReaderBlocksUntilValuesOrClose(t *testing.T) {
	f := NewFeed()
	r, err := Open([]Source{f.Source()}, noRead{t}, DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	vs, end := nextValues(r)
	if err := f.Add("a", "b c"); err != nil {
		t.Fatal(err)
	}
	if got := []string{<-vs, <-vs}; !reflect.DeepEqual(got, []string{"a", "b c"}) {
		t.Errorf("got %q", got)
	}
	select {
	case v := <-vs:
		t.Fatalf("read %q from a feed with nothing added", v)
	case err := <-end:
		t.Fatalf("the reader ended (%v) before the feed was closed", err)
	default:
	}
	f.Add("d")
	if v := <-vs; v != "d" {
		t.Errorf("got %q", v)
	}
	f.Close()
	if err := <-end; err != io.EOF {
		t.Errorf("after Close: %v, want io.EOF", err)
	}
	if _, ok := <-vs; ok {
		t.Error("a value after the end")
	}
	if f.Added() != 3 {
		t.Errorf("Added %d", f.Added())
	}
}

func TestFeedAddAfterCloseFails(t *testing.T) {
	f := NewFeed()
	f.Add("a")
	f.Close()
	f.Close()
	if err := f.Add("b"); !errors.Is(err, ErrFeedClosed) {
		t.Errorf("Add after Close: %v", err)
	}
	// What was added before Close is still read.
	r, _ := Open([]Source{f.Source()}, noRead{t}, DefaultOptions())
	got, _ := readAll(t, r)
	if !reflect.DeepEqual(got, []job{one("a")}) {
		t.Errorf("got %q", got)
	}
}

// Add blocks while the feed holds its bound unread, and goes on as the
// reader takes values; Close releases a blocked Add.
func TestFeedBoundsMemoryByBlocking(t *testing.T) {
	f := NewFeedSize(4)
	if err := f.Add("abcd"); err != nil {
		t.Fatal(err)
	}
	added := make(chan error)
	go func() { added <- f.Add("efgh", "ijkl") }()
	if v, err := f.next(); v != "abcd" || err != nil {
		t.Fatalf("next: %q %v", v, err)
	}
	if v, err := f.next(); v != "efgh" || err != nil {
		t.Fatalf("next: %q %v", v, err)
	}
	if err := <-added; err != nil {
		t.Fatal(err)
	}
	// Full again: an Add blocks until Close.
	go func() { added <- f.Add("mnop") }()
	f.Close()
	if err := <-added; !errors.Is(err, ErrFeedClosed) {
		t.Errorf("blocked Add after Close: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	g := NewFeedSize(1)
	g.Add("x")
	cancel()
	if err := g.AddContext(ctx, "y"); !errors.Is(err, context.Canceled) {
		t.Errorf("AddContext: %v", err)
	}
	// A value over the bound goes in alone.
	h := NewFeedSize(1)
	if err := h.Add("long value"); err != nil {
		t.Fatal(err)
	}
}

func TestFeedAfterFileSource(t *testing.T) {
	a := writeFile(t, "a.txt", "a1\na2\n")
	f := NewFeed()
	r, err := Open([]Source{File(a).Then(f)}, noRead{t}, DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	vs, end := nextValues(r)
	if got := []string{<-vs, <-vs}; !reflect.DeepEqual(got, []string{"a1", "a2"}) {
		t.Fatalf("got %q", got)
	}
	f.Add("b1")
	if v := <-vs; v != "b1" {
		t.Errorf("got %q", v)
	}
	f.Close()
	if err := <-end; err != io.EOF {
		t.Errorf("end: %v", err)
	}
	if fs := File(a).Then(f).Feeds(); len(fs) != 1 || fs[0] != f {
		t.Errorf("Feeds: %v", fs)
	}
}

// Values added from many goroutines are each read once.
func TestFeedConcurrentAdds(t *testing.T) {
	f := NewFeedSize(64)
	var wg sync.WaitGroup
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := 0; j < 200; j++ {
				if err := f.Add("v"); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	go func() { wg.Wait(); f.Close() }()
	r, _ := Open([]Source{f.Source()}, noRead{t}, DefaultOptions())
	got, _ := readAll(t, r)
	if len(got) != 1600 {
		t.Errorf("read %d values, want 1600", len(got))
	}
}

func TestFeedIsNoWordsSource(t *testing.T) {
	_, err := Open([]Source{NewFeed().Source()}, noRead{t}, Options{Words: &Words{}})
	if err == nil {
		t.Error("Words over a feed opened")
	}
}

// Waiting is true exactly while the reader waits in the feed for a value:
// the source before it has ended and every value added has been read.
func TestFeedWaiting(t *testing.T) {
	f := NewFeed()
	f.Add("a")
	r, err := Open([]Source{List([]string{"x"}).Then(f)}, noRead{t}, DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	if f.Waiting() {
		t.Error("Waiting before anything was read")
	}
	vs, end := nextValues(r)
	if got := []string{<-vs, <-vs}; !reflect.DeepEqual(got, []string{"x", "a"}) {
		t.Errorf("got %q", got)
	}
	deadline := time.Now().Add(time.Minute)
	for !f.Waiting() {
		if time.Now().After(deadline) {
			t.Fatal("the reader never waited in the feed")
		}
		time.Sleep(time.Millisecond)
	}
	f.Add("b")
	if v := <-vs; v != "b" {
		t.Errorf("got %q", v)
	}
	f.Close()
	if err := <-end; err != io.EOF {
		t.Errorf("after Close: %v, want io.EOF", err)
	}
	if f.Waiting() {
		t.Error("Waiting after the end")
	}
}

func TestSourceReadsStdin(t *testing.T) {
	for _, tc := range []struct {
		s    Source
		want bool
	}{{Stdin(), true}, {File("-"), true}, {File("x"), false}, {List([]string{"a"}), false}} {
		if got := tc.s.ReadsStdin(); got != tc.want {
			t.Errorf("%+v: ReadsStdin %v, want %v", tc.s, got, tc.want)
		}
	}
}
