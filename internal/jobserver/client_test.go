package jobserver

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
	"testing"

	"golang.org/x/sys/unix"
)

// makePipe makes a pipe as make does, blocking, holding tokens, and
// returns its fds with the MAKEFLAGS that name them.
func makePipe(t *testing.T, tokens string) (r, w int, makeflags string) {
	t.Helper()
	var p [2]int
	if err := unix.Pipe2(p[:], unix.O_CLOEXEC); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { unix.Close(p[0]); unix.Close(p[1]) })
	if tokens != "" {
		if _, err := unix.Write(p[1], []byte(tokens)); err != nil {
			t.Fatal(err)
		}
	}
	return p[0], p[1], fmt.Sprintf("k -j%d --jobserver-auth=%d,%d --no-print-directory", len(tokens)+1, p[0], p[1])
}

// pending returns how many token bytes wait in the pipe or FIFO fd.
func pending(t *testing.T, fd int) int {
	t.Helper()
	n, err := unix.IoctlGetInt(fd, unix.TIOCINQ)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// drain reads exactly n bytes from a pipe that holds them.
func drain(t *testing.T, fd, n int) []byte {
	t.Helper()
	b := make([]byte, n)
	if m, err := unix.Read(fd, b); m != n || err != nil {
		t.Fatalf("read %d of %d bytes: %v", m, n, err)
	}
	return b
}

func getfl(t *testing.T, fd int) int {
	t.Helper()
	fl, err := unix.FcntlInt(uintptr(fd), unix.F_GETFL, 0)
	if err != nil {
		t.Fatal(err)
	}
	return fl
}

func mustClient(t *testing.T, makeflags string) *Client {
	t.Helper()
	c, err := FromEnv(makeflags)
	if err != nil || c == nil {
		t.Fatalf("FromEnv(%q) = %v, %v", makeflags, c, err)
	}
	return c
}

func TestFromEnvNone(t *testing.T) {
	for _, flags := range []string{"", " -j1", "k -j4", " -j"} {
		if c, err := FromEnv(flags); c != nil || err != nil {
			t.Errorf("FromEnv(%q) = %v, %v; want nil, nil", flags, c, err)
		}
	}
}

func TestFromEnvUnavailable(t *testing.T) {
	// Two fd numbers that are free: open them, then close them.
	var closed [2]int
	for i := range closed {
		fd, err := unix.Open(os.DevNull, unix.O_RDONLY|unix.O_CLOEXEC, 0)
		if err != nil {
			t.Fatal(err)
		}
		closed[i] = fd
	}
	unix.Close(closed[0])
	unix.Close(closed[1])

	file, err := os.CreateTemp(t.TempDir(), "file")
	if err != nil {
		t.Fatal(err)
	}
	defer file.Close()
	r1, w1, _ := makePipe(t, "+")
	r2, w2, _ := makePipe(t, "+")
	dir := t.TempDir()

	tests := []struct{ name, flags string }{
		{"fds not passed", fmt.Sprintf(" -j2 --jobserver-auth=%d,%d", closed[0], closed[1])},
		{"fds not passed, old form", fmt.Sprintf(" -j2 --jobserver-fds=%d,%d", closed[0], closed[1])},
		{"fd reused for a file", fmt.Sprintf(" -j2 --jobserver-auth=%d,%d", file.Fd(), file.Fd())},
		{"two different pipes", fmt.Sprintf(" -j2 --jobserver-auth=%d,%d", r1, w2)},
		{"ends swapped", fmt.Sprintf(" -j2 --jobserver-auth=%d,%d", w1, r1)},
		{"make 4.4 withheld it", fmt.Sprintf(" -j2 --jobserver-auth=%d,%d --jobserver-auth=-2,-2", r2, w2)},
		{"fifo gone", " -j2 --jobserver-auth=fifo:" + filepath.Join(dir, "nothing")},
		{"fifo is a file", " -j2 --jobserver-auth=fifo:" + file.Name()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := FromEnv(tt.flags)
			if c != nil || !errors.Is(err, ErrUnavailable) {
				t.Fatalf("FromEnv(%q) = %v, %v; want ErrUnavailable", tt.flags, c, err)
			}
			t.Log(err)
		})
	}
}

func TestPipeAcquireRelease(t *testing.T) {
	tokens := "+a\x00" // make writes '+'; a client must give back whatever it read
	r, _, flags := makePipe(t, tokens)
	before := getfl(t, r)
	c := mustClient(t, flags)
	ctx := context.Background()

	var held []Token
	for i := range len(tokens) + 1 {
		tok, err := c.Acquire(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if tok.Implicit() != (i == 0) {
			t.Fatalf("token %d: Implicit() = %v", i, tok.Implicit())
		}
		held = append(held, tok)
		if got, want := pending(t, r), len(tokens)-i; got != want {
			t.Fatalf("after %d acquires the pipe holds %d, want %d", i+1, got, want)
		}
	}
	if c.Held() != len(tokens)+1 {
		t.Fatalf("Held() = %d", c.Held())
	}
	for _, tok := range held {
		if err := c.Release(tok); err != nil {
			t.Fatal(err)
		}
	}
	if err := c.Release(held[1]); !errors.Is(err, ErrNotHeld) {
		t.Errorf("second Release = %v, want ErrNotHeld", err)
	}
	if err := c.Release(held[0]); !errors.Is(err, ErrNotHeld) {
		t.Errorf("second Release of the implicit token = %v, want ErrNotHeld", err)
	}
	if err := c.Release(Token{}); !errors.Is(err, ErrNotHeld) {
		t.Errorf("Release(Token{}) = %v, want ErrNotHeld", err)
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	got := drain(t, r, pending(t, r))
	slices.Sort(got)
	want := []byte(tokens)
	slices.Sort(want)
	if !bytes.Equal(got, want) {
		t.Errorf("pipe holds %q after release, want %q", got, want)
	}
	if after := getfl(t, r); after != before {
		t.Errorf("make's read end flags changed from %#o to %#o", before, after)
	}
}

func TestCloseGivesBackEverything(t *testing.T) {
	r, _, flags := makePipe(t, "+++")
	c := mustClient(t, flags)
	for range 3 {
		if _, err := c.Acquire(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	if got := pending(t, r); got != 1 {
		t.Fatalf("pipe holds %d, want 1", got)
	}
	tok, err := c.Acquire(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	if got := pending(t, r); got != 3 {
		t.Errorf("after Close the pipe holds %d, want 3", got)
	}
	if err := c.Release(tok); !errors.Is(err, ErrClosed) {
		t.Errorf("Release after Close = %v, want ErrClosed", err)
	}
	if _, err := c.Acquire(context.Background()); !errors.Is(err, ErrClosed) {
		t.Errorf("Acquire after Close = %v, want ErrClosed", err)
	}
	if got := pending(t, r); got != 3 {
		t.Errorf("the pipe holds %d, want 3", got)
	}
	if err := c.Close(); err != nil {
		t.Errorf("second Close = %v", err)
	}
}

// blockedAcquire starts an Acquire on an empty jobserver and returns once
// it is about to read, with the channel its result arrives on.
type acquired struct {
	tok Token
	err error
}

func blockedAcquire(t *testing.T, c *Client, ctx context.Context) <-chan acquired {
	t.Helper()
	reading := make(chan struct{})
	var once sync.Once
	c.beforeRead = func() { once.Do(func() { close(reading) }) }
	res := make(chan acquired, 1)
	go func() {
		tok, err := c.Acquire(ctx)
		res <- acquired{tok, err}
	}()
	<-reading
	return res
}

func TestCancelBlockedAcquire(t *testing.T) {
	r, w, flags := makePipe(t, "")
	c := mustClient(t, flags)
	defer c.Close()
	implicit, err := c.Acquire(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	res := blockedAcquire(t, c, ctx)
	cancel()
	got := <-res
	if !errors.Is(got.err, context.Canceled) {
		t.Fatalf("Acquire = %+v, want context.Canceled", got)
	}
	if c.Held() != 1 {
		t.Fatalf("Held() = %d, want 1", c.Held())
	}
	// Nothing is left reading: a token written now stays in the pipe
	// until the next Acquire takes it.
	c.beforeRead = nil
	if _, err := unix.Write(w, []byte("+")); err != nil {
		t.Fatal(err)
	}
	if got := pending(t, r); got != 1 {
		t.Fatalf("pipe holds %d, want 1", got)
	}
	tok, err := c.Acquire(context.Background())
	if err != nil || tok.Implicit() {
		t.Fatalf("Acquire = %+v, %v", tok, err)
	}
	if got := pending(t, r); got != 0 {
		t.Fatalf("pipe holds %d, want 0", got)
	}
	for _, tok := range []Token{tok, implicit} {
		if err := c.Release(tok); err != nil {
			t.Fatal(err)
		}
	}
	if got := pending(t, r); got != 1 {
		t.Fatalf("pipe holds %d, want 1", got)
	}
}

// A token read just as the caller gives up goes straight back.
func TestCancelRaceGivesTokenBack(t *testing.T) {
	r, _, flags := makePipe(t, "x")
	c := mustClient(t, flags)
	defer c.Close()
	if _, err := c.Acquire(context.Background()); err != nil { // implicit
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	c.afterRead = cancel
	_, err := c.Acquire(ctx)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Acquire = %v, want context.Canceled", err)
	}
	if got := pending(t, r); got != 1 {
		t.Fatalf("pipe holds %d, want 1", got)
	}
	if b := drain(t, r, 1); b[0] != 'x' {
		t.Errorf("pipe holds %q, want %q", b, "x")
	}
}

func TestAcquireDoneContext(t *testing.T) {
	r, _, flags := makePipe(t, "+")
	c := mustClient(t, flags)
	defer c.Close()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := c.Acquire(ctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("Acquire = %v, want context.Canceled", err)
	}
	if c.Held() != 0 || pending(t, r) != 1 {
		t.Fatalf("Held() = %d, pipe holds %d", c.Held(), pending(t, r))
	}
}

// A reader waiting on an empty pipe takes the implicit slot once it is free.
func TestImplicitWakesReader(t *testing.T) {
	r, _, flags := makePipe(t, "")
	c := mustClient(t, flags)
	defer c.Close()
	implicit, err := c.Acquire(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	res := blockedAcquire(t, c, context.Background())
	if err := c.Release(implicit); err != nil {
		t.Fatal(err)
	}
	got := <-res
	if got.err != nil || !got.tok.Implicit() {
		t.Fatalf("Acquire = %+v, want the implicit token", got)
	}
	if pending(t, r) != 0 || c.Held() != 1 {
		t.Fatalf("pipe holds %d, Held() = %d", pending(t, r), c.Held())
	}
}

func TestCloseEndsBlockedAcquire(t *testing.T) {
	r, _, flags := makePipe(t, "")
	c := mustClient(t, flags)
	if _, err := c.Acquire(context.Background()); err != nil {
		t.Fatal(err)
	}
	res := blockedAcquire(t, c, context.Background())
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	if got := <-res; !errors.Is(got.err, ErrClosed) {
		t.Fatalf("Acquire = %+v, want ErrClosed", got)
	}
	if got := pending(t, r); got != 0 {
		t.Fatalf("pipe holds %d, want 0", got)
	}
}

func TestFifoClient(t *testing.T) {
	srv, err := Serve(3, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	c := mustClient(t, srv.Makeflags("k"))
	var held []Token
	for range 3 {
		tok, err := c.Acquire(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		held = append(held, tok)
	}
	ctx, cancel := context.WithCancel(context.Background())
	res := blockedAcquire(t, c, ctx)
	cancel()
	if got := <-res; !errors.Is(got.err, context.Canceled) {
		t.Fatalf("fourth Acquire = %+v, want context.Canceled", got)
	}
	if err := c.Release(held[2]); err != nil {
		t.Fatal(err)
	}
	if err := c.Close(); err != nil { // gives back held[1]
		t.Fatal(err)
	}
	if err := srv.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Dir(srv.Path())); !os.IsNotExist(err) {
		t.Errorf("Close left %s: %v", filepath.Dir(srv.Path()), err)
	}
}

// Many goroutines taking and giving back slots, some giving up midway,
// never hold more than the budget and never lose a token.
func TestConcurrentAcquire(t *testing.T) {
	const slots, workers, rounds = 4, 16, 200
	srv, err := Serve(slots, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	c, err := srv.Client()
	if err != nil {
		t.Fatal(err)
	}
	var inUse, most atomic.Int32
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := range rounds {
				ctx, cancel := context.WithCancel(context.Background())
				if (w+i)%5 == 0 {
					cancel() // some give up before or while waiting
				}
				tok, err := c.Acquire(ctx)
				cancel()
				if err != nil {
					if !errors.Is(err, context.Canceled) {
						t.Error(err)
					}
					continue
				}
				n := inUse.Add(1)
				for m := most.Load(); n > m && !most.CompareAndSwap(m, n); m = most.Load() {
				}
				inUse.Add(-1)
				if err := c.Release(tok); err != nil {
					t.Error(err)
				}
			}
		})
	}
	wg.Wait()
	if most.Load() > slots {
		t.Errorf("%d slots held at once, budget %d", most.Load(), slots)
	}
	if c.Held() != 0 {
		t.Errorf("Held() = %d after all released", c.Held())
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	if err := srv.Close(); err != nil {
		t.Fatalf("tokens lost: %v", err)
	}
}

func TestServerCountsTokens(t *testing.T) {
	srv, err := Serve(3, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	fd, err := unix.Open(srv.Path(), unix.O_RDWR|unix.O_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(fd)
	if got := pending(t, fd); got != 2 {
		t.Fatalf("Serve(3) made %d tokens, want 2", got)
	}
	drain(t, fd, 1) // a client that never gives its token back
	var tce *TokenCountError
	if err := srv.Close(); !errors.As(err, &tce) || tce.Have != 1 || tce.Want != 2 {
		t.Fatalf("Close = %v, want 1 of 2 tokens", err)
	}
	if _, err := Serve(0, ""); err == nil {
		t.Error("Serve(0) succeeded")
	}
	dir := t.TempDir()
	if _, err := Serve(1<<20, dir); err == nil {
		t.Error("Serve(1<<20) succeeded; a pipe cannot hold that many tokens")
	}
	if left, _ := os.ReadDir(dir); len(left) != 0 {
		t.Errorf("failed Serve left %v behind", left)
	}
}
