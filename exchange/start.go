package exchange

import (
	"sync/atomic"
	"syscall"
	"time"

	"github.com/parmap/parmap/channel"
)

// start runs the job's process in slot and waits for it: spawn starts it,
// a watchdog bounds it in time, and it leaves the running set once waited
// for.
func (x *Exchange) start(t Task, spec channel.Spec, slot int, tk *ticket) channel.Result {
	child, err := x.spawn(spec, slot, tk)
	if err == ErrNotStarted {
		return channel.Result{Err: err}
	}
	if err != nil {
		res := channel.Result{Exit: channel.ExitNotExecutable, Err: err, Start: time.Now()}
		if e, ok := err.(*channel.StartError); ok {
			res.Exit = e.Exit
		}
		return res
	}
	if wt, ok := t.(Watcher); ok {
		wt.Started(child)
	}
	var w *watchdog
	if x.opt.Timeout > 0 {
		w = x.watch(child)
	}
	res := child.Wait()
	if w != nil {
		res.TimedOut = w.stop()
	}
	x.mu.Lock()
	delete(x.running, slot)
	if res.Lingering {
		x.lingering = append(x.lingering, res.Pgid)
	}
	x.jobEnded()
	shed := x.wasShed(slot)
	x.mu.Unlock()
	if shed && x.opt.Shed != nil {
		x.opt.Shed(t, slot, res)
	}
	return res
}

// spawn starts the job's process in slot, Delay after the previous start,
// unless the run starts no more jobs (ErrNotStarted: a signal, a drain, a
// halt, the context, also while it waits out the Delay or for a job to end
// under a lowered limit). The child is registered as running under the
// same lock, so that stopAll cannot miss it. Under Delay, tk's turn is
// passed on once the process has started or will not.
func (x *Exchange) spawn(spec channel.Spec, slot int, tk *ticket) (*channel.Child, error) {
	if x.opt.Delay > 0 {
		// Starts are serialised and spaced from the previous job's actual
		// start, in the order the tasks were taken (turns).
		x.delayMu.Lock()
		defer x.delayMu.Unlock()
		defer x.turns.pass(tk)
		if !x.lastStart.IsZero() && !x.pause(time.Until(x.lastStart.Add(x.opt.Delay))) {
			return nil, ErrNotStarted
		}
	}
	x.mu.Lock()
	defer x.mu.Unlock()
	for {
		select {
		case <-x.quit:
			return nil, ErrNotStarted
		default:
		}
		if x.stopping != 0 {
			return nil, ErrNotStarted
		}
		var err error
		if len(x.running) < x.limit && !x.paused {
			if ok, again := x.admit(); !ok {
				// The machine's load or memory holds it back.
				if x.held(again) {
					return nil, ErrNotStarted
				}
				continue
			}
			var child *channel.Child
			child, err = channel.Start(spec)
			if err == nil {
				x.running[slot] = child
				x.lastStart = child.Started()
				x.grow()
				return child, nil
			}
			if _, ok := channel.Resource(err); !ok {
				return nil, err
			}
		}
		// Out of a resource, over a limit lowered by it or by SetLimit,
		// or paused: wait for a job to end (or Continue, SetLimit). No job ends while x.mu is held, so none has since
		// Start failed.
		again, stopped := x.short(err, x.ends.Load())
		if stopped {
			return nil, ErrNotStarted
		}
		if !again {
			return nil, err
		}
	}
}

// watchdog stops a job that outlives Options.Timeout (channel.Child.Stop,
// whose SIGKILL ends with the job). Its timer is stopped with the job, so
// none outlives it.
type watchdog struct {
	timer *time.Timer
	fired atomic.Bool
}

func (x *Exchange) watch(c *channel.Child) *watchdog {
	w := &watchdog{}
	w.timer = time.AfterFunc(x.opt.Timeout, func() {
		w.fired.Store(true)
		c.Stop(syscall.SIGTERM, x.opt.KillAfter)
	})
	return w
}

// stop ends the watch once the job has been waited for, and reports whether
// the job timed out.
func (w *watchdog) stop() bool {
	w.timer.Stop()
	return w.fired.Load()
}
