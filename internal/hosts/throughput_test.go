package hosts

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/parmap/parmap/internal/testbed/sshtest"
)

// TestThroughput measures, and only logs, jobs per second for 200 × true over
// two hosts with 8 slots each, masters open, and the same with GNU parallel
// -S on the same hosts and ssh command. Skipped with -short.
func TestThroughput(t *testing.T) {
	if testing.Short() {
		t.Skip("measures only; skipped with -short")
	}
	b := testBed(t)
	type pair struct {
		ssh   []string
		names [2]string
	}
	pairs := []pair{{b.SSH, [2]string{sshtest.Local, sshtest.Local2}}}
	if b.NetnsSSH != nil {
		pairs = append(pairs, pair{b.NetnsSSH, [2]string{sshtest.H1, sshtest.H2}})
	}
	const jobs, slots = 200, 8
	for _, p := range pairs {
		hs := []Host{{Slots: slots, Name: p.names[0]}, {Slots: slots, Name: p.names[1]}}
		r := newRunner(t, p.ssh, b.Dir)
		t0 := time.Now()
		open(t, r, hs...)
		t.Logf("%s: %d masters opened in %v", strings.Join(p.ssh, " "), 2, time.Since(t0).Round(time.Millisecond))
		for _, guarded := range []bool{false, true} {
			d := runJobs(t, r, hs, jobs, guarded)
			t.Logf("  hosts.Runner, Argv%s: %d × true on %d/%s,%d/%s: %v, %.0f jobs/s",
				map[bool]string{true: "Guarded"}[guarded], jobs, slots, p.names[0], slots, p.names[1], d.Round(time.Millisecond), jobs/d.Seconds())
		}
		if _, err := exec.LookPath("parallel"); err != nil {
			t.Log("  GNU parallel is not installed: no comparison")
			continue
		}
		S := strconv.Itoa(slots) + "/" + p.names[0] + "," + strconv.Itoa(slots) + "/" + p.names[1]
		// Not -M: GNU parallel 20221122 -M returns at once while forked
		// copies of itself run the jobs on, and outlive the test.
		gnuParallel(t, p.ssh, S, jobs)
	}
}

// runJobs runs jobs × true on hs, each host's slots in goroutines of their
// own, and returns how long it took.
func runJobs(t *testing.T, r *Runner, hs []Host, jobs int, guarded bool) time.Duration {
	next := make(chan int, jobs)
	for i := 1; i <= jobs; i++ {
		next <- i
	}
	close(next)
	var wg sync.WaitGroup
	t0 := time.Now()
	for _, h := range hs {
		for slot := range h.Slots {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for seq := range next {
					env := []string{"PARMAP_SEQ=" + strconv.Itoa(seq)}
					argv, stdin := r.Argv(h, slot, "true", env), (*os.File)(nil)
					if guarded {
						argv, stdin = r.ArgvGuarded(h, slot, "true", env)
					}
					if res := run(t, argv, stdin); res.exit != 0 || res.stdout != "" || res.stderr != "" {
						t.Errorf("job %d on %s: %+v", seq, h, res)
					}
				}
			}()
		}
	}
	wg.Wait()
	return time.Since(t0)
}

// gnuParallel runs GNU parallel --ssh SSH -S S true ::: 1..jobs and logs its
// time and how many jobs it logged with exit 0.
func gnuParallel(t *testing.T, ssh []string, S string, jobs int) {
	joblog := filepath.Join(t.TempDir(), "joblog")
	argv := []string{"parallel", "--will-cite", "--joblog", joblog, "--ssh", strings.Join(ssh, " "), "-S", S}
	shown := "parallel --ssh '" + strings.Join(ssh, " ") + "' -S " + S + " true ::: $(seq " + strconv.Itoa(jobs) + ")"
	argv = append(argv, "true", ":::")
	for i := 1; i <= jobs; i++ {
		argv = append(argv, strconv.Itoa(i))
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = 5 * time.Second
	t0 := time.Now()
	err := cmd.Run()
	d := time.Since(t0)
	data, _ := os.ReadFile(joblog)
	ok := 0
	for _, l := range strings.Split(string(data), "\n")[1:] {
		if f := strings.Split(l, "\t"); len(f) > 6 && f[6] == "0" {
			ok++
		}
	}
	t.Logf("  GNU parallel: %s: %v, %.0f jobs/s; %d of %d jobs logged with exit 0; err %v %.200q",
		shown, d.Round(time.Millisecond), float64(jobs)/d.Seconds(), ok, jobs, err, out.String())
}
