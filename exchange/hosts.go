package exchange

import (
	"sync"

	"github.com/parmap/parmap/channel"
)

// hostRotation tracks which hosts still take jobs (Options.Hosts), and the
// tasks to run again because their host failed.
type hostRotation struct {
	first   []int // first slot of each host; slot numbers start at 1
	primary []int // of each host's slots, how many are not ahead
	n       int

	mu      sync.Mutex
	down    []bool
	live    int           // hosts not down
	again   []Task        // tasks to run again on another host
	running int           // jobs running now (each may yet send its task back)
	idle    int           // slots not ahead that wait for a task
	changed chan struct{} // closed and replaced when again, running or idle changes
}

func newHostRotation(slots, ahead []int) *hostRotation {
	h := &hostRotation{down: make([]bool, len(slots)), live: len(slots), changed: make(chan struct{})}
	next := 1
	for i, n := range slots {
		h.first = append(h.first, next)
		next += n
		p := n
		if i < len(ahead) {
			p = max(n-ahead[i], 1)
		}
		h.primary = append(h.primary, p)
		h.idle += p
	}
	h.n = next - 1
	return h
}

// ahead reports whether slot is one of its host's slots ahead.
func (h *hostRotation) ahead(slot int) bool {
	host := h.hostOf(slot)
	return slot-h.first[host] >= h.primary[host]
}

func (h *hostRotation) slots() int { return h.n }

// HostSlot returns the host of slot and the slot's place among that host's
// slots, counting from 0.
func (x *Exchange) HostSlot(slot int) (host, index int) {
	if x.hosts == nil {
		return 0, slot - 1
	}
	host = x.hosts.hostOf(slot)
	return host, slot - x.hosts.first[host]
}

func (h *hostRotation) hostOf(slot int) int {
	i := len(h.first) - 1
	for i > 0 && h.first[i] > slot {
		i--
	}
	return i
}

func (h *hostRotation) allDown() bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.live == 0
}

// notify wakes the slots waiting for a change. h.mu is held.
func (h *hostRotation) notify() {
	close(h.changed)
	h.changed = make(chan struct{})
}

// runHostSlot is runSlot for runs over hosts: it also runs the tasks other
// hosts sent back, and leaves once its host is down. It waits for the
// tasks to end before it leaves at the end of input, as a running job may
// yet be sent back.
func (x *Exchange) runHostSlot(slot int) {
	h := x.hosts
	host := h.hostOf(slot)
	ahead := h.ahead(slot)
	busy := false // not counted in h.idle: it runs a task, or has left
	leave := func() {
		if !ahead && !busy {
			h.idle--
			h.notify()
		}
	}
	tasks := x.tasks
	for {
		h.mu.Lock()
		if h.down[host] {
			leave()
			h.mu.Unlock()
			return
		}
		// A slot ahead waits while a slot that is not ahead is idle.
		gated := ahead && h.idle > 0
		var t Task
		if len(h.again) > 0 && !gated {
			t = h.again[0]
			h.again = h.again[1:]
		}
		idle := tasks == nil && h.running == 0
		changed := h.changed
		if t != nil {
			h.running++
			h.take(ahead, &busy)
		}
		h.mu.Unlock()
		if t == nil {
			if idle {
				h.mu.Lock()
				leave()
				h.mu.Unlock()
				return
			}
			next := tasks
			if gated {
				next = nil
			}
			select {
			case <-x.quit:
				h.mu.Lock()
				leave()
				h.mu.Unlock()
				return
			case <-changed:
				continue
			case task, ok := <-next:
				if !ok {
					tasks = nil // the input has ended: wait for the running jobs
					continue
				}
				h.mu.Lock()
				h.running++
				h.take(ahead, &busy)
				h.mu.Unlock()
				t = task
			}
		}
		select {
		case <-x.quit:
			h.mu.Lock()
			h.running--
			h.notify()
			h.mu.Unlock()
			x.done(t, slot, channel.Result{Err: ErrNotStarted})
			return // busy stays true: the slot has left
		default:
		}
		x.run(t, slot, x.done, nil)
		h.mu.Lock()
		h.running--
		if !ahead {
			h.idle++
			busy = false
		}
		h.notify()
		h.mu.Unlock()
	}
}

// take counts a slot that is not ahead as busy. h.mu is held.
func (h *hostRotation) take(ahead bool, busy *bool) {
	if !ahead {
		h.idle--
		*busy = true
		if h.idle == 0 {
			h.notify() // the slots ahead may take tasks now
		}
	}
}

// hostFailed reports whether res is the host's failure; if so the host is
// taken out of rotation and the task queued to run on another one, unless
// no host is left (then the task counts as failed).
func (x *Exchange) hostFailed(t Task, slot int, res channel.Result) bool {
	h := x.hosts
	host := h.hostOf(slot)
	if x.opt.HostFailed == nil || !x.opt.HostFailed(host, res) {
		return false
	}
	h.mu.Lock()
	first := !h.down[host]
	if first {
		h.down[host] = true
		h.live--
	}
	left := h.live > 0
	if left {
		// The task forgets this run before it is queued: once another
		// host's slot can pick it up, it is that slot's.
		if r, ok := t.(Retrier); ok {
			r.Retry()
		}
		h.again = append(h.again, t)
	}
	h.notify()
	h.mu.Unlock()
	if first && x.opt.HostDown != nil {
		x.opt.HostDown(host, res)
	}
	return left // with no host left to run it, the task fails here
}
