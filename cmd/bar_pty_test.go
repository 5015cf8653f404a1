//go:build linux

package cmd

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// childEnv makes the test binary run parmap instead of the tests, with its
// arguments: the tests start parmap as a child process that way, as os/exec's
// tests do, so that its stderr can be a terminal.
const childEnv = "PARMAP_TEST_RUN_PARMAP"

func init() {
	if os.Getenv(childEnv) == "1" {
		os.Exit(Main())
	}
}

// parmapChild returns the command running parmap with args in a child
// process.
func parmapChild(t *testing.T, ctx context.Context, args ...string) *exec.Cmd {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.CommandContext(ctx, exe, args...)
	// A -race binary waits a second before it exits, unless told not to.
	cmd.Env = append(os.Environ(), childEnv+"=1", "GORACE="+os.Getenv("GORACE")+" atexit_sleep_ms=0")
	return cmd
}

// openPTY opens a pseudo-terminal: the master, which the test reads, and the
// slave, which parmap gets as its stderr.
func openPTY(t *testing.T) (master, slave *os.File) {
	t.Helper()
	fd, err := unix.Open("/dev/ptmx", unix.O_RDWR|unix.O_NOCTTY|unix.O_CLOEXEC, 0)
	if err != nil {
		t.Skipf("no pseudo-terminals here: %v", err)
	}
	master = os.NewFile(uintptr(fd), "/dev/ptmx")
	if err := unix.IoctlSetPointerInt(fd, unix.TIOCSPTLCK, 0); err != nil { // unlockpt
		master.Close()
		t.Fatalf("unlockpt: %v", err)
	}
	n, err := unix.IoctlGetInt(fd, unix.TIOCGPTN) // ptsname
	if err != nil {
		master.Close()
		t.Fatalf("ptsname: %v", err)
	}
	slave, err = os.OpenFile("/dev/pts/"+strconv.Itoa(n), os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		master.Close()
		t.Fatalf("open the pty's slave: %v", err)
	}
	ws := &unix.Winsize{Row: 24, Col: 100}
	if err := unix.IoctlSetWinsize(int(slave.Fd()), unix.TIOCSWINSZ, ws); err != nil {
		t.Fatalf("set the pty's size: %v", err)
	}
	t.Cleanup(func() { master.Close(); slave.Close() })
	return master, slave
}

// runOnPTY runs parmap with args, its stderr a terminal and its stdout a
// pipe, and returns what it wrote on each and its exit status.
func runOnPTY(t *testing.T, args ...string) (term, stdout string, status int) {
	t.Helper()
	master, slave := openPTY(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := parmapChild(t, ctx, args...)
	var out bytes.Buffer
	cmd.Stdout = &out
	cmd.Stderr = slave
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// Once parmap and its jobs are gone, no one holds the slave open and
	// reading the master ends (with EIO on Linux).
	slave.Close()
	read := make(chan []byte)
	go func() {
		b, _ := io.ReadAll(master)
		read <- b
	}()
	err := cmd.Wait()
	var exit *exec.ExitError
	if err != nil && !errors.As(err, &exit) {
		t.Fatalf("parmap %s: %v", strings.Join(args, " "), err)
	}
	select {
	case b := <-read:
		term = string(b)
	case <-ctx.Done():
		t.Fatalf("the terminal still open after parmap ended")
	}
	return term, out.String(), cmd.ProcessState.ExitCode()
}

// numbers returns "1" … "n".
func numbers(n int) []string {
	var s []string
	for i := 1; i <= n; i++ {
		s = append(s, strconv.Itoa(i))
	}
	return s
}

// With stderr a terminal and stdout not, the bar shows by itself.
func TestBarOnTerminal(t *testing.T) {
	// test 25 -lt N fails for the first 25 records.
	args := append([]string{"-j2", "test", "25", "-lt", ":::"}, numbers(50)...)
	term, stdout, status := runOnPTY(t, args...)
	if status != 25 {
		t.Errorf("exit status %d, want 25 (failed jobs)", status)
	}
	if stdout != "" {
		t.Errorf("stdout = %q, want nothing: the bar is on stderr", stdout)
	}
	body, ok := strings.CutSuffix(term, "\r\n") // the terminal turns \n into \r\n
	if !ok {
		t.Errorf("the bar is not ended by a newline: %q", term)
	}
	final := body[strings.LastIndex(body, "\r")+1:] // the bar is redrawn after a \r
	if !strings.Contains(final, "50/50") || !strings.Contains(final, "25 failed") {
		t.Errorf("the last bar %q lacks 50/50 and 25 failed; the terminal got:\n%q", final, term)
	}
}

func TestNoBarOnTerminal(t *testing.T) {
	args := append([]string{"--no-bar", "-j2", "true", ":::"}, numbers(50)...)
	term, _, status := runOnPTY(t, args...)
	if status != 0 || term != "" {
		t.Errorf("--no-bar: exit status %d and the terminal got %q, want 0 and nothing", status, term)
	}
}

// Stdout a terminal too: no bar unless asked for.
func TestNoBarWhenStdoutIsTerminal(t *testing.T) {
	master, slave := openPTY(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := parmapChild(t, ctx, "-j2", "true", ":::", "1", "2", "3")
	cmd.Stdout, cmd.Stderr = slave, slave
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	slave.Close()
	got, _ := io.ReadAll(master)
	if err := cmd.Wait(); err != nil || len(got) != 0 {
		t.Errorf("parmap: %v; the terminal got %q, want nothing", err, got)
	}
}

var statusLine = regexp.MustCompile(`^parmap: (\d+)/(\d+)\+? done( \(\d+%\))?, (\d+) failed, \d+\.\d jobs/s, elapsed \S+, ETA \S+$`)

// With stderr not a terminal, --bar prints plain status lines, each a line
// of its own, without carriage returns or escape codes.
func TestBarLines(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	// sh -c: the record is appended as $1, not as more seconds to sleep.
	args := append([]string{"--bar", "-j4", "sh", "-c", "sleep 0.05", "sh", ":::"}, numbers(20)...)
	cmd := parmapChild(t, ctx, args...)
	cmd.Env = append(cmd.Env, barIntervalEnv+"=10ms")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("parmap: %v\n%s", err, stderr.String())
	}
	out := stderr.String()
	if strings.ContainsAny(out, "\r\x1b") {
		t.Errorf("status lines with control characters: %q", out)
	}
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	// The last line says what the jobs used (--bar asked for it).
	if totals := lines[len(lines)-1]; !regexp.MustCompile(`^parmap: resources: CPU \d+\.\d\ds user, \d+\.\d\ds sys; peak memory [\d.]+[KM] \(job \d+\)$`).MatchString(totals) {
		t.Errorf("last line %q, want what the jobs used", totals)
	} else {
		lines = lines[:len(lines)-1]
	}
	if len(lines) < 2 {
		t.Errorf("%d status lines in a run of over 250ms printing every 10ms, want more:\n%s", len(lines), out)
	}
	done := -1
	for _, line := range lines {
		m := statusLine.FindStringSubmatch(line)
		if m == nil {
			t.Errorf("line %q is not a status line", line)
			continue
		}
		n, _ := strconv.Atoi(m[1])
		if n < done {
			t.Errorf("done went down: %d after %d", n, done)
		}
		done = n
	}
	// Until InputDone is called at the end of input, the total is marked
	// as still growing (20/20+).
	last := lines[len(lines)-1]
	if !regexp.MustCompile(`^parmap: 20/20\+? done \(100%\), 0 failed, `).MatchString(last) {
		t.Errorf("last line %q, want 20/20 done (100%%), 0 failed", last)
	}
	if stdout.Len() > 0 {
		t.Errorf("stdout = %q, want nothing", stdout.String())
	}
}
