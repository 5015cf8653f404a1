package exchange

import (
	"context"
	"sync"
	"testing"

	"github.com/parmap/parmap/channel"
)

// MaxJobs caps Jobs 0 and SetLimit: a raise beyond it starts no more slots,
// so no slot number passes it (each slot's resources stay its own).
func TestMaxJobsCapsJobsAndSetLimit(t *testing.T) {
	ls, tasks := liveTasks(t, "a", "b", "c")
	a, b, c := ls[0], ls[1], ls[2]
	x := New(Options{Jobs: 0, MaxJobs: 2})
	if got := x.Counts().Limit; got != 2 {
		t.Fatalf("limit before Run %d, want 2", got)
	}
	var mu sync.Mutex
	slots := map[string]int{}
	e := newEnded()
	done := func(t Task, slot int, res channel.Result) {
		mu.Lock()
		slots[t.(*liveTask).name] = slot
		mu.Unlock()
		e.done(t, slot, res)
	}
	sums := make(chan Summary)
	go func() { sums <- x.Run(context.Background(), tasks, done) }()
	<-a.started
	<-b.started
	if err := x.SetLimit(5); err != nil {
		t.Fatal(err)
	}
	if cnt := x.Counts(); cnt.Limit != 2 || cnt.Running != 2 || c.hasStarted() {
		t.Fatalf("after SetLimit(5): counts %+v, c started %v", cnt, c.hasStarted())
	}
	a.release()
	<-c.started
	b.release()
	c.release()
	if sum := <-sums; sum.Done != 3 {
		t.Errorf("summary %+v", sum)
	}
	mu.Lock()
	defer mu.Unlock()
	for name, s := range slots {
		if s < 1 || s > 2 {
			t.Errorf("%s ran in slot %d, want 1 or 2", name, s)
		}
	}
	if slots["c"] != slots["a"] {
		t.Errorf("c ran in slot %d, want a's slot %d (the one that freed)", slots["c"], slots["a"])
	}
}

func TestMaxJobsCapsJobs(t *testing.T) {
	x := New(Options{Jobs: 8, MaxJobs: 3})
	if got := x.Counts().Limit; got != 3 {
		t.Errorf("limit %d, want 3", got)
	}
	x = New(Options{Jobs: 2, MaxJobs: 3})
	if got := x.Counts().Limit; got != 2 {
		t.Errorf("limit %d, want 2 (below the cap)", got)
	}
}
