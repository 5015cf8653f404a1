package channel

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// The test binary doubles as the child process: with CHANNEL_TEST_CHILD set,
// TestMain runs the named behaviour instead of the tests.
func TestMain(m *testing.M) {
	switch os.Getenv("CHANNEL_TEST_CHILD") {
	case "":
		os.Exit(m.Run())
	case "echo":
		fmt.Print(strings.Join(os.Args[1:], " "))
		fmt.Fprint(os.Stderr, "to stderr")
		os.Exit(7)
	case "pgid":
		fmt.Print(syscall.Getpgrp() == os.Getpid())
	case "stdin":
		b, _ := os.ReadFile("/dev/stdin")
		fmt.Printf("%d", len(b))
	case "selfkill":
		syscall.Kill(os.Getpid(), syscall.SIGTERM)
		time.Sleep(time.Minute)
	case "background":
		// Leave a grandchild holding stdout, say its pid, and exit as soon
		// as the parent has read it (a byte on stdin).
		p, _ := os.StartProcess(os.Args[0], []string{os.Args[0]}, &os.ProcAttr{
			Env:   childEnv("sleep"),
			Files: []*os.File{nil, os.Stdout, os.Stderr},
		})
		fmt.Println(p.Pid)
		os.Stdin.Read(make([]byte, 1))
	case "sleep":
		time.Sleep(time.Minute)
	case "burn":
		// Touch 64 MiB and spin for 200 ms of CPU time.
		b := make([]byte, 64<<20)
		for i := range len(b) / 4096 {
			b[i*4096] = 1
		}
		// Its own CPU time, not the clock's: on a busy machine the spin
		// gets less than all of a CPU.
		for {
			var ru syscall.Rusage
			syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
			if time.Duration(ru.Utime.Nano()+ru.Stime.Nano()) >= 200*time.Millisecond {
				break
			}
		}
		fmt.Print(len(b))
	case "ignoreterm":
		// Ignore SIGTERM, say so on stdout, and sleep.
		signal.Ignore(syscall.SIGTERM)
		fmt.Println("ready")
		time.Sleep(time.Minute)
	case "parent":
		// Start a sleeping child through Start, report its pid, wait to die.
		c, err := Start(Spec{Path: os.Args[0], Argv: []string{os.Args[0]}, Env: childEnv("sleep")})
		if err != nil {
			panic(err)
		}
		fmt.Println(c.Pid())
		time.Sleep(time.Minute)
	}
	os.Exit(0)
}

func childEnv(mode string) []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "CHANNEL_TEST_CHILD=") {
			env = append(env, kv)
		}
	}
	return append(env, "CHANNEL_TEST_CHILD="+mode)
}

func self(t *testing.T) string {
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	return exe
}

func run(t *testing.T, spec Spec) (Result, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	spec.Stdout, spec.Stderr = &out, &errOut
	c, err := Start(spec)
	if err != nil {
		t.Fatal(err)
	}
	return c.Wait(), out.String(), errOut.String()
}

func TestExitValueAndOutput(t *testing.T) {
	exe := self(t)
	res, out, errOut := run(t, Spec{Path: exe, Argv: []string{exe, "a b", "c"}, Env: childEnv("echo")})
	if res.Exit != 7 || res.Signal != 0 || res.Err != nil {
		t.Fatalf("result %+v", res)
	}
	if out != "a b c" || errOut != "to stderr" {
		t.Fatalf("stdout %q stderr %q", out, errOut)
	}
	if !res.Failed(nil) || res.Failed(map[int]bool{7: true}) {
		t.Fatal("success codes not applied")
	}
}

func TestOwnProcessGroupAndDevNullStdin(t *testing.T) {
	exe := self(t)
	_, out, _ := run(t, Spec{Path: exe, Argv: []string{exe}, Env: childEnv("pgid")})
	if out != "true" {
		t.Fatalf("child is not its own group leader: %q", out)
	}
	_, out, _ = run(t, Spec{Path: exe, Argv: []string{exe}, Env: childEnv("stdin")})
	if out != "0" {
		t.Fatalf("stdin gave %s bytes, want /dev/null", out)
	}
}

func TestSignalDeath(t *testing.T) {
	exe := self(t)
	res, _, _ := run(t, Spec{Path: exe, Argv: []string{exe}, Env: childEnv("selfkill")})
	if res.Signal != syscall.SIGTERM || res.Exit != 128+15 {
		t.Fatalf("result %+v", res)
	}
}

func TestNotFoundAndNotExecutable(t *testing.T) {
	_, err := Start(Spec{Argv: []string{"parmap-no-such-program"}})
	se, ok := err.(*StartError)
	if !ok || se.Exit != ExitNotFound || se.Error() != "parmap-no-such-program: command not found" {
		t.Fatalf("err %v", err)
	}
	f := filepath.Join(t.TempDir(), "plain")
	os.WriteFile(f, []byte("data"), 0o644)
	_, err = Start(Spec{Path: f, Argv: []string{f}})
	se, ok = err.(*StartError)
	if !ok || se.Exit != ExitNotExecutable {
		t.Fatalf("err %v", err)
	}
}

func alive(pid int) bool {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	return s[i+2] != 'Z'
}

func waitDead(t *testing.T, pid int) {
	t.Helper()
	deadline := time.Now().Add(time.Minute) // a bound on failure
	for alive(pid) {
		if time.Now().After(deadline) {
			t.Fatalf("process %d still alive", pid)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestLingeringGrandchildIsReportedAndKilled(t *testing.T) {
	exe := self(t)
	var out bytes.Buffer
	lw := &lineWaiter{buf: &out, ch: make(chan struct{})}
	// The child exits once its line has been read, so Linger bounds only
	// the wait for the end of file that the grandchild holds back, not the
	// reading of what the child wrote.
	c, err := Start(Spec{Path: exe, Argv: []string{exe}, Env: childEnv("background"), Stdout: lw, Linger: 100 * time.Millisecond,
		Feed: func(w *os.File) (int64, error) {
			select {
			case <-lw.ch:
			case <-time.After(time.Minute): // a bound on failure
			}
			n, err := w.Write([]byte{'\n'})
			return int64(n), err
		}})
	if err != nil {
		t.Fatal(err)
	}
	res := c.Wait()
	pid, err := strconv.Atoi(strings.TrimSpace(out.String()))
	if err != nil {
		t.Fatalf("output %q", out.String())
	}
	if !res.Lingering || res.Exit != 0 {
		t.Fatalf("result %+v", res)
	}
	KillGroup(res.Pgid)
	waitDead(t, pid)
}

func TestPdeathsigKillsChildWhenParentIsKilled(t *testing.T) {
	exe := self(t)
	var out bytes.Buffer
	lw := &lineWaiter{buf: &out, ch: make(chan struct{})}
	c, err := Start(Spec{Path: exe, Argv: []string{exe}, Env: childEnv("parent"), Stdout: lw})
	if err != nil {
		t.Fatal(err)
	}
	<-lw.ch
	pid, err := strconv.Atoi(strings.TrimSpace(out.String()))
	if err != nil {
		t.Fatalf("parent said %q", out.String())
	}
	c.Signal(syscall.SIGKILL)
	// Only the parent's group was signalled; the grandchild has a group of
	// its own, so only Pdeathsig can have killed it.
	c.Wait()
	waitDead(t, pid)
}

// lineWaiter closes ch once a newline has been written.
type lineWaiter struct {
	buf    *bytes.Buffer
	ch     chan struct{}
	closed bool
}

func (l *lineWaiter) Write(p []byte) (int, error) {
	l.buf.Write(p)
	if !l.closed && bytes.IndexByte(l.buf.Bytes(), '\n') >= 0 {
		l.closed = true
		close(l.ch)
	}
	return len(p), nil
}

// TestFeedWritesStdin: Spec.Feed's bytes reach the child's stdin whole, and
// the count comes back in Result.Sent.
func TestFeedWritesStdin(t *testing.T) {
	data := bytes.Repeat([]byte("0123456789abcdef"), 1<<16) // 1 MiB
	var out bytes.Buffer
	c, err := Start(Spec{Path: "/bin/sh", Argv: []string{"sh", "-c", "wc -c"}, Stdout: &out,
		Feed: func(w *os.File) (int64, error) {
			n, err := w.Write(data)
			return int64(n), err
		}})
	if err != nil {
		t.Fatal(err)
	}
	res := c.Wait()
	if strings.TrimSpace(out.String()) != strconv.Itoa(len(data)) || res.Sent != int64(len(data)) || res.Exit != 0 {
		t.Fatalf("child read %q, Sent %d, exit %d; want %d", out.String(), res.Sent, res.Exit, len(data))
	}
}

// TestFeedEndsWhenChildStopsReading: a child that exits without reading
// its stdin makes Feed's write fail at once; Wait does not hang.
func TestFeedEndsWhenChildStopsReading(t *testing.T) {
	var feedErr error
	c, err := Start(Spec{Path: "/bin/sh", Argv: []string{"sh", "-c", "exit 3"},
		Feed: func(w *os.File) (int64, error) {
			var n int64
			buf := make([]byte, 1<<20)
			for {
				m, err := w.Write(buf)
				n += int64(m)
				if err != nil {
					feedErr = err
					return n, err
				}
			}
		}})
	if err != nil {
		t.Fatal(err)
	}
	res := c.Wait()
	if res.Exit != 3 || !errors.Is(feedErr, syscall.EPIPE) {
		t.Fatalf("exit %d, feed error %v; want 3 and EPIPE", res.Exit, feedErr)
	}
}

// readyChild starts mode with its stdout on a pipe and waits for its first
// line, so that it has set up its signals before the test sends any.
func readyChild(t *testing.T, mode string) *Child {
	t.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	c, err := Start(Spec{Path: self(t), Argv: []string{self(t)}, Env: childEnv(mode), Stdout: w})
	w.Close()
	if err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 6)
	if n, err := r.Read(buf); err != nil || string(buf[:n]) != "ready\n" {
		t.Fatalf("child said %q, %v", buf[:n], err)
	}
	return c
}

func TestStopKillsAfterGrace(t *testing.T) {
	c := readyChild(t, "ignoreterm")
	c.Stop(syscall.SIGTERM, 50*time.Millisecond)
	res := c.Wait()
	if res.Signal != syscall.SIGKILL {
		t.Fatalf("a child ignoring SIGTERM ended with %+v, want SIGKILL after the grace", res)
	}
}

func TestStopWakesAStoppedChild(t *testing.T) {
	c, err := Start(Spec{Path: self(t), Argv: []string{self(t)}, Env: childEnv("sleep")})
	if err != nil {
		t.Fatal(err)
	}
	c.Signal(syscall.SIGSTOP)
	// A long grace: only SIGTERM, delivered thanks to SIGCONT, can end it.
	c.Stop(syscall.SIGTERM, time.Hour)
	if res := c.Wait(); res.Signal != syscall.SIGTERM {
		t.Fatalf("a stopped child ended with %+v, want SIGTERM", res)
	}
}

func TestStopAfterExitDoesNothing(t *testing.T) {
	c, err := Start(Spec{Path: self(t), Argv: []string{self(t)}, Env: childEnv("pgid")})
	if err != nil {
		t.Fatal(err)
	}
	c.Wait()
	c.Stop(syscall.SIGTERM, time.Nanosecond) // must not panic nor signal a reused pid
	c.mu.Lock()
	armed := c.kill != nil
	c.mu.Unlock()
	if armed {
		t.Fatal("Stop armed a kill timer for a child already waited for")
	}
}

func TestDescribe(t *testing.T) {
	for _, c := range []struct {
		res  Result
		want string
	}{
		{Result{Exit: 3}, "exited with status 3"},
		{Result{Exit: 137, Signal: syscall.SIGKILL}, "was killed by signal 9 (killed)"},
		{Result{Exit: 127, Err: &StartError{Program: "nope", Exit: ExitNotFound}}, "could not start: nope: command not found"},
	} {
		if got := c.res.Describe(); got != c.want {
			t.Errorf("%+v: %q, want %q", c.res, got, c.want)
		}
	}
}
