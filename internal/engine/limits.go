package engine

import (
	"sync"

	"github.com/parmap/parmap/channel"
	"github.com/parmap/parmap/internal/cgroup"
	"github.com/parmap/parmap/internal/results"
)

// LimitError is a job whose group (Config.Limits) could not be made: it
// fails without starting.
type LimitError struct{ Err error }

func (e *LimitError) Error() string { return "making the job's cgroup: " + e.Err.Error() }
func (e *LimitError) Unwrap() error { return e.Err }

// openLimits finds how the jobs can be limited (Config.Limits) and says
// how (LimitsPlaced); the run's groups go when it closes.
func (r *run) openLimits() error {
	if !r.cfg.Limits.Any() || r.cfg.DryRun {
		return nil
	}
	t, err := cgroup.Open(r.cfg.Limits)
	if err != nil {
		return err
	}
	r.limits = t
	r.closers = append(r.closers, func() {
		if err := t.Close(); err != nil {
			r.notify(Notice{Kind: LimitsLeft, Err: err})
		}
	})
	r.notify(Notice{Kind: LimitsPlaced, Limits: t.Limits(), Via: t.Kind()})
	return nil
}

// place has spec start the job in its slot's group.
func (j *job) place(spec *channel.Spec, slot int) error {
	if j.r.limits == nil {
		return nil
	}
	g, err := j.r.limits.Slot(slot)
	if err != nil {
		return &LimitError{Err: err}
	}
	j.group, spec.Place = g, g
	if spec.Path, spec.Argv, spec.Env, err = j.r.limits.Shim(spec.Path, spec.Argv, spec.Env); err != nil {
		return &LimitError{Err: err}
	}
	return nil
}

// unplace is told that the job's latest run has been reaped, and reports
// whether the OOM killer killed a process of it.
func (j *job) unplace() (oom bool) {
	if j.group == nil {
		return false
	}
	oom = j.group.Ended()
	j.group = nil
	return oom
}

// usageTotals adds up what the run's jobs used, for Config.Totals.
type usageTotals struct {
	mu     sync.Mutex
	total  channel.Usage // MaxRSS: the largest
	maxSeq int64         // the job with the largest
}

func (u *usageTotals) add(seq int64, use channel.Usage) {
	u.mu.Lock()
	defer u.mu.Unlock()
	u.total.User += use.User
	u.total.Sys += use.Sys
	if use.MaxRSS > u.total.MaxRSS {
		u.total.MaxRSS, u.maxSeq = use.MaxRSS, seq
	}
}

// sayTotals tells what the jobs used (Config.Totals).
func (r *run) sayTotals() {
	if !r.cfg.Totals || r.cfg.DryRun {
		return
	}
	r.usage.mu.Lock()
	n := Notice{Kind: ResourceTotals, Usage: r.usage.total, Seq: r.usage.maxSeq}
	r.usage.mu.Unlock()
	r.notify(n)
}

// resources is a job's use, as --json and --results record it.
func resources(u channel.Usage, oom bool) results.Resources {
	return results.Resources{CPUUser: u.User, CPUSys: u.Sys, MaxRSS: u.MaxRSS, OOM: oom}
}
