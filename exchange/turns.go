package exchange

import "sync"

// turns makes jobs start in the order their tasks were taken from the queue
// under Options.Delay. Job slots take tasks concurrently and would otherwise
// race for the next start: each task takes a ticket as it is taken (under
// take, so that tickets follow the queue's order), waits for its turn before
// it gets its tokens and its Spec, and passes the turn on once its process
// has started (or never will).
type turns struct {
	take sync.Mutex // held by the slot taking a task, until it has its ticket
	mu   sync.Mutex
	cond sync.Cond // on mu (New sets it): the turn moved on
	next uint64    // the ticket the next task taken gets
	now  uint64    // the ticket whose turn it is
}

// ticket is one task's place in the order of starts; nil without Delay (and
// for tasks run again: a retry or a task moved to another host).
type ticket struct {
	n      uint64
	passed bool
}

// issue gives the task just taken its ticket; take is held.
func (q *turns) issue() *ticket {
	q.mu.Lock()
	defer q.mu.Unlock()
	tk := &ticket{n: q.next}
	q.next++
	return tk
}

// await waits for tk's turn. Every ticket before it is passed on as soon as
// its job starts or gives up, which a stopping run makes quick.
func (q *turns) await(tk *ticket) {
	if tk == nil || tk.passed {
		return
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	for q.now != tk.n {
		q.cond.Wait()
	}
}

// pass ends tk's turn (waiting for it first, for a task that gives up
// before it started), once.
func (q *turns) pass(tk *ticket) {
	if tk == nil || tk.passed {
		return
	}
	q.await(tk)
	q.mu.Lock()
	q.now++
	tk.passed = true
	q.cond.Broadcast()
	q.mu.Unlock()
}
