// The stress test's harness: running one case, checking it, and finding what
// a run left behind (goroutines, worker processes).

package reuse

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"runtime"
	"runtime/pprof"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/parmap/parmap/channel"
)

// runStress runs one case, fails the test if Run does not return in time,
// and checks that nothing of the run is left behind.
func runStress(t *testing.T, exe string, c stressCase) *stressResult {
	before := runtime.NumGoroutine()
	dir := t.TempDir()
	mode := "line"
	if c.opt.Protocol == JSON {
		mode = "json"
	}
	env := append(os.Environ(), workerEnv+"="+mode, pidsEnv+"="+dir, "GORACE=atexit_sleep_ms=0")
	env = append(env, c.env...)
	if c.opt.Command == nil {
		c.opt.Command = func(int) (channel.Spec, error) {
			return channel.Spec{Path: exe, Argv: []string{exe}, Env: env}, nil
		}
	}
	r := &stressResult{answers: make(map[int64]Answer)}
	var mu sync.Mutex
	c.opt.Notice = func(n Notice) {
		mu.Lock()
		defer mu.Unlock()
		r.notices = append(r.notices, n)
	}

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	if c.cancelAt < 0 {
		cancel()
	}
	feedCtx, stopFeed := context.WithCancel(context.Background())
	drained := make(chan struct{})
	in := NewInput(16, 1<<20)
	var feeder sync.WaitGroup
	feeder.Add(1)
	go func() {
		defer feeder.Done()
		defer in.Close()
		if c.feed == feedNone {
			<-feedCtx.Done()
			return
		}
		for i, s := range c.records {
			if !in.Put(feedCtx, &Request{Seq: int64(i + 1), Input: s}) {
				return
			}
		}
		if c.feed == feedDrained {
			select {
			case <-drained:
			case <-feedCtx.Done():
			}
		}
	}()

	deliver := func(a Answer) {
		mu.Lock()
		defer mu.Unlock()
		if _, dup := r.answers[a.Req.Seq]; dup {
			t.Errorf("record %d delivered twice", a.Req.Seq)
		}
		a.Output = bytes.Clone(a.Output)
		r.answers[a.Req.Seq] = a
		n := len(r.answers)
		if n == c.cancelAt {
			cancel()
		}
		if n == len(c.records) && c.feed == feedDrained {
			close(drained)
		}
	}
	ran := make(chan Summary, 1)
	go func() { ran <- Run(ctx, c.opt, in, deliver) }()
	select {
	case r.sum = <-ran:
	case <-time.After(30 * time.Second):
		t.Fatalf("Run did not return within 30s:\n%s", goroutines())
	}
	stopFeed()
	feeder.Wait()

	// Every goroutine of the run ends: Run waits for its own; the one
	// that called it, the exchange's helper and a timer's callback that
	// fired end right after it. Wait until there are no more goroutines
	// than before and none is running the pool's code.
	for deadline := time.Now().Add(10 * time.Second); runtime.NumGoroutine() > before || len(poolGoroutines()) > 0; runtime.Gosched() {
		if time.Now().After(deadline) {
			t.Fatalf("%d goroutines before the run, %d after:\n%s", before, runtime.NumGoroutine(), goroutines())
		}
	}

	// Every worker process has been waited for.
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue // a once. file
		}
		r.pids = append(r.pids, pid)
		if ourChild(pid) {
			t.Errorf("worker process %d is still there", pid)
		}
	}
	return r
}

// checkStress checks what a case delivered.
func checkStress(t *testing.T, c stressCase, r *stressResult) {
	var failed int64
	for seq, a := range r.answers {
		if seq < 1 || seq > int64(len(c.records)) || a.Req.Input != c.records[seq-1] {
			t.Fatalf("record %d: delivered %+v", seq, a.Req)
		}
		if a.Err != nil {
			failed++
		} else if want := "=" + a.Req.Input; string(a.Output) != want {
			t.Errorf("record %d (%q) answered %q, want %q", seq, a.Req.Input, a.Output, want)
		}
		if mustFail, ok := c.fail[a.Req.Input]; ok && mustFail != (a.Err != nil) {
			t.Errorf("record %d (%q): error %v, want failed %v", seq, a.Req.Input, a.Err, mustFail)
		}
	}
	if c.complete {
		if len(r.answers) != len(c.records) {
			t.Errorf("%d of %d records delivered", len(r.answers), len(c.records))
		}
		if r.sum.Err != nil || r.sum.Canceled || r.sum.Halted || r.sum.Signal != 0 {
			t.Errorf("summary %+v, want a complete run", r.sum)
		}
		if c.opt.Window <= 1 && c.opt.Retries == 0 {
			// Lock-step: nothing else is in flight when a worker dies.
			for _, a := range r.answers {
				if a.Err != nil && !c.fail[a.Req.Input] {
					t.Errorf("record %d (%q) failed: %v", a.Req.Seq, a.Req.Input, a.Err)
				}
			}
		}
	}
	if r.sum.Done != int64(len(r.answers)) || r.sum.Failed != failed {
		t.Errorf("summary %+v for %d records delivered, %d failed", r.sum, len(r.answers), failed)
	}
	if c.check != nil {
		c.check(t, r)
	}
}

// ourChild reports whether process pid is a child of this process, alive
// or not yet waited for: a worker left behind. (A pid reused since by
// another program is not our child.)
func ourChild(pid int) bool {
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	// "pid (comm) state ppid ...", where comm may hold anything.
	i := bytes.LastIndexByte(stat, ')')
	if i < 0 {
		return false
	}
	f := strings.Fields(string(stat[i+1:]))
	return len(f) > 1 && f[1] == strconv.Itoa(os.Getpid())
}

// poolGoroutines returns the stacks of the goroutines running code of the
// pool, its exchange or its processes (not of this test).
func poolGoroutines() []string {
	buf := make([]byte, 1<<20)
	buf = buf[:runtime.Stack(buf, true)]
	var found []string
	for _, g := range strings.Split(string(buf), "\n\n") {
		for _, pkg := range []string{"parmap/reuse.(*", "parmap/exchange.", "parmap/channel."} {
			if strings.Contains(g, "github.com/"+pkg) {
				found = append(found, g)
				break
			}
		}
	}
	return found
}

// goroutines is a dump of every goroutine's stack.
func goroutines() string {
	var b bytes.Buffer
	pprof.Lookup("goroutine").WriteTo(&b, 2)
	return b.String()
}
