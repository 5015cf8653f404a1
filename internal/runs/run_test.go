package runs

import (
	"bufio"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

func TestDefaultParent(t *testing.T) {
	t.Setenv("HOME", "/home/u")
	for _, c := range []struct{ xdg, want string }{
		{"/state", "/state/parmap/runs"},
		{"", "/home/u/.local/state/parmap/runs"},
		{"relative/state", "/home/u/.local/state/parmap/runs"},
	} {
		t.Setenv("XDG_STATE_HOME", c.xdg)
		got, err := DefaultParent()
		if err != nil || got != c.want {
			t.Errorf("XDG_STATE_HOME=%q: DefaultParent() = %q, %v; want %q", c.xdg, got, err, c.want)
		}
	}
}

func TestEnsureParentCreates0700(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "state", "parmap", "runs")
	if err := EnsureParent(dir); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(dir)
	if err != nil || fi.Mode().Perm() != 0o700 {
		t.Fatalf("%s: %v, %v; want a directory of mode 0700", dir, fi.Mode(), err)
	}
}

func TestEnsureParentNotADirectory(t *testing.T) {
	file := filepath.Join(t.TempDir(), "file")
	os.WriteFile(file, nil, 0o600)
	err := EnsureParent(filepath.Join(file, "runs"))
	var pe *ParentError
	if !errors.As(err, &pe) || pe.Op != "create" || !errors.Is(err, syscall.ENOTDIR) {
		t.Fatalf("EnsureParent under a file: %v; want a *ParentError create, ENOTDIR", err)
	}
}

// unwritableDir returns a directory the test cannot write in: mode 0500,
// or, as root (who writes there anyway), a read-only tmpfs.
func unwritableDir(t *testing.T) string {
	dir := filepath.Join(t.TempDir(), "ro")
	os.Mkdir(dir, 0o500)
	if os.Getuid() != 0 {
		return dir
	}
	if err := unix.Mount("tmpfs", dir, "tmpfs", unix.MS_RDONLY, "size=4096"); err != nil {
		t.Skipf("as root, a read-only tmpfs is needed: %v", err)
	}
	t.Cleanup(func() { unix.Unmount(dir, unix.MNT_DETACH) })
	return dir
}

func TestCreateUnwritableParent(t *testing.T) {
	dir := unwritableDir(t)
	for _, parent := range []string{dir, filepath.Join(dir, "runs")} {
		_, err := Create(parent, "x", Meta{})
		var pe *ParentError
		if !errors.As(err, &pe) || pe.Path != parent {
			t.Fatalf("Create in %s: %v; want a *ParentError naming it", parent, err)
		}
		if !errors.Is(err, fs.ErrPermission) && !errors.Is(err, syscall.EROFS) {
			t.Errorf("Create in %s: %v; want permission denied or read-only", parent, err)
		}
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 0 {
		t.Errorf("%s holds %v after failing; want nothing", dir, ents)
	}
}

func TestCreateLayout(t *testing.T) {
	parent := t.TempDir()
	r, err := Create(parent, "convert", Meta{Command: []string{"./convert", "{}"}, Dir: "/data"})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if r.ID != "convert" || r.Dir != filepath.Join(parent, "convert") {
		t.Errorf("Run = %q in %s", r.ID, r.Dir)
	}
	fi, err := os.Stat(r.Dir)
	if err != nil || fi.Mode().Perm() != 0o700 {
		t.Errorf("%s: %v %v; want mode 0700", r.Dir, fi.Mode(), err)
	}
	var names []string
	ents, _ := os.ReadDir(r.Dir)
	for _, e := range ents {
		names = append(names, e.Name())
		if fi, _ := e.Info(); fi.Mode().Perm() != 0o600 {
			t.Errorf("%s: mode %v; want 0600", e.Name(), fi.Mode())
		}
	}
	want := []string{"added", "joblog", "lock", "meta.json", "output", "state.json"}
	if !reflect.DeepEqual(names, want) {
		t.Errorf("run directory holds %v; want %v", names, want)
	}
	m, err := r.Meta()
	if err != nil || m.ID != "convert" || m.UID != os.Getuid() || m.Dir != "/data" ||
		!reflect.DeepEqual(m.Command, []string{"./convert", "{}"}) || m.Start.IsZero() {
		t.Errorf("Meta() = %+v, %v", m, err)
	}
	if ents, _ := os.ReadDir(parent); len(ents) != 1 {
		t.Errorf("parent holds %v; want the run only", ents)
	}
	st, err := r.Status()
	if err != nil || st.State != Starting || st.ID != "convert" {
		t.Errorf("Status() = %+v, %v; want starting", st, err)
	}
}

func TestCreateGeneratesIDs(t *testing.T) {
	parent := t.TempDir()
	seen := map[string]bool{}
	for i := 0; i < 20; i++ {
		r, err := Create(parent, "", Meta{})
		if err != nil {
			t.Fatal(err)
		}
		r.Close()
		if !ValidID(r.ID) || len(r.ID) != 8 || seen[r.ID] {
			t.Fatalf("generated id %q: not valid, not 8 bytes, or seen", r.ID)
		}
		seen[r.ID] = true
	}
}

func TestCreateIDInUse(t *testing.T) {
	parent := t.TempDir()
	r, err := Create(parent, "nightly", Meta{Command: []string{"first"}})
	if err != nil {
		t.Fatal(err)
	}
	r.Close()
	_, err = Create(parent, "nightly", Meta{Command: []string{"second"}})
	var inUse *IDInUseError
	if !errors.As(err, &inUse) || inUse.ID != "nightly" {
		t.Fatalf("Create of a used id: %v; want an *IDInUseError", err)
	}
	m, _ := r.Meta()
	if !reflect.DeepEqual(m.Command, []string{"first"}) {
		t.Errorf("the first run's meta became %+v", m)
	}
	if ents, _ := os.ReadDir(parent); len(ents) != 1 {
		t.Errorf("parent holds %v; want the first run only", ents)
	}
	// A plain file of that name is in use as well.
	os.WriteFile(filepath.Join(parent, "file"), nil, 0o600)
	if _, err := Create(parent, "file", Meta{}); !errors.As(err, &inUse) {
		t.Errorf("Create over a file: %v; want an *IDInUseError", err)
	}
}

func TestBadID(t *testing.T) {
	parent := t.TempDir()
	for _, id := range []string{".hidden", "a/b", "..", "a b", "é", strings.Repeat("x", 65), "semi;colon", "nul\x00"} {
		_, err := Create(parent, id, Meta{})
		var bad *BadIDError
		if !errors.As(err, &bad) || bad.ID != id || !strings.Contains(err.Error(), IDRule) {
			t.Errorf("Create(%q): %v; want a *BadIDError quoting the rule", id, err)
		}
		if _, err := Open(parent, id); !errors.As(err, &bad) {
			t.Errorf("Open(%q): %v; want a *BadIDError", id, err)
		}
	}
	for _, id := range []string{"a", "A-b_c.d", "-x", strings.Repeat("x", 64), "2026.12.07"} {
		if !ValidID(id) {
			t.Errorf("ValidID(%q) = false", id)
		}
	}
	if ents, _ := os.ReadDir(parent); len(ents) != 0 {
		t.Errorf("parent holds %v; want nothing", ents)
	}
}

func TestOpenUnknown(t *testing.T) {
	parent := t.TempDir()
	_, err := Open(parent, "nope")
	var unknown *UnknownRunError
	if !errors.As(err, &unknown) || unknown.ID != "nope" || unknown.Parent != parent {
		t.Fatalf("Open of an unknown id: %v; want an *UnknownRunError", err)
	}
	if _, err := Open(filepath.Join(parent, "missing"), "nope"); !errors.As(err, &unknown) {
		t.Fatalf("Open under a missing parent: %v; want an *UnknownRunError", err)
	}
}

// startChild runs the test binary as a run's driver (see TestMain) and
// waits for it to say it is ready; the test's cleanup kills it.
func startChild(t *testing.T, mode, parent, id string, extra ...*os.File) *exec.Cmd {
	cmd, _ := startChildArgs(t, mode, []string{parent, id}, extra...)
	return cmd
}

// startChildArgs is startChild with any arguments; it returns the lines
// the child said before "ready".
func startChildArgs(t *testing.T, mode string, args []string, extra ...*os.File) (*exec.Cmd, []string) {
	t.Helper()
	cmd := exec.Command(os.Args[0], args...)
	cmd.Env = append(os.Environ(), "RUNS_TEST_CHILD="+mode)
	cmd.ExtraFiles = extra
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	rd := bufio.NewReader(out)
	var said []string
	for {
		line, err := rd.ReadString('\n')
		if strings.HasPrefix(line, "ready ") {
			return cmd, said
		}
		if err != nil {
			t.Fatalf("child %s: %q", mode, append(said, line))
		}
		said = append(said, strings.TrimSuffix(line, "\n"))
	}
}

func kill9(t *testing.T, cmd *exec.Cmd) {
	t.Helper()
	cmd.Process.Signal(syscall.SIGKILL)
	cmd.Wait()
}

func TestDeadAfterCreatorKilled(t *testing.T) {
	parent := t.TempDir()
	cmd := startChild(t, "create", parent, "r1")
	r, err := Open(parent, "r1")
	if err != nil {
		t.Fatal(err)
	}
	if st, err := r.Status(); err != nil || st.State != Starting {
		t.Fatalf("live run: Status() = %+v, %v; want starting", st, err)
	}
	var locked *LockedError
	if err := r.Lock(); !errors.As(err, &locked) {
		t.Fatalf("Lock of a live run: %v; want a *LockedError", err)
	}
	kill9(t, cmd)
	st, err := r.Status()
	if err != nil || st.State != Dead || !reflect.DeepEqual(st.Command, []string{"sleep"}) {
		t.Fatalf("after SIGKILL: Status() = %+v, %v; want dead", st, err)
	}
	// --resume-run takes the run over.
	if err := r.Lock(); err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if st, _ := r.Status(); st.State != Starting {
		t.Errorf("locked again: state %s; want starting", st.State)
	}
}

// TestAdoptHandsTheLockOver: the creator passes its locked file to the
// supervisor it starts and closes its own; the run is live throughout, and
// dead once the supervisor is SIGKILLed.
func TestAdoptHandsTheLockOver(t *testing.T) {
	parent := t.TempDir()
	r, err := Create(parent, "r2", Meta{Command: []string{"true"}})
	if err != nil {
		t.Fatal(err)
	}
	cmd := startChild(t, "adopt", parent, "r2", r.LockFile())
	r.Close()
	if r.LockFile() != nil {
		t.Error("LockFile() after Close is not nil")
	}
	st, err := r.Status()
	if err != nil || st.State != Running || st.Done != 3 || st.Total != 9 {
		t.Fatalf("adopted run: Status() = %+v, %v; want running, 3/9", st, err)
	}
	if m, _ := r.Meta(); m.PID != cmd.Process.Pid {
		t.Errorf("meta pid %d; want the supervisor's %d", m.PID, cmd.Process.Pid)
	}
	kill9(t, cmd)
	if st, _ := r.Status(); st.State != Dead || st.Done != 3 {
		t.Fatalf("after SIGKILL: %+v; want dead with the saved counts", st)
	}
}

func TestAdoptWrongFile(t *testing.T) {
	parent := t.TempDir()
	r, err := Create(parent, "r3", Meta{})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	other, _ := os.Open(r.Path(MetaFile))
	defer other.Close()
	if _, err := Adopt(parent, "r3", other); err == nil {
		t.Fatal("Adopt of a file that is not the lock succeeded")
	}
}

func TestFinishIsDone(t *testing.T) {
	parent := t.TempDir()
	r, err := Create(parent, "r4", Meta{})
	if err != nil {
		t.Fatal(err)
	}
	if err := r.SaveStatus(Status{State: Draining, Done: 1, Total: 2}); err != nil {
		t.Fatal(err)
	}
	if st, _ := r.Status(); st.State != Draining {
		t.Errorf("saved draining: state %s", st.State)
	}
	if err := r.Finish(3, Status{Done: 2, Total: 2, Failed: 1}); err != nil {
		t.Fatal(err)
	}
	r.Close()
	o, _ := Open(parent, "r4")
	st, err := o.Status()
	if err != nil || st.State != Done || st.Exit == nil || *st.Exit != 3 || st.Failed != 1 {
		t.Fatalf("finished run: %+v, %v; want done, exit 3", st, err)
	}
	if leftovers, _ := filepath.Glob(filepath.Join(o.Dir, ".*")); len(leftovers) != 0 {
		t.Errorf("temporary files left: %v", leftovers)
	}
}

func TestSaveNeedsTheLock(t *testing.T) {
	parent := t.TempDir()
	r, err := Create(parent, "r5", Meta{})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	o, _ := Open(parent, "r5")
	if err := o.SaveStatus(Status{State: Paused}); !errors.Is(err, ErrNotLocked) {
		t.Errorf("SaveStatus without the lock: %v; want ErrNotLocked", err)
	}
	if err := o.Finish(0, Status{}); !errors.Is(err, ErrNotLocked) {
		t.Errorf("Finish without the lock: %v; want ErrNotLocked", err)
	}
	if st, _ := o.Status(); st.State != Starting {
		t.Errorf("state %s; want starting, unchanged", st.State)
	}
}

// TestCreateRemovesStaleTemporaries: a Create killed halfway leaves a
// .new-* directory; a later Create removes it once it is old and unlocked,
// and leaves alone a young one or one whose lock is held.
func TestCreateRemovesStaleTemporaries(t *testing.T) {
	parent := t.TempDir()
	old := time.Now().Add(-time.Hour)
	mk := func(name string, age time.Time) string {
		dir := filepath.Join(parent, name)
		os.Mkdir(dir, 0o700)
		os.WriteFile(filepath.Join(dir, LockName), nil, 0o600)
		os.Chtimes(dir, age, age)
		return dir
	}
	stale := mk(".new-stale", old)
	young := mk(".new-young", time.Now())
	held := mk(".new-held", old)
	f, _ := os.Open(filepath.Join(held, LockName))
	defer f.Close()
	if err := unix.Flock(int(f.Fd()), unix.LOCK_EX); err != nil {
		t.Fatal(err)
	}
	os.Chtimes(held, old, old)
	r, err := Create(parent, "", Meta{})
	if err != nil {
		t.Fatal(err)
	}
	r.Close()
	for dir, want := range map[string]bool{stale: false, young: true, held: true} {
		if _, err := os.Stat(dir); (err == nil) != want {
			t.Errorf("%s: exists %v; want %v", filepath.Base(dir), err == nil, want)
		}
	}
}

// TestJobsDoNotHoldTheLock: a job the supervisor started does not inherit
// the lock, so once the supervisor is SIGKILLed the run is dead even while
// the job lives on.
func TestJobsDoNotHoldTheLock(t *testing.T) {
	parent := t.TempDir()
	r, err := Create(parent, "r6", Meta{})
	if err != nil {
		t.Fatal(err)
	}
	cmd, said := startChildArgs(t, "adopt", []string{parent, "r6", "job"}, r.LockFile())
	r.Close()
	var job int
	if len(said) != 1 {
		t.Fatalf("child said %q; want a job pid", said)
	}
	fmt.Sscanf(said[0], "job %d", &job)
	t.Cleanup(func() { syscall.Kill(job, syscall.SIGKILL) })
	if err := syscall.Kill(job, 0); err != nil {
		t.Fatalf("job %d: %v", job, err)
	}
	kill9(t, cmd)
	if err := syscall.Kill(job, 0); err != nil {
		t.Fatalf("job %d did not outlive the supervisor: %v", job, err)
	}
	if st, _ := r.Status(); st.State != Dead {
		t.Errorf("supervisor killed, its job alive: state %s; want dead", st.State)
	}
}
