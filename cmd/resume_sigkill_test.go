package cmd

import (
	"bytes"
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

// TestResumeAfterSigkill runs a job set under --joblog, SIGKILLs parmap at
// a random moment, and completes the set with --resume, 20 times. Each job
// does its work (up to 0.26s) in a subshell, a grandchild that Pdeathsig
// does not reach, and logs "start RUN N" and "end RUN N" lines to one file. It asserts that no process of the killed run wrote anything
// once the resumed run had begun (no job ran beside a survivor), that
// nothing of either run is left alive, that every job completed, and that
// the job log has one success per job; and it reports how many jobs ran
// twice (completed, then killed with parmap before their line was logged).
func TestResumeAfterSigkill(t *testing.T) {
	bin := parmapBinary(t)
	const jobs, trials = 12, 20
	rng := rand.New(rand.NewSource(time.Now().UnixNano()))
	token := strconv.FormatInt(time.Now().UnixNano(), 36)
	t.Cleanup(func() { killMarked(token) })
	twice, killedEarly := 0, 0
	for trial := 0; trial < trials; trial++ {
		dir := t.TempDir()
		if err := syscall.Mkfifo(filepath.Join(dir, "fifo"), 0o600); err != nil {
			t.Fatal(err)
		}
		// Each job first waits 50ms without starting a process (bash's
		// read times out on a FIFO no one writes): a process a job starts
		// before parmap has told the guard its group escapes the guard if
		// parmap dies in that instant (see internal/guard), and on a
		// loaded machine that instant can last milliseconds.
		args := []string{"-j4", "--joblog", "jl", "bash", "-c",
			`read -t 0.05 <> fifo; echo "start $RUN $1" >> events; (sleep 0.$(( $1 % 3 ))$(( $1 % 7 )); echo "end $RUN $1" >> events; echo $1 >> done)`,
			"bash", "{}", ":::"}
		for i := 1; i <= jobs; i++ {
			args = append(args, strconv.Itoa(i))
		}
		run := func(n int, a []string) *exec.Cmd {
			c := exec.Command(bin, a...)
			c.Dir = dir
			c.Env = append(os.Environ(), "PARMAP_KILL_TEST="+token, "RUN="+strconv.Itoa(n))
			return c
		}
		first := run(1, args)
		if err := first.Start(); err != nil {
			t.Fatal(err)
		}
		// Fault injection at a random moment, not a synchronisation.
		time.Sleep(time.Duration(10+rng.Intn(400)) * time.Millisecond)
		first.Process.Signal(syscall.SIGKILL)
		if err := first.Wait(); err == nil {
			killedEarly++ // it had finished: nothing to resume
		}
		var stderr bytes.Buffer
		second := run(2, append([]string{"--resume"}, args...))
		second.Stderr = &stderr
		if err := second.Run(); err != nil {
			t.Fatalf("trial %d: resume: %v: %s", trial, err, stderr.String())
		}
		if pids := marked(token); len(pids) > 0 {
			t.Fatalf("trial %d: alive after the resumed run: %s", trial, describePids(pids))
		}

		events := readLines(t, filepath.Join(dir, "events"))
		resumed := -1
		for i, e := range events {
			if strings.Fields(e)[1] == "2" && resumed < 0 {
				resumed = i
			}
			if resumed >= 0 && strings.Fields(e)[1] == "1" {
				t.Fatalf("trial %d: %q of the killed run came after %q of the resumed one: a job ran beside a survivor", trial, e, events[resumed])
			}
		}
		completed := map[string]int{}
		for _, l := range readLines(t, filepath.Join(dir, "done")) {
			completed[l]++
		}
		for i := 1; i <= jobs; i++ {
			n := completed[strconv.Itoa(i)]
			if n == 0 {
				t.Fatalf("trial %d: job %d never completed", trial, i)
			}
			twice += n - 1
		}
		ok := map[string]int{}
		log := readLines(t, filepath.Join(dir, "jl"))
		for _, l := range log[1:] {
			e, err := joblog.Parse(l)
			if err != nil {
				t.Fatalf("trial %d: bad job log line %q: %v", trial, l, err)
			}
			if e.Exitval == 0 && e.Signal == 0 {
				ok[e.Command]++
			}
		}
		for cmd, n := range ok {
			if n != 1 {
				t.Fatalf("trial %d: %q logged as succeeded %d times", trial, cmd, n)
			}
		}
		if len(ok) != jobs {
			t.Fatalf("trial %d: %d jobs logged as succeeded, want %d", trial, len(ok), jobs)
		}
	}
	t.Logf("%d SIGKILLs (%d came after the run had ended): %d jobs ran twice (completed, not yet logged)", trials, killedEarly, twice)
}

func readLines(t *testing.T, path string) []string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
}
