package exchange

// short deals with a job that cannot start, x.mu held: err is the
// resource error it met (channel.Resource), or nil when it is only over a
// limit lowered before; ends is x.ends when it tried.
//
// When a job has ended since, it tries again at once (again). When none of
// the run's jobs runs or is being handed to Done, nothing of the run's will
// free what it lacks: it fails with err (neither again nor stopped). Otherwise the limit drops to
// the jobs running (told once, Options.Lowered), and it waits for one of
// them to end, then tries again; stopped says the run began to stop
// meanwhile, and the job does not start.
//
// The limit only goes down, as GNU parallel's does: what ran out once (a
// ulimit, the system's table of open files) is likely to run out again at
// the same height, and a job that fails to start costs a fork.
func (x *Exchange) short(err error, ends uint64) (again, stopped bool) {
	if x.quitting() {
		return false, true
	}
	if x.ends.Load() != ends {
		return true, false
	}
	running := len(x.running)
	tell := false
	if err != nil {
		if running == 0 && x.finishing == 0 {
			return false, false
		}
		if running < x.limit && running > 0 {
			x.limit = running
			tell = !x.lowered
			x.lowered = true
		}
	}
	x.waiting++
	ended := x.ended
	x.mu.Unlock()
	if tell && x.opt.Lowered != nil {
		x.opt.Lowered(running, err)
	}
	select {
	case <-ended:
	case <-x.quit:
	}
	x.mu.Lock()
	x.waiting--
	// Both may be ready (a job ended as the run began to stop): stopping wins.
	if x.quitting() {
		return false, true
	}
	return true, false
}

// quitting reports whether the run began to stop (Drain, a signal, a halt).
func (x *Exchange) quitting() bool {
	select {
	case <-x.quit:
		return true
	default:
		return false
	}
}

// grow starts another slot when every slot started has a task, up to the
// limit. It is called once a job has started (x.mu held), not when a slot
// takes a task: slots do not run ahead of the processes that can start,
// each making what its job needs (capture files) only to wait for them.
func (x *Exchange) grow() {
	if x.idle == 0 && x.slots > 0 && x.slots < x.limit && x.hosts == nil {
		x.slots++
		x.idle++
		x.wg.Add(1)
		go x.runSlot(x.slots)
	}
}

// jobEnded counts a job that ended, or whose Done returned, and wakes the
// jobs waiting in short. x.mu is held.
func (x *Exchange) jobEnded() {
	x.ends.Add(1)
	x.wake()
}

// wake wakes the jobs waiting in short and the slots waiting at the gate,
// to look again. x.mu is held.
func (x *Exchange) wake() {
	if x.waiting > 0 {
		close(x.ended)
		x.ended = make(chan struct{})
	}
}
