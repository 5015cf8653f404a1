package reuse

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	ossignal "os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/parmap/parmap/channel"
	"github.com/parmap/parmap/exchange"
)

// The test binary is also the worker process of the stress test: with
// $REUSE_TEST_WORKER set, TestMain runs testWorker instead of the tests.
const (
	workerEnv    = "REUSE_TEST_WORKER"      // line, json or jsonstream (streamWorker)
	pidsEnv      = "REUSE_TEST_PIDS"        // a directory: each worker creates a file named by its pid
	exitEnv      = "REUSE_TEST_EXIT"        // the status a worker exits with at end of input
	dieAtOnceEnv = "REUSE_TEST_DIE_AT_ONCE" // exit at once with this status
)

func TestMain(m *testing.M) {
	switch os.Getenv(workerEnv) {
	case "":
	case "jsonstream":
		os.Exit(streamWorker())
	default:
		os.Exit(testWorker())
	}
	os.Exit(m.Run())
}

// testWorker answers each record "r" with "=r" (line protocol, or JSON
// requests answered in reverse order within each batch read), flushing
// when it has read all there is. Some records make it misbehave:
//
//	die:N     exit with status N without answering
//	kill      SIGKILL itself
//	once:X    exit with status 3 the first time any worker reads it
//	hang      never answer (SIGTERM ends it)
//	stubborn  never answer, and ignore SIGTERM
//	slow:MS   answer after MS milliseconds
//	twice     answer twice, in one write
func testWorker() int {
	dir := os.Getenv(pidsEnv)
	if dir != "" {
		os.WriteFile(filepath.Join(dir, strconv.Itoa(os.Getpid())), nil, 0o644)
	}
	if s := os.Getenv(dieAtOnceEnv); s != "" {
		n, _ := strconv.Atoi(s)
		return n
	}
	exit, _ := strconv.Atoi(os.Getenv(exitEnv))
	jsonMode := os.Getenv(workerEnv) == "json"
	in := bufio.NewReaderSize(os.Stdin, 64<<10)
	out := bufio.NewWriterSize(os.Stdout, 64<<10)
	var held [][]byte // JSON answers not yet written
	answer := func(seq int64, s string) {
		if !jsonMode {
			out.WriteString(s + "\n")
			return
		}
		b, _ := json.Marshal(map[string]any{"seq": seq, "output": s})
		held = append(held, append(b, '\n'))
	}
	flush := func() {
		for i := len(held) - 1; i >= 0; i-- {
			out.Write(held[i])
		}
		held = held[:0]
		out.Flush()
	}
	for {
		line, err := in.ReadString('\n')
		if err != nil {
			flush()
			return exit
		}
		line = line[:len(line)-1]
		var req struct {
			Seq   int64
			Input string
		}
		req.Input = line
		if jsonMode && json.Unmarshal([]byte(line), &req) != nil {
			fmt.Fprintf(os.Stderr, "bad request %q\n", line)
			return 2
		}
		r := req.Input
		switch {
		case strings.HasPrefix(r, "die:"):
			out.Flush()
			n, _ := strconv.Atoi(r[4:])
			return n
		case r == "kill":
			out.Flush()
			syscall.Kill(os.Getpid(), syscall.SIGKILL)
		case strings.HasPrefix(r, "once:"):
			f, err := os.OpenFile(filepath.Join(dir, "once."+r[5:]), os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o644)
			if err == nil {
				f.Close()
				out.Flush()
				return 3
			}
		case r == "hang":
			flush()
			time.Sleep(time.Hour)
		case r == "stubborn":
			ossignal.Ignore(syscall.SIGTERM)
			flush()
			time.Sleep(time.Hour)
		case strings.HasPrefix(r, "slow:"):
			ms, _ := strconv.Atoi(r[5:])
			time.Sleep(time.Duration(ms) * time.Millisecond)
		case r == "twice":
			answer(req.Seq, "="+r)
		}
		answer(req.Seq, "="+r)
		if in.Buffered() == 0 {
			flush()
		}
	}
}

// feedMode is how a stress run's records reach the pool.
type feedMode int

const (
	feedAll     feedMode = iota // put them all, then close the input
	feedDrained                 // close the input only once every record was delivered
	feedNone                    // put nothing; close the input once the run is over
)

// stressCase is one short run of the stress test.
type stressCase struct {
	name string
	opt  Options
	// records are the inputs, numbered from 1.
	records []string
	feed    feedMode
	env     []string // more environment for the workers
	// cancelAt cancels the run's context at that many deliveries (-1: at
	// once).
	cancelAt int
	// complete: every record is delivered. Otherwise each is at most once.
	complete bool
	// fail says whether a delivered record must fail (true), must succeed
	// (false), or may do either (absent).
	fail map[string]bool
	// check looks at the outcome further.
	check func(t *testing.T, r *stressResult)
}

// stressResult is what a stress run came to.
type stressResult struct {
	sum     Summary
	answers map[int64]Answer // copied: Output is only lent
	notices []Notice
	pids    []int // worker processes started
}

// plain returns the records "1".."n" with the given ones put at positions
// (1-based) in between.
func plain(n int, at map[int]string) []string {
	var rs []string
	for i := 1; i <= n; i++ {
		if s, ok := at[i]; ok {
			rs = append(rs, s)
		}
		rs = append(rs, strconv.Itoa(i))
	}
	return rs
}

func failing(rs ...string) map[string]bool {
	m := make(map[string]bool)
	for _, r := range rs {
		m[r] = true
	}
	return m
}

// TestStressEndOfRun runs many short pools through the end of a run in its
// different forms (the input ends with records in flight or with none, a
// worker dies mid-record, retries are queued as the input ends, a halt, a
// cancel, a timeout, giving up) with small and large windows. Each checks
// that every record is delivered at most once (exactly once when the run is
// not stopped), with its own answer; that Run returns; and that no
// goroutine and no worker process is left.
func TestStressEndOfRun(t *testing.T) {
	exe, err := os.Executable()
	if err != nil {
		t.Skip(err)
	}
	anyErr := func(t *testing.T, r *stressResult) {
		t.Helper()
		for _, a := range r.answers {
			var lost *LostError
			var timeout *TimeoutError
			var proto *ProtocolError
			if a.Err != nil && !errors.As(a.Err, &lost) && !errors.As(a.Err, &timeout) && !errors.As(a.Err, &proto) {
				t.Errorf("record %d failed with %T %v", a.Req.Seq, a.Err, a.Err)
			}
		}
	}
	noWorker := func(t *testing.T, r *stressResult) {
		if len(r.pids) != 0 {
			t.Errorf("%d workers started for no record", len(r.pids))
		}
	}
	cases := []stressCase{
		{name: "lockstep", opt: Options{Workers: 2}, records: plain(300, nil), complete: true},
		{name: "window", opt: Options{Workers: 3, Window: 8}, records: plain(3000, nil), complete: true},
		{name: "large-window", opt: Options{Workers: 2, Window: 1000}, records: plain(5000, nil), complete: true},
		{name: "json-window", opt: Options{Workers: 2, Window: 16, Protocol: JSON}, records: plain(2000, nil), complete: true},
		{name: "more-workers-than-records", opt: Options{Workers: 4, Window: 3}, records: plain(2, nil), complete: true},
		{name: "empty", opt: Options{Workers: 2}, complete: true, check: noWorker},
		{name: "empty-window", opt: Options{Workers: 2, Window: 64}, complete: true, check: noWorker},
		{
			name: "cancel-before-first", opt: Options{Workers: 2}, feed: feedNone, cancelAt: -1,
			check: func(t *testing.T, r *stressResult) {
				noWorker(t, r)
				if !r.sum.Canceled {
					t.Errorf("summary %+v, want canceled", r.sum)
				}
			},
		},
		{
			// Lock-step: exactly the record that kills its worker fails.
			name: "deaths-lockstep", opt: Options{Workers: 2}, complete: true,
			records: plain(200, map[int]string{20: "die:3", 90: "kill", 150: "die:4"}),
			fail:    failing("die:3", "kill", "die:4"), check: anyErr,
		},
		{
			// A window: the records in flight with it may fail too.
			name: "deaths-window", opt: Options{Workers: 3, Window: 4}, complete: true,
			records: plain(600, map[int]string{50: "die:3", 300: "kill", 590: "die:5"}),
			fail:    failing("die:3", "kill", "die:5"), check: anyErr,
		},
		{
			// Each once: record kills one worker; with as many retries
			// as there are, every record is answered in the end.
			name: "retries-lockstep", opt: Options{Workers: 2, Retries: 3}, complete: true,
			records: plain(300, map[int]string{1: "once:a", 150: "once:b", 300: "once:c"}),
			check: func(t *testing.T, r *stressResult) {
				if r.sum.Failed != 0 {
					t.Errorf("%d records failed", r.sum.Failed)
				}
			},
		},
		{
			name: "retries-window", opt: Options{Workers: 2, Window: 16, Retries: 3}, complete: true,
			records: plain(1000, map[int]string{3: "once:a", 500: "once:b", 999: "once:c"}),
			check: func(t *testing.T, r *stressResult) {
				if r.sum.Failed != 0 {
					t.Errorf("%d records failed", r.sum.Failed)
				}
			},
		},
		{
			// The last records die and are retried after the input
			// ended: the run must wait for them.
			name: "retries-at-the-end", opt: Options{Workers: 2, Window: 4, Retries: 2}, complete: true,
			records: append(plain(100, nil), "once:y", "once:z"),
			check: func(t *testing.T, r *stressResult) {
				if r.sum.Failed != 0 {
					t.Errorf("%d records failed", r.sum.Failed)
				}
			},
		},
		{
			// The input ends while the last records are in flight.
			name: "ends-in-flight", opt: Options{Workers: 2, Window: 4}, complete: true,
			records: append(plain(100, nil), "slow:30", "slow:40"),
		},
		{
			// The input ends with nothing in flight, the workers waiting
			// for records.
			name: "ends-idle", opt: Options{Workers: 2}, complete: true,
			records: plain(100, nil), feed: feedDrained,
		},
		{
			name: "ends-idle-window", opt: Options{Workers: 2, Window: 32}, complete: true,
			records: plain(500, nil), feed: feedDrained,
		},
		{
			// Every worker is recycled after 40 records, and exits with
			// status 7: one notice per worker.
			name: "max-records", opt: Options{Workers: 2, Window: 4, MaxRecords: 40}, complete: true,
			records: plain(400, nil), env: []string{exitEnv + "=7"},
			check: func(t *testing.T, r *stressResult) {
				if len(r.notices) != len(r.pids) {
					t.Errorf("%d notices for %d workers", len(r.notices), len(r.pids))
				}
				for _, n := range r.notices {
					if n.Kind != WorkerExited || n.Result.Exit != 7 {
						t.Errorf("notice %+v, want an exit with status 7", n)
					}
				}
			},
		},
		{
			// An answer with no record in flight kills the worker; no
			// record reports it, a notice does.
			name: "extra-answer", opt: Options{Workers: 1}, complete: true,
			records: []string{"a", "twice", "b", "c"},
			check: func(t *testing.T, r *stressResult) {
				var pe *ProtocolError
				if len(r.notices) != 1 || r.notices[0].Kind != WorkerKilled || !errors.As(r.notices[0].Reason, &pe) || pe.Fault != ExtraAnswer {
					t.Errorf("notices %+v, want one for an extra answer", r.notices)
				}
			},
		},
		{
			// Two workers stay silent: both are killed by the timeout,
			// the one that ignores SIGTERM after the grace.
			name: "timeout", complete: true,
			opt:     Options{Workers: 2, Timeout: time.Second, Exchange: exchange.Options{KillAfter: 100 * time.Millisecond}},
			records: plain(60, map[int]string{10: "stubborn", 30: "hang"}),
			fail:    failing("stubborn", "hang"),
			check: func(t *testing.T, r *stressResult) {
				for _, a := range r.answers {
					var te *TimeoutError
					if a.Err != nil && !errors.As(a.Err, &te) {
						t.Errorf("record %q failed with %v, want a timeout", a.Req.Input, a.Err)
					}
				}
			},
		},
		{
			// A failure halts the run at once; the worker busy with a
			// record that never ends is stopped.
			name: "halt-now", opt: Options{Workers: 2, Halt: exchange.Halt{When: exchange.HaltNow, On: exchange.HaltOnFail, Count: 1}},
			records: plain(300, map[int]string{1: "hang", 100: "die:1"}),
			fail:    failing("die:1"),
			check: func(t *testing.T, r *stressResult) {
				if !r.sum.Halted || r.sum.HaltExit != 1 {
					t.Errorf("summary %+v, want a halt with exit 1", r.sum)
				}
			},
		},
		{
			name: "halt-soon-window", opt: Options{Workers: 2, Window: 8, Halt: exchange.Halt{When: exchange.HaltSoon, On: exchange.HaltOnSuccess, Count: 100}},
			records: plain(3000, nil),
			check: func(t *testing.T, r *stressResult) {
				if !r.sum.Halted || r.sum.Done < 100 {
					t.Errorf("summary %+v, want a halt after 100 records", r.sum)
				}
			},
		},
		{
			name: "cancel-window", opt: Options{Workers: 2, Window: 4}, cancelAt: 200,
			records: plain(3000, map[int]string{1: "hang"}),
			check: func(t *testing.T, r *stressResult) {
				if !r.sum.Canceled || r.sum.Done < 200 {
					t.Errorf("summary %+v, want a cancel after 200 records", r.sum)
				}
			},
		},
		{
			name: "cancel-lockstep", opt: Options{Workers: 2}, cancelAt: 50,
			records: plain(3000, nil),
			check: func(t *testing.T, r *stressResult) {
				if !r.sum.Canceled {
					t.Errorf("summary %+v, want canceled", r.sum)
				}
			},
		},
		{
			// Workers that die at once: the pool gives up after
			// startLimit of them.
			name: "dying", opt: Options{Workers: 2}, env: []string{dieAtOnceEnv + "=3"},
			records: plain(50, nil),
			check: func(t *testing.T, r *stressResult) {
				var de *DyingError
				if !errors.As(r.sum.Err, &de) || de.Count != 5 || de.Last.Exit != 3 {
					t.Errorf("summary error %v, want 5 deaths, the last with status 3", r.sum.Err)
				}
			},
		},
		{
			name: "start-error", records: plain(20, nil),
			opt: Options{Workers: 2, Command: func(int) (channel.Spec, error) {
				return channel.Spec{Path: "/no/such/worker", Argv: []string{"worker"}}, nil
			}},
			check: func(t *testing.T, r *stressResult) {
				var se *StartError
				var ce *channel.StartError
				if !errors.As(r.sum.Err, &se) || !errors.As(r.sum.Err, &ce) || ce.Exit != channel.ExitNotFound {
					t.Errorf("summary error %v, want a start error", r.sum.Err)
				}
			},
		},
	}
	// Short runs, so each case runs a few times; the timeout is the slow
	// one. After a failure the goroutines and processes of that run may
	// still be there, so the test stops.
	for _, c := range cases {
		rounds := 3
		if c.opt.Timeout > 0 {
			rounds = 1
		}
		for i := range rounds {
			ok := t.Run(fmt.Sprintf("%s/%d", c.name, i), func(t *testing.T) {
				r := runStress(t, exe, c)
				checkStress(t, c, r)
				t.Logf("summary %+v; %d answers, %d workers, %d notices", r.sum, len(r.answers), len(r.pids), len(r.notices))
			})
			if !ok {
				return
			}
		}
	}
}
