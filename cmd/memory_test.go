package cmd

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// Memory is measured on a real parmap binary built without the race
// detector, whose own overhead would drown what is measured.
var (
	buildOnce sync.Once
	builtPath string
	buildErr  error
)

func parmapBinary(t testing.TB) string {
	t.Helper()
	if testing.Short() {
		t.Skip("builds parmap; skipped with -short")
	}
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "parmap-bin-")
		if err != nil {
			buildErr = err
			return
		}
		builtPath = filepath.Join(dir, "parmap")
		out, err := exec.Command("go", "build", "-o", builtPath, "github.com/parmap/parmap").CombinedOutput()
		if err != nil {
			buildErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return builtPath
}

// vmRSS returns a process's resident set size in KiB.
func vmRSS(t testing.TB, pid int) int {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			n, _ := strconv.Atoi(strings.TrimSuffix(strings.TrimSpace(v), " kB"))
			return n
		}
	}
	t.Fatal("no VmRSS")
	return 0
}

// countingWriter feeds endless records and counts them.
type endless struct {
	mu   sync.Mutex
	n    int
	cond *sync.Cond
	rec  []byte
}

func (e *endless) feed(w io.WriteCloser) {
	defer w.Close()
	for {
		if _, err := w.Write(e.rec); err != nil {
			return
		}
		e.mu.Lock()
		e.n++
		e.cond.Broadcast()
		e.mu.Unlock()
	}
}

func (e *endless) waitFor(n int) {
	e.mu.Lock()
	for e.n < n {
		e.cond.Wait()
	}
	e.mu.Unlock()
}

// endlessRSS runs parmap with args on endless records of 1000 bytes (so the
// pipe's own buffer holds few of them and the count written follows the
// count parmap has read) and returns its RSS in KiB after n1 and after n2
// records.
func endlessRSS(t *testing.T, n1, n2 int, args ...string) (before, after int) {
	bin := parmapBinary(t)
	c := exec.Command(bin, args...)
	stdin, err := c.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
	defer c.Process.Kill()
	e := &endless{rec: append(bytes.Repeat([]byte("y"), 999), '\n')}
	e.cond = sync.NewCond(&e.mu)
	go e.feed(stdin)
	e.waitFor(n1)
	before = vmRSS(t, c.Process.Pid)
	e.waitFor(n2)
	after = vmRSS(t, c.Process.Pid)
	c.Process.Signal(syscall.SIGTERM)
	c.Wait()
	t.Logf("parmap %s: RSS after %d records %d KiB, after %d %d KiB", strings.Join(args, " "), n1, before, n2, after)
	return before, after
}

// TestEndlessInputKeepsFlatMemory: `yes | parmap -j2 true` runs in flat
// memory: records are taken only as fast as jobs finish.
func TestEndlessInputKeepsFlatMemory(t *testing.T) {
	before, after := endlessRSS(t, 1000, 5000, "-j2", "true")
	if after-before > 1024 {
		t.Fatalf("RSS grew from %d to %d KiB over 4000 records", before, after)
	}
	if after > 16*1024 {
		t.Fatalf("RSS %d KiB on endless input", after)
	}
}

// TestKeepOrderSpillsBehindSlowJob: with -k, 1,000 jobs of ~100 KB finish
// while job 1 still runs; their output waits in a bounded buffer that spills
// to a temporary file, and comes out byte-identical to a serial run.
func TestKeepOrderSpillsBehindSlowJob(t *testing.T) {
	bin := parmapBinary(t)
	tmp := t.TempDir()
	gate := filepath.Join(tmp, "gate")
	spill := filepath.Join(tmp, "spill")
	os.Mkdir(spill, 0o755)
	// Job 1 waits until job 1000 (the last, as job 1 holds the other slot)
	// has finished; every job prints seq N..N+15000 (about 100 KB).
	script := fmt.Sprintf(`if [ {} = 1 ]; then while [ ! -e %[1]s ]; do sleep 0.01; done; fi; seq {} $(({} + 15000)); if [ {} = 1000 ]; then touch %[1]s; fi`, gate)
	c := exec.Command(bin, "-j2", "-k", "--tmpdir", spill, script)
	var in bytes.Buffer
	var want bytes.Buffer
	for i := 1; i <= 1000; i++ {
		fmt.Fprintln(&in, i)
		for k := i; k <= i+15000; k++ {
			want.WriteString(strconv.Itoa(k))
			want.WriteByte('\n')
		}
	}
	out, maxRSS := runPeakRSS(t, c, &in)
	if !bytes.Equal(out.Bytes(), want.Bytes()) {
		t.Fatalf("output (%d bytes) differs from the serial run (%d bytes)", out.Len(), want.Len())
	}
	if maxRSS > 40*1024 {
		t.Fatalf("peak RSS %d KiB for %d bytes of waiting output", maxRSS, out.Len())
	}
	if entries, _ := os.ReadDir(spill); len(entries) != 0 {
		t.Fatalf("temporary files left: %v", entries)
	}
}

// runPeakRSS runs c with stdin to its end and returns its output and its
// peak RSS in KiB.
func runPeakRSS(t *testing.T, c *exec.Cmd, stdin io.Reader) (*bytes.Buffer, int) {
	t.Helper()
	c.Stdin = stdin
	var out bytes.Buffer
	c.Stdout = &out
	c.Stderr = os.Stderr
	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
	peak := watchPeakRSS(c.Process.Pid)
	// Read the peak before the process is reaped and its status is gone:
	// Wait reaps it, so the watcher samples until then.
	err := c.Wait()
	maxRSS := peak()
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("output %d bytes, peak RSS %d KiB", out.Len(), maxRSS)
	return &out, maxRSS
}

// watchPeakRSS follows a process's peak resident set size (VmHWM, in KiB)
// until it exits. (The rusage of wait4 cannot be used: a child started with
// vfork is charged its parent's peak, here the test's own.)
func watchPeakRSS(pid int) func() int {
	var mu sync.Mutex
	peak := 0
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			if hwm := procStatus(pid, "VmHWM:"); hwm > 0 {
				mu.Lock()
				peak = max(peak, hwm)
				mu.Unlock()
			}
			select {
			case <-stop:
				return
			case <-time.After(5 * time.Millisecond):
			}
		}
	}()
	return func() int {
		close(stop)
		<-done
		return peak
	}
}

// procStatus reads a "kB" field of /proc/PID/status; 0 when unreadable.
func procStatus(pid int, field string) int {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, field); ok {
			n, _ := strconv.Atoi(strings.TrimSuffix(strings.TrimSpace(v), " kB"))
			return n
		}
	}
	return 0
}

// TestReuseEndlessInputKeepsFlatMemory: endless records through --reuse
// workers (cat answers each at once) in input order: memory follows the
// records in flight, not the records read.
func TestReuseEndlessInputKeepsFlatMemory(t *testing.T) {
	before, after := endlessRSS(t, 20000, 200000, "-j2", "-k", "--reuse", "--window", "16", "cat")
	// 8 MiB: a leak of 45 bytes a record would pass it; the garbage
	// collector running late on a loaded machine grew it by 3.3 MiB.
	if after-before > 8192 {
		t.Fatalf("RSS grew from %d to %d KiB over 180,000 records", before, after)
	}
}

// TestPipeKeepsFlatMemory: --pipe on endless input holds only the blocks
// of the running jobs and the next one, not what it has read.
func TestPipeKeepsFlatMemory(t *testing.T) {
	before, after := endlessRSS(t, 20000, 200000, "-j2", "-k", "--pipe", "--block", "1M", "wc", "-l")
	// Blocks of 1 MiB: two running jobs, the next one, spare buffers, and
	// the garbage of a few more before the collector runs. Holding what it
	// read would add 180 MB.
	if after-before > 8*1024 || after > 32*1024 {
		t.Fatalf("RSS %d KiB after 20 MB, %d KiB after 200 MB", before, after)
	}
}

// TestPipeKeepOrderSpills: with --pipe -k, the outputs of blocks that end
// while block 1's job still runs wait in the same bounded buffer as jobs'
// outputs, spilling to disk, and come out in block order.
func TestPipeKeepOrderSpills(t *testing.T) {
	bin := parmapBinary(t)
	tmp := t.TempDir()
	gate := filepath.Join(tmp, "gate")
	spill := filepath.Join(tmp, "spill")
	os.Mkdir(spill, 0o755)
	// 400 blocks of one line each ("N"); block 1's job waits until block
	// 400's job has run; each job prints its block 15,000 times (~70 KB).
	script := fmt.Sprintf(`read n; if [ "$n" = 1 ]; then while [ ! -e %[1]s ]; do sleep 0.01; done; fi; yes "$n" | head -n 15000; if [ "$n" = 400 ]; then touch %[1]s; fi`, gate)
	c := exec.Command(bin, "-j2", "-k", "--pipe", "--block", "1", "--tmpdir", spill, script)
	var in, want bytes.Buffer
	for i := 1; i <= 400; i++ {
		fmt.Fprintln(&in, i)
		want.Write(bytes.Repeat([]byte(strconv.Itoa(i)+"\n"), 15000))
	}
	out, maxRSS := runPeakRSS(t, c, &in)
	if !bytes.Equal(out.Bytes(), want.Bytes()) {
		t.Fatalf("output (%d bytes) is not the blocks' outputs in order (%d bytes)", out.Len(), want.Len())
	}
	if maxRSS > 40*1024 {
		t.Fatalf("peak RSS %d KiB for %d bytes of waiting output", maxRSS, out.Len())
	}
}
