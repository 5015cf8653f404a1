package engine

import (
	"strings"

	"github.com/parmap/parmap/channel"
	"github.com/parmap/parmap/exchange"
	"github.com/parmap/parmap/internal/joblog"
	"github.com/parmap/parmap/internal/results"
	"github.com/parmap/parmap/pmap"
)

// form says where a job's output is, and so what emit does in its turn.
type form int

const (
	// skipped: nothing to write. Another shard's job, one Resume found
	// done, or one whose command could not be made; it only keeps its
	// place in the order.
	skipped form = iota
	// dryRun: the command line is the output (--dry-run).
	dryRun
	// live: written to the run's output by the job itself while it ran
	// (-u).
	live
	// lines: passed on a line at a time while it ran (--line-buffer).
	lines
	// captured: in its slot's capture files, while it runs and when its
	// turn has come as it ends.
	captured
	// held: in a capture Pair taken from its slot, waiting for its turn.
	held
	// buffered: moved into Buffers (memory up to the budget, then the spill
	// file), waiting for its turn.
	buffered
	// jsonLine: one JSON line stands in for the output (--json).
	jsonLine
	// tableLine: a row of the results file stands in for the output
	// (--results FILE.csv), after the header when it is the first.
	tableLine
)

// output is a job's output in its form.
type output struct {
	form           form
	pair           pmap.Pair    // captured, held
	stdout, stderr *pmap.Buffer // buffered
	json           []byte       // jsonLine, tableLine
	header         []byte       // tableLine
	tag            string       // line prefix, "" for none: captured, held, buffered
}

// wireOutput points the job's stdout and stderr where its output goes while
// it runs, by the run's output mode.
func (j *job) wireOutput(spec *channel.Spec, slot int) error {
	r := j.r
	switch r.cfg.Mode {
	case pmap.Group:
		// Even the job whose turn has come (-k) writes into its capture
		// files, not into the run's output itself: a background process
		// it leaves behind would keep that output and write into later
		// jobs' output. Renewed capture files cut such a process off.
		pair, err := r.captures.Slot(slot)
		if err != nil {
			return &CaptureError{Err: err}
		}
		j.out = output{form: captured, pair: pair}
		spec.Stdout, spec.Stderr = pair.Stdout.File(), pair.Stderr.File()
	case pmap.LineBuffer:
		tag := r.tag(j, slot)
		j.lines = [2]*pmap.LineWriter{r.out.Lines(tag, false, r.budget), r.out.Lines(tag, true, r.budget)}
		j.out = output{form: lines}
		spec.Stdout, spec.Stderr = j.lines[0], j.lines[1]
	case pmap.Ungroup:
		j.out = output{form: live}
		spec.Stdout, spec.Stderr = r.st.Stdout, r.st.Stderr
		// On the bar's terminal, through a pipe to print above the bar.
		if w := r.live[0]; w != nil {
			spec.Stdout = w
		}
		if w := r.live[1]; w != nil {
			spec.Stderr = w
		}
	}
	return nil
}

// CaptureError is a job whose output could not be captured: no capture
// file could be made in the temporary directory.
type CaptureError struct{ Err error }

func (e *CaptureError) Error() string { return "capturing output: " + e.Err.Error() }
func (e *CaptureError) Unwrap() error { return e.Err }

// tag returns the prefix of the job's output lines, "" for none.
func (r *run) tag(j *job, slot int) string {
	switch {
	case !r.cfg.Tag:
		return ""
	case r.cfg.TagText != nil:
		return r.cfg.TagText.Expand(&j.rec, slot)
	}
	return strings.Join(j.rec.Values, " ")
}

// done receives a finished job from the exchange: it logs it, saves its
// results, settles its output's form and hands it to the order.
func (r *run) done(t exchange.Task, slot int, res channel.Result) {
	j := t.(*job)
	cfg := r.cfg
	if j.filter != nil {
		j.filter.Flush()
		j.filter = nil
	}
	notStarted := res.Err == exchange.ErrNotStarted
	j.oom = j.unplace()
	// The job log first, before any of the job's output is passed on: a
	// job parmap dies after reaping but before logging runs again on
	// --resume, so this gap is kept as short as it can be.
	if r.log != nil && !notStarted {
		r.logJob(j, res)
	}
	if j.release != nil {
		j.release()
		j.feed, j.release = nil, nil
	}
	j.closeLines()
	if notStarted {
		// The run stopped before the job started (SIGHUP's drain, a
		// stop, a halt): it ran nowhere, so it is neither logged, nor
		// recorded, nor counted (GNU parallel logs no job it did not
		// start; --resume runs it next time). It keeps its place in the
		// order.
		j.out = output{}
		r.order.Put(j.rec.Seq, j)
		return
	}
	switch {
	case res.Err != nil:
		r.notify(Notice{Kind: JobError, Seq: j.rec.Seq, Command: j.cmd.Line, Err: res.Err, Host: j.host})
	case res.TimedOut:
		r.notify(Notice{Kind: JobTimedOut, Seq: j.rec.Seq, Command: j.cmd.Line, Timeout: cfg.Timeout, Signal: res.Signal})
	case j.oom && res.Failed(cfg.Success):
		r.notify(Notice{Kind: JobOutOfMemory, Seq: j.rec.Seq, Command: j.cmd.Line, Limits: cfg.Limits, Via: r.limits.Kind()})
	}
	r.usage.add(j.rec.Seq, res.Usage)
	if cfg.DryRun {
		if res.Err == nil {
			j.out.form, j.out.tag = dryRun, r.tag(j, slot)
		}
		r.bar.Done(false)
		r.order.Put(j.rec.Seq, j)
		return
	}
	defer r.finished(res)
	if res.Err != nil && j.out.form != captured {
		j.out.form = skipped // its command could not be made
	}
	if j.out.form == captured && res.Err == nil {
		// Before anything reads or empties the capture files.
		if err := j.out.pair.Short(); err != nil {
			r.notify(Notice{Kind: JobOutputLost, Seq: j.rec.Seq, Err: err})
		}
	}
	// --results and --json (Group mode only) record every job, one whose
	// command could not be made too.
	if r.table != nil {
		r.tableRow(j, res)
		r.order.Put(j.rec.Seq, j)
		return
	}
	if (r.dir != nil || cfg.JSON) && r.record(j, res) {
		r.order.Put(j.rec.Seq, j) // the JSON line stands in for the output
		return
	}
	if j.out.form != captured {
		r.order.Put(j.rec.Seq, j)
		return
	}
	if cfg.Files && res.Err == nil {
		r.saveFiles(j)
	}
	j.out.tag = r.tag(j, slot)
	// If it is the job's turn now, its output goes out straight from the
	// capture files. Otherwise the job keeps the files as its waiting
	// output, or, with too many held or a process of the job still alive,
	// its output moves into buffers; either way the slot is free for its
	// next job.
	if !res.Lingering {
		if r.order.TryPut(j.rec.Seq, j) {
			return
		}
		if pair, ok := r.captures.Hold(slot); ok {
			j.out.form, j.out.pair = held, pair
			r.order.Put(j.rec.Seq, j)
			return
		}
	}
	r.collect(j, slot, res.Lingering)
	r.order.Put(j.rec.Seq, j)
}

// collect moves the output a job left in its slot's capture files into
// buffers of its own, freeing the files for the slot's next job. When a
// process of the job still lives (a background child), the slot gets new
// files so that nothing it writes later reaches another job's output.
func (r *run) collect(j *job, slot int, lingering bool) {
	o := &j.out
	o.stdout, o.stderr = pmap.NewBuffer(r.budget), pmap.NewBuffer(r.budget)
	for i, c := range [2]*pmap.Capture{o.pair.Stdout, o.pair.Stderr} {
		b := [2]*pmap.Buffer{o.stdout, o.stderr}[i]
		if err := c.Take(b); err != nil {
			r.notify(Notice{Kind: JobOutputLost, Seq: j.rec.Seq, Err: err})
		}
		b.Seal()
		if err := b.Err(); err != nil { // the spill file could not take it all
			r.notify(Notice{Kind: JobOutputLost, Seq: j.rec.Seq, Err: err})
		}
	}
	if lingering {
		if err := r.captures.Renew(slot); err != nil {
			r.notify(Notice{Kind: JobOutputLost, Seq: j.rec.Seq, Err: err})
		}
	}
	o.form, o.pair = buffered, pmap.Pair{}
}

// record saves the job's output under --results and, with --json, makes
// its line, reading the slot's capture files (nothing, for a job that did
// not start); it reports whether the line now stands in for the output.
func (r *run) record(j *job, res channel.Result) bool {
	pair := j.out.pair
	rj := results.Job{Seq: j.rec.Seq, Input: j.rec.Values, Command: j.cmd.Line,
		Exit: res.Exit, Signal: int(res.Signal), Start: res.Start, Runtime: res.Runtime,
		Resources: resources(res.Usage, j.oom)}
	fail := func(err error) {
		r.notify(Notice{Kind: JobResultsFailed, Seq: j.rec.Seq, Err: err})
	}
	readers := func() bool {
		if pair.Stdout == nil {
			return true
		}
		var err error
		if rj.Stdout, err = pair.Stdout.Reader(); err == nil {
			rj.Stderr, err = pair.Stderr.Reader()
		}
		if err != nil {
			fail(err)
		}
		return err == nil
	}
	if r.dir != nil && readers() {
		if err := r.dir.Write(rj); err != nil {
			fail(err)
		}
	}
	if !r.cfg.JSON || !readers() {
		return false
	}
	line, err := results.JSON(rj)
	if err != nil {
		fail(err)
		return false
	}
	if pair.Stdout != nil {
		pair.Reset()
	}
	j.out = output{form: jsonLine, json: line}
	return true
}

// logJob appends the job's line to the job log. Receive is the bytes the
// job wrote, when they were captured. A log on standard output gets the
// line after the job's output instead (emit), as GNU parallel writes it.
func (r *run) logJob(j *job, res channel.Result) {
	var received int64
	if j.out.form == captured {
		received, _ = j.out.pair.Size()
	}
	e := joblog.Entry{
		Seq:     j.rec.Seq,
		Host:    j.host,
		Start:   res.Start,
		Runtime: res.Runtime,
		Send:    res.Sent,
		Receive: received,
		Exitval: res.Exit,
		Signal:  int(res.Signal),
		Command: j.cmd.Line,
	}
	if e.Host == "" {
		e.Host = ":"
	}
	if res.Signal != 0 {
		e.Exitval = 0 // as GNU parallel logs a job killed by a signal
	}
	if res.TimedOut && e.Exitval == 0 {
		// GNU parallel: -1 for a job stopped by --timeout, unless it exited
		// with a status of its own; Signal stays the one it died of.
		e.Exitval = -1
	}
	if r.log.Stream() {
		j.logged = &e
		return
	}
	if err := r.log.Write(e); err != nil {
		r.notify(Notice{Kind: JoblogFailed, Seq: j.rec.Seq, Err: err})
	}
}

// emit writes a job's output; the Map or Queue calls it in output order.
func (r *run) emit(j *job) {
	o := &j.out
	switch o.form {
	case skipped, live, lines:
		// Nothing to write, or it is out already.
	case dryRun:
		r.wrote(j, r.out.Stdout(verboseLine(o.tag, j.cmd.Line)))
	case jsonLine:
		r.wrote(j, r.out.Stdout(o.json))
	case tableLine:
		r.writeRow(j)
	case captured, held:
		if r.cfg.Verbose {
			r.wrote(j, r.out.Stdout(verboseLine(o.tag, j.cmd.Line)))
		}
		r.wrote(j, r.out.WriteCaptured(o.tag, o.pair.Stdout, o.pair.Stderr))
		if o.form == held {
			r.captures.Release(o.pair)
		}
	case buffered:
		if r.cfg.Verbose {
			r.wrote(j, r.out.Stdout(verboseLine(o.tag, j.cmd.Line)))
		}
		r.wrote(j, r.out.WriteJob(o.tag, o.stdout, o.stderr))
		// Before the spill file gives space back: see pmap.Pair.Short.
		r.captures.CheckSpace()
		o.stdout.Release()
		o.stderr.Release()
	}
	*o = output{}
	if j.logged != nil {
		r.log.Write(*j.logged) // on standard output: its error is the output's
		j.logged = nil
	}
}

// verboseLine is the line Verbose writes before a job's output: its
// command line, tagged as its output lines are.
func verboseLine(tag, line string) []byte {
	if tag != "" {
		return []byte(tag + "\t" + line + "\n")
	}
	return []byte(line + "\n")
}
