package reuse

import (
	"context"
	"sync"
)

// Input is the queue of records between the goroutine that reads them and
// the workers. It holds at most a number of records and, beyond one record,
// a number of bytes. A reader that finds it full is woken again only once it
// has drained to half, so that reading runs once per batch of records rather
// than once per record: on a busy pipeline, waking the reader for every
// record taken costs as much as the record itself.
type Input struct {
	mu       sync.Mutex
	ring     []*Request // grows to limit as records queue up
	limit    int        // records at most
	head, n  int
	bytes    int // of the queued records' inputs
	maxBytes int
	closed   bool
	full     bool // the reader waits for room

	room  chan struct{} // wakes the reader
	avail chan struct{} // wakes a waiting taker: there may be a record
	done  chan struct{} // closed by Close
}

// NewInput returns an empty queue for up to records records and, beyond
// the first, maxBytes bytes of input. Its memory grows with the records
// queued, not with the bound.
func NewInput(records, maxBytes int) *Input {
	limit := max(records, 2)
	return &Input{
		ring:     make([]*Request, min(limit, 64)),
		limit:    limit,
		maxBytes: maxBytes,
		room:     make(chan struct{}, 1),
		avail:    make(chan struct{}, 1),
		done:     make(chan struct{}),
	}
}

// Put queues r, waiting while the queue is full. It returns false, without
// queueing r, if ctx ends first.
func (in *Input) Put(ctx context.Context, r *Request) bool {
	size := len(r.Input)
	in.mu.Lock()
	for in.n == in.limit || in.n > 0 && in.bytes+size > in.maxBytes {
		in.full = true
		in.mu.Unlock()
		select {
		case <-in.room:
		case <-ctx.Done():
			return false
		}
		in.mu.Lock()
	}
	if in.n == len(in.ring) {
		in.grow()
	}
	in.ring[(in.head+in.n)%len(in.ring)] = r
	in.n++
	in.bytes += size
	wasEmpty := in.n == 1
	in.mu.Unlock()
	if wasEmpty {
		signal(in.avail)
	}
	return true
}

// grow doubles the ring, up to the limit, keeping the queued records in
// order. in.mu is held.
func (in *Input) grow() {
	ring := make([]*Request, min(2*len(in.ring), in.limit))
	for i := range in.n {
		ring[i] = in.ring[(in.head+i)%len(in.ring)]
	}
	in.ring, in.head = ring, 0
}

// Close tells the takers that no more records come once the queue is
// empty. Put must not be called after it.
func (in *Input) Close() {
	in.mu.Lock()
	in.closed = true
	in.mu.Unlock()
	close(in.done)
}

// take returns the next record without waiting; with none queued, ended
// tells whether none will come.
func (in *Input) take() (r *Request, ended bool) {
	in.mu.Lock()
	if in.n == 0 {
		ended = in.closed
		in.mu.Unlock()
		return nil, ended
	}
	r = in.ring[in.head]
	in.ring[in.head] = nil
	in.head = (in.head + 1) % len(in.ring)
	in.n--
	in.bytes -= len(r.Input)
	more := in.n > 0
	wake := in.full && in.n <= in.limit/2 && in.bytes <= in.maxBytes/2
	if wake {
		in.full = false
	}
	in.mu.Unlock()
	if wake {
		signal(in.room)
	}
	if more {
		signal(in.avail) // another waiting taker may have this one
	}
	return r, false
}

// Ready is a channel that has a value when a record may have been queued
// since a taker found the queue empty.
func (in *Input) Ready() <-chan struct{} { return in.avail }

// Done is closed once Close was called.
func (in *Input) Done() <-chan struct{} { return in.done }

// signal sends on a channel of capacity one unless it already holds a
// value.
func signal(c chan struct{}) {
	select {
	case c <- struct{}{}:
	default:
	}
}
