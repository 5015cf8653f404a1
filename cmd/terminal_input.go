package cmd

import (
	"fmt"
	"io"

	"github.com/parmap/parmap/internal/engine"
)

// readsTerminal reports whether the run reads its records (or --pipe's
// blocks) from standard input and that is a terminal someone types at, as
// GNU parallel checks before it warns "Input is read from the terminal":
// stdin and stderr both terminals.
func readsTerminal(cfg *engine.Config, stdin, stderr io.Writer) bool {
	if !isTerminal(stdin) || !isTerminal(stderr) {
		return false
	}
	if cfg.Pipe != nil {
		return true
	}
	for _, s := range cfg.Sources {
		if s.ReadsStdin() {
			return true
		}
	}
	return false
}

// sayReadingTerminal tells the user, once and before anything is read,
// that parmap waits for records typed at the terminal, and how to end them
// or give them otherwise (GNU parallel warns the same way).
func sayReadingTerminal(prog string, w io.Writer) {
	fmt.Fprintf(w, "%s: reading records from the terminal (standard input), one per line; end them with Ctrl-D, or give them with :::, -a FILE or a pipe\n", prog)
}
