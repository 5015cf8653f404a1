package slurmtest

import (
	"context"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// Several test binaries call Start at once; the lock makes them agree on one
// cluster, and every caller can run a job on it.
func TestStartConcurrent(t *testing.T) {
	first := New(t) // skips when the machine cannot run a cluster
	t.Logf("first Start: %v (reused %v, installed %v)", first.Setup.Round(time.Millisecond), first.Reused, first.Installed)
	var wg sync.WaitGroup
	clusters := make([]*Cluster, 4)
	errs := make([]error, 4)
	for i := range clusters {
		wg.Add(1)
		go func() {
			defer wg.Done()
			clusters[i], errs[i] = Start()
		}()
	}
	wg.Wait()
	for i, c := range clusters {
		if errs[i] != nil {
			t.Fatal(errs[i])
		}
		if !c.Reused {
			t.Errorf("Start %d restarted a healthy cluster", i)
		}
		t.Logf("warm Start: %v", c.Setup.Round(time.Microsecond))
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	out, err := clusters[0].Output(ctx, "srun", "-Q", "-N1", "-n1", "-J", "slurmtest-test", "sh", "-c", "echo $SLURM_CLUSTER_NAME")
	if err != nil || strings.TrimSpace(out) != "parmaptest" {
		t.Errorf("srun: %q, %v", out, err)
	}
}

// A zombie is not alive: PID 1 here reaps slowly, and the daemons' pid files
// would otherwise name a dead daemon as running.
func TestAliveZombie(t *testing.T) {
	cmd := exec.Command("sleep", "0")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Wait()
	pid := cmd.Process.Pid
	// Not reaped until Wait: the child turns into a zombie once it exits.
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	err := poll(ctx, "sleep 0 to exit", func() error {
		b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
		if err != nil {
			return err
		}
		if !strings.Contains(string(b), ") Z ") {
			return syscall.EBUSY
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if syscall.Kill(pid, 0) != nil {
		t.Fatal("kill -0 fails on a zombie here; the test premise is wrong")
	}
	if alive(pid, "sleep") {
		t.Error("alive says yes to a zombie")
	}
	if !alive(os.Getpid(), readComm(t)) {
		t.Error("alive says no to this process")
	}
	if alive(os.Getpid(), "slurmd") {
		t.Error("alive ignores the program name")
	}
}

func readComm(t *testing.T) string {
	b, err := os.ReadFile("/proc/self/comm")
	if err != nil {
		t.Skip(err)
	}
	return strings.TrimSpace(string(b))
}

// Restarts: after Stop, and after slurmd was killed with SIGKILL. These stop
// the shared cluster under any other package's running tests, so they run
// only when asked: PARMAP_SLURM_RESTART=1 go test -run Restart ./slurm/slurmtest
func TestRestart(t *testing.T) {
	if os.Getenv("PARMAP_SLURM_RESTART") != "1" {
		t.Skip("stops the shared cluster; set PARMAP_SLURM_RESTART=1")
	}
	New(t)
	if err := Stop(); err != nil {
		t.Fatal(err)
	}
	c := New(t)
	if c.Reused {
		t.Fatal("Start reused a stopped cluster")
	}
	t.Logf("Start after Stop: %v", c.Setup.Round(time.Millisecond))

	pid := daemonPID("slurmd")
	if pid == 0 {
		t.Fatal("no slurmd after Start")
	}
	syscall.Kill(pid, syscall.SIGKILL)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := poll(ctx, "slurmd to die", func() error {
		if alive(pid, "slurmd") {
			return syscall.EBUSY
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	c = New(t)
	if c.Reused {
		t.Fatal("Start reused a cluster whose slurmd was killed")
	}
	t.Logf("Start after kill -9 slurmd: %v", c.Setup.Round(time.Millisecond))
}
