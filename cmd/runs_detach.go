package cmd

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/urfave/cli/v2"

	"github.com/parmap/parmap/internal/engine"
	"github.com/parmap/parmap/internal/joblog"
	"github.com/parmap/parmap/internal/runs"
)

// Environment markers of a supervisor: superviseEnv names the run's
// directory, superviseResumeEnv asks it to resume the run from its job log
// (--resume-run). The supervisor removes both from its environment, so no
// job sees them.
const (
	superviseEnv       = "PARMAP_SUPERVISE"
	superviseResumeEnv = "PARMAP_SUPERVISE_RESUME"
)

// lockFD is the descriptor the supervisor inherits the run's locked lock
// file on (the first of ExtraFiles).
const lockFD = 3

// readsStdin reports whether the run reads standard input.
func readsStdin(cfg *engine.Config) bool {
	for _, s := range cfg.Sources {
		if s.ReadsStdin() {
			return true
		}
	}
	return false
}

// detach creates the run, spools standard input into it when records come
// from there, starts its supervisor in a session of its own, prints the
// run's id and returns 0; the supervisor runs args again.
func detach(inv *invocation, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	say := func(format string, a ...any) int {
		fmt.Fprintf(stderr, "%s: %s\n", inv.prog, oneLine(fmt.Sprintf(format, a...)))
		return exitError
	}
	cwd, err := os.Getwd()
	if err != nil {
		return say("--detach: cannot tell the working directory: %v", err)
	}
	r, err := runs.Create(inv.runParent, inv.runID, runs.Meta{Command: args[1:], Dir: cwd})
	if err != nil {
		return say("--detach: %s", wordCreateErr(err))
	}
	defer r.Close()
	var src io.Reader = strings.NewReader("")
	if readsStdin(inv.cfg) {
		src = stdin
	}
	if _, err := r.Spool(src); err != nil {
		os.RemoveAll(r.Dir)
		return say("--detach: cannot copy standard input into %s: %v", r.InputPath(), err)
	}
	if err := startSupervisor(r, args, cwd, false); err != nil {
		os.RemoveAll(r.Dir)
		return say("--detach: cannot start the run: %v", err)
	}
	fmt.Fprintln(stdout, r.ID)
	return 0
}

// wordCreateErr words an error of runs.Create.
func wordCreateErr(err error) string {
	var inUse *runs.IDInUseError
	if errors.As(err, &inUse) {
		return fmt.Sprintf("run id %q is in use (%s); give another --id, or see parmap --status %s", inUse.ID, inUse.Dir, inUse.ID)
	}
	var parent *runs.ParentError
	if errors.As(err, &parent) {
		return fmt.Sprintf("%v; give a writable --run-dir DIR", parent)
	}
	return err.Error()
}

// startSupervisor starts this program again on args as the supervisor of
// the run r (whose lock this process holds), in a session of its own, in
// dir, its output going to the run's output file.
func startSupervisor(r *runs.Run, args []string, dir string, resume bool) error {
	out, err := os.OpenFile(r.OutputPath(), os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		return err
	}
	defer out.Close()
	null, err := os.Open(os.DevNull)
	if err != nil {
		return err
	}
	defer null.Close()
	// The supervisor runs in dir: the run's directory must be absolute.
	abs, err := filepath.Abs(r.Dir)
	if err != nil {
		return err
	}
	env := []string{superviseEnv + "=" + abs}
	if resume {
		env = append(env, superviseResumeEnv+"=1")
	}
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, superviseEnv+"=") && !strings.HasPrefix(kv, superviseResumeEnv+"=") {
			env = append(env, kv)
		}
	}
	proc, err := os.StartProcess("/proc/self/exe", args, &os.ProcAttr{
		Dir:   dir,
		Env:   env,
		Files: []*os.File{null, out, out, r.LockFile()},
		Sys:   &syscall.SysProcAttr{Setsid: true},
	})
	if err != nil {
		return err
	}
	return proc.Release()
}

// resumeRun completes a dead run: it takes the run's lock and starts a
// supervisor that resumes it from its job log.
func resumeRun(r *runs.Run, stdout io.Writer) error {
	if err := r.Lock(); err != nil {
		var locked *runs.LockedError
		if errors.As(err, &locked) {
			return usagef("run %s is live: its supervisor is running; nothing to resume", r.ID)
		}
		return wordRunErr(err)
	}
	defer r.Close()
	st, err := r.Status()
	if err != nil {
		return wordRunErr(err)
	}
	if st.State == runs.Done {
		return notLive(st, "be resumed")
	}
	if ok, err := r.Spooled(); err != nil || !ok {
		return usagef("run %s never had its whole input (its creator died while copying it): it cannot be resumed", r.ID)
	}
	m, err := r.Meta()
	if err != nil {
		return wordRunErr(err)
	}
	args := append([]string{os.Args[0]}, m.Command...)
	if err := startSupervisor(r, args, m.Dir, true); err != nil {
		return usagef("--resume-run %s: cannot start the run: %v", r.ID, err)
	}
	_, err = fmt.Fprintln(stdout, r.ID)
	return err
}

// background reads --detach, --id and --run-dir into inv.
func (inv *invocation) background(c *cli.Context) error {
	inv.detach = c.Bool("detach")
	if !inv.detach {
		if c.IsSet("id") && !c.Bool("semaphore") {
			return usagef("--id names a background run: give --detach too")
		}
		return nil
	}
	inv.runID = c.String("id")
	if inv.runID != "" && !runs.ValidID(inv.runID) {
		return usagef("--id %q: %s", inv.runID, runs.IDRule)
	}
	parent, err := runsParent(c)
	if err != nil {
		return err
	}
	inv.runParent = parent
	if inv.cfg.Joblog == joblog.Stdout {
		return usagef("--detach cannot write --joblog - (a detached run has no terminal); the run's directory keeps its job log")
	}
	return nil
}
