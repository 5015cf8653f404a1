package cgroup

import (
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// The test binary doubles as a job: with CGROUP_TEST_CHILD set, TestMain
// runs the named behaviour instead of the tests.
func TestMain(m *testing.M) {
	if exit, shim := RunShim(); shim {
		os.Exit(exit)
	}
	switch os.Getenv("CGROUP_TEST_CHILD") {
	case "":
		os.Exit(m.Run())
	case "cgroup":
		b, _ := os.ReadFile("/proc/self/cgroup")
		os.Stdout.Write(b)
	case "alloc": // touch 256 MiB
		b := make([]byte, 256<<20)
		for i := range len(b) / 4096 {
			b[i*4096] = 1
		}
		fmt.Println("survived")
	case "sleep":
		time.Sleep(time.Minute)
	case "leave": // leave a grandchild in a session of its own, say its pid
		cmd := exec.Command(os.Args[0])
		cmd.Env = append(os.Environ(), "CGROUP_TEST_CHILD=sleep")
		cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
		if err := cmd.Start(); err != nil {
			panic(err)
		}
		fmt.Println(cmd.Process.Pid)
	}
	os.Exit(0)
}

// fakeProc makes a /proc/self with these mountinfo and cgroup files under
// a temporary procRoot, for the test's length.
func fakeProc(t *testing.T, mountinfo, cgroup string) {
	t.Helper()
	root := t.TempDir()
	dir := filepath.Join(root, "proc", "self")
	os.MkdirAll(dir, 0o755)
	os.WriteFile(filepath.Join(dir, "mountinfo"), []byte(mountinfo), 0o644)
	os.WriteFile(filepath.Join(dir, "cgroup"), []byte(cgroup), 0o644)
	old := procRoot
	procRoot = root
	t.Cleanup(func() { procRoot = old })
}

func TestReadMountsAndOwnGroups(t *testing.T) {
	fakeProc(t, ""+
		"25 1 0:22 / /sys/fs/cgroup rw - tmpfs tmpfs rw\n"+
		"36 25 0:31 / /sys/fs/cgroup/memory rw,relatime shared:9 - cgroup cgroup rw,memory\n"+
		"37 25 0:32 /outer /sys/fs/cgroup/cpu,cpuacct rw - cgroup cgroup rw,cpu,cpuacct\n"+
		"38 25 0:33 / /sys/fs/cgroup/uni\\040fied rw - cgroup2 cgroup2 rw\n",
		"4:memory:/process_api/abc\n2:cpu,cpuacct:/outer/x\n0::/user.slice\n")
	mounts, err := readMounts()
	if err != nil || len(mounts) != 3 {
		t.Fatalf("mounts %+v, %v; want the three cgroup ones", mounts, err)
	}
	if m := mounts[2]; m.fstype != "cgroup2" || m.point != "/sys/fs/cgroup/uni fied" {
		t.Errorf("cgroup2 mount %+v", m)
	}
	own, err := readOwn()
	if err != nil {
		t.Fatal(err)
	}
	for c, want := range map[string]string{"memory": "/process_api/abc", "cpu": "/outer/x", "cpuacct": "/outer/x", "": "/user.slice"} {
		if own[c] != want {
			t.Errorf("own[%q] = %q, want %q", c, own[c], want)
		}
	}
	if d := dirOf(mounts[0], own["memory"]); d != "/sys/fs/cgroup/memory/process_api/abc" {
		t.Errorf("memory group %q", d)
	}
	// A mount of a subtree: the path is under its root.
	if d := dirOf(mounts[1], own["cpu"]); d != "/sys/fs/cgroup/cpu,cpuacct/x" {
		t.Errorf("cpu group %q", d)
	}
}

func TestOpenWithoutCgroups(t *testing.T) {
	fakeProc(t, "25 1 0:22 / /tmp rw - tmpfs tmpfs rw\n", "0::/\n")
	if tr, err := Open(Limits{}); err != nil || tr.Kind() != None {
		t.Errorf("no limits: %v, %v", tr, err)
	}
	tr, err := Open(Limits{Memory: 1 << 30})
	if err != nil || tr.Kind() != Rlimit {
		t.Fatalf("a memory limit without cgroups: %v, %v; want RLIMIT_AS", tr, err)
	}
	tr.Close()
	if _, err := Open(Limits{Memory: 1 << 30, CPUs: 1}); !errors.Is(err, ErrNoCgroup) {
		t.Errorf("a CPU limit without cgroups: %v, want ErrNoCgroup", err)
	}
}

func child(mode string) func(int, bool) (*os.Process, error) { return childTo(mode, os.Stdout) }

func childTo(mode string, out *os.File) func(int, bool) (*os.Process, error) {
	return func(fd int, _ bool) (*os.Process, error) {
		attr := &os.ProcAttr{Env: append(os.Environ(), "CGROUP_TEST_CHILD="+mode), Files: []*os.File{nil, out, os.Stderr},
			Sys: &syscall.SysProcAttr{Setpgid: true}}
		if fd >= 0 {
			attr.Sys.UseCgroupFD, attr.Sys.CgroupFD = true, fd
		}
		return os.StartProcess(os.Args[0], []string{os.Args[0]}, attr)
	}
}

// Under RLIMIT_AS a job starts through the shim, which sets the limit on
// itself and then execs the program: the program has the limit from its
// first instruction, its argv and environment are its own.
func TestRlimitIsSetOnTheJob(t *testing.T) {
	tr := &Tree{kind: Rlimit, limits: Limits{Memory: 3 << 30}, slots: map[int]*Group{}}
	sh, err := exec.LookPath("sh")
	if err != nil {
		t.Fatal(err)
	}
	path, argv, env, err := tr.Shim(sh, []string{"mysh", "-c", `echo "$0 $SHIMTEST $PARMAP_RLIMIT_EXEC"; grep "^Max address space" /proc/self/limits`}, append(os.Environ(), "SHIMTEST=kept"))
	if err != nil {
		t.Fatal(err)
	}
	if path != "/proc/self/exe" || argv[0] != ShimName {
		t.Errorf("Shim: %s %q", path, argv)
	}
	c := &exec.Cmd{Path: path, Args: argv, Env: env}
	out, err := c.CombinedOutput()
	if err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	want := strconv.Itoa(3 << 30)
	if !regexp.MustCompile(`^mysh kept \nMax address space +` + want + ` +` + want + ` +bytes`).Match(out) {
		t.Errorf("the job said %q; want its argv[0], its environment without the shim's marks, and %s soft and hard", out, want)
	}
	// Without a memory limit, or with a cgroup, nothing changes.
	none := &Tree{kind: V1, limits: Limits{Memory: 1 << 30}}
	if p, a, e, _ := none.Shim(sh, []string{"sh"}, nil); p != sh || len(a) != 1 || e != nil {
		t.Errorf("Shim of a v1 tree: %s %q %q", p, a, e)
	}
}

// runIn starts mode in g, waits for it and returns its output and status.
func runIn(t *testing.T, g *Group, mode string) (string, syscall.WaitStatus) {
	t.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	proc, err := g.Fork(childTo(mode, w))
	w.Close()
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(r)
	st, err := proc.Wait()
	if err != nil {
		t.Fatal(err)
	}
	return string(b), st.Sys().(syscall.WaitStatus)
}

// TestGroupsForReal runs jobs in the machine's own cgroups, where parmap
// may make them (as root on the CI machines: the v1 memory controller).
func TestGroupsForReal(t *testing.T) {
	tr, err := Open(Limits{Memory: 64 << 20})
	if err != nil {
		t.Fatal(err)
	}
	defer tr.Close()
	if k := tr.Kind(); k != V1 && k != V2 {
		t.Skipf("no cgroup can be used here (kind %d)", k)
	}
	parents := append([]string(nil), tr.dirs...)
	g, err := tr.Slot(1)
	if err != nil {
		t.Fatal(err)
	}
	// Born in its slot's group.
	out, _ := runIn(t, g, "cgroup")
	want := parentName() + "/"
	if !strings.Contains(out, want) {
		t.Errorf("the job's cgroups:\n%s\nwant one in %s", out, want)
	}
	if g.Ended() {
		t.Error("a job within its limit: OOM")
	}
	// Over its limit: killed by the OOM killer, and said so, once.
	out, st := runIn(t, g, "alloc")
	if !st.Signaled() || st.Signal() != syscall.SIGKILL || out != "" {
		t.Errorf("a job over its limit: %v, output %q; want SIGKILL", st, out)
	}
	if !g.Ended() {
		t.Error("a job killed by the OOM killer: not OOM")
	}
	runIn(t, g, "cgroup")
	if g.Ended() {
		t.Error("the slot's next job: OOM")
	}
	// A job that leaves a process behind retires its group: the slot's
	// next job gets a new one, and Close kills the process.
	out, _ = runIn(t, g, "leave")
	pid, err := strconv.Atoi(strings.TrimSpace(out))
	if err != nil {
		t.Fatalf("leave: %q", out)
	}
	g.Ended()
	if g2, _ := tr.Slot(1); g2 == g {
		t.Error("a group with a lingering process is still the slot's")
	}
	if err := tr.Close(); err != nil {
		t.Fatal(err)
	}
	for _, d := range append(parents, g.dirs...) {
		if _, err := os.Stat(d); !os.IsNotExist(err) {
			t.Errorf("%s left behind: %v", d, err)
		}
	}
	// Killed: reaped by init at once, or a zombie for a moment.
	if b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid)); err == nil && !strings.Contains(string(b), ") Z ") {
		t.Errorf("the lingering process %d lives on: %s", pid, b)
	}
}

// TestCPUQuotaForReal: --cpu-limit 0.5 is a quota of half of each period.
func TestCPUQuotaForReal(t *testing.T) {
	tr, err := Open(Limits{Memory: 1 << 30, CPUs: 0.5})
	if errors.Is(err, ErrNoCgroup) {
		t.Skip("no cpu cgroup can be made here")
	}
	if err != nil {
		t.Fatal(err)
	}
	defer tr.Close()
	g, err := tr.Slot(1)
	if err != nil {
		t.Fatal(err)
	}
	files := map[string]string{"cpu.max": "50000 100000\n"}
	dir := g.dirs[0]
	if tr.Kind() == V1 {
		files = map[string]string{"cpu.cfs_quota_us": "50000\n", "cpu.cfs_period_us": "100000\n"}
		dir = g.dirs[1]
	}
	for name, want := range files {
		if b, err := os.ReadFile(filepath.Join(dir, name)); err != nil || string(b) != want {
			t.Errorf("%s: %q, %v; want %q", name, b, err, want)
		}
	}
	out, _ := runIn(t, g, "cgroup")
	if !regexp.MustCompile(`(?m)^\d+:[^:]*\bcpu\b[^:]*:.*/`+parentName()+`/\d+$`).MatchString(out) && tr.Kind() == V1 {
		t.Errorf("the job's cgroups:\n%s\nwant a cpu one in %s", out, parentName())
	}
}
