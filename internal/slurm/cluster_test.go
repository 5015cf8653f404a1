package slurm_test

// Tests against a real single-node Slurm (slurmtest): node localhost with
// 2 CPUs. Each test's jobs are named jobName, and the test ends only when
// squeue shows none of them.

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/parmap/parmap/internal/testbed/slurmtest"
)

const jobName = "parmap-slurm-test"

// noRaceSleep stops the race detector's 1 s sleep at exit (GORACE
// atexit_sleep_ms, default 1000) in helper processes, which would keep
// each step's CPU a second longer.
const noRaceSleep = "GORACE=atexit_sleep_ms=0"

// The package's tests share one cluster, started by the first test that
// needs it and stopped by TestMain once every test has run (the test
// binary's own: another package's test binary running at the same time has
// its own cluster). Should the test process die first, the cluster's
// supervisor stops it.
var shared struct {
	once    sync.Once
	cluster *slurmtest.Cluster
	err     error
}

// closeCluster stops the shared cluster, if a test started it.
func closeCluster() error {
	if shared.cluster == nil {
		return nil
	}
	return shared.cluster.Close()
}

// cluster returns the shared cluster, skipping tb when the machine cannot
// run one, and makes sure that tb leaves no job of its own behind.
func cluster(tb testing.TB) *slurmtest.Cluster {
	tb.Helper()
	shared.once.Do(func() {
		shared.cluster, shared.err = slurmtest.Start()
		if shared.err == nil {
			tb.Logf("cluster: up in %v (installed %v)", shared.cluster.Setup.Round(time.Millisecond), shared.cluster.Installed)
		}
	})
	if errors.Is(shared.err, slurmtest.ErrUnavailable) {
		tb.Skip(shared.err)
	}
	if shared.err != nil {
		tb.Fatal(shared.err)
	}
	c := shared.cluster
	tb.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		for {
			out, err := c.Output(ctx, "squeue", "-h", "-n", jobName, "-o", "%i %T")
			if err == nil && strings.TrimSpace(out) == "" {
				return
			}
			if ctx.Err() != nil {
				tb.Errorf("jobs left behind: %s %v", out, err)
				c.Output(context.Background(), "scancel", "-n", jobName)
				return
			}
			time.Sleep(100 * time.Millisecond)
		}
	})
	return c
}

// salloc runs the helper's driver KIND inside salloc ARGS and decodes its
// report.
func salloc(t *testing.T, c *slurmtest.Cluster, kind string, args ...string) (Report, string) {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	// A bound on failure: the allocation waits for the previous test's
	// jobs to leave the node, and steps start slowly on a loaded machine.
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	argv := append([]string{"-J", jobName, "-t", "5"}, args...)
	argv = append(argv, exe, "driver", kind, dir)
	cmd := c.Command(ctx, "salloc", argv...)
	cmd.Env = append(cmd.Env, helperEnv+"=1", noRaceSleep)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("salloc %s: %v\nstdout: %s\nstderr: %s", strings.Join(argv, " "), err, stdout.String(), stderr.String())
	}
	var rep Report
	if err := json.Unmarshal(stdout.Bytes(), &rep); err != nil {
		t.Fatalf("driver report: %v\nstdout: %s\nstderr: %s", err, stdout.String(), stderr.String())
	}
	return rep, dir
}

// maxOverlap is how many steps ran at once at most, from their start.I and
// end.I markers.
func maxOverlap(t *testing.T, dir string, n int) int {
	t.Helper()
	type event struct {
		at    int64
		delta int
	}
	var events []event
	for i := range n {
		start, err1 := os.ReadFile(filepath.Join(dir, "start."+strconv.Itoa(i)))
		end, err2 := os.ReadFile(filepath.Join(dir, "end."+strconv.Itoa(i)))
		if err1 != nil || err2 != nil {
			t.Fatalf("step %d markers: %v %v", i, err1, err2)
		}
		s, _ := strconv.ParseInt(strings.Fields(string(start))[0], 10, 64)
		e, _ := strconv.ParseInt(strings.TrimSpace(string(end)), 10, 64)
		events = append(events, event{s, +1}, event{e, -1})
	}
	sort.Slice(events, func(i, j int) bool {
		if events[i].at != events[j].at {
			return events[i].at < events[j].at
		}
		return events[i].delta < events[j].delta // an end before a start at the same time
	})
	most, now := 0, 0
	for _, e := range events {
		now += e.delta
		most = max(most, now)
	}
	return most
}

var chatterLine = regexp.MustCompile(`(?m)^srun: (Job \d+ step creation|Step created for job|error: .*Exited with exit code)`)

// 10 steps at once in salloc -n2: each exit status comes back through srun,
// two run at a time, and Filter leaves exactly the job's own stderr.
func TestSteps(t *testing.T) {
	c := cluster(t)
	rep, dir := salloc(t, c, "steps", "-n2")
	if rep.Tasks != 2 {
		t.Errorf("Tasks = %d in salloc -n2, want 2", rep.Tasks)
	}
	for _, batch := range []string{"noisy", "argv"} {
		runs := rep.Runs[batch]
		if len(runs) != 10 {
			t.Fatalf("%s: %d runs, want 10", batch, len(runs))
		}
		var raw strings.Builder
		for i, r := range runs {
			raw.WriteString(r.RawStderr)
			want, wantErr := 0, fmt.Sprintf("err %d\n", i)
			switch i {
			case 3:
				want = 3
			case 7:
				want, wantErr = 137, "err 7\nsrun: error: localhost: task 0: Killed\n"
			}
			if r.Exit != want || r.Signaled {
				t.Errorf("%s step %d: srun exit %d (signaled %v), want %d", batch, i, r.Exit, r.Signaled, want)
			}
			if r.Stdout != fmt.Sprintf("out %d\n", i) {
				t.Errorf("%s step %d: stdout %q", batch, i, r.Stdout)
			}
			if r.Stderr != wantErr {
				t.Errorf("%s step %d: filtered stderr %q, want %q (raw %q)", batch, i, r.Stderr, wantErr, r.RawStderr)
			}
		}
		if n := maxOverlap(t, filepath.Join(dir, batch), 10); n != 2 {
			t.Errorf("%s: %d steps ran at once at most, want 2", batch, n)
		}
		t.Logf("%s: 10 steps of 0.3 s took %v", batch, rep.Took[batch].Round(time.Millisecond))
		lines := chatterLine.FindAllString(raw.String(), -1)
		t.Logf("%s: srun printed %d chatter lines, e.g. %q", batch, len(lines), lines[:min(len(lines), 3)])
		switch batch {
		case "noisy":
			if !strings.Contains(raw.String(), "step creation temporarily disabled, retrying (Requested nodes are busy)") ||
				!strings.Contains(raw.String(), "srun: Step created for job "+rep.JobID) {
				t.Errorf("without --quiet, srun printed no queueing chatter to filter:\n%s", raw.String())
			}
		case "argv":
			if strings.Contains(raw.String(), "step creation") || strings.Contains(raw.String(), "Step created") {
				t.Errorf("--quiet let the queueing chatter through:\n%s", raw.String())
			}
		}
	}
}

// Under sbatch --mem, steps without --mem=0 would each ask for all of the
// job's memory and run one at a time; Argv's run side by side.
func TestStepsShareMemory(t *testing.T) {
	c := cluster(t)
	rep, dir := salloc(t, c, "mem", "-n2", "--mem=200M")
	for _, r := range append(rep.Runs["argv"], rep.Runs["nomem"]...) {
		if r.Exit != 0 || r.Stderr != r.RawStderr {
			t.Errorf("step: %+v", r)
		}
	}
	if n := maxOverlap(t, filepath.Join(dir, "argv"), 2); n != 2 {
		t.Errorf("Argv steps in salloc -n2 --mem=200M: %d at once, want 2", n)
	}
	t.Logf("2 steps of 0.5 s: Argv %v; without --mem=0 %v, %d at once", rep.Took["argv"].Round(time.Millisecond),
		rep.Took["nomem"].Round(time.Millisecond), maxOverlap(t, filepath.Join(dir, "nomem"), 2))
}

var killedLine = regexp.MustCompile(`(?m)^srun: error: localhost: task 0: Killed$`)

// StopSignal sent to srun's process group ends the step: srun exits 137,
// the step leaves squeue and scontrol, its process and its child are gone.
func TestStopSignal(t *testing.T) {
	c := cluster(t)
	rep, _ := salloc(t, c, "term", "-n2")
	r := rep.Runs["term"][0]
	t.Logf("step %s: srun exit %d after %v; step gone after %v, processes after %v; stderr %q",
		rep.StepID, r.Exit, rep.StopTook.Round(time.Millisecond), rep.GoneTook.Round(time.Millisecond), rep.ProcTook.Round(time.Millisecond), r.RawStderr)
	if r.Exit != 137 || r.Signaled {
		t.Errorf("srun exit %d (signaled %v) after StopSignal, want 137", r.Exit, r.Signaled)
	}
	// srun's Killed line is kept by the filter; the step's own last
	// output may come through before it or after it (srun forwards the
	// two as they arrive).
	if !killedLine.MatchString(r.Stderr) {
		t.Errorf("filtered stderr %q has no line of srun's saying the task was killed", r.Stderr)
	}
	// What the step wrote just before the stop, and slurmstepd's CANCELLED
	// line, come through most of the time but not always: srun may exit
	// before it has read them.
	if !strings.Contains(r.Stderr, "err 0\n") || r.Stdout != "out 0\n" {
		t.Logf("output of the stopped step lost: stdout %q, stderr %q", r.Stdout, r.Stderr)
	}
}

// Each task of an array runs its shard of jobs 1..10; together the tasks
// run each job once, whatever the array's first index and step. A list with
// gaps is refused.
func TestArrayShards(t *testing.T) {
	c := cluster(t)
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	// A bound on failure: Slurm starts array tasks about one wave a second
	// (TESTBEDS.md), slower on a loaded machine.
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	specs := map[string]string{"1-4": "a", "0-3": "b", "1-7:2": "c", "0-2%1": "d", "1,4,9": "gaps"}
	ids := map[string]string{}
	t0 := time.Now()
	for spec, name := range specs {
		sub := filepath.Join(dir, name)
		if err := os.Mkdir(sub, 0o755); err != nil {
			t.Fatal(err)
		}
		cmd := c.Command(ctx, "sbatch", "--parsable", "-J", jobName, "-t", "5", "-o", sub+"/%A_%a.out",
			"--array="+spec, "--wrap", fmt.Sprintf("'%s' shard '%s'", exe, sub))
		cmd.Env = append(cmd.Env, helperEnv+"=1", noRaceSleep)
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("sbatch --array=%s: %v: %s", spec, err, out)
		}
		ids[spec] = strings.TrimSpace(string(out))
	}
	var all []string
	for _, id := range ids {
		all = append(all, id)
	}
	if err := c.WaitGone(ctx, all...); err != nil {
		t.Fatal(err)
	}
	t.Logf("%d arrays, 16 tasks: %v from submit to done (squeue every 0.1 s)", len(ids), time.Since(t0).Round(time.Millisecond))

	for spec, name := range specs {
		sub := filepath.Join(dir, name)
		states, err := c.Output(ctx, "scontrol", "show", "job", "-o", ids[spec])
		if err != nil {
			t.Fatal(err)
		}
		exits := regexp.MustCompile(`ExitCode=\S+`).FindAllString(states, -1)
		if name == "gaps" {
			errs, _ := filepath.Glob(filepath.Join(sub, "err.*"))
			if len(errs) != 3 {
				t.Errorf("--array=%s: %d tasks refused, want 3", spec, len(errs))
			}
			for _, f := range errs {
				b, _ := os.ReadFile(f)
				if !strings.Contains(string(b), "list with gaps") {
					t.Errorf("--array=%s: %s", spec, b)
				}
			}
			if len(exits) != 3 || slices.ContainsFunc(exits, func(s string) bool { return s != "ExitCode=2:0" }) {
				t.Errorf("--array=%s: exit codes %v, want 3 × 2:0", spec, exits)
			}
			continue
		}
		files, _ := filepath.Glob(filepath.Join(sub, "task.*"))
		seen := map[int]int{}
		shards := map[string]bool{}
		for _, f := range files {
			b, _ := os.ReadFile(f)
			lines := strings.Split(strings.TrimSpace(string(b)), "\n")
			shards[lines[0]] = true
			for _, l := range lines[1:] {
				n, _ := strconv.Atoi(l)
				seen[n]++
			}
		}
		n := 3
		if name != "d" {
			n = 4
		}
		if len(files) != n || len(shards) != n {
			t.Errorf("--array=%s: %d task files, shards %v; want %d distinct", spec, len(files), shards, n)
		}
		for job := 1; job <= 10; job++ {
			if seen[job] != 1 {
				t.Errorf("--array=%s: job %d ran %d times", spec, job, seen[job])
			}
		}
		if len(seen) != 10 {
			t.Errorf("--array=%s: jobs %v, want 1..10", spec, seen)
		}
		if len(exits) != n || slices.ContainsFunc(exits, func(s string) bool { return s != "ExitCode=0:0" }) {
			t.Errorf("--array=%s: exit codes %v", spec, exits)
		}
	}
}

// Steps per second of Argv, 2 at a time, against a shell loop of plain
// srun. Logged, not asserted.
func TestThroughput(t *testing.T) {
	if testing.Short() {
		t.Skip("measurement")
	}
	c := cluster(t)
	rep, _ := salloc(t, c, "bench", "-n2")
	if len(rep.Runs["bad"]) > 0 {
		t.Errorf("failed steps: %+v", rep.Runs["bad"])
	}
	t.Logf("50 × true in salloc -n2: Argv 2 at a time %v (%.1f steps/s); `for i in $(seq 50); do srun -N1 -n1 true; done` %v (%.1f steps/s)",
		rep.ArgvTook.Round(time.Millisecond), 50/rep.ArgvTook.Seconds(), rep.LoopTook.Round(time.Millisecond), 50/rep.LoopTook.Seconds())
}
