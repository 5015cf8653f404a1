package sshtest

import (
	"bufio"
	"errors"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/parmap/parmap/internal/testbed"
)

// TestBed starts a Bed, logs in on every host, and checks that Close leaves
// no sshd (not even one serving a connection still open), namespace or
// directory behind.
func TestBed(t *testing.T) {
	b, err := Start()
	if err != nil {
		if errors.Is(err, ErrUnavailable) {
			t.Skip(err)
		}
		t.Fatal(err)
	}
	defer b.Close()
	t.Logf("setup %v, user %s, namespaces: %v", b.Setup, b.User, b.NetnsErr)
	for _, h := range []string{Local, Local2} {
		argv := append(append([]string(nil), b.SSH...), h, "echo $PM_HOST $SSH_CONNECTION")
		out, err := exec.Command(argv[0], argv[1:]...).CombinedOutput()
		if err != nil {
			t.Fatalf("%v: %s", err, out)
		}
		t.Logf("%s: %q", h, out)
	}
	if b.NetnsSSH != nil {
		for _, h := range []string{H1, H2} {
			argv := append(append([]string(nil), b.NetnsSSH...), h, "echo $PM_HOST $(hostname) $SSH_CONNECTION")
			out, err := exec.Command(argv[0], argv[1:]...).CombinedOutput()
			if err != nil {
				t.Fatalf("%v: %s", err, out)
			}
			t.Logf("%s: %q", h, out)
			if want := h + " pm-" + h + " "; !strings.HasPrefix(string(out), want) {
				t.Errorf("%s says %q, want %q...", h, out, want)
			}
		}
	}
	var pids []int
	for _, d := range b.daemons {
		pids = append(pids, d.cmd.Process.Pid)
	}
	// A connection still open at Close: its sshd process has left the
	// daemon's group, but carries the mark, and Close cuts it.
	master := exec.Command(b.SSH[0], append(b.SSH[1:], "-N", "-o", "ControlMaster=yes", "-o", "ControlPath="+b.Dir+"/cm", Local)...)
	if err := master.Start(); err != nil {
		t.Fatal(err)
	}
	masterDone := make(chan error, 1)
	go func() { masterDone <- master.Wait() }()
	for {
		check := exec.Command(b.SSH[0], append(b.SSH[1:], "-o", "ControlPath="+b.Dir+"/cm", "-O", "check", Local)...)
		if check.Run() == nil {
			break
		}
		select {
		case err := <-masterDone:
			t.Fatalf("ssh master exited: %v", err)
		case <-time.After(20 * time.Millisecond):
		}
	}
	marked := testbed.Marked(b.Dir)
	t.Logf("marked processes with a connection open: %s", testbed.Describe(marked))
	if len(marked) <= len(pids) {
		t.Errorf("marked processes %v: no per-connection sshd besides the daemons %v", marked, pids)
	}
	namespaces := b.namespaces
	reaper := b.reaper.Process.Pid
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	select {
	case <-masterDone:
	case <-time.After(time.Minute):
		master.Process.Kill()
		t.Error("the ssh master's connection outlived Close")
	}
	for _, pid := range append(pids, reaper) {
		if syscall.Kill(pid, 0) != syscall.ESRCH {
			t.Errorf("process %d still exists after Close", pid)
		}
	}
	if left := testbed.Marked(b.Dir); len(left) > 0 {
		t.Errorf("processes of the bed still run after Close: %s", testbed.Describe(left))
	}
	for _, ns := range namespaces {
		if _, err := os.Stat("/run/netns/" + ns); err == nil {
			t.Errorf("namespace %s still exists after Close", ns)
		}
	}
	if _, err := os.Stat(b.Dir); !os.IsNotExist(err) {
		t.Errorf("%s still exists after Close: %v", b.Dir, err)
	}
}

// abandonEnv makes the test binary a test process that starts a Bed, opens
// a connection and exits without Close.
const abandonEnv = "SSHTEST_ABANDON"

func TestMain(m *testing.M) {
	if os.Getenv(abandonEnv) == "1" {
		os.Exit(abandon())
	}
	os.Exit(m.Run())
}

// A test process that dies without Close leaves nothing running: its sshd
// processes die with it, and the reaper ends the connections they served
// and removes the rest.
func TestAbandonedBedStops(t *testing.T) {
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
	var lines []string
	for sc := bufio.NewScanner(out); sc.Scan(); {
		lines = append(lines, sc.Text())
	}
	if err := cmd.Wait(); err != nil || len(lines) != 2 || lines[1] != "left" {
		if len(lines) > 0 && strings.Contains(lines[0], ErrUnavailable.Error()) {
			t.Skip(lines[0])
		}
		t.Fatalf("abandoning process: %v, said %q", err, lines)
	}
	dir := lines[0]
	for deadline := time.Now().Add(time.Minute); ; time.Sleep(50 * time.Millisecond) {
		left := testbed.Marked(dir)
		_, err := os.Stat(dir)
		if len(left) == 0 && os.IsNotExist(err) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: still running: %s; directory: %v", dir, testbed.Describe(left), err)
		}
	}
}

// abandon starts a Bed, prints its directory, opens an ssh master that
// goes to the background, prints "left" and exits without Close.
func abandon() int {
	b, err := Start()
	if err != nil {
		os.Stdout.WriteString(err.Error() + "\n")
		return 1
	}
	os.Stdout.WriteString(b.Dir + "\n")
	master := exec.Command(b.SSH[0], append(b.SSH[1:], "-fN", "-o", "ControlMaster=yes", "-o", "ControlPath="+b.Dir+"/cm", Local)...)
	if out, err := master.CombinedOutput(); err != nil {
		os.Stdout.WriteString("ssh -fN: " + err.Error() + ": " + string(out) + "\n")
		return 1
	}
	if len(testbed.Marked(b.Dir)) < 2 {
		os.Stdout.WriteString("no per-connection sshd\n")
		return 1
	}
	os.Stdout.WriteString("left\n")
	return 0
}
