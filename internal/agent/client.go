package agent

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/parmap/parmap/channel"
	"github.com/parmap/parmap/exchange"
)

// LostError fails the jobs in flight on an agent whose connection broke:
// the agent, its node or its launcher died.
type LostError struct {
	Node string
	Err  error // what the connection said
	SSH  bool  // the agent ran on an -S host (Options.SSH)
}

func (e *LostError) Error() string { return fmt.Sprintf("agent on %s lost: %v", e.Node, e.Err) }
func (e *LostError) Unwrap() error { return e.Err }

// IsLost reports whether a job's error is its agent's loss.
func IsLost(err error) bool {
	var l *LostError
	return errors.As(err, &l)
}

// ErrUnsupported is Start's error for a job an agent cannot run: its
// standard input is not /dev/null, or it needs descriptors of this
// machine.
var ErrUnsupported = errors.New("an agent job reads no standard input and gets no extra descriptors")

// Client is the coordinator's end of one agent. It implements
// channel.Remote: a channel.Spec whose Remote is a Client runs on the
// agent. Its methods are safe for concurrent use.
type Client struct {
	// Hello is the agent's.
	Hello Hello

	w     *writer
	opt   Options
	lost  chan struct{}
	based chan struct{} // closed once the basefiles are sent: jobs come after
	bid   atomic.Bool   // Close said bye

	mu   sync.Mutex
	next uint64
	jobs map[uint64]*Remote
	err  *LostError // set once the connection broke
	bye  bool       // the agent said bye
}

// Options are what the coordinator tells an agent, and how it sends jobs.
type Options struct {
	// Node names the agent in errors until its hello names it.
	Node string
	// Slots is how many jobs the agent runs at once. With SlotEnv, the
	// agent numbers them from SlotBase+1 in each job's PARMAP_SLOT and
	// PARALLEL_JOBSLOT (the coordinator sends jobs ahead of free slots).
	Slots    int
	SlotEnv  bool
	SlotBase int
	// Base is the environment every job's Spec.Env starts with: Start
	// sends only what follows it, and the job gets the agent's own
	// environment plus that.
	Base []string
	// Timeout, when above 0, is every job's time limit, counted on the
	// agent from when the job starts; Grace is how long it gets between
	// SIGTERM and SIGKILL.
	Timeout, Grace time.Duration
	// SSH: the agent runs on an -S host, not a Slurm node (for the
	// wording of errors).
	SSH bool
	// Basefiles are put on the agent once, right after hello, before
	// any job (GNU parallel's --basefile); with Cleanup the agent removes
	// them when told bye.
	Basefiles []string
	Cleanup   bool
}

// Dial says hello over r and w (the agent's stdout and stdin), reads the
// agent's hello and starts reading its frames.
func Dial(r io.Reader, w io.Writer, o Options) (*Client, error) {
	c := &Client{w: newWriter(w), opt: o, jobs: make(map[uint64]*Remote), lost: make(chan struct{}), based: make(chan struct{})}
	c.Hello.Node = o.Node
	r = bufio.NewReaderSize(r, 64<<10)
	hello := Hello{Version: Version, Slots: o.Slots, SlotEnv: o.SlotEnv, SlotBase: o.SlotBase}
	if err := c.w.write(Frame{Kind: KindHello, Payload: encode(hello)}); err != nil {
		return nil, err
	}
	f, err := ReadFrame(r)
	if err != nil {
		return nil, unexpected(err)
	}
	if f.Kind != KindHello {
		return nil, &FrameError{fmt.Sprintf("first frame %q, want hello", f.Kind)}
	}
	var h Hello
	if err := decode(f, &h); err != nil {
		return nil, err
	}
	if h.Version != Version {
		return nil, fmt.Errorf("agent speaks protocol version %d, want %d", h.Version, Version)
	}
	if h.Node == "" {
		h.Node = o.Node
	}
	c.Hello = h
	go c.read(r)
	go c.sendBasefiles()
	return c, nil
}

// Lost is closed once the connection has broken (not after a bye).
func (c *Client) Lost() <-chan struct{} { return c.lost }

// Alive reports whether the connection still stands.
func (c *Client) Alive() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.err == nil
}

// read dispatches the agent's frames to their jobs until the connection
// ends; then every job still in flight fails with a *LostError.
func (c *Client) read(r io.Reader) {
	var err error
	receiving := make(map[uint64]*Remote) // jobs with a return file on the way
	defer func() {
		for _, j := range receiving {
			j.dropIncoming() // the temporary file goes
		}
	}()
	for {
		var f Frame
		if f, err = ReadFrame(r); err != nil {
			break
		}
		if f.Kind == KindBye {
			c.mu.Lock()
			c.bye = true
			c.mu.Unlock()
			continue
		}
		c.mu.Lock()
		j := c.jobs[f.Seq]
		if f.Kind == KindResult {
			delete(c.jobs, f.Seq)
		}
		c.mu.Unlock()
		if j == nil {
			continue
		}
		switch f.Kind {
		case KindStdout:
			j.out(0, f.Payload)
		case KindStderr:
			j.out(1, f.Payload)
		case KindPut:
			receiving[f.Seq] = j
			j.recvPut(f)
		case KindData:
			j.recvData(f.Payload)
		case KindPutEnd:
			delete(receiving, f.Seq)
			j.recvEnd(f)
		case KindResult:
			delete(receiving, f.Seq)
			j.dropIncoming()
			var res JobResult
			if derr := decode(f, &res); derr != nil {
				err = derr
				c.lose(err, j)
				return
			}
			j.finish(j.result(res))
		}
	}
	c.lose(err, nil)
}

// lose marks the connection broken and fails the jobs in flight (and also
// extra, already taken from the map).
func (c *Client) lose(err error, extra *Remote) {
	c.mu.Lock()
	if c.bye && err == io.EOF {
		c.mu.Unlock()
		return
	}
	if err == io.EOF {
		err = io.ErrUnexpectedEOF
	}
	lost := &LostError{Node: c.Hello.Node, Err: err, SSH: c.opt.SSH}
	first := c.err == nil
	c.err = lost
	jobs := c.jobs
	c.jobs = make(map[uint64]*Remote)
	c.mu.Unlock()
	if first {
		close(c.lost)
	}
	if extra != nil {
		jobs[0] = extra
	}
	for _, j := range jobs {
		j.finish(channel.Result{Exit: 255, Err: lost, Start: j.start, Runtime: time.Since(j.start)})
	}
}

// Start sends a job to the agent (channel.Remote).
func (c *Client) Start(spec channel.Spec) (channel.RemoteProcess, error) {
	return c.start(spec, Files{})
}

// start sends a job and its files to the agent. It does not wait for
// the files (the exchange calls it under its lock): they are sent in a
// goroutine, then the job's frame; a signal for the job meanwhile waits
// until its frame has gone.
func (c *Client) start(spec channel.Spec, files Files) (channel.RemoteProcess, error) {
	if spec.Feed != nil || spec.Stdin != nil || len(spec.ExtraFiles) > 0 {
		return nil, ErrUnsupported
	}
	env, base := spec.Env, c.opt.Base
	if len(env) >= len(base) && sameStrings(env[:len(base)], base) {
		env = env[len(base):]
	}
	j := &Remote{c: c, spec: spec, start: time.Now(), done: make(chan struct{}), returns: files.Return}
	if err := checkPaths(files); err != nil {
		// Refused before anything is sent: nothing is written anywhere.
		j.res = channel.Result{Exit: 1, Err: err, Start: j.start}
		close(j.done)
		return j, nil
	}
	c.mu.Lock()
	if c.err != nil {
		err := c.err
		c.mu.Unlock()
		// Started and lost at once: the exchange sees a lost agent.
		j.res = channel.Result{Exit: 255, Err: err, Start: j.start}
		close(j.done)
		return j, nil
	}
	c.next++
	j.seq = c.next
	c.jobs[j.seq] = j
	c.mu.Unlock()
	job := Job{Argv: spec.Argv, Env: env, TimeoutNs: int64(c.opt.Timeout), GraceNs: int64(c.opt.Grace),
		Transfer: files.Transfer, Return: files.Return, Cleanup: files.Cleanup}
	if len(files.Transfer) == 0 && c.basefilesSent() {
		j.sent = true
		if err := c.w.write(Frame{Kind: KindJob, Seq: j.seq, Payload: encode(job)}); err != nil {
			c.lose(err, nil)
		}
		return j, nil
	}
	go c.send(j, job)
	return j, nil
}

// Cancel tells the agent to start none of the jobs waiting for a slot:
// they come back with exchange.ErrNotStarted.
func (c *Client) Cancel() error {
	return c.w.write(Frame{Kind: KindCancel})
}

// Close tells the agent there are no more jobs; it exits once those it
// has are done (and, with Options.Cleanup, has removed the basefiles). A
// basefile still on the way (no job has run) is dropped there.
func (c *Client) Close() error {
	c.bid.Store(true)
	return c.w.write(Frame{Kind: KindBye})
}

func sameStrings(a, b []string) bool {
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// Remote is one job on an agent (channel.RemoteProcess).
type Remote struct {
	c     *Client
	seq   uint64
	spec  channel.Spec
	start time.Time

	once sync.Once
	done chan struct{}
	res  channel.Result
	werr [2]bool // a write to stdout, stderr failed: the rest is dropped

	// sent: the job's frame has gone; until then its signals wait in
	// pending (its files are on the way).
	smu     sync.Mutex
	sent    bool
	pending []Signal

	// The return files (as given), the one being received, and the
	// first that could not be written here (the reader goroutine's).
	returns []string
	in      *incoming
	inPath  string
	fileErr error
}

// Started is when the job was sent.
func (j *Remote) Started() time.Time { return j.start }

// Signal sends sig to the job's process group on the agent.
func (j *Remote) Signal(sig syscall.Signal) error {
	return j.signal(Signal{Signal: int(sig)})
}

// Stop stops the job's process group on the agent as channel.Child.Stop
// does.
func (j *Remote) Stop(sig syscall.Signal, grace time.Duration) {
	j.signal(Signal{Signal: int(sig), Stop: true, GraceNs: int64(grace)})
}

// signal sends a signal frame, or keeps it until the job's frame has
// gone.
func (j *Remote) signal(s Signal) error {
	j.smu.Lock()
	if !j.sent {
		j.pending = append(j.pending, s)
		j.smu.Unlock()
		return nil
	}
	j.smu.Unlock()
	return j.c.w.write(Frame{Kind: KindSignal, Seq: j.seq, Payload: encode(s)})
}

// Wait waits for the job's result, its output written.
func (j *Remote) Wait() channel.Result {
	<-j.done
	return j.res
}

func (j *Remote) finish(res channel.Result) {
	j.once.Do(func() {
		j.res = res
		close(j.done)
	})
}

// out writes a chunk of output to stdout (i 0) or stderr (1); nil
// discards.
func (j *Remote) out(i int, p []byte) {
	w := j.spec.Stdout
	if i == 1 {
		w = j.spec.Stderr
	}
	if w == nil || j.werr[i] {
		return
	}
	if _, err := w.Write(p); err != nil {
		j.werr[i] = true
	}
}

// result turns the agent's result into the channel's.
func (j *Remote) result(r JobResult) channel.Result {
	if r.NotStarted {
		return channel.Result{Err: exchange.ErrNotStarted}
	}
	res := channel.Result{Exit: r.Exit, Signal: syscall.Signal(r.Signal), Start: j.start, Runtime: time.Duration(r.RuntimeNs), TimedOut: r.TimedOut,
		Usage: channel.Usage{User: time.Duration(r.CPUUserNs), Sys: time.Duration(r.CPUSysNs), MaxRSS: r.MaxRSS}}
	if r.StartNs != 0 {
		res.Start = time.Unix(0, r.StartNs)
	}
	switch {
	case r.StartExit != 0:
		prog := ""
		if len(j.spec.Argv) > 0 {
			prog = j.spec.Argv[0]
		}
		err := errors.New(r.Err)
		if r.StartExit == channel.ExitNotFound {
			err = os.ErrNotExist
		}
		res.Err = &channel.StartError{Program: prog, Exit: r.StartExit, Err: err}
	case r.Err != "":
		res.Err = errors.New(r.Err)
	case r.File != nil:
		res.Err = fileError(r.File)
	case j.fileErr != nil:
		res.Err = j.fileErr
		if res.Exit == 0 {
			res.Exit = 1
		}
	}
	return res
}
