package cmd

import (
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/parmap/parmap/exchange"
	"github.com/parmap/parmap/internal/engine"
)

// A notice about a job names its command on one line, clipped.
func TestNoticesNameTheCommand(t *testing.T) {
	long := "echo " + strings.Repeat("x", 100)
	for _, c := range []struct {
		n    engine.Notice
		want string
	}{
		{engine.Notice{Kind: engine.JobTimedOut, Seq: 2, Command: "sleep 3", Timeout: 500 * time.Millisecond, Signal: syscall.SIGTERM},
			"parmap: job 2 (sleep 3): stopped after --timeout 500ms (terminated)"},
		{engine.Notice{Kind: engine.JobTimedOut, Seq: 1, Command: "sh -c 'a\n  b'", Timeout: time.Second, Signal: syscall.SIGKILL},
			"parmap: job 1 (sh -c 'a b'): stopped after --timeout 1s (killed)"},
		{engine.Notice{Kind: engine.JobTimedOut, Seq: 1, Command: long, Timeout: time.Second, Signal: syscall.SIGKILL},
			"parmap: job 1 (" + long[:59] + "…): stopped after --timeout 1s (killed)"},
		// A job that caught the signal and exited by itself has no signal to name.
		{engine.Notice{Kind: engine.JobTimedOut, Seq: 3, Command: "slow", Timeout: 200 * time.Millisecond},
			"parmap: job 3 (slow): stopped after --timeout 200ms"},
		{engine.Notice{Kind: engine.JobHalted, Seq: 4, Command: "false", Exit: 1, Halt: exchange.Halt{When: exchange.HaltNow, On: exchange.HaltOnFail, Count: 1},
			Done: 4, Failed: 1, Running: 2},
			"parmap: halting on job 4 (false), which exited with status 1: 1 job failed (--halt now,fail=1); starting no more jobs, stopping the 2 running"},
		{engine.Notice{Kind: engine.JobHalted, Seq: 5, Command: "sleep 9", Exit: 137, Signal: syscall.SIGKILL,
			Halt: exchange.Halt{When: exchange.HaltSoon, On: exchange.HaltOnDone, Count: 5}, Done: 5, Failed: 1},
			"parmap: halting on job 5 (sleep 9), which was killed by signal 9 (killed): 5 jobs finished (--halt soon,done=5); starting no more jobs"},
	} {
		if got := wordNotice(c.n); got != c.want {
			t.Errorf("got  %q\nwant %q", got, c.want)
		}
	}
}
