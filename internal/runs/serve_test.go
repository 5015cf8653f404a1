package runs

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

func dialRun(t testing.TB, r *Run) *Client {
	t.Helper()
	c, err := Dial(r.Dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func TestSocketMode(t *testing.T) {
	r := serveRun(t, t.TempDir(), "mode", newFakeHandler())
	fi, err := os.Lstat(r.SocketPath())
	if err != nil || fi.Mode().Type() != os.ModeSocket || fi.Mode().Perm() != 0o600 {
		t.Fatalf("%s: %v, %v; want a socket of mode 0600", r.SocketPath(), fi.Mode(), err)
	}
}

func TestOps(t *testing.T) {
	h := newFakeHandler()
	r := serveRun(t, t.TempDir(), "ops", h)
	c := dialRun(t, r)
	st, err := c.Status()
	if err != nil || st.State != Running || st.Jobs != 4 {
		t.Fatalf("Status() = %+v, %v", st, err)
	}
	if err := c.Pause(); err != nil {
		t.Fatal(err)
	}
	var re *RemoteError
	if err := c.Pause(); !errors.As(err, &re) || re.Code != "paused" || re.Op != "pause" {
		t.Errorf("second Pause: %v; want a *RemoteError with the handler's code", err)
	}
	if err := c.Continue(); err != nil {
		t.Fatal(err)
	}
	if err := c.Continue(); !errors.As(err, &re) || re.Code != CodeFailed || re.Message != "not paused" {
		t.Errorf("second Continue: %v; want a *RemoteError, failed", err)
	}
	if err := c.SetJobs(2); err != nil {
		t.Fatal(err)
	}
	if err := c.SetJobs(0); !errors.As(err, &re) || re.Code != CodeBadRequest {
		t.Errorf("SetJobs(0): %v; want a bad-request", err)
	}
	recs := records("a", "\xff\x00bytes")
	if err := c.Add(recs); err != nil {
		t.Fatal(err)
	}
	if err := c.AddInput([]byte("b\x00c\n")); err != nil {
		t.Fatal(err)
	}
	recs = append(recs, []byte("b\x00c\n"))
	if err := c.Stop(true); err != nil {
		t.Fatal(err)
	}
	st, _ = c.Status()
	if st.Jobs != 2 || st.Total != 12 || st.State != Draining || h.stopped != "now" ||
		!reflect.DeepEqual(h.added, recs) {
		t.Errorf("after the ops: %+v, stopped %q, added %q", st, h.stopped, h.added)
	}
}

func TestBadRequests(t *testing.T) {
	r := serveRun(t, t.TempDir(), "bad", newFakeHandler())
	conn, err := net.Dial("unix", r.SocketPath())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	buf := make([]byte, 4096)
	fmt.Fprintln(conn, `{"op":"fly"}`)
	n, _ := conn.Read(buf)
	if got := string(buf[:n]); got != `{"ok":false,"code":"bad-request","error":"unknown op \"fly\""}`+"\n" {
		t.Errorf("unknown op answered %q", got)
	}
	fmt.Fprintln(conn, `{"op":"status"}`)
	n, _ = conn.Read(buf)
	if !strings.HasPrefix(string(buf[:n]), `{"ok":true,"status":{"id":"","state":"running"`) {
		t.Errorf("status answered %q", buf[:n])
	}
	fmt.Fprintln(conn, `not json`)
	n, _ = conn.Read(buf)
	if !strings.HasPrefix(string(buf[:n]), `{"ok":false,"code":"bad-request","error":"not a JSON request`) {
		t.Errorf("a line that is not JSON answered %q", buf[:n])
	}
	if n, err := conn.Read(buf); err != io.EOF {
		t.Errorf("after a line that is not JSON: read %q, %v; want the connection closed", buf[:n], err)
	}
}

func TestWaitAndAttach(t *testing.T) {
	h := newFakeHandler()
	r := serveRun(t, t.TempDir(), "wait", h)
	c := dialRun(t, r)
	waited := make(chan string, 1)
	go func() {
		exit, err := c.Wait(context.Background())
		waited <- fmt.Sprint(exit, err)
	}()
	s, err := c.Attach(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	// Other ops are answered while Wait and Attach are waiting.
	if _, err := c.Status(); err != nil {
		t.Fatal(err)
	}
	h.events <- Event{Data: []byte("out\xff\n")}
	h.events <- Event{Status: &Status{Done: 5}}
	ev, _, err := s.Next()
	if err != nil || string(ev.Data) != "out\xff\n" {
		t.Fatalf("first event %+v, %v", ev, err)
	}
	ev, _, err = s.Next()
	if err != nil || ev.Status == nil || ev.Status.Done != 5 {
		t.Fatalf("second event %+v, %v", ev, err)
	}
	h.end(3)
	if _, exit, err := s.Next(); err != io.EOF || exit != 3 {
		t.Errorf("at the end, Next = %d, %v; want 3, EOF", exit, err)
	}
	if got := <-waited; got != "3 <nil>" {
		t.Errorf("Wait = %s; want 3", got)
	}
}

func TestWaitCancelled(t *testing.T) {
	h := newFakeHandler()
	r := serveRun(t, t.TempDir(), "cancel", h)
	c := dialRun(t, r)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		_, err := c.Wait(ctx)
		done <- err
	}()
	<-h.entered
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled Wait: %v", err)
	}
	<-h.gone // the handler's ctx is done: the client went
}

func TestAttachDetach(t *testing.T) {
	h := newFakeHandler()
	r := serveRun(t, t.TempDir(), "detach", h)
	c := dialRun(t, r)
	s, err := c.Attach(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	<-h.gone // Ctrl-C detaches: the handler's Attach sees the client go
	if st, err := c.Status(); err != nil || st.State != Running {
		t.Errorf("after a detach: %+v, %v; want the run going on", st, err)
	}
}

func TestManyClients(t *testing.T) {
	h := newFakeHandler()
	r := serveRun(t, t.TempDir(), "many", h)
	const clients, ops = 64, 50
	var wg sync.WaitGroup
	errs := make(chan error, clients)
	waits := make(chan int, clients)
	for i := 0; i < clients; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c, err := Dial(r.Dir)
			if err != nil {
				errs <- err
				return
			}
			defer c.Close()
			if i%8 == 0 {
				exit, err := c.Wait(context.Background())
				if err != nil {
					errs <- err
				}
				waits <- exit
				return
			}
			for j := 0; j < ops; j++ {
				if _, err := c.Status(); err != nil {
					errs <- err
					return
				}
				if err := c.SetJobs(1 + j); err != nil {
					errs <- err
					return
				}
				if err := c.Add(records(fmt.Sprint(i, j))); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	// Every client that is not waiting has added its records.
	for {
		h.mu.Lock()
		n := len(h.added)
		h.mu.Unlock()
		if n == clients*7/8*ops || len(errs) > 0 {
			break
		}
		time.Sleep(time.Millisecond)
	}
	h.end(0)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if len(waits) != clients/8 {
		t.Errorf("%d waits answered; want %d", len(waits), clients/8)
	}
}

// TestRefusedPeer: a supervisor refuses a client of another uid. The
// peer's uid is the test's own, so the server is told to expect another.
func TestRefusedPeer(t *testing.T) {
	r, err := Create(t.TempDir(), "refuse", Meta{})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	l, err := r.Listen()
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error)
	go func() { done <- serve(l, newFakeHandler(), os.Getuid()+1) }()
	c, err := Dial(r.Dir)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	var re *RemoteError
	if _, err := c.Status(); !errors.As(err, &re) || re.Code != CodeRefused {
		t.Errorf("Status from another uid: %v; want a *RemoteError, refused", err)
	}
	if _, err := c.Wait(context.Background()); !errors.As(err, &re) || re.Code != CodeRefused {
		t.Errorf("Wait from another uid: %v; want a *RemoteError, refused", err)
	}
	l.Close()
	if err := <-done; err != nil {
		t.Error(err)
	}
}

// TestForeignSocket: a client refuses a socket that another user owns.
func TestForeignSocket(t *testing.T) {
	if os.Getuid() != 0 {
		t.Skip("chown to another user needs root")
	}
	r := serveRun(t, t.TempDir(), "foreign", newFakeHandler())
	const nobody = 65534
	if err := os.Lchown(r.SocketPath(), nobody, nobody); err != nil {
		t.Fatal(err)
	}
	_, err := Dial(r.Dir)
	var fe *ForeignSocketError
	if !errors.As(err, &fe) || fe.UID != nobody || fe.Path != r.SocketPath() {
		t.Fatalf("Dial of a socket owned by nobody: %v; want a *ForeignSocketError", err)
	}
	os.Lchown(r.SocketPath(), 0, 0)
	os.Chown(r.Dir, nobody, nobody)
	if _, err := Dial(r.Dir); !errors.As(err, &fe) || fe.Path != r.Dir {
		t.Fatalf("Dial in a directory owned by nobody: %v; want a *ForeignSocketError", err)
	}
}

func TestDialNotLive(t *testing.T) {
	r := newRun(t, "nolive")
	var nl *NotLiveError
	if _, err := Dial(r.Dir); !errors.As(err, &nl) || !errors.Is(err, syscall.ENOENT) {
		t.Errorf("Dial with no socket: %v; want a *NotLiveError, ENOENT", err)
	}
	// A socket left behind by a supervisor that died.
	l, err := net.ListenUnix("unix", &net.UnixAddr{Name: r.SocketPath(), Net: "unix"})
	if err != nil {
		t.Fatal(err)
	}
	l.SetUnlinkOnClose(false)
	l.Close()
	if _, err := Dial(r.Dir); !errors.As(err, &nl) || !errors.Is(err, syscall.ECONNREFUSED) {
		t.Errorf("Dial of a stale socket: %v; want a *NotLiveError, ECONNREFUSED", err)
	}
	// Listen replaces it.
	l2, err := r.Listen()
	if err != nil {
		t.Fatal(err)
	}
	l2.Close()
	if _, err := os.Lstat(r.SocketPath()); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("after Close the socket is still there: %v", err)
	}
}

// TestLongSocketPath: a run directory whose ctl path is longer than a
// sockaddr_un holds works all the same.
func TestLongSocketPath(t *testing.T) {
	parent := t.TempDir()
	for len(parent) < 200 {
		parent = filepath.Join(parent, strings.Repeat("d", 40))
	}
	id := strings.Repeat("L", 64)
	h := newFakeHandler()
	r := serveRun(t, parent, id, h)
	if len(r.SocketPath()) <= maxSunPath {
		t.Fatalf("socket path %d bytes long; want over %d", len(r.SocketPath()), maxSunPath)
	}
	fi, err := os.Lstat(r.SocketPath())
	if err != nil || fi.Mode().Type() != os.ModeSocket || fi.Mode().Perm() != 0o600 {
		t.Fatalf("%s: %v, %v; want a socket of mode 0600", r.SocketPath(), fi, err)
	}
	c := dialRun(t, r)
	if err := c.SetJobs(7); err != nil {
		t.Fatal(err)
	}
	if st, err := c.Status(); err != nil || st.Jobs != 7 {
		t.Errorf("Status() = %+v, %v", st, err)
	}
	list, err := List(parent)
	if err != nil || len(list) != 1 || list[0].Jobs != 7 {
		t.Errorf("List = %+v, %v", list, err)
	}
}

func TestServeEndsOnClose(t *testing.T) {
	r := newRun(t, "close")
	l, err := r.Listen()
	if err != nil {
		t.Fatal(err)
	}
	h := newFakeHandler()
	done := make(chan error)
	go func() { done <- Serve(l, h) }()
	c, err := Dial(r.Dir) // an idle client
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	waited := make(chan error)
	go func() {
		_, err := c.Wait(context.Background())
		waited <- err
	}()
	if _, err := c.Status(); err != nil {
		t.Fatal(err)
	}
	l.Close()
	if err := <-done; err != nil {
		t.Errorf("Serve = %v", err)
	}
	if err := <-waited; err == nil {
		t.Error("Wait answered without an exit status when Serve ended")
	}
}

// TestRefusedUnprivilegedUser: a client running as nobody, let reach the
// socket (directory and socket opened up for the test), is refused by the
// supervisor (SO_PEERCRED).
func TestRefusedUnprivilegedUser(t *testing.T) {
	if os.Getuid() != 0 {
		t.Skip("running a client as nobody needs root")
	}
	const nobody = 65534
	// The test binary, where nobody can run it.
	bin := filepath.Join(t.TempDir(), "runs.test")
	b, err := os.ReadFile(os.Args[0])
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(bin, b, 0o755); err != nil {
		t.Fatal(err)
	}
	parent := t.TempDir()
	for _, d := range []string{filepath.Dir(bin), filepath.Dir(filepath.Dir(bin)), parent, filepath.Dir(parent)} {
		os.Chmod(d, 0o755)
	}
	r := serveRun(t, parent, "nobody", newFakeHandler())
	asNobody := func() ([]byte, error) {
		cmd := exec.Command(bin, r.SocketPath())
		cmd.Env = append(os.Environ(), "RUNS_TEST_CHILD=rawdial")
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: nobody, Gid: nobody}}
		return cmd.Output()
	}
	// As made, the run's directory (0700) keeps nobody out.
	out, err := asNobody()
	if err == nil || !strings.Contains(string(out), "permission denied") {
		t.Fatalf("a client as nobody got %q, %v; want permission denied", out, err)
	}
	os.Chmod(r.Dir, 0o755)
	os.Chmod(r.SocketPath(), 0o666)
	out, err = asNobody()
	want := `{"ok":false,"code":"refused","error":"connection from another user refused"}` + "\n"
	if err != nil || string(out) != want {
		t.Fatalf("a client as nobody got %q, %v; want %q", out, err, want)
	}
}

// TestLongSocketPathWithoutProc: without /proc, a socket path longer than
// sun_path is a *PathTooLongError, for the supervisor and the client.
func TestLongSocketPathWithoutProc(t *testing.T) {
	parent := t.TempDir()
	for len(parent) < 200 {
		parent = filepath.Join(parent, strings.Repeat("d", 40))
	}
	r, err := Create(parent, "noproc", Meta{})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	defer func(p string) { procFD = p }(procFD)
	procFD = filepath.Join(t.TempDir(), "no-proc")
	var tl *PathTooLongError
	if _, err := r.Listen(); !errors.As(err, &tl) || tl.Path != r.SocketPath() {
		t.Errorf("Listen: %v; want a *PathTooLongError", err)
	}
	// A file where the socket would be: the client gets as far as connecting.
	os.WriteFile(r.SocketPath(), nil, 0o600)
	if _, err := Dial(r.Dir); !errors.As(err, &tl) {
		t.Errorf("Dial: %v; want a *PathTooLongError", err)
	}
}

// slowHandler takes its time over SetJobs.
type slowHandler struct {
	*fakeHandler
	release chan struct{}
}

func (h slowHandler) SetJobs(n int) error {
	<-h.release
	return h.fakeHandler.SetJobs(n)
}

// TestClientTimeout: an op the supervisor does not answer within Timeout
// fails, and the connection, out of step, is not used again.
func TestClientTimeout(t *testing.T) {
	h := slowHandler{newFakeHandler(), make(chan struct{})}
	r := serveRun(t, t.TempDir(), "slow", h)
	c := dialRun(t, r)
	c.Timeout = 50 * time.Millisecond
	err := c.SetJobs(2)
	var ne net.Error
	if !errors.As(err, &ne) || !ne.Timeout() {
		t.Errorf("unanswered SetJobs: %v; want a timeout", err)
	}
	close(h.release)
	if _, err := c.Status(); err == nil {
		t.Error("Status on a connection out of step succeeded")
	}
	c2 := dialRun(t, r)
	if _, err := c2.Status(); err != nil {
		t.Errorf("a new client: %v", err)
	}
}
