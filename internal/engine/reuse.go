package engine

import (
	"context"
	"io"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/parmap/parmap/channel"
	"github.com/parmap/parmap/internal/joblog"
	"github.com/parmap/parmap/internal/records"
	"github.com/parmap/parmap/internal/template"
	"github.com/parmap/parmap/pmap"
	"github.com/parmap/parmap/reuse"
)

// maxWaitingAnswers bounds the bytes of answers held for an earlier record
// under -k: beyond it no new record is sent until the earlier one is out.
const maxWaitingAnswers = 8 << 20

// answerFlushInterval is how long answers may wait in the run's output
// buffer. It is well below what a person or a pipeline notices. A shorter
// one costs lock-step runs dearly: with 1 ms, the timer's wake-ups made
// them about 30 % slower on two CPUs.
const answerFlushInterval = 10 * time.Millisecond

// maxQueuedInput bounds the bytes of records read ahead for the workers
// (beyond one record).
const maxQueuedInput = 16 << 20

// reuseLine is the job log's Command for a record sent to workers: the
// worker's command (as for slot 1) and the record, quoted. Resume matches
// records by it.
func (r *run) reuseLine(input string) string {
	return r.cfg.Reuse.Line + " " + template.Quote(input)
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

// answers puts the workers' answers in order and writes them, bounding the
// bytes held for an earlier record under KeepOrder.
type answers struct {
	r       *run
	order   pmap.Orderer[answer]
	end     byte         // written after each answer
	waiting atomic.Int64 // bytes of answers held under -k
	room    *sync.Cond   // signalled when waiting drops below the bound
}

func newAnswers(r *run, end byte) *answers {
	a := &answers{r: r, end: end, room: sync.NewCond(&sync.Mutex{})}
	if r.cfg.KeepOrder {
		a.order = pmap.NewMap(1, func(v answer) {
			a.emit(v)
			if v.held && a.waiting.Add(-int64(len(v.output))-64) < maxWaitingAnswers {
				a.wake()
			}
		})
	} else {
		a.order = pmap.NewQueue(a.emit)
	}
	return a
}

func (a *answers) emit(v answer) {
	if v.ok {
		a.r.out.Gather(v.tag, v.output, a.end)
	}
}

func (a *answers) wake() {
	a.room.L.Lock()
	a.room.Broadcast()
	a.room.L.Unlock()
}

// waitRoom waits, under KeepOrder, while too many bytes of answers wait
// for an earlier one, or until ctx ends.
func (a *answers) waitRoom(ctx context.Context) {
	if !a.r.cfg.KeepOrder || a.waiting.Load() < maxWaitingAnswers {
		return
	}
	a.room.L.Lock()
	for a.waiting.Load() >= maxWaitingAnswers && ctx.Err() == nil {
		a.room.Wait()
	}
	a.room.L.Unlock()
}

// put hands over record seq's answer; output is only lent.
func (a *answers) put(seq int64, v answer) {
	if a.order.TryPut(seq, v) {
		return
	}
	v.output = append([]byte(nil), v.output...)
	v.held = true
	a.waiting.Add(int64(len(v.output)) + 64)
	a.order.Put(seq, v)
}

// runReuse sends the records to long-lived workers and writes their answers.
func (r *run) runReuse(ctx context.Context) Summary {
	cfg := r.cfg
	end := cfg.Records.Delim
	if cfg.Reuse.Protocol == reuse.Null {
		end = 0
	}
	// Workers' stderr lines wait for their newline within this budget.
	r.budget = pmap.NewBudget(outputBudget, cfg.TmpDir)
	defer r.budget.Close()
	ans := newAnswers(r, end)
	stop := context.AfterFunc(ctx, ans.wake)
	defer stop()

	in := reuse.NewInput(max(256, 2*cfg.Jobs*cfg.Reuse.Window), maxQueuedInput)
	var readErr atomic.Pointer[error]
	fields := cfg.Records.ColSep != nil
	rd := r.records
	r.records = nil // the reader goroutine owns it now
	r.countRecords()
	go func() {
		defer in.Close()
		r.readRecords(rd, &readErr,
			func(rec records.Record) { ans.order.Put(rec.Seq, answer{}) },
			func(rec records.Record) bool {
				// Answers wait for an earlier one: send no more until it
				// is out.
				ans.waitRoom(ctx)
				req := &reuse.Request{Seq: rec.Seq, Input: reuseInput(&rec)}
				if fields || len(rec.Args) > 1 {
					req.Fields = rec.Values
				}
				if cfg.TagText != nil {
					req.Item = &rec
				} else if cfg.Tag {
					req.Item = strings.Join(rec.Values, " ")
				}
				return in.Put(ctx, req)
			})
	}()

	opt := reuse.Options{
		Workers:    cfg.Jobs,
		Window:     cfg.Reuse.Window,
		Protocol:   cfg.Reuse.Protocol,
		MaxRecords: cfg.Reuse.MaxRecords,
		Timeout:    cfg.Timeout,
		Retries:    cfg.Retries,
		Halt:       cfg.Halt,
		Exchange:   r.exchangeOptions(),
		Command:    r.workerSpec,
		Stderr:     func(int) io.WriteCloser { return r.out.Lines("", true, r.budget) },
		Timing:     r.log != nil,
		Idle:       r.out.FlushSoon,
		Notice:     func(n reuse.Notice) { r.notify(Notice{Kind: WorkerEvent, Worker: n}) },
	}
	var stopSignals func()
	opt.Exchange.Signals, stopSignals = r.st.Control.attachReuse(opt.Exchange.Signals)
	defer stopSignals()
	stopFlusher := r.out.FlushInBackground(answerFlushInterval)
	ps := reuse.Run(ctx, opt, in, func(a reuse.Answer) { r.deliver(ans, a) })
	stopFlusher()
	r.bar.Finish()
	sum := Summary{Done: ps.Done, Failed: ps.Failed, Signal: ps.Signal, Halted: ps.Halted, HaltExit: ps.HaltExit}
	if sum.Signal == syscall.SIGTERM && r.st.Control != nil && r.st.Control.stopNow() {
		sum.Signal, sum.Stopped = 0, true // Stop(true) came as a SIGTERM
	}
	if ps.Err != nil && ps.Signal == 0 {
		sum.Err = ps.Err // the workers cannot start, or keep dying
	}
	if err := readErr.Load(); err != nil {
		sum.InputErr = *err
	}
	return sum
}

// workerSpec is the worker process for a slot: the command, with {%} and
// PARMAP_SLOT (PARALLEL_JOBSLOT) for that slot.
func (r *run) workerSpec(slot int) (channel.Spec, error) {
	cmd, err := r.cfg.Template.Expand(&records.Record{}, slot)
	if err != nil {
		return channel.Spec{}, err
	}
	slotNo := strconv.Itoa(slot)
	env := append(r.env[:len(r.env):len(r.env)], "PARMAP_SLOT="+slotNo, "PARALLEL_JOBSLOT="+slotNo)
	return channel.Spec{Path: r.lookPath(cmd.Argv[0]), Argv: cmd.Argv, Env: r.slotDevices(env, slot), ExtraFiles: r.make.files, Guard: r.guarded(),
		CPUs: r.slotCPUs(slot), Nice: r.cfg.Nice}, nil
}

// deliver takes one record's answer (or failure) from the workers: it logs
// it and hands it to the order.
func (r *run) deliver(ans *answers, a reuse.Answer) {
	req := a.Req
	failed := a.Err != nil
	if failed {
		r.notify(Notice{Kind: RecordFailed, Seq: req.Seq, Err: a.Err})
	}
	if r.log != nil {
		e := joblog.Entry{Seq: req.Seq, Host: ":", Start: a.Start, Runtime: a.Runtime,
			Send: int64(len(req.Input)) + 1, Receive: int64(len(a.Output)), Command: r.reuseLine(req.Input)}
		if failed {
			e.Exitval = 1
		}
		if err := r.log.Write(e); err != nil {
			r.notify(Notice{Kind: JoblogFailed, Seq: req.Seq, Err: err})
		}
	}
	r.bar.Done(failed)
	r.st.Control.finished(failed)
	v := answer{output: a.Output, ok: !failed}
	switch item := req.Item.(type) {
	case *records.Record:
		v.tag = r.cfg.TagText.Expand(item, a.Slot)
	case string:
		v.tag = item
	}
	ans.put(req.Seq, v)
}
