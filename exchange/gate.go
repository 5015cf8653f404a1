package exchange

import (
	"syscall"
	"time"

	"github.com/parmap/parmap/channel"
)

// Gate holds jobs back by something outside the run (the machine's load and
// memory: internal/pressure). The exchange knows nothing of what it reads.
type Gate interface {
	// Admit reports whether a job may start now, while running jobs of
	// the run are running; when not, again is when to ask again at the
	// latest (a job's end asks sooner).
	Admit(running int) (ok bool, again time.Duration)
	// Watch is how often Shed is asked while jobs run; 0 for never.
	Watch() time.Duration
	// Shed reports whether the youngest running job must be stopped now
	// (memory is short).
	Shed() bool
}

// admit asks the Gate whether a job may start; x.mu is held.
func (x *Exchange) admit() (ok bool, again time.Duration) {
	if x.opt.Gate == nil || x.opt.DryRun {
		return true, 0
	}
	return x.opt.Gate.Admit(len(x.running))
}

// held waits, x.mu held, while the Gate turns a job away: for a job to
// end, again to pass or the run to stop (stopped).
func (x *Exchange) held(again time.Duration) (stopped bool) {
	x.waiting++
	ended := x.ended
	x.mu.Unlock()
	t := time.NewTimer(again)
	select {
	case <-ended:
	case <-t.C:
	case <-x.quit:
	}
	t.Stop()
	x.mu.Lock()
	x.waiting--
	return x.quitting()
}

// shedTicker returns the channel Run's goroutine asks the Gate's Shed on; nil
// without one.
func (x *Exchange) shedTicker() (tick <-chan time.Time, stop func()) {
	if x.opt.Gate == nil || x.opt.DryRun || x.opt.Gate.Watch() <= 0 {
		return nil, func() {}
	}
	t := time.NewTicker(x.opt.Gate.Watch())
	return t.C, t.Stop
}

// shed stops the youngest running job when the Gate says so (as GNU
// parallel's --memfree does: SIGTERM, SIGKILL after KillAfter). The job
// fails; Options.Shed is told, and Retries runs it again.
func (x *Exchange) shed() {
	x.mu.Lock()
	defer x.mu.Unlock()
	if len(x.running) == 0 || x.stopping != 0 || !x.opt.Gate.Shed() {
		return
	}
	slot, youngest := 0, (*channel.Child)(nil)
	for s, c := range x.running {
		if x.shedding[s] {
			continue // being stopped already
		}
		if youngest == nil || c.Started().After(youngest.Started()) {
			slot, youngest = s, c
		}
	}
	if youngest == nil {
		return
	}
	if x.shedding == nil {
		x.shedding = make(map[int]bool)
	}
	x.shedding[slot] = true
	youngest.Stop(syscall.SIGTERM, x.opt.KillAfter)
}

// wasShed reports whether the job in slot, which has ended, was stopped by
// shed, and forgets it; x.mu is held.
func (x *Exchange) wasShed(slot int) bool {
	if !x.shedding[slot] {
		return false
	}
	delete(x.shedding, slot)
	return true
}
