package exchange

import (
	"context"
	"testing"

	"github.com/parmap/parmap/channel"
)

// A percentage counts against all the jobs once the total is known (GNU
// parallel: 20% of 10 is 2 failures), against the finished ones before.
func TestHaltPercentOfTheTotal(t *testing.T) {
	h, err := ParseHalt("soon,fail=20%")
	if err != nil {
		t.Fatal(err)
	}
	if h.TriggeredOf(2, 1, 10) || !h.TriggeredOf(3, 2, 10) {
		t.Fatal("20% of 10 jobs is not 2 failures")
	}
	if !h.TriggeredOf(2, 1, 0) {
		t.Fatal("with no total, 1 failure of 2 finished should be 50%")
	}
	s, _ := ParseHalt("now,success=30%")
	if s.TriggeredOf(5, 3, 10) || !s.TriggeredOf(6, 3, 10) {
		t.Fatal("30% of 10 jobs is not 3 successes")
	}
}

// The exit status of a halt is GNU parallel's.
func TestHaltExit(t *testing.T) {
	for _, c := range []struct {
		policy                      string
		exit                        int
		done, failed, total, status int64
	}{
		{"soon,fail=20%", 2, 3, 2, 10, 20},
		{"now,fail=30%", 1, 3, 3, 10, 30},
		{"now,fail=30%", 1, 3, 1, 7, 15}, // 1/7 rounded up
		{"now,done=25%", 2, 3, 2, 10, 20},
		{"now,fail=1", 7, 1, 1, 0, 7},
		{"soon,fail=50%", 5, 1, 1, 2, 5}, // 50% of 2 jobs is one job: as fail=1 (GNU)
		{"soon,done=1", 0, 1, 0, 0, 0},
		{"now,fail=2", 4, 3, 2, 0, 2},
		{"now,fail=200", 4, 300, 200, 0, 101},
		{"now,success=1", 0, 2, 1, 0, 0},
		{"now,success=50%", 0, 9, 4, 10, 0},
	} {
		h, err := ParseHalt(c.policy)
		if err != nil {
			t.Fatal(err)
		}
		if got := h.Exit(c.exit, c.done, c.failed, c.total); int64(got) != c.status {
			t.Errorf("%s, exit %d, %d/%d failed of %d: status %d, want %d", c.policy, c.exit, c.failed, c.done, c.total, got, c.status)
		}
		if h.String() != c.policy {
			t.Errorf("%q reads back as %q", c.policy, h.String())
		}
	}
}

// With the total set, a run halts at 2 failures of 10 and tells which job
// triggered it, with the counts and the exit status.
func TestHaltTellsTheTriggeringJob(t *testing.T) {
	h, _ := ParseHalt("soon,fail=20%")
	var tasks []Task
	for _, s := range []string{"exit 0", "exit 1", "exit 2", "exit 0", "exit 3", "exit 0", "exit 4", "exit 5", "exit 6", "exit 7"} {
		tasks = append(tasks, &shellTask{script: s})
	}
	var got []HaltEvent
	var ran int
	x := New(Options{Jobs: 1, Halt: h, Halted: func(ev HaltEvent) { got = append(got, ev) }})
	x.SetTotal(int64(len(tasks)))
	sum := x.Run(context.Background(), feed(tasks...), func(_ Task, _ int, r channel.Result) {
		if r.Err != ErrNotStarted {
			ran++
		}
	})
	if !sum.Halted || sum.HaltExit != 20 || sum.Done != 3 || sum.Failed != 2 || ran != 3 {
		t.Fatalf("summary %+v, %d ran", sum, ran)
	}
	if len(got) != 1 || got[0].Task != tasks[2] || got[0].Result.Exit != 2 ||
		got[0].Done != 3 || got[0].Failed != 2 || got[0].Total != 10 || got[0].Running != 0 || got[0].Exit != 20 {
		t.Fatalf("halt events %+v", got)
	}
}
