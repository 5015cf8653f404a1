package engine

import (
	"context"
	"os"
	"syscall"

	"github.com/parmap/parmap/channel"
	"github.com/parmap/parmap/internal/guard"
	"github.com/parmap/parmap/internal/joblog"
)

// openGuard makes the run's guard (Config.Guard), when its jobs run here:
// not with -S or --slurm (their processes are on other machines; ssh and
// srun are ended by Pdeathsig) nor a dry run. The guard process starts with
// the first job (guarded).
func (r *run) openGuard() {
	cfg := r.cfg
	if !cfg.Guard || cfg.DryRun || cfg.Hosts != nil || cfg.Slurm != nil || cfg.Agents != nil {
		return
	}
	var lock *os.File
	if r.log != nil {
		lock = r.log.Lock()
	}
	r.guard = guard.New(lock)
	// Every job carries the run's mark: the guard also kills what carries
	// it, when the process groups are not enough.
	r.env = append(r.env, r.guard.Env())
	// After the jobs have ended: "bye" says there is nothing left to kill.
	r.closers = append(r.closers, func() { r.guard.Close() })
}

// guarded returns the guard a job's process group goes to, starting the
// guard process on the first call; nil when the run has none, or when it
// could not be started (the jobs then have Pdeathsig alone).
func (r *run) guarded() channel.Guard {
	if r.guard == nil || r.guard.Start() != nil {
		return nil
	}
	return r.guard
}

// openLog opens the job log, waiting for another run that holds it (a live
// one, or the guard of a killed one killing what is left of it), and saying
// so once (JoblogWaiting). SIGINT or SIGTERM meanwhile ends the wait, and
// the run with that signal; SIGHUP ends it too, with nothing run; SIGTSTP
// stops parmap.
func (r *run) openLog(ctx context.Context) (*joblog.Log, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	path := r.cfg.Joblog
	var stopped syscall.Signal
	byControl := false // stopped came from Control.Stop
	watching := make(chan struct{})
	started := false
	waiting := func() {
		r.notify(Notice{Kind: JoblogWaiting, Path: path})
		var asked <-chan struct{} // Control.Stop, as a SIGHUP or a SIGTERM
		if r.st.Control != nil {
			asked = r.st.Control.asked
		}
		if r.st.Signals == nil && asked == nil {
			return
		}
		started = true
		go func() {
			defer close(watching)
			for {
				select {
				case <-ctx.Done():
					return
				case <-asked:
					stopped, byControl = syscall.SIGHUP, true
					if r.st.Control.stopNow() {
						stopped = syscall.SIGTERM
					}
					cancel()
					return
				case sig := <-r.st.Signals:
					switch sig {
					case syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP:
						stopped = sig.(syscall.Signal)
						cancel()
						return
					case syscall.SIGTSTP:
						syscall.Kill(syscall.Getpid(), syscall.SIGSTOP)
					}
				}
			}
		}()
	}
	l, err := joblog.OpenWaiting(ctx, path, r.cfg.Resume, waiting)
	cancel()
	if started {
		<-watching
	}
	switch {
	case stopped != 0:
		if l != nil {
			l.Close()
		}
		return nil, &stopError{sig: stopped, control: byControl}
	case err != nil:
		return nil, &JoblogError{Path: path, Err: err}
	}
	return l, nil
}

// stopError is a run stopped by a signal (or Control.Stop, as the signal
// it stands for) before it started anything.
type stopError struct {
	sig     syscall.Signal
	control bool
}

func (e *stopError) Error() string { return "stopped by " + e.sig.String() }

// summary is what a run stopped by e comes to: SIGHUP drains, so the run
// ends as one with nothing to do; SIGINT and SIGTERM stop it.
func (e *stopError) summary() Summary {
	switch {
	case e.sig == syscall.SIGHUP:
		return Summary{}
	case e.control:
		return Summary{Stopped: true}
	}
	return Summary{Signal: e.sig}
}
