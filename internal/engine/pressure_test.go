package engine

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/parmap/parmap/channel"
	"github.com/parmap/parmap/internal/pressure"
)

// Config.Nice is every job's niceness.
func TestNiceJobs(t *testing.T) {
	cfg := config(t, []string{"sh", "-c", "nice"}, "a", "b")
	cfg.Nice = channel.Niceness{Set: true, Value: 19}
	res := runConfig(t, cfg)
	if res.stdout != "19\n19\n" || res.sum.Failed != 0 {
		t.Errorf("stdout %q, summary %+v", res.stdout, res.sum)
	}
}

// Config.Pressure holds jobs back by the readings (here a fake MemAvailable
// the job itself raises once it runs: the gate lets the first job start,
// which then finds memory below half of MemFree and is shed, and fails:
// a JobShed notice, the job's signal).
func TestPressureShedsAJob(t *testing.T) {
	root := t.TempDir()
	meminfo := filepath.Join(root, "proc", "meminfo")
	os.MkdirAll(filepath.Dir(meminfo), 0o755)
	os.WriteFile(meminfo, []byte("MemAvailable: 4096 kB\n"), 0o644)
	t.Setenv(pressure.TestRootVar, root)
	// The job makes memory short and waits to be stopped.
	cfg := config(t, []string{"sh", "-c", "echo 'MemAvailable: 1 kB' > " + meminfo + "; exec sleep 60"}, "a")
	cfg.Pressure = pressure.Limits{MemFree: 1 << 20}
	res := runConfig(t, cfg)
	if res.sum.Failed != 1 || len(res.notices) != 1 || res.notices[0].Kind != JobShed ||
		res.notices[0].Signal != syscall.SIGTERM || !strings.Contains(res.notices[0].Command, "exec sleep 60") {
		t.Errorf("summary %+v, notices %+v", res.sum, res.notices)
	}
}
