package channel

import (
	"errors"
	"os"
	"testing"
	"time"
)

func TestResultHasTheChildsUsage(t *testing.T) {
	res, out, _ := run(t, Spec{Path: self(t), Argv: []string{"child"}, Env: childEnv("burn")})
	if res.Exit != 0 || out != "67108864" {
		t.Fatalf("exit %d, output %q", res.Exit, out)
	}
	u := res.Usage
	// It spun until it had used 200 ms of CPU time.
	if cpu := u.User + u.Sys; cpu < 200*time.Millisecond || cpu > 5*time.Second {
		t.Errorf("CPU time %v user + %v sys, want about 200ms", u.User, u.Sys)
	}
	// 64 MiB touched: the peak RSS is at least that (in bytes, not KiB).
	if u.MaxRSS < 64<<20 || u.MaxRSS > 1<<30 {
		t.Errorf("MaxRSS %d bytes, want 64 MiB and a little", u.MaxRSS)
	}
}

// place records how Start used it.
type place struct {
	forked bool
	pid    int
	err    error // returned instead of starting
}

func (p *place) Fork(start func(int, bool) (*os.Process, error)) (*os.Process, error) {
	if p.err != nil {
		return nil, p.err
	}
	p.forked = true
	proc, err := start(-1, false)
	if err == nil {
		p.pid = proc.Pid
	}
	return proc, err
}

func TestPlaceStartsTheChild(t *testing.T) {
	p := &place{}
	c, err := Start(Spec{Path: self(t), Argv: []string{"child"}, Env: childEnv("pgid"), Place: p})
	if err != nil {
		t.Fatal(err)
	}
	if !p.forked || p.pid != c.Pid() {
		t.Errorf("Place forked %v, pid %d; the child is %d", p.forked, p.pid, c.Pid())
	}
	if res := c.Wait(); res.Exit != 0 {
		t.Errorf("exit %d", res.Exit)
	}
}

func TestPlaceErrorStartsNothing(t *testing.T) {
	cause := errors.New("no group")
	_, err := Start(Spec{Path: self(t), Argv: []string{"child"}, Env: childEnv("sleep"), Place: &place{err: cause}})
	var pe *PlaceError
	if !errors.As(err, &pe) || !errors.Is(err, cause) {
		t.Fatalf("error %v, want a *PlaceError wrapping the Place's", err)
	}
	// A program that cannot start is still a StartError, through a Place.
	_, err = Start(Spec{Path: "/nonexistent/prog", Argv: []string{"prog"}, Place: &place{}})
	var se *StartError
	if !errors.As(err, &se) || se.Exit != ExitNotFound {
		t.Fatalf("error %v, want a *StartError (not found)", err)
	}
}
