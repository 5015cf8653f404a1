package engine

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/parmap/parmap/internal/cgroup"
	"github.com/parmap/parmap/internal/progress"
)

// use is the resource fields of a --json line or a resources file.
type use struct {
	CPUUser *float64 `json:"cpu_user"`
	CPUSys  *float64 `json:"cpu_sys"`
	MaxRSS  *int64   `json:"max_rss"`
	OOM     *bool    `json:"oom"`
}

func decodeUse(t *testing.T, b string) use {
	t.Helper()
	var u use
	if err := json.Unmarshal([]byte(b), &u); err != nil {
		t.Fatalf("%q: %v", b, err)
	}
	if u.CPUUser == nil || u.CPUSys == nil || u.MaxRSS == nil || u.OOM == nil {
		t.Fatalf("%q: a resource field is missing", b)
	}
	return u
}

func TestJSONAndResultsCarryWhatTheJobUsed(t *testing.T) {
	// The shell spins a little, so that it uses some CPU time.
	cfg := config(t, []string{"sh", "-c", "i=0; while [ $i -lt 20000 ]; do i=$((i+1)); done; echo $0"}, "a")
	cfg.JSON = true
	cfg.Results = filepath.Join(t.TempDir(), "out")
	res := runConfig(t, cfg)
	u := decodeUse(t, res.stdout)
	if *u.CPUUser+*u.CPUSys <= 0 || *u.CPUUser > 60 {
		t.Errorf("cpu_user %v, cpu_sys %v", *u.CPUUser, *u.CPUSys)
	}
	// In bytes: a shell is more than 100 KiB and less than 1 GiB.
	if *u.MaxRSS < 100<<10 || *u.MaxRSS > 1<<30 || *u.OOM {
		t.Errorf("max_rss %d, oom %v", *u.MaxRSS, *u.OOM)
	}
	b, err := os.ReadFile(filepath.Join(cfg.Results, "1", "resources"))
	if err != nil {
		t.Fatal(err)
	}
	if f := decodeUse(t, string(b)); *f.MaxRSS != *u.MaxRSS || *f.CPUUser != *u.CPUUser || *f.CPUSys != *u.CPUSys {
		t.Errorf("resources file %s, --json line %s: not the same", b, res.stdout)
	}
	for _, n := range res.notices {
		if n.Kind == ResourceTotals {
			t.Errorf("totals told unasked: %+v", n)
		}
	}
}

func TestTotalsWhenAsked(t *testing.T) {
	cfg := config(t, []string{"sh", "-c", "head -c $0 /dev/zero | tr '\\0' x >/dev/null"}, "1", "2", "3")
	cfg.Progress, cfg.Totals = progress.Options{Mode: progress.Lines}, true
	res := runConfig(t, cfg)
	var totals []Notice
	for _, n := range res.notices {
		if n.Kind == ResourceTotals {
			totals = append(totals, n)
		}
	}
	if len(totals) != 1 {
		t.Fatalf("notices %+v: want one ResourceTotals", res.notices)
	}
	n := totals[0]
	if n.Usage.MaxRSS <= 0 || n.Seq < 1 || n.Seq > 3 || n.Usage.User+n.Usage.Sys <= 0 {
		t.Errorf("totals %+v", n)
	}
}

func TestLimitsAreSaidOnceAndAppliedToEveryJob(t *testing.T) {
	if tr, err := cgroup.Open(cgroup.Limits{Memory: 1 << 30}); err != nil || tr.Close() != nil || tr.Kind() != cgroup.V1 && tr.Kind() != cgroup.V2 {
		t.Skip("no memory cgroup can be made here")
	}
	cfg := config(t, []string{"sh", "-c", "grep -c parmap- /proc/self/cgroup; : $0"}, "a", "b", "c")
	cfg.Limits = cgroup.Limits{Memory: 1 << 30}
	res := runConfig(t, cfg)
	if res.stdout != "1\n1\n1\n" {
		t.Errorf("each job in a group: stdout %q", res.stdout)
	}
	var said int
	for _, n := range res.notices {
		if n.Kind == LimitsPlaced {
			said++
			if n.Limits != cfg.Limits || n.Via != cgroup.V1 && n.Via != cgroup.V2 {
				t.Errorf("%+v", n)
			}
		}
	}
	if said != 1 || strings.Count(res.stderr, "notice") != len(res.notices) {
		t.Errorf("LimitsPlaced said %d times; stderr %q", said, res.stderr)
	}
}
