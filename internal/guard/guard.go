// Package guard kills a run's jobs if parmap dies, even by SIGKILL.
//
// Pdeathsig reaches only a job's direct child; its grandchildren and
// background children would outlive a killed parmap. So each run that starts
// jobs here starts a guard: parmap itself, re-executed with Marker, a process
// of its own session that outlives parmap. parmap tells it each job's process
// group as the job starts and again once the group is known empty, in small
// fixed records over a pipe. When the guard reads end of file without a
// "bye" first (parmap died: the kernel closed its end), it kills every group
// it still holds (SIGKILL to the group, and SIGCONT), waits a moment for them
// to go, and exits.
//
// The guard also holds the job log's open file description, passed to it as a
// descriptor: the job log's lock (internal/joblog) is held until the guard
// has killed everything, so a --resume of a killed run never runs a job
// beside a survivor of it.
//
// Each job's environment also carries the run's mark (RunVar, a random
// token; Env returns the entry), and the guard, when parmap died, kills every
// process whose environment holds it as well. That covers what the groups
// miss: a process a job starts in the instant between its exec and parmap's
// Add (the pid is known only once the job runs), when parmap dies in that
// same instant, and a process that leaves its group (setsid, setpgid).
//
// What it cannot cover: such a process that has also cleared or replaced its
// environment (env -i). Closing that takes a cgroup: clone3 with
// CLONE_INTO_CGROUP (SysProcAttr.UseCgroupFD) puts a job in it from birth,
// and the guard would write cgroup.kill. That needs a writable cgroup v2
// directory (root, or a systemd-delegated one), so it could only be an
// addition to the guard, not a replacement.
//
//	parmap ── Add(pgid) / Remove(pgid) / bye ──▶ pipe ──▶ guard (setsid)
//	  │ dies: the kernel closes the pipe            │ EOF: SIGKILL every group held,
//	  │                                             │ then exit (the job log's lock goes)
package guard

import (
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"os"
	"sync"
	"sync/atomic"
	"syscall"
)

// Marker is the first argument of a guard process. A program that may be
// run as a guard (cmd.Main, and test binaries that run the engine with a
// guard) checks Invoked before anything else and then runs Main.
const Marker = "\x01parmap-guard\x01"

// envMarker must also be set in a guard's environment, so that a user who
// passes Marker as an argument by accident still gets parmap.
const envMarker = "PARMAP_GUARD_PROTOCOL=1"

// RunVar names the variable that marks a guarded run's jobs (Env); tokenVar
// passes the mark to the guard.
const (
	RunVar   = "PARMAP_RUN"
	tokenVar = "PARMAP_GUARD_RUN"
)

// The records parmap writes to the guard: op, three zero bytes, and the
// process group as a little-endian uint32. Each is one write(2) of fewer
// than PIPE_BUF bytes, so concurrent writers never interleave.
const (
	recordSize = 8
	opAdd      = '+'
	opRemove   = '-'
	opBye      = '.'
)

// Invoked reports whether this process was started as a guard.
func Invoked() bool {
	return len(os.Args) == 2 && os.Args[1] == Marker && os.Getenv("PARMAP_GUARD_PROTOCOL") == "1"
}

// Guard is parmap's end of a run's guard. It starts the guard process on
// the first Start; its methods are safe for concurrent use, and a Guard whose
// process could not be started does nothing.
type Guard struct {
	lock  *os.File // the job log, held by the guard until it has killed everything; nil for none
	token string   // the run's mark in its jobs' environments

	once  sync.Once
	w     atomic.Pointer[os.File] // the pipe's write end; nil until started, or when the start failed
	proc  *os.Process
	err   error
	close sync.Once
}

// New returns a guard, not yet started. lock, when not nil, is a file whose
// open file description the guard holds until it has killed every group
// (the job log, locked with flock). The guard may still hold it a moment
// after Close: the caller unlocks the file itself.
func New(lock *os.File) *Guard {
	var b [16]byte
	rand.Read(b[:])
	return &Guard{lock: lock, token: hex.EncodeToString(b[:])}
}

// Env returns the entry every job's environment gets, RunVar=token: the
// guard kills what carries it when parmap dies.
func (g *Guard) Env() string { return RunVar + "=" + g.token }

// Start starts the guard process, once; later calls return the first
// call's error. It runs this very program (/proc/self/exe) with Marker, in
// a session of its own (the terminal's SIGINT, SIGTSTP and SIGHUP do not
// reach it) with /dev/null for stdout and stderr (a pipeline reading
// parmap's output ends when parmap does).
func (g *Guard) Start() error {
	g.once.Do(func() { g.err = g.start() })
	return g.err
}

func (g *Guard) start() error {
	null, err := os.OpenFile(os.DevNull, os.O_RDWR, 0)
	if err != nil {
		return err
	}
	defer null.Close()
	r, w, err := os.Pipe()
	if err != nil {
		return err
	}
	defer r.Close()
	files := []*os.File{r, null, null}
	if g.lock != nil {
		files = append(files, g.lock)
	}
	// argv[0] as parmap's own, so that a test binary standing in for parmap
	// (testscript dispatches by it) runs the guard too.
	// /proc/self/exe, not the path parmap was started by: it runs even
	// when the file was replaced or removed since.
	proc, err := os.StartProcess("/proc/self/exe", []string{os.Args[0], Marker}, &os.ProcAttr{
		Env:   []string{envMarker, tokenVar + "=" + g.token},
		Files: files,
		Sys:   &syscall.SysProcAttr{Setsid: true},
	})
	if err != nil {
		w.Close()
		return err
	}
	g.proc = proc
	g.w.Store(w)
	return nil
}

// Add tells the guard that process group pgid has started.
func (g *Guard) Add(pgid int) { g.send(opAdd, pgid) }

// Remove tells the guard that process group pgid has no process left, or
// that nothing of it can run again. The guard counts: a group id added
// twice (reused by a new job while the old one's Remove was on its way) is
// held until removed twice.
func (g *Guard) Remove(pgid int) { g.send(opRemove, pgid) }

func (g *Guard) send(op byte, pgid int) {
	w := g.w.Load()
	if w == nil {
		return
	}
	var rec [recordSize]byte
	rec[0] = op
	binary.LittleEndian.PutUint32(rec[4:], uint32(pgid))
	// A failed write (the guard died) leaves the run without a guard; there
	// is nothing better to do than go on.
	w.Write(rec[:])
}

// Close tells the guard that parmap ends as it should (every group it
// started was waited for or killed). The guard exits when it reads that;
// Close does not wait for it (it reads in batches), a goroutine reaps it.
// Call it once the run's jobs have ended; later calls do nothing.
func (g *Guard) Close() {
	g.close.Do(func() {
		w := g.w.Load()
		if w == nil {
			return
		}
		g.send(opBye, 0)
		g.w.Store(nil)
		w.Close()
		go g.proc.Wait()
	})
}
