package exchange

import (
	"context"
	"errors"
	"testing"

	"github.com/parmap/parmap/channel"
)

// StopOn stops a run at the first job that ends as it names, whatever the
// halt policy (GNU xargs: exit 255, a signal, a command that cannot run),
// with that job's exit value.
func TestStopOn(t *testing.T) {
	stop := StopOn{Exit: 255, Signaled: true, Unstarted: true}
	for _, c := range []struct {
		name   string
		script string
		exit   int
	}{
		{"exit 255", "exit 255", 255},
		{"killed", "kill -9 $$", 128 + 9},
	} {
		t.Run(c.name, func(t *testing.T) {
			tasks := []Task{&shellTask{script: "exit 1"}, &shellTask{script: c.script}, &shellTask{script: "exit 0"}}
			var got []HaltEvent
			ran := 0
			x := New(Options{Jobs: 1, Stop: stop, Halted: func(ev HaltEvent) { got = append(got, ev) }})
			sum := x.Run(context.Background(), feed(tasks...), func(_ Task, _ int, r channel.Result) {
				if r.Err != ErrNotStarted {
					ran++
				}
			})
			if !sum.Halted || sum.HaltExit != c.exit || ran != 2 || len(got) != 1 || got[0].Task != tasks[1] {
				t.Fatalf("summary %+v, %d ran, events %+v", sum, ran, got)
			}
		})
	}
	if (StopOn{}).Stops(channel.Result{Exit: 255}) || stop.Stops(channel.Result{Exit: 254}) ||
		!stop.Stops(channel.Result{Exit: 127, Err: errors.New("not found")}) ||
		stop.Stops(channel.Result{Err: ErrNotStarted}) ||
		stop.Stops(channel.Result{Signal: 15, TimedOut: true}) {
		t.Error("Stops: wrong result")
	}
}

// skipTask is a task whose Spec skips it.
type skipTask struct{}

func (skipTask) Spec(int) (channel.Spec, error) { return channel.Spec{}, ErrSkipped }

// A task whose Spec returns ErrSkipped is not run and not counted.
func TestSkipped(t *testing.T) {
	var results []channel.Result
	x := New(Options{Jobs: 1})
	sum := x.Run(context.Background(), feed(skipTask{}, &shellTask{script: "exit 0"}), func(_ Task, _ int, r channel.Result) {
		results = append(results, r)
	})
	if sum.Done != 1 || sum.Failed != 0 || len(results) != 2 || results[0].Err != ErrNotStarted {
		t.Fatalf("summary %+v, results %+v", sum, results)
	}
}
