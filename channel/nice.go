package channel

import (
	"fmt"
	"os"
	"runtime"
	"sync"

	"golang.org/x/sys/unix"
)

// Niceness is a child's nice value (Spec.Nice): -20 (first) to 19 (last).
type Niceness struct {
	Set   bool // false: the child keeps parmap's
	Value int
}

// A niced thread starts children at one niceness. Linux keeps the nice
// value per thread, and a new process takes the value of the thread that
// forked it: started from a thread set to N, the child runs at N from its
// first instruction, and so does anything it forks (no window in which it
// runs at parmap's, as with setpriority after the start). The thread is
// locked to its goroutine for good: the children's parent-death signal
// (Pdeathsig) is sent when the thread that forked them ends, so it never
// does, and it serves every later start at that niceness.
type nicedThread struct {
	starts chan func()
	err    error // setting the niceness failed
}

var (
	nicedMu      sync.Mutex
	nicedThreads = map[int]*nicedThread{}
)

// startNiced runs start on the thread of niceness n.
func startNiced(n int, start func() (*os.Process, error)) (*os.Process, error) {
	nicedMu.Lock()
	t, ok := nicedThreads[n]
	if !ok {
		t = &nicedThread{starts: make(chan func())}
		ready := make(chan struct{})
		go t.serve(n, ready)
		<-ready
		nicedThreads[n] = t
	}
	nicedMu.Unlock()
	if t.err != nil {
		return nil, t.err
	}
	var proc *os.Process
	var err error
	done := make(chan struct{})
	t.starts <- func() { proc, err = start(); close(done) }
	<-done
	return proc, err
}

func (t *nicedThread) serve(n int, ready chan<- struct{}) {
	runtime.LockOSThread() // never unlocked: see nicedThread
	if t.err = niceThisThread(n); t.err != nil {
		close(ready)
		return
	}
	close(ready)
	for f := range t.starts {
		f()
	}
}

// startNicedIf runs start on the thread of niceness n.Value when n is
// Set, else where it is.
func startNicedIf(n Niceness, start func() (*os.Process, error)) (*os.Process, error) {
	if !n.Set {
		return start()
	}
	return startNiced(n.Value, start)
}

// niceThisThread sets the calling thread's niceness to n: for a thread
// locked to its goroutine for good that only forks children.
func niceThisThread(n int) error {
	if err := unix.Setpriority(unix.PRIO_PROCESS, unix.Gettid(), n); err != nil {
		return &NiceError{Nice: n, Err: err}
	}
	return nil
}

// NiceError is a niceness the jobs could not be given (lowering it takes
// privilege).
type NiceError struct {
	Nice int
	Err  error
}

func (e *NiceError) Error() string { return fmt.Sprintf("niceness %d: %v", e.Nice, e.Err) }
func (e *NiceError) Unwrap() error { return e.Err }

// CheckNice reports whether children can be started at niceness n: a
// *NiceError when not (lowering it below parmap's takes privilege).
func CheckNice(n int) error {
	_, err := startNiced(n, func() (*os.Process, error) { return nil, nil })
	return err
}
