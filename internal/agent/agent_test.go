package agent

import (
	"bytes"
	"errors"
	"io"
	"os"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/parmap/parmap/channel"
	"github.com/parmap/parmap/exchange"
)

// lockedBuf is a writer safe for the client's reader goroutine and the test.
type lockedBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuf) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuf) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// pair serves an agent in this process over two os.Pipe pairs and dials
// it; closing the returned function's pipes cuts the connection.
func pair(t *testing.T, slots int) (*Client, chan error, func()) {
	t.Helper()
	toAgentR, toAgentW, _ := os.Pipe()
	fromAgentR, fromAgentW, _ := os.Pipe()
	served := make(chan error, 1)
	go func() {
		served <- Serve(toAgentR, fromAgentW, []string{"PATH=" + os.Getenv("PATH"), "BASE=1"})
		fromAgentW.Close()
	}()
	c, err := Dial(fromAgentR, toAgentW, Options{Node: "test", Slots: slots, Base: []string{"COORD=1"}})
	if err != nil {
		t.Fatal(err)
	}
	cut := func() { toAgentW.Close(); fromAgentR.Close() }
	t.Cleanup(cut)
	return c, served, cut
}

func run(t *testing.T, c *Client, argv ...string) (channel.Result, string, string) {
	t.Helper()
	var out, errb lockedBuf
	p, err := channel.Start(channel.Spec{Remote: c, Argv: argv, Env: []string{"COORD=1", "JOBVAR=x"}, Stdout: &out, Stderr: &errb})
	if err != nil {
		t.Fatal(err)
	}
	res := p.Wait()
	return res, out.String(), errb.String()
}

func TestAgentRunsJobs(t *testing.T) {
	c, served, _ := pair(t, 2)
	if c.Hello.Slots != 2 || c.Hello.Pid != os.Getpid() || c.Hello.Version != Version {
		t.Fatalf("hello %+v", c.Hello)
	}
	res, out, errs := run(t, c, "sh", "-c", `echo "out $BASE ${COORD:-none} $JOBVAR"; echo err >&2; exit 3`)
	if res.Exit != 3 || res.Err != nil || out != "out 1 none x\n" || errs != "err\n" {
		t.Fatalf("res %+v out %q err %q", res, out, errs)
	}
	res, _, _ = run(t, c, "sh", "-c", "head -c 20000000 /dev/zero | tr -d x > /dev/null")
	if res.Usage.User+res.Usage.Sys == 0 || res.Usage.MaxRSS < 1<<20 {
		t.Fatalf("usage: %+v", res.Usage)
	}
	res, _, _ = run(t, c, "sh", "-c", "kill -TERM $$")
	if res.Signal != syscall.SIGTERM || res.Exit != 128+15 {
		t.Fatalf("signal: %+v", res)
	}
	res, _, _ = run(t, c, "no-such-program-here")
	var se *channel.StartError
	if res.Exit != 127 || !errors.As(res.Err, &se) || se.Error() != "no-such-program-here: command not found" {
		t.Fatalf("not found: %+v", res)
	}
	// Big output comes through whole, in chunks.
	res, out, _ = run(t, c, "sh", "-c", "head -c 300000 /dev/zero | tr '\\0' a")
	if res.Exit != 0 || len(out) != 300000 || strings.Trim(out, "a") != "" {
		t.Fatalf("big output: %+v, %d bytes", res, len(out))
	}
	c.Close()
	if err := <-served; err != nil {
		t.Fatalf("Serve after bye: %v", err)
	}
}

func TestAgentStopsJob(t *testing.T) {
	c, _, _ := pair(t, 1)
	p, err := channel.Start(channel.Spec{Remote: c, Argv: []string{"sh", "-c", "echo up; exec sleep 60"}, Stdout: io.Discard})
	if err != nil {
		t.Fatal(err)
	}
	time.AfterFunc(100*time.Millisecond, func() { p.Stop(syscall.SIGTERM, time.Second) })
	res := p.Wait()
	if res.Signal != syscall.SIGTERM {
		t.Fatalf("stopped: %+v", res)
	}
}

func TestAgentLost(t *testing.T) {
	c, served, cut := pair(t, 1)
	var out lockedBuf
	p, err := channel.Start(channel.Spec{Remote: c, Argv: []string{"sh", "-c", "echo up; exec sleep 60"}, Stdout: &out})
	if err != nil {
		t.Fatal(err)
	}
	for !strings.Contains(out.String(), "up") {
		time.Sleep(5 * time.Millisecond) // polls an event: the job's first output
	}
	cut()
	res := p.Wait()
	if !IsLost(res.Err) || res.Exit != 255 {
		t.Fatalf("lost: %+v", res)
	}
	<-c.Lost()
	// The agent, its input gone, stops its job and ends.
	if err := <-served; err == nil {
		t.Fatal("Serve: no error after its coordinator went")
	}
	// A job sent after the loss fails the same way.
	res, _, _ = run(t, c, "true")
	if !IsLost(res.Err) {
		t.Fatalf("after loss: %+v", res)
	}
}

func TestMergeEnv(t *testing.T) {
	got := mergeEnv([]string{"A=1", "B=2"}, []string{"B=3", "C=4"})
	if strings.Join(got, " ") != "A=1 B=3 C=4" {
		t.Fatal(got)
	}
}

func TestAgentCancelsWaitingJobs(t *testing.T) {
	c, _, _ := pair(t, 1)
	var out lockedBuf
	running, err := channel.Start(channel.Spec{Remote: c, Argv: []string{"sh", "-c", "echo up; exec sleep 60"}, Stdout: &out})
	if err != nil {
		t.Fatal(err)
	}
	for !strings.Contains(out.String(), "up") {
		time.Sleep(5 * time.Millisecond) // polls an event: the job's first output
	}
	waiting, err := channel.Start(channel.Spec{Remote: c, Argv: []string{"sh", "-c", "echo must not run"}, Stdout: &out})
	if err != nil {
		t.Fatal(err)
	}
	c.Cancel()
	if res := waiting.Wait(); res.Err != exchange.ErrNotStarted {
		t.Fatalf("waiting job: %+v", res)
	}
	running.Stop(syscall.SIGTERM, time.Second)
	if res := running.Wait(); res.Signal != syscall.SIGTERM {
		t.Fatalf("running job: %+v", res)
	}
	if strings.Contains(out.String(), "must not") {
		t.Fatalf("the cancelled job ran: %q", out.String())
	}
}

func TestAgentTimesJobsOut(t *testing.T) {
	toAgentR, toAgentW, _ := os.Pipe()
	fromAgentR, fromAgentW, _ := os.Pipe()
	go Serve(toAgentR, fromAgentW, os.Environ())
	t.Cleanup(func() { toAgentW.Close(); fromAgentR.Close() })
	c, err := Dial(fromAgentR, toAgentW, Options{Slots: 1, SlotEnv: true, SlotBase: 4, Timeout: 200 * time.Millisecond, Grace: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	res, out, _ := run(t, c, "sh", "-c", "echo $PARMAP_SLOT $PARALLEL_JOBSLOT")
	if res.Exit != 0 || out != "5 5\n" {
		t.Fatalf("slot env: %+v %q", res, out)
	}
	res, _, _ = run(t, c, "sleep", "60")
	if !res.TimedOut || res.Signal != syscall.SIGTERM {
		t.Fatalf("timeout: %+v", res)
	}
}
