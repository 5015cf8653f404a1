package exchange

import (
	"errors"
	"syscall"
)

// Live control: another goroutine may steer a run while it goes on (a
// detached run's supervisor). SetLimit, Pause, Continue, Stop and Counts are
// safe for concurrent use with Run and with each other, before Run starts
// and after it has returned; none of them waits for a job.

// ErrFixedSlots is what SetLimit returns for a run over hosts (Options.Hosts):
// its slots are the hosts' and cannot be resized.
var ErrFixedSlots = errors.New("the job slots are the hosts': they cannot be resized")

// Counts is a snapshot of a run, as Counts takes it.
type Counts struct {
	Done, Failed int64 // tasks finished (failed ones included), and of those, failed
	Running      int   // jobs running now
	// Limit is the most jobs that may run at once now: Jobs (MaxUnlimited
	// for 0), as SetLimit set it or running out of a resource lowered it.
	Limit    int
	Paused   bool // Pause, not yet Continue
	Stopping bool // no job starts any more: a drain, a stop, a signal, a halt
}

// Counts returns the run's counts. It takes the run's lock briefly and costs
// the same whatever the run's size.
func (x *Exchange) Counts() Counts {
	x.mu.Lock()
	defer x.mu.Unlock()
	c := Counts{Done: x.doneCount, Failed: x.failed, Running: len(x.running), Limit: x.limit,
		Paused: x.paused, Stopping: x.quitting() || x.stopping != 0}
	if x.slots == 0 { // Run has not started
		c.Limit = x.opt.Jobs
		if x.hosts != nil {
			c.Limit = x.hosts.slots()
		}
		c.Limit = x.capped(c.Limit)
	}
	return c
}

// SetLimit makes n the most jobs that run at once from now on (0 means
// MaxUnlimited, as Jobs 0). Raised, more slots start as tasks come, and
// jobs waiting for a slot start now. Lowered, no job is stopped: jobs over
// the new limit go on to their end, and new ones wait until fewer run.
//
// It replaces a limit lowered because a resource ran out: a raise above it
// is allowed, and running out again lowers it again (and tells Lowered
// again). It is capped at Options.MaxJobs (Counts tells the limit in
// force). With Options.Hosts it is ErrFixedSlots.
func (x *Exchange) SetLimit(n int) error {
	if x.hosts != nil {
		return ErrFixedSlots
	}
	n = x.capped(n)
	x.steered.Store(true)
	x.mu.Lock()
	defer x.mu.Unlock()
	x.setLimit(n)
	return nil
}

// setLimit is SetLimit's work, x.mu held.
func (x *Exchange) setLimit(n int) {
	x.opt.Jobs = n // for a Run yet to start
	if x.slots == 0 {
		return
	}
	x.limit, x.lowered = n, false
	x.grow()
	x.wake()
}

// addSlots changes the limit by d (SIGUSR1, SIGUSR2), to no fewer than 1
// and no more than MaxUnlimited; a run over hosts keeps its slots.
func (x *Exchange) addSlots(d int) {
	if x.hosts != nil {
		return
	}
	x.steered.Store(true)
	x.mu.Lock()
	defer x.mu.Unlock()
	x.setLimit(min(max(x.limit+d, 1), MaxUnlimited))
}

// Pause starts no new job until Continue: running jobs go on, and tasks
// wait (those taken already, with their Spec made, wait to start). A paused
// run still stops, drains and halts.
func (x *Exchange) Pause() {
	x.steered.Store(true)
	x.mu.Lock()
	x.paused = true
	x.mu.Unlock()
}

// Continue undoes Pause: jobs start again.
func (x *Exchange) Continue() {
	x.mu.Lock()
	x.paused = false
	x.wake()
	x.mu.Unlock()
}

// Stop stops the run. Without now it drains, as SIGHUP does: no new job
// starts, running ones go on to their end. With now it also stops running
// jobs, as SIGTERM does (the signal, or Options.StopSignal, then SIGKILL
// after KillAfter), and the Summary says Stopped instead of a Signal; a
// second Stop(true) once the first has been acted on kills them at once,
// as a second SIGTERM does. A Stop before Run is acted on as Run starts.
func (x *Exchange) Stop(now bool) {
	if !now {
		x.Drain()
		return
	}
	select {
	case x.stopNow <- struct{}{}:
	default: // one is pending already
	}
}

// gate waits, before a slot takes a task, while the run is paused or its
// busy slots fill the limit (SetLimit lowered it, or a resource ran out);
// it reports false once the run starts no more jobs. Only runs steered by
// Pause or SetLimit pass it.
func (x *Exchange) gate() bool {
	x.mu.Lock()
	defer x.mu.Unlock()
	for x.paused || x.slots-x.idle >= x.limit {
		if x.quitting() {
			return false
		}
		x.waiting++
		ended := x.ended
		x.mu.Unlock()
		select {
		case <-ended:
		case <-x.quit:
		}
		x.mu.Lock()
		x.waiting--
	}
	return !x.quitting()
}

// now carries out Stop(true) on Run's goroutine, as a SIGTERM: the first
// stops every job, the next kills them.
func (s *stopper) now(sum *Summary) {
	if s.stopSig != 0 {
		s.x.killAll()
		return
	}
	sum.Stopped = true
	s.begin(syscall.SIGTERM)
}

// StoppingJobs reports whether the run has begun stopping its running jobs
// (SIGINT, SIGTERM, Stop(true), a halt now): a job that ends failing from
// now on was most likely stopped by it.
func (x *Exchange) StoppingJobs() bool {
	x.mu.Lock()
	defer x.mu.Unlock()
	return x.stopping != 0
}
