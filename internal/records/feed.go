package records

import (
	"context"
	"errors"
	"io"
	"sync"
)

// ErrFeedClosed is what Add returns once the Feed is closed.
var ErrFeedClosed = errors.New("records: the feed is closed: no more values can be added")

// DefaultFeedBytes is how many bytes of values a NewFeed holds unread
// before Add blocks.
const DefaultFeedBytes = 1 << 20

// Feed is an append-only source of values added while a run reads them (a
// detached run's --add). A Reader reading it blocks until values come or
// the Feed is closed; values are read in the order they were added, each
// once. It is safe for concurrent use.
//
// Its memory is bounded by blocking: Add waits while the values added and
// not yet read pass the feed's byte bound (a value larger than the bound
// alone goes in once the feed is empty). Whoever adds must therefore keep
// what it could not add yet itself (the supervisor persists added records
// before Add), and Close the Feed once nothing reads it, which releases a
// blocked Add with ErrFeedClosed (engine.Run closes the feeds of its
// sources when it ends).
//
// A Feed is read by one Reader. It goes into Sources as a source of its own
// (Source) or after another one (Source.Then); sources after the first are
// read whole before the first record (they are multiplied with it), so a
// Feed there holds the run back until it is closed; so does ReadAll,
// Shuffle (and a --halt percentage, which reads the whole input first).
// Words (xargs' input) cannot read a Feed: Open fails.
type Feed struct {
	mu      sync.Mutex
	values  []string
	head    int // values[head:] are unread
	bytes   int // of the unread values
	max     int
	closed  bool
	changed chan struct{} // closed and replaced when values come or go, or on Close
	added   int64
	waiting bool // its reader waits in next for a value
}

// Waiting reports whether the feed's reader is waiting for a value: every
// value added so far has been read, and the source before it (Then) has
// ended. A supervisor closes an idle run's feed on it.
func (f *Feed) Waiting() bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.waiting
}

// NewFeed returns an empty open Feed holding DefaultFeedBytes unread.
func NewFeed() *Feed { return NewFeedSize(DefaultFeedBytes) }

// NewFeedSize returns an empty open Feed holding up to max bytes of
// values unread (at least one value, whatever its size).
func NewFeedSize(max int) *Feed {
	return &Feed{max: max, changed: make(chan struct{})}
}

// Source returns the source of the feed's values.
func (f *Feed) Source() Source { return Source{kind: fromFeed, feed: f} }

// Add appends values, blocking while the feed is full. It fails with
// ErrFeedClosed when the feed is closed before every value went in; the
// values before the one it stopped at are in (Add never races with Close
// in a careful caller).
func (f *Feed) Add(values ...string) error {
	return f.AddContext(context.Background(), values...)
}

// AddContext is Add that gives up when ctx is done, with its error, having
// added the values before.
func (f *Feed) AddContext(ctx context.Context, values ...string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, v := range values {
		for !f.closed && f.bytes > 0 && f.bytes+len(v) > f.max {
			changed := f.changed
			f.mu.Unlock()
			select {
			case <-changed:
			case <-ctx.Done():
				f.mu.Lock()
				return ctx.Err()
			}
			f.mu.Lock()
		}
		if f.closed {
			return ErrFeedClosed
		}
		f.values = append(f.values, v)
		f.bytes += len(v)
		f.added++
		f.signal()
	}
	return nil
}

// Close ends the feed: the values added are still read, then the source
// ends. A blocked Add returns ErrFeedClosed. Closing twice does nothing.
func (f *Feed) Close() {
	f.mu.Lock()
	defer f.mu.Unlock()
	if !f.closed {
		f.closed = true
		f.signal()
	}
}

// Added returns how many values were added so far.
func (f *Feed) Added() int64 {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.added
}

// next returns the next value, waiting for one; io.EOF once the feed is
// closed and read to its end.
func (f *Feed) next() (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for f.head == len(f.values) {
		if f.closed {
			return "", io.EOF
		}
		changed := f.changed
		f.waiting = true
		f.mu.Unlock()
		<-changed
		f.mu.Lock()
		f.waiting = false
	}
	v := f.values[f.head]
	f.values[f.head] = ""
	f.head++
	f.bytes -= len(v)
	if f.head == len(f.values) {
		f.values, f.head = f.values[:0], 0
	} else if f.head > 1024 && f.head*2 > len(f.values) {
		f.values, f.head = append(f.values[:0], f.values[f.head:]...), 0
	}
	f.signal()
	return v, nil
}

// signal wakes whoever waits on the feed; f.mu is held.
func (f *Feed) signal() {
	close(f.changed)
	f.changed = make(chan struct{})
}
