package pmap

import "sync"

// Orderer receives each job's result exactly once, by job number, and emits
// results in its own order. Emit is never called concurrently.
type Orderer[T any] interface {
	// Put hands over the result of job seq; it is emitted in its turn.
	Put(seq int64, v T)
	// TryPut emits v at once if it is its turn, with any results that were
	// waiting for it, and reports whether it did; otherwise v is not kept,
	// and the caller makes it ready to wait before it calls Put.
	TryPut(seq int64, v T) bool
}

// Map emits results in input order: result n is emitted once results 1..n-1
// have been. Every job number from the first on must be Put exactly once.
type Map[T any] struct {
	mu      sync.Mutex
	next    int64
	pending map[int64]T
	emit    func(T)
}

// NewMap returns a Map whose first job number is first.
func NewMap[T any](first int64, emit func(T)) *Map[T] {
	return &Map[T]{next: first, pending: make(map[int64]T), emit: emit}
}

// Put hands over the result of job seq. If it is the next one due, it and all
// results that were waiting for it are emitted before Put returns.
func (m *Map[T]) Put(seq int64, v T) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if seq != m.next {
		m.pending[seq] = v
		return
	}
	m.emitFrom(v)
}

// TryPut emits v and the results waiting for it if v is next.
func (m *Map[T]) TryPut(seq int64, v T) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	if seq != m.next {
		return false
	}
	m.emitFrom(v)
	return true
}

// emitFrom emits v, which is next, and every result waiting behind it.
func (m *Map[T]) emitFrom(v T) {
	m.emit(v)
	m.next++
	for {
		w, ok := m.pending[m.next]
		if !ok {
			return
		}
		delete(m.pending, m.next)
		m.emit(w)
		m.next++
	}
}

// Next returns the job number whose result is due next. A job that is due
// when it starts stays due until its result is Put: nothing can be emitted
// before it.
func (m *Map[T]) Next() int64 {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.next
}

// Waiting returns how many results are held for an earlier one.
func (m *Map[T]) Waiting() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.pending)
}

// Queue emits results as they arrive.
type Queue[T any] struct {
	mu   sync.Mutex
	emit func(T)
}

// NewQueue returns a Queue.
func NewQueue[T any](emit func(T)) *Queue[T] {
	return &Queue[T]{emit: emit}
}

// Put emits v at once.
func (q *Queue[T]) Put(seq int64, v T) {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.emit(v)
}

// TryPut emits v at once: in a Queue it is always v's turn.
func (q *Queue[T]) TryPut(seq int64, v T) bool {
	q.Put(seq, v)
	return true
}
