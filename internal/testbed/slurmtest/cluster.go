// Package slurmtest starts a real single-node Slurm cluster for tests: munged,
// slurmctld and slurmd on this machine, node "localhost" with 2 CPUs and
// 1000 MB of memory, partition "debug". It installs the Debian packages when
// they are missing, which needs root.
//
// The cluster is shared and stays up. Its files live in Dir, a fixed path,
// so every test binary of a `go test ./...` (they run concurrently) and every
// later run finds the same cluster: Start takes an flock on Dir/lock,
// reuses the daemons when they answer, and (re)starts them otherwise.
// Leaving it up makes a warm Start cost a few commands instead of a restart
// and the wait for the node; Stop ends it. Start never stops a healthy
// cluster, so tests of several packages can use it at once; each must clean
// up its own jobs (squeue -n NAME, scancel -n NAME).
//
// Client commands (srun, sbatch, salloc, squeue, scontrol) find the cluster
// through SLURM_CONF: run them with Cluster.Env or Cluster.Command. The
// cluster uses ports 6917 and 6918, not Slurm's 6817 and 6818, so it does
// not meet a cluster configured the usual way.
//
// Only tests import it; parmap's binary does not.
package slurmtest

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// Dir holds the cluster's config, state, spool, pid and log files.
const Dir = "/tmp/parmap-slurm"

// CPUs is the node's size: an allocation of -n2 holds all of it.
const CPUs = 2

// ErrUnavailable marks errors of Start that come from the machine, not from
// the code under test: not Linux, not root, or the packages cannot be
// installed. Tests skip on it.
var ErrUnavailable = errors.New("slurm test bed unavailable")

// Cluster is a running test cluster.
type Cluster struct {
	// Conf is the slurm.conf; SLURM_CONF must name it.
	Conf string
	// Setup is how long Start took; Reused says the daemons were already up,
	// Installed that Start ran apt-get.
	Setup     time.Duration
	Reused    bool
	Installed bool
}

// New returns the cluster for tb, starting it if needed; it skips tb when the
// machine cannot run one (ErrUnavailable) and fails it on other errors. The
// cluster stays up after tb.
func New(tb testing.TB) *Cluster {
	tb.Helper()
	c, err := Start()
	if errors.Is(err, ErrUnavailable) {
		tb.Skip(err)
	}
	if err != nil {
		tb.Fatal(err)
	}
	return c
}

// Start returns the cluster, reusing running daemons that answer and
// installing and (re)starting what is missing. It waits until a step runs:
// at most about 30 s after the packages are there.
func Start() (*Cluster, error) {
	t0 := time.Now()
	c := &Cluster{Conf: filepath.Join(Dir, "slurm.conf")}
	if _, err := os.Stat("/proc/self/stat"); err != nil {
		return nil, fmt.Errorf("%w: needs Linux", ErrUnavailable)
	}
	if err := os.MkdirAll(Dir, 0o755); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrUnavailable, err)
	}
	unlock, err := lock(filepath.Join(Dir, "lock"))
	if err != nil {
		return nil, err
	}
	defer unlock()

	conf := config()
	if old, err := os.ReadFile(c.Conf); err == nil && string(old) == conf && c.healthy() == nil {
		c.Reused = true
		c.Setup = time.Since(t0)
		return c, nil
	}
	if os.Geteuid() != 0 {
		return nil, fmt.Errorf("%w: not root, and no test cluster is running in %s", ErrUnavailable, Dir)
	}
	if c.Installed, err = install(); err != nil {
		return nil, err
	}
	if err := startMunge(); err != nil {
		return nil, err
	}
	if err := stopDaemons(); err != nil {
		return nil, err
	}
	if err := c.startDaemons(conf); err != nil {
		return nil, err
	}
	c.Setup = time.Since(t0)
	return c, nil
}

// Stop ends the cluster's slurmctld and slurmd (munged, shared with the
// system, stays). Running jobs die with them.
func Stop() error {
	unlock, err := lock(filepath.Join(Dir, "lock"))
	if err != nil {
		return err
	}
	defer unlock()
	return stopDaemons()
}

// Env is the environment for Slurm's client commands: this process's,
// without variables that would change what they do (SLURM_*, SBATCH_*,
// SALLOC_*, SRUN_*, SQUEUE_*, SINFO_*), plus SLURM_CONF.
func (c *Cluster) Env() []string {
	var env []string
	for _, kv := range os.Environ() {
		name, _, _ := strings.Cut(kv, "=")
		switch {
		case strings.HasPrefix(name, "SLURM_"), strings.HasPrefix(name, "SBATCH_"),
			strings.HasPrefix(name, "SALLOC_"), strings.HasPrefix(name, "SRUN_"),
			strings.HasPrefix(name, "SQUEUE_"), strings.HasPrefix(name, "SINFO_"):
			continue
		}
		env = append(env, kv)
	}
	return append(env, "SLURM_CONF="+c.Conf)
}

// Command is a client command for the cluster, with Env. When ctx ends it
// gets SIGTERM, which srun and salloc answer by cancelling their step or
// allocation, and SIGKILL 10 s later.
func (c *Cluster) Command(ctx context.Context, name string, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Env = c.Env()
	cmd.Cancel = func() error { return cmd.Process.Signal(syscall.SIGTERM) }
	cmd.WaitDelay = 10 * time.Second
	return cmd
}

// Output runs a client command and returns its stdout; the error has its
// stderr.
func (c *Cluster) Output(ctx context.Context, name string, args ...string) (string, error) {
	cmd := c.Command(ctx, name, args...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return string(out), fmt.Errorf("%s %s: %v: %s", name, strings.Join(args, " "), err, strings.TrimSpace(stderr.String()))
	}
	return string(out), nil
}

// WaitGone polls squeue every 0.1 s until none of the jobs is pending,
// running or completing (an array job counts until its last task ends),
// or ctx ends. It is much faster than sbatch --wait.
func (c *Cluster) WaitGone(ctx context.Context, jobIDs ...string) error {
	for {
		out, err := c.Output(ctx, "squeue", "-h", "-o", "%i %T", "-j", strings.Join(jobIDs, ","))
		if err == nil && strings.TrimSpace(out) == "" {
			return nil
		}
		// squeue fails on ids it no longer knows ("Invalid job id
		// specified") once MinJobAge has passed: gone too.
		if err != nil && strings.Contains(err.Error(), "Invalid job id") {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("jobs %s still queued: %s (%v)", strings.Join(jobIDs, ","), strings.TrimSpace(out), ctx.Err())
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// config is the slurm.conf: the one TESTBEDS.md found to work, with private
// paths and ports, memory as a consumable (so that tests see what sbatch
// --mem does to steps, as on real clusters), and the hardware check off (a
// smaller machine still has a 2-CPU node).
func config() string {
	return strings.Join([]string{
		"# Written by parmap's slurm/slurmtest; rewritten when it changes.",
		"ClusterName=parmaptest",
		"SlurmctldHost=localhost",
		"SlurmctldPort=6917",
		"SlurmdPort=6918",
		"SlurmUser=root",
		"SlurmdUser=root",
		"AuthType=auth/munge",
		"CredType=cred/munge",
		"StateSaveLocation=" + Dir + "/state",
		"SlurmdSpoolDir=" + Dir + "/spool",
		"SlurmctldPidFile=" + Dir + "/slurmctld.pid",
		"SlurmdPidFile=" + Dir + "/slurmd.pid",
		"SlurmctldLogFile=" + Dir + "/slurmctld.log",
		"SlurmdLogFile=" + Dir + "/slurmd.log",
		"ProctrackType=proctrack/linuxproc",
		"TaskPlugin=task/none",
		"JobAcctGatherType=jobacct_gather/none",
		"AccountingStorageType=accounting_storage/none",
		"JobCompType=jobcomp/none",
		"MpiDefault=none",
		"SwitchType=switch/none",
		"SchedulerType=sched/backfill",
		"SchedulerParameters=batch_sched_delay=0,sched_min_interval=0,default_queue_depth=1000",
		"SelectType=select/cons_tres",
		"SelectTypeParameters=CR_Core_Memory",
		"DefMemPerCPU=100",
		"SlurmdParameters=config_overrides",
		"ReturnToService=2",
		"MinJobAge=300",
		"NodeName=localhost CPUs=2 RealMemory=1000 State=UNKNOWN",
		"PartitionName=debug Nodes=ALL Default=YES MaxTime=INFINITE State=UP",
		"",
	}, "\n")
}

// lock takes an exclusive flock on path; the returned func releases it.
func lock(path string) (func(), error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o666)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrUnavailable, err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
		f.Close()
		return nil, fmt.Errorf("lock %s: %v", path, err)
	}
	return func() { f.Close() }, nil
}

// healthy checks, quickly, that the daemons run and the node takes work.
// It does not run a step: another package's allocation may hold the node.
func (c *Cluster) healthy() error {
	for _, d := range []string{"slurmctld", "slurmd"} {
		if pid := daemonPID(d); pid == 0 {
			return fmt.Errorf("%s is not running", d)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := exec.CommandContext(ctx, "munge", "-n").Run(); err != nil {
		return fmt.Errorf("munge -n: %v", err)
	}
	if out, err := c.Output(ctx, "scontrol", "ping"); err != nil || !strings.Contains(out, "is UP") {
		return fmt.Errorf("scontrol ping: %q, %v", out, err)
	}
	return c.nodeUp(ctx)
}

// nodeUp checks that the node is in a state that runs jobs. "idle*" (not
// responding), down, drained and unknown are not.
func (c *Cluster) nodeUp(ctx context.Context) error {
	out, err := c.Output(ctx, "sinfo", "-h", "-n", "localhost", "-o", "%T")
	if err != nil {
		return err
	}
	switch state := strings.TrimSpace(out); state {
	case "idle", "mixed", "allocated", "completing":
		return nil
	default:
		return fmt.Errorf("node localhost is %q", state)
	}
}

// install installs the packages if a program is missing; apt-get update
// only if the first try fails.
func install() (bool, error) {
	missing := false
	for _, p := range []string{"/usr/sbin/slurmctld", "/usr/sbin/slurmd", "/usr/bin/srun", "/usr/bin/sbatch", "/usr/sbin/munged", "/usr/bin/munge"} {
		if _, err := os.Stat(p); err != nil {
			missing = true
		}
	}
	if !missing {
		return false, nil
	}
	if _, err := exec.LookPath("apt-get"); err != nil {
		return false, fmt.Errorf("%w: Slurm is not installed and there is no apt-get", ErrUnavailable)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	apt := func(args ...string) error {
		cmd := exec.CommandContext(ctx, "apt-get", args...)
		cmd.Env = append(os.Environ(), "DEBIAN_FRONTEND=noninteractive")
		out, err := cmd.CombinedOutput()
		if err != nil {
			return fmt.Errorf("apt-get %s: %v: %s", strings.Join(args, " "), err, tail(out))
		}
		return nil
	}
	get := []string{"install", "-y", "--no-install-recommends", "-o", "DPkg::Lock::Timeout=120",
		"slurmctld", "slurmd", "slurm-client", "munge"}
	if err := apt(get...); err != nil {
		if err := apt("update"); err != nil {
			return false, fmt.Errorf("%w: %v", ErrUnavailable, err)
		}
		if err := apt(get...); err != nil {
			return false, fmt.Errorf("%w: %v", ErrUnavailable, err)
		}
	}
	return true, nil
}

// startMunge starts munged as the munge user unless one answers.
func startMunge() error {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if exec.CommandContext(ctx, "munge", "-n").Run() == nil {
		return nil
	}
	u, err := user.Lookup("munge")
	if err != nil {
		return fmt.Errorf("user munge: %v", err)
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	const key = "/etc/munge/munge.key"
	if _, err := os.Stat(key); err != nil {
		b := make([]byte, 1024)
		rand.Read(b)
		if err := os.WriteFile(key, b, 0o400); err != nil {
			return err
		}
		if err := os.Chown(key, uid, gid); err != nil {
			return err
		}
	}
	if err := os.MkdirAll("/run/munge", 0o755); err != nil {
		return err
	}
	if err := os.Chown("/run/munge", uid, gid); err != nil {
		return err
	}
	// --force: start despite a socket or pid file left by a dead munged.
	if out, err := exec.CommandContext(ctx, "runuser", "-u", "munge", "--", "/usr/sbin/munged", "--force").CombinedOutput(); err != nil {
		return fmt.Errorf("munged: %v: %s", err, tail(out))
	}
	return poll(ctx, "munge -n", func() error { return exec.CommandContext(ctx, "munge", "-n").Run() })
}

// startDaemons writes the config, clears the state and starts slurmctld
// and slurmd, then waits until a step runs.
func (c *Cluster) startDaemons(conf string) error {
	for _, d := range []string{"state", "spool"} {
		if err := os.RemoveAll(filepath.Join(Dir, d)); err != nil {
			return err
		}
		if err := os.MkdirAll(filepath.Join(Dir, d), 0o755); err != nil {
			return err
		}
	}
	if err := os.WriteFile(c.Conf, []byte(conf), 0o644); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	// Both daemonize: Run returns when the first process exits. Their output
	// goes to a file, not a pipe, which the daemon would keep open.
	for _, argv := range [][]string{
		{"slurmctld", "-c", "-f", c.Conf}, // -c: no jobs from an earlier life
		{"slurmd", "-N", "localhost", "-f", c.Conf},
	} {
		out, err := os.OpenFile(filepath.Join(Dir, argv[0]+".out"), os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
		if err != nil {
			return err
		}
		cmd := c.Command(ctx, argv[0], argv[1:]...)
		cmd.Dir = Dir // not the test's directory, which may go away
		cmd.Stdout, cmd.Stderr = out, out
		err = cmd.Run()
		out.Close()
		if err != nil {
			b, _ := os.ReadFile(out.Name())
			return fmt.Errorf("%s: %v: %s", strings.Join(argv, " "), err, tail(b))
		}
	}
	if err := poll(ctx, "node localhost up", func() error { return c.nodeUp(ctx) }); err != nil {
		return fmt.Errorf("%v; see %s/slurmctld.log and slurmd.log", err, Dir)
	}
	// After a restart the controller may call the node idle before slurmd
	// has registered (TESTBEDS.md, gotcha 12): only a step proves it.
	return poll(ctx, "srun true", func() error {
		probe, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		_, err := c.Output(probe, "srun", "-N1", "-n1", "-Q", "-J", "slurmtest-probe", "true")
		return err
	})
}

// stopDaemons ends the slurmctld and slurmd named by the pid files: SIGTERM,
// then SIGKILL after 10 s.
func stopDaemons() error {
	for _, d := range []string{"slurmd", "slurmctld"} {
		pid := daemonPID(d)
		if pid == 0 {
			continue
		}
		syscall.Kill(pid, syscall.SIGTERM)
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		err := poll(ctx, d+" exit", func() error {
			if alive(pid, d) {
				return fmt.Errorf("pid %d alive", pid)
			}
			return nil
		})
		cancel()
		if err != nil {
			syscall.Kill(pid, syscall.SIGKILL)
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			err = poll(ctx, d+" exit after SIGKILL", func() error {
				if alive(pid, d) {
					return fmt.Errorf("pid %d alive", pid)
				}
				return nil
			})
			cancel()
			if err != nil {
				return err
			}
		}
		os.Remove(filepath.Join(Dir, d+".pid"))
	}
	return nil
}

// daemonPID is the pid in Dir/NAME.pid if that process is alive and is NAME;
// 0 otherwise.
func daemonPID(name string) int {
	b, err := os.ReadFile(filepath.Join(Dir, name+".pid"))
	if err != nil {
		return 0
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil || pid <= 0 || !alive(pid, name) {
		return 0
	}
	return pid
}

// alive reports whether pid runs the program comm. A zombie is dead: PID 1
// here reaps slowly, and kill -0 succeeds on a zombie (TESTBEDS.md, gotcha
// 11).
func alive(pid int, comm string) bool {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return false
	}
	// pid (comm) state ...
	s := string(b)
	lp, rp := strings.IndexByte(s, '('), strings.LastIndexByte(s, ')')
	if lp < 0 || rp < lp || rp+2 >= len(s) {
		return false
	}
	return s[lp+1:rp] == comm && s[rp+2] != 'Z' && s[rp+2] != 'X'
}

// poll calls f every 0.1 s until it succeeds or ctx ends.
func poll(ctx context.Context, what string, f func() error) error {
	for {
		err := f()
		if err == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("waiting for %s: %v", what, err)
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// tail is the end of a command's output, for an error message.
func tail(b []byte) string {
	s := strings.TrimSpace(string(b))
	if len(s) > 500 {
		s = "…" + s[len(s)-500:]
	}
	return s
}
