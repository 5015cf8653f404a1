package exchange

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/parmap/parmap/channel"
)

// shellTask runs a sh script; Retry is counted.
type shellTask struct {
	script  string
	retried int
}

func (t *shellTask) Spec(int) (channel.Spec, error) {
	return channel.Spec{Argv: []string{"sh", "-c", t.script}}, nil
}

func (t *shellTask) Retry() { t.retried++ }

func TestTimeoutKillsTheJobsWholeGroup(t *testing.T) {
	dir := t.TempDir()
	pidFile := filepath.Join(dir, "bg")
	// The job leaves a background grandchild in its group, then waits. It
	// has done so before the timeout fires, however slowly it starts: its
	// first command traps SIGTERM, a SIGTERM that comes before the
	// grandchild runs is held until it does, and the job then dies of it
	// (the exchange kills the group it leaves). Only sh's start, before its
	// first command, is on the clock; KillAfter is a bound on failure.
	task := &shellTask{script: fmt.Sprintf("trap term=1 TERM; sleep 600 & echo $! > %s; [ -n \"$term\" ] || wait; trap - TERM; kill -TERM $$", pidFile)}
	var got channel.Result
	sum := New(Options{Jobs: 1, Timeout: 500 * time.Millisecond, KillAfter: time.Minute}).
		Run(context.Background(), feed(task), func(_ Task, _ int, r channel.Result) { got = r })
	if !got.TimedOut || got.Signal != syscall.SIGTERM || sum.Failed != 1 {
		t.Fatalf("result %+v, summary %+v", got, sum)
	}
	b, err := os.ReadFile(pidFile)
	if err != nil {
		t.Fatal(err)
	}
	var pid int
	fmt.Sscan(string(b), &pid)
	deadline := time.Now().Add(time.Minute)
	for {
		st, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
		if err != nil || strings.Contains(string(st), ") Z") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("grandchild %d outlived the timeout", pid)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestTimeoutEscalatesToKill(t *testing.T) {
	// Ignoring SIGTERM is the job's first command: only sh's start is on the
	// clock before the timeout.
	task := &shellTask{script: "trap '' TERM; sleep 600 & wait; wait"}
	var got channel.Result
	New(Options{Jobs: 1, Timeout: 500 * time.Millisecond, KillAfter: 100 * time.Millisecond}).
		Run(context.Background(), feed(task), func(_ Task, _ int, r channel.Result) { got = r })
	if !got.TimedOut || got.Signal != syscall.SIGKILL {
		t.Fatalf("result %+v", got)
	}
}

func TestNoTimeoutWhenFast(t *testing.T) {
	var got channel.Result
	New(Options{Jobs: 1, Timeout: time.Minute}).
		Run(context.Background(), feed(&shellTask{script: "exit 0"}), func(_ Task, _ int, r channel.Result) { got = r })
	if got.TimedOut || got.Exit != 0 {
		t.Fatalf("result %+v", got)
	}
}

func TestRetriesRunFailedJobsAgain(t *testing.T) {
	dir := t.TempDir()
	count := filepath.Join(dir, "runs")
	// Fails twice, then succeeds.
	task := &shellTask{script: fmt.Sprintf("echo x >> %s; [ $(wc -l < %s) -ge 3 ]", count, count)}
	sum := New(Options{Jobs: 1, Retries: 5, RetryDelay: time.Millisecond}).
		Run(context.Background(), feed(task), func(Task, int, channel.Result) {})
	b, _ := os.ReadFile(count)
	if runs := strings.Count(string(b), "\n"); runs != 3 || task.retried != 2 || sum.Failed != 0 {
		t.Fatalf("%d runs, %d retries, summary %+v", runs, task.retried, sum)
	}
	// Always failing: N+1 runs in all, counted once.
	always := &shellTask{script: "exit 4"}
	var got channel.Result
	sum = New(Options{Jobs: 1, Retries: 2}).
		Run(context.Background(), feed(always), func(_ Task, _ int, r channel.Result) { got = r })
	if always.retried != 2 || sum.Failed != 1 || sum.Done != 1 || got.Exit != 4 {
		t.Fatalf("retried %d, summary %+v", always.retried, sum)
	}
}

func TestDelaySpacesStarts(t *testing.T) {
	var mu sync.Mutex
	var starts []time.Time
	var tasks []Task
	for i := 0; i < 4; i++ {
		tasks = append(tasks, &shellTask{script: "exit 0"})
	}
	New(Options{Jobs: 4, Delay: 50 * time.Millisecond}).
		Run(context.Background(), feed(tasks...), func(_ Task, _ int, r channel.Result) {
			mu.Lock()
			starts = append(starts, r.Start)
			mu.Unlock()
		})
	sort.Slice(starts, func(i, j int) bool { return starts[i].Before(starts[j]) })
	for i := 1; i < len(starts); i++ {
		if gap := starts[i].Sub(starts[i-1]); gap < 50*time.Millisecond {
			t.Fatalf("starts %d and %d only %v apart", i, i+1, gap)
		}
	}
}

func TestHaltNowOnFirstFailure(t *testing.T) {
	dir := t.TempDir()
	h, err := ParseHalt("now,fail=1")
	if err != nil {
		t.Fatal(err)
	}
	// Job 1 fails at once; job 2 waits to be killed; job 3 never starts.
	tasks := make(chan Task, 3)
	tasks <- &shellTask{script: fmt.Sprintf("while [ ! -e %s/started ]; do sleep 0.01; done; exit 7", dir)}
	tasks <- &shellTask{script: fmt.Sprintf("touch %s/started; sleep 600", dir)}
	tasks <- &shellTask{script: fmt.Sprintf("touch %s/third", dir)}
	close(tasks)
	sum := New(Options{Jobs: 2, Halt: h}).Run(context.Background(), tasks, func(Task, int, channel.Result) {})
	if !sum.Halted || sum.HaltExit != 7 || sum.Done != 2 {
		t.Fatalf("summary %+v", sum)
	}
	if _, err := os.Stat(dir + "/third"); err == nil {
		t.Fatal("a job started after the halt")
	}
}

func TestHaltSoonLetsRunningJobsFinish(t *testing.T) {
	h, _ := ParseHalt("soon,fail=1")
	dir := t.TempDir()
	tasks := make(chan Task, 3)
	tasks <- &shellTask{script: fmt.Sprintf("while [ ! -e %s/started ]; do sleep 0.01; done; exit 3", dir)}
	tasks <- &shellTask{script: fmt.Sprintf("touch %s/started; while [ ! -e %s/go ]; do sleep 0.01; done; touch %s/finished", dir, dir, dir)}
	tasks <- &shellTask{script: fmt.Sprintf("touch %s/third", dir)}
	close(tasks)
	x := New(Options{Jobs: 2, Halt: h})
	sum := x.Run(context.Background(), tasks, func(_ Task, _ int, r channel.Result) {
		if r.Exit == 3 {
			os.WriteFile(dir+"/go", nil, 0o644) // let job 2 end by itself
		}
	})
	if !sum.Halted || sum.HaltExit != 3 || sum.Done != 2 {
		t.Fatalf("summary %+v", sum)
	}
	if _, err := os.Stat(dir + "/finished"); err != nil {
		t.Fatal("the running job was not let finish")
	}
	if _, err := os.Stat(dir + "/third"); err == nil {
		t.Fatal("a job started after the halt")
	}
}

func TestParseHalt(t *testing.T) {
	good := map[string]Halt{
		"never":          {},
		"now,fail=1":     {When: HaltNow, On: HaltOnFail, Count: 1},
		"soon,fail=10%":  {When: HaltSoon, On: HaltOnFail, Percent: 10},
		"now,success=2":  {When: HaltNow, On: HaltOnSuccess, Count: 2},
		"soon,success=3": {When: HaltSoon, On: HaltOnSuccess, Count: 3},
		"now,done=5":     {When: HaltNow, On: HaltOnDone, Count: 5},
	}
	for s, want := range good {
		if h, err := ParseHalt(s); err != nil || h != want {
			t.Errorf("ParseHalt(%q) = %+v, %v", s, h, err)
		}
	}
	for _, s := range []string{"", "now", "later,fail=1", "now,fail=0", "now,fail=x", "now,oops=1", "soon,fail=200%", "now,fail=-1"} {
		if _, err := ParseHalt(s); err == nil {
			t.Errorf("ParseHalt(%q) accepted", s)
		}
	}
	if !(Halt{When: HaltSoon, On: HaltOnFail, Percent: 50}).Triggered(4, 2) || (Halt{When: HaltSoon, On: HaltOnFail, Percent: 50}).Triggered(4, 1) {
		t.Error("percentage")
	}
}

// A job's watchdog timer is stopped when the job ends: none outlives it.
func TestWatchdogTimerStopsWithTheJob(t *testing.T) {
	x := New(Options{Timeout: time.Hour})
	c, err := channel.Start(channel.Spec{Argv: []string{"true"}})
	if err != nil {
		t.Fatal(err)
	}
	w := x.watch(c)
	c.Wait()
	if w.stop() {
		t.Fatal("the watchdog fired for a job that ended at once")
	}
	if w.timer.Stop() {
		t.Fatal("the watchdog's timer was still pending after the job ended")
	}
}

// orderTask records the order in which jobs start (Watcher.Started); its
// Spec may hold it back first.
type orderTask struct {
	n       int
	hold    func()
	started func(n int)
}

func (o *orderTask) Spec(int) (channel.Spec, error) {
	if o.hold != nil {
		o.hold()
	}
	return channel.Spec{Argv: []string{"sh", "-c", "exit 0"}}, nil
}

func (o *orderTask) Started(*channel.Child) { o.started(o.n) }

// TestDelayStartsInQueueOrder: under Delay, a job whose Spec is slow still
// starts before the tasks taken after it. Task 2's Spec holds until task 3
// has started (which it never does first in the queue's order: then the
// hold ends after a second); task 3 is taken by the other slot meanwhile.
func TestDelayStartsInQueueOrder(t *testing.T) {
	var mu sync.Mutex
	var order []int
	started3 := make(chan struct{})
	started := func(n int) {
		mu.Lock()
		order = append(order, n)
		mu.Unlock()
		if n == 3 {
			close(started3)
		}
	}
	tasks := []Task{
		&orderTask{n: 1, started: started},
		&orderTask{n: 2, started: started, hold: func() {
			select {
			case <-started3:
			case <-time.After(time.Second):
			}
		}},
		&orderTask{n: 3, started: started},
	}
	sum := New(Options{Jobs: 2, Delay: time.Millisecond}).
		Run(context.Background(), feed(tasks...), func(Task, int, channel.Result) {})
	if sum.Done != 3 || sum.Failed != 0 {
		t.Fatalf("summary %+v", sum)
	}
	if fmt.Sprint(order) != "[1 2 3]" {
		t.Fatalf("started in the order %v, want [1 2 3]", order)
	}
}
