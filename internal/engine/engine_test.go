package engine

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/parmap/parmap/channel"
	"github.com/parmap/parmap/internal/records"
	"github.com/parmap/parmap/internal/template"
)

// config is a run of words over the records, into files of the test's.
func config(t testing.TB, words []string, recs ...string) *Config {
	t.Helper()
	tmpl, err := template.Parse(words, template.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return &Config{
		Sources:  []records.Source{records.List(recs)},
		Records:  records.DefaultOptions(),
		Template: tmpl,
		Env:      os.Environ(),
		Jobs:     2,
	}
}

// result is what a run wrote and said.
type result struct {
	sum     Summary
	stdout  string
	stderr  string
	notices []Notice
}

func runConfig(t *testing.T, cfg *Config) result {
	t.Helper()
	dir := t.TempDir()
	out, err := os.Create(filepath.Join(dir, "stdout"))
	if err != nil {
		t.Fatal(err)
	}
	errf, err := os.Create(filepath.Join(dir, "stderr"))
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var res result
	res.sum = Run(context.Background(), cfg, Streams{Stdout: out, Stderr: errf, Word: func(n Notice) string {
		mu.Lock()
		defer mu.Unlock()
		res.notices = append(res.notices, n)
		return "notice"
	}})
	out.Close()
	errf.Close()
	b, _ := os.ReadFile(out.Name())
	res.stdout = string(b)
	b, _ = os.ReadFile(errf.Name())
	res.stderr = string(b)
	return res
}

func TestNoticesAreFacts(t *testing.T) {
	cfg := config(t, []string{"{}"}, "true", "no-such-program-here", "false")
	cfg.KeepOrder = true
	res := runConfig(t, cfg)
	if res.sum.Done != 3 || res.sum.Failed != 2 {
		t.Fatalf("summary %+v", res.sum)
	}
	if len(res.notices) != 1 {
		t.Fatalf("notices %+v, want one for the missing program", res.notices)
	}
	n := res.notices[0]
	var se *channel.StartError
	if n.Kind != JobError || n.Seq != 2 || !errors.As(n.Err, &se) || se.Exit != channel.ExitNotFound {
		t.Fatalf("notice %+v", n)
	}
	// The line Word gave is what the run wrote, between the jobs' output.
	if res.stderr != "notice\n" {
		t.Fatalf("stderr %q", res.stderr)
	}
}

func TestTimeoutNotice(t *testing.T) {
	// The job waits: only the timeout can end it, whenever it fires.
	cfg := config(t, []string{"sleep", "{}"}, "600")
	cfg.Timeout, cfg.KillAfter = 100*time.Millisecond, time.Second
	res := runConfig(t, cfg)
	if res.sum.Failed != 1 || len(res.notices) != 1 {
		t.Fatalf("summary %+v, notices %+v", res.sum, res.notices)
	}
	if n := res.notices[0]; n.Kind != JobTimedOut || n.Seq != 1 || n.Timeout != cfg.Timeout || n.Signal != syscall.SIGTERM {
		t.Fatalf("notice %+v", n)
	}
}

func TestSetupErrorsAreTyped(t *testing.T) {
	dir := t.TempDir()
	cfg := config(t, []string{"true"}, "a")
	cfg.Joblog = filepath.Join(dir, "missing", "log")
	var je *JoblogError
	if res := runConfig(t, cfg); !errors.As(res.sum.Err, &je) || je.Path != cfg.Joblog {
		t.Fatalf("summary %+v, want a JoblogError", res.sum)
	}

	cfg = config(t, []string{"cat"})
	cfg.Pipe = &Pipe{File: filepath.Join(dir, "absent"), Ranges: true, Block: 10}
	var ie *InputError
	if res := runConfig(t, cfg); !errors.As(res.sum.Err, &ie) || ie.Path != cfg.Pipe.File || !errors.Is(ie, os.ErrNotExist) {
		t.Fatalf("summary %+v, want an InputError", res.sum)
	}
}

func TestShardAndDryRunWriteOnlyTheirJobs(t *testing.T) {
	cfg := config(t, []string{"echo", "{}"}, "a", "b", "c", "d", "e")
	cfg.DryRun, cfg.Shard = true, Shard{K: 1, N: 2}
	res := runConfig(t, cfg)
	// A dry run prints in input order, -k or not.
	if res.stdout != "echo b\necho d\n" {
		t.Fatalf("stdout %q, want the commands of jobs 2 and 4 only, in order", res.stdout)
	}
}

// A dry run's jobs end in no particular order (nothing runs, every slot
// hands its job back at once); the commands are printed in input order
// all the same, as GNU parallel prints them.
func TestDryRunPrintsInInputOrder(t *testing.T) {
	var vals []string
	var want strings.Builder
	for i := 1; i <= 2000; i++ {
		vals = append(vals, strconv.Itoa(i))
		fmt.Fprintf(&want, "echo %d\n", i)
	}
	cfg := config(t, []string{"echo", "{}"}, vals...)
	cfg.DryRun, cfg.Jobs = true, 16
	if res := runConfig(t, cfg); res.stdout != want.String() {
		t.Fatalf("stdout is not in input order:\n%.300s", res.stdout)
	}
}

func TestJSONForAJobWhoseCommandCannotBeMade(t *testing.T) {
	cfg := config(t, []string{"echo", "{}"}, strings.Repeat("x", 200000), "b")
	cfg.JSON, cfg.KeepOrder = true, true
	res := runConfig(t, cfg)
	lines := strings.Split(strings.TrimSuffix(res.stdout, "\n"), "\n")
	if len(lines) != 2 || !strings.Contains(lines[0], `"seq":1`) || !strings.Contains(lines[0], `"exit":126`) ||
		!strings.Contains(lines[1], `"stdout":"b\n"`) {
		t.Fatalf("stdout %q", res.stdout)
	}
}
