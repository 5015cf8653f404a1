package jobserver

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// The test binary doubles as the child processes the tests need: with
// JOBSERVER_TEST_HELPER set it runs one helper mode and exits.
//
//	jobs   a jobserver client running HELPER_N jobs, each on a slot, logged
//	leak   takes a token and exits without giving it back
//	probe  prints what FromEnv makes of MAKEFLAGS: ok, none or unavailable
//	slot   a plain job: logs itself and waits for HELPER_BARRIER peers
//
// Logs are appended one line per write(2) with O_APPEND, so their order is
// the order the events happened in: "+ ID" after a slot is taken, "- ID"
// before it is given back.
func TestMain(m *testing.M) {
	if mode := os.Getenv("JOBSERVER_TEST_HELPER"); mode != "" {
		if err := runHelper(mode); err != nil {
			fmt.Fprintln(os.Stderr, "helper:", err)
			os.Exit(2)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// helperWait bounds every wait in a helper, so a broken jobserver fails a
// test instead of hanging it. It is only a bound on failure (the helpers
// wait for each other's start, which a loaded machine slows), so it is
// generous.
const helperWait = time.Minute

func runHelper(mode string) error {
	id := os.Getenv("HELPER_ID")
	barrier, _ := strconv.Atoi(os.Getenv("HELPER_BARRIER"))
	switch mode {
	case "probe":
		c, err := FromEnv(os.Getenv("MAKEFLAGS"))
		switch {
		case errors.Is(err, ErrUnavailable):
			fmt.Println("unavailable")
		case err != nil:
			return err
		case c == nil:
			fmt.Println("none")
		default:
			fmt.Println("ok")
			return c.Close()
		}
		return nil
	case "leak":
		c, err := clientFromEnv()
		if err != nil {
			return err
		}
		ctx, cancel := context.WithTimeout(context.Background(), helperWait)
		defer cancel()
		for range 2 { // the implicit slot, then one token
			if _, err := c.Acquire(ctx); err != nil {
				return err
			}
		}
		return nil // exits holding the token, as a killed process would
	case "slot":
		log, err := openLog()
		if err != nil {
			return err
		}
		defer log.Close()
		if err := logLine(log, "+ "+id); err != nil {
			return err
		}
		if err := waitForPlus(log.Name(), barrier); err != nil {
			return err
		}
		return logLine(log, "- "+id)
	case "jobs":
		c, err := clientFromEnv()
		if err != nil {
			return err
		}
		n, _ := strconv.Atoi(os.Getenv("HELPER_N"))
		err = runJobs(c, id, n, barrier)
		return errors.Join(err, c.Close())
	}
	return fmt.Errorf("unknown mode %q", mode)
}

func clientFromEnv() (*Client, error) {
	c, err := FromEnv(os.Getenv("MAKEFLAGS"))
	if err == nil && c == nil {
		err = errors.New("no jobserver in MAKEFLAGS " + strconv.Quote(os.Getenv("MAKEFLAGS")))
	}
	return c, err
}

// runJobs runs n jobs at once, each on a slot from c. A job holds its slot
// until barrier jobs have started, so the log shows barrier slots held at
// once whenever the jobserver grants that many.
func runJobs(c *Client, id string, n, barrier int) error {
	log, err := openLog()
	if err != nil {
		return err
	}
	defer log.Close()
	ctx, cancel := context.WithTimeout(context.Background(), helperWait)
	defer cancel()
	var (
		mu      sync.Mutex
		cond    = sync.NewCond(&mu)
		started int
		wg      sync.WaitGroup
		errs    = make([]error, n)
	)
	for i := range n {
		wg.Go(func() {
			t, err := c.Acquire(ctx)
			if err != nil {
				errs[i] = err
				return
			}
			defer func() { errs[i] = errors.Join(errs[i], c.Release(t)) }()
			if errs[i] = logLine(log, fmt.Sprintf("+ %s.%d %s", id, i, tokenByte(c, t))); errs[i] != nil {
				return
			}
			mu.Lock()
			started++
			cond.Broadcast()
			for started < barrier && ctx.Err() == nil {
				cond.Wait()
			}
			mu.Unlock()
			if ctx.Err() != nil {
				errs[i] = fmt.Errorf("barrier of %d never reached", barrier)
				return
			}
			errs[i] = logLine(log, fmt.Sprintf("- %s.%d", id, i))
		})
	}
	stop := context.AfterFunc(ctx, func() { mu.Lock(); cond.Broadcast(); mu.Unlock() })
	defer stop()
	wg.Wait()
	return errors.Join(errs...)
}

// tokenByte names the byte a token was read as, or "implicit".
func tokenByte(c *Client, t Token) string {
	if t.Implicit() {
		return "implicit"
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return strconv.Itoa(int(c.held[t.id]))
}

func openLog() (*os.File, error) {
	return os.OpenFile(os.Getenv("HELPER_LOG"), os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
}

func logLine(f *os.File, line string) error {
	_, err := f.WriteString(line + "\n")
	return err
}

// waitForPlus polls the log until it holds n "+" lines.
func waitForPlus(path string, n int) error {
	deadline := time.Now().Add(helperWait)
	for {
		lines, err := readLog(path)
		if err != nil {
			return err
		}
		plus := 0
		for _, l := range lines {
			if strings.HasPrefix(l, "+") {
				plus++
			}
		}
		if plus >= n {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("only %d of %d jobs started together", plus, n)
		}
		time.Sleep(time.Millisecond)
	}
}

func readLog(path string) ([]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var lines []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		lines = append(lines, sc.Text())
	}
	return lines, sc.Err()
}

// logStats is what a log shows: how many jobs ran, the most slots held at
// once, and the token bytes they were read as.
type logStats struct {
	jobs, max int
	bytes     map[string]int
}

func readStats(t *testing.T, path string) logStats {
	t.Helper()
	lines, err := readLog(path)
	if err != nil {
		t.Fatal(err)
	}
	s := logStats{bytes: map[string]int{}}
	open := map[string]bool{}
	for _, l := range lines {
		f := strings.Fields(l)
		switch f[0] {
		case "+":
			open[f[1]] = true
			s.jobs++
			s.max = max(s.max, len(open))
			if len(f) > 2 {
				s.bytes[f[2]]++
			}
		case "-":
			if !open[f[1]] {
				t.Fatalf("log: %s ends without starting", f[1])
			}
			delete(open, f[1])
		}
	}
	if len(open) > 0 {
		t.Fatalf("log: jobs never ended: %v", open)
	}
	return s
}

// helperCmd returns a command running the test binary in a helper mode.
func helperCmd(t *testing.T, ctx context.Context, mode string, env ...string) *exec.Cmd {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.CommandContext(ctx, exe)
	cmd.Env = append(cleanEnv(), "JOBSERVER_TEST_HELPER="+mode)
	cmd.Env = append(cmd.Env, env...)
	return cmd
}

// cleanEnv is the environment without any make the tests run under. A
// helper built with -race would sleep a second at exit for the race
// detector's sake; GORACE turns that off.
func cleanEnv() []string {
	gorace := "atexit_sleep_ms=0"
	var env []string
	for _, kv := range os.Environ() {
		name, val, _ := strings.Cut(kv, "=")
		switch name {
		case "MAKEFLAGS", "MFLAGS", "MAKELEVEL", "GNUMAKEFLAGS", "JOBSERVER_TEST_HELPER":
			continue
		case "GORACE":
			gorace = val + " " + gorace
			continue
		}
		env = append(env, kv)
	}
	return append(env, "GORACE="+gorace)
}
