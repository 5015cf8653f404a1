package cmd

import (
	"context"
	"fmt"
	"io"
	"os"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/parmap/parmap/channel"
	"github.com/parmap/parmap/internal/joblog"
	"github.com/parmap/parmap/internal/records"
	"github.com/parmap/parmap/internal/template"
	"github.com/parmap/parmap/pmap"
	"github.com/parmap/parmap/reuse"
)

// reuseOptions are the --reuse settings.
type reuseOptions struct {
	on         bool
	line       string // the worker's command line (for slot 1), for the job log
	protocol   reuse.Protocol
	window     int
	maxRecords int
}

// maxWaitingAnswers bounds the bytes of answers held for an earlier record
// under -k: beyond it no new record is sent until the earlier one is out.
const maxWaitingAnswers = 8 << 20

// answerFlushInterval is how long answers may wait in parmap's output
// buffer. It is well below what a person or a pipeline notices. A shorter
// one costs lock-step runs dearly: with 1 ms, the timer's wake-ups made
// them about 30 % slower on two CPUs.
const answerFlushInterval = 10 * time.Millisecond

// maxQueuedInput bounds the bytes of records read ahead for the workers
// (beyond one record).
const maxQueuedInput = 16 << 20

// parseReuse reads --reuse, --reuse-protocol, --window and --max-records
// and checks that the rest of the plan suits workers.
func (p *plan) parseReuse(c *cli.Context) error {
	p.reuse = reuseOptions{on: c.Bool("reuse"), window: 1}
	if !p.reuse.on {
		for _, f := range []string{"reuse-protocol", "window", "max-records"} {
			if c.IsSet(f) {
				return usagef("--%s only applies to --reuse workers; add --reuse", f)
			}
		}
		return nil
	}
	var err error
	if c.IsSet("reuse-protocol") {
		if p.reuse.protocol, err = reuse.ParseProtocol(c.String("reuse-protocol")); err != nil {
			return usagef("%s", wordReuse(err))
		}
	}
	for _, n := range []struct {
		flag string
		dst  *int
		min  int
		what string
	}{{"window", &p.reuse.window, 1, "records in flight per worker, 1 or more"}, {"max-records", &p.reuse.maxRecords, 1, "records per worker before it is replaced, 1 or more"}} {
		if c.IsSet(n.flag) {
			v, err := strconv.Atoi(c.String(n.flag))
			if err != nil || v < n.min {
				return usagef("--%s %q: give the number of %s", n.flag, c.String(n.flag), n.what)
			}
			*n.dst = v
		}
	}
	switch {
	case len(p.command) == 0:
		return usagef("--reuse needs a worker command that reads records on stdin and answers each, e.g. parmap --reuse python3 -u worker.py")
	case p.jobs == 0:
		return usagef("--reuse needs a number of workers; give -j N (1 or more), not -j 0")
	case p.recordOpt.MaxArgs > 1 || p.recordOpt.XArgs > 0:
		return usagef("--reuse sends one record at a time; drop -n and -X")
	case p.dryRun || p.results != "" || p.json:
		return usagef("--reuse cannot be used with --dry-run, --results or --json")
	case p.perRecordCommand():
		return usagef("--reuse starts the command once per worker, so only {%%} can be replaced in it; the records come on the worker's stdin")
	}
	cmd, err := p.tmpl.Expand(&records.Record{}, 1)
	if err != nil {
		return usagef("%v", err)
	}
	p.reuse.line = cmd.Line
	return nil
}

// perRecordCommand reports whether the command template changes from record
// to record (it uses {}, {#}, {1}, …).
func (p *plan) perRecordCommand() bool {
	if !p.tmpl.HasReplacement() {
		return false // the records would only be appended, which --reuse does not do
	}
	a := records.Record{Seq: 1, Values: []string{"a", "a"}, Args: []string{"a"}}
	b := records.Record{Seq: 2, Values: []string{"b", "b"}, Args: []string{"b"}}
	ca, errA := p.tmpl.Expand(&a, 1)
	cb, errB := p.tmpl.Expand(&b, 1)
	return errA != nil || errB != nil || ca.Line != cb.Line
}

// reuseLine is the line the job log records for a record sent to workers:
// the worker's command (as for slot 1) and the record, quoted. --resume
// matches records by it.
func (p *plan) reuseLine(rec *records.Record) string {
	return p.reuseLineOf(reuseInput(rec))
}

func (p *plan) reuseLineOf(input string) string {
	return p.reuse.line + " " + template.Quote(input)
}

// reuseInput is what a worker is sent for a record: its values joined by
// single spaces, as {} gives them.
func reuseInput(rec *records.Record) string {
	if len(rec.Args) == 1 {
		return rec.Args[0]
	}
	return strings.Join(rec.Args, " ")
}

// answer is one record's output, waiting for its turn under -k.
type answer struct {
	output []byte
	tag    string
	ok     bool // false: failed or skipped, nothing to print
	held   bool // counted in the bytes waiting
}

// runReuse sends the records to long-lived workers and prints their answers.
func (s *session) runReuse(ctx context.Context, r *records.Reader, sigs chan os.Signal) int {
	p := s.plan
	if os.Getenv("GOGC") == "" {
		// Records stream through at up to a million a second: the small
		// heap goal set for jobs would collect after every few thousand.
		debug.SetGCPercent(100)
	}
	end := p.recordOpt.Delim
	if p.reuse.protocol == reuse.Null {
		end = 0
	}
	var waiting atomic.Int64 // bytes of answers held under -k
	room := sync.NewCond(&sync.Mutex{})
	emit := func(a answer) {
		if a.ok {
			s.out.Gather(a.tag, a.output, end)
		}
	}
	var order pmap.Orderer[answer]
	if p.keepOrder {
		order = pmap.NewMap(1, func(a answer) {
			emit(a)
			if a.held {
				if waiting.Add(-int64(len(a.output))-64) < maxWaitingAnswers {
					room.L.Lock()
					room.Broadcast()
					room.L.Unlock()
				}
			}
		})
	} else {
		order = pmap.NewQueue(emit)
	}
	stop := context.AfterFunc(ctx, func() {
		room.L.Lock()
		room.Broadcast()
		room.L.Unlock()
	})
	defer stop()

	in := reuse.NewInput(max(256, 2*p.jobs*p.reuse.window), maxQueuedInput)
	var readErr atomic.Pointer[error]
	fields := p.recordOpt.ColSep != nil
	go func() {
		defer in.Close()
		s.readRecords(r, &readErr,
			func(rec records.Record) { order.Put(rec.Seq, answer{}) },
			func(rec records.Record) bool {
				if p.keepOrder && waiting.Load() >= maxWaitingAnswers {
					// Answers wait for an earlier one: send no more until
					// it is out.
					room.L.Lock()
					for waiting.Load() >= maxWaitingAnswers && ctx.Err() == nil {
						room.Wait()
					}
					room.L.Unlock()
				}
				req := &reuse.Request{Seq: rec.Seq, Input: reuseInput(&rec)}
				if fields || len(rec.Args) > 1 {
					req.Fields = rec.Values
				}
				if p.tagText != nil {
					req.Item = &rec
				} else if p.tag {
					req.Item = strings.Join(rec.Values, " ")
				}
				return in.Put(ctx, req)
			})
	}()

	workerCmd := func(slot int) (channel.Spec, error) {
		cmd, err := p.tmpl.Expand(&records.Record{}, slot)
		if err != nil {
			return channel.Spec{}, err
		}
		env := append(s.env[:len(s.env):len(s.env)], "PARMAP_SLOT="+strconv.Itoa(slot))
		return channel.Spec{Path: s.lookPath(cmd.Argv[0]), Argv: cmd.Argv, Env: env, ExtraFiles: s.extraFiles}, nil
	}
	deliver := func(a reuse.Answer) {
		req := a.Req
		failed := a.Err != nil
		if failed {
			s.out.Message(fmt.Sprintf("parmap: record %d: %s", req.Seq, wordReuse(a.Err)))
		}
		if s.log != nil {
			e := joblog.Entry{Seq: req.Seq, Host: ":", Start: a.Start, Runtime: a.Runtime,
				Send: int64(len(req.Input)) + 1, Receive: int64(len(a.Output)), Command: p.reuseLineOf(req.Input)}
			if failed {
				e.Exitval = 1
			}
			if err := s.log.Write(e); err != nil {
				s.out.Message(fmt.Sprintf("parmap: --joblog: %s", oneLine(err.Error())))
			}
		}
		s.bar.Done(failed)
		v := answer{output: a.Output, ok: !failed}
		switch item := req.Item.(type) {
		case *records.Record:
			v.tag = p.tagText.Expand(item, a.Slot)
		case string:
			v.tag = item
		}
		if order.TryPut(req.Seq, v) {
			return
		}
		v.output = append([]byte(nil), v.output...) // a.Output is only lent
		v.held = true
		waiting.Add(int64(len(v.output)) + 64)
		order.Put(req.Seq, v)
	}

	xopt := p.control
	xopt.Jobs, xopt.KillAfter, xopt.Signals = p.jobs, p.killAfter, sigs
	opt := reuse.Options{
		Workers:    p.jobs,
		Window:     p.reuse.window,
		Protocol:   p.reuse.protocol,
		MaxRecords: p.reuse.maxRecords,
		Timeout:    p.control.Timeout,
		Retries:    p.control.Retries,
		Halt:       p.control.Halt,
		Exchange:   xopt,
		Command:    workerCmd,
		Stderr:     func(int) io.WriteCloser { return s.out.Lines("", true) },
		Timing:     s.log != nil,
		Idle:       s.out.FlushSoon,
		Notice:     func(n reuse.Notice) { s.out.Message("parmap: " + wordReuseNotice(n)) },
	}
	stopFlusher := s.out.FlushInBackground(answerFlushInterval)
	sum := reuse.Run(ctx, opt, in, deliver)
	stopFlusher()
	s.bar.Finish()
	if sum.Err != nil && sum.Signal == 0 {
		s.out.Message("parmap: " + wordReuse(sum.Err))
		return exitError
	}
	return s.status(sum.Signal, readErr.Load(), sum.Halted, sum.HaltExit, sum.Failed)
}
