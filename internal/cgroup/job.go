package cgroup

import (
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"
)

// Group is a job slot's control group (or, under RLIMIT_AS, the limit its
// jobs get): the slot's jobs run in it one at a time, each alone in it.
// Jobs are started into it with Fork, and Ended after each is reaped.
//
// A group is a slot's, not a job's, for cost: making and removing a memory
// cgroup per job, and under v1 moving a thread in and out of it per job
// (each move waits for the kernel's cgroup lock, which every fork of
// parmap's takes too), doubled the time of 2,000 short jobs. A job that
// leaves a process behind in the group retires it (Ended): the slot's next
// job gets a new one, and Close kills what is left in the old. Memory a
// job left charged to the group (page cache) stays charged until the
// kernel reclaims it, which it does before it would kill anything for
// want of memory.
type Group struct {
	t       *Tree
	slot    int
	dirs    []string // one per controller (v1), or one (v2)
	fd      int      // v2: the group's directory, to clone into; -1 otherwise
	forks   chan func()
	forker  chan struct{} // v1: closed when the forking thread has left
	lastOOM int64
}

// Slot returns the group of job slot n, made on first use with the tree's
// limits in it.
func (t *Tree) Slot(n int) (*Group, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if g := t.slots[n]; g != nil {
		return g, nil
	}
	g := &Group{t: t, slot: n, fd: -1}
	if t.kind != V1 && t.kind != V2 {
		t.slots[n] = g
		return g, nil
	}
	name := strconv.FormatInt(t.next.Add(1), 10)
	for _, d := range t.dirs {
		dir := filepath.Join(d, name)
		if err := os.Mkdir(dir, 0o755); err != nil {
			g.remove()
			return nil, err
		}
		g.dirs = append(g.dirs, dir)
	}
	if err := g.setLimits(); err != nil {
		g.remove()
		return nil, err
	}
	switch t.kind {
	case V2:
		fd, err := unix.Open(g.dirs[0], unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
		if err != nil {
			g.remove()
			return nil, err
		}
		g.fd = fd
	case V1:
		if err := g.startForker(); err != nil {
			g.remove()
			return nil, err
		}
	}
	t.slots[n] = g
	return g, nil
}

// setLimits writes the limits into the group. Swap counts against the
// memory limit where the kernel can count it, so that a job over its
// limit is killed rather than swapped out.
func (g *Group) setLimits() error {
	l := g.t.limits
	mem := strconv.FormatInt(l.Memory, 10)
	quota := strconv.FormatInt(int64(l.CPUs*cfsPeriod+0.5), 10)
	if g.t.kind == V2 {
		d := g.dirs[0]
		if l.Memory > 0 {
			if err := writeFile(d, "memory.max", mem); err != nil {
				return err
			}
			writeFile(d, "memory.swap.max", "0") // absent without swap accounting
		}
		if l.CPUs > 0 {
			return writeFile(d, "cpu.max", quota+" "+strconv.Itoa(cfsPeriod))
		}
		return nil
	}
	i := 0
	if l.Memory > 0 {
		if err := writeFile(g.dirs[i], "memory.limit_in_bytes", mem); err != nil {
			return err
		}
		writeFile(g.dirs[i], "memory.memsw.limit_in_bytes", mem) // absent without swap accounting
		i++
	}
	if l.CPUs > 0 {
		if err := writeFile(g.dirs[i], "cpu.cfs_period_us", strconv.Itoa(cfsPeriod)); err != nil {
			return err
		}
		return writeFile(g.dirs[i], "cpu.cfs_quota_us", quota)
	}
	return nil
}

// startForker starts the group's forking thread (v1): a goroutine locked
// to a thread of its own, which it moves into the group once; the slot's
// jobs are forked on it, and so born in the group. It never unlocks: the
// thread ends with it (Close), so that no other goroutine ever runs in
// the group. (Go's runtime makes no thread of its own from a locked one.)
func (g *Group) startForker() error {
	g.forks = make(chan func())
	g.forker = make(chan struct{})
	ready := make(chan error)
	go func() {
		defer close(g.forker)
		runtime.LockOSThread()
		if err := moveThread(g.dirs); err != nil {
			moveThread(g.t.homes)
			ready <- err
			return
		}
		ready <- nil
		for f := range g.forks {
			f()
		}
		// Out of the group, so that it can be removed at once.
		moveThread(g.t.homes)
	}()
	return <-ready
}

// Fork runs start, which starts a job, so that the job is born in the
// group: on the group's own thread (v1), or with the group's directory to
// clone it into (v2, CLONE_INTO_CGROUP). Under RLIMIT_AS it starts the
// job as it is: the job's spec goes through Tree.Shim, which sets the
// limit inside the job before its program runs. (Setting the limit on
// parmap itself around the fork would not do: limits are a process's, so
// parmap's own allocations in its other threads would fail meanwhile.)
func (g *Group) Fork(start func(cgroupFD int, ownThread bool) (*os.Process, error)) (*os.Process, error) {
	switch g.t.kind {
	case V2:
		return start(g.fd, false)
	case V1:
		var (
			proc *os.Process
			err  error
		)
		done := make(chan struct{})
		g.forks <- func() {
			proc, err = start(-1, true)
			close(done)
		}
		<-done
		return proc, err
	}
	// RLIMIT_AS: the job is started through the shim (Tree.Shim).
	return start(-1, false)
}

// Ended is told that the slot's job has been reaped. When a process of
// it lingers in the group (a background grandchild, one that left its
// process group too), the group is retired: the slot's next job gets a new
// one, and Close kills it. It reports whether the OOM killer killed a
// process of the job.
func (g *Group) Ended() (oom bool) {
	var n int64
	switch {
	case g.t.kind == V2:
		n = counter(filepath.Join(g.dirs[0], "memory.events"), "oom_kill")
	case g.t.kind == V1 && g.t.limits.Memory > 0:
		n = counter(filepath.Join(g.dirs[0], "memory.oom_control"), "oom_kill")
	}
	oom, g.lastOOM = n > g.lastOOM, n
	if (g.t.kind == V1 || g.t.kind == V2) && g.busy() {
		g.t.mu.Lock()
		if g.t.slots[g.slot] == g {
			delete(g.t.slots, g.slot)
		}
		g.t.retired = append(g.t.retired, g)
		g.t.mu.Unlock()
	}
	return oom
}

// busy reports whether a process other than parmap (whose forking thread
// is in a v1 group) is in the group.
func (g *Group) busy() bool {
	for _, d := range g.dirs {
		for _, pid := range procsOf(d) {
			if pid != os.Getpid() {
				return true
			}
		}
	}
	return false
}

// counter reads the value of key in a flat-keyed control file ("key N"
// lines), 0 when it cannot.
func counter(path, key string) int64 {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, key+" "); ok {
			n, _ := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
			return n
		}
	}
	return 0
}

// remove stops the group's thread and removes its directories, killing
// what is left in them; it returns the first error.
func (g *Group) remove() error {
	if g.forks != nil {
		close(g.forks)
		<-g.forker
		g.forks = nil
	}
	if g.fd >= 0 {
		unix.Close(g.fd)
		g.fd = -1
	}
	var first error
	for _, d := range g.dirs {
		if err := removeGroup(d); err != nil && first == nil {
			first = err
		}
	}
	g.dirs = nil
	return first
}

// removeGroup removes group dir, killing the processes still in it first
// (never parmap itself) and waiting for them to leave it.
func removeGroup(dir string) error {
	err := syscall.Rmdir(dir)
	if err == nil || errors.Is(err, syscall.ENOENT) {
		return nil
	}
	for range 200 { // about 2 s
		for _, pid := range procsOf(dir) {
			if pid != os.Getpid() {
				syscall.Kill(pid, syscall.SIGKILL)
			}
		}
		if err = syscall.Rmdir(dir); err == nil || errors.Is(err, syscall.ENOENT) {
			return nil
		}
		sleepShort()
	}
	return &RemoveError{Dir: dir, Err: err}
}

// RemoveError is a group that could not be removed at the end of the run.
type RemoveError struct {
	Dir string
	Err error
}

func (e *RemoveError) Error() string { return "cannot remove cgroup " + e.Dir + ": " + e.Err.Error() }
func (e *RemoveError) Unwrap() error { return e.Err }

// procsOf lists the processes in group dir.
func procsOf(dir string) []int {
	b, err := os.ReadFile(filepath.Join(dir, "cgroup.procs"))
	if err != nil {
		return nil
	}
	var pids []int
	for _, f := range strings.Fields(string(b)) {
		if n, err := strconv.Atoi(f); err == nil {
			pids = append(pids, n)
		}
	}
	return pids
}
