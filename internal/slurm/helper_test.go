package slurm_test

// The test binary is also the helper that the cluster tests run under
// salloc, srun and sbatch: with PARMAP_SLURM_HELPER=1 in its environment,
// TestMain runs one of these instead of the tests.
//
//	step DIR IDX MS ACTION   a job: markers in DIR, sleep MS, then ACTION
//	driver KIND DIR          inside salloc: run steps with Alloc.Argv, print JSON
//	shard DIR                inside an array task: write the task's job numbers

import (
	"bytes"
	"encoding/json"
	"errors"
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

	"github.com/parmap/parmap/internal/slurm"
)

const helperEnv = "PARMAP_SLURM_HELPER"

func TestMain(m *testing.M) {
	if os.Getenv(helperEnv) == "1" {
		os.Exit(helper(os.Args[1:]))
	}
	code := m.Run()
	// The cluster the tests shared stops with them.
	if err := closeCluster(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		code = 1
	}
	os.Exit(code)
}

func helper(args []string) int {
	var err error
	switch {
	case len(args) == 5 && args[0] == "step":
		err = step(args[1], args[2], args[3], args[4])
	case len(args) == 3 && args[0] == "driver":
		err = driver(args[1], args[2])
	case len(args) == 2 && args[0] == "shard":
		return shard(args[1])
	default:
		err = fmt.Errorf("bad helper arguments %q", args)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "helper:", err)
		return 99
	}
	return 0
}

// writeMarker writes a file whole: a poller never sees half of it.
func writeMarker(path, s string) error {
	if err := os.WriteFile(path+".tmp", []byte(s), 0o644); err != nil {
		return err
	}
	return os.Rename(path+".tmp", path)
}

// step is one job. It writes start.IDX ("unixnano pid"), "out IDX" to stdout
// and "err IDX" to stderr, sleeps MS, writes end.IDX, then:
// exit:N exits N, kill dies of SIGKILL, hang starts "sleep 300" as a child,
// writes pids.IDX ("pid childpid") and waits.
func step(dir, idx, ms, action string) error {
	if err := writeMarker(filepath.Join(dir, "start."+idx), fmt.Sprintf("%d %d", time.Now().UnixNano(), os.Getpid())); err != nil {
		return err
	}
	fmt.Println("out", idx)
	fmt.Fprintln(os.Stderr, "err", idx)
	d, _ := strconv.Atoi(ms)
	time.Sleep(time.Duration(d) * time.Millisecond)
	if err := writeMarker(filepath.Join(dir, "end."+idx), strconv.FormatInt(time.Now().UnixNano(), 10)); err != nil {
		return err
	}
	switch {
	case strings.HasPrefix(action, "exit:"):
		n, _ := strconv.Atoi(action[5:])
		os.Exit(n)
	case action == "kill":
		syscall.Kill(os.Getpid(), syscall.SIGKILL)
		time.Sleep(time.Minute)
	case action == "hang":
		child := exec.Command("sleep", "300")
		if err := child.Start(); err != nil {
			return err
		}
		if err := writeMarker(filepath.Join(dir, "pids."+idx), fmt.Sprintf("%d %d", os.Getpid(), child.Process.Pid)); err != nil {
			return err
		}
		child.Wait()
		// The step ends only by its stop: when Slurm kills the sleep
		// before this process, it must not exit on its own first.
		time.Sleep(time.Hour)
	}
	return fmt.Errorf("step %s: action %q ended", idx, action)
}

// Ran is what the driver saw of one srun.
type Ran struct {
	Exit      int    // srun's exit code; -1 if a signal killed srun
	Signaled  bool   // srun itself died of a signal
	Stdout    string // the step's stdout
	RawStderr string // srun's stderr as it came
	Stderr    string // the same through slurm.Filter
}

// Report is the driver's answer, printed as JSON.
type Report struct {
	JobID string
	Tasks int
	Runs  map[string][]Ran
	Took  map[string]time.Duration // per batch
	// term: the stop of a hanging step
	StepID                       string
	StopTook, GoneTook, ProcTook time.Duration
	// bench: 50 × true
	ArgvTook, LoopTook time.Duration
}

// runStep runs argv to its end (or until stop is closed, when it sends
// slurm.StopSignal to srun's process group) and records it.
func runStep(argv []string, stop <-chan struct{}) Ran {
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	var stdout, raw, filtered bytes.Buffer
	f := slurm.NewFilter(&filtered)
	cmd.Stdout = &stdout
	cmd.Stderr = io.MultiWriter(&raw, f)
	if err := cmd.Start(); err != nil {
		return Ran{Exit: -2, RawStderr: err.Error()}
	}
	done := make(chan struct{})
	var wg sync.WaitGroup
	if stop != nil {
		wg.Add(1)
		go func() {
			defer wg.Done()
			select {
			case <-stop:
				syscall.Kill(-cmd.Process.Pid, slurm.StopSignal)
			case <-done:
			}
		}()
	}
	cmd.Wait()
	close(done)
	wg.Wait()
	f.Flush()
	ws := cmd.ProcessState.Sys().(syscall.WaitStatus)
	return Ran{Exit: cmd.ProcessState.ExitCode(), Signaled: ws.Signaled(),
		Stdout: stdout.String(), RawStderr: raw.String(), Stderr: filtered.String()}
}

func withoutQuiet(argv []string) []string {
	var out []string
	for _, a := range argv {
		if a != "--quiet" {
			out = append(out, a)
		}
	}
	return out
}

func withoutMem(argv []string) []string {
	var out []string
	for _, a := range argv {
		if a != "--mem=0" {
			out = append(out, a)
		}
	}
	return out
}

// driver runs inside an allocation, as parmap --slurm would.
func driver(kind, dir string) error {
	a, err := slurm.FromEnv(os.Getenv)
	if err != nil {
		return err
	}
	exe, err := os.Executable()
	if err != nil {
		return err
	}
	rep := Report{JobID: a.JobID, Tasks: a.Tasks, Runs: map[string][]Ran{}, Took: map[string]time.Duration{}}
	// batch runs n steps at once, all started together, each built by
	// build from the step's own command.
	batch := func(name string, n int, ms string, action func(i int) string, build func([]string) []string) error {
		sub := filepath.Join(dir, name)
		if err := os.MkdirAll(sub, 0o755); err != nil {
			return err
		}
		runs := make([]Ran, n)
		t0 := time.Now()
		defer func() { rep.Took[name] = time.Since(t0) }()
		var wg sync.WaitGroup
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				runs[i] = runStep(build([]string{exe, "step", sub, strconv.Itoa(i), ms, action(i)}), nil)
			}()
		}
		wg.Wait()
		rep.Runs[name] = runs
		return nil
	}
	exits := func(i int) string {
		switch i {
		case 3:
			return "exit:3"
		case 7:
			return "kill"
		}
		return "exit:0"
	}
	switch kind {
	case "steps":
		// "noisy" leaves out --quiet to make srun print the chatter that
		// Filter must remove; "argv" is Argv as parmap uses it.
		if err := batch("noisy", 10, "300", exits, func(c []string) []string { return withoutQuiet(a.Argv(c)) }); err != nil {
			return err
		}
		if err := batch("argv", 10, "300", exits, a.Argv); err != nil {
			return err
		}
	case "mem":
		if err := batch("argv", 2, "500", func(int) string { return "exit:0" }, a.Argv); err != nil {
			return err
		}
		if err := batch("nomem", 2, "500", func(int) string { return "exit:0" }, func(c []string) []string { return withoutMem(a.Argv(c)) }); err != nil {
			return err
		}
	case "term":
		if err := term(a, exe, dir, &rep); err != nil {
			return err
		}
	case "bench":
		t0 := time.Now()
		jobs := make(chan int)
		var wg sync.WaitGroup
		var mu sync.Mutex
		var bad []Ran
		for range a.Tasks {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for range jobs {
					if r := runStep(a.Argv([]string{"true"}), nil); r.Exit != 0 || r.Stderr != "" {
						mu.Lock()
						bad = append(bad, r)
						mu.Unlock()
					}
				}
			}()
		}
		for i := range 50 {
			jobs <- i
		}
		close(jobs)
		wg.Wait()
		rep.ArgvTook = time.Since(t0)
		rep.Runs["bad"] = bad
		t0 = time.Now()
		if out, err := exec.Command("sh", "-c", "for i in $(seq 50); do srun -N1 -n1 true; done").CombinedOutput(); err != nil {
			return fmt.Errorf("srun loop: %v: %s", err, out)
		}
		rep.LoopTook = time.Since(t0)
	default:
		return fmt.Errorf("driver kind %q", kind)
	}
	return json.NewEncoder(os.Stdout).Encode(rep)
}

// term starts a step that hangs (with a child), stops it with StopSignal
// once it runs, and times how long until srun exits, the step is gone from
// Slurm and both processes are gone.
func term(a *slurm.Alloc, exe, dir string, rep *Report) error {
	stop := make(chan struct{})
	result := make(chan Ran, 1)
	go func() {
		result <- runStep(a.Argv([]string{exe, "step", dir, "0", "0", "hang"}), stop)
	}()
	deadline := time.Now().Add(30 * time.Second)
	var pids []int
	for {
		if b, err := os.ReadFile(filepath.Join(dir, "pids.0")); err == nil {
			for _, f := range strings.Fields(string(b)) {
				p, _ := strconv.Atoi(f)
				pids = append(pids, p)
			}
			break
		}
		if time.Now().After(deadline) {
			close(stop)
			return errors.New("the hanging step did not start in 30 s")
		}
		time.Sleep(20 * time.Millisecond)
	}
	steps := func() string {
		out, _ := exec.Command("squeue", "-h", "-s", "-j", a.JobID, "-o", "%i").Output()
		return strings.TrimSpace(string(out))
	}
	for rep.StepID = steps(); rep.StepID == ""; rep.StepID = steps() {
		if time.Now().After(deadline) {
			close(stop)
			return errors.New("squeue -s shows no step for the running job")
		}
		time.Sleep(20 * time.Millisecond)
	}
	t0 := time.Now()
	close(stop)
	var r Ran
	select {
	case r = <-result:
	case <-time.After(20 * time.Second):
		return errors.New("srun did not exit in 20 s after StopSignal")
	}
	rep.StopTook = time.Since(t0)
	rep.Runs["term"] = []Ran{r}
	deadline = time.Now().Add(15 * time.Second)
	for {
		out, err := exec.Command("scontrol", "show", "step", rep.StepID).CombinedOutput()
		if steps() == "" && (err != nil || strings.Contains(string(out), "not found")) {
			break
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("step %s still there 15 s after StopSignal: %s", rep.StepID, out)
		}
		time.Sleep(20 * time.Millisecond)
	}
	rep.GoneTook = time.Since(t0)
	for _, pid := range pids {
		for processAlive(pid) {
			if time.Now().After(deadline) {
				return fmt.Errorf("process %d of the step still runs 15 s after StopSignal", pid)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	rep.ProcTook = time.Since(t0)
	return nil
}

// processAlive: the process exists and is not a zombie (PID 1 here reaps
// orphans slowly).
func processAlive(pid int) bool {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return false
	}
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	return i < 0 || i+2 >= len(s) || (s[i+2] != 'Z' && s[i+2] != 'X')
}

// shard is one array task: it writes the job numbers 1..10 of its shard to
// DIR/task.ID ("k n" on the first line), or the error to DIR/err.ID and
// exits 2.
func shard(dir string) int {
	id := os.Getenv("SLURM_ARRAY_TASK_ID")
	a, err := slurm.FromEnv(os.Getenv)
	var k, n int
	if err == nil {
		k, n, err = a.ArrayShard()
	}
	if err != nil {
		writeMarker(filepath.Join(dir, "err."+id), err.Error())
		return 2
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%d %d\n", k, n)
	for seq := int64(1); seq <= 10; seq++ {
		if slurm.InShard(seq, k, n) {
			fmt.Fprintln(&b, seq)
		}
	}
	if err := writeMarker(filepath.Join(dir, "task."+id), b.String()); err != nil {
		return 3
	}
	return 0
}
