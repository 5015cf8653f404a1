package runs

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"time"
)

// DialTimeout bounds how long Dial waits to connect.
const DialTimeout = 5 * time.Second

// Client talks to one run's supervisor over its control socket. Its
// methods may be called from several goroutines; the ops that answer at
// once share one connection, one op at a time; Wait and Attach each use a
// connection of their own.
type Client struct {
	// Timeout bounds each op that answers at once (not Wait, Attach).
	Timeout time.Duration

	dir    string
	mu     sync.Mutex
	conn   *net.UnixConn
	rd     *bufio.Reader
	broken error // why conn was closed
}

// Dial connects to the supervisor of the run in dir (Run.Dir). A socket or
// directory of another user is a *ForeignSocketError, no supervisor
// listening a *NotLiveError, a refusal by the supervisor a *RemoteError
// with CodeRefused (on the first op).
func Dial(dir string) (*Client, error) {
	return dial(dir, DialTimeout)
}

func dial(dir string, timeout time.Duration) (*Client, error) {
	conn, err := dialUnix(dir, timeout)
	if err != nil {
		return nil, err
	}
	return &Client{Timeout: 10 * time.Second, dir: dir, conn: conn, rd: bufio.NewReader(conn)}, nil
}

// Close closes the client's connection.
func (c *Client) Close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.conn.Close()
}

// do sends req on the shared connection and reads its answer.
// After an error other than the supervisor's answer (a timeout, a torn
// line), the connection is out of step and is closed: later ops fail.
func (c *Client) do(req Request) (Answer, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.broken != nil {
		return Answer{}, fmt.Errorf("%s: %w", req.Op, c.broken)
	}
	if c.Timeout > 0 {
		c.conn.SetDeadline(time.Now().Add(c.Timeout))
		defer c.conn.SetDeadline(time.Time{})
	}
	var a Answer
	err := writeRequest(c.conn, req)
	if err != nil {
		err = refusal(c.rd, req.Op, err)
	} else {
		a, err = readAnswer(c.rd, req.Op)
	}
	var re *RemoteError
	if err != nil && !errors.As(err, &re) {
		c.broken = err
		c.conn.Close()
	}
	return a, err
}

// refusal returns the error of a request that could not be written: the
// supervisor's answer, when it refused the connection before closing it
// (its answer is there to read), else err.
func refusal(rd *bufio.Reader, op string, err error) error {
	if _, rerr := readAnswer(rd, op); rerr != nil {
		var re *RemoteError
		if errors.As(rerr, &re) {
			return rerr
		}
	}
	return fmt.Errorf("%s: %w", op, err)
}

func writeRequest(w io.Writer, req Request) error {
	b, err := json.Marshal(req)
	if err != nil {
		return err
	}
	_, err = w.Write(append(b, '\n'))
	return err
}

// readAnswer reads one answer line; an answer that is not OK is a
// *RemoteError.
func readAnswer(rd *bufio.Reader, op string) (Answer, error) {
	line, err := rd.ReadBytes('\n')
	if err != nil {
		if errors.Is(err, io.EOF) {
			err = io.ErrUnexpectedEOF
		}
		return Answer{}, fmt.Errorf("%s: %w", op, err)
	}
	var a Answer
	if err := json.Unmarshal(line, &a); err != nil {
		return Answer{}, fmt.Errorf("%s: bad answer: %w", op, err)
	}
	if !a.OK {
		return a, &RemoteError{Op: op, Code: a.Code, Message: a.Error}
	}
	return a, nil
}

// Status asks the run's status.
func (c *Client) Status() (Status, error) {
	a, err := c.do(Request{Op: OpStatus})
	if err != nil {
		return Status{}, err
	}
	if a.Status == nil {
		return Status{}, fmt.Errorf("status: answer without a status")
	}
	return *a.Status, nil
}

// Pause stops the run starting new jobs.
func (c *Client) Pause() error { return c.simple(Request{Op: OpPause}) }

// Continue lets a paused run start jobs again.
func (c *Client) Continue() error { return c.simple(Request{Op: OpContinue}) }

// SetJobs sets how many jobs the run runs at once.
func (c *Client) SetJobs(n int) error { return c.simple(Request{Op: OpSetJobs, N: n}) }

// Add appends records to the run; it returns once they are on disk.
func (c *Client) Add(records [][]byte) error {
	return c.simple(Request{Op: OpAdd, Records: records})
}

// AddInput appends input to the run, split into records by the run as it
// splits its own input (-0, -d); it returns once they are on disk.
func (c *Client) AddInput(input []byte) error {
	return c.simple(Request{Op: OpAdd, Input: input})
}

// Stop drains the run (no new job), or with now stops its running jobs too.
func (c *Client) Stop(now bool) error { return c.simple(Request{Op: OpStop, Now: now}) }

func (c *Client) simple(req Request) error {
	_, err := c.do(req)
	return err
}

// stream opens a connection of its own for op, closed when ctx is done.
func (c *Client) stream(ctx context.Context, op string) (*net.UnixConn, *bufio.Reader, func(), error) {
	conn, err := dialUnix(c.dir, DialTimeout)
	if err != nil {
		return nil, nil, nil, err
	}
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	done := func() { stop(); conn.Close() }
	rd := bufio.NewReader(conn)
	if err := writeRequest(conn, Request{Op: op}); err != nil {
		err = refusal(rd, op, err)
		done()
		return nil, nil, nil, err
	}
	return conn, rd, done, nil
}

// Wait returns the run's exit status once it has ended, or ctx's error.
func (c *Client) Wait(ctx context.Context) (int, error) {
	_, rd, done, err := c.stream(ctx, OpWait)
	if err != nil {
		return 0, err
	}
	defer done()
	a, err := readAnswer(rd, OpWait)
	if err != nil {
		if ctx.Err() != nil {
			return 0, ctx.Err()
		}
		return 0, err
	}
	if a.Exit == nil {
		return 0, fmt.Errorf("wait: answer without an exit status")
	}
	return *a.Exit, nil
}

// Attach starts streaming the run's output and statuses; read them with
// Stream.Next. Cancelling ctx (or Stream.Close) detaches; the run goes on.
func (c *Client) Attach(ctx context.Context) (*Stream, error) {
	_, rd, done, err := c.stream(ctx, OpAttach)
	if err != nil {
		return nil, err
	}
	if _, err := readAnswer(rd, OpAttach); err != nil {
		done()
		return nil, err
	}
	return &Stream{ctx: ctx, rd: rd, done: done}, nil
}

// Stream is an attached client's stream of events.
type Stream struct {
	ctx  context.Context
	rd   *bufio.Reader
	done func()
	once sync.Once
}

// Next returns the next event. When the run has ended, it returns io.EOF
// and the run's exit status; when ctx is done, ctx's error.
func (s *Stream) Next() (ev Event, exit int, err error) {
	a, err := readAnswer(s.rd, OpAttach)
	if err != nil {
		if s.ctx.Err() != nil {
			return Event{}, 0, s.ctx.Err()
		}
		return Event{}, 0, err
	}
	if a.End {
		if a.Exit != nil {
			exit = *a.Exit
		}
		return Event{}, exit, io.EOF
	}
	return Event{Data: a.Data, Status: a.Status}, 0, nil
}

// Close detaches.
func (s *Stream) Close() error {
	s.once.Do(s.done)
	return nil
}
