package cmd

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/parmap/parmap/internal/fswait"
	"github.com/parmap/parmap/internal/guard"
	"github.com/parmap/parmap/internal/joblog"
)

// survivorJobs are jobs that outlive a SIGKILLed parmap without a guard:
// a background grandchild in a subshell that has exited, a job that
// ignores SIGTERM, a background child. Each touches started/N once it runs.
var survivorJobs = []string{
	"(sleep 100 &); touch started/1; sleep 100",
	"trap '' TERM; touch started/2; sleep 100",
	"sleep 100 & touch started/3; wait",
}

// startSurvivors starts parmap on survivorJobs with extra options, every
// job marked with a token in its environment, and returns once each job
// runs.
func startSurvivors(t *testing.T, dir, token string, opts ...string) *exec.Cmd {
	t.Helper()
	if err := os.Mkdir(filepath.Join(dir, "started"), 0o755); err != nil {
		t.Fatal(err)
	}
	args := append(append([]string{"-j", strconv.Itoa(len(survivorJobs))}, opts...), "sh", "-c", "{}", ":::")
	c := exec.Command(parmapBinary(t), append(args, survivorJobs...)...)
	c.Dir = dir
	c.Env = append(os.Environ(), "PARMAP_KILL_TEST="+token)
	var stderr bytes.Buffer
	c.Stderr = &stderr
	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	go func() { c.Process.Wait(); close(exited) }()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	err := fswait.Until(ctx, filepath.Join(dir, "started"), exited, func() bool {
		ents, _ := os.ReadDir(filepath.Join(dir, "started"))
		return len(ents) == len(survivorJobs)
	})
	if err != nil {
		c.Process.Kill()
		t.Fatalf("jobs did not start: %v; stderr: %s", err, stderr.String())
	}
	// c.Process.Wait runs above; Cmd.Wait is not used.
	t.Cleanup(func() { c.Process.Kill(); <-exited; killMarked(token) })
	return c
}

// marked returns the live processes whose environment holds the token.
func marked(token string) []int {
	ents, _ := os.ReadDir("/proc")
	var pids []int
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		env, err := os.ReadFile(fmt.Sprintf("/proc/%d/environ", pid))
		if err != nil || !bytes.Contains(env, []byte("PARMAP_KILL_TEST="+token+"\x00")) {
			continue // gone, not ours, or a zombie (whose environ is empty)
		}
		pids = append(pids, pid)
	}
	return pids
}

// killMarked kills what a failed test left behind.
func killMarked(token string) {
	for _, pid := range marked(token) {
		syscall.Kill(pid, syscall.SIGKILL)
	}
}

// describe lists processes for a failure message.
func describePids(pids []int) string {
	var s []string
	for _, pid := range pids {
		cmd, _ := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
		s = append(s, fmt.Sprintf("%d %q", pid, strings.ReplaceAll(string(cmd), "\x00", " ")))
	}
	return strings.Join(s, "; ")
}

// SIGKILL of parmap leaves no process of any job alive: the guard kills
// the groups, background grandchildren and SIGTERM-ignoring jobs included,
// and lets go of the job log only then, so a --resume that gets the log
// runs beside no survivor. The guard is a session of its own, with neither
// of parmap's output streams.
func TestSigkillLeavesNoJob(t *testing.T) {
	dir := t.TempDir()
	token := strconv.FormatInt(time.Now().UnixNano(), 36)
	log := filepath.Join(dir, "jl")
	c := startSurvivors(t, dir, token, "--joblog", log)

	g := guardOf(t, c.Process.Pid)
	if sid, _ := unix.Getsid(g); sid != g {
		t.Errorf("guard %d is in session %d, not one of its own", g, sid)
	}
	for _, fd := range []string{"1", "2"} {
		if to, _ := os.Readlink(fmt.Sprintf("/proc/%d/fd/%s", g, fd)); to != os.DevNull {
			t.Errorf("guard's fd %s is %q, want %s", fd, to, os.DevNull)
		}
	}

	c.Process.Signal(syscall.SIGKILL)
	killed := time.Now()
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	l, err := joblog.OpenWaiting(ctx, log, true, nil)
	if err != nil {
		t.Fatalf("job log still held a second after SIGKILL: %v; alive: %s", err, describePids(marked(token)))
	}
	l.Close()
	t.Logf("the job log was free %v after SIGKILL", time.Since(killed).Round(time.Millisecond))
	if pids := marked(token); len(pids) > 0 {
		t.Fatalf("the job log was let go while processes of the killed run live: %s", describePids(pids))
	}
}

// Without a job log (here with --results) nothing is left alive either,
// within a second.
func TestSigkillLeavesNoJobWithoutJoblog(t *testing.T) {
	dir := t.TempDir()
	token := strconv.FormatInt(time.Now().UnixNano(), 36)
	c := startSurvivors(t, dir, token, "--results", filepath.Join(dir, "res"))
	c.Process.Signal(syscall.SIGKILL)
	// The guard's work has no event of its own to wait for here: the
	// deadline is what is asserted.
	deadline := time.Now().Add(time.Second)
	for {
		pids := marked(token)
		if len(pids) == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("alive a second after parmap's SIGKILL: %s", describePids(pids))
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// guardOf returns the pid of parmap's guard: the process whose arguments
// are the guard's marker and whose parent is parmap.
func guardOf(t *testing.T, parmap int) int {
	t.Helper()
	ents, _ := os.ReadDir("/proc")
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		cmd, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
		if err != nil || !bytes.HasSuffix(cmd, []byte("\x00"+guard.Marker+"\x00")) {
			continue
		}
		stat, _ := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
		f := strings.Fields(string(stat[bytes.LastIndexByte(stat, ')')+1:]))
		if len(f) > 1 && f[1] == strconv.Itoa(parmap) {
			return pid
		}
	}
	t.Fatal("parmap runs jobs, and has no guard")
	return 0
}
