package exchange

import (
	"context"
	"os"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/parmap/parmap/channel"
)

// fakeGate admits as many jobs as allow says (each takes one), and sheds
// while shedding.
type fakeGate struct {
	mu       sync.Mutex
	allow    int
	shedding bool
	asked    chan int // each Admit's running count, when it turns a job away
	again    time.Duration
}

func (g *fakeGate) Admit(running int) (bool, time.Duration) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.allow == 0 {
		select {
		case g.asked <- running:
		default:
		}
		return false, g.again
	}
	g.allow--
	return true, 0
}

func (g *fakeGate) Watch() time.Duration { return 5 * time.Millisecond }

func (g *fakeGate) Shed() bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	s := g.shedding
	g.shedding = false // one job per episode
	return s
}

func (g *fakeGate) set(allow int) {
	g.mu.Lock()
	g.allow = allow
	g.mu.Unlock()
}

// A closed gate holds every job back; asked again when its time passes, it
// lets them start once it opens.
func TestGateHoldsJobs(t *testing.T) {
	ls, tasks := liveTasks(t, "a", "b")
	g := &fakeGate{asked: make(chan int, 1), again: 10 * time.Millisecond}
	x := New(Options{Jobs: 2, Gate: g})
	e := newEnded()
	sums := make(chan Summary)
	go func() { sums <- x.Run(context.Background(), tasks, e.done) }()
	if n := <-g.asked; n != 0 {
		t.Fatalf("asked with %d running", n)
	}
	<-g.asked // asked again, after again
	if ls[0].hasStarted() || ls[1].hasStarted() {
		t.Fatal("a job started through a closed gate")
	}
	g.set(2)
	<-ls[0].started
	<-ls[1].started
	for _, l := range ls {
		l.release()
	}
	if sum := <-sums; sum.Done != 2 || sum.Failed != 0 {
		t.Errorf("summary %+v", sum)
	}
}

// A job's end asks the gate again at once, however far its next look is.
func TestGateAskedWhenAJobEnds(t *testing.T) {
	ls, tasks := liveTasks(t, "a", "b")
	g := &fakeGate{allow: 1, asked: make(chan int, 1), again: time.Hour}
	x := New(Options{Jobs: 2, Gate: g})
	e := newEnded()
	sums := make(chan Summary)
	go func() { sums <- x.Run(context.Background(), tasks, e.done) }()
	<-ls[0].started
	if n := <-g.asked; n != 1 {
		t.Fatalf("asked with %d running", n)
	}
	g.set(1)
	ls[0].release()
	<-ls[1].started // not an hour later
	ls[1].release()
	if sum := <-sums; sum.Done != 2 {
		t.Errorf("summary %+v", sum)
	}
}

// A closed gate does not hold up a stop: the jobs it held never run.
func TestGateStop(t *testing.T) {
	ls, tasks := liveTasks(t, "a")
	g := &fakeGate{asked: make(chan int, 1), again: time.Hour}
	sigs := make(chan os.Signal, 1)
	x := New(Options{Jobs: 1, Gate: g, Signals: sigs})
	e := newEnded()
	sums := make(chan Summary)
	go func() { sums <- x.Run(context.Background(), tasks, e.done) }()
	<-g.asked
	sigs <- syscall.SIGHUP
	sum := <-sums
	if sum.Done != 0 || ls[0].hasStarted() || e.res["a"].Err != ErrNotStarted {
		t.Errorf("summary %+v, result %+v", sum, e.res["a"])
	}
}

// Shed stops the youngest running job: it fails, Options.Shed is told, and
// under Retries it runs again.
func TestGateShedsYoungest(t *testing.T) {
	ls, tasks := liveTasks(t, "old", "young")
	g := &fakeGate{allow: 3, asked: make(chan int, 1)}
	var shedMu sync.Mutex
	var shed []string
	x := New(Options{Jobs: 2, Gate: g, Retries: 1, Shed: func(t Task, _ int, res channel.Result) {
		shedMu.Lock()
		shed = append(shed, t.(*liveTask).name)
		shedMu.Unlock()
	}})
	e := newEnded()
	sums := make(chan Summary)
	go func() { sums <- x.Run(context.Background(), tasks, e.done) }()
	<-ls[0].started
	<-ls[1].started
	ls[1].started = make(chan struct{}) // for its rerun
	g.mu.Lock()
	g.shedding = true
	g.mu.Unlock()
	waitUntil(t, "the young job is shed", func() bool {
		shedMu.Lock()
		defer shedMu.Unlock()
		return len(shed) == 1
	})
	if shed[0] != "young" {
		t.Fatalf("shed %v, want the young job", shed)
	}
	e.mu.Lock()
	if len(e.names) != 0 {
		t.Errorf("ended %v before any was released", e.names)
	}
	e.mu.Unlock()
	ls[0].release()
	ls[1].release() // its rerun reads the closed pipe and ends
	if sum := <-sums; sum.Done != 2 || sum.Failed != 0 {
		t.Errorf("summary %+v, want both done (the young one run again)", sum)
	}
}

// SIGUSR1 adds a slot, SIGUSR2 takes one away (never below 1); running jobs
// go on.
func TestSignalsResizeSlots(t *testing.T) {
	ls, tasks := liveTasks(t, "a", "b", "c", "d")
	sigs := make(chan os.Signal, 4)
	x := New(Options{Jobs: 1, Signals: sigs})
	e := newEnded()
	sums := make(chan Summary)
	go func() { sums <- x.Run(context.Background(), tasks, e.done) }()
	<-ls[0].started
	sigs <- syscall.SIGUSR1
	<-ls[1].started
	if c := x.Counts(); c.Limit != 2 || c.Running != 2 {
		t.Fatalf("after SIGUSR1: counts %+v", c)
	}
	sigs <- syscall.SIGUSR2
	sigs <- syscall.SIGUSR2
	waitUntil(t, "the limit is 1", func() bool { return x.Counts().Limit == 1 })
	if c := x.Counts(); c.Running != 2 {
		t.Fatalf("after SIGUSR2: counts %+v, want both jobs still running", c)
	}
	ls[0].release()
	<-e.c
	if ls[2].hasStarted() {
		t.Fatal("c started with b running at a limit of 1")
	}
	ls[1].release()
	<-ls[2].started
	if c := x.Counts(); c.Running != 1 {
		t.Errorf("counts %+v", c)
	}
	ls[2].release()
	ls[3].release()
	if sum := <-sums; sum.Done != 4 {
		t.Errorf("summary %+v", sum)
	}
}
