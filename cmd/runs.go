package cmd

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/parmap/parmap/internal/runs"
)

// runExit is what a background-run command (--wait) exits with,
// returned as an error so that the cli's Action can carry it out.
type runExit int

func (e runExit) Error() string { return "exit status " + strconv.Itoa(int(e)) }

// runCommands are the options that act on a background run instead of
// starting one, in the order they are tried.
var runCommands = []string{"runs", "status", "wait", "stop", "pause", "continue", "set-jobs", "add", "attach", "resume-run"}

// runsParent returns the parent directory of the runs: --run-dir, or
// runs.DefaultParent.
func runsParent(c *cli.Context) (string, error) {
	if d := c.String("run-dir"); d != "" {
		return d, nil
	}
	d, err := runs.DefaultParent()
	if err != nil {
		return "", usagef("cannot tell where runs are kept (%v); give --run-dir DIR", err)
	}
	return d, nil
}

// runCommand carries out the background-run command the options ask for;
// handled is false when they ask for none (a run to start).
func runCommand(c *cli.Context, tail []string, stdin io.Reader, stdout, stderr io.Writer) (handled bool, err error) {
	var op, id string
	for _, name := range runCommands {
		if c.IsSet(name) {
			if op != "" {
				return true, usagef("--%s and --%s cannot be given together; give one", op, name)
			}
			op = name
			if name != "runs" {
				id = c.String(name)
			}
		}
	}
	if c.Bool("semaphore") {
		if c.App.Metadata["supervising"] == true {
			return false, nil // the supervisor of a semaphore's run
		}
		if op != "" {
			if err := runCommandOptions(c, op); err != nil {
				return true, err
			}
		}
		return true, semaphore(c, tail)
	}
	if op == "" {
		if c.IsSet("now") {
			return true, usagef("--now goes with --stop ID")
		}
		return false, nil
	}
	if err := runCommandOptions(c, op); err != nil {
		return true, err
	}
	if op != "set-jobs" && op != "add" && op != "resume-run" && len(tail) > 0 {
		return true, usagef("--%s takes no command: %q is extra", op, tail[0])
	}
	parent, err := runsParent(c)
	if err != nil {
		return true, err
	}
	if op == "runs" {
		return true, listRuns(parent, stdout)
	}
	if id == "" {
		return true, usagef("--%s needs a run id", op)
	}
	r, err := runs.Open(parent, id)
	if err != nil {
		return true, wordRunErr(err)
	}
	switch op {
	case "status":
		return true, showStatus(r, c.Bool("json"), stdout)
	case "wait":
		return true, waitRun(r)
	case "stop":
		return true, controlRun(r, "stop", func(cl *runs.Client) error { return cl.Stop(c.Bool("now")) })
	case "pause":
		return true, controlRun(r, "pause", (*runs.Client).Pause)
	case "continue":
		return true, controlRun(r, "continue", (*runs.Client).Continue)
	case "set-jobs":
		if len(tail) != 1 {
			return true, usagef("--set-jobs %s needs one number of jobs, as --set-jobs ID N", id)
		}
		n, err := strconv.Atoi(tail[0])
		if err != nil || n < 1 {
			return true, usagef("--set-jobs %s %s: give a whole number of jobs, 1 or more", id, tail[0])
		}
		return true, controlRun(r, "set-jobs", func(cl *runs.Client) error { return cl.SetJobs(n) })
	case "add":
		if len(tail) == 0 {
			b, err := io.ReadAll(stdin)
			if err != nil {
				return true, usagef("--add: cannot read standard input: %v", err)
			}
			return true, controlRun(r, "take added records", func(cl *runs.Client) error { return cl.AddInput(b) })
		}
		recs := make([][]byte, len(tail))
		for i, w := range tail {
			recs[i] = []byte(w)
		}
		return true, controlRun(r, "take added records", func(cl *runs.Client) error { return cl.Add(recs) })
	case "attach":
		return true, attachRun(r, stdout, stderr)
	case "resume-run":
		return true, resumeRun(r, stdout)
	}
	return true, nil
}

// wordRunErr words an error of internal/runs for one line.
func wordRunErr(err error) error {
	var unknown *runs.UnknownRunError
	var bad *runs.BadIDError
	var foreign *runs.ForeignSocketError
	var remote *runs.RemoteError
	switch {
	case errors.As(err, &unknown):
		return usagef("no run %q in %s; parmap --runs lists the runs", unknown.ID, unknown.Parent)
	case errors.As(err, &bad):
		return usagef("%v", bad)
	case errors.As(err, &foreign):
		return usagef("%s: refusing to talk to it", foreign)
	case errors.As(err, &remote):
		return usagef("%s: %s", remote.Op, remote.Message)
	}
	return usagef("%v", err)
}

// notLive words why a run that is not live cannot do op.
func notLive(st runs.Status, op string) error {
	switch st.State {
	case runs.Done:
		return usagef("run %s is done (exit status %d): it cannot %s", st.ID, *st.Exit, op)
	case runs.Dead:
		return usagef("run %s is dead (its supervisor died): it cannot %s; parmap --resume-run %s completes it", st.ID, op, st.ID)
	}
	return usagef("run %s does not answer (state %s); try again", st.ID, st.State)
}

// startWait is how long a command waits for a run that is starting to
// listen on its control socket.
const startWait = 10 * time.Second

// dialRun connects to a live run's supervisor, waiting for one that is
// starting; a done or dead run is worded for op.
func dialRun(r *runs.Run, op string) (*runs.Client, error) {
	deadline := time.Now().Add(startWait)
	for {
		cl, err := runs.Dial(r.Dir)
		if err == nil {
			return cl, nil
		}
		var nl *runs.NotLiveError
		if !errors.As(err, &nl) {
			return nil, wordRunErr(err)
		}
		st, serr := r.Status()
		if serr != nil {
			return nil, wordRunErr(serr)
		}
		if st.State == runs.Done || st.State == runs.Dead || time.Now().After(deadline) {
			return nil, notLive(st, op)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// controlRun runs one op that answers at once on a live run.
func controlRun(r *runs.Run, op string, do func(*runs.Client) error) error {
	cl, err := dialRun(r, op)
	if err != nil {
		return err
	}
	defer cl.Close()
	if err := do(cl); err != nil {
		return wordRunErr(err)
	}
	return nil
}

// waitRun waits for the run to end and exits with its exit status.
func waitRun(r *runs.Run) error {
	for {
		st, err := r.Status()
		if err != nil {
			return wordRunErr(err)
		}
		switch st.State {
		case runs.Done:
			return runExit(*st.Exit)
		case runs.Dead:
			return notLive(st, "be waited for")
		}
		cl, err := dialRun(r, "be waited for")
		if err != nil {
			// It may have ended between the two looks.
			if st, serr := r.Status(); serr == nil && st.State == runs.Done {
				return runExit(*st.Exit)
			}
			return err
		}
		exit, err := cl.Wait(context.Background())
		cl.Close()
		if err == nil {
			return runExit(exit)
		}
		// The supervisor went away while we waited: it finished (and
		// closed its socket before answering) or died. Look again.
		if st, serr := r.Status(); serr == nil && st.State == runs.Starting {
			return wordRunErr(err)
		}
	}
}

// showStatus prints one run's status, as a line or as JSON.
func showStatus(r *runs.Run, asJSON bool, stdout io.Writer) error {
	st, err := r.CurrentStatus()
	if err != nil {
		return wordRunErr(err)
	}
	if asJSON {
		b, _ := json.Marshal(st)
		_, err = fmt.Fprintf(stdout, "%s\n", b)
		return err
	}
	tw := tabwriter.NewWriter(stdout, 0, 8, 2, ' ', 0)
	fmt.Fprintf(tw, "id:\t%s\n", st.ID)
	fmt.Fprintf(tw, "state:\t%s\n", stateWord(st))
	fmt.Fprintf(tw, "done:\t%d/%d\n", st.Done, st.Total)
	fmt.Fprintf(tw, "failed:\t%d\n", st.Failed)
	fmt.Fprintf(tw, "jobs:\t%d\n", st.Jobs)
	fmt.Fprintf(tw, "start:\t%s\n", st.Start.Format(time.DateTime))
	fmt.Fprintf(tw, "command:\t%s\n", strings.Join(st.Command, " "))
	return tw.Flush()
}

// stateWord is a run's state with, once done, its exit status.
func stateWord(st runs.Status) string {
	if st.State == runs.Done && st.Exit != nil {
		return fmt.Sprintf("done (exit %d)", *st.Exit)
	}
	return string(st.State)
}

// listRuns prints the table of --runs.
func listRuns(parent string, stdout io.Writer) error {
	list, err := runs.List(parent)
	if err != nil {
		return wordRunErr(err)
	}
	tw := tabwriter.NewWriter(stdout, 0, 8, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tSTATE\tDONE/TOTAL\tFAILED\tSTART\tCOMMAND")
	for _, st := range list {
		fmt.Fprintf(tw, "%s\t%s\t%d/%d\t%d\t%s\t%s\n", st.ID, stateWord(st), st.Done, st.Total, st.Failed,
			st.Start.Format(time.DateTime), strings.Join(st.Command, " "))
	}
	return tw.Flush()
}
