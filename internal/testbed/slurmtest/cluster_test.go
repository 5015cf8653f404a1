package slurmtest

import (
	"bufio"
	"context"
	"errors"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/parmap/parmap/internal/testbed"
)

// abandonEnv makes the test binary a test process that starts a cluster,
// leaves a job running on it and exits without Close.
const abandonEnv = "SLURMTEST_ABANDON"

func TestMain(m *testing.M) {
	if os.Getenv(abandonEnv) == "1" {
		os.Exit(abandon())
	}
	os.Exit(m.Run())
}

// Two clusters at once, as two test binaries of go test ./... start them:
// each runs steps; Close stops every process of each (the daemons and the
// slurmstepd of a job still running) and removes its directory.
func TestClusters(t *testing.T) {
	var wg sync.WaitGroup
	clusters := make([]*Cluster, 2)
	errs := make([]error, 2)
	for i := range clusters {
		wg.Go(func() { clusters[i], errs[i] = Start() })
	}
	wg.Wait()
	for i, c := range clusters {
		if c != nil {
			defer c.Close()
		}
		if errs[i] != nil {
			if errors.Is(errs[i], ErrUnavailable) {
				t.Skip(errs[i])
			}
			t.Fatal(errs[i])
		}
		t.Logf("cluster %d in %s: up in %v (installed %v)", i, c.Dir, c.Setup.Round(time.Millisecond), c.Installed)
	}
	if clusters[0].Conf == clusters[1].Conf {
		t.Fatal("two Starts gave the same cluster")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	for _, c := range clusters {
		out, err := c.Output(ctx, "srun", "-Q", "-N1", "-n1", "-J", "slurmtest-test", "sh", "-c", "echo $SLURM_CLUSTER_NAME")
		if err != nil || strings.TrimSpace(out) != "parmaptest" {
			t.Errorf("srun: %q, %v", out, err)
		}
		// A job still running at Close.
		if _, err := c.Output(ctx, "sbatch", "-Q", "-J", "slurmtest-left", "-o", "/dev/null", "--wrap", "sleep 600"); err != nil {
			t.Fatal(err)
		}
	}
	for _, c := range clusters {
		if err := waitRunning(ctx, c, "slurmtest-left"); err != nil {
			t.Fatal(err)
		}
		t.Logf("%s: marked processes: %s", c.Dir, testbed.Describe(testbed.Marked(c.Dir)))
		if len(testbed.Marked(c.Dir)) < 4 {
			t.Errorf("%s: processes marked: %s; want at least munged, slurmctld, slurmd and a slurmstepd",
				c.Dir, testbed.Describe(testbed.Marked(c.Dir)))
		}
	}
	for _, c := range clusters {
		if err := c.Close(); err != nil {
			t.Error(err)
		}
		assertGone(t, c.Dir, 0)
	}
}

// A test process that dies without Close leaves nothing running: its
// cluster's supervisor stops the cluster when its stdin ends.
func TestAbandonedClusterStops(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a cluster in another process")
	}
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(exe)
	cmd.Env = append(os.Environ(), abandonEnv+"=1")
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(out)
	var lines []string
	for sc.Scan() {
		lines = append(lines, sc.Text())
	}
	if err := cmd.Wait(); err != nil || len(lines) != 2 || lines[1] != "left" {
		if len(lines) > 0 && strings.Contains(lines[0], ErrUnavailable.Error()) {
			t.Skip(lines[0])
		}
		t.Fatalf("abandoning process: %v, said %q", err, lines)
	}
	assertGone(t, lines[0], 2*time.Minute)
}

// abandon starts a cluster, prints its directory, starts a job, prints
// "left" once it runs and exits without Close.
func abandon() int {
	c, err := Start()
	if err != nil {
		say(err.Error())
		return 1
	}
	say(c.Dir)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if _, err := c.Output(ctx, "sbatch", "-Q", "-J", "slurmtest-left", "-o", "/dev/null", "--wrap", "sleep 600"); err != nil {
		say(err.Error())
		return 1
	}
	if err := waitRunning(ctx, c, "slurmtest-left"); err != nil {
		say(err.Error())
		return 1
	}
	say("left")
	return 0
}

func say(s string) { os.Stdout.WriteString(s + "\n") }

// waitRunning waits until the job named name runs.
func waitRunning(ctx context.Context, c *Cluster, name string) error {
	for {
		out, err := c.Output(ctx, "squeue", "-h", "-n", name, "-o", "%T")
		if err == nil && strings.TrimSpace(out) == "RUNNING" {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// assertGone checks, within wait, that no process of the cluster in dir
// runs and that dir is gone.
func assertGone(t *testing.T, dir string, wait time.Duration) {
	t.Helper()
	deadline := time.Now().Add(wait)
	for {
		left := testbed.Marked(dir)
		_, err := os.Stat(dir)
		if len(left) == 0 && os.IsNotExist(err) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: still running: %s; directory: %v", dir, testbed.Describe(left), err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
