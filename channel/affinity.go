package channel

import (
	"fmt"
	"runtime"

	"golang.org/x/sys/unix"
)

// AffinityError is why a child could not be pinned to its CPUs
// (Spec.CPUs): a CPU the process may not use, or none that is online.
type AffinityError struct {
	CPUs []int
	Err  error
}

func (e *AffinityError) Error() string {
	return fmt.Sprintf("cannot pin the job to CPUs %v: %v", e.CPUs, e.Err)
}

func (e *AffinityError) Unwrap() error { return e.Err }

// pinned calls start, which forks the child, so that the child runs on cpus
// only from its first instruction (nil cpus: start as it is).
//
// A CPU affinity mask belongs to a thread, and a new task (clone) inherits
// the mask of the thread that made it. os.StartProcess forks on the thread
// of the goroutine that calls it (syscall.forkAndExecInChild1 issues clone
// or clone3 with rawVforkSyscall, right there, no other thread involved).
// So the goroutine is locked to its thread, the thread's mask is narrowed to
// cpus, the child is forked from it and inherits the mask, and the thread's
// own mask is put back before the thread is unlocked and runs other
// goroutines again. Nothing else runs on a locked thread meanwhile, so no
// other goroutine (nor another job's start) sees the narrowed mask, and the
// child never runs a single instruction outside cpus: no window in which it
// could start on a CPU of another job's, as setting the mask after the
// start (taskset -p) would leave.
//
// Pdeathsig is tied to the thread that forked the child (it fires when that
// thread exits): the thread is unlocked again, never ended with its
// goroutine, so it lives on in Go's pool like any other.
func pinned(cpus []int, start func() error) error {
	if len(cpus) == 0 {
		return start()
	}
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	var old, set unix.CPUSet
	if err := unix.SchedGetaffinity(0, &old); err != nil {
		return &AffinityError{CPUs: cpus, Err: err}
	}
	for _, c := range cpus {
		set.Set(c)
	}
	if err := unix.SchedSetaffinity(0, &set); err != nil {
		return &AffinityError{CPUs: cpus, Err: err}
	}
	// Putting back a mask this thread had a moment ago fails only if all
	// of its CPUs went offline meanwhile; the thread then keeps the
	// narrower mask, which costs Go's scheduler some parallelism but
	// changes no job's.
	defer unix.SchedSetaffinity(0, &old)
	return start()
}
