// Package results writes finished jobs' outputs as files under a results directory (--results) or as JSON lines (--json).
package results

import (
	"io"
	"time"
)

// Job is one finished job, as the two structured outputs see it.
type Job struct {
	Seq     int64         // the job number, from 1; it alone names the job's directory
	Input   []string      // the record's values: one for a single source, several with several sources or fields
	Command string        // the command line that ran
	Exit    int           // the exit value
	Signal  int           // the signal that ended the job, 0 when none
	Start   time.Time     // when the job started
	Runtime time.Duration // how long it ran
	Stdout  io.Reader     // the job's whole stdout; nil means empty
	Stderr  io.Reader     // the job's whole stderr; nil means empty
}
