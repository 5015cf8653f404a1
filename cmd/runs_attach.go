package cmd

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/parmap/parmap/internal/runs"
)

// attachRun streams the run's output from now on to stdout until it ends,
// and exits with its exit status; SIGINT or SIGTERM detach, leaving the
// run going. With stderr a terminal, the run's progress is a status line
// there, cleared before output is written and when attach ends.
func attachRun(r *runs.Run, stdout, stderr io.Writer) error {
	cl, err := dialRun(r, "be attached to")
	if err != nil {
		if st, serr := r.Status(); serr == nil && st.State == runs.Done {
			return runExit(*st.Exit)
		}
		return err
	}
	defer cl.Close()
	ctx, cancel := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer cancel()
	s, err := cl.Attach(ctx)
	if err != nil {
		return wordRunErr(err)
	}
	defer s.Close()
	line := statusLiner{w: stderr, on: isTerminal(stderr)}
	defer line.clear()
	for {
		ev, exit, err := s.Next()
		switch {
		case errors.Is(err, io.EOF):
			return runExit(exit)
		case ctx.Err() != nil:
			line.clear()
			fmt.Fprintf(stderr, "parmap: detached from run %s; it goes on\n", r.ID)
			return nil
		case err != nil:
			// The supervisor may have ended as we attached.
			if st, serr := r.Status(); serr == nil && st.State == runs.Done {
				return runExit(*st.Exit)
			}
			return wordRunErr(err)
		}
		if len(ev.Data) > 0 {
			line.clear()
			if _, err := stdout.Write(ev.Data); err != nil {
				return nil
			}
			line.redraw()
		}
		if ev.Status != nil {
			line.show(attachStatus(ev.Status))
		}
	}
}

// attachStatus is the status line of an attached run.
func attachStatus(st *runs.Status) string {
	total := fmt.Sprint(st.Total)
	if st.Total == 0 {
		total = "?"
	}
	return fmt.Sprintf("parmap: run %s: %d/%s done, %d failed, -j %d, %s", st.ID, st.Done, total, st.Failed, st.Jobs, st.State)
}

// statusLiner keeps one status line at the bottom of a terminal: shown
// with a carriage return and erased to the end of the line, and cleared
// before anything else is written there.
type statusLiner struct {
	w     io.Writer
	on    bool   // the writer is a terminal
	text  string // the line, "" for none yet
	shown bool
}

func (l *statusLiner) show(text string) {
	l.text = text
	l.redraw()
}

func (l *statusLiner) redraw() {
	if !l.on || l.text == "" {
		return
	}
	fmt.Fprintf(l.w, "\r\x1b[K%s", l.text)
	l.shown = true
}

func (l *statusLiner) clear() {
	if l.shown {
		fmt.Fprint(l.w, "\r\x1b[K")
		l.shown = false
	}
}
