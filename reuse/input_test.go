package reuse

import (
	"context"
	"runtime"
	"strings"
	"testing"
)

// waitFull waits until a Put waits for room.
func waitFull(in *Input) {
	for {
		in.mu.Lock()
		full := in.full
		in.mu.Unlock()
		if full {
			return
		}
		runtime.Gosched()
	}
}

// putAsync runs Put in a goroutine and reports its result.
func putAsync(ctx context.Context, in *Input, r *Request) <-chan bool {
	c := make(chan bool, 1)
	go func() { c <- in.Put(ctx, r) }()
	return c
}

func mustTake(t *testing.T, in *Input, want string) {
	t.Helper()
	r, ended := in.take()
	if r == nil || r.Input != want || ended {
		t.Fatalf("take gave %+v (ended %v), want %q", r, ended, want)
	}
}

// TestInputWakesTheReaderAtHalf: a reader waiting on a full queue is woken
// once the queue has drained to half, not at every record taken.
func TestInputWakesTheReaderAtHalf(t *testing.T) {
	in := NewInput(8, 1<<20)
	for i := range 8 {
		if !in.Put(context.Background(), &Request{Seq: int64(i), Input: string(rune('a' + i))}) {
			t.Fatal("Put into a queue with room failed")
		}
	}
	put := putAsync(context.Background(), in, &Request{Seq: 8, Input: "i"})
	waitFull(in)
	for _, want := range []string{"a", "b", "c"} {
		mustTake(t, in, want)
		in.mu.Lock()
		woken := !in.full || len(in.room) != 0
		n := in.n
		in.mu.Unlock()
		if woken {
			t.Fatalf("the reader was woken with %d records queued", n)
		}
	}
	mustTake(t, in, "d") // four left: half
	if !<-put {
		t.Fatal("Put failed")
	}
	for _, want := range []string{"e", "f", "g", "h", "i"} {
		mustTake(t, in, want)
	}
	if r, ended := in.take(); r != nil || ended {
		t.Fatalf("take from an empty, open queue gave %+v, ended %v", r, ended)
	}
}

// TestInputBoundsBytes: records beyond the byte bound wait, except one
// alone, which goes in whatever its size.
func TestInputBoundsBytes(t *testing.T) {
	in := NewInput(100, 10)
	in.Put(context.Background(), &Request{Input: "12345678"})
	big := strings.Repeat("x", 20)
	put := putAsync(context.Background(), in, &Request{Input: big})
	waitFull(in)
	mustTake(t, in, "12345678")
	if !<-put {
		t.Fatal("Put failed")
	}
	mustTake(t, in, big)
}

// TestInputPutGivesUpWithItsContext: a Put waiting for room returns false
// when its context ends, and queues nothing.
func TestInputPutGivesUpWithItsContext(t *testing.T) {
	in := NewInput(2, 1<<20)
	in.Put(context.Background(), &Request{Input: "a"})
	in.Put(context.Background(), &Request{Input: "b"})
	ctx, cancel := context.WithCancel(context.Background())
	put := putAsync(ctx, in, &Request{Input: "c"})
	waitFull(in)
	cancel()
	if <-put {
		t.Fatal("Put succeeded after its context ended")
	}
	if in.n != 2 {
		t.Fatalf("%d records queued, want 2", in.n)
	}
}

// TestInputEndsAfterClose: the records queued before Close are taken, then
// take reports the end.
func TestInputEndsAfterClose(t *testing.T) {
	in := NewInput(4, 1<<20)
	in.Put(context.Background(), &Request{Input: "a"})
	in.Close()
	select {
	case <-in.Done():
	default:
		t.Fatal("Done not closed by Close")
	}
	mustTake(t, in, "a")
	if r, ended := in.take(); r != nil || !ended {
		t.Fatalf("take after the last record gave %+v, ended %v; want the end", r, ended)
	}
}

// A queue for a billion records (a huge --window) costs memory only for
// the records queued: the ring grows as they come.
func TestInputGrowsWithItsRecords(t *testing.T) {
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	in := NewInput(1_000_000_000, 1<<20)
	for i := range 100 {
		if !in.Put(context.Background(), &Request{Input: strings.Repeat("x", i%7)}) {
			t.Fatal("Put refused a record")
		}
	}
	runtime.ReadMemStats(&after)
	if grew := after.TotalAlloc - before.TotalAlloc; grew > 1<<20 {
		t.Errorf("a queue of 100 records allocated %d bytes", grew)
	}
	for i := range 100 {
		mustTake(t, in, strings.Repeat("x", i%7))
	}
}
