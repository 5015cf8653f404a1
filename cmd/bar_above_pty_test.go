//go:build linux

package cmd

import (
	"bytes"
	"context"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/parmap/parmap/internal/testbed/ttyscreen"
)

// ptyLog collects what parmap writes on a pseudo-terminal, as it comes, so
// that a test can wait for an event on it.
type ptyLog struct {
	mu   sync.Mutex
	cond *sync.Cond
	buf  bytes.Buffer
	eof  bool
}

// readPTY reads master to its end (EIO once no one holds the slave open).
func readPTY(master *os.File) *ptyLog {
	l := &ptyLog{}
	l.cond = sync.NewCond(&l.mu)
	go func() {
		b := make([]byte, 4096)
		for {
			n, err := master.Read(b)
			l.mu.Lock()
			l.buf.Write(b[:n])
			l.eof = err != nil
			l.cond.Broadcast()
			l.mu.Unlock()
			if err != nil {
				return
			}
		}
	}()
	return l
}

// waitFor waits until ok holds for what was read, or the terminal is
// closed; it reports whether ok held.
func (l *ptyLog) waitFor(ok func(string) bool) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	for !ok(l.buf.String()) {
		if l.eof {
			return false
		}
		l.cond.Wait()
	}
	return true
}

// all waits for the terminal to be closed and returns what was read.
func (l *ptyLog) all() string {
	l.waitFor(func(string) bool { return false })
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

// startOnPTY starts parmap with args, its stderr a terminal, and lets
// setup wire its other streams (the slave is given, to put on stdin or
// stdout too). The slave stays open in the test until the returned close
// is called, so the terminal stays open while the test writes to it.
func startOnPTY(t *testing.T, setup func(cmd *exec.Cmd, slave *os.File), args ...string) (cmd *exec.Cmd, log *ptyLog, master, slave *os.File) {
	t.Helper()
	master, slave = openPTY(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	cmd = parmapChild(t, ctx, args...)
	cmd.Stderr = slave
	if setup != nil {
		setup(cmd, slave)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	return cmd, readPTY(master), master, slave
}

var (
	barText = regexp.MustCompile(`jobs/s\) \[`)
	// aBar is one drawing of the bar, up to its end.
	aBar = regexp.MustCompile(`(\s*\d+% \|[^|]*\| )?\(\d+/\d+\+?, [\d.]+ jobs/s\) \[[^\]]*\] \d+ failed(, \d+ interrupted)?(, reading input)?`)
)

// staleBars counts the bars drawn and then left behind: a drawing of the
// bar followed by anything but a carriage return (which the clearing
// starts with), except the last one, which ends the run with a newline.
func staleBars(term string) int {
	term = strings.ReplaceAll(term, "\r\n", "\n") // the terminal's own
	draws := aBar.FindAllStringIndex(term, -1)
	stale := 0
	for i, d := range draws {
		next := term[d[1]:]
		last := i == len(draws)-1
		if !strings.HasPrefix(next, "\r") && !(last && strings.HasPrefix(next, "\n")) {
			stale++
		}
	}
	return stale
}

// Jobs' stderr, on the bar's terminal, is printed above the bar: no bar is
// left behind in the scrollback, every line is whole, the bar is last. So
// in every output mode: grouped, --line-buffer, and -u (whose jobs then
// write through a pipe rather than straight to the terminal).
func TestBarStderrAbove(t *testing.T) {
	for _, mode := range []string{"--group", "--line-buffer", "-u"} {
		t.Run(mode, func(t *testing.T) {
			args := append([]string{"--bar", mode, "-j4", "sh", "-c", "sleep 0.02; echo err $1 >&2", "sh", ":::"}, numbers(50)...)
			term, stdout, status := runOnPTY(t, args...)
			if status != 0 || stdout != "" {
				t.Fatalf("exit status %d, stdout %q", status, stdout)
			}
			lines := ttyscreen.Screen(term)
			var bars, errs int
			for _, l := range lines {
				switch {
				case barText.MatchString(l):
					bars++
				case regexp.MustCompile(`^err \d+$`).MatchString(l):
					errs++
				}
			}
			if bars != 1 || errs != 50 || !strings.Contains(lines[len(lines)-3], "(50/50,") {
				t.Errorf("%d bars and %d whole err lines on the screen, want 1 (the final, last but the totals line) and 50:\n%s", bars, errs, strings.Join(lines, "\n"))
			}
			if n := staleBars(term); n != 0 {
				t.Errorf("%d bars followed by other text without being cleared: %q", n, term)
			}
			if strings.Count(term, "\x1b[K") < 3 {
				t.Errorf("the bar was not drawn during the run (%q): the test proves nothing", term)
			}
		})
	}
}

// Standard output on the same terminal as the bar goes above it too.
func TestBarStdoutAbove(t *testing.T) {
	cmd, log, _, slave := startOnPTY(t, func(cmd *exec.Cmd, slave *os.File) { cmd.Stdout = slave },
		append([]string{"--bar", "-j4", "sh", "-c", "sleep 0.02; echo out $1", "sh", ":::"}, numbers(40)...)...)
	slave.Close()
	term := log.all()
	if err := cmd.Wait(); err != nil {
		t.Fatal(err)
	}
	var bars, outs int
	for _, l := range ttyscreen.Screen(term) {
		switch {
		case barText.MatchString(l):
			bars++
		case regexp.MustCompile(`^out \d+$`).MatchString(l):
			outs++
		}
	}
	if bars != 1 || outs != 40 {
		t.Errorf("%d bars and %d whole lines, want 1 and 40: %q", bars, outs, term)
	}
}

// The first bar drawn has the real total when the records can be counted
// first: ::: values, -a FILE, :::: FILE, stdin redirected from a file.
func TestBarKnownTotal(t *testing.T) {
	file := filepath.Join(t.TempDir(), "records")
	if err := os.WriteFile(file, []byte(strings.Join(numbers(200), "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	cmdline := []string{"-j4", "sh", "-c", "sleep 0.01", "sh"}
	for name, args := range map[string][]string{
		":::":     append(append(cmdline, ":::"), numbers(200)...),
		"-a":      append([]string{"-a", file}, cmdline...),
		"::::":    append(cmdline, "::::", file),
		"<file":   cmdline,
		"product": append(append(cmdline, ":::"), append(numbers(20), append([]string{":::"}, numbers(10)...)...)...),
	} {
		t.Run(name, func(t *testing.T) {
			cmd, log, _, slave := startOnPTY(t, func(cmd *exec.Cmd, _ *os.File) {
				if name == "<file" {
					f, err := os.Open(file)
					if err != nil {
						t.Fatal(err)
					}
					t.Cleanup(func() { f.Close() })
					cmd.Stdin = f
				}
			}, args...)
			slave.Close()
			term := log.all()
			if err := cmd.Wait(); err != nil {
				t.Fatal(err)
			}
			first := strings.Split(strings.TrimPrefix(term, "\r\x1b[K"), "\r")[0]
			if !regexp.MustCompile(`^ +\d+% \|.*\| \(\d+/200, `).MatchString(first) {
				t.Errorf("first bar %q, want N/200 and a percentage", first)
			}
		})
	}
}

// From a pipe the total is not known until the input ends: the bar shows
// what is done and the rate, and no percentage nor ETA before.
func TestBarPipeNoPercentage(t *testing.T) {
	rd, wr, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd, log, _, slave := startOnPTY(t, func(cmd *exec.Cmd, _ *os.File) { cmd.Stdin = rd }, "-j2", "true")
	slave.Close()
	rd.Close()
	wr.WriteString(strings.Join(numbers(20), "\n") + "\n")
	if !log.waitFor(func(s string) bool { return strings.Contains(s, "(20/20+,") }) {
		t.Fatalf("no bar with 20/20+ while the input is open: %q", log.all())
	}
	log.mu.Lock()
	before := log.buf.String()
	log.mu.Unlock()
	wr.Close()
	term := log.all()
	if err := cmd.Wait(); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(before, "%") || regexp.MustCompile(`\[\d+s:`).MatchString(before) {
		t.Errorf("a percentage or an ETA before the input ended: %q", before)
	}
	if !strings.Contains(term[len(before):], "100% |") || !strings.Contains(term[len(before):], "(20/20,") {
		t.Errorf("final bar %q, want 100%% and 20/20", term[len(before):])
	}
}

// Ctrl-C: the jobs it stops count as interrupted, not failed, and the
// terminal line is left clean (the "^C" the terminal echoes after the bar
// is erased with the bar's line before the last bar is drawn).
func TestBarInterrupted(t *testing.T) {
	cmd, log, _, slave := startOnPTY(t, nil, "-j2", "sh", "-c", "sleep 30", "sh", ":::", "1", "2", "3")
	if !log.waitFor(func(s string) bool { return strings.Contains(s, "(0/3,") }) {
		t.Fatalf("no bar: %q", log.all())
	}
	slave.WriteString("^C") // as the terminal echoes the key
	slave.Close()
	cmd.Process.Signal(syscall.SIGINT)
	term := log.all()
	cmd.Wait()
	if ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); !ok || ws.Signal() != syscall.SIGINT {
		t.Errorf("parmap ended with %v, want death by SIGINT", cmd.ProcessState)
	}
	lines := ttyscreen.Screen(term)
	if len(lines) != 2 || lines[1] != "" {
		t.Fatalf("screen %q, want the final bar on a line of its own", lines)
	}
	if !strings.HasSuffix(lines[0], "(2/3, 0.0 jobs/s) [0s] 0 failed, 2 interrupted") && !strings.HasSuffix(lines[0], " 0 failed, 2 interrupted") {
		t.Errorf("final bar %q, want 0 failed, 2 interrupted", lines[0])
	}
	if strings.Contains(lines[0], "^C") || strings.Contains(lines[0], "C") && !strings.Contains(lines[0], "jobs/s") {
		t.Errorf("final line %q keeps the echoed ^C", lines[0])
	}
}

// Records read from a terminal: one line says so, then they are read
// (GNU parallel warns "Input is read from the terminal").
func TestReadingFromTerminal(t *testing.T) {
	var stdout bytes.Buffer
	cmd, log, master, slave := startOnPTY(t, func(cmd *exec.Cmd, slave *os.File) {
		cmd.Stdin = slave
		cmd.Stdout = &stdout
	}, "echo")
	slave.Close()
	if !log.waitFor(func(s string) bool { return strings.Contains(s, "from the terminal") }) {
		t.Fatalf("no word of reading the terminal: %q", log.all())
	}
	master.WriteString("a\n\x04") // a record, then Ctrl-D: the end of input
	term := log.all()
	if err := cmd.Wait(); err != nil {
		t.Fatalf("parmap: %v; terminal %q", err, term)
	}
	if stdout.String() != "a\n" {
		t.Errorf("stdout %q, want the job's a", stdout.String())
	}
	want := "parmap: reading records from the terminal (standard input), one per line; end them with Ctrl-D, or give them with :::, -a FILE or a pipe\r\n"
	if strings.Count(term, want) != 1 || !strings.HasPrefix(term, want) {
		t.Errorf("terminal %q, want the line %q once, first", term, want)
	}
}

// Not when stdin is a pipe or a file.
func TestNotReadingFromTerminal(t *testing.T) {
	cmd, log, _, slave := startOnPTY(t, func(cmd *exec.Cmd, _ *os.File) {
		cmd.Stdin = strings.NewReader("a\n")
		cmd.Stdout = io.Discard
	}, "--no-bar", "echo")
	slave.Close()
	term := log.all()
	if err := cmd.Wait(); err != nil || term != "" {
		t.Errorf("parmap: %v; terminal %q, want nothing", err, term)
	}
}

// staleBars finds what the bar of issue 18 left: a bar drawn through by a
// job's stderr line.
func TestStaleBars(t *testing.T) {
	old := "err 1\r\n\r  30% |███ | (4/13, 24 jobs/s) [0s:0s] 0 failed, reading inputerr 6\r\nerr 5\r\n" +
		"\r  50% |████| (8/16, 25 jobs/s) [0s:0s] 0 failed\r\x1b[K 100% |████| (50/50, 32 jobs/s) [1s] 0 failed\r\n"
	if n := staleBars(old); n != 1 {
		t.Errorf("staleBars = %d, want 1", n)
	}
}
