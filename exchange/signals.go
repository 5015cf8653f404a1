package exchange

import (
	"syscall"
	"time"
)

// stopper carries out what signals ask of a run. It is used by Run's
// goroutine only.
type stopper struct {
	x        *Exchange
	stopping bool             // start no more jobs
	stopSig  syscall.Signal   // the INT or TERM that began the stop
	timer    *time.Timer      // escalation to SIGKILL
	escalate <-chan time.Time // fires when the timer does
}

// handle acts on one signal and reports whether new jobs may still start.
//
//   - SIGINT, SIGTERM: stop starting jobs, pass the signal to every job's
//     group, SIGKILL them after KillAfter; a second one kills at once.
//   - SIGHUP: drain: start no more jobs, let running ones finish.
//   - SIGTSTP: stop every job's group, then parmap itself; SIGCONT resumes
//     them all.
func (s *stopper) handle(sig syscall.Signal, sum *Summary) bool {
	switch sig {
	case syscall.SIGINT, syscall.SIGTERM:
		if s.stopSig != 0 {
			s.x.signalAll(syscall.SIGKILL)
			return false
		}
		sum.Signal = sig
		s.begin(sig)
	case syscall.SIGHUP:
		s.stopping = true
	case syscall.SIGTSTP:
		s.x.signalAll(syscall.SIGSTOP)
		// Kill may return before parmap has stopped (another thread can
		// take the signal), so the jobs are resumed only when SIGCONT
		// arrives, below.
		syscall.Kill(syscall.Getpid(), syscall.SIGSTOP)
	case syscall.SIGCONT:
		s.x.signalAll(syscall.SIGCONT)
	}
	return !s.stopping
}

// begin stops the run with sig: no new jobs, sig to every job's group, and
// SIGKILL after KillAfter.
func (s *stopper) begin(sig syscall.Signal) {
	s.stopping = true
	if s.stopSig != 0 {
		return
	}
	s.stopSig = sig
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
