package exchange

import (
	"errors"
	"strconv"
	"strings"
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
// (or Percent of the finished jobs, when Percent > 0) have failed,
// succeeded or finished.
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

// Triggered reports whether the counts so far meet the policy.
func (h Halt) Triggered(done, failed int64) bool {
	if h.When == HaltNever || done == 0 {
		return false
	}
	n := done
	switch h.On {
	case HaltOnFail:
		n = failed
	case HaltOnSuccess:
		n = done - failed
	}
	if h.Percent > 0 {
		return float64(n)*100 >= h.Percent*float64(done)
	}
	return n >= h.Count
}
