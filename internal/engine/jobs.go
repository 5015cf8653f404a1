package engine

import (
	"context"
	"io"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync/atomic"

	"github.com/parmap/parmap/channel"
	"github.com/parmap/parmap/exchange"
	"github.com/parmap/parmap/internal/cgroup"
	"github.com/parmap/parmap/internal/guard"
	"github.com/parmap/parmap/internal/joblog"
	"github.com/parmap/parmap/internal/records"
	"github.com/parmap/parmap/internal/slurm"
	"github.com/parmap/parmap/internal/template"
	"github.com/parmap/parmap/pmap"
)

// job is one task: a record (or a block), and once it runs, its command and
// where its output is.
type job struct {
	r    *run
	rec  records.Record
	cmd  template.Command
	slot int    // the slot of its latest run
	host string // where it ran, for the job log: ":" here, else the -S login
	out  output
	// lines pass its output on a line at a time while it runs
	// (--line-buffer); closed when it ends or is run again.
	lines [2]*pmap.LineWriter
	// filter takes srun's chatter out of its stderr (Slurm); flushed when
	// it ends.
	filter *slurm.Filter
	// feed writes its stdin (pipe mode), on every run of it; release frees
	// what feed writes from, once the job has ended.
	feed    func(w *os.File) (int64, error)
	release func()
	// logged is its job log line when the log is on standard output,
	// written after its output.
	logged *joblog.Entry
	// group is the control group of its latest run (Config.Limits);
	// oom tells that the OOM killer killed a process of it.
	group *cgroup.Group
	oom   bool
}

// runJobs runs a process per record (or block).
func (r *run) runJobs(ctx context.Context) Summary {
	cfg := r.cfg
	r.budget = pmap.NewBudget(outputBudget, cfg.TmpDir)
	defer r.budget.Close()
	if cfg.Mode == pmap.Group && !cfg.DryRun {
		r.captures = pmap.NewCapturePool(cfg.TmpDir, maxHeldCaptures)
		defer r.captures.Close()
	}
	if cfg.KeepOrder || cfg.DryRun {
		// A dry run prints the commands in input order, as GNU parallel:
		// its jobs end in no order, since nothing runs.
		r.order = pmap.NewMap(1, r.emit)
	} else {
		r.order = pmap.NewQueue(r.emit)
	}

	queue := max(1, min(cfg.Jobs, 64))
	if r.blocks != nil {
		// Blocks in memory: one per running job, and the next one, cut
		// and waiting to be taken.
		queue = 0
	}
	tasks := make(chan exchange.Task, queue)
	var readErr atomic.Pointer[error] // set by the reader goroutine
	rd := r.records
	r.records = nil // the reader goroutine owns it now
	if rd != nil {
		r.countRecords()
	}
	x := exchange.New(r.exchangeOptions())
	r.x = x
	if r.remote != nil {
		r.remote.x = x
	}
	if r.agents != nil {
		r.agents.watch(x)
	}
	r.st.Control.attach(x)
	// The reader goroutine may be blocked reading endless input when the
	// run ends; the run does not wait for it.
	go func() {
		defer close(tasks)
		if r.blocks != nil && cfg.Pipe.RoundRobin {
			r.dealBlocks(ctx, x.Quit(), tasks, &readErr)
			return
		}
		if r.blocks != nil {
			r.readBlocks(ctx, tasks, &readErr)
			return
		}
		send := func(rec records.Record) bool {
			select {
			case tasks <- &job{r: r, rec: rec}:
				return true
			case <-ctx.Done():
				return false
			}
		}
		skip := func(rec records.Record) { r.order.Put(rec.Seq, &job{r: r, rec: rec}) }
		if cfg.Halt.Percent > 0 {
			// A percentage counts against all the jobs (GNU parallel,
			// which reads all its input at the first job that counts):
			// the input is read to its end before the first job starts.
			var all []records.Record
			r.readRecords(rd, &readErr, skip, func(rec records.Record) bool {
				all = append(all, rec)
				return true
			})
			x.SetTotal(int64(len(all)))
			for i, rec := range all {
				all[i] = records.Record{}
				if !send(rec) {
					return
				}
			}
			return
		}
		r.readRecords(rd, &readErr, skip, send)
	}()
	xs := x.Run(ctx, tasks, r.done)
	r.bar.Finish()
	r.sayTotals()
	sum := Summary{Done: xs.Done, Failed: xs.Failed, Signal: xs.Signal, Stopped: xs.Stopped, Halted: xs.Halted, HaltExit: xs.HaltExit}
	if xs.HostsDown {
		sum.Err = ErrHostsDown
		if r.agents != nil && !r.cfg.Agents.SSH {
			sum.Err = ErrAgentsDown
		}
	}
	if err := readErr.Load(); err != nil {
		sum.InputErr = *err
	}
	return sum
}

// readRecords reads the records to their end, an error, or until send
// returns false, and closes rd. Each record to run goes to send; one that
// is another shard's or that Resume finds done already goes to skip, to
// keep its place in the order.
func (r *run) readRecords(rd *records.Reader, readErr *atomic.Pointer[error], skip func(records.Record), send func(records.Record) bool) {
	defer rd.Close()
	for {
		rec, err := rd.Next()
		if err == io.EOF {
			r.inputDone()
			return
		}
		if err != nil {
			readErr.Store(&err)
			return
		}
		if !r.cfg.Shard.In(rec.Seq) || r.skip != nil && r.succeeded(&rec) {
			r.bar.Skip()
			skip(rec)
			continue
		}
		r.readOne()
		if !send(rec) {
			return
		}
	}
}

// readBlocks cuts the input of pipe mode into jobs, one block each.
func (r *run) readBlocks(ctx context.Context, tasks chan<- exchange.Task, readErr *atomic.Pointer[error]) {
	for {
		j, err := r.blocks.next(r)
		if err == io.EOF {
			r.inputDone()
			return
		}
		if err != nil {
			err = &ReadError{Err: err}
			readErr.Store(&err)
			return
		}
		if !r.cfg.Shard.In(j.rec.Seq) {
			if j.release != nil {
				j.release()
			}
			r.order.Put(j.rec.Seq, &job{r: r, rec: j.rec})
			continue
		}
		r.readOne()
		select {
		case tasks <- j:
		case <-ctx.Done():
			if j.release != nil {
				j.release()
			}
			return
		}
	}
}

// succeeded reports whether Resume finds the record's command line in the
// job log (logged at all; logged as succeeded, with ResumeFailed). The line is expanded for slot 1: a template using {%}
// cannot be matched across runs.
func (r *run) succeeded(rec *records.Record) bool {
	if r.cfg.Reuse != nil {
		return r.skip[r.reuseLine(reuseInput(rec))]
	}
	cmd, err := r.cfg.Template.Expand(rec, 1)
	return err == nil && r.skip[cmd.Line]
}

// baseEnv is env without the variables the run sets per job, and with
// makeflags ("MAKEFLAGS=…", when not empty) instead of its own.
func baseEnv(env []string, makeflags string) []string {
	var out []string
	for _, kv := range env {
		if strings.HasPrefix(kv, "PARMAP_SEQ=") || strings.HasPrefix(kv, "PARMAP_SLOT=") ||
			strings.HasPrefix(kv, "PARALLEL_SEQ=") || strings.HasPrefix(kv, "PARALLEL_JOBSLOT=") ||
			strings.HasPrefix(kv, guard.RunVar+"=") ||
			makeflags != "" && strings.HasPrefix(kv, "MAKEFLAGS=") {
			continue
		}
		out = append(out, kv)
	}
	if makeflags != "" {
		out = append(out, makeflags)
	}
	return out
}

// lookPath finds a program in PATH once per name; it returns "" when the
// program is not found, so that starting it fails with the usual error.
func (r *run) lookPath(name string) string {
	if strings.Contains(name, "/") {
		return name
	}
	if p, ok := r.paths.Load(name); ok {
		return p.(string)
	}
	p, err := exec.LookPath(name)
	if err != nil {
		return ""
	}
	r.paths.Store(name, p)
	return p
}

// Spec expands the job's command for its slot and wires its output.
func (j *job) Spec(slot int) (channel.Spec, error) {
	r := j.r
	j.out = output{} // an earlier run's form is gone with it (Retry)
	cmd, err := r.cfg.Template.Expand(&j.rec, slot)
	if err != nil {
		return channel.Spec{}, err
	}
	j.cmd, j.slot = cmd, slot
	switch {
	case r.cfg.Confirm != nil:
		if !r.cfg.Confirm(cmd) {
			return channel.Spec{}, exchange.ErrSkipped
		}
	case r.cfg.Trace:
		r.out.Message(cmd.Line)
	}
	if r.cfg.DryRun {
		return channel.Spec{}, nil
	}
	seq, slotNo := strconv.FormatInt(j.rec.Seq, 10), strconv.Itoa(slot)
	env := append(r.env[:len(r.env):len(r.env)],
		"PARMAP_SEQ="+seq, "PARMAP_SLOT="+slotNo,
		"PARALLEL_SEQ="+seq, "PARALLEL_JOBSLOT="+slotNo) // GNU parallel's names
	if r.cfg.SlotVar != "" {
		env = append(env, r.cfg.SlotVar+"="+strconv.Itoa(slot-1))
	}
	spec := channel.Spec{Path: r.lookPath(cmd.Argv[0]), Argv: cmd.Argv, Env: r.slotDevices(env, slot), Feed: j.feed, ExtraFiles: r.make.files, Guard: r.guarded(),
		Stdin: r.cfg.JobStdin, CPUs: r.slotCPUs(slot), Nice: r.cfg.Nice}
	j.host = ":"
	if r.remote != nil {
		j.host = r.remote.spec(&spec, slot, cmd.Line, j.rec.Seq, r.lookPath)
	}
	if r.agents != nil {
		j.host = r.agents.spec(&spec, slot, &j.rec)
	}
	if err := j.wireOutput(&spec, slot); err != nil {
		return channel.Spec{}, err
	}
	if r.cfg.Verbose && j.out.form != captured {
		// Output passed on as it comes: the command line goes first, now.
		r.wrote(j, r.out.Stdout(verboseLine(r.tag(j, slot), cmd.Line)))
	}
	if r.cfg.Slurm != nil {
		// Once the output is wired: srun's chatter is taken out of the
		// job's stderr.
		j.filter = slurmStep(r.cfg.Slurm, &spec, r.lookPath)
	}
	// Last, so that no error after it leaves the group behind.
	if err := j.place(&spec, slot); err != nil {
		return channel.Spec{}, err
	}
	return spec, nil
}

// lowered is told by the exchange that the run ran out of a resource with n
// jobs running, and runs at most n at once from now on. Output held in
// capture files for its turn (-k) holds descriptors until that turn comes:
// from now on it goes to buffers instead, so that the files held cannot
// starve the job whose turn it is.
func (r *run) lowered(n int, err error) {
	if r.captures != nil {
		r.captures.StopHolding()
	}
	r.notify(Notice{Kind: JobsLowered, Jobs: n, Err: err})
}

// shed is told by the exchange that job t was stopped for want of memory.
func (r *run) shed(t exchange.Task, _ int, res channel.Result) {
	if j, ok := t.(*job); ok {
		r.notify(Notice{Kind: JobShed, Seq: j.rec.Seq, Command: j.cmd.Line, Signal: res.Signal})
	}
}

// Retry forgets the output of a failed run before the job runs again
// (--retries): only the last run is printed. Output already passed on
// (--line-buffer, -u) cannot be taken back.
func (j *job) Retry() {
	j.unplace()
	j.closeLines()
	if j.out.form == captured {
		j.out.pair.Reset()
	}
}

// closeLines passes on what is left of the lines of a run that ended.
func (j *job) closeLines() {
	for i, l := range j.lines {
		if l != nil {
			if err := l.Close(); err != nil {
				// A long line could not be held in the spill file.
				j.r.notify(Notice{Kind: JobOutputLost, Seq: j.rec.Seq, Err: err})
			}
			j.lines[i] = nil
		}
	}
}
