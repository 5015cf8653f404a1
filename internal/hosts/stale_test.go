package hosts

import (
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"
)

// deadPid returns the pid of a process that has exited and been reaped.
func deadPid(t *testing.T) int {
	c := exec.Command("true")
	if err := c.Run(); err != nil {
		t.Fatal(err)
	}
	return c.Process.Pid
}

// controlDir makes a control directory for pid in dir with one socket in
// it; listening tells whether something still listens on the socket. The
// directory is dated age ago.
func controlDir(t *testing.T, dir string, pid int, tag string, listening bool, age time.Duration) string {
	path := filepath.Join(dir, controlDirPrefix+strconv.Itoa(pid)+"-"+tag)
	if err := os.Mkdir(path, 0o700); err != nil {
		t.Fatal(err)
	}
	l, err := net.Listen("unix", filepath.Join(path, "0-0"))
	if err != nil {
		t.Fatal(err)
	}
	l.(*net.UnixListener).SetUnlinkOnClose(false)
	if listening {
		t.Cleanup(func() { l.Close() })
	} else {
		l.Close()
	}
	old := time.Now().Add(-age)
	if err := os.Chtimes(path, old, old); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestNewSweepsWhatAKilledRunLeft: New removes the control directory of a
// parmap that died without Close, and nothing that might belong to a live
// run.
func TestNewSweepsWhatAKilledRunLeft(t *testing.T) {
	dir := t.TempDir()
	dead := deadPid(t)
	stale := controlDir(t, dir, dead, "stale", false, time.Hour)
	keep := map[string]string{
		"its pid lives":         controlDir(t, dir, os.Getpid(), "alive", false, time.Hour),
		"a master listens":      controlDir(t, dir, dead, "listening", true, time.Hour),
		"it is new":             controlDir(t, dir, dead, "young", false, 0),
		"it holds a plain file": controlDir(t, dir, dead, "file", false, time.Hour),
	}
	file := keep["it holds a plain file"]
	if err := os.WriteFile(filepath.Join(file, "notes"), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	old := time.Now().Add(-time.Hour)
	os.Chtimes(file, old, old)

	r, err := New(nil, dir)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if _, err := os.Stat(stale); !os.IsNotExist(err) {
		t.Errorf("the stale directory %s is still there (%v)", stale, err)
	}
	for why, path := range keep {
		if _, err := os.Stat(path); err != nil {
			t.Errorf("%s removed, though %s: %v", path, why, err)
		}
	}
}
