package cmd

import (
	"fmt"
	"math/rand"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/parmap/parmap/internal/joblog"
)

// TestResumeAfterKills stops a 200-job run with a signal at random moments,
// resumes it each time with --resume-failed (a job interrupted by SIGINT is
// logged with its signal, which --resume would count as done), and checks that in the end every job
// completed, the job log has exactly one success per job, and no line of
// it is torn.
func TestResumeAfterKills(t *testing.T) {
	for _, sig := range []syscall.Signal{syscall.SIGKILL, syscall.SIGINT} {
		t.Run(sig.String(), func(t *testing.T) { resumeAfterKills(t, sig) })
	}
}

func resumeAfterKills(t *testing.T, sig syscall.Signal) {
	bin := parmapBinary(t)
	dir := t.TempDir()
	log := filepath.Join(dir, "run.log")
	done := filepath.Join(dir, "done")
	script := fmt.Sprintf("sleep 0.0$(( $1 %% 5 )); echo $1 >> %s", done)
	args := []string{"-j4", "--joblog", log, "sh", "-c", script, "sh", "{}", ":::"}
	for i := 1; i <= 200; i++ {
		args = append(args, strconv.Itoa(i))
	}
	rng := rand.New(rand.NewSource(time.Now().UnixNano()))
	kills := 0
	for run := 0; ; run++ {
		a := args
		if run > 0 {
			a = append([]string{"--resume-failed"}, args...)
		}
		c := exec.Command(bin, a...)
		if err := c.Start(); err != nil {
			t.Fatal(err)
		}
		finished := make(chan error, 1)
		go func() { finished <- c.Wait() }()
		var stop <-chan time.Time
		if kills < 20 {
			// Fault injection at a random moment, not a synchronisation.
			stop = time.After(time.Duration(rng.Intn(150)) * time.Millisecond)
		}
		select {
		case err := <-finished:
			if err != nil {
				t.Fatalf("run %d: %v", run, err)
			}
		case <-stop:
			c.Process.Signal(sig)
			kills++
			<-finished
			continue
		}
		break
	}

	// Every job completed; the log has one success per command, and every
	// line parses.
	b, err := os.ReadFile(done)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]int{}
	for _, l := range strings.Fields(string(b)) {
		seen[l]++
	}
	for i := 1; i <= 200; i++ {
		if seen[strconv.Itoa(i)] == 0 {
			t.Fatalf("job %d never completed", i)
		}
	}
	lb, err := os.ReadFile(log)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(string(lb), "\n"), "\n")
	if lines[0] != joblog.Header {
		t.Fatalf("header %q", lines[0])
	}
	ok := map[string]int{}
	for _, l := range lines[1:] {
		e, err := joblog.Parse(l)
		if err != nil {
			t.Fatalf("torn or bad job log line %q: %v", l, err)
		}
		if e.Exitval == 0 && e.Signal == 0 {
			ok[e.Command]++
		}
	}
	for cmd, n := range ok {
		if n != 1 {
			t.Fatalf("%q logged as succeeded %d times", cmd, n)
		}
	}
	if len(ok) != 200 {
		t.Fatalf("%d jobs logged as succeeded, want 200", len(ok))
	}
	dups := 0
	for _, n := range seen {
		dups += n - 1
	}
	t.Logf("%d interruptions by %v; %d jobs ran again after they had completed but before they were logged", kills, sig, dups)
}
