package runs

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"net"
	"os"
	"sync"
	"time"
)

// Ops of the control protocol.
const (
	OpStatus   = "status"
	OpPause    = "pause"
	OpContinue = "continue"
	OpSetJobs  = "set-jobs"
	OpAdd      = "add"
	OpStop     = "stop"
	OpWait     = "wait"
	OpAttach   = "attach"
)

// Request is one line a client sends.
type Request struct {
	Op      string   `json:"op"`
	N       int      `json:"n,omitempty"`       // set-jobs
	Records [][]byte `json:"records,omitempty"` // add
	Input   []byte   `json:"input,omitempty"`   // add: bytes the run splits into records as its own input
	Now     bool     `json:"now,omitempty"`     // stop
}

// Answer is one line the supervisor sends: the answer to a request, or
// one event of an attach stream.
type Answer struct {
	OK     bool    `json:"ok"`
	Code   string  `json:"code,omitempty"`
	Error  string  `json:"error,omitempty"`
	Status *Status `json:"status,omitempty"`
	Exit   *int    `json:"exit,omitempty"` // wait; the end of attach
	Data   []byte  `json:"data,omitempty"` // attach: output
	End    bool    `json:"end,omitempty"`  // attach: the run ended
}

// Event is one thing an attached client is sent: output bytes, or a status
// (for its progress bar).
type Event struct {
	Data   []byte
	Status *Status
}

// Handler is the supervisor's side of the protocol: one method per op. The
// methods are called from several goroutines at once (one per connection)
// and must answer at once (Wait and Attach excepted). An error with a
// Code() string method is sent with that code, any other as CodeFailed.
type Handler interface {
	Status() Status
	Pause() error
	Continue() error
	SetJobs(n int) error
	// Add appends records to the run, durably (Run.Append) before
	// returning: records as they are, then input split into records
	// as the run splits its own input (its record separator).
	Add(records [][]byte, input []byte) error
	Stop(now bool) error
	// Wait returns the run's exit status once it has ended, or ctx's error
	// when the client has gone or Serve is ending.
	Wait(ctx context.Context) (exit int, err error)
	// Attach sends the run's output from now on, and statuses, through
	// send until the run ends (returning its exit status) or ctx is done
	// (the client detached; returning ctx's error). send fails once the
	// client has gone, and blocks while the client does not read (a
	// stopped terminal): feed each attached client from a goroutine of
	// its own (reading the output file from where it was), never from the
	// run's own path, so a slow client never slows the run.
	Attach(ctx context.Context, send func(Event) error) (exit int, err error)
}

// maxLine is the longest request line read: an add of many records.
const maxLine = 64 << 20

// Serve accepts connections on l and answers their requests through h,
// each connection in a goroutine of its own, refusing a peer of another
// uid than this process's. It returns once l is closed (nil) or fails, and
// every connection has ended: idle ones are closed, and Wait and Attach
// are cancelled (their ctx), so let them return the exit status before
// closing l. A Wait or Attach that has returned still sends its last
// answer before its connection closes (given streamGrace to write it).
func Serve(l net.Listener, h Handler) error {
	return serve(l, h, os.Getuid())
}

func serve(l net.Listener, h Handler, uid int) error {
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	var mu sync.Mutex
	conns := map[net.Conn]bool{} // true: in a stream op (wait, attach)
	defer func() {
		cancel()
		mu.Lock()
		for c, streaming := range conns {
			if streaming {
				c.SetWriteDeadline(time.Now().Add(streamGrace))
			} else {
				c.Close()
			}
		}
		mu.Unlock()
		wg.Wait()
	}()
	for {
		c, err := l.Accept()
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return nil
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				continue
			}
			return err
		}
		mu.Lock()
		conns[c] = false
		mu.Unlock()
		wg.Add(1)
		go func() {
			defer wg.Done()
			serveConn(ctx, c, h, uid, func() {
				mu.Lock()
				conns[c] = true
				mu.Unlock()
			})
			mu.Lock()
			delete(conns, c)
			mu.Unlock()
			c.Close()
		}()
	}
}

// streamGrace is how long a stream op's connection is given to write its
// last answer once Serve is ending.
const streamGrace = 5 * time.Second

// serveConn answers the requests of one connection; streaming is called
// as it starts a stream op, its last.
func serveConn(ctx context.Context, c net.Conn, h Handler, uid int, streaming func()) {
	w := bufio.NewWriter(c)
	send := func(a Answer) error {
		b, _ := json.Marshal(a)
		w.Write(append(b, '\n'))
		return w.Flush()
	}
	if uc, ok := c.(*net.UnixConn); ok {
		if peer, err := peerUID(uc); err != nil || peer != uid {
			send(Answer{Code: CodeRefused, Error: "connection from another user refused"})
			return
		}
	}
	sc := bufio.NewScanner(c)
	sc.Buffer(make([]byte, 0, 4096), maxLine)
	for sc.Scan() {
		var req Request
		if err := json.Unmarshal(sc.Bytes(), &req); err != nil {
			send(Answer{Code: CodeBadRequest, Error: "not a JSON request: " + err.Error()})
			return
		}
		switch req.Op {
		case OpWait, OpAttach:
			streaming()
			streamOp(ctx, c, req.Op, h, send)
			return
		}
		if send(answer(h, req)) != nil {
			return
		}
	}
	if err := sc.Err(); err != nil && !errors.Is(err, net.ErrClosed) {
		send(Answer{Code: CodeBadRequest, Error: err.Error()})
	}
}

// answer runs one op that answers at once.
func answer(h Handler, req Request) Answer {
	var err error
	switch req.Op {
	case OpStatus:
		st := h.Status()
		return Answer{OK: true, Status: &st}
	case OpPause:
		err = h.Pause()
	case OpContinue:
		err = h.Continue()
	case OpSetJobs:
		if req.N < 1 {
			return Answer{Code: CodeBadRequest, Error: "set-jobs needs n of at least 1"}
		}
		err = h.SetJobs(req.N)
	case OpAdd:
		err = h.Add(req.Records, req.Input)
	case OpStop:
		err = h.Stop(req.Now)
	default:
		return Answer{Code: CodeBadRequest, Error: "unknown op " + quote(req.Op)}
	}
	return errAnswer(err)
}

func errAnswer(err error) Answer {
	if err == nil {
		return Answer{OK: true}
	}
	code := CodeFailed
	var coded interface{ Code() string }
	if errors.As(err, &coded) {
		code = coded.Code()
	}
	return Answer{Code: code, Error: err.Error()}
}

// streamOp runs wait or attach, the last op of its connection: the
// handler's ctx is done when the client hangs up (a read ends) or Serve
// ends.
func streamOp(ctx context.Context, c net.Conn, op string, h Handler, send func(Answer) error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() {
		c.Read(make([]byte, 1))
		cancel()
	}()
	var exit int
	var err error
	if op == OpWait {
		exit, err = h.Wait(ctx)
	} else {
		if send(Answer{OK: true}) != nil {
			return
		}
		var mu sync.Mutex
		exit, err = h.Attach(ctx, func(e Event) error {
			mu.Lock()
			defer mu.Unlock()
			if ctx.Err() != nil {
				return ctx.Err()
			}
			return send(Answer{OK: true, Data: e.Data, Status: e.Status})
		})
	}
	if err != nil {
		if ctx.Err() == nil {
			send(errAnswer(err))
		}
		return
	}
	send(Answer{OK: true, Exit: &exit, End: op == OpAttach})
}

func quote(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}
