package runs

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

// State is where a run is.
type State string

// The states of a run. Starting, Running, Paused and Draining are saved by
// the holder of the lock; Done is final; Dead is never saved: it is a
// run whose state is not Done while nobody holds its lock.
const (
	Starting State = "starting" // created; no supervisor has saved a state yet
	Running  State = "running"
	Paused   State = "paused"   // starts no new job until continued
	Draining State = "draining" // stopped: starts no new job, ends when running ones end
	Done     State = "done"     // ended; Exit holds its exit status
	Dead     State = "dead"     // its supervisor died before the run ended
)

// Status is a run's state and counts: what state.json holds, what the
// status op answers, and what --status --json prints.
type Status struct {
	ID      string    `json:"id"`
	State   State     `json:"state"`
	Done    int64     `json:"done"`   // jobs finished
	Total   int64     `json:"total"`  // jobs known so far
	Failed  int64     `json:"failed"` // jobs finished with a failure
	Jobs    int       `json:"jobs"`   // jobs run at once (-j, --set-jobs)
	Command []string  `json:"command"`
	Start   time.Time `json:"start"`
	Exit    *int      `json:"exit,omitempty"` // the run's exit status, once Done
}

// ErrNotLocked is the error of SaveStatus and Finish on a Run that does not
// hold the run's lock: only the process driving the run saves its state.
var ErrNotLocked = errors.New("the run's lock is not held by this process")

// SaveStatus saves st as the run's state.json, atomically. Only the holder
// of the lock saves; the supervisor saves on every change of state and, as
// often as it likes (say once a second), the counts, which List shows for
// a run whose supervisor does not answer.
func (r *Run) SaveStatus(st Status) error {
	if r.lock == nil {
		return ErrNotLocked
	}
	st.ID = r.ID
	if st.State == Done || st.State == Dead {
		st.State = Running // Done is Finish's; Dead is never saved
	}
	st.Exit = nil
	return r.writeJSON(StateFile, st)
}

// Finish saves the final state: Done with the run's exit status.
func (r *Run) Finish(exit int, st Status) error {
	if r.lock == nil {
		return ErrNotLocked
	}
	st.ID = r.ID
	st.State = Done
	st.Exit = &exit
	return r.writeJSON(StateFile, st)
}

// Status returns the run's saved status, with its state told as the package
// doc says (Done, Dead, or the saved one while the lock is held), and the
// command and start time from meta.json.
func (r *Run) Status() (Status, error) {
	st, err := r.savedStatus()
	if err != nil || (st.State == Done && st.Exit != nil) {
		return st, err
	}
	held, err := r.lockHeld()
	if err != nil {
		return Status{}, err
	}
	if held {
		return st, nil
	}
	// The supervisor may have finished, and let go of the lock, since the
	// read: read again, now that nobody writes.
	if st, err = r.savedStatus(); err != nil || (st.State == Done && st.Exit != nil) {
		return st, err
	}
	st.State = Dead
	return st, nil
}

// savedStatus reads state.json, with the command and start time of
// meta.json.
func (r *Run) savedStatus() (Status, error) {
	var st Status
	if err := r.readJSON(StateFile, &st); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return Status{}, err
	}
	st.ID = r.ID
	if st.State == "" {
		st.State = Starting
	}
	if m, err := r.Meta(); err == nil {
		st.Command, st.Start = m.Command, m.Start
	}
	return st, nil
}

// lockHeld reports whether some process holds the run's lock: a shared
// lock tried without waiting is refused while one holds it exclusively.
func (r *Run) lockHeld() (bool, error) {
	if r.lock != nil {
		return true, nil
	}
	f, err := os.Open(filepath.Join(r.Dir, LockName))
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	defer f.Close()
	switch err := flock(int(f.Fd()), unix.LOCK_SH|unix.LOCK_NB); err {
	case nil:
		flock(int(f.Fd()), unix.LOCK_UN)
		return false, nil
	case unix.EWOULDBLOCK:
		return true, nil
	default:
		return false, &fs.PathError{Op: "flock", Path: f.Name(), Err: err}
	}
}

// ListTimeout is how long List waits for a live run's supervisor to answer.
var ListTimeout = 250 * time.Millisecond

// List returns the CurrentStatus of every run under parent, oldest first
// (a missing parent has none). The counts of a run whose lock is held are
// asked of its supervisor, so they are current; where it does not answer
// within ListTimeout, they are the ones it last saved. The counts of a
// done or dead run are the last saved.
func List(parent string) ([]Status, error) {
	ents, err := os.ReadDir(parent)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, &ParentError{Path: parent, Op: "read", Err: unwrapPath(err)}
	}
	var list []Status
	for _, e := range ents {
		if !e.IsDir() || strings.HasPrefix(e.Name(), ".") || !ValidID(e.Name()) {
			continue
		}
		r := &Run{ID: e.Name(), Dir: filepath.Join(parent, e.Name())}
		st, err := r.CurrentStatus()
		if err != nil {
			return nil, err
		}
		list = append(list, st)
	}
	sort.SliceStable(list, func(i, j int) bool { return list[i].Start.Before(list[j].Start) })
	return list, nil
}

// CurrentStatus is Status with, for a run whose lock is held, the state
// and counts asked of its supervisor (the status op) when it answers within
// ListTimeout: what --status shows.
func (r *Run) CurrentStatus() (Status, error) {
	st, err := r.Status()
	if err != nil || st.State == Done || st.State == Dead {
		return st, err
	}
	if live, err := r.askStatus(ListTimeout); err == nil {
		live.ID, live.Command, live.Start, live.Exit = st.ID, st.Command, st.Start, nil
		if live.State == "" || live.State == Done || live.State == Dead {
			live.State = st.State // only the directory says done or dead
		}
		st = live
	}
	return st, nil
}

func (r *Run) askStatus(timeout time.Duration) (Status, error) {
	c, err := dial(r.Dir, timeout)
	if err != nil {
		return Status{}, err
	}
	defer c.Close()
	c.Timeout = timeout
	return c.Status()
}
