package cgroup

import (
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// Job is one job's group (or, under RLIMIT_AS, the limit it gets). Its
// Before and After are called around the job's start, on the thread that
// starts it, which is locked to its goroutine meanwhile (channel.Place).
type Job struct {
	t    *Tree
	dirs []string // the job's groups, one per controller (v1) or one (v2)
	fd   int      // v2: the group's directory, to clone into; -1 otherwise
	gone bool     // removed
}

// NewJob makes a job's group with the tree's limits in it. Under RLIMIT_AS
// it makes nothing.
func (t *Tree) NewJob() (*Job, error) {
	j := &Job{t: t, fd: -1}
	if t.kind != V1 && t.kind != V2 {
		return j, nil
	}
	name := strconv.FormatInt(t.next.Add(1), 10)
	for _, d := range t.dirs {
		dir := filepath.Join(d, name)
		if err := os.Mkdir(dir, 0o755); err != nil {
			j.Remove()
			return nil, err
		}
		j.dirs = append(j.dirs, dir)
	}
	if err := j.setLimits(); err != nil {
		j.Remove()
		return nil, err
	}
	if t.kind == V2 {
		fd, err := unix.Open(j.dirs[0], unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
		if err != nil {
			j.Remove()
			return nil, err
		}
		j.fd = fd
	}
	return j, nil
}

// setLimits writes the limits into the job's groups. Swap counts against
// the memory limit where the kernel can count it, so that a job over its
// limit is killed rather than swapped out.
func (j *Job) setLimits() error {
	l := j.t.limits
	mem := strconv.FormatInt(l.Memory, 10)
	quota := strconv.FormatInt(int64(l.CPUs*cfsPeriod+0.5), 10)
	if j.t.kind == V2 {
		d := j.dirs[0]
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
		if err := writeFile(j.dirs[i], "memory.limit_in_bytes", mem); err != nil {
			return err
		}
		writeFile(j.dirs[i], "memory.memsw.limit_in_bytes", mem) // absent without swap accounting
		i++
	}
	if l.CPUs > 0 {
		if err := writeFile(j.dirs[i], "cpu.cfs_period_us", strconv.Itoa(cfsPeriod)); err != nil {
			return err
		}
		return writeFile(j.dirs[i], "cpu.cfs_quota_us", quota)
	}
	return nil
}

// Before readies the calling thread to start the job: it returns the
// group's directory to clone the child into (v2), or -1 once it has moved
// the thread itself into the job's groups (v1; its child is born there),
// or -1 and nothing done (RLIMIT_AS).
func (j *Job) Before() (int, error) {
	if j.t.kind == V1 {
		if err := moveThread(j.dirs); err != nil {
			if moveThread(j.t.homes) != nil {
				return -1, keepLocked(err)
			}
			return -1, err
		}
	}
	return j.fd, nil
}

// After is called right after the start, on the same thread, with the
// child's pid (0 when it did not start). Under v1 it moves the thread back
// to parmap's own groups; should that fail, the error is a *ThreadError
// and the thread must not run anything else (it stays locked to its
// goroutine, and ends with it). Under RLIMIT_AS it sets the child's
// address space limit.
//
// The RLIMIT_AS window: the child has already exec'd its program when the
// start returns (Go forks with vfork and waits for the exec), so the limit
// is set a few microseconds into the program's start-up. A mapping made in
// that window is not refused, but it counts: every later one is checked
// against the whole address space, so a job over its limit fails its
// next allocation. Setting the limit on parmap itself around the fork
// would not do: limits are a process's, so parmap's own allocations in
// other threads would fail meanwhile.
func (j *Job) After(pid int) error {
	switch j.t.kind {
	case V1:
		if err := moveThread(j.t.homes); err != nil {
			return keepLocked(err)
		}
	case Rlimit:
		if pid > 0 && j.t.limits.Memory > 0 {
			lim := unix.Rlimit{Cur: uint64(j.t.limits.Memory), Max: uint64(j.t.limits.Memory)}
			if err := unix.Prlimit(pid, unix.RLIMIT_AS, &lim, nil); err != nil && err != unix.ESRCH {
				return err
			}
		}
	}
	return nil
}

// OOM reports whether the OOM killer killed a process of the job's group.
func (j *Job) OOM() bool {
	switch j.t.kind {
	case V2:
		return counter(filepath.Join(j.dirs[0], "memory.events"), "oom_kill") > 0
	case V1:
		if j.t.limits.Memory > 0 {
			return counter(filepath.Join(j.dirs[0], "memory.oom_control"), "oom_kill") > 0
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

// Remove removes the job's groups once it has been reaped. A group a
// process still holds (a background grandchild) is left to Close, which
// kills it first.
func (j *Job) Remove() {
	if j.gone {
		return
	}
	j.gone = true
	if j.fd >= 0 {
		unix.Close(j.fd)
		j.fd = -1
	}
	for _, d := range j.dirs {
		if err := syscall.Rmdir(d); err != nil && !errors.Is(err, syscall.ENOENT) {
			j.t.mu.Lock()
			j.t.left = append(j.t.left, d)
			j.t.mu.Unlock()
		}
	}
}

// ThreadError is a thread that could not be moved back to parmap's own
// cgroup after starting a job: it must run nothing else.
type ThreadError struct{ Err error }

func (e *ThreadError) Error() string {
	return "moving a thread back to parmap's cgroup: " + e.Err.Error()
}
func (e *ThreadError) Unwrap() error { return e.Err }

// ThreadSpoiled tells channel.Start to leave its thread locked.
func (e *ThreadError) ThreadSpoiled() bool { return true }

// keepLocked marks err as a *ThreadError: the caller leaves its thread
// locked, so that it ends with the goroutine.
func keepLocked(err error) error { return &ThreadError{Err: err} }

// lockThread and unlockThread wire the calling goroutine to its thread
// (probe); unlockThread is skipped for a thread left in a foreign group.
func lockThread()   { runtime.LockOSThread() }
func unlockThread() { runtime.UnlockOSThread() }

// sleepShort waits a little for killed processes to leave a group.
func sleepShort() { time.Sleep(10 * time.Millisecond) }
