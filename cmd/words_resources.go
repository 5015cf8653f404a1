package cmd

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/parmap/parmap/channel"
	"github.com/parmap/parmap/internal/cgroup"
	"github.com/parmap/parmap/internal/engine"
)

// wordResources words the notices about limits and what jobs used.
func wordResources(n engine.Notice) string {
	switch n.Kind {
	case engine.JobOutOfMemory:
		return fmt.Sprintf("job %d%s: killed: out of memory (limit %s)", n.Seq, wordCommand(n.Command), formatBytes(n.Limits.Memory))
	case engine.LimitsPlaced:
		return wordLimitsPlaced(n.Limits, n.Via)
	case engine.LimitsLeft:
		return "warning: " + wordError(n.Err) + "; remove it by hand"
	}
	u := n.Usage
	s := fmt.Sprintf("resources: CPU %.2fs user, %.2fs sys", u.User.Seconds(), u.Sys.Seconds())
	if u.MaxRSS > 0 {
		s += fmt.Sprintf("; peak memory %s (job %d)", formatBytesAbout(u.MaxRSS), n.Seq)
	}
	return s
}

// wordLimitsPlaced says how the jobs are limited:
// "--mem-limit 2G: cgroup v1 memory controller".
func wordLimitsPlaced(l cgroup.Limits, via cgroup.Kind) string {
	var flags, ctrls []string
	if l.Memory > 0 {
		flags, ctrls = append(flags, "--mem-limit "+formatBytes(l.Memory)), append(ctrls, "memory")
	}
	if l.CPUs > 0 {
		flags, ctrls = append(flags, "--cpu-limit "+strconv.FormatFloat(l.CPUs, 'f', -1, 64)), append(ctrls, "cpu")
	}
	what := strings.Join(ctrls, " and ") + " controller"
	if len(ctrls) > 1 {
		what += "s"
	}
	switch via {
	case cgroup.V2:
		what = "cgroup v2 " + what
	case cgroup.V1:
		what = "cgroup v1 " + what
	default:
		what = "RLIMIT_AS (no cgroup can be used: a job's allocation beyond it fails in the job)"
	}
	return strings.Join(flags, " ") + ": " + what
}

// wordLimitError words the errors of --mem-limit and --cpu-limit, and
// reports whether err was one.
func wordLimitError(err error) (string, bool) {
	var (
		lim   *engine.LimitError
		place *channel.PlaceError
	)
	switch {
	case errors.Is(err, cgroup.ErrNoCgroup):
		return "--cpu-limit: no cgroup with the cpu controller can be used here (v2 delegated to parmap's cgroup, or v1 writable); run as root or drop --cpu-limit", true
	case errors.As(err, &lim):
		return "--mem-limit/--cpu-limit: cannot make the job's cgroup: " + lim.Err.Error(), true
	case errors.As(err, &place):
		return "--mem-limit/--cpu-limit: cannot start the job in its cgroup: " + place.Err.Error(), true
	}
	return "", false
}
