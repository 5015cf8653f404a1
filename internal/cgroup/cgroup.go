// Package cgroup puts the jobs of a run in control groups with a memory
// limit and a CPU quota (--mem-limit, --cpu-limit), and tells after each
// job whether the kernel's OOM killer killed a process of it.
//
// Open finds what the machine lets parmap use, in this order: cgroup v2
// where the memory (and cpu) controller is delegated to parmap's own
// cgroup, the cgroup v1 memory (and cpu) controller where parmap may make
// groups under its own, and else, for memory alone, RLIMIT_AS on each job.
// Under either cgroup version the run gets a parent group of its own,
// parmap-<pid>, in parmap's own group, and each job slot a group in it
// (Group), which holds one job at a time; Close removes them all, first
// killing whatever a job left running in them. A run killed before it
// could (SIGKILL) has its groups removed by the next run's Open.
//
// A job is in its group before it runs an instruction of its own: under v2
// it is cloned into the group (CLONE_INTO_CGROUP); under v1, where a single
// thread can be moved, it is forked from a thread of parmap's that lives
// in the group, so that it is born there. Under RLIMIT_AS the limit is set
// on the job (prlimit) just after it started: see Group.Fork for the
// window that leaves.
package cgroup

import (
	"bufio"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// Kind is how the jobs are limited.
type Kind int

const (
	// None: no limit asked for.
	None Kind = iota
	// V2: a cgroup v2 group per job (memory.max, cpu.max).
	V2
	// V1: a group per job in the cgroup v1 memory and cpu controllers
	// (memory.limit_in_bytes, cpu.cfs_quota_us).
	V1
	// Rlimit: RLIMIT_AS on each job, memory only.
	Rlimit
)

// Limits are what each job may use; zero fields limit nothing.
type Limits struct {
	// Memory is the most memory a job may use, in bytes.
	Memory int64
	// CPUs is the CPU time a job may use per wall-clock second, in CPUs
	// (1.5: one and a half CPUs' worth).
	CPUs float64
}

// Any reports whether any limit is set.
func (l Limits) Any() bool { return l.Memory > 0 || l.CPUs > 0 }

// cfsPeriod is the CPU quota's period, in microseconds (the kernel's default).
const cfsPeriod = 100000

// ErrNoCgroup is a CPU limit asked for where no cgroup with the cpu
// controller can be used (RLIMIT_CPU is not a quota: it kills).
var ErrNoCgroup = errors.New("no cgroup with the cpu controller can be used")

// Tree is a run's parent group, in each controller it uses.
type Tree struct {
	kind   Kind
	limits Limits
	// dirs are the run's parent groups: one (v2), or one per controller
	// (v1: memory, cpu). homes are parmap's own groups in the same
	// controllers (v1), where a forking thread goes back to.
	dirs  []string
	homes []string
	next  atomic.Int64

	mu      sync.Mutex
	slots   map[int]*Group // each job slot's group
	retired []*Group       // groups a job's process lingered in
}

// Kind says how the jobs are limited.
func (t *Tree) Kind() Kind { return t.kind }

// Parents returns the directories of the run's parent groups, one per
// controller; none under RLIMIT_AS.
func (t *Tree) Parents() []string { return append([]string(nil), t.dirs...) }

// Limits are the limits it applies.
func (t *Tree) Limits() Limits { return t.limits }

// procRoot is where /proc and /sys are: the tests point it elsewhere.
var procRoot = ""

// Open finds how the jobs can be limited as l says and makes the run's
// parent group. With a CPU limit and no cgroup it returns ErrNoCgroup;
// with a memory limit alone it falls back on RLIMIT_AS.
func Open(l Limits) (*Tree, error) {
	if !l.Any() {
		return &Tree{kind: None, slots: map[int]*Group{}}, nil
	}
	mounts, _ := readMounts()
	own, _ := readOwn()
	if t, ok := openV2(l, mounts, own); ok {
		return t, nil
	}
	if t, ok := openV1(l, mounts, own); ok {
		return t, nil
	}
	if l.CPUs > 0 {
		return nil, ErrNoCgroup
	}
	return &Tree{kind: Rlimit, limits: l, slots: map[int]*Group{}}, nil
}

// mount is one cgroup file system.
type mount struct {
	root, point, fstype string
	opts                []string // super options: the v1 controllers
}

// readMounts lists the cgroup mounts of /proc/self/mountinfo.
func readMounts() ([]mount, error) {
	f, err := os.Open(procRoot + "/proc/self/mountinfo")
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out []mount
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		pre, post, ok := strings.Cut(sc.Text(), " - ")
		if !ok {
			continue
		}
		a, b := strings.Fields(pre), strings.Fields(post)
		if len(a) < 5 || len(b) < 3 || (b[0] != "cgroup" && b[0] != "cgroup2") {
			continue
		}
		out = append(out, mount{root: unescape(a[3]), point: unescape(a[4]), fstype: b[0], opts: strings.Split(b[2], ",")})
	}
	return out, sc.Err()
}

// unescape undoes mountinfo's octal escapes (\040 for a space).
func unescape(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+4 <= len(s) {
			if n, err := strconv.ParseUint(s[i+1:i+4], 8, 8); err == nil {
				b.WriteByte(byte(n))
				i += 3
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// readOwn reads /proc/self/cgroup: controller list ("" for v2) → path.
func readOwn() (map[string]string, error) {
	b, err := os.ReadFile(procRoot + "/proc/self/cgroup")
	if err != nil {
		return nil, err
	}
	own := map[string]string{}
	for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		parts := strings.SplitN(line, ":", 3)
		if len(parts) != 3 {
			continue
		}
		if parts[1] == "" {
			own[""] = parts[2]
			continue
		}
		for _, c := range strings.Split(parts[1], ",") {
			own[c] = parts[2]
		}
	}
	return own, nil
}

// dirOf is the directory of cgroup path p under mount m.
func dirOf(m mount, p string) string {
	if m.root != "/" {
		rel, ok := strings.CutPrefix(p, m.root)
		if !ok {
			return ""
		}
		p = rel
	}
	return filepath.Join(m.point, p)
}

// parentName is the run's parent group's name.
func parentName() string { return "parmap-" + strconv.Itoa(os.Getpid()) }

// openV2 uses cgroup v2 when parmap's own group hands the controllers the
// limits need down to groups made in it.
func openV2(l Limits, mounts []mount, own map[string]string) (*Tree, bool) {
	p, ok := own[""]
	if !ok {
		return nil, false
	}
	var m *mount
	for i := range mounts {
		if mounts[i].fstype == "cgroup2" {
			m = &mounts[i]
			break
		}
	}
	if m == nil {
		return nil, false
	}
	home := dirOf(*m, p)
	if home == "" {
		return nil, false
	}
	b, err := os.ReadFile(filepath.Join(home, "cgroup.subtree_control"))
	if err != nil {
		return nil, false
	}
	have := strings.Fields(string(b))
	var enable []string
	for _, c := range controllers(l) {
		if !contains(have, c) {
			return nil, false
		}
		enable = append(enable, "+"+c)
	}
	removeStale(home)
	dir := filepath.Join(home, parentName())
	if err := os.Mkdir(dir, 0o755); err != nil {
		return nil, false
	}
	if err := writeFile(dir, "cgroup.subtree_control", strings.Join(enable, " ")); err != nil {
		os.Remove(dir)
		return nil, false
	}
	return &Tree{kind: V2, limits: l, dirs: []string{dir}, slots: map[int]*Group{}}, true
}

// openV1 uses the cgroup v1 controllers when parmap may make groups in its
// own and move a thread of its own in and out of them.
func openV1(l Limits, mounts []mount, own map[string]string) (*Tree, bool) {
	t := &Tree{kind: V1, limits: l, slots: map[int]*Group{}}
	for _, c := range controllers(l) {
		p, ok := own[c]
		if !ok {
			t.Close()
			return nil, false
		}
		var home string
		for _, m := range mounts {
			if m.fstype == "cgroup" && contains(m.opts, c) {
				home = dirOf(m, p)
				break
			}
		}
		if home != "" {
			removeStale(home)
		}
		dir := filepath.Join(home, parentName())
		if home == "" || os.Mkdir(dir, 0o755) != nil {
			t.Close()
			return nil, false
		}
		t.dirs, t.homes = append(t.dirs, dir), append(t.homes, home)
	}
	// A thread must be able to go into the parent group and back.
	if err := t.probe(); err != nil {
		t.Close()
		return nil, false
	}
	return t, true
}

// probe moves a thread into the parent groups and back: on a goroutine
// locked to it, which ends without unlocking, so that the thread ends too
// whatever came of it.
func (t *Tree) probe() error {
	probed := make(chan error)
	go func() {
		runtime.LockOSThread()
		err := moveThread(t.dirs)
		if back := moveThread(t.homes); err == nil {
			err = back
		}
		probed <- err
	}()
	return <-probed
}

// controllers are the controllers limits l need.
func controllers(l Limits) []string {
	var cs []string
	if l.Memory > 0 {
		cs = append(cs, "memory")
	}
	if l.CPUs > 0 {
		cs = append(cs, "cpu")
	}
	return cs
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// writeFile writes s to the control file name in dir.
func writeFile(dir, name, s string) error {
	f, err := os.OpenFile(filepath.Join(dir, name), os.O_WRONLY, 0)
	if err != nil {
		return err
	}
	_, err = f.WriteString(s)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// moveThread writes the calling thread's id to the tasks file of each dir
// (cgroup v1 moves that thread alone).
func moveThread(dirs []string) error {
	tid := strconv.Itoa(unix.Gettid())
	for _, d := range dirs {
		if err := writeFile(d, "tasks", tid); err != nil {
			return err
		}
	}
	return nil
}

// Close removes the run's groups, killing what is left in them (a
// process a job left behind), and then its parent groups. It returns the
// first group it could not remove.
func (t *Tree) Close() error {
	t.mu.Lock()
	groups := t.retired
	for _, g := range t.slots {
		groups = append(groups, g)
	}
	t.slots, t.retired = map[int]*Group{}, nil
	t.mu.Unlock()
	var first error
	for _, g := range groups {
		if err := g.remove(); err != nil && first == nil {
			first = err
		}
	}
	for _, d := range t.dirs {
		if err := removeGroup(d); err != nil && first == nil {
			first = err
		}
	}
	t.dirs = nil
	return first
}

// removeStale removes the groups a run killed before it could (SIGKILL)
// left in home: parmap-<pid> of a pid that is no process's, killing what
// is left in them. It is best effort.
func removeStale(home string) {
	names, _ := filepath.Glob(filepath.Join(home, "parmap-*"))
	for _, dir := range names {
		pid, err := strconv.Atoi(strings.TrimPrefix(filepath.Base(dir), "parmap-"))
		if err != nil || pid == os.Getpid() || syscall.Kill(pid, 0) != syscall.ESRCH {
			continue
		}
		subs, _ := os.ReadDir(dir)
		for _, e := range subs {
			if e.IsDir() {
				removeGroup(filepath.Join(dir, e.Name()))
			}
		}
		removeGroup(dir)
	}
}

// sleepShort waits a little for killed processes to leave a group.
func sleepShort() { time.Sleep(10 * time.Millisecond) }
