package pressure

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Load is --load's limit: Max, or Max percent when Percent.
type Load struct {
	Max     float64
	Percent bool
}

// ErrBadLoad is a --load that is not a number above 0, or a percentage.
var ErrBadLoad = errors.New("not a load")

// ParseLoad reads --load: a load average (4, 2.5) or a percentage (90%),
// above 0.
func ParseLoad(s string) (Load, error) {
	num, pct := strings.CutSuffix(s, "%")
	v, err := strconv.ParseFloat(num, 64)
	if err != nil || !(v > 0) || v > 1e6 || strings.ContainsAny(num, "+-eEnN") {
		return Load{}, ErrBadLoad
	}
	return Load{Max: v, Percent: pct}, nil
}

// Limits are what a Gate holds jobs back by; the zero value holds none.
type Limits struct {
	// Load: a job starts only while the load is below it. N% is compared
	// with the CPU pressure (some avg10) where the kernel has it, else
	// with the load average as N% of the CPUs (GNU parallel's reading); a
	// plain N with the load average.
	Load Load
	// MemFree: a job starts only while more than MemFree bytes are
	// available; below half of it, the youngest running job is stopped.
	MemFree int64
}

// Any reports whether the limits hold anything back.
func (l Limits) Any() bool { return l.Load.Max > 0 || l.MemFree > 0 }

// Interval is how often a Gate that turned a job away is asked again (a
// job's end asks sooner), and how often running jobs are checked against
// half of MemFree.
const Interval = time.Second

// Settle is how long the jobs running must stay at a count before one more
// may join them: a job just started shows in the load and memory readings
// only after a while. A job that ends is replaced at once.
const Settle = time.Second

// Why says what a Gate waits for.
type Why int

const (
	Free   Why = iota // nothing: a job may start
	Loaded            // the load is not below Limits.Load
	Memory            // no more than Limits.MemFree is available
)

// Gate decides whether a job may start by the machine's load and memory. It
// is safe for concurrent use.
type Gate struct {
	lim  Limits
	r    Reader
	cpus int
	log  string // the test log (TestRootVar); "" for none

	mu       sync.Mutex
	safe     int       // jobs running that the readings have shown to be fine
	lastGrow time.Time // when the running jobs last grew past safe
	now      func() time.Time
}

// NewGate returns a Gate for lim reading the kernel's files (or the test
// files TestRootVar names).
func NewGate(lim Limits) *Gate {
	g := &Gate{lim: lim, cpus: runtime.NumCPU(), now: time.Now}
	if dir := os.Getenv(TestRootVar); dir != "" {
		g.r.Root = dir
		g.log = filepath.Join(dir, "gate.log")
	}
	return g
}

// Admit reports whether a job may start while running jobs run; when not,
// again is when to ask again at the latest.
func (g *Gate) Admit(running int) (ok bool, again time.Duration) {
	g.mu.Lock()
	defer g.mu.Unlock()
	why := g.check()
	if why != Free {
		g.safe = min(g.safe, running)
		g.note("wait " + why.String())
		return false, Interval
	}
	if running < g.safe {
		return true, 0 // in place of a job that ended
	}
	if since := g.now().Sub(g.lastGrow); running > 0 && since < Settle {
		return false, Settle - since
	}
	g.safe, g.lastGrow = running+1, g.now()
	return true, 0
}

// Shed reports whether the youngest running job must be stopped: less than
// half of MemFree is available (GNU parallel's --memfree).
func (g *Gate) Shed() bool {
	if g.lim.MemFree <= 0 {
		return false
	}
	avail, err := g.r.MemAvailable()
	if err != nil || avail >= g.lim.MemFree/2 {
		return false
	}
	g.mu.Lock()
	g.note("shed")
	g.mu.Unlock()
	return true
}

// Watch is how often running jobs are to be checked with Shed: Interval
// under MemFree, else 0 (never).
func (g *Gate) Watch() time.Duration {
	if g.lim.MemFree > 0 {
		return Interval
	}
	return 0
}

// check takes the readings; a reading that cannot be had holds nothing back.
func (g *Gate) check() Why {
	if l := g.lim.Load; l.Max > 0 {
		if l.Percent {
			if p, ok := g.r.CPUPressure(); ok {
				if p >= l.Max {
					return Loaded
				}
			} else if avg, err := g.r.LoadAvg(); err == nil && avg >= l.Max/100*float64(g.cpus) {
				return Loaded
			}
		} else if avg, err := g.r.LoadAvg(); err == nil && avg >= l.Max {
			return Loaded
		}
	}
	if g.lim.MemFree > 0 {
		if avail, err := g.r.MemAvailable(); err == nil && avail <= g.lim.MemFree {
			return Memory
		}
	}
	return Free
}

func (w Why) String() string {
	switch w {
	case Loaded:
		return "load"
	case Memory:
		return "memory"
	}
	return "free"
}

// note appends line to the test log; g.mu is held.
func (g *Gate) note(line string) {
	if g.log == "" {
		return
	}
	f, err := os.OpenFile(g.log, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		return
	}
	fmt.Fprintln(f, line)
	f.Close()
}
