package cmd

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/parmap/parmap/channel"
	"github.com/parmap/parmap/exchange"
	"github.com/parmap/parmap/internal/joblog"
	"github.com/parmap/parmap/internal/records"
	"github.com/parmap/parmap/internal/results"
	"github.com/parmap/parmap/internal/slurm"
	"github.com/parmap/parmap/internal/template"
	"github.com/parmap/parmap/pmap"
)

// outputBudget bounds the bytes of finished jobs' output held in memory while
// waiting for their turn; beyond it they spill to a temporary file.
const outputBudget = 4 << 20

// handledSignals are the signals the exchange acts on.
var handledSignals = []os.Signal{syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP, syscall.SIGTSTP, syscall.SIGCONT}

func resetSignal(sig syscall.Signal) { signal.Reset(sig) }

// session is the state of one run shared by all its jobs.
type session struct {
	plan   *plan
	out    *pmap.Output
	budget *pmap.Budget
	order  pmap.Orderer[*job]
	env    []string
	paths  sync.Map // program name → path found in PATH
	bar    progress
	log    *joblog.Log     // --joblog; nil without it
	dir    *results.Dir    // --results; nil without it
	skip   map[string]bool // --resume: command lines that already succeeded
	// due reports whether job seq's output is due next (with -k), so that
	// the job may write to parmap's own output directly; nil without -k.
	due func(seq int64) bool
	// stdout and stderr are parmap's own.
	stdout, stderr *os.File
	// remote runs jobs on the -S hosts; nil without -S.
	remote *remote
	// beforeDeath runs before parmap dies of a signal, when deferred
	// calls would not run.
	beforeDeath func()
	// extraFiles are given to every job as descriptors 3, 4, …: the ends of
	// the jobserver parmap serves (--jobserver).
	extraFiles []*os.File
	// captures[slot] are the files the job in that slot writes its stdout
	// and stderr into (--group); made when the slot is first used.
	captures [][2]*pmap.Capture
	// With -k, a finished job whose turn has not come keeps its capture
	// files as its waiting output (up to maxHeldCaptures of them), and the
	// slot takes spare ones.
	capMu sync.Mutex
	held  int
	spare [][2]*pmap.Capture
}

// maxHeldCaptures bounds the capture pairs held by waiting outputs (two
// file descriptors each); beyond it, waiting output moves into buffers.
const maxHeldCaptures = 256

// job is one task: a record, and once it runs, its command and output.
type job struct {
	s      *session
	rec    records.Record
	cmd    template.Command
	stdout *pmap.Buffer
	stderr *pmap.Buffer
	lines  [2]*pmap.LineWriter
	slot   int    // the slot of its latest run
	tag    string // prefix of each output line, "" for none
	// live is true when the job wrote to parmap's output directly.
	live bool
	// direct holds the capture files the job's output is written from:
	// its slot's, when its turn came as it ended, or a pair it holds
	// while it waits (held).
	direct *[2]*pmap.Capture
	held   bool
	json   []byte        // --json: the job's line, printed in its turn
	host   string        // where it ran, for the job log: ":" here, else the -S login
	filter *slurm.Filter // --slurm: srun's stderr filter, flushed when the job ends
	// feed writes the job's stdin (pipe mode), on every run of it;
	// release frees what it writes from, once the job has ended.
	feed    func(w *os.File) (int64, error)
	release func()
}

// execute runs the plan and returns parmap's exit status.
func (p *plan) execute(stdin io.Reader, stdout, stderr *os.File) int {
	var r *records.Reader
	var blockSrc *blockSource
	var err error
	if p.pipe.on {
		blockSrc, err = p.openBlocks(stdin)
	} else {
		r, err = records.Open(p.sources, stdin, p.recordOpt)
	}
	if err != nil {
		fmt.Fprintf(stderr, "parmap: %s\n", oneLine(wordError(withSources(err, p.sourceFlags))))
		return exitError
	}
	if blockSrc != nil {
		// Jobs read their ranges of the file until the run ends.
		defer blockSrc.close()
	}
	mj, err := p.setupMakeJobs(func(msg string) { fmt.Fprintln(stderr, msg) })
	if err != nil {
		fmt.Fprintf(stderr, "parmap: %s\n", oneLine(err.Error()))
		return exitError
	}
	// Every slot taken from make goes back, whatever way the run ends
	// (status runs it too, before parmap dies of a signal).
	defer mj.close()
	if mj.client != nil {
		p.control.Tokens = mj
	}
	var rm *remote
	if len(p.remote.hosts) > 0 && !p.dryRun {
		octx, ocancel := context.WithTimeout(context.Background(), 60*time.Second)
		rm, err = p.openRemote(octx, func(msg string) { fmt.Fprintln(stderr, msg) })
		ocancel()
		if err != nil {
			fmt.Fprintf(stderr, "parmap: %s\n", oneLine(err.Error()))
			return exitError
		}
		// The masters end with the run, whatever way it ends.
		defer rm.close()
	}

	s := &session{plan: p, budget: pmap.NewBudget(outputBudget, p.tmpdir), env: baseEnv(mj.env), stdout: stdout, stderr: stderr, extraFiles: mj.files, remote: rm,
		beforeDeath: func() {
			mj.close()
			if rm != nil {
				rm.close()
			}
		}}
	if p.joblog != "" && !p.dryRun {
		if p.resume {
			if s.skip, err = joblog.Succeeded(p.joblog); err != nil {
				fmt.Fprintf(stderr, "parmap: --joblog %s\n", oneLine(err.Error()))
				return exitError
			}
		}
		if s.log, err = joblog.Open(p.joblog, p.resume); err != nil {
			fmt.Fprintf(stderr, "parmap: --joblog %s\n", oneLine(err.Error()))
			return exitError
		}
		defer s.log.Close()
	}

	if p.results != "" && !p.dryRun {
		if s.dir, err = results.OpenDir(p.results); err != nil {
			fmt.Fprintf(stderr, "parmap: %s\n", oneLine(wordError(err)))
			return exitError
		}
	}

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	sigs := make(chan os.Signal, 4)
	signal.Notify(sigs, handledSignals...)
	defer signal.Stop(sigs)
	// Asking for SIGPIPE turns a write to a closed pipe into an EPIPE error
	// instead of an abrupt death, so jobs can be stopped first.
	pipes := make(chan os.Signal, 1)
	signal.Notify(pipes, syscall.SIGPIPE)
	defer signal.Stop(pipes)

	s.out = pmap.NewOutput(stdout, stderr, func(error) { cancel() })
	s.bar = newProgress(p.bar, stderr, p.jobs)
	if p.reuse.on {
		return s.runReuse(ctx, r, sigs)
	}

	defer s.budget.Close()
	if p.mode == pmap.Group && !p.dryRun {
		slots := p.jobs
		if slots == 0 {
			slots = exchange.MaxUnlimited
		}
		if rm != nil {
			slots = 0
			for _, h := range rm.hosts {
				slots += cmp.Or(h.Slots, p.jobs)
			}
		}
		s.captures = make([][2]*pmap.Capture, slots+1)
		defer s.closeCaptures()
	}
	if p.keepOrder {
		m := pmap.NewMap(1, s.emit)
		s.order = m
		if p.tag || p.tagText != nil || p.control.Retries > 0 || p.results != "" || p.json || p.joblog != "" {
			// Tags, --results, --json and the job log's byte count need
			// parmap to read the output, and a run that may be retried
			// must not have written anything yet.
			s.due = func(int64) bool { return false }
		} else {
			s.due = func(seq int64) bool { return m.Next() == seq }
		}
	} else {
		s.order = pmap.NewQueue(s.emit)
	}

	queue := max(1, min(p.jobs, 64))
	if blockSrc != nil {
		// Blocks in memory: one per running job, and the next one, cut
		// and waiting to be taken.
		queue = 0
	}
	tasks := make(chan exchange.Task, queue)
	var readErr atomic.Pointer[error] // set by the reader goroutine
	// The reader goroutine owns r: it may be blocked reading endless
	// input when the run ends, and then parmap exits without waiting.
	go func() {
		defer close(tasks)
		if blockSrc != nil {
			s.readBlocks(ctx, blockSrc, tasks, &readErr)
			return
		}
		s.readRecords(r, &readErr,
			func(rec records.Record) { s.order.Put(rec.Seq, &job{s: s, rec: rec}) },
			func(rec records.Record) bool {
				select {
				case tasks <- &job{s: s, rec: rec}:
					return true
				case <-ctx.Done():
					return false
				}
			})
	}()

	opt := p.control
	opt.Jobs, opt.KillAfter, opt.Success, opt.Signals, opt.DryRun = p.jobs, p.killAfter, p.success, sigs, p.dryRun
	if p.cluster.alloc != nil {
		opt.StopSignal = slurm.StopSignal
	}
	if rm != nil {
		rm.exchangeOptions(&opt, p.jobs, s.out.Message)
	}
	x := exchange.New(opt)
	if rm != nil {
		rm.x = x
	}
	sum := x.Run(ctx, tasks, s.done)
	s.bar.Finish()
	if sum.HostsDown {
		s.out.Message("parmap: every host of -S failed; the jobs left were not run")
		return exitError
	}
	return s.status(sum.Signal, readErr.Load(), sum.Halted, sum.HaltExit, sum.Failed)
}

// status is parmap's exit status at the end of a run: it dies of the signal
// that stopped the run, reports a failed output or input, or counts failures.
func (s *session) status(sig syscall.Signal, readErr *error, halted bool, haltExit int, failed int64) int {
	switch {
	case sig != 0:
		s.beforeDeath()
		return dieOf(sig)
	case s.out.Err() != nil:
		if errors.Is(s.out.Err(), syscall.EPIPE) {
			s.beforeDeath()
			return dieOf(syscall.SIGPIPE)
		}
		fmt.Fprintf(s.stderr, "parmap: writing output: %s\n", oneLine(s.out.Err().Error()))
		return exitError
	case readErr != nil:
		fmt.Fprintf(s.stderr, "parmap: %s\n", oneLine(wordError(withSources(*readErr, s.plan.sourceFlags))))
		return exitError
	case halted:
		// GNU parallel: the exit status of the job that triggered the halt.
		return haltExit
	}
	return exitStatus(failed)
}

// readRecords reads the records to their end, an error, or until send
// returns false, and closes r. Each record to run goes to send; one that is
// another shard's (--shard) or that --resume finds done already goes to
// skip, to keep its place in the order.
func (s *session) readRecords(r *records.Reader, readErr *atomic.Pointer[error], skip func(records.Record), send func(records.Record) bool) {
	defer r.Close()
	for {
		rec, err := r.Next()
		if err == io.EOF {
			s.bar.InputDone()
			return
		}
		if err != nil {
			readErr.Store(&err)
			return
		}
		if !s.plan.inShard(rec.Seq) || s.skip != nil && s.succeeded(&rec) {
			skip(rec)
			continue
		}
		s.bar.Add(1)
		if !send(rec) {
			return
		}
	}
}

// readBlocks cuts the input of pipe mode into jobs, one block each.
func (s *session) readBlocks(ctx context.Context, src *blockSource, tasks chan<- exchange.Task, readErr *atomic.Pointer[error]) {
	for {
		j, err := src.next(s)
		if err == io.EOF {
			s.bar.InputDone()
			return
		}
		if err != nil {
			err = fmt.Errorf("reading the input: %w", err)
			readErr.Store(&err)
			return
		}
		if !s.plan.inShard(j.rec.Seq) {
			j.release()
			s.order.Put(j.rec.Seq, &job{s: s, rec: j.rec})
			continue
		}
		s.bar.Add(1)
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

// baseEnv is parmap's environment without the variables it sets per job,
// and with makeflags ("MAKEFLAGS=…", when not empty) instead of its own.
func baseEnv(makeflags string) []string {
	var env []string
	for _, kv := range os.Environ() {
		if strings.HasPrefix(kv, "PARMAP_SEQ=") || strings.HasPrefix(kv, "PARMAP_SLOT=") ||
			makeflags != "" && strings.HasPrefix(kv, "MAKEFLAGS=") {
			continue
		}
		env = append(env, kv)
	}
	if makeflags != "" {
		env = append(env, makeflags)
	}
	return env
}

// Spec expands the job's command for its slot and wires its output.
func (j *job) Spec(slot int) (channel.Spec, error) {
	s := j.s
	cmd, err := s.plan.tmpl.Expand(&j.rec, slot)
	if err != nil {
		return channel.Spec{}, err
	}
	j.cmd, j.slot = cmd, slot
	if s.plan.dryRun {
		return channel.Spec{}, nil
	}
	env := append(s.env[:len(s.env):len(s.env)],
		"PARMAP_SEQ="+strconv.FormatInt(j.rec.Seq, 10),
		"PARMAP_SLOT="+strconv.Itoa(slot))
	spec := channel.Spec{Path: s.lookPath(cmd.Argv[0]), Argv: cmd.Argv, Env: env, Feed: j.feed, ExtraFiles: s.extraFiles}
	j.host = ":"
	if s.remote != nil {
		j.host = s.remote.spec(&spec, slot, cmd.Line, j.rec.Seq, s.lookPath)
	}

	switch s.plan.mode {
	case pmap.Group:
		if s.due != nil && s.due(j.rec.Seq) {
			// Every earlier job's output is out and no later one can go
			// before this one's: it may write to parmap's output itself.
			j.live = true
			spec.Stdout, spec.Stderr = s.stdout, s.stderr
			break
		}
		c, err := s.capture(slot)
		if err != nil {
			return channel.Spec{}, err
		}
		spec.Stdout, spec.Stderr = c[0].File(), c[1].File()
	case pmap.LineBuffer:
		tag := s.tag(j, slot)
		j.lines = [2]*pmap.LineWriter{s.out.Lines(tag, false), s.out.Lines(tag, true)}
		spec.Stdout, spec.Stderr = j.lines[0], j.lines[1]
	case pmap.Ungroup:
		spec.Stdout, spec.Stderr = s.stdout, s.stderr
	}
	if s.plan.cluster.alloc != nil {
		// Once the output is wired: srun's chatter is taken out of the
		// job's stderr.
		j.filter = s.plan.slurmStep(&spec, s.lookPath)
	}
	return spec, nil
}

// Retry forgets the output of a failed run before the job runs again
// (--retries): only the last run is printed. Output already passed on
// (--line-buffer, -u) cannot be taken back.
func (j *job) Retry() {
	for i, l := range j.lines {
		if l != nil {
			l.Close()
			j.lines[i] = nil
		}
	}
	if s := j.s; s.captures != nil {
		for _, c := range s.captures[j.slot] {
			if c != nil {
				c.Reset()
			}
		}
	}
}

// capture returns the slot's capture files, making them on first use.
func (s *session) capture(slot int) ([2]*pmap.Capture, error) {
	c := &s.captures[slot]
	if c[0] == nil {
		s.capMu.Lock()
		if n := len(s.spare); n > 0 {
			*c = s.spare[n-1]
			s.spare = s.spare[:n-1]
		}
		s.capMu.Unlock()
	}
	for i := range c {
		if c[i] == nil {
			var err error
			if c[i], err = pmap.NewCapture(s.plan.tmpdir); err != nil {
				return *c, fmt.Errorf("capturing output: %w", err)
			}
		}
	}
	return *c, nil
}

// holdCaptures takes the slot's capture files for a job whose output must
// wait, leaving the slot to take spare ones; false when too many are held.
func (s *session) holdCaptures(slot int) ([2]*pmap.Capture, bool) {
	s.capMu.Lock()
	defer s.capMu.Unlock()
	if s.held >= maxHeldCaptures {
		return [2]*pmap.Capture{}, false
	}
	s.held++
	pair := s.captures[slot]
	s.captures[slot] = [2]*pmap.Capture{}
	return pair, true
}

// releaseCaptures returns a held pair, empty again, to the spares.
func (s *session) releaseCaptures(pair [2]*pmap.Capture) {
	s.capMu.Lock()
	defer s.capMu.Unlock()
	s.held--
	s.spare = append(s.spare, pair)
}

// collect moves the output a job left in its slot's capture files into
// buffers of its own, freeing the files for the slot's next job. When a
// process of the job still lives (a background child), the slot gets new
// files so that nothing it writes later reaches another job's output.
func (s *session) collect(j *job, slot int, lingering bool) {
	j.stdout, j.stderr = pmap.NewBuffer(s.budget), pmap.NewBuffer(s.budget)
	for i, b := range []*pmap.Buffer{j.stdout, j.stderr} {
		c := s.captures[slot][i]
		err := c.Take(b)
		if err == nil && lingering {
			err = c.Renew()
		}
		if err != nil {
			s.out.Message(fmt.Sprintf("parmap: job %d: reading its output: %s", j.rec.Seq, oneLine(err.Error())))
		}
		b.Seal()
	}
}

func (s *session) closeCaptures() {
	for _, c := range append(s.captures, s.spare...) {
		for _, f := range c {
			if f != nil {
				f.Close()
			}
		}
	}
}

// lookPath finds a program in PATH once per name; it returns "" when the
// program is not found, so that starting it fails with the usual message.
func (s *session) lookPath(name string) string {
	if strings.Contains(name, "/") {
		return name
	}
	if p, ok := s.paths.Load(name); ok {
		return p.(string)
	}
	p, err := exec.LookPath(name)
	if err != nil {
		return ""
	}
	s.paths.Store(name, p)
	return p
}

// tag returns the prefix for the job's output lines, "" for none.
func (s *session) tag(j *job, slot int) string {
	switch {
	case s.plan.tagText != nil:
		return s.plan.tagText.Expand(&j.rec, slot)
	case s.plan.tag:
		return strings.Join(j.rec.Values, " ")
	}
	return ""
}

// done receives a finished job from the exchange.
func (s *session) done(t exchange.Task, slot int, res channel.Result) {
	j := t.(*job)
	if j.filter != nil {
		j.filter.Flush()
		j.filter = nil
	}
	if j.release != nil {
		j.release()
		j.feed, j.release = nil, nil
	}
	for _, l := range j.lines {
		if l != nil {
			l.Close()
		}
	}
	switch {
	case res.Err != nil:
		s.out.Message(fmt.Sprintf("parmap: job %d: %s", j.rec.Seq, oneLine(wordError(res.Err))))
	case res.TimedOut:
		s.out.Message(fmt.Sprintf("parmap: job %d: stopped after --timeout %v (%v)", j.rec.Seq, s.plan.control.Timeout, res.Signal))
	}
	if s.plan.mode == pmap.Group {
		j.tag = s.tag(j, slot)
	}
	defer s.bar.Done(res.Failed(s.plan.success) && !s.plan.dryRun)
	if s.log != nil {
		s.logJob(j, res, s.received(j, slot))
	}
	if (s.dir != nil || s.plan.json) && s.captures != nil && s.captures[slot][0] != nil && !j.live {
		s.record(j, slot, res)
		if j.json != nil {
			s.order.Put(j.rec.Seq, j) // the line stands in for the output
			return
		}
	}
	if s.captures != nil && s.captures[slot][0] != nil && !j.live {
		// If it is the job's turn now, its output goes out straight from
		// the capture files. Otherwise the job keeps the files as its
		// waiting output, or, with too many held or a process of the job
		// still alive, its output moves into buffers; either way the slot
		// is free for its next job.
		if !res.Lingering {
			j.direct = &s.captures[slot]
			if s.order.TryPut(j.rec.Seq, j) {
				return
			}
			j.direct = nil
			if pair, ok := s.holdCaptures(slot); ok {
				j.direct, j.held = &pair, true
				s.order.Put(j.rec.Seq, j)
				return
			}
		}
		s.collect(j, slot, res.Lingering)
	}
	s.order.Put(j.rec.Seq, j)
}

// succeeded reports whether --resume finds the record's command line logged
// as succeeded. The line is expanded for slot 1: a template using {%} cannot
// be matched across runs.
func (s *session) succeeded(rec *records.Record) bool {
	if s.plan.reuse.on {
		return s.skip[s.plan.reuseLine(rec)]
	}
	cmd, err := s.plan.tmpl.Expand(rec, 1)
	return err == nil && s.skip[cmd.Line]
}

// record saves the job's output under --results and makes its --json line
// (which then stands in for its output), reading the slot's capture files.
func (s *session) record(j *job, slot int, res channel.Result) {
	c := s.captures[slot]
	rj := results.Job{Seq: j.rec.Seq, Input: j.rec.Values, Command: j.cmd.Line,
		Exit: res.Exit, Signal: int(res.Signal), Start: res.Start, Runtime: res.Runtime}
	fail := func(err error) {
		s.out.Message(fmt.Sprintf("parmap: job %d: %s", j.rec.Seq, oneLine(wordError(err))))
	}
	readers := func() bool {
		var err error
		if rj.Stdout, err = c[0].Reader(); err == nil {
			rj.Stderr, err = c[1].Reader()
		}
		if err != nil {
			fail(err)
		}
		return err == nil
	}
	if s.dir != nil && readers() {
		if err := s.dir.Write(rj); err != nil {
			fail(err)
		}
	}
	if s.plan.json && readers() {
		line, err := results.JSON(rj)
		if err != nil {
			fail(err)
			return
		}
		j.json = line
		for _, f := range c {
			f.Reset()
		}
	}
}

// received returns the bytes of output the job wrote (its capture files'
// sizes); 0 when they were not captured (-u, --line-buffer).
func (s *session) received(j *job, slot int) int64 {
	if s.captures == nil || j.live || s.captures[slot][0] == nil {
		return 0
	}
	var n int64
	for _, c := range s.captures[slot] {
		if size, err := c.Size(); err == nil {
			n += size
		}
	}
	return n
}

// logJob appends the job's line to the job log.
func (s *session) logJob(j *job, res channel.Result, received int64) {
	e := joblog.Entry{
		Seq:     j.rec.Seq,
		Host:    cmp.Or(j.host, ":"),
		Start:   res.Start,
		Runtime: res.Runtime,
		Send:    res.Sent,
		Receive: received,
		Exitval: res.Exit,
		Signal:  int(res.Signal),
		Command: j.cmd.Line,
	}
	if res.Signal != 0 {
		e.Exitval = 0 // as GNU parallel logs a job killed by a signal
	}
	if err := s.log.Write(e); err != nil {
		s.out.Message(fmt.Sprintf("parmap: --joblog: %s", oneLine(err.Error())))
	}
}

// emit writes a job's output; the Map or Queue calls it in output order.
func (s *session) emit(j *job) {
	switch {
	case s.plan.dryRun:
		s.out.Stdout([]byte(j.cmd.Line + "\n"))
	case j.json != nil:
		s.out.Stdout(j.json)
	case j.live:
		// Its output is out already.
	case j.direct != nil:
		if err := s.out.WriteCaptured(j.tag, j.direct[0], j.direct[1]); err != nil {
			s.out.Message(fmt.Sprintf("parmap: job %d: reading its output: %s", j.rec.Seq, oneLine(err.Error())))
		}
		if j.held {
			s.releaseCaptures(*j.direct)
		}
		j.direct = nil
	case j.stdout != nil:
		s.out.WriteJob(j.tag, j.stdout, j.stderr)
		j.stdout.Release()
		j.stderr.Release()
	}
}
