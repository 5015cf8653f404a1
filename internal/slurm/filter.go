package slurm

import (
	"bytes"
	"io"
	"regexp"
)

// chatter matches the whole lines (without "\n") that srun writes about a
// step's life rather than about the job:
//
//	srun: Job 7 step creation temporarily disabled, retrying (Requested nodes are busy)
//	srun: Job 7 step creation still disabled, retrying (Requested nodes are busy)
//	srun: Step created for job 7
//	srun: error: localhost: task 0: Exited with exit code 3
//	srun: Force Terminated StepId=7.4
//
// The first three are about queueing; the last two repeat the exit status,
// which srun returns (--quiet already hides the very last). "task 0:
// Killed", "task 0: Terminated" and slurmstepd's "*** STEP … CANCELLED ***"
// are kept: they tell a signal death apart from an exit with the same
// number.
var chatter = regexp.MustCompile(`^srun: (?:` +
	`Job \d+ step creation (?:temporarily|still) disabled, retrying(?: \(.*\))?` +
	`|Step created for job \d+` +
	`|error: \S+: tasks? [0-9,\-\[\]]+: Exited with exit code \d+` +
	`|Force Terminated (?:StepId=|job step )\S+` +
	`)\r?$`)

// prefix starts every line Filter may drop. Lines that cannot start with it
// are passed on as soon as they are written, even before their "\n".
const prefix = "srun: "

// Filter passes a step's stderr on to a writer, less srun's chatter: the
// lines about queueing and creating the step, and those that repeat the
// exit status srun returns. Everything else reaches the writer unchanged
// and in order. A line that starts like "srun: " is held until its "\n" (or
// Flush); any other bytes are written through at once.
//
// Use it as the Stderr of srun's exec.Cmd and call Flush after Wait. A
// Filter is not safe for concurrent use; exec.Cmd's copy of stderr is one
// writer.
type Filter struct {
	w   io.Writer
	buf []byte // the start of a line that may be chatter
	mid bool   // w has the start of a line whose end has not come yet
}

// maxChatter is longer than any chatter line: a held line that grows past
// it is passed on.
const maxChatter = 1024

// NewFilter returns a Filter writing to w.
func NewFilter(w io.Writer) *Filter { return &Filter{w: w} }

// Write filters p. It returns len(p) unless the writer fails.
func (f *Filter) Write(p []byte) (int, error) {
	n := len(p)
	for len(p) > 0 {
		if len(f.buf) == 0 {
			if i := f.passable(p); i > 0 {
				if _, err := f.w.Write(p[:i]); err != nil {
					return 0, err
				}
				p = p[i:]
				continue
			}
		}
		// A line that may be chatter starts in f.buf or at p[0].
		nl := bytes.IndexByte(p, '\n')
		if nl < 0 {
			f.buf = append(f.buf, p...)
			if !maybeChatter(f.buf) || len(f.buf) > maxChatter {
				if _, err := f.w.Write(f.buf); err != nil {
					return 0, err
				}
				f.buf, f.mid = f.buf[:0], true
			}
			return n, nil
		}
		line := append(f.buf, p[:nl+1]...)
		p = p[nl+1:]
		f.buf = line[:0]
		if chatter.Match(line[:len(line)-1]) {
			continue
		}
		if _, err := f.w.Write(line); err != nil {
			return 0, err
		}
	}
	return n, nil
}

// passable returns how much of p, which starts where f.buf would, can be
// written at once: whole lines that cannot be chatter, the rest of a line
// already begun, and a last line without "\n" that cannot be chatter.
func (f *Filter) passable(p []byte) int {
	i := 0
	for i < len(p) {
		if !f.mid && maybeChatter(p[i:]) {
			break
		}
		nl := bytes.IndexByte(p[i:], '\n')
		if nl < 0 {
			f.mid = true
			return len(p)
		}
		i += nl + 1
		f.mid = false
	}
	return i
}

// maybeChatter reports whether a line starting with b could be chatter:
// b starts with "srun: ", or is shorter and starts like it.
func maybeChatter(b []byte) bool {
	n := min(len(b), len(prefix))
	return string(b[:n]) == prefix[:n]
}

// Flush writes a held line that has no "\n" yet, unless it is chatter. Call
// it when the step's stderr is closed.
func (f *Filter) Flush() error {
	line := f.buf
	f.buf = nil
	if len(line) == 0 || chatter.Match(line) {
		return nil
	}
	_, err := f.w.Write(line)
	return err
}
