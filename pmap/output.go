package pmap

import (
	"bufio"
	"bytes"
	"io"
	"os"
	"sync"
	"time"
)

// Mode is how jobs' output reaches parmap's own output.
type Mode int

const (
	// Group writes each job's stdout whole when it ends, and its stderr whole
	// to parmap's stderr (--group, the default).
	Group Mode = iota
	// LineBuffer passes lines on as they come, a whole line at a time
	// (--line-buffer).
	LineBuffer
	// Ungroup hands parmap's own output to the jobs (-u).
	Ungroup
)

// Output is parmap's standard output and error, shared by all jobs. Every
// write to them goes through it, under one lock, so jobs never mix.
type Output struct {
	mu     sync.Mutex
	stdout *bufio.Writer
	stderr *bufio.Writer
	raw    [2]io.Writer // stdout and stderr under the bufio.Writers
	// scratch carries captured output to the writers; kept for the run
	// rather than pooled, as the pool is emptied at every collection.
	scratch []byte
	failed  func(error)   // called once, on the first error writing to stdout
	err     error         // the first error writing to stdout
	errErr  error         // the first error writing jobs' output to stderr
	kick    chan struct{} // wakes the background flusher; nil without one
}

// NewOutput returns an Output writing to stdout and stderr. failed is called
// once with the first error writing to stdout (a closed pipe, a full disk).
func NewOutput(stdout, stderr io.Writer, failed func(error)) *Output {
	return &Output{
		stdout: bufio.NewWriterSize(stdout, chunkSize),
		stderr: bufio.NewWriterSize(stderr, 4096),
		raw:    [2]io.Writer{stdout, stderr},
		failed: failed,
	}
}

// Err returns the first error met writing to stdout.
func (o *Output) Err() error {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.err
}

// WriteJob writes one finished job's captured output, each line prefixed with
// tag when tag is not empty. Either buffer may be nil. The error says that
// some of it was not written: a *StreamError when stdout or stderr failed
// (now or before), else the error reading a buffer back from its spill file.
func (o *Output) WriteJob(tag string, stdout, stderr *Buffer) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	var first error
	for i, b := range [2]*Buffer{stdout, stderr} {
		if b == nil || b.Len() == 0 {
			continue
		}
		w, err := o.stream(i)
		if err == nil {
			rerr := o.writeBuffer(w, tag, b)
			if err = o.flush(i); err == nil {
				err = rerr
			}
		}
		if first == nil {
			first = err
		}
	}
	return first
}

// stream returns the writer of stream i (0 stdout, 1 stderr), or its
// *StreamError when it has failed.
func (o *Output) stream(i int) (*bufio.Writer, error) {
	if i == 0 {
		if o.err != nil {
			return nil, &StreamError{Err: o.err}
		}
		return o.stdout, nil
	}
	if o.errErr != nil {
		return nil, &StreamError{Stderr: true, Err: o.errErr}
	}
	return o.stderr, nil
}

// flush writes what stream i holds, and returns its *StreamError if that
// or an earlier write to it failed.
func (o *Output) flush(i int) error {
	if i == 0 {
		return o.flushStdout()
	}
	if err := o.stderr.Flush(); err != nil && o.errErr == nil {
		o.errErr = err
	}
	if o.errErr != nil {
		return &StreamError{Stderr: true, Err: o.errErr}
	}
	return nil
}

// WriteCaptured writes one finished job's output straight from its Capture
// files, each line prefixed with tag when tag is not empty, and leaves the
// Captures empty. Large untagged outputs are copied by the kernel
// (copy_file_range, splice or sendfile) without passing through parmap.
// The error says that some of it was not written: a *StreamError when
// stdout or stderr failed (now or before), else the error reading or
// emptying a Capture.
func (o *Output) WriteCaptured(tag string, stdout, stderr *Capture) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	var first error
	for i, c := range [2]*Capture{stdout, stderr} {
		n, err := c.size()
		if err != nil {
			return err
		}
		if n == 0 {
			continue
		}
		w, err := o.stream(i)
		if err == nil {
			cerr := o.copyCapture(w, o.raw[i], tag, c, n)
			if err = o.flush(i); err == nil {
				err = cerr
			}
		}
		if first == nil {
			first = err
		}
		if err := c.Reset(); err != nil && first == nil {
			first = err
		}
	}
	return first
}

// copyCapture writes the n bytes of c to w (or, for a large untagged
// output, to raw beneath it, in the kernel). A write error is left for
// flush to report: w keeps it, or, beneath it, o.fail takes it.
func (o *Output) copyCapture(w *bufio.Writer, raw io.Writer, tag string, c *Capture, n int64) error {
	if f, ok := raw.(*os.File); ok && tag == "" && n > chunkSize {
		if err := w.Flush(); err != nil {
			return nil // flush reports it
		}
		if _, err := c.f.Seek(0, io.SeekStart); err != nil {
			return err
		}
		_, err := sendFile(f, c.f, n)
		if err != nil {
			o.fail(w, err)
		}
		return nil
	}
	var dst io.Writer = w
	if tag != "" {
		dst = &tagger{w: w, tag: tag, bol: true}
	}
	if o.scratch == nil {
		o.scratch = make([]byte, chunkSize)
	}
	_, err := io.CopyBuffer(onlyWriter{dst}, io.NewSectionReader(c.f, 0, n), o.scratch)
	if _, werr := w.Write(nil); werr != nil {
		return nil // w's own error: flush reports it
	}
	return err // reading c
}

// fail records err, met writing beneath w, as its stream's error.
func (o *Output) fail(w *bufio.Writer, err error) {
	if w == o.stderr {
		if o.errErr == nil {
			o.errErr = err
		}
		return
	}
	if o.err == nil {
		o.err = err
		if o.failed != nil {
			o.failed(err)
		}
	}
}

// onlyWriter hides a writer's ReadFrom, so that io.CopyBuffer uses the
// buffer it is given.
type onlyWriter struct{ io.Writer }

// Message writes one line to stderr between jobs' outputs.
func (o *Output) Message(line string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.stderr.WriteString(line)
	o.stderr.WriteByte('\n')
	o.stderr.Flush()
}

// Stdout writes p to stdout whole, between jobs' outputs. The error is a
// *StreamError when stdout failed, now or before.
func (o *Output) Stdout(p []byte) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.err == nil {
		o.stdout.Write(p)
	}
	return o.flushStdout()
}

// Gather writes one short output to stdout followed by end, prefixed with
// tag and a TAB when tag is not empty, without flushing it: many small
// outputs (the answers of reused workers) go out together at the next
// Flush, or when the buffer fills.
func (o *Output) Gather(tag string, p []byte, end byte) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.err != nil {
		return
	}
	if tag != "" {
		o.stdout.WriteString(tag)
		o.stdout.WriteByte('\t')
		t := tagger{w: o.stdout, tag: tag}
		t.Write(p)
	} else {
		o.stdout.Write(p)
	}
	if err := o.stdout.WriteByte(end); err != nil {
		o.flushStdout() // records the error
	}
}

// FlushInBackground starts a goroutine that writes what Gather has gathered
// whenever FlushSoon asks, at most once per interval, so that the goroutines
// gathering outputs need not wait for the write, and the outputs of a busy
// moment go out together (one write per interval rather than one per
// output). stop flushes what is left and ends the goroutine.
func (o *Output) FlushInBackground(interval time.Duration) (stop func()) {
	o.kick = make(chan struct{}, 1)
	done := make(chan struct{})
	ended := make(chan struct{})
	go func() {
		defer close(ended)
		var last time.Time
		for {
			select {
			case <-o.kick:
			case <-done:
				return
			}
			if wait := interval - time.Since(last); wait > 0 {
				t := time.NewTimer(wait)
				select {
				case <-t.C:
				case <-done:
					t.Stop()
					return
				}
			}
			o.Flush()
			last = time.Now()
		}
	}()
	return func() {
		close(done)
		<-ended
		o.Flush()
	}
}

// FlushSoon asks the background goroutine to flush; with none running, it
// flushes at once.
func (o *Output) FlushSoon() {
	if o.kick == nil {
		o.Flush()
		return
	}
	select {
	case o.kick <- struct{}{}:
	default:
	}
}

// Flush writes what Gather has gathered.
func (o *Output) Flush() {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.stdout.Buffered() > 0 {
		o.flushStdout()
	}
}

// flushStdout writes what stdout holds, and returns its *StreamError if
// that or an earlier write to it failed.
func (o *Output) flushStdout() error {
	if o.err == nil {
		if err := o.stdout.Flush(); err != nil {
			o.fail(o.stdout, err)
		}
	}
	if o.err != nil {
		return &StreamError{Err: o.err}
	}
	return nil
}

// writeBuffer writes b to w, through a tagger when tag is not empty. It
// returns an error reading b's spill file; w keeps its own.
func (o *Output) writeBuffer(w *bufio.Writer, tag string, b *Buffer) error {
	var dst io.Writer = w
	if tag != "" {
		dst = &tagger{w: w, tag: tag, bol: true}
	}
	_, err := b.WriteTo(dst)
	if _, werr := w.Write(nil); werr != nil {
		return nil // w's own error: flush reports it
	}
	return err
}

// tagger prefixes every line written through it with tag and a TAB.
type tagger struct {
	w   *bufio.Writer
	tag string
	bol bool // at the beginning of a line
}

func (t *tagger) Write(p []byte) (int, error) {
	n := len(p)
	for len(p) > 0 {
		if t.bol {
			t.w.WriteString(t.tag)
			t.w.WriteByte('\t')
			t.bol = false
		}
		i := bytes.IndexByte(p, '\n')
		if i < 0 {
			t.w.Write(p)
			break
		}
		t.w.Write(p[:i+1])
		p = p[i+1:]
		t.bol = true
	}
	return n, nil
}

// lineHold is the longest unfinished line a LineWriter holds in memory of
// its own; a longer one moves into a Buffer, which spills to disk beyond its
// Budget.
const lineHold = chunkSize

// LineWriter passes a running job's output on a whole line at a time. The
// last line, if it has no newline, is passed on by Close.
//
// An unfinished line waits in the LineWriter until its newline comes, in
// memory up to lineHold and then in a Buffer drawing on the run's Budget (so
// on disk beyond it): a job writing a 100 MB line costs parmap no more memory
// than a short one. The line is not streamed through under the Output's lock
// instead: the job could then block on its own stderr, or on another job
// streaming a line of its own, while the lock waited for its newline.
type LineWriter struct {
	o      *Output
	stderr bool
	tag    string
	spill  *Budget // for long unfinished lines; nil keeps them in memory
	part   []byte  // the unfinished line while it is short
	long   *Buffer // the unfinished line once it is long; nil before
	err    error   // the first error holding a long line
}

// Lines returns a LineWriter for one job's stdout (or stderr). A line longer
// than 64 KiB waits for its newline in a Buffer drawing on spill; with a nil
// spill it waits in memory, however long it is.
func (o *Output) Lines(tag string, stderr bool, spill *Budget) *LineWriter {
	return &LineWriter{o: o, stderr: stderr, tag: tag, spill: spill}
}

// Write passes on every complete line in p and keeps the rest.
func (l *LineWriter) Write(p []byte) (int, error) {
	i := bytes.LastIndexByte(p, '\n')
	if i < 0 {
		l.hold(p)
		return len(p), nil
	}
	l.emit(p[:i+1])
	l.hold(p[i+1:])
	return len(p), nil
}

// Close passes on an unterminated last line. It returns the first error met
// holding a long line in the spill file (that line was passed on cut short).
func (l *LineWriter) Close() error {
	if len(l.part) > 0 || l.long != nil {
		l.emit(nil)
	}
	return l.err
}

// hold keeps p, the start or a piece of an unfinished line.
func (l *LineWriter) hold(p []byte) {
	if len(p) == 0 {
		return
	}
	if l.long == nil && (l.spill == nil || len(l.part)+len(p) <= lineHold) {
		l.part = append(l.part, p...)
		return
	}
	if l.long == nil {
		l.long = NewBuffer(l.spill)
		l.long.Write(l.part)
		l.part = l.part[:0]
	}
	l.long.Write(p)
}

// emit writes the unfinished line held, completed by lines, under the
// Output's lock.
func (l *LineWriter) emit(lines []byte) {
	o := l.o
	o.mu.Lock()
	defer o.mu.Unlock()
	w := o.stdout
	if l.stderr {
		w = o.stderr
	} else if o.err != nil {
		l.drop()
		return
	}
	var dst io.Writer = w
	if l.tag != "" {
		dst = &tagger{w: w, tag: l.tag, bol: true}
	}
	if l.long != nil {
		l.long.Seal()
		if err := l.long.Err(); err != nil && l.err == nil {
			l.err = err
		}
		l.long.WriteTo(dst)
	}
	dst.Write(l.part)
	l.drop()
	dst.Write(lines)
	if l.stderr {
		w.Flush()
	} else {
		o.flushStdout()
	}
}

// drop forgets the unfinished line held.
func (l *LineWriter) drop() {
	l.part = l.part[:0]
	if l.long != nil {
		l.long.Release()
		l.long = nil
	}
}
