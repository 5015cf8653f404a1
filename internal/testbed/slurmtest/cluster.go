// Package slurmtest starts real single-node Slurm clusters for tests:
// munged, slurmctld and slurmd on this machine, node "localhost" with 2
// CPUs and 1000 MB of memory, partition "debug". It installs the Debian
// packages when they are missing, which needs root.
//
// Each Start makes a private cluster: a directory of its own
// (/tmp/pmslurm-<pid>-<random>: config, state, spool, logs), a munged of
// its own (own key and socket: the system's munge is neither needed nor
// touched) and ports of its own. So the test binaries of a `go test ./...`,
// which run at once, each have theirs, and none can stop a cluster another
// one still uses.
//
// A cluster belongs to a supervisor process: the test binary itself, run
// again in a session of its own (this package's init function turns it
// into the supervisor). The supervisor starts the daemons as its children
// and stops the cluster when its standard input ends: when Close closes
// it, or when the test process dies without Close (a panic, go test's
// -timeout, SIGKILL). Stopping cancels every job and waits for the jobs to
// end (slurmd and slurmctld leave running jobs behind when they stop), then
// stops slurmd, slurmctld and munged and removes the directory. Every
// daemon carries testbed.Mark(Dir) in its environment, and so do the
// slurmstepd processes slurmd starts: a marked process that outlives the
// daemons is killed, and Close reports it.
//
// Client commands (srun, sbatch, salloc, squeue, scontrol) find a cluster
// through SLURM_CONF: run them with Cluster.Env or Cluster.Command.
//
// Only tests import it; parmap's binary does not.
package slurmtest

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/parmap/parmap/internal/testbed"
)

// CPUs is the node's size: an allocation of -n2 holds all of it.
const CPUs = 2

// ErrUnavailable marks errors of Start that come from the machine, not from
// the code under test: not Linux, not root, or the packages cannot be
// installed. Tests skip on it.
var ErrUnavailable = errors.New("slurm test bed unavailable")

// Cluster is a running test cluster.
type Cluster struct {
	// Dir holds the cluster's files; it is removed when the cluster stops.
	Dir string
	// Conf is the slurm.conf; SLURM_CONF must name it.
	Conf string
	// Setup is how long Start took; Installed says it ran apt-get.
	Setup     time.Duration
	Installed bool

	supervisor *exec.Cmd
	in         io.WriteCloser // the supervisor's stdin: closing it stops the cluster
	out        *bufio.Reader  // the supervisor's stdout: its reports
	closeOnce  sync.Once
	closeErr   error
}

// New returns a cluster of tb's own, stopped at the end of tb; it skips tb
// when the machine cannot run one (ErrUnavailable) and fails it on other
// errors.
func New(tb testing.TB) *Cluster {
	tb.Helper()
	c, err := Start()
	if errors.Is(err, ErrUnavailable) {
		tb.Skip(err)
	}
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		if err := c.Close(); err != nil {
			tb.Error(err)
		}
	})
	return c
}

// Start installs Slurm if needed and starts a cluster, which runs until
// Close, or until this process ends. It returns once a job step runs. On
// error nothing of the cluster is left running.
func Start() (*Cluster, error) {
	t0 := time.Now()
	if _, err := os.Stat("/proc/self/stat"); err != nil {
		return nil, fmt.Errorf("%w: needs Linux", ErrUnavailable)
	}
	if os.Geteuid() != 0 {
		return nil, fmt.Errorf("%w: the daemons need root", ErrUnavailable)
	}
	installed, err := install()
	if err != nil {
		return nil, err
	}
	exe, err := os.Executable()
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrUnavailable, err)
	}
	sweepDirs()
	dir, err := os.MkdirTemp("/tmp", "pmslurm-"+strconv.Itoa(os.Getpid())+"-")
	if err != nil {
		return nil, err
	}
	// Jobs (any user) run in the directories the tests give them, but
	// slurmstepd reaches the munge socket in here.
	if err := os.Chmod(dir, 0o755); err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	log, err := os.Create(filepath.Join(dir, "supervisor.log"))
	if err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	defer log.Close()
	c := &Cluster{Dir: dir, Conf: filepath.Join(dir, "slurm.conf"), Installed: installed}
	cmd := exec.Command(exe)
	cmd.Env = append(withoutSupervisor(os.Environ()), supervisorEnv+"="+dir, "GORACE=atexit_sleep_ms=0")
	cmd.Dir = dir
	// A session of its own: the terminal's signals (go test's Ctrl-C) do
	// not reach it; the end of its stdin does.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	cmd.Stderr = log // a file, not a pipe: go test does not wait for it
	if c.in, err = cmd.StdinPipe(); err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	c.supervisor, c.out = cmd, bufio.NewReader(stdout)
	line, _ := c.out.ReadString('\n')
	if line != "ready\n" {
		err := c.finish(line)
		return nil, fmt.Errorf("slurm test cluster in %s: %v", dir, err)
	}
	c.Setup = time.Since(t0)
	return c, nil
}

// Close stops the cluster: it cancels every job and waits for them, stops
// the daemons and removes Dir. It fails when the cluster did not stop
// cleanly (a process of it outlived the daemons and had to be killed).
// Later calls return the first call's result.
func (c *Cluster) Close() error {
	c.closeOnce.Do(func() {
		if err := c.finish(""); err != nil {
			c.closeErr = fmt.Errorf("slurm test cluster in %s: %v", c.Dir, err)
		}
	})
	return c.closeErr
}

// finish reads the supervisor's last report (after first, a line already
// read) and waits for it to exit. It gives the supervisor 3 minutes (it
// waits up to a minute for jobs to end); then it kills it, and its daemons
// die with it.
func (c *Cluster) finish(first string) error {
	c.in.Close()
	kill := time.AfterFunc(3*time.Minute, func() { c.supervisor.Process.Kill() })
	defer kill.Stop()
	rest, _ := io.ReadAll(c.out)
	report := strings.TrimSpace(first + string(rest))
	err := c.supervisor.Wait()
	switch {
	case report == "stopped" && err == nil:
		return nil
	case strings.HasPrefix(report, "error\n"):
		return errors.New(strings.TrimPrefix(report, "error\n"))
	default:
		log, _ := os.ReadFile(filepath.Join(c.Dir, "supervisor.log"))
		return fmt.Errorf("supervisor: %v, said %q, log: %s", err, report, tail(log))
	}
}

// withoutSupervisor is env without supervisorEnv and GORACE.
func withoutSupervisor(env []string) []string {
	var out []string
	for _, kv := range env {
		if !strings.HasPrefix(kv, supervisorEnv+"=") && !strings.HasPrefix(kv, "GORACE=") {
			out = append(out, kv)
		}
	}
	return out
}

// Env is the environment for Slurm's client commands: this process's,
// without variables that would change what they do (SLURM_*, SBATCH_*,
// SALLOC_*, SRUN_*, SQUEUE_*, SINFO_*), plus SLURM_CONF.
func (c *Cluster) Env() []string { return clientEnv(c.Conf) }

func clientEnv(conf string) []string {
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
	return append(env, "SLURM_CONF="+conf)
}

// Command is a client command for the cluster, with Env. When ctx ends it
// gets SIGTERM, which srun and salloc answer by cancelling their step or
// allocation, and SIGKILL 10 s later.
func (c *Cluster) Command(ctx context.Context, name string, args ...string) *exec.Cmd {
	return clientCommand(ctx, c.Conf, name, args...)
}

func clientCommand(ctx context.Context, conf, name string, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Env = clientEnv(conf)
	cmd.Cancel = func() error { return cmd.Process.Signal(syscall.SIGTERM) }
	cmd.WaitDelay = 10 * time.Second
	return cmd
}

// Output runs a client command and returns its stdout; the error has its
// stderr.
func (c *Cluster) Output(ctx context.Context, name string, args ...string) (string, error) {
	return clientOutput(ctx, c.Conf, name, args...)
}

func clientOutput(ctx context.Context, conf, name string, args ...string) (string, error) {
	cmd := clientCommand(ctx, conf, name, args...)
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

// sweepDirs removes the directories of clusters whose test process and
// supervisor are both gone (a supervisor killed with SIGKILL cannot remove
// its own).
func sweepDirs() {
	entries, _ := os.ReadDir("/tmp")
	for _, e := range entries {
		name, ok := strings.CutPrefix(e.Name(), "pmslurm-")
		if !ok {
			continue
		}
		pid, err := strconv.Atoi(strings.Split(name, "-")[0])
		if err != nil || pid == os.Getpid() || syscall.Kill(pid, 0) != syscall.ESRCH {
			continue
		}
		dir := filepath.Join("/tmp", e.Name())
		if b, err := os.ReadFile(filepath.Join(dir, "supervisor.pid")); err == nil {
			if spid, err := strconv.Atoi(strings.TrimSpace(string(b))); err == nil && syscall.Kill(spid, 0) != syscall.ESRCH {
				continue // still stopping
			}
		}
		testbed.Stop(dir, syscall.SIGKILL, 0) // what its daemons left (they died with it)
		os.RemoveAll(dir)
	}
}

// tail is the end of a command's output or a log, for an error message.
func tail(b []byte) string {
	s := strings.TrimSpace(string(b))
	if len(s) > 500 {
		s = "…" + s[len(s)-500:]
	}
	return s
}
