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
	failed  func(error) // called once, on the first error writing to stdout
	err     error
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
// tag when tag is not empty. Either buffer may be nil.
func (o *Output) WriteJob(tag string, stdout, stderr *Buffer) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if stdout != nil && stdout.Len() > 0 && o.err == nil {
		o.writeBuffer(o.stdout, tag, stdout)
		o.flushStdout()
	}
	if stderr != nil && stderr.Len() > 0 {
		o.writeBuffer(o.stderr, tag, stderr)
		o.stderr.Flush()
	}
}

// WriteCaptured writes one finished job's output straight from its Capture
// files, each line prefixed with tag when tag is not empty, and leaves the
// Captures empty. Large untagged outputs are copied by the kernel
// (copy_file_range, splice or sendfile) without passing through parmap.
func (o *Output) WriteCaptured(tag string, stdout, stderr *Capture) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	for i, c := range [2]*Capture{stdout, stderr} {
		n, err := c.size()
		if err != nil {
			return err
		}
		if n == 0 {
			continue
		}
		w := o.stdout
		if i == 1 {
			w = o.stderr
		} else if o.err != nil {
			c.Reset()
			continue
		}
		if err := o.copyCapture(w, o.raw[i], tag, c, n); err != nil {
			return err
		}
		if i == 1 {
			w.Flush()
		} else {
			o.flushStdout()
		}
		if err := c.Reset(); err != nil {
			return err
		}
	}
	return nil
}

// copyCapture writes the n bytes of c to w (or, for a large untagged
// output, to raw beneath it, in the kernel).
func (o *Output) copyCapture(w *bufio.Writer, raw io.Writer, tag string, c *Capture, n int64) error {
	if f, ok := raw.(*os.File); ok && tag == "" && n > chunkSize {
		if err := w.Flush(); err != nil {
			return nil // flushStdout reports it
		}
		if _, err := c.f.Seek(0, io.SeekStart); err != nil {
			return err
		}
		_, err := sendFile(f, c.f, n)
		if err != nil && w == o.stdout && o.err == nil {
			o.err = err
			if o.failed != nil {
				o.failed(err)
			}
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
	return err
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

// Stdout writes p to stdout whole, between jobs' outputs.
func (o *Output) Stdout(p []byte) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.err == nil {
		o.stdout.Write(p)
		o.flushStdout()
	}
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

func (o *Output) flushStdout() {
	if err := o.stdout.Flush(); err != nil && o.err == nil {
		o.err = err
		if o.failed != nil {
			o.failed(err)
		}
	}
}

func (o *Output) writeBuffer(w *bufio.Writer, tag string, b *Buffer) {
	if tag == "" {
		b.WriteTo(w)
		return
	}
	t := &tagger{w: w, tag: tag, bol: true}
	b.WriteTo(t)
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
