package cmd

import (
	"io"
	"os"
	"runtime"

	display "github.com/parmap/parmap/internal/progress"
)

// progress is what the run tells the progress display.
type progress interface {
	Add(n int64)      // n more records were read
	InputDone()       // the input was read to its end: the total is final
	Done(failed bool) // one job finished
	Finish()          // the run is over
}

// barIntervalEnv, when set to a duration (a Go duration or seconds, as
// --kill-after takes), sets how often the plain status line of --bar is
// printed when stderr is not a terminal (5s by default). It is for tests and
// is not documented to users.
const barIntervalEnv = "PARMAP_BAR_INTERVAL"

// newProgress returns the progress display for mode, drawing on w.
func newProgress(mode barMode, w io.Writer, jobs int) progress {
	opt := display.Options{}
	switch mode {
	case barGNU, barGNUETA:
		opt = display.Options{Mode: display.GNU, Jobs: jobs, CPUs: runtime.GOMAXPROCS(0), ETA: mode == barGNUETA}
	case barTerminal:
		opt.Mode = display.Terminal
	case barLines:
		opt.Mode = display.Lines
		if s := os.Getenv(barIntervalEnv); s != "" {
			if d, err := parseDuration(barIntervalEnv, s); err == nil && d > 0 {
				opt.Interval = d
			}
		}
	}
	// For Off, New returns a nil *Progress, whose methods do nothing.
	return display.New(w, opt)
}
