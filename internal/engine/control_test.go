package engine

import (
	"bufio"
	"context"
	"errors"
	"os"
	"path/filepath"
	"sort"
	"syscall"
	"testing"
	"time"

	"github.com/parmap/parmap/internal/joblog"
	"github.com/parmap/parmap/internal/records"
	"github.com/parmap/parmap/reuse"
)

// heldRun is a run whose jobs say when they have started (a line "start
// RECORD" on a FIFO the test reads) and then wait until the test releases
// them (a line on their own FIFO, go-RECORD).
type heldRun struct {
	t      *testing.T
	dir    string
	ctl    *Control
	events chan string
	sums   chan Summary
}

// heldConfig is a run of held jobs over recs; more records may be given
// later (a Feed) among names.
func heldConfig(t *testing.T, names ...string) (*Config, string) {
	t.Helper()
	dir := t.TempDir()
	for _, n := range names {
		if err := syscall.Mkfifo(filepath.Join(dir, "go-"+n), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	if err := syscall.Mkfifo(filepath.Join(dir, "events"), 0o600); err != nil {
		t.Fatal(err)
	}
	script := filepath.Join(dir, "job.sh")
	body := "echo \"start $1\" > '" + dir + "/events'; read x < '" + dir + "'/go-\"$1\"; exit 0\n"
	if err := os.WriteFile(script, []byte(body), 0o700); err != nil {
		t.Fatal(err)
	}
	cfg := config(t, []string{"sh", script, "{}"}, names...)
	cfg.KillAfter = time.Minute
	return cfg, dir
}

// startHeld starts cfg with ctl; the job's events are read from dir.
func startHeld(t *testing.T, cfg *Config, dir string, ctl *Control) *heldRun {
	t.Helper()
	// Opened for reading and writing, the FIFO neither blocks here nor
	// ends between jobs.
	ev, err := os.OpenFile(filepath.Join(dir, "events"), os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	h := &heldRun{t: t, dir: dir, ctl: ctl, events: make(chan string, 100), sums: make(chan Summary, 1)}
	go func() {
		sc := bufio.NewScanner(ev)
		for sc.Scan() {
			h.events <- sc.Text()[len("start "):]
		}
	}()
	out, _ := os.Create(filepath.Join(dir, "stdout"))
	go func() {
		h.sums <- Run(context.Background(), cfg, Streams{Stdout: out, Stderr: out, Control: ctl})
		out.Close()
		ev.Close()
	}()
	return h
}

// started waits for n jobs to start and returns their records, sorted.
func (h *heldRun) started(n int) []string {
	h.t.Helper()
	var got []string
	for len(got) < n {
		select {
		case s := <-h.events:
			got = append(got, s)
		case <-time.After(time.Minute):
			h.t.Fatalf("timed out waiting for %d jobs to start; got %q", n, got)
		}
	}
	sort.Strings(got)
	return got
}

// none checks that no job start is pending.
func (h *heldRun) none() {
	h.t.Helper()
	select {
	case s := <-h.events:
		h.t.Fatalf("%s started", s)
	default:
	}
}

// release lets the job of rec end.
func (h *heldRun) release(recs ...string) {
	for _, rec := range recs {
		f, err := os.OpenFile(filepath.Join(h.dir, "go-"+rec), os.O_WRONLY, 0)
		if err != nil {
			h.t.Fatal(err)
		}
		f.WriteString("\n")
		f.Close()
	}
}

// waitStatus waits for cond on the run's Status, which some event of the
// run is bound to make true.
func (h *heldRun) waitStatus(what string, cond func(Status) bool) Status {
	h.t.Helper()
	deadline := time.Now().Add(time.Minute)
	for {
		s := h.ctl.Status()
		if cond(s) {
			return s
		}
		if time.Now().After(deadline) {
			h.t.Fatalf("timed out waiting until %s: %+v", what, s)
		}
		time.Sleep(time.Millisecond)
	}
}

func same(got []string, want ...string) bool {
	if len(got) != len(want) {
		return false
	}
	for i := range got {
		if got[i] != want[i] {
			return false
		}
	}
	return true
}

func TestControlSetJobsPauseContinue(t *testing.T) {
	cfg, dir := heldConfig(t, "a", "b", "c", "d")
	cfg.Jobs = 1
	h := startHeld(t, cfg, dir, NewControl())
	if got := h.started(1); !same(got, "a") {
		t.Fatalf("started %q", got)
	}
	if s := h.ctl.Status(); s.State != Running || s.Running != 1 || s.Jobs != 1 {
		t.Errorf("status %+v", s)
	}
	if err := h.ctl.SetJobs(3); err != nil {
		t.Fatal(err)
	}
	if got := h.started(2); !same(got, "b", "c") {
		t.Fatalf("started %q", got)
	}
	if s := h.ctl.Status(); s.Running != 3 || s.Jobs != 3 {
		t.Errorf("status %+v", s)
	}
	h.ctl.Pause()
	if s := h.ctl.Status(); s.State != Paused {
		t.Errorf("status %+v", s)
	}
	h.release("a")
	h.waitStatus("a is done", func(s Status) bool { return s.Done == 1 })
	if s := h.ctl.Status(); s.Running != 2 || s.State != Paused {
		t.Errorf("status %+v", s)
	}
	h.none()
	h.ctl.Continue()
	if got := h.started(1); !same(got, "d") {
		t.Fatalf("started %q", got)
	}
	h.ctl.SetJobs(1) // lowered below the 3 running: none is stopped
	h.release("b", "c", "d")
	sum := <-h.sums
	if sum.Done != 4 || sum.Failed != 0 || sum.Stopped || sum.Signal != 0 {
		t.Errorf("summary %+v", sum)
	}
	s := h.ctl.Status()
	if s.State != Done || s.Done != 4 || s.Total != 4 || !s.InputEnded || s.Running != 0 || s.Jobs != 1 {
		t.Errorf("status after the run %+v", s)
	}
	if s.State.String() != "done" {
		t.Errorf("state %q", s.State)
	}
}

func TestControlBeforeRun(t *testing.T) {
	cfg, dir := heldConfig(t, "a", "b")
	cfg.Jobs = 4
	ctl := NewControl()
	ctl.SetJobs(1)
	ctl.Pause()
	if s := ctl.Status(); s.State != Paused || s.Jobs != 1 {
		t.Errorf("status before the run %+v", s)
	}
	h := startHeld(t, cfg, dir, ctl)
	h.waitStatus("the run has read its input", func(s Status) bool { return s.Total >= 1 })
	h.none()
	ctl.Continue()
	if got := h.started(1); !same(got, "a") {
		t.Fatalf("started %q", got)
	}
	if s := ctl.Status(); s.Running != 1 || s.Jobs != 1 {
		t.Errorf("status %+v", s)
	}
	h.release("a")
	if got := h.started(1); !same(got, "b") {
		t.Fatalf("started %q", got)
	}
	h.release("b")
	if sum := <-h.sums; sum.Done != 2 || sum.Failed != 0 {
		t.Errorf("summary %+v", sum)
	}
}

func TestControlStopNow(t *testing.T) {
	cfg, dir := heldConfig(t, "a", "b", "c")
	cfg.Jobs = 2
	h := startHeld(t, cfg, dir, NewControl())
	h.started(2)
	h.ctl.Stop(true)
	if s := h.ctl.Status(); s.State != Draining {
		t.Errorf("status %+v", s)
	}
	sum := <-h.sums
	if !sum.Stopped || sum.Signal != 0 || sum.Done != 2 || sum.Failed != 2 {
		t.Errorf("summary %+v", sum)
	}
	h.none()
}

func TestControlStopDrains(t *testing.T) {
	cfg, dir := heldConfig(t, "a", "b")
	cfg.Jobs = 1
	h := startHeld(t, cfg, dir, NewControl())
	h.started(1)
	h.ctl.Stop(false)
	if s := h.ctl.Status(); s.State != Draining || s.Running != 1 {
		t.Errorf("status %+v", s)
	}
	h.release("a")
	sum := <-h.sums
	if sum.Stopped || sum.Done != 1 || sum.Failed != 0 {
		t.Errorf("summary %+v", sum)
	}
	h.none()
}

// Records added to a Feed run as they come; the run ends when the feed is
// closed, and an Add after the end fails.
func TestControlAddRecords(t *testing.T) {
	cfg, dir := heldConfig(t, "a", "b", "c")
	f := records.NewFeed()
	cfg.Sources = []records.Source{records.List([]string{"a"}).Then(f)}
	cfg.Jobs = 3
	h := startHeld(t, cfg, dir, NewControl())
	h.started(1)
	if err := f.Add("b", "c"); err != nil {
		t.Fatal(err)
	}
	if got := h.started(2); !same(got, "b", "c") {
		t.Fatalf("started %q", got)
	}
	if s := h.ctl.Status(); s.Total != 3 || s.InputEnded || s.Running != 3 {
		t.Errorf("status %+v", s)
	}
	h.release("a", "b", "c")
	h.waitStatus("three done", func(s Status) bool { return s.Done == 3 })
	f.Close()
	if sum := <-h.sums; sum.Done != 3 || sum.Failed != 0 {
		t.Errorf("summary %+v", sum)
	}
	if s := h.ctl.Status(); !s.InputEnded || s.State != Done {
		t.Errorf("status %+v", s)
	}
}

// A run that ends (here: drained) closes its feeds: an Add fails.
func TestControlRunEndClosesFeeds(t *testing.T) {
	cfg := config(t, []string{"true"})
	f := records.NewFeed()
	cfg.Sources = []records.Source{f.Source()}
	ctl := NewControl()
	ctl.Stop(false)
	res := Run(context.Background(), cfg, Streams{Stdout: os.Stdout, Stderr: os.Stderr, Control: ctl})
	if res.Done != 0 || res.Err != nil {
		t.Errorf("summary %+v", res)
	}
	if err := f.Add("x"); !errors.Is(err, records.ErrFeedClosed) {
		t.Errorf("Add after the run: %v", err)
	}
}

// Added records go through the job log and --resume as any others.
func TestControlFeedResume(t *testing.T) {
	log := filepath.Join(t.TempDir(), "log")
	run := func(values ...string) string {
		cfg := config(t, []string{"echo", "{}"})
		cfg.Joblog, cfg.Resume, cfg.KeepOrder = log, true, true
		f := records.NewFeed()
		cfg.Sources = []records.Source{f.Source()}
		f.Add(values...)
		f.Close()
		return runConfig(t, cfg).stdout
	}
	if out := run("a", "b"); out != "a\nb\n" {
		t.Errorf("first run: %q", out)
	}
	if out := run("a", "b", "c"); out != "c\n" {
		t.Errorf("resumed: %q", out)
	}
}

func TestControlPipeFeedNotSupported(t *testing.T) {
	cfg := pipeConfig(t, "x\n", "cat")
	cfg.Sources = []records.Source{records.NewFeed().Source()}
	res := runConfig(t, cfg)
	if !errors.Is(res.sum.Err, ErrNotSupported) {
		t.Errorf("summary %+v", res.sum)
	}
}

// A Reuse run answers Status and Stop; the rest is ErrNotSupported.
func TestControlReuse(t *testing.T) {
	cfg := config(t, []string{"cat"})
	cfg.Reuse = &Reuse{Protocol: reuse.Line, Window: 1, Line: "cat"}
	cfg.Jobs = 1
	f := records.NewFeed()
	cfg.Sources = []records.Source{f.Source()}
	ctl := NewControl()
	dir := t.TempDir()
	out, _ := os.Create(filepath.Join(dir, "out"))
	defer out.Close()
	sums := make(chan Summary, 1)
	go func() { sums <- Run(context.Background(), cfg, Streams{Stdout: out, Stderr: out, Control: ctl}) }()
	f.Add("a", "b")
	deadline := time.Now().Add(time.Minute)
	for ctl.Status().Done < 2 && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	for _, err := range []error{ctl.SetJobs(2), ctl.Pause(), ctl.Continue()} {
		var u *UnsupportedError
		if !errors.As(err, &u) || u.Run != "reuse" || !errors.Is(err, ErrNotSupported) {
			t.Errorf("got %v, want not supported by a reuse run", err)
		}
	}
	if s := ctl.Status(); s.Done != 2 || s.Total != 2 || s.Jobs != 1 || s.State != Running {
		t.Errorf("status %+v", s)
	}
	ctl.Stop(false)
	sum := <-sums
	if sum.Done != 2 || sum.Failed != 0 || sum.Signal != 0 || sum.Err != nil {
		t.Errorf("summary %+v", sum)
	}
	b, _ := os.ReadFile(out.Name())
	if string(b) != "a\nb\n" {
		t.Errorf("output %q", b)
	}
}

// Stop ends a wait for the job log's lock: nothing runs.
func TestControlStopEndsJoblogWait(t *testing.T) {
	log := filepath.Join(t.TempDir(), "log")
	held, err := joblog.Open(log, false)
	if err != nil {
		t.Fatal(err)
	}
	defer held.Close()
	cfg := config(t, []string{"true"}, "a")
	cfg.Joblog = log
	ctl := NewControl()
	waiting := make(chan struct{})
	sums := make(chan Summary, 1)
	go func() {
		sums <- Run(context.Background(), cfg, Streams{Stdout: os.Stdout, Stderr: os.Stderr, Control: ctl,
			Word: func(n Notice) string {
				if n.Kind == JoblogWaiting {
					close(waiting)
				}
				return ""
			}})
	}()
	<-waiting
	ctl.Stop(true)
	if sum := <-sums; !sum.Stopped || sum.Done != 0 || sum.Signal != 0 {
		t.Errorf("summary %+v", sum)
	}
}

// A --round-robin run keeps its job count: its jobs are dealt the blocks.
func TestControlRoundRobinKeepsItsJobs(t *testing.T) {
	cfg := pipeConfig(t, "a\nb\nc\n", "sh", "-c", "cat > /dev/null")
	cfg.Pipe.RoundRobin, cfg.Jobs = true, 2
	ctl := NewControl()
	ctl.SetJobs(1) // dropped as the run starts
	sum := Run(context.Background(), cfg, Streams{Stdout: os.Stdout, Stderr: os.Stderr, Control: ctl})
	if sum.Done != 2 || sum.Failed != 0 {
		t.Errorf("summary %+v", sum)
	}
	err := ctl.SetJobs(3)
	var u *UnsupportedError
	if !errors.As(err, &u) || u.Run != "round-robin" {
		t.Errorf("SetJobs: %v", err)
	}
	if s := ctl.Status(); s.Jobs != 2 || s.Done != 2 || s.State != Done {
		t.Errorf("status %+v", s)
	}
}
