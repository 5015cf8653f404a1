package exchange

import (
	"context"
	"errors"
	"fmt"
	"os"
	"runtime"
	"sync"
	"syscall"
	"testing"

	"github.com/parmap/parmap/channel"
)

// specTask is a task whose Spec is a function.
type specTask struct {
	name string
	spec func(slot int) (channel.Spec, error)
}

func (t *specTask) Spec(slot int) (channel.Spec, error) { return t.spec(slot) }

// held is a task whose process (sh reading its stdin) runs until release.
type held struct {
	specTask
	r, w *os.File
}

func newHeld(t *testing.T, name string) *held {
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	h := &held{r: r, w: w}
	h.name = name
	h.spec = func(int) (channel.Spec, error) {
		return channel.Spec{Argv: []string{"sh", "-c", "read x; exit 0"}, Stdin: h.r}, nil
	}
	t.Cleanup(func() { r.Close(); w.Close() })
	return h
}

func (h *held) release() { h.w.Close() }

// outOfFiles is what a capture file that cannot be opened says.
var outOfFiles = &os.PathError{Op: "open", Path: "/tmp/parmap-tmp-1", Err: syscall.EMFILE}

// results collects each task's result by name.
type results struct {
	mu  sync.Mutex
	got map[string]channel.Result
}

func (r *results) done(t Task, slot int, res channel.Result) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.got == nil {
		r.got = map[string]channel.Result{}
	}
	switch t := t.(type) {
	case *held:
		r.got[t.name] = res
	case *specTask:
		r.got[t.name] = res
	}
}

// A job that runs out of descriptors while another job of the run runs
// waits for it to end and starts then; the run says once that it runs
// fewer at once, and nothing fails.
func TestOutOfResourcesWaitsForARunningJob(t *testing.T) {
	a := newHeld(t, "a")
	tries := 0
	b := &specTask{name: "b", spec: func(int) (channel.Spec, error) {
		tries++
		if tries == 1 {
			return channel.Spec{}, outOfFiles
		}
		return channel.Spec{Argv: []string{"sh", "-c", "exit 0"}}, nil
	}}
	var lowered []int
	var r results
	// a is taken by the first slot; the second starts once a runs, and
	// takes b, which cannot start until a has ended.
	x := New(Options{Jobs: 4, Lowered: func(running int, err error) {
		if !errors.Is(err, syscall.EMFILE) {
			t.Errorf("Lowered with %v", err)
		}
		lowered = append(lowered, running)
		a.release()
	}})
	sum := x.Run(context.Background(), feed(a, b), r.done)
	if sum.Done != 2 || sum.Failed != 0 || sum.Lowered != 1 {
		t.Errorf("summary %+v, want 2 done, none failed, lowered to 1", sum)
	}
	if len(lowered) != 1 || lowered[0] != 1 {
		t.Errorf("Lowered told %v, want once with 1", lowered)
	}
	if res := r.got["b"]; res.Err != nil || res.Exit != 0 || tries != 2 {
		t.Errorf("b: %+v after %d tries", res, tries)
	}
}

// With no job of the run running, nothing will free what the job lacks:
// it fails with the error, at once, and the run is not lowered.
func TestOutOfResourcesWithNothingRunningFails(t *testing.T) {
	b := &specTask{name: "b", spec: func(int) (channel.Spec, error) { return channel.Spec{}, outOfFiles }}
	var r results
	x := New(Options{Jobs: 2, Lowered: func(int, error) { t.Error("Lowered told") }})
	sum := x.Run(context.Background(), feed(b), r.done)
	if sum.Failed != 1 || sum.Lowered != 0 {
		t.Errorf("summary %+v", sum)
	}
	if res := r.got["b"]; !errors.Is(res.Err, syscall.EMFILE) || res.Exit != channel.ExitNotExecutable {
		t.Errorf("b: %+v", res)
	}
}

// A job waiting for resources when the run drains does not start: it comes
// with ErrNotStarted and is not counted.
func TestOutOfResourcesWaitEndsWithTheRun(t *testing.T) {
	a := newHeld(t, "a")
	b := &specTask{name: "b", spec: func(int) (channel.Spec, error) { return channel.Spec{}, outOfFiles }}
	var r results
	var x *Exchange
	x = New(Options{Jobs: 4, Lowered: func(int, error) {
		x.Drain()
		a.release()
	}})
	sum := x.Run(context.Background(), feed(a, b), r.done)
	if res := r.got["a"]; res.Exit != 0 || res.Err != nil {
		t.Errorf("a: %+v", res)
	}
	if res := r.got["b"]; res.Err != ErrNotStarted {
		t.Errorf("b: %+v, want ErrNotStarted", res)
	}
	if sum.Lowered != 1 || sum.Done != 1 || sum.Failed != 0 {
		t.Errorf("summary %+v", sum)
	}
}

// Job slots cost nothing until a task needs them: a run of one task with
// a billion slots starts two (the task's and one waiting for the next),
// and allocates a few kilobytes, not one goroutine per slot.
func TestHugeJobsCostNothing(t *testing.T) {
	for _, jobs := range []int{100_000, 1_000_000_000} {
		ok := t.Run(fmt.Sprint(jobs), func(t *testing.T) {
			var r results
			one := &specTask{name: "one", spec: func(int) (channel.Spec, error) {
				return channel.Spec{Argv: []string{"sh", "-c", "exit 0"}}, nil
			}}
			var before, after runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&before)
			base, more := runtime.NumGoroutine(), 0
			x := New(Options{Jobs: jobs})
			sum := x.Run(context.Background(), feed(one), func(t Task, slot int, res channel.Result) {
				more = runtime.NumGoroutine() - base
				r.done(t, slot, res)
			})
			runtime.ReadMemStats(&after)
			if sum.Done != 1 || sum.Failed != 0 {
				t.Fatalf("summary %+v", sum)
			}
			if grew := after.TotalAlloc - before.TotalAlloc; grew > 1<<20 {
				t.Errorf("-j %d allocated %d bytes for one task", jobs, grew)
			}
			if more > 20 {
				t.Errorf("-j %d: %d more goroutines while the task ran", jobs, more)
			}
			if x.slots > 2 {
				t.Errorf("-j %d started %d slots for one task", jobs, x.slots)
			}
		})
		if !ok {
			return // a billion would not end
		}
	}
}
