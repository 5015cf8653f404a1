package reuse

// The sending side of a worker: records go to its stdin through a sender,
// within the window, flushed per record at window one; a lock-step worker
// (window one, a single goroutine) turns duplex when a record does not fit
// in its pipe at once.

import (
	"bufio"
	"bytes"
	"syscall"
	"time"
)

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
