package guard

import (
	"bytes"
	"encoding/binary"
	"os/exec"
	"syscall"
	"testing"
	"time"
)

func record(op byte, pgid int) []byte {
	var rec [recordSize]byte
	rec[0] = op
	binary.LittleEndian.PutUint32(rec[4:], uint32(pgid))
	return rec[:]
}

// group starts a process group of its own that lives until killed, and
// returns its id and a channel closed once it died and was reaped.
func group(t *testing.T) (int, <-chan struct{}) {
	t.Helper()
	c := exec.Command("sleep", "100")
	c.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
	// Reaped as it dies, so that its group is gone once it is killed.
	done := make(chan struct{})
	go func() { c.Wait(); close(done) }()
	t.Cleanup(func() { c.Process.Kill(); <-done })
	return c.Process.Pid, done
}

// dies waits for a group's process to die: killed, it is a zombie until
// reaped, and a zombie still answers kill(-pgid, 0).
func dies(t *testing.T, pgid int, done <-chan struct{}) {
	t.Helper()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		t.Errorf("group %d still alive 30 s after end of file", pgid)
	}
}

func alive(pgid int) bool { return syscall.Kill(-pgid, 0) == nil }

// End of file without "bye" kills every group held, and only those: a
// group added twice and removed once is held, one removed as often as
// added is not.
func TestServeKillsAtEOF(t *testing.T) {
	held, heldDone := group(t)
	twice, twiceDone := group(t)
	removed, _ := group(t)
	var in bytes.Buffer
	in.Write(record(opAdd, held))
	in.Write(record(opAdd, twice))
	in.Write(record(opAdd, removed))
	in.Write(record(opAdd, twice))
	in.Write(record(opRemove, twice))
	in.Write(record(opRemove, removed))
	if serve(&in, "") {
		t.Fatal("serve reported bye on end of file")
	}
	dies(t, held, heldDone)
	dies(t, twice, twiceDone)
	if !alive(removed) {
		t.Errorf("group %d, removed, was killed", removed)
	}
}

// "bye" ends the guard with nothing killed.
func TestServeBye(t *testing.T) {
	g, _ := group(t)
	var in bytes.Buffer
	in.Write(record(opAdd, g))
	in.Write(record(opBye, 0))
	if !serve(&in, "") {
		t.Fatal("serve did not report bye")
	}
	if !alive(g) {
		t.Error("a group was killed after bye")
	}
}

// End of file kills a process that carries the run's mark even when it is
// in no group the guard was told of (a job's child that left with setsid,
// or one started before parmap's Add), and leaves one with another mark.
func TestServeKillsMarked(t *testing.T) {
	start := func(token string) *exec.Cmd {
		c := exec.Command("sleep", "100")
		c.Env = []string{"A=1", RunVar + "=" + token, "B=2"}
		c.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
		if err := c.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Process.Kill(); c.Wait() })
		return c
	}
	marked, other := start("abc"), start("abcd")
	died := make(chan error, 1)
	go func() { died <- marked.Wait() }()
	if serve(&bytes.Buffer{}, "abc") {
		t.Fatal("serve reported bye on end of file")
	}
	if err := <-died; err == nil || marked.ProcessState.Sys().(syscall.WaitStatus).Signal() != syscall.SIGKILL {
		t.Errorf("the marked process did not die of SIGKILL: %v", err)
	}
	if syscall.Kill(other.Process.Pid, 0) != nil {
		t.Error("a process with another run's mark was killed")
	}
}
