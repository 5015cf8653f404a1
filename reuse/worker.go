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

// send writes records to the worker's stdin while it has room in its
// window, and closes its stdin when there are no more for it.
func (w *worker) send() {
	defer w.p.wg.Done()
	defer w.ended.Done()
	defer w.in.Close() // end of file: the worker answers what it has and exits
	s := w.newSender()
	// Room in the window first, then a record: a record never waits behind
	// a slow one while another worker is free.
	for w.waitRoom(s.flush) && s.put() {
	}
}

// lockstep talks to a worker with a window of one record from a single
// goroutine: it writes a record, reads its answer, and only then takes the
// next record. Once there are no more records for the worker, its stdin is
// closed and the rest of its stdout read as receive does.
//
// The goroutine never waits on a write, as a worker that answers while it
// reads (cat, sed -u, tr) would then wait on its own write of the answer,
// which nobody reads: a record is written only as far as the pipe takes it
// at once (try). When it does not all fit, the worker goes duplex for the
// rest of its life: a receiver goroutine reads its answers while this one
// finishes the record and goes on as the sender.
func (w *worker) lockstep(br *bufio.Reader) {
	p := w.p
	defer w.p.wg.Done()
	defer w.ended.Done()
	defer w.in.Close()
	s := w.newSender()
	for {
		r, ok := s.take()
		if !ok {
			break
		}
		whole, err := s.try(r)
		if err != nil {
			return // the worker is gone: its record fails with it
		}
		if !whole {
			w.duplex(s, br)
			return
		}
		if !w.receiveOne(br) {
			return // the worker is gone: its record fails with it
		}
		if n := br.Buffered(); n > 0 && p.opt.Protocol != JSON {
			// More came with the answer: a line answer with no record in
			// flight, which would otherwise be taken for the next
			// record's. (A JSON answer names its record.)
			extra, _ := br.Peek(n)
			if i := bytes.IndexByte(extra, p.opt.Protocol.sep()); i >= 0 {
				extra = extra[:i]
			}
			w.extraAnswer(extra)
		}
	}
	w.in.Close()
	w.receiveFrom(br)
}

// duplex turns a lock-step worker into a sender and a receiver: the
// receiver reads answers through br in a goroutine of its own, while the
// calling goroutine finishes writing the record try left and goes on as
// send does (the window stays one record).
func (w *worker) duplex(s *sender, br *bufio.Reader) {
	w.ended.Add(1)
	w.p.wg.Add(1)
	go w.receive(br)
	if !s.finish() {
		return // the worker is gone: its record fails with it
	}
	for w.waitRoom(s.flush) && s.put() {
	}
}

// sender writes records to a worker's stdin.
type sender struct {
	w   *worker
	bw  *bufio.Writer
	buf []byte

	raw  syscall.RawConn // w.in, for try
	rest []byte          // of buf, what try could not write
	held *Request        // the record try left whole
}

func (w *worker) newSender() *sender {
	return &sender{w: w, bw: bufio.NewWriterSize(w.in, ioSize)}
}

// flush writes what is buffered; false once the worker is gone.
func (s *sender) flush() bool { return s.bw.Flush() == nil }

// put takes the next record for the worker and writes it, flushed when the
// window is one record. It returns false when there is no record for the
// worker (the buffer is flushed then) or the worker is gone.
func (s *sender) put() bool {
	r, ok := s.take()
	return ok && s.write(r)
}

// take returns the next record for the worker, counted as in flight to it.
// It returns false when there is none (the buffer is flushed then): the
// worker has sent MaxRecords, or next has nothing more for it.
func (s *sender) take() (*Request, bool) {
	w, p := s.w, s.w.p
	for {
		if p.opt.MaxRecords > 0 && w.sent >= p.opt.MaxRecords {
			s.flush()
			return nil, false
		}
		r, ok := p.next(w.stop, s.flush)
		if !ok {
			s.flush()
			return nil, false
		}
		if err := p.opt.Protocol.check(r); err != nil {
			// Not sent: it fails at once.
			p.resolve(&Answer{Req: r, Err: err, Slot: w.slot, Start: time.Now()})
			continue
		}
		if p.opt.Timing || w.watch != nil {
			r.sent = time.Now()
		}
		w.mu.Lock()
		if w.inFlight == 0 && w.watch != nil && !w.exited {
			// An idle worker has Timeout from now.
			w.progress.Store(r.sent.UnixNano())
			w.watch.Reset(p.opt.Timeout)
		}
		w.inFlight++
		if w.bySeq != nil {
			w.bySeq[r.Seq] = r
		} else {
			w.flight = append(w.flight, r)
		}
		w.sent++
		w.mu.Unlock()
		return r, true
	}
}

// write writes r through the buffer, flushed when the window is one
// record. It returns false when the worker is gone: the record fails with
// it.
func (s *sender) write(r *Request) bool {
	p := s.w.p
	var err error
	if p.opt.Protocol == JSON {
		s.buf = p.opt.Protocol.appendRequest(s.buf[:0], r)
		_, err = s.bw.Write(s.buf)
	} else {
		s.bw.WriteString(r.Input)
		err = s.bw.WriteByte(p.opt.Protocol.sep())
	}
	if err == nil && p.opt.Window == 1 {
		err = s.bw.Flush()
	}
	return err == nil
}

// try writes r as far as the worker's stdin takes it without waiting, and
// reports whether all of it went. What did not is left for finish: the
// rest of the framed record, or the whole record when it is too long to be
// worth copying (it would not fit in the pipe anyway). The buffer is empty:
// lock-step writes nothing through it.
func (s *sender) try(r *Request) (whole bool, err error) {
	p := s.w.p
	switch {
	case p.opt.Protocol == JSON:
		s.buf = p.opt.Protocol.appendRequest(s.buf[:0], r)
	case len(r.Input) < ioSize:
		s.buf = append(append(s.buf[:0], r.Input...), p.opt.Protocol.sep())
	default:
		s.held = r
		return false, nil
	}
	if s.raw == nil {
		if s.raw, err = s.w.in.SyscallConn(); err != nil {
			return false, err
		}
	}
	n, err := writeNow(s.raw, s.buf)
	if err != nil {
		return false, err
	}
	s.rest = s.buf[n:]
	return len(s.rest) == 0, nil
}

// finish writes what try left of a record, waiting for the worker to read
// it. It returns false when the worker is gone.
func (s *sender) finish() bool {
	if r := s.held; r != nil {
		s.held = nil
		return s.write(r)
	}
	_, err := s.w.in.Write(s.rest)
	s.rest = nil
	return err == nil
}

// writeNow writes b to the non-blocking descriptor of c until it is all
// written or the descriptor would block, and returns how much it wrote.
// (The parent's ends of os.Pipe are non-blocking; were one not, the write
// would wait as a plain one does.)
func writeNow(c syscall.RawConn, b []byte) (n int, err error) {
	cerr := c.Write(func(fd uintptr) bool {
		for n < len(b) {
			m, e := syscall.Write(int(fd), b[n:])
			if m > 0 {
				n += m
			}
			switch e {
			case nil:
			case syscall.EINTR:
			case syscall.EAGAIN:
				return true
			default:
				err = e
				return true
			}
		}
		return true
	})
	if err == nil {
		err = cerr
	}
	return n, err
}

// waitRoom waits until the worker may take another record. A full window
// is refilled only once it is half empty, so that records go out in
// batches rather than one write per answer.
func (w *worker) waitRoom(flush func() bool) bool {
	w.mu.Lock()
	if w.inFlight < w.p.opt.Window {
		w.mu.Unlock()
		return true
	}
	w.wantRoom = true
	w.mu.Unlock()
	if !flush() {
		return false
	}
	select {
	case <-w.room:
		return true
	case <-w.stop:
		return false
	}
}

// low is how many records may still be in flight when a waiting sender is
// woken: half the window.
func (w *worker) low() int {
	k := w.p.opt.Window
	return k - max(1, k/2)
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
