package exchange

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/parmap/parmap/channel"
)

// The test binary doubles as the jobs: EXCHANGE_TEST_CHILD picks what it does.
func TestMain(m *testing.M) {
	switch os.Getenv("EXCHANGE_TEST_CHILD") {
	case "":
		os.Exit(m.Run())
	case "wait":
		// Report readiness on stdout, then wait for a signal and say which.
		c := make(chan os.Signal, 1)
		signal.Notify(c, syscall.SIGTERM, syscall.SIGINT)
		os.WriteFile(os.Args[1], nil, 0o644)
		s := <-c
		os.Exit(100 + int(s.(syscall.Signal)))
	case "ignore":
		signal.Ignore(syscall.SIGTERM, syscall.SIGINT)
		os.WriteFile(os.Args[1], nil, 0o644)
		time.Sleep(time.Minute)
	}
	os.Exit(0)
}

func env(mode string) []string {
	var e []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "EXCHANGE_TEST_CHILD=") {
			e = append(e, kv)
		}
	}
	return append(e, "EXCHANGE_TEST_CHILD="+mode)
}

// task runs the test binary in the given mode.
type task struct {
	mode string
	arg  string
	spec func(slot int) // called when the task gets its slot
}

func (t *task) Spec(slot int) (channel.Spec, error) {
	if t.spec != nil {
		t.spec(slot)
	}
	if t.mode == "exit" {
		// A shell starts far faster than the race-instrumented test binary.
		return channel.Spec{Argv: []string{"sh", "-c", "exit " + t.arg}}, nil
	}
	exe, _ := os.Executable()
	return channel.Spec{Path: exe, Argv: []string{exe, t.arg}, Env: env(t.mode)}, nil
}

func feed(tasks ...Task) <-chan Task {
	c := make(chan Task, len(tasks))
	for _, t := range tasks {
		c <- t
	}
	close(c)
	return c
}

func TestSlotsLimitAndUniqueness(t *testing.T) {
	var mu sync.Mutex
	inUse := map[int]bool{}
	peak := 0
	var tasks []Task
	for i := 0; i < 40; i++ {
		tasks = append(tasks, &task{mode: "exit", arg: "0", spec: func(slot int) {
			mu.Lock()
			defer mu.Unlock()
			if inUse[slot] {
				t.Errorf("slot %d handed out twice", slot)
			}
			if slot < 1 || slot > 3 {
				t.Errorf("slot %d outside 1..3", slot)
			}
			inUse[slot] = true
			peak = max(peak, len(inUse))
		}})
	}
	x := New(Options{Jobs: 3})
	sum := x.Run(context.Background(), feed(tasks...), func(_ Task, slot int, _ channel.Result) {
		mu.Lock()
		delete(inUse, slot)
		mu.Unlock()
	})
	if sum.Done != 40 || sum.Failed != 0 {
		t.Fatalf("summary %+v", sum)
	}
	if peak > 3 {
		t.Fatalf("%d jobs at once with -j 3", peak)
	}
}

func TestFailuresCountedWithSuccessCodes(t *testing.T) {
	tasks := []Task{&task{mode: "exit", arg: "0"}, &task{mode: "exit", arg: "1"}, &task{mode: "exit", arg: "2"}}
	x := New(Options{Jobs: 2, Success: map[int]bool{0: true, 1: true}})
	sum := x.Run(context.Background(), feed(tasks...), func(Task, int, channel.Result) {})
	if sum.Done != 3 || sum.Failed != 1 {
		t.Fatalf("summary %+v", sum)
	}
}

func waitFiles(t *testing.T, files ...string) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for _, f := range files {
		for {
			if _, err := os.Stat(f); err == nil {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s never appeared", f)
			}
			time.Sleep(5 * time.Millisecond)
		}
	}
}

func TestTermIsPassedToJobsAndStopsTheRun(t *testing.T) {
	dir := t.TempDir()
	sigs := make(chan os.Signal, 1)
	tasks := make(chan Task, 3)
	for i := 0; i < 3; i++ {
		tasks <- &task{mode: "wait", arg: fmt.Sprintf("%s/%d", dir, i)}
	}
	// The channel stays open: only the signal may end the run.
	go func() {
		waitFiles(t, dir+"/0", dir+"/1")
		sigs <- syscall.SIGTERM
	}()
	var mu sync.Mutex
	var exits []int
	x := New(Options{Jobs: 2, Signals: sigs})
	sum := x.Run(context.Background(), tasks, func(_ Task, _ int, r channel.Result) {
		if r.Err == ErrNotStarted {
			return // the third, when a freed slot took it: it never ran
		}
		mu.Lock()
		exits = append(exits, r.Exit)
		mu.Unlock()
	})
	if sum.Signal != syscall.SIGTERM || sum.Done != 2 {
		t.Fatalf("summary %+v", sum)
	}
	for _, e := range exits {
		if e != 100+int(syscall.SIGTERM) {
			t.Fatalf("job exits %v: not all saw SIGTERM", exits)
		}
	}
}

// signalOne runs one task of mode under opt (Jobs 1), sends sig once the
// task is ready, and returns the summary and the task's result.
func signalOne(t *testing.T, mode string, sig syscall.Signal, opt Options) (Summary, channel.Result) {
	dir := t.TempDir()
	sigs := make(chan os.Signal, 1)
	tasks := make(chan Task, 1)
	tasks <- &task{mode: mode, arg: dir + "/ready"}
	go func() {
		waitFiles(t, dir+"/ready")
		sigs <- sig
	}()
	var got channel.Result
	opt.Jobs, opt.Signals = 1, sigs
	sum := New(opt).Run(context.Background(), tasks, func(_ Task, _ int, r channel.Result) { got = r })
	return sum, got
}

func TestKillAfterEscalates(t *testing.T) {
	sum, got := signalOne(t, "ignore", syscall.SIGINT, Options{KillAfter: 50 * time.Millisecond})
	if sum.Signal != syscall.SIGINT || got.Signal != syscall.SIGKILL {
		t.Fatalf("summary %+v, job %+v", sum, got)
	}
}

func TestSecondSignalKillsAtOnce(t *testing.T) {
	dir := t.TempDir()
	sigs := make(chan os.Signal, 2)
	tasks := make(chan Task, 1)
	tasks <- &task{mode: "ignore", arg: dir + "/ready"}
	go func() {
		waitFiles(t, dir+"/ready")
		sigs <- syscall.SIGTERM
		sigs <- syscall.SIGTERM
	}()
	var got channel.Result
	x := New(Options{Jobs: 1, Signals: sigs, KillAfter: time.Hour})
	x.Run(context.Background(), tasks, func(_ Task, _ int, r channel.Result) { got = r })
	if got.Signal != syscall.SIGKILL {
		t.Fatalf("job %+v", got)
	}
}

func TestHangupDrains(t *testing.T) {
	dir := t.TempDir()
	sigs := make(chan os.Signal, 1)
	// With one slot, the second task waits for it; the hangup comes first,
	// so the second task must never start.
	tasks := feed(&task{mode: "wait", arg: dir + "/ready"}, &task{mode: "exit", arg: "0"})
	x := New(Options{Jobs: 1, Signals: sigs})
	done := make(chan Summary)
	go func() {
		done <- x.Run(context.Background(), tasks, func(Task, int, channel.Result) {})
	}()
	waitFiles(t, dir+"/ready")
	sigs <- syscall.SIGHUP
	// Wait for the exchange to have acted on the signal (it starts no more
	// jobs), then end the running job ourselves: the drain must not have
	// killed it. (An empty channel only says the signal was taken, not yet
	// acted on: the freed slot could still have started the second task.)
	<-x.Quit()
	x.mu.Lock()
	for _, c := range x.running {
		c.Signal(syscall.SIGINT)
	}
	x.mu.Unlock()
	sum := <-done
	if sum.Signal != 0 || sum.Done != 1 {
		t.Fatalf("summary %+v", sum)
	}
}

// TestHangupEndsTheDelay: a task waiting out Delay when SIGHUP comes never
// starts: Done gets it with ErrNotStarted at once (not after the delay),
// and the summary counts only the job that ran, which finished untouched.
// (Either task may start first.)
func TestHangupEndsTheDelay(t *testing.T) {
	dir := t.TempDir()
	sigs := make(chan os.Signal, 1)
	tasks := []Task{&task{mode: "wait", arg: dir + "/0"}, &task{mode: "wait", arg: dir + "/1"}}
	x := New(Options{Jobs: 2, Delay: time.Hour, Signals: sigs})
	var mu sync.Mutex
	got := map[Task]channel.Result{}
	done := make(chan Summary)
	go func() {
		done <- x.Run(context.Background(), feed(tasks...), func(t Task, _ int, r channel.Result) {
			mu.Lock()
			got[t] = r
			mu.Unlock()
		})
	}()
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(5 * time.Millisecond) {
		if entries, _ := os.ReadDir(dir); len(entries) > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("no task started")
		}
	}
	sigs <- syscall.SIGHUP
	<-x.Quit()
	x.mu.Lock()
	for _, c := range x.running {
		c.Signal(syscall.SIGINT) // the job that runs ends as it would have
	}
	x.mu.Unlock()
	sum := <-done
	if sum.Signal != 0 || sum.Done != 1 || sum.Failed != 1 {
		t.Fatalf("summary %+v, want the job that ran alone done (failed, by its exit)", sum)
	}
	ran, waited := got[tasks[0]], got[tasks[1]]
	if ran.Err != nil {
		ran, waited = waited, ran
	}
	if ran.Exit != 100+int(syscall.SIGINT) || waited.Err != ErrNotStarted || !waited.Start.IsZero() || len(got) != 2 {
		t.Fatalf("results %+v, want one job ended by SIGINT and one not started", got)
	}
}

func TestCancelStopsJobs(t *testing.T) {
	dir := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	tasks := make(chan Task, 1)
	tasks <- &task{mode: "wait", arg: dir + "/ready"}
	go func() {
		waitFiles(t, dir+"/ready")
		cancel()
	}()
	var got channel.Result
	sum := New(Options{Jobs: 1}).Run(ctx, tasks, func(_ Task, _ int, r channel.Result) { got = r })
	if !sum.Canceled || got.Exit != 100+int(syscall.SIGTERM) {
		t.Fatalf("summary %+v, job %+v", sum, got)
	}
}

func TestDryRunStartsNothing(t *testing.T) {
	started := 0
	tasks := []Task{&task{mode: "exit", arg: "1"}, &task{mode: "exit", arg: "1"}}
	sum := New(Options{Jobs: 2, DryRun: true}).Run(context.Background(), feed(tasks...), func(_ Task, _ int, r channel.Result) {
		if !r.Start.IsZero() {
			started++
		}
	})
	if started != 0 || sum.Failed != 0 || sum.Done != 2 {
		t.Fatalf("started %d, summary %+v", started, sum)
	}
}

func TestUnlimitedJobsRunAllAtOnce(t *testing.T) {
	dir := t.TempDir()
	sigs := make(chan os.Signal, 1)
	var tasks []Task
	var files []string
	for i := 0; i < 20; i++ {
		f := fmt.Sprintf("%s/%d", dir, i)
		files = append(files, f)
		tasks = append(tasks, &task{mode: "wait", arg: f})
	}
	go func() {
		waitFiles(t, files...) // all 20 run at the same time
		sigs <- syscall.SIGTERM
	}()
	sum := New(Options{Jobs: 0, Signals: sigs}).Run(context.Background(), feed(tasks...), func(Task, int, channel.Result) {})
	if sum.Done != 20 {
		t.Fatalf("summary %+v", sum)
	}
}

// TestStopSignalReplacesInterrupt: with StopSignal SIGTERM, a SIGINT to
// parmap reaches the jobs as SIGTERM (as srun needs), and the run still
// reports SIGINT.
func TestStopSignalReplacesInterrupt(t *testing.T) {
	sum, got := signalOne(t, "wait", syscall.SIGINT, Options{StopSignal: syscall.SIGTERM})
	if sum.Signal != syscall.SIGINT || got.Exit != 100+int(syscall.SIGTERM) {
		t.Fatalf("summary %+v, job exit %d; want SIGINT and a job that saw SIGTERM", sum, got.Exit)
	}
}
