package pmap

import "sync"

// Orderer receives each job's result exactly once, by job number, and emits
// results in its own order. Emit is never called concurrently.
type Orderer[T any] interface {
	Put(seq int64, v T)
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
