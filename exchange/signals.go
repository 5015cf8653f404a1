package exchange

import (
	"syscall"
	"time"
)

// stopper carries out what signals ask of a run. It is used by Run's
// goroutine only.
type stopper struct {
	x        *Exchange
	stopSig  syscall.Signal   // the INT or TERM that began the stop
	timer    *time.Timer      // escalation to SIGKILL
	escalate <-chan time.Time // fires when the timer does
}

// handle acts on one signal.
//
//   - SIGINT, SIGTERM: stop starting jobs, pass the signal to every job's
//     group, SIGKILL them after KillAfter; a second one kills at once.
//   - SIGHUP: drain: start no more jobs, let running ones finish.
//   - SIGTSTP: stop every job's group, then parmap itself; SIGCONT resumes
//     them all.
func (s *stopper) handle(sig syscall.Signal, sum *Summary) {
	switch sig {
	case syscall.SIGINT, syscall.SIGTERM:
		if s.stopSig != 0 {
			s.x.signalAll(syscall.SIGKILL)
			return
		}
		sum.Signal = sig
		s.begin(sig)
	case syscall.SIGHUP:
		s.halt()
	case syscall.SIGTSTP:
		s.x.signalAll(syscall.SIGSTOP)
		// Kill may return before parmap has stopped (another thread can
		// take the signal), so the jobs are resumed only when SIGCONT
		// arrives, below.
		syscall.Kill(syscall.Getpid(), syscall.SIGSTOP)
	case syscall.SIGCONT:
		s.x.signalAll(syscall.SIGCONT)
	}
}

// halt starts no more jobs. It closes the slots' quit channel before any
// job is signalled, so a slot freed by a job that dies of the signal cannot
// start another one.
func (s *stopper) halt() {
	s.x.closeQuit()
}

// begin stops the run with sig: no new jobs, sig to every job's group, and
// SIGKILL after KillAfter.
func (s *stopper) begin(sig syscall.Signal) {
	s.halt()
	if s.stopSig != 0 {
		return
	}
	s.stopSig = sig
	if s.x.opt.StopSignal != 0 {
		sig = s.x.opt.StopSignal
	}
	s.x.signalAll(sig)
	// A stopped job would never see the signal.
	s.x.signalAll(syscall.SIGCONT)
	d := s.x.opt.KillAfter
	if d <= 0 {
		d = 2 * time.Second
	}
	s.timer = time.NewTimer(d)
	s.escalate = s.timer.C
}
