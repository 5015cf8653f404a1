package exchange

import "syscall"

// stopper carries out what signals ask of a run. It is used by Run's
// goroutine only.
type stopper struct {
	x       *Exchange
	stopSig syscall.Signal // the INT or TERM that began the stop
}

// handle acts on one signal.
//
//   - SIGINT, SIGTERM: stop starting jobs and stop every job's group
//     (the signal, SIGKILL after KillAfter); a second one kills at once.
//   - SIGHUP: drain: start no more jobs, let running ones finish.
//   - SIGTSTP: stop every job's group, then parmap itself; SIGCONT resumes
//     them all.
//   - SIGUSR1: one more job slot; SIGUSR2: one fewer, never below 1
//     (running jobs finish), as GNU xargs -P.
func (s *stopper) handle(sig syscall.Signal, sum *Summary) {
	switch sig {
	case syscall.SIGINT, syscall.SIGTERM:
		if s.stopSig != 0 {
			s.x.killAll()
			return
		}
		sum.Signal = sig
		s.begin(sig)
	case syscall.SIGHUP:
		s.x.closeQuit()
	case syscall.SIGTSTP:
		s.x.signalAll(syscall.SIGSTOP)
		// Kill may return before parmap has stopped (another thread can
		// take the signal), so the jobs are resumed only when SIGCONT
		// arrives, below.
		syscall.Kill(syscall.Getpid(), syscall.SIGSTOP)
	case syscall.SIGCONT:
		s.x.signalAll(syscall.SIGCONT)
	case syscall.SIGUSR1:
		s.x.addSlots(1)
	case syscall.SIGUSR2:
		s.x.addSlots(-1)
	}
}

// begin stops the run with sig: no new jobs (the slots' quit channel is
// closed before any job is signalled, so a slot freed by a job that dies of
// the signal cannot start another one), and every running job stopped with
// sig (or Options.StopSignal), SIGKILL after KillAfter.
func (s *stopper) begin(sig syscall.Signal) {
	s.x.closeQuit()
	if s.stopSig != 0 {
		return
	}
	s.stopSig = sig
	if s.x.opt.StopSignal != 0 {
		sig = s.x.opt.StopSignal
	}
	s.x.stopAll(sig)
}
