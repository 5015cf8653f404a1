package reuse

import (
	"bufio"
	"bytes"
	"cmp"
	"io"
	"os"
	"slices"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/parmap/parmap/channel"
)

// ioSize is the size of the buffers on a worker's pipes.
const ioSize = 64 << 10

// worker is one worker process: an exchange task while it runs, with a
// goroutine writing records to its stdin and one reading answers from its
// stdout.
type worker struct {
	p    *Pool
	slot int

	in, out           *os.File // parent's ends of stdin and stdout
	childIn, childOut *os.File // the child's ends, closed once it started
	stderr            io.WriteCloser
	child             *channel.Child

	room  chan struct{} // the receiver made room in the window for the waiting sender
	stop  chan struct{} // closed when the worker must send no more
	quit  sync.Once
	ended sync.WaitGroup // sender and receiver

	mu       sync.Mutex
	flight   []*Request         // line and null: in the order sent
	bySeq    map[int64]*Request // json: by record number
	inFlight int                // records sent and not answered
	wantRoom bool               // the sender waits for room in the window
	sent     int                // records sent, for MaxRecords
	answered int                // records answered
	reason   error              // why it is being killed, nil when it is not
	exited   bool               // the process has exited: the watch is stopped for good

	progress atomic.Int64 // UnixNano of the last answer, or of a send to an idle worker
	watch    *time.Timer  // the Timeout watch (check); reset and stopped under mu
}

// Spec is the worker's process: the pool's command with pipes on stdin and
// stdout.
func (w *worker) Spec(slot int) (channel.Spec, error) {
	p := w.p
	w.slot = slot
	spec, err := p.opt.Command(slot)
	if err != nil {
		return channel.Spec{}, err
	}
	if w.in, w.out, w.childIn, w.childOut, err = pipes(); err != nil {
		return channel.Spec{}, err
	}
	spec.Stdin, spec.Stdout = w.childIn, w.childOut
	if p.opt.Stderr != nil {
		w.stderr = p.opt.Stderr(slot)
		spec.Stderr = w.stderr
	}
	return spec, nil
}

// Started begins talking to the running worker.
func (w *worker) Started(c *channel.Child) {
	w.child = c
	w.childIn.Close()
	w.childOut.Close()
	w.room = make(chan struct{}, 1)
	w.stop = make(chan struct{})
	if w.p.opt.Protocol == JSON {
		w.bySeq = make(map[int64]*Request)
	}
	if w.p.opt.Timeout > 0 {
		w.watch = time.AfterFunc(w.p.opt.Timeout, w.check)
		w.watch.Stop()
	}
	br := bufio.NewReaderSize(w.out, ioSize)
	if w.p.opt.Window == 1 {
		w.ended.Add(1)
		w.p.wg.Add(1)
		go w.lockstep(br)
		return
	}
	w.ended.Add(2)
	w.p.wg.Add(2)
	go w.send()
	go w.receive(br)
}

// finish is called once the worker's process has exited (or could not
// start): it stops the watch, waits for the answers the worker left in the
// pipe and ends its goroutines.
func (w *worker) finish(res channel.Result) {
	if w.child == nil { // never started
		for _, f := range []*os.File{w.in, w.out, w.childIn, w.childOut} {
			if f != nil {
				f.Close()
			}
		}
		if w.stderr != nil {
			w.stderr.Close()
		}
		return
	}
	if res.Lingering {
		// A background child must not hold stdout open.
		w.child.Stop(syscall.SIGKILL, 0)
	}
	// An exited worker is not timed out any more: its records in flight
	// fail as lost.
	w.mu.Lock()
	w.exited = true
	if w.watch != nil {
		w.watch.Stop()
	}
	w.mu.Unlock()
	// Whatever the worker wrote before it exited is read; a process outside
	// its group that kept stdout open is not waited for long.
	w.out.SetReadDeadline(time.Now().Add(2 * time.Second))
	// Nothing more reaches it: a sender waiting on a stdin that a process
	// outside its group holds open gives up.
	w.in.SetWriteDeadline(time.Now())
	w.halt()
	w.ended.Wait()
	w.out.Close()
	if w.stderr != nil {
		w.stderr.Close()
	}
}

// halt tells the sender to send no more.
func (w *worker) halt() { w.quit.Do(func() { close(w.stop) }) }

// unanswered returns the records still in flight, in the order sent.
func (w *worker) unanswered() []*Request {
	w.mu.Lock()
	defer w.mu.Unlock()
	rs := w.flight
	if w.bySeq != nil {
		rs = make([]*Request, 0, len(w.bySeq))
		for _, r := range w.bySeq {
			rs = append(rs, r)
		}
		sortBySeq(rs)
	}
	w.flight, w.bySeq = nil, nil
	return rs
}

// kill stops the worker for why: its records in flight fail with it. Only
// the first fault counts.
func (w *worker) kill(why error) {
	w.mu.Lock()
	first := w.reason == nil
	if first {
		w.reason = why
	}
	w.mu.Unlock()
	if first {
		w.stopProcess()
	}
}

// stopProcess sends no more records and stops the worker's process group:
// SIGTERM, and SIGKILL after the grace unless it has exited by then.
func (w *worker) stopProcess() {
	w.halt()
	w.child.Stop(syscall.SIGTERM, w.p.opt.Exchange.KillAfter)
}

// fault returns why the worker was killed, nil when it was not.
func (w *worker) fault() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.reason
}

// check is the timeout watch: it fires Timeout after the worker's last
// sign of progress was expected, and kills a worker that stayed silent.
func (w *worker) check() {
	w.mu.Lock()
	if w.exited || w.inFlight == 0 || w.reason != nil {
		w.mu.Unlock()
		return
	}
	since := time.Since(time.Unix(0, w.progress.Load()))
	if left := w.p.opt.Timeout - since; left > 0 {
		w.watch.Reset(left)
		w.mu.Unlock()
		return
	}
	w.reason = &TimeoutError{Slot: w.slot, Timeout: w.p.opt.Timeout}
	w.mu.Unlock()
	w.stopProcess()
}

// receive reads answers from the worker's stdout through br until it
// ends.
func (w *worker) receive(br *bufio.Reader) {
	defer w.p.wg.Done()
	defer w.ended.Done()
	w.receiveFrom(br)
}

// receiveFrom reads answers through br until the worker's stdout ends.
func (w *worker) receiveFrom(br *bufio.Reader) {
	for w.receiveOne(br) {
	}
}

// receiveOne reads one answer through br and takes it. It returns false at
// the end of the worker's stdout. Idle is called before it waits for the
// worker, and at the end.
func (w *worker) receiveOne(br *bufio.Reader) bool {
	idle := w.p.opt.Idle
	if br.Buffered() == 0 && idle != nil {
		idle()
	}
	line, err := w.readAnswer(br)
	if err == nil || err == io.EOF && len(line) > 0 {
		w.answer(line)
	}
	if err != nil && idle != nil {
		idle()
	}
	return err == nil
}

// readAnswer reads one answer, without its separator. At the end of the
// worker's stdout it returns the last, unterminated answer (if any) with
// io.EOF.
func (w *worker) readAnswer(br *bufio.Reader) ([]byte, error) {
	sep := w.p.opt.Protocol.sep()
	var long []byte // an answer longer than the buffer, gathered
	for {
		line, err := br.ReadSlice(sep)
		if err == bufio.ErrBufferFull {
			long = append(long, line...)
			continue
		}
		if long != nil {
			line = append(long, line...)
		}
		if err == nil {
			line = line[:len(line)-1]
		}
		return line, err
	}
}

// answer takes one answer line (without its separator). The answers of a
// worker being killed are not taken: its records fail with it.
func (w *worker) answer(line []byte) {
	p := w.p
	var r *Request
	var out []byte
	var fail error
	var wake, broken bool
	if p.opt.Protocol == JSON {
		seq, output, failed, msg, err := parseAnswer(line)
		if err != nil {
			w.kill(&ProtocolError{Slot: w.slot, Fault: BadAnswer, Line: bytes.Clone(line), Err: err})
			return
		}
		w.mu.Lock()
		if broken = w.reason != nil; !broken {
			if r = w.bySeq[seq]; r != nil {
				delete(w.bySeq, seq)
				wake = w.answeredLocked()
			}
		}
		w.mu.Unlock()
		if broken {
			return
		}
		if r == nil {
			w.kill(&ProtocolError{Slot: w.slot, Fault: UnknownRecord, Line: bytes.Clone(line), Seq: seq})
			return
		}
		out = output
		if failed {
			fail = &AnswerError{Slot: w.slot, Message: msg}
		}
	} else {
		w.mu.Lock()
		if broken = w.reason != nil; !broken && len(w.flight) > 0 {
			r = w.flight[0]
			w.flight[0] = nil
			w.flight = w.flight[1:]
			wake = w.answeredLocked()
		}
		w.mu.Unlock()
		if broken {
			return
		}
		if r == nil {
			w.extraAnswer(line)
			return
		}
		out = line
	}
	if wake {
		signal(w.room)
	}
	if p.deaths.Load() != 0 {
		p.deaths.Store(0) // the workers do answer
	}
	a := Answer{Req: r, Output: out, Err: fail, Slot: w.slot}
	if p.opt.Timing || w.watch != nil {
		now := time.Now()
		w.progress.Store(now.UnixNano())
		a.Start, a.Runtime = r.sent, now.Sub(r.sent)
	}
	p.resolve(&a)
}

// extraAnswer kills the worker for an answer that came with no record in
// flight to it.
func (w *worker) extraAnswer(line []byte) {
	w.kill(&ProtocolError{Slot: w.slot, Fault: ExtraAnswer, Line: bytes.Clone(line)})
}

// answeredLocked counts an answered record. It reports whether the sender
// waits for room in the window and now has it: the caller wakes it (w.room)
// once w.mu is released. w.mu is held.
func (w *worker) answeredLocked() (wake bool) {
	w.answered++
	w.inFlight--
	if w.wantRoom && w.inFlight <= w.low() {
		w.wantRoom = false
		return true
	}
	return false
}

func sortBySeq(rs []*Request) {
	slices.SortFunc(rs, func(a, b *Request) int { return cmp.Compare(a.Seq, b.Seq) })
}
