package engine

import (
	"errors"
	"sync"
	"syscall"

	"github.com/parmap/parmap/internal/results"
	"github.com/parmap/parmap/pmap"
)

// where is where a job's lost output was to go.
type where int

const (
	toOutput where = iota
	toResults
	toJoblog
)

// lostJobs keeps the jobs that lost output, for Summary.Lost; safe for
// concurrent use.
type lostJobs struct {
	mu   sync.Mutex
	seqs [3]map[int64]bool // by where
}

// add counts job seq as having lost output that was to go to w.
func (l *lostJobs) add(w where, seq int64) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.seqs[w] == nil {
		l.seqs[w] = make(map[int64]bool)
	}
	l.seqs[w][seq] = true
}

// note counts the job of a notice that says it lost output.
func (l *lostJobs) note(n Notice) {
	var dir *results.DirError
	var table *results.TableError
	switch {
	case n.Kind == JobOutputLost:
		l.add(toOutput, n.Seq)
	case n.Kind == JobResultsFailed && (errors.As(n.Err, &dir) || errors.As(n.Err, &table)):
		l.add(toResults, n.Seq)
	case n.Kind == JobResultsFailed: // its JSON line, which is its output
		l.add(toOutput, n.Seq)
	case n.Kind == JoblogFailed:
		l.add(toJoblog, n.Seq)
	}
}

func (l *lostJobs) count() Lost {
	l.mu.Lock()
	defer l.mu.Unlock()
	return Lost{Output: int64(len(l.seqs[toOutput])), Results: int64(len(l.seqs[toResults])), Joblog: int64(len(l.seqs[toJoblog]))}
}

// wrote takes the outcome of writing job j's output to the run's streams.
// A failed stream is said once, at the end of the run (Summary.OutputErr),
// and a closed pipe only stops the run; anything else is said now.
func (r *run) wrote(j *job, err error) {
	var stream *pmap.StreamError
	switch {
	case err == nil, errors.Is(err, syscall.EPIPE):
	case errors.As(err, &stream):
		r.lost.add(toOutput, j.rec.Seq)
	default:
		r.notify(Notice{Kind: JobOutputLost, Seq: j.rec.Seq, Err: err})
	}
}
