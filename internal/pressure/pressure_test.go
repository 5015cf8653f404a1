package pressure

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// fake writes files under a new root, name → content.
func fake(t *testing.T, files map[string]string) string {
	t.Helper()
	root := t.TempDir()
	write(t, root, files)
	return root
}

func write(t *testing.T, root string, files map[string]string) {
	t.Helper()
	for name, content := range files {
		p := filepath.Join(root, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

const meminfo = "MemTotal:       16000000 kB\nMemFree:         1000000 kB\nMemAvailable:    8000000 kB\n"

func TestReader(t *testing.T) {
	r := Reader{Root: fake(t, map[string]string{
		"proc/pressure/cpu": "some avg10=53.04 avg60=41.86 avg300=32.07 total=15021226074\nfull avg10=0.00 avg60=0.00 avg300=0.00 total=0\n",
		"proc/loadavg":      "4.10 3.39 2.32 15/230 14077\n",
		"proc/meminfo":      meminfo,
	})}
	if p, ok := r.CPUPressure(); !ok || p != 53.04 {
		t.Errorf("CPUPressure = %v, %v; want 53.04", p, ok)
	}
	if l, err := r.LoadAvg(); err != nil || l != 4.10 {
		t.Errorf("LoadAvg = %v, %v; want 4.10", l, err)
	}
	if m, err := r.MemAvailable(); err != nil || m != 8000000*1024 {
		t.Errorf("MemAvailable = %v, %v; want %d", m, err, 8000000*1024)
	}
	if _, ok := (Reader{Root: t.TempDir()}).CPUPressure(); ok {
		t.Error("CPUPressure without the file: ok")
	}
}

// A memory-limited control group's headroom (limit less usage less its
// inactive file cache) counts where it is less than MemAvailable, for v1
// and v2, and for a limit on a group above parmap's.
func TestReaderCgroup(t *testing.T) {
	for name, files := range map[string]map[string]string{
		"v1": {
			"proc/self/cgroup": "9:name=systemd:/\n4:memory:/jobs/run1\n3:cpuset:/\n0::/\n",
			"sys/fs/cgroup/memory/jobs/run1/memory.limit_in_bytes": "9223372036854771712\n",
			"sys/fs/cgroup/memory/jobs/run1/memory.usage_in_bytes": "400000000\n",
			"sys/fs/cgroup/memory/jobs/memory.limit_in_bytes":      "1000000000\n",
			"sys/fs/cgroup/memory/jobs/memory.usage_in_bytes":      "700000000\n",
			"sys/fs/cgroup/memory/jobs/memory.stat":                "cache 1\ntotal_inactive_file 100000000\n",
		},
		"v2": {
			"proc/self/cgroup":                       "0::/jobs/run1\n",
			"sys/fs/cgroup/jobs/run1/memory.max":     "1000000000\n",
			"sys/fs/cgroup/jobs/run1/memory.current": "700000000\n",
			"sys/fs/cgroup/jobs/run1/memory.stat":    "anon 1\ninactive_file 100000000\n",
			"sys/fs/cgroup/jobs/memory.max":          "max\n",
			"sys/fs/cgroup/jobs/memory.current":      "900000000\n",
		},
	} {
		files["proc/meminfo"] = meminfo
		r := Reader{Root: fake(t, files)}
		if m, err := r.MemAvailable(); err != nil || m != 400000000 {
			t.Errorf("%s: MemAvailable = %v, %v; want the group's headroom 400000000", name, m, err)
		}
	}
}

func TestParseLoad(t *testing.T) {
	for s, want := range map[string]Load{"4": {4, false}, "2.5": {2.5, false}, "90%": {90, true}, "150%": {150, true}} {
		if got, err := ParseLoad(s); err != nil || got != want {
			t.Errorf("ParseLoad(%q) = %v, %v; want %v", s, got, err, want)
		}
	}
	for _, s := range []string{"", "-1", "0", "0%", "abc", "%", "+2", "1e3", "NaN", "Inf", "4%%"} {
		if _, err := ParseLoad(s); err == nil {
			t.Errorf("ParseLoad(%q): no error", s)
		}
	}
}

// testGate is a Gate over fake files, with a clock the test moves.
func testGate(t *testing.T, lim Limits, files map[string]string) (*Gate, string, *time.Time) {
	root := fake(t, files)
	t.Setenv(TestRootVar, root)
	g := NewGate(lim)
	g.cpus = 2
	clock := time.Unix(1000, 0)
	g.now = func() time.Time { return clock }
	return g, root, &clock
}

func TestGateLoad(t *testing.T) {
	// N% is the CPU pressure where there is one.
	g, root, _ := testGate(t, Limits{Load: Load{90, true}}, map[string]string{
		"proc/pressure/cpu": "some avg10=95.00 avg60=1 avg300=1 total=1\n", "proc/loadavg": "0.00 0 0 1/1 1\n"})
	if ok, again := g.Admit(0); ok || again != Interval {
		t.Errorf("pressure 95%% under --load 90%%: Admit = %v, %v", ok, again)
	}
	write(t, root, map[string]string{"proc/pressure/cpu": "some avg10=10.00 avg60=1 avg300=1 total=1\n"})
	if ok, _ := g.Admit(0); !ok {
		t.Error("pressure 10% under --load 90%: not admitted")
	}
	if b, _ := os.ReadFile(filepath.Join(root, "gate.log")); string(b) != "wait load\n" {
		t.Errorf("gate.log = %q", b)
	}
	// Without pressure stall information, N% is of the CPUs' load average.
	g, root, _ = testGate(t, Limits{Load: Load{50, true}}, map[string]string{"proc/loadavg": "1.00 0 0 1/1 1\n"})
	if ok, _ := g.Admit(0); ok {
		t.Error("load 1.00 under --load 50% of 2 CPUs: admitted")
	}
	write(t, root, map[string]string{"proc/loadavg": "0.99 0 0 1/1 1\n"})
	if ok, _ := g.Admit(0); !ok {
		t.Error("load 0.99 under --load 50% of 2 CPUs: not admitted")
	}
	// A plain N is the load average, pressure or not.
	g, _, _ = testGate(t, Limits{Load: Load{3, false}}, map[string]string{
		"proc/pressure/cpu": "some avg10=99.00 avg60=1 avg300=1 total=1\n", "proc/loadavg": "2.50 0 0 1/1 1\n"})
	if ok, _ := g.Admit(0); !ok {
		t.Error("load 2.50 under --load 3: not admitted")
	}
}

// The jobs running grow by one at a time, Settle apart; a job that ended is
// replaced at once; a job turned away lowers what counts as safe.
func TestGateSettle(t *testing.T) {
	g, root, clock := testGate(t, Limits{MemFree: 1 << 30}, map[string]string{"proc/meminfo": meminfo})
	if ok, _ := g.Admit(0); !ok {
		t.Fatal("first job not admitted")
	}
	if ok, again := g.Admit(1); ok || again != Settle {
		t.Fatalf("second job at once: Admit = %v, %v; want a wait of Settle", ok, again)
	}
	*clock = clock.Add(Settle / 4)
	if ok, again := g.Admit(1); ok || again != Settle*3/4 {
		t.Fatalf("second job a quarter of Settle later: Admit = %v, %v", ok, again)
	}
	*clock = clock.Add(Settle)
	if ok, _ := g.Admit(1); !ok {
		t.Fatal("second job after Settle: not admitted")
	}
	if ok, _ := g.Admit(1); !ok {
		t.Fatal("a job in place of one that ended: not admitted")
	}
	write(t, root, map[string]string{"proc/meminfo": "MemAvailable: 1048576 kB\n"})
	if ok, _ := g.Admit(1); ok {
		t.Fatal("1G available under --memfree 1G: admitted")
	}
	if g.Shed() {
		t.Fatal("1G available under --memfree 1G: shed")
	}
	write(t, root, map[string]string{"proc/meminfo": "MemAvailable: 524287 kB\n"})
	if !g.Shed() {
		t.Fatal("under half of --memfree 1G: not shed")
	}
	write(t, root, map[string]string{"proc/meminfo": meminfo})
	if ok, _ := g.Admit(1); ok {
		t.Fatal("growing again right after a wait: admitted before Settle")
	}
	b, _ := os.ReadFile(filepath.Join(root, "gate.log"))
	if got := strings.Fields(string(b)); strings.Join(got, " ") != "wait memory shed" {
		t.Errorf("gate.log = %q", b)
	}
}
