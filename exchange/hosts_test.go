package exchange

import (
	"context"
	"os"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/parmap/parmap/channel"
)

// hostTask exits 255 (as ssh does when it cannot reach its host) on the
// slots of the hosts listed as broken, and 0 elsewhere; it records where
// it ran.
type hostTask struct {
	x      **Exchange
	broken map[int]bool
	mu     *sync.Mutex
	ran    map[int]int // host → successful runs
	host   int
	forgot []int // hosts of the runs forgotten by Retry
	// started, when set, is told the host of each run as it starts.
	started func(host int)
	// argv, when set, is the command instead of exit 0 or 255.
	argv []string
}

// Retry notes the host Spec last saw.
func (t *hostTask) Retry() { t.forgot = append(t.forgot, t.host) }

func (t *hostTask) Spec(slot int) (channel.Spec, error) {
	t.host, _ = (*t.x).HostSlot(slot)
	if t.started != nil {
		t.started(t.host)
	}
	code := "0"
	if t.broken[t.host] {
		code = "255"
	}
	if t.argv != nil {
		return channel.Spec{Argv: t.argv}, nil
	}
	return channel.Spec{Argv: []string{"sh", "-c", "exit " + code}}, nil
}

func runHosts(t *testing.T, slots []int, broken map[int]bool, n int) (Summary, map[int]int, []int, int) {
	var mu sync.Mutex
	ran := map[int]int{}
	var down []int
	var x *Exchange
	x = New(Options{
		Hosts:      slots,
		HostFailed: func(host int, res channel.Result) bool { return res.Exit == 255 },
		HostDown: func(host int, res channel.Result) {
			mu.Lock()
			down = append(down, host)
			mu.Unlock()
		},
	})
	tasks := make(chan Task)
	go func() {
		defer close(tasks)
		for range n {
			tasks <- &hostTask{x: &x, broken: broken, mu: &mu, ran: ran}
		}
	}()
	done := 0
	sum := x.Run(context.Background(), tasks, func(tk Task, slot int, res channel.Result) {
		mu.Lock()
		defer mu.Unlock()
		done++
		ht := tk.(*hostTask)
		if res.Exit == 0 {
			ran[ht.host]++
		}
		for _, h := range ht.forgot {
			if !broken[h] {
				t.Errorf("a run on working host %d was forgotten", h)
			}
		}
	})
	return sum, ran, down, done
}

// TestFailedHostLeavesRotation: a host whose jobs fail as ssh does is taken
// out of rotation, and its jobs run again on the other hosts: every task
// succeeds once, none is lost.
func TestFailedHostLeavesRotation(t *testing.T) {
	sum, ran, down, done := runHosts(t, []int{2, 1, 1}, map[int]bool{0: true}, 30)
	if sum.Done != 30 || sum.Failed != 0 || done != 30 || sum.HostsDown {
		t.Fatalf("summary %+v, %d done; want 30 done, none failed", sum, done)
	}
	if len(down) != 1 || down[0] != 0 {
		t.Fatalf("hosts down %v, want [0]", down)
	}
	if ran[0] != 0 || ran[1]+ran[2] != 30 {
		t.Fatalf("successful runs per host %v", ran)
	}
}

// TestEveryHostDown: with every host failing, the run ends; the tasks that
// met the last host fail, the rest are not run.
func TestEveryHostDown(t *testing.T) {
	sum, _, down, done := runHosts(t, []int{1, 2}, map[int]bool{0: true, 1: true}, 20)
	if !sum.HostsDown || len(down) != 2 {
		t.Fatalf("summary %+v, hosts down %v; want both down", sum, down)
	}
	if done == 0 || done >= 20 || sum.Failed != int64(done) {
		t.Fatalf("%d tasks done (%d failed); want some failed and some not run", done, sum.Failed)
	}
}

// TestTaskForgetsItsRunBeforeItMoves: a task sent back from a failed host
// has forgotten that run before another host's worker may start it. The
// callback for the failed host waits until the task has started elsewhere:
// had Retry come after the hand-over, it would find the new run's host.
func TestTaskForgetsItsRunBeforeItMoves(t *testing.T) {
	var x *Exchange
	var mu sync.Mutex
	var starts atomic.Int32
	var both sync.WaitGroup // the first two runs start on the two hosts
	both.Add(2)
	moved := make(chan struct{})
	started := func(host int) {
		if starts.Add(1) <= 2 {
			both.Done()
			both.Wait()
		} else if host == 1 {
			close(moved)
		}
	}
	x = New(Options{
		Hosts:      []int{1, 1},
		HostFailed: func(host int, res channel.Result) bool { return res.Exit == 255 },
		HostDown: func(int, channel.Result) {
			select {
			case <-moved:
			case <-time.After(time.Minute): // a bound on failure
				t.Error("the task did not move to host 1")
			}
		},
	})
	var sent []*hostTask
	tasks := make(chan Task)
	go func() {
		defer close(tasks)
		for range 2 {
			task := &hostTask{x: &x, broken: map[int]bool{0: true}, mu: &mu, ran: map[int]int{}, started: started}
			sent = append(sent, task)
			tasks <- task
		}
	}()
	sum := x.Run(context.Background(), tasks, func(Task, int, channel.Result) {})
	if sum.Done != 2 || sum.Failed != 0 {
		t.Fatalf("summary %+v", sum)
	}
	var forgot [][]int
	for _, task := range sent {
		forgot = append(forgot, task.forgot)
	}
	if n := len(forgot[0]) + len(forgot[1]); n != 1 || !slices.Equal(append(forgot[0], forgot[1]...), []int{0}) {
		t.Fatalf("Retry forgot runs on hosts %v, want one forgotten run, on host 0", forgot)
	}
}

// TestSlotsAheadWaitForIdleHosts: a slot ahead (HostAhead) takes a task
// only while every other slot is busy: three tasks that run together go to
// the three hosts, never two to one host's slots (one of them ahead, where
// an agent would hold it behind the other).
func TestSlotsAheadWaitForIdleHosts(t *testing.T) {
	for round := range 20 {
		release := t.TempDir() + "/release"
		var mu sync.Mutex
		var hosts []int
		var x *Exchange
		x = New(Options{Hosts: []int{3, 3, 3}, HostAhead: []int{2, 2, 2}})
		tasks := make(chan Task, 3)
		for range 3 {
			tasks <- &hostTask{x: &x, mu: &mu, started: func(host int) {
				mu.Lock()
				defer mu.Unlock()
				hosts = append(hosts, host)
				if len(hosts) == 3 {
					os.WriteFile(release, nil, 0o644)
				}
			}, argv: []string{"sh", "-c", "while [ ! -e " + release + " ]; do sleep 0.01; done"}}
		}
		close(tasks)
		sum := x.Run(context.Background(), tasks, func(Task, int, channel.Result) {})
		slices.Sort(hosts)
		if sum.Done != 3 || !slices.Equal(hosts, []int{0, 1, 2}) {
			t.Fatalf("round %d: %d done, on hosts %v; want one on each host", round, sum.Done, hosts)
		}
	}
}
