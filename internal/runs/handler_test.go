package runs

import (
	"context"
	"errors"
	"sync"
	"testing"
)

// fakeHandler is a supervisor's Handler for the tests: it records the ops
// it is given; Wait and Attach end when end is called.
type fakeHandler struct {
	mu      sync.Mutex
	st      Status
	added   [][]byte
	stopped string
	ended   chan struct{}
	exit    int
	events  chan Event    // sent to attached clients
	gone    chan struct{} // closed when an Attach or Wait saw its client go
	entered chan string   // "wait" or "attach" when one begins
	goneOne sync.Once
}

func newFakeHandler() *fakeHandler {
	return &fakeHandler{
		st:      Status{State: Running, Jobs: 4, Total: 10},
		ended:   make(chan struct{}),
		events:  make(chan Event),
		gone:    make(chan struct{}),
		entered: make(chan string, 1000),
	}
}

type codedError struct{}

func (codedError) Error() string { return "the run is paused already" }
func (codedError) Code() string  { return "paused" }

func (h *fakeHandler) Status() Status {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.st
}

func (h *fakeHandler) Pause() error {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.st.State == Paused {
		return codedError{}
	}
	h.st.State = Paused
	return nil
}

func (h *fakeHandler) Continue() error {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.st.State != Paused {
		return errors.New("not paused")
	}
	h.st.State = Running
	return nil
}

func (h *fakeHandler) SetJobs(n int) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.st.Jobs = n
	return nil
}

func (h *fakeHandler) Add(records [][]byte, input []byte) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.added = append(h.added, records...)
	if input != nil {
		h.added = append(h.added, input)
	}
	h.st.Total += int64(len(records))
	return nil
}

func (h *fakeHandler) Stop(now bool) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.stopped = map[bool]string{false: "drain", true: "now"}[now]
	h.st.State = Draining
	return nil
}

func (h *fakeHandler) setState(s State) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.st.State = s
}

func (h *fakeHandler) end(exit int) {
	h.mu.Lock()
	h.exit = exit
	h.mu.Unlock()
	close(h.ended)
}

func (h *fakeHandler) result() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.exit
}

func (h *fakeHandler) Wait(ctx context.Context) (int, error) {
	h.entered <- OpWait
	select {
	case <-h.ended:
		return h.result(), nil
	case <-ctx.Done():
		h.goneOne.Do(func() { close(h.gone) })
		return 0, ctx.Err()
	}
}

func (h *fakeHandler) Attach(ctx context.Context, send func(Event) error) (int, error) {
	h.entered <- OpAttach
	for {
		select {
		case e := <-h.events:
			if err := send(e); err != nil {
				return 0, err
			}
		case <-h.ended:
			return h.result(), nil
		case <-ctx.Done():
			h.goneOne.Do(func() { close(h.gone) })
			return 0, ctx.Err()
		}
	}
}

// serveRun creates a run, listens on its socket and serves h there; the
// test's cleanup stops it and checks that Serve returned nil.
func serveRun(t testing.TB, parent, id string, h Handler) *Run {
	t.Helper()
	r, err := Create(parent, id, Meta{Command: []string{"cmd", id}})
	if err != nil {
		t.Fatal(err)
	}
	l, err := r.Listen()
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- Serve(l, h) }()
	t.Cleanup(func() {
		l.Close()
		if err := <-done; err != nil {
			t.Errorf("Serve: %v", err)
		}
		r.Close()
	})
	return r
}

func newRun(t *testing.T, id string) *Run {
	t.Helper()
	r, err := Create(t.TempDir(), id, Meta{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	return r
}

func records(s ...string) [][]byte {
	var b [][]byte
	for _, x := range s {
		b = append(b, []byte(x))
	}
	return b
}
