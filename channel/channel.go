// Package channel runs one child process: it starts the program directly (no
// shell of its own) in a process group of its own, ties the child's life to
// parmap's with Pdeathsig, connects its standard streams, and waits for its
// result. It knows nothing of other jobs or of output order.
package channel

import (
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"sync"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// DefaultGrace is how long a process group asked to stop gets before
// SIGKILL, when the caller gives no grace of its own (--kill-after's default).
const DefaultGrace = 2 * time.Second

// Exit values for jobs that could not be started, as a shell reports them.
const (
	ExitNotFound      = 127
	ExitNotExecutable = 126
)

// Spec describes one child process. It is a description only: it holds no open
// resources of its own except the files the caller put in it.
type Spec struct {
	// Path is the program to execute. When empty, Argv[0] is looked up in PATH.
	Path string
	Argv []string
	// Env is the child's whole environment.
	Env []string
	// Stdin is the child's standard input; nil means /dev/null.
	Stdin *os.File
	// Feed, when set, writes the child's standard input instead: it runs in
	// a goroutine of its own with the write end of a pipe whose read end is
	// the child's stdin, and returns the bytes it wrote; the write end is
	// closed when it returns. It must return once a write fails (the child
	// has gone). Wait waits for it, and once the child has exited, a write
	// that still blocks fails after Linger (a write deadline).
	Feed func(w *os.File) (int64, error)
	// Stdout and Stderr receive the child's output. An *os.File is handed to
	// the child as it is; any other writer is fed from a pipe until the child
	// and everything that inherited the pipe have closed it. nil discards.
	Stdout io.Writer
	Stderr io.Writer
	// ExtraFiles are passed to the child as descriptors 3, 4, … (make's
	// jobserver pipe).
	ExtraFiles []*os.File
	// Linger bounds how long output is still read after the child itself has
	// exited, when a background grandchild keeps the pipe open. 0 means 2s.
	Linger time.Duration
	// Guard, when set, is told the child's process group while it may hold
	// a process (internal/guard kills the groups it holds if parmap dies).
	Guard Guard
	// CPUs, when set, are the only CPUs the child may run on, from its
	// first instruction (pinned); its children inherit the mask.
	CPUs []int
	// Nice, when Set, is the child's nice value from its start (a
	// *NiceError when it cannot be had).
	Nice Niceness
	// Place, when set, puts the child where its limits hold before it runs
	// anything (its job slot's control group: internal/cgroup.Group).
	Place Place
	// Remote, when set, runs the command elsewhere (see Remote).
	Remote Remote
}

// A Place starts a child where its limits hold, before it runs anything
// (internal/cgroup.Group). Fork calls start, which starts the child, in
// one of three ways: on a thread that lives in a cgroup v1 group, so that
// the child is born there; with a cgroup v2 directory to clone the child
// into (CLONE_INTO_CGROUP; cgroupFD is -1 otherwise); or as it is, setting
// a limit on the child after. ownThread says start runs on a thread of the
// Place's own, which forks only children (so Nice may be set on it for
// good). An error of Fork's own, not start's, means no child runs: Start
// fails with a *PlaceError.
type Place interface {
	Fork(start func(cgroupFD int, ownThread bool) (*os.Process, error)) (*os.Process, error)
}

// A Guard holds the process groups of running children: Add is called as
// a child has started, Remove once its group can hold no process any more.
// A group left with a process when its child was waited for (a background
// grandchild, Result.Lingering) stays added: the caller kills it.
type Guard interface {
	Add(pgid int)
	Remove(pgid int)
}

// Result is what one child process came to.
type Result struct {
	// Exit is the exit value: the child's exit status, 128+signal when it was
	// killed by a signal, 127 when the program was not found and 126 when it
	// could not be executed.
	Exit int
	// Signal is the signal that killed the child, 0 when none.
	Signal syscall.Signal
	// Start is when the child was started; Runtime how long it ran.
	Start   time.Time
	Runtime time.Duration
	// Err says why the child could not be started or waited for; nil otherwise.
	Err error
	// Pgid is the child's process group. Lingering is true when some process
	// of that group was still alive after the child exited (a background
	// grandchild); the caller then owns killing it (KillGroup).
	Pgid      int
	Lingering bool
	// TimedOut is true when the job was stopped for running too long.
	TimedOut bool
	// Sent is the bytes Spec.Feed wrote to the child's stdin.
	Sent int64
	// Usage is what the child and the descendants it waited for used, as
	// wait4 tells (zero when it was not waited for).
	Usage Usage
}

// Usage is a process's use of the machine, from its rusage.
type Usage struct {
	// User and Sys are its CPU time in user and kernel mode.
	User, Sys time.Duration
	// MaxRSS is its peak resident set size, in bytes: of the largest
	// process among it and the descendants it waited for.
	MaxRSS int64
}

// usageOf reads the rusage Linux reports; ru_maxrss is in KiB.
func usageOf(ru *syscall.Rusage) Usage {
	if ru == nil {
		return Usage{}
	}
	return Usage{
		User:   time.Duration(ru.Utime.Nano()),
		Sys:    time.Duration(ru.Stime.Nano()),
		MaxRSS: int64(ru.Maxrss) * 1024,
	}
}

// Describe says how the process ended: "exited with status 3", "was killed
// by signal 9 (killed)", "could not start: …".
func (r Result) Describe() string {
	switch {
	case r.Err != nil:
		return "could not start: " + r.Err.Error()
	case r.Signal != 0:
		return fmt.Sprintf("was killed by signal %d (%v)", int(r.Signal), r.Signal)
	}
	return fmt.Sprintf("exited with status %d", r.Exit)
}

// Failed reports whether the result is a failure under the given success codes
// (nil means only 0 succeeds).
func (r Result) Failed(success map[int]bool) bool {
	if r.Err != nil || r.Signal != 0 {
		return true
	}
	if success == nil {
		return r.Exit != 0
	}
	return !success[r.Exit]
}

// A StartError says why a program could not be started.
type StartError struct {
	Program string
	Exit    int // ExitNotFound or ExitNotExecutable
	Err     error
}

func (e *StartError) Error() string {
	if e.Exit == ExitNotFound {
		return fmt.Sprintf("%s: command not found", e.Program)
	}
	return fmt.Sprintf("%s: cannot execute: %v", e.Program, e.Err)
}

func (e *StartError) Unwrap() error { return e.Err }

// Child is one running process, the leader of its own process group.
type Child struct {
	remote  RemoteProcess // Spec.Remote's process; nil for a local one
	proc    *os.Process
	start   time.Time
	copiers sync.WaitGroup
	readers []*os.File // parent's read ends of output pipes
	linger  time.Duration
	feeder  *os.File      // parent's write end of the stdin pipe (Spec.Feed)
	guard   Guard         // Spec.Guard
	fed     chan struct{} // closed when Feed has returned
	sent    int64

	mu     sync.Mutex
	exited bool        // waited for, and its group is empty
	waited bool        // Wait has seen the child exit
	kill   *time.Timer // SIGKILL armed by Stop; stopped by Wait
}

// Start starts the process described by spec. On failure it returns a
// *StartError for programs that are missing or not executable, and a
// *ResourceError when the system ran out of descriptors, processes or
// memory; either way nothing it opened stays open.
func Start(spec Spec) (*Child, error) {
	if spec.Remote != nil {
		return startRemote(spec)
	}
	path := spec.Path
	if path == "" {
		if len(spec.Argv) == 0 {
			return nil, errors.New("empty command")
		}
		p, err := exec.LookPath(spec.Argv[0])
		if err != nil {
			return nil, startError(spec.Argv[0], err)
		}
		path = p
	}
	stdin := spec.Stdin
	if stdin == nil {
		f, err := devNullFile()
		if err != nil {
			return nil, err
		}
		stdin = f
	}
	c := &Child{linger: spec.Linger}
	if c.linger == 0 {
		c.linger = 2 * time.Second
	}
	var closeAfterStart []*os.File
	fail := func(err error) (*Child, error) {
		for _, f := range closeAfterStart {
			f.Close()
		}
		// The copiers see the end of their pipes, whose write ends are
		// closed: none outlives Start to write into a later try's writer.
		c.copiers.Wait()
		for _, f := range c.readers {
			f.Close()
		}
		if c.feeder != nil {
			c.feeder.Close()
		}
		return nil, err
	}
	files := []*os.File{stdin, nil, nil}
	if spec.Feed != nil {
		r, w, err := osPipe()
		if err != nil {
			return fail(resourceError("pipe", err))
		}
		files[0] = r
		closeAfterStart = append(closeAfterStart, r)
		c.feeder = w
	}
	for i, w := range []io.Writer{spec.Stdout, spec.Stderr} {
		switch w := w.(type) {
		case nil:
			f, err := osOpenFile(os.DevNull, os.O_WRONLY, 0)
			if err != nil {
				return fail(resourceError("open "+os.DevNull, err))
			}
			files[i+1] = f
			closeAfterStart = append(closeAfterStart, f)
		case *os.File:
			files[i+1] = w
		default:
			r, pw, err := osPipe()
			if err != nil {
				return fail(resourceError("pipe", err))
			}
			files[i+1] = pw
			closeAfterStart = append(closeAfterStart, pw)
			c.readers = append(c.readers, r)
			c.copiers.Add(1)
			go c.copy(w, r)
		}
	}
	files = append(files, spec.ExtraFiles...)
	attr := &os.ProcAttr{
		Env:   spec.Env,
		Files: files,
		Sys: &syscall.SysProcAttr{
			Setpgid:   true,
			Pdeathsig: syscall.SIGKILL,
		},
	}
	c.start = time.Now()
	proc, err := startPlaced(spec, path, attr)
	for _, f := range closeAfterStart {
		f.Close()
	}
	closeAfterStart = nil
	if err != nil {
		if _, ok := err.(*PlaceError); ok {
			return fail(err)
		}
		return fail(startError(spec.Argv[0], err))
	}
	c.proc = proc
	if spec.Guard != nil {
		c.guard = spec.Guard
		c.guard.Add(proc.Pid)
	}
	if c.feeder != nil {
		c.fed = make(chan struct{})
		go func() {
			defer close(c.fed)
			c.sent, _ = spec.Feed(c.feeder)
			c.feeder.Close()
		}()
	}
	return c, nil
}

// copyBufs holds buffers for writers that cannot read from a pipe themselves.
var copyBufs = sync.Pool{New: func() any { b := make([]byte, 32*1024); return &b }}

func (c *Child) copy(w io.Writer, r *os.File) {
	defer c.copiers.Done()
	if rf, ok := w.(io.ReaderFrom); ok {
		rf.ReadFrom(r)
	} else {
		bp := copyBufs.Get().(*[]byte)
		io.CopyBuffer(w, r, *bp)
		copyBufs.Put(bp)
	}
	// Drain whatever is left so that a writer that failed does not block the
	// child on a full pipe.
	io.Copy(io.Discard, r)
}

func startError(program string, err error) error {
	if errno, ok := Resource(err); ok {
		return &ResourceError{Op: program + ": fork/exec", Err: errno}
	}
	var exitCode int
	switch {
	case errors.Is(err, exec.ErrNotFound), errors.Is(err, syscall.ENOENT):
		exitCode = ExitNotFound
	case errors.Is(err, syscall.EACCES), errors.Is(err, syscall.EPERM), errors.Is(err, syscall.ENOEXEC),
		errors.Is(err, syscall.EISDIR), errors.Is(err, exec.ErrDot):
		exitCode = ExitNotExecutable
	default:
		var pe *os.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		return &StartError{Program: program, Exit: ExitNotExecutable, Err: err}
	}
	var pe *os.PathError
	if errors.As(err, &pe) {
		err = pe.Err
	}
	return &StartError{Program: program, Exit: exitCode, Err: err}
}

// Started returns when the child was started (Result.Start).
func (c *Child) Started() time.Time { return c.start }

// Pid returns the child's process id, which is also its process group id;
// 0 for a Remote one.
func (c *Child) Pid() int {
	if c.remote != nil {
		return 0
	}
	return c.proc.Pid
}

// Signal sends sig to the child's whole process group. It does nothing once
// the child has been waited for and its group is empty.
func (c *Child) Signal(sig syscall.Signal) error {
	if c.remote != nil {
		return c.remote.Signal(sig)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.exited {
		return nil
	}
	return syscall.Kill(-c.proc.Pid, sig)
}

// Stop asks the child's whole process group to end, the one way every part
// of parmap stops a job (a timeout, a signal, a faulty worker): sig, then
// SIGCONT so that a stopped process sees it, and SIGKILL once grace has
// passed (DefaultGrace when grace is 0) unless Wait has seen the child exit
// by then. The kill is armed once; a later Stop only sends sig again.
func (c *Child) Stop(sig syscall.Signal, grace time.Duration) {
	if grace <= 0 {
		grace = DefaultGrace
	}
	if c.remote != nil {
		c.remote.Stop(sig, grace)
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.exited {
		return
	}
	syscall.Kill(-c.proc.Pid, sig)
	syscall.Kill(-c.proc.Pid, syscall.SIGCONT)
	if c.kill == nil && !c.waited {
		c.kill = time.AfterFunc(grace, func() {
			c.mu.Lock()
			defer c.mu.Unlock()
			if !c.waited {
				syscall.Kill(-c.proc.Pid, syscall.SIGKILL)
			}
		})
	}
}

// Wait waits for the child to exit and for its output to be read, and returns
// its result. It must be called exactly once.
func (c *Child) Wait() Result {
	if c.remote != nil {
		return c.remote.Wait()
	}
	waited := c.awaitExit()
	defer waited()
	if c.guard != nil {
		c.unguard()
	}
	state, err := c.proc.Wait()
	res := Result{Start: c.start, Runtime: time.Since(c.start), Pgid: c.proc.Pid}
	c.mu.Lock()
	c.waited = true
	if c.kill != nil {
		c.kill.Stop()
	}
	// The group id stays reserved while any member lives, so probing it
	// cannot hit an unrelated process.
	res.Lingering = syscall.Kill(-c.proc.Pid, 0) == nil
	if !res.Lingering {
		c.exited = true
	}
	c.mu.Unlock()
	if res.Lingering && c.guard != nil {
		// Still reserved by the process that lingers: held again until
		// the caller kills the group.
		c.guard.Add(c.proc.Pid)
	}
	if len(c.readers) > 0 {
		c.waitCopiers()
	}
	if c.fed != nil {
		c.feeder.SetWriteDeadline(time.Now().Add(c.linger))
		<-c.fed
		res.Sent = c.sent
	}
	if err != nil {
		res.Err = err
		res.Exit = 255
		return res
	}
	ru, _ := state.SysUsage().(*syscall.Rusage)
	res.Usage = usageOf(ru)
	ws := state.Sys().(syscall.WaitStatus)
	switch {
	case ws.Signaled():
		res.Signal = ws.Signal()
		res.Exit = 128 + int(res.Signal)
	default:
		res.Exit = ws.ExitStatus()
	}
	return res
}

// unguard waits for the child to exit without reaping it, and takes its
// group from the guard before Wait reaps it.
//
// Why before: a process group id is a process id, reserved while any
// member of the group lives, the leader's zombie included. The leader stays
// a zombie until it is reaped; once it is, and no other member is left, the
// kernel may hand the id to a new process, which may lead a group of its
// own. Were the guard told only after the reap, parmap dying in between
// would have it kill that stranger's group. Told while the zombie still
// holds the id, it never holds an id that could name another group. A job
// whose group outlives its leader (Result.Lingering) is added back after
// the reap: the lingering process holds the id then (should it end in that
// instant, the guard holds a free id until parmap kills or ends, the same
// stale id the caller keeps to kill at the end; it names a stranger only if
// the kernel, which hands out ids in turn, went through every other free
// id in between). A new job that got the same id before the Remove
// arrived is no problem either: the guard counts Adds and Removes.
func (c *Child) unguard() {
	var info unix.Siginfo
	for {
		err := unix.Waitid(unix.P_PID, c.proc.Pid, &info, unix.WEXITED|unix.WNOWAIT, nil)
		if err != unix.EINTR {
			break
		}
	}
	c.guard.Remove(c.proc.Pid)
}

// waitCopiers waits for the output pipes to reach end of file. When a
// background grandchild holds them open, it gives up after the linger time.
func (c *Child) waitCopiers() {
	deadline := time.Now().Add(c.linger)
	for _, r := range c.readers {
		r.SetReadDeadline(deadline)
	}
	c.copiers.Wait()
	for _, r := range c.readers {
		r.Close()
	}
}

// KillGroup sends SIGKILL to process group pgid: for groups left behind by a
// child that has exited (see Result.Lingering).
func KillGroup(pgid int) { syscall.Kill(-pgid, syscall.SIGKILL) }
