package exchange

import (
	"context"
	"errors"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/parmap/parmap/channel"
)

// liveTask is a held job that says when its process has started, and
// whether its release came first.
type liveTask struct {
	*held
	started  chan struct{}
	mu       sync.Mutex
	released bool
}

func newLive(t *testing.T, name string) *liveTask {
	return &liveTask{held: newHeld(t, name), started: make(chan struct{})}
}

func (l *liveTask) Started(*channel.Child) { close(l.started) }

func (l *liveTask) release() {
	l.mu.Lock()
	l.released = true
	l.mu.Unlock()
	l.held.release()
}

// hasStarted reports whether the task's process has started.
func (l *liveTask) hasStarted() bool {
	select {
	case <-l.started:
		return true
	default:
		return false
	}
}

// ended collects the names of finished tasks, in order, and each result.
type ended struct {
	mu    sync.Mutex
	names []string
	res   map[string]channel.Result
	c     chan string
}

func newEnded() *ended { return &ended{res: map[string]channel.Result{}, c: make(chan string, 100)} }

func (e *ended) done(t Task, _ int, res channel.Result) {
	name := t.(*liveTask).name
	e.mu.Lock()
	e.names = append(e.names, name)
	e.res[name] = res
	e.mu.Unlock()
	e.c <- name
}

// waitUntil waits for cond, a condition on the run's state that some event
// is bound to make true, failing after a minute.
func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting until %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}

func liveTasks(t *testing.T, names ...string) ([]*liveTask, <-chan Task) {
	var ls []*liveTask
	c := make(chan Task, len(names))
	for _, n := range names {
		l := newLive(t, n)
		ls = append(ls, l)
		c <- l
	}
	close(c)
	return ls, c
}

func TestSetLimitUpStartsWaitingJobs(t *testing.T) {
	ls, tasks := liveTasks(t, "a", "b", "c")
	x := New(Options{Jobs: 1})
	e := newEnded()
	sums := make(chan Summary)
	go func() { sums <- x.Run(context.Background(), tasks, e.done) }()
	<-ls[0].started
	if c := x.Counts(); c.Running != 1 || c.Limit != 1 || ls[1].hasStarted() {
		t.Fatalf("counts %+v, b started %v", c, ls[1].hasStarted())
	}
	if err := x.SetLimit(3); err != nil {
		t.Fatal(err)
	}
	<-ls[1].started
	<-ls[2].started // all three at once, a still held
	if c := x.Counts(); c.Running != 3 || c.Limit != 3 {
		t.Errorf("counts %+v", c)
	}
	for _, l := range ls {
		l.release()
	}
	if sum := <-sums; sum.Done != 3 || sum.Failed != 0 {
		t.Errorf("summary %+v", sum)
	}
}

func TestSetLimitDownKillsNothingAndHoldsNewJobs(t *testing.T) {
	ls, tasks := liveTasks(t, "a", "b", "c", "d")
	a, b, c, d := ls[0], ls[1], ls[2], ls[3]
	x := New(Options{Jobs: 3})
	e := newEnded()
	sums := make(chan Summary)
	go func() { sums <- x.Run(context.Background(), tasks, e.done) }()
	<-a.started
	<-b.started
	<-c.started
	x.SetLimit(1)
	if n := x.Counts().Running; n != 3 {
		t.Fatalf("%d running after lowering the limit, want the 3 still", n)
	}
	a.release()
	b.release()
	<-e.c
	<-e.c
	// c still runs: d must wait for it.
	if cnt := x.Counts(); cnt.Running != 1 || d.hasStarted() {
		t.Fatalf("counts %+v, d started %v", cnt, d.hasStarted())
	}
	c.release()
	<-d.started
	c.mu.Lock()
	if !c.released {
		t.Error("d started before c ended")
	}
	c.mu.Unlock()
	d.release()
	if sum := <-sums; sum.Done != 4 || sum.Failed != 0 {
		t.Errorf("summary %+v", sum)
	}
}

// A raise above a limit lowered for want of a resource starts the job that
// waits for one to end.
func TestSetLimitAboveLoweredLimit(t *testing.T) {
	a := newLive(t, "a")
	tries := 0
	bStarted := make(chan struct{})
	b := &liveTask{held: newHeld(t, "b"), started: bStarted}
	spec := b.spec
	b.spec = func(slot int) (channel.Spec, error) {
		tries++
		if tries == 1 {
			return channel.Spec{}, outOfFiles
		}
		return spec(slot)
	}
	var x *Exchange
	lowered := make(chan int, 1)
	x = New(Options{Jobs: 4, Lowered: func(n int, err error) { lowered <- n }})
	e := newEnded()
	sums := make(chan Summary)
	go func() { sums <- x.Run(context.Background(), feed(a, b), e.done) }()
	if n := <-lowered; n != 1 {
		t.Fatalf("lowered to %d", n)
	}
	if c := x.Counts(); c.Limit != 1 || c.Running != 1 {
		t.Fatalf("counts %+v", c)
	}
	x.SetLimit(2)
	<-bStarted // while a still runs
	if c := x.Counts(); c.Running != 2 || c.Limit != 2 {
		t.Errorf("counts %+v", c)
	}
	a.release()
	b.release()
	if sum := <-sums; sum.Done != 2 || sum.Lowered != 0 {
		t.Errorf("summary %+v, want 2 done, and no lowered limit left", sum)
	}
}

func TestPauseHoldsNewJobsAndContinueStartsThem(t *testing.T) {
	ls, tasks := liveTasks(t, "a", "b", "c")
	a, b, c := ls[0], ls[1], ls[2]
	x := New(Options{Jobs: 2})
	e := newEnded()
	sums := make(chan Summary)
	go func() { sums <- x.Run(context.Background(), tasks, e.done) }()
	<-a.started
	<-b.started
	x.Pause()
	if cnt := x.Counts(); !cnt.Paused || cnt.Running != 2 {
		t.Fatalf("counts %+v", cnt)
	}
	a.release()
	<-e.c
	// a's slot is back at the gate; c does not start.
	waitUntil(t, "a slot waits at the gate", func() bool {
		x.mu.Lock()
		defer x.mu.Unlock()
		return x.waiting > 0
	})
	if cnt := x.Counts(); cnt.Running != 1 || c.hasStarted() {
		t.Fatalf("paused: counts %+v, c started %v", cnt, c.hasStarted())
	}
	x.Continue()
	<-c.started
	b.release()
	c.release()
	if sum := <-sums; sum.Done != 3 || sum.Failed != 0 {
		t.Errorf("summary %+v", sum)
	}
}

func TestPauseBeforeRunThenStopDrains(t *testing.T) {
	ls, tasks := liveTasks(t, "a", "b")
	x := New(Options{Jobs: 2})
	x.Pause()
	e := newEnded()
	sums := make(chan Summary)
	go func() { sums <- x.Run(context.Background(), tasks, e.done) }()
	waitUntil(t, "the first slot waits at the gate", func() bool {
		x.mu.Lock()
		defer x.mu.Unlock()
		return x.waiting > 0
	})
	x.Stop(false)
	sum := <-sums
	if sum.Done != 0 || sum.Stopped || ls[0].hasStarted() || ls[1].hasStarted() {
		t.Errorf("summary %+v", sum)
	}
}

func TestStopNowStopsRunningJobs(t *testing.T) {
	ls, tasks := liveTasks(t, "a", "b", "c")
	x := New(Options{Jobs: 2, KillAfter: time.Minute})
	e := newEnded()
	sums := make(chan Summary)
	go func() { sums <- x.Run(context.Background(), tasks, e.done) }()
	<-ls[0].started
	<-ls[1].started
	x.Stop(true)
	sum := <-sums
	if !sum.Stopped || sum.Signal != 0 || sum.Done != 2 || sum.Failed != 2 {
		t.Errorf("summary %+v", sum)
	}
	for _, n := range []string{"a", "b"} {
		if r := e.res[n]; r.Signal != syscall.SIGTERM {
			t.Errorf("%s: %+v, want killed by SIGTERM", n, r)
		}
	}
	if r, ok := e.res["c"]; ls[2].hasStarted() || ok && r.Err != ErrNotStarted {
		t.Errorf("c: %+v", r)
	}
}

func TestStopDrainLetsRunningJobsEnd(t *testing.T) {
	ls, tasks := liveTasks(t, "a", "b")
	x := New(Options{Jobs: 1})
	e := newEnded()
	sums := make(chan Summary)
	go func() { sums <- x.Run(context.Background(), tasks, e.done) }()
	<-ls[0].started
	x.Stop(false)
	if c := x.Counts(); !c.Stopping || c.Running != 1 {
		t.Errorf("counts %+v", c)
	}
	ls[0].release()
	sum := <-sums
	if sum.Stopped || sum.Done != 1 || sum.Failed != 0 || ls[1].hasStarted() {
		t.Errorf("summary %+v", sum)
	}
	if r := e.res["a"]; r.Exit != 0 || r.Signal != 0 {
		t.Errorf("a: %+v", r)
	}
}

func TestCountsAndSetLimitBeforeRun(t *testing.T) {
	x := New(Options{Jobs: 0})
	if c := x.Counts(); c.Limit != MaxUnlimited || c.Running != 0 {
		t.Errorf("counts %+v", c)
	}
	x.SetLimit(1)
	if c := x.Counts(); c.Limit != 1 {
		t.Errorf("counts %+v", c)
	}
	ls, tasks := liveTasks(t, "a", "b")
	sums := make(chan Summary)
	go func() { sums <- x.Run(context.Background(), tasks, newEnded().done) }()
	<-ls[0].started
	if c := x.Counts(); c.Running != 1 || c.Limit != 1 || ls[1].hasStarted() {
		t.Errorf("counts %+v", c)
	}
	ls[0].release()
	<-ls[1].started
	ls[1].release()
	if sum := <-sums; sum.Done != 2 {
		t.Errorf("summary %+v", sum)
	}
	x.SetLimit(5) // after the end: harmless
	x.Pause()
	x.Continue()
	x.Stop(true)
}

func TestSetLimitWithHostsIsFixed(t *testing.T) {
	x := New(Options{Hosts: []int{2, 1}})
	if err := x.SetLimit(1); !errors.Is(err, ErrFixedSlots) {
		t.Errorf("SetLimit: %v", err)
	}
	if c := x.Counts(); c.Limit != 3 {
		t.Errorf("counts %+v", c)
	}
}

// Resizes and pauses from another goroutine while many short jobs run:
// every task runs once, none is lost, and the run ends.
func TestSetLimitAndPauseUnderLoad(t *testing.T) {
	var tasks []Task
	for i := 0; i < 60; i++ {
		tasks = append(tasks, &shellTask{script: "exit 0"})
	}
	x := New(Options{Jobs: 4})
	done := make(chan struct{})
	steered := make(chan struct{})
	go func() {
		defer close(steered)
		for i := 0; ; i++ {
			select {
			case <-done:
				return
			default:
			}
			x.SetLimit(1 + i%5)
			if i%7 == 0 {
				x.Pause()
				x.Continue()
			}
		}
	}()
	sum := x.Run(context.Background(), feed(tasks...), func(Task, int, channel.Result) {})
	close(done)
	<-steered
	if sum.Done != 60 || sum.Failed != 0 {
		t.Errorf("summary %+v", sum)
	}
}
