package runs

import (
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

// Names of the files in a run's directory.
const (
	MetaFile   = "meta.json"
	LockName   = "lock"
	StateFile  = "state.json"
	JobLogFile = "joblog"
	InputFile  = "input"
	AddedFile  = "added"
	OutputFile = "output"
	SocketName = "ctl"
)

// Meta is what a run is: written by Create into meta.json, the supervisor's
// pid set later by SetPID.
type Meta struct {
	ID      string    `json:"id"`
	Command []string  `json:"command"` // the command line, as given
	Dir     string    `json:"dir"`     // the working directory of its jobs
	Start   time.Time `json:"start"`
	PID     int       `json:"pid"` // the supervisor's, once it runs
	UID     int       `json:"uid"`
}

// Run is one run's directory. A Run from Create or Adopt, or one that
// Lock succeeded on, holds the run's lock until Close.
type Run struct {
	ID  string
	Dir string

	lock *os.File // the locked file, nil when not held
}

// ValidID reports whether id follows IDRule.
func ValidID(id string) bool {
	if id == "" || len(id) > 64 || id[0] == '.' {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		case c == '.', c == '_', c == '-':
		default:
			return false
		}
	}
	return true
}

// Create makes a new run under parent, whole or not at all: the directory
// is built as parent/.new-* (mode 0700, holding meta.json, state.json saying
// "starting", the lock file locked, and empty added, output and joblog
// files; input is Spool's), then renamed to parent/ID without replacing anything. An empty id
// gets a new 8-character one; another is checked against IDRule
// (*BadIDError) and must be free (*IDInUseError). meta's ID, UID and, when
// zero, Start are filled in. The returned Run holds the lock: pass
// LockFile to the supervisor, then Close.
func Create(parent, id string, meta Meta) (*Run, error) {
	if id != "" && !ValidID(id) {
		return nil, &BadIDError{ID: id}
	}
	if err := EnsureParent(parent); err != nil {
		return nil, err
	}
	tmp, err := os.MkdirTemp(parent, ".new-")
	if err != nil {
		return nil, &ParentError{Path: parent, Op: "write", Err: unwrapPath(err)}
	}
	r := &Run{Dir: tmp}
	ok := false
	defer func() {
		if !ok {
			r.Close()
			os.RemoveAll(tmp)
		}
	}()
	if err := os.Chmod(tmp, 0o700); err != nil {
		return nil, err
	}
	if err := r.takeLock(false); err != nil {
		return nil, err
	}
	for _, name := range []string{AddedFile, OutputFile, JobLogFile} {
		f, err := os.OpenFile(filepath.Join(tmp, name), os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
		if err != nil {
			return nil, err
		}
		f.Close()
	}
	if meta.Start.IsZero() {
		meta.Start = time.Now()
	}
	meta.UID = os.Getuid()
	given := id != ""
	for try := 0; ; try++ {
		if !given {
			id = newID()
		}
		meta.ID = id
		if err := r.writeJSON(MetaFile, meta); err != nil {
			return nil, err
		}
		if err := r.writeJSON(StateFile, Status{ID: id, State: Starting}); err != nil {
			return nil, err
		}
		final := filepath.Join(parent, id)
		err := renameNoReplace(tmp, final)
		if err == nil {
			r.ID, r.Dir = id, final
			break
		}
		if !errors.Is(err, fs.ErrExist) && !errors.Is(err, unix.ENOTEMPTY) {
			return nil, &fs.PathError{Op: "rename", Path: final, Err: err}
		}
		if given || try == 10 {
			return nil, &IDInUseError{ID: id, Dir: final}
		}
	}
	ok = true
	syncDir(parent)
	removeStale(parent)
	return r, nil
}

// staleAge is how old a .new-* directory whose lock is free must be to be
// the leftover of a Create that died: a live one is locked within a moment
// of being made.
const staleAge = 10 * time.Minute

// removeStale removes the .new-* directories under parent that Creates
// killed halfway left behind.
func removeStale(parent string) {
	ents, _ := os.ReadDir(parent)
	for _, e := range ents {
		if !e.IsDir() || !strings.HasPrefix(e.Name(), ".new-") {
			continue
		}
		fi, err := e.Info()
		if err != nil || time.Since(fi.ModTime()) < staleAge {
			continue
		}
		r := &Run{Dir: filepath.Join(parent, e.Name())}
		if held, err := r.lockHeld(); err == nil && !held {
			os.RemoveAll(r.Dir)
		}
	}
}

// renameNoReplace renames the directory from to to, failing with EEXIST
// when to exists. Where renameat2's RENAME_NOREPLACE is not supported, to
// is claimed by mkdir (EEXIST when taken), then replaced by the rename: only
// the claimer ever renames onto it.
func renameNoReplace(from, to string) error {
	err := unix.Renameat2(unix.AT_FDCWD, from, unix.AT_FDCWD, to, unix.RENAME_NOREPLACE)
	if err != unix.EINVAL && err != unix.ENOSYS {
		return err
	}
	if err := unix.Mkdir(to, 0o700); err != nil {
		return err
	}
	return unix.Rename(from, to)
}

// newID returns 8 random characters of [a-z0-9]: about 41 bits.
func newID() string {
	const alphabet = "abcdefghijklmnopqrstuvwxyz0123456789"
	b := make([]byte, 8)
	rand.Read(b)
	for i := range b {
		b[i] = alphabet[int(b[i])%len(alphabet)]
	}
	return string(b)
}

// Open returns the run id under parent, without its lock. An id that is
// not valid is a *BadIDError, one with no run an *UnknownRunError.
func Open(parent, id string) (*Run, error) {
	if !ValidID(id) {
		return nil, &BadIDError{ID: id}
	}
	dir := filepath.Join(parent, id)
	fi, err := os.Stat(dir)
	if errors.Is(err, fs.ErrNotExist) || (err == nil && !fi.IsDir()) {
		return nil, &UnknownRunError{ID: id, Parent: parent}
	}
	if err != nil {
		return nil, err
	}
	return &Run{ID: id, Dir: dir}, nil
}

// Adopt returns the run id under parent driven by the caller, a supervisor
// that inherited the locked file (LockFile of Create's Run) as lock. It
// checks that lock is that run's lock file and holds its lock (flock on the
// inherited open file description, which the creator locked), and marks it
// close-on-exec so that no job inherits it: the lock is the supervisor's
// alone (hand it on to a guard explicitly, if the run should count as live
// until the guard has killed every job).
func Adopt(parent, id string, lock *os.File) (*Run, error) {
	r, err := Open(parent, id)
	if err != nil {
		return nil, err
	}
	var got, want unix.Stat_t
	if err := unix.Fstat(int(lock.Fd()), &got); err != nil {
		return nil, &fs.PathError{Op: "fstat", Path: lock.Name(), Err: err}
	}
	path := filepath.Join(r.Dir, LockName)
	if err := unix.Stat(path, &want); err != nil {
		return nil, &fs.PathError{Op: "stat", Path: path, Err: err}
	}
	if got.Dev != want.Dev || got.Ino != want.Ino {
		return nil, fmt.Errorf("adopt run %s: descriptor %d is not %s", id, lock.Fd(), path)
	}
	if err := flock(int(lock.Fd()), unix.LOCK_EX|unix.LOCK_NB); err != nil {
		return nil, &LockedError{Dir: r.Dir}
	}
	// An inherited descriptor is not closed on exec: the jobs would hold
	// the lock, and a run whose supervisor died would not look dead while
	// one of them lived on.
	unix.CloseOnExec(int(lock.Fd()))
	r.lock = lock
	return r, nil
}

// Lock takes the lock of a run opened with Open, for a process that will
// drive it (--resume-run of a dead run). A run whose lock is held by a live
// supervisor is a *LockedError. Close releases it.
func (r *Run) Lock() error {
	if r.lock != nil {
		return nil
	}
	return r.takeLock(true)
}

// takeLock opens (creating it) and locks the lock file. Status probes hold
// a shared lock for an instant, so a busy lock is tried again for a while
// before it counts as held (when retry).
func (r *Run) takeLock(retry bool) error {
	path := filepath.Join(r.Dir, LockName)
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return err
	}
	deadline := time.Now().Add(200 * time.Millisecond)
	for {
		err = flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB)
		if err == nil {
			r.lock = f
			return nil
		}
		if err != unix.EWOULDBLOCK || !retry || time.Now().After(deadline) {
			f.Close()
			if err == unix.EWOULDBLOCK {
				return &LockedError{Dir: r.Dir}
			}
			return &fs.PathError{Op: "flock", Path: path, Err: err}
		}
		time.Sleep(time.Millisecond)
	}
}

// LockFile returns the open file that holds the run's lock (nil when this
// Run does not hold it), for the supervisor to inherit (exec.Cmd's
// ExtraFiles): the lock stays held as long as any process keeps it open.
func (r *Run) LockFile() *os.File { return r.lock }

// Close lets go of this process's hold of the lock (a supervisor that
// inherited the locked file keeps the lock). It does not unlock: the lock
// belongs to the open file description, which others may share.
func (r *Run) Close() error {
	if r.lock == nil {
		return nil
	}
	err := r.lock.Close()
	r.lock = nil
	return err
}

// Meta reads the run's meta.json.
func (r *Run) Meta() (Meta, error) {
	var m Meta
	err := r.readJSON(MetaFile, &m)
	return m, err
}

// SetPID records the supervisor's pid in meta.json.
func (r *Run) SetPID(pid int) error {
	m, err := r.Meta()
	if err != nil {
		return err
	}
	m.PID = pid
	return r.writeJSON(MetaFile, m)
}

// Path returns the path of the named file of the run (MetaFile…SocketName).
func (r *Run) Path(name string) string { return filepath.Join(r.Dir, name) }

// JobLogPath returns the path of the run's job log.
func (r *Run) JobLogPath() string { return r.Path(JobLogFile) }

// InputPath returns the path of the run's spooled standard input.
func (r *Run) InputPath() string { return r.Path(InputFile) }

// AddedPath returns the path of the records added to the run (Append).
func (r *Run) AddedPath() string { return r.Path(AddedFile) }

// OutputPath returns the path of the run's output file.
func (r *Run) OutputPath() string { return r.Path(OutputFile) }

// SocketPath returns the path of the run's control socket.
func (r *Run) SocketPath() string { return r.Path(SocketName) }

func flock(fd, how int) error {
	for {
		err := unix.Flock(fd, how)
		if err != unix.EINTR {
			return err
		}
	}
}

// writeJSON writes v as the run's file name atomically: a temporary file in
// the directory, fsynced, renamed over name, the directory fsynced.
func (r *Run) writeJSON(name string, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	f, err := os.CreateTemp(r.Dir, "."+name+"-")
	if err != nil {
		return err
	}
	_, err = f.Write(append(b, '\n'))
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(f.Name(), filepath.Join(r.Dir, name))
	}
	if err != nil {
		os.Remove(f.Name())
		return err
	}
	syncDir(r.Dir)
	return nil
}

func (r *Run) readJSON(name string, v any) error {
	b, err := os.ReadFile(filepath.Join(r.Dir, name))
	if err != nil {
		return err
	}
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("%s: %w", filepath.Join(r.Dir, name), err)
	}
	return nil
}

// syncDir fsyncs a directory so a rename in it survives a crash; a file
// system that cannot is not an error.
func syncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
}
