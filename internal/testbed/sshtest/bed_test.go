package sshtest

import (
	"errors"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
)

// TestBed starts a Bed, logs in on every host, and checks that Close leaves
// no sshd, namespace or directory behind.
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
	namespaces := b.namespaces
	reaper := b.reaper.Process.Pid
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	for _, pid := range append(pids, reaper) {
		if syscall.Kill(pid, 0) != syscall.ESRCH {
			t.Errorf("process %d still exists after Close", pid)
		}
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
