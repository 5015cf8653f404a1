package agent

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"sync"
	"sync/atomic"
)

// Version is the protocol version both ends send in their hello.
const Version = 2

// Frame kinds.
const (
	KindHello  byte = 'H' // both ways, first: Hello (JSON)
	KindJob    byte = 'J' // to the agent: Job (JSON)
	KindStdout byte = 'O' // from the agent: a chunk of a job's stdout (raw)
	KindStderr byte = 'E' // from the agent: a chunk of a job's stderr (raw)
	KindResult byte = 'R' // from the agent: JobResult (JSON), the job's last frame
	KindSignal byte = 'S' // to the agent: Signal (JSON)
	KindCancel byte = 'C' // to the agent: start none of the jobs waiting for a slot
	KindBye    byte = 'B' // both ways: no more jobs (to), all jobs done (from)
	KindPut    byte = 'P' // both ways: Put (JSON), a file's header: to the agent a job's transfer file or a basefile, from it a return file
	KindData   byte = 'D' // both ways: a chunk of the file being put (raw)
	KindPutEnd byte = 'F' // both ways: PutEnd (JSON), the file's end
)

const (
	// headerSize is the kind byte and the 8-byte sequence number.
	headerSize = 9
	// MaxPayload bounds a frame's payload; a reader refuses larger frames
	// without allocating them.
	MaxPayload = 1 << 20
	// ChunkSize is the most output, or file data, one frame carries.
	ChunkSize = 64 << 10
)

// Frame is one message of the protocol.
type Frame struct {
	Kind    byte
	Seq     uint64 // the job it is about; 0 for hello and bye
	Payload []byte
}

// FrameError is a frame that breaks the protocol.
type FrameError struct{ Reason string }

func (e *FrameError) Error() string { return "agent protocol: " + e.Reason }

// ReadFrame reads the next frame. At a clean end between frames it returns
// io.EOF; within a frame, io.ErrUnexpectedEOF; a length outside
// [9, 9+MaxPayload] or an unknown kind is a *FrameError, found before
// anything is allocated for the payload.
func ReadFrame(r io.Reader) (Frame, error) {
	var hdr [4 + headerSize]byte
	if _, err := io.ReadFull(r, hdr[:4]); err != nil {
		return Frame{}, err
	}
	n := binary.BigEndian.Uint32(hdr[:4])
	if n < headerSize || n > headerSize+MaxPayload {
		return Frame{}, &FrameError{fmt.Sprintf("frame length %d outside [%d, %d]", n, headerSize, headerSize+MaxPayload)}
	}
	if _, err := io.ReadFull(r, hdr[4:]); err != nil {
		return Frame{}, unexpected(err)
	}
	f := Frame{Kind: hdr[4], Seq: binary.BigEndian.Uint64(hdr[5:])}
	if !knownKind(f.Kind) {
		return Frame{}, &FrameError{fmt.Sprintf("unknown frame kind %q", f.Kind)}
	}
	if n > headerSize {
		f.Payload = make([]byte, n-headerSize)
		if _, err := io.ReadFull(r, f.Payload); err != nil {
			return Frame{}, unexpected(err)
		}
	}
	return f, nil
}

func unexpected(err error) error {
	if err == io.EOF {
		return io.ErrUnexpectedEOF
	}
	return err
}

func knownKind(k byte) bool {
	switch k {
	case KindHello, KindJob, KindStdout, KindStderr, KindResult, KindSignal, KindCancel, KindBye, KindPut, KindData, KindPutEnd:
		return true
	}
	return false
}

// AppendFrame appends f's encoding to b. The payload must not exceed
// MaxPayload.
func AppendFrame(b []byte, f Frame) []byte {
	b = binary.BigEndian.AppendUint32(b, uint32(headerSize+len(f.Payload)))
	b = append(b, f.Kind)
	b = binary.BigEndian.AppendUint64(b, f.Seq)
	return append(b, f.Payload...)
}

// writer writes frames from many goroutines, one whole frame at a time,
// each flushed at once.
type writer struct {
	mu  sync.Mutex
	w   *bufio.Writer
	buf []byte
	err error // the first write error; every later write fails with it
	// waiting counts the writes waiting for mu: a write that sees another
	// one waiting leaves the flush to it, so frames written at once (the
	// slots' jobs, their results) go out in one write, one message through
	// srun or ssh instead of one each.
	waiting atomic.Int32
}

func newWriter(w io.Writer) *writer { return &writer{w: bufio.NewWriterSize(w, 64<<10)} }

// errPayload is a frame too large to send.
var errPayload = errors.New("agent protocol: payload over MaxPayload")

func (w *writer) write(f Frame) error {
	if len(f.Payload) > MaxPayload {
		return errPayload
	}
	w.waiting.Add(1)
	w.mu.Lock()
	defer w.mu.Unlock()
	w.waiting.Add(-1)
	if w.err != nil {
		return w.err
	}
	w.buf = AppendFrame(w.buf[:0], f)
	if _, err := w.w.Write(w.buf); err != nil {
		w.err = err
		return err
	}
	if w.waiting.Load() == 0 {
		if err := w.w.Flush(); err != nil {
			w.err = err
		}
	}
	if cap(w.buf) > 2*ChunkSize {
		w.buf = nil
	}
	return w.err
}
