package cmd

import (
	"errors"
	"os"
	"path/filepath"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/parmap/parmap/internal/runs"
)

// defaultSemaphore is the run --semaphore queues into without --id.
const defaultSemaphore = "default"

// semaphoreTries bounds how often --semaphore starts over when the run
// changed under it (created, ended or removed by another sem).
const semaphoreTries = 20

// semaphore is GNU sem: it queues the command line of tail into the run
// --id names, a run without a command whose records are command lines;
// when there is none (or it has ended), it starts one in the background,
// with the options given, the command line its first record. With --wait
// (and no command) it waits for the run to end.
func semaphore(c *cli.Context, tail []string) error {
	id := c.String("id")
	if id == "" {
		id = defaultSemaphore
	}
	if !runs.ValidID(id) {
		return usagef("--id %q: %s", id, runs.IDRule)
	}
	parent, err := runsParent(c)
	if err != nil {
		return err
	}
	if c.IsSet("wait") {
		if len(tail) > 0 {
			return usagef("--semaphore --wait takes no command: %q is extra", tail[0])
		}
		r, err := runs.Open(parent, id)
		var unknown *runs.UnknownRunError
		if errors.As(err, &unknown) {
			return nil // nothing queued
		}
		if err != nil {
			return wordRunErr(err)
		}
		return waitRun(r)
	}
	if len(tail) == 0 {
		return usagef("--semaphore needs a command to queue")
	}
	line := tail[0]
	if len(tail) > 1 {
		quoted := make([]string, len(tail))
		for i, w := range tail {
			quoted[i] = shellQuote(w)
		}
		line = strings.Join(quoted, " ")
	}
	if strings.ContainsRune(line, '\n') {
		return usagef("--semaphore: a command line cannot hold a newline")
	}
	args := c.App.Metadata["args"].([]string)
	options := args[:len(args)-len(tail)]
	for try := 0; try < semaphoreTries; try++ {
		r, err := runs.Open(parent, id)
		var unknown *runs.UnknownRunError
		if errors.As(err, &unknown) {
			err = startSemaphore(parent, id, options, line)
			var inUse *runs.IDInUseError
			if errors.As(err, &inUse) {
				continue // another sem started it: add to it
			}
			return err
		}
		if err != nil {
			return wordRunErr(err)
		}
		st, err := r.Status()
		if err != nil {
			return wordRunErr(err)
		}
		switch st.State {
		case runs.Dead:
			return usagef("run %s is dead (its supervisor died): parmap --resume-run %s completes it; remove %s to start afresh", id, id, r.Dir)
		case runs.Done:
			// The run emptied and ended: a new one takes its name.
			removeDone(r, parent)
			continue
		}
		cl, err := dialRun(r, "take added records")
		if err != nil {
			continue // it ended meanwhile
		}
		err = cl.Add([][]byte{[]byte(line)})
		cl.Close()
		var remote *runs.RemoteError
		if errors.As(err, &remote) && remote.Code == "ended" {
			if werr := waitRun(r); werr != nil {
				var exit runExit
				if !errors.As(werr, &exit) {
					return werr
				}
			}
			continue
		}
		if err != nil {
			return wordRunErr(err)
		}
		return nil
	}
	return usagef("--semaphore: the run %s kept changing; try again", id)
}

// startSemaphore starts the run id of --semaphore: options (without a
// command) run in the background, line its first record.
func startSemaphore(parent, id string, options []string, line string) error {
	cwd, err := os.Getwd()
	if err != nil {
		return usagef("--semaphore: cannot tell the working directory: %v", err)
	}
	r, err := runs.Create(parent, id, runs.Meta{Command: options[1:], Dir: cwd})
	if err != nil {
		var inUse *runs.IDInUseError
		if errors.As(err, &inUse) {
			return err
		}
		return usagef("--semaphore: %s", wordCreateErr(err))
	}
	defer r.Close()
	if _, err := r.Spool(strings.NewReader(line + "\n")); err != nil {
		os.RemoveAll(r.Dir)
		return usagef("--semaphore: cannot write %s: %v", r.InputPath(), err)
	}
	if err := startSupervisor(r, options, cwd, false); err != nil {
		os.RemoveAll(r.Dir)
		return usagef("--semaphore: cannot start the run: %v", err)
	}
	return nil
}

// removeDone removes the done run r, unless another sem got there first:
// holding its lock (a new run at the same path holds its own), it moves
// the directory aside, then removes it.
func removeDone(r *runs.Run, parent string) {
	if r.Lock() != nil {
		return
	}
	defer r.Close()
	if st, err := r.Status(); err != nil || st.State != runs.Done {
		return
	}
	aside, err := os.MkdirTemp(parent, ".old-")
	if err != nil {
		return
	}
	if os.Rename(r.Dir, filepath.Join(aside, r.ID)) == nil {
		r.Close()
	}
	os.RemoveAll(aside)
}
