package exchange

import (
	"errors"
	"math"
	"strconv"
	"strings"

	"github.com/parmap/parmap/channel"
)

// HaltWhen says what a triggered halt does to running jobs.
type HaltWhen int

const (
	// HaltNever never halts (the default).
	HaltNever HaltWhen = iota
	// HaltSoon starts no more jobs and lets running ones finish.
	HaltSoon
	// HaltNow kills running jobs' groups at once (SIGTERM, then SIGKILL
	// after KillAfter).
	HaltNow
)

// HaltOn says which finished jobs count towards a halt.
type HaltOn int

const (
	HaltOnFail    HaltOn = iota // failed jobs
	HaltOnSuccess               // succeeded jobs
	HaltOnDone                  // all finished jobs
)

// Halt is a --halt policy, as GNU parallel means it: halt when Count jobs
// (or Percent of all the jobs, when Percent > 0) have failed, succeeded or
// finished.
type Halt struct {
	When    HaltWhen
	On      HaltOn
	Count   int64
	Percent float64
}

// ErrHaltPolicy is what ParseHalt returns for text that is not a policy.
var ErrHaltPolicy = errors.New("not a halt policy: want never, or now|soon,fail|success|done=N (N a count or a percentage)")

// ParseHalt reads never, now,fail=N, soon,fail=N, now,success=N,
// soon,success=N, now,done=N, soon,done=N; N may be a percentage (fail=10%).
// Anything else is ErrHaltPolicy.
func ParseHalt(s string) (Halt, error) {
	bad := ErrHaltPolicy
	if s == "never" {
		return Halt{}, nil
	}
	when, cond, ok := strings.Cut(s, ",")
	if !ok {
		return Halt{}, bad
	}
	var h Halt
	switch when {
	case "now":
		h.When = HaltNow
	case "soon":
		h.When = HaltSoon
	default:
		return Halt{}, bad
	}
	kind, n, ok := strings.Cut(cond, "=")
	if !ok {
		return Halt{}, bad
	}
	switch kind {
	case "fail":
		h.On = HaltOnFail
	case "success":
		h.On = HaltOnSuccess
	case "done":
		h.On = HaltOnDone
	default:
		return Halt{}, bad
	}
	if pct, isPct := strings.CutSuffix(n, "%"); isPct {
		p, err := strconv.ParseFloat(pct, 64)
		if err != nil || p <= 0 || p > 100 {
			return Halt{}, bad
		}
		h.Percent = p
		return h, nil
	}
	c, err := strconv.ParseInt(n, 10, 64)
	if err != nil || c < 1 {
		return Halt{}, bad
	}
	h.Count = c
	return h, nil
}

// Triggered reports whether the counts so far meet the policy, a
// percentage counting against the jobs finished so far (TriggeredOf with an
// unknown total).
func (h Halt) Triggered(done, failed int64) bool {
	return h.TriggeredOf(done, failed, 0)
}

// TriggeredOf reports whether the counts so far meet the policy. A
// percentage counts against total, the jobs of the whole run, as GNU
// parallel's does (20% of 10 jobs is 2); while total is not known (0), it
// counts against the jobs finished so far.
func (h Halt) TriggeredOf(done, failed, total int64) bool {
	if h.When == HaltNever || done == 0 {
		return false
	}
	n := h.counted(done, failed)
	if h.Percent > 0 {
		if total <= 0 {
			total = done
		}
		// GNU's arithmetic: N jobs of the total times the fraction.
		return float64(n) >= float64(total)*(h.Percent/100)
	}
	return n >= h.Count
}

// counted is how many of the finished jobs the policy counts.
func (h Halt) counted(done, failed int64) int64 {
	switch h.On {
	case HaltOnFail:
		return failed
	case HaltOnSuccess:
		return done - failed
	}
	return done
}

// Exit is parmap's exit status when the policy triggered on a job that
// ended with exit value exit, after done jobs of total (0: not known) had
// finished and failed of them had failed, as GNU parallel has it: 0 for a
// halt on success; the job's own exit value for fail=1 or done=1, and for a
// percentage that comes to exactly one job; the percentage of the jobs that
// failed, rounded up, for another percentage; else
// the count of failed jobs, at most 101.
func (h Halt) Exit(exit int, done, failed, total int64) int {
	switch {
	case h.On == HaltOnSuccess:
		return 0
	case h.Percent > 0:
		if total <= 0 {
			total = done
		}
		if float64(total)*h.Percent/100 == 1 {
			return exit // the percentage came to one job: as fail=1
		}
		return int(math.Ceil(float64(failed) / float64(total) * 100))
	case h.Count == 1:
		return exit
	}
	return int(min(failed, 101))
}

// String is the policy as --halt takes it: "soon,fail=20%".
func (h Halt) String() string {
	if h.When == HaltNever {
		return "never"
	}
	s := "soon,"
	if h.When == HaltNow {
		s = "now,"
	}
	s += [...]string{HaltOnFail: "fail", HaltOnSuccess: "success", HaltOnDone: "done"}[h.On] + "="
	if h.Percent > 0 {
		return s + strconv.FormatFloat(h.Percent, 'f', -1, 64) + "%"
	}
	return s + strconv.FormatInt(h.Count, 10)
}

// HaltEvent is a halt policy triggered by a finished task.
type HaltEvent struct {
	Task   Task
	Result channel.Result
	// Done and Failed count the finished tasks, this one included; Total
	// is the tasks of the whole run (SetTotal), 0 when not known.
	Done, Failed, Total int64
	// Running is the jobs still running: with HaltSoon they go on to
	// their end, with HaltNow they are stopped.
	Running int
	// Exit is the run's exit status for the halt (Halt.Exit).
	Exit int
}

// SetTotal tells the run how many tasks it has in all, once its input has
// been counted: a percentage in the halt policy counts against it (GNU
// parallel). Until then a percentage counts against the tasks finished so
// far; a caller that wants GNU's meaning counts its tasks before it sends
// the first.
func (x *Exchange) SetTotal(n int64) {
	x.mu.Lock()
	x.total = n
	x.mu.Unlock()
}

// Halt stops the run as a triggered halt policy does, for callers that count
// finished work themselves (reused workers count records, not processes):
// no more tasks start, and with now, running ones are stopped (SIGTERM, then
// SIGKILL after KillAfter). The Summary reports Halted and exit as HaltExit.
// Only the first call counts.
func (x *Exchange) Halt(now bool, exit int) {
	x.mu.Lock()
	first := !x.halted
	if first {
		x.halted, x.haltExit = true, exit
	}
	x.mu.Unlock()
	if !first {
		return
	}
	x.closeQuit()
	if now {
		select {
		case x.haltNow <- struct{}{}:
		default:
		}
	}
}

// finish counts a finished task, checks the halt policy and hands the task
// to done.
func (x *Exchange) finish(t Task, slot int, res channel.Result, done Done) {
	failed := res.Failed(x.opt.Success) && !x.opt.DryRun
	x.mu.Lock()
	x.doneCount++
	if failed {
		x.failed++
	}
	stop := !x.halted && !x.opt.DryRun && x.opt.Stop.Stops(res)
	halt := stop || !x.halted && x.opt.Halt.TriggeredOf(x.doneCount, x.failed, x.total)
	var ev HaltEvent
	if halt {
		exit := res.Exit
		if !stop {
			exit = x.opt.Halt.Exit(res.Exit, x.doneCount, x.failed, x.total)
		}
		x.halted, x.haltExit = true, exit
		ev = HaltEvent{Task: t, Result: res, Done: x.doneCount, Failed: x.failed, Total: x.total,
			Running: len(x.running), Exit: exit}
	}
	x.finishing++
	x.mu.Unlock()
	defer func() {
		// What done freed (held output files) may be what a job
		// waiting to start lacks.
		x.mu.Lock()
		x.finishing--
		x.jobEnded()
		x.mu.Unlock()
	}()
	if halt {
		x.closeQuit()
		if x.opt.Halt.When == HaltNow && !stop {
			select {
			case x.haltNow <- struct{}{}:
			default:
			}
		}
	}
	done(t, slot, res)
	if halt && x.opt.Halted != nil {
		x.opt.Halted(ev) // after the job's output, as GNU parallel tells it
	}
}

// StopOn names the job ends that stop a run on their own, whatever the
// Halt policy: no more jobs start and the running ones finish (GNU xargs
// stops at a command that exits 255, is killed by a signal or cannot
// run). The triggering job is told to Halted as a halt is, with its own
// exit value as the exit. The zero StopOn stops nothing.
type StopOn struct {
	Exit      int  // this exit value; 0 for none
	Signaled  bool // a job killed by a signal
	Unstarted bool // a job that could not start (Result.Err)
}

// Stops reports whether res is one of the job ends s names.
func (s StopOn) Stops(res channel.Result) bool {
	switch {
	case res.Err != nil:
		return s.Unstarted && !errors.Is(res.Err, ErrNotStarted)
	case res.Signal != 0:
		return s.Signaled && !res.TimedOut
	}
	return s.Exit != 0 && res.Exit == s.Exit
}
