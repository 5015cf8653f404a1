package main

import (
	"fmt"
	"strings"
)

// example is one command line of GNU parallel's manuals.
type example struct {
	name    string
	setup   []string // shell lines run first, in the scratch directory
	command string   // the shell lines compared (bash)
	// ordered: the output order is defined (-k, -j1, or the example
	// says so); otherwise both outputs are sorted before they are
	// compared.
	ordered bool
	// racy: GNU parallel's own output varies from run to run (which jobs
	// a halt lets finish, which slot a job gets).
	racy bool
}

// parse reads examples.txt. Lines starting with # are comments. "== NAME"
// starts an example; "$ LINE" is a setup line (before the first example:
// a setup line of every example); "> LINE" is a line of the command (lines
// are joined with newlines); "ordered" or "unordered" overrides how the
// output order is guessed (ordered when the command has -k, --keep-order
// or -j1); "racy" marks an example whose output varies from run to run
// under GNU parallel too.
func parse(text string) ([]example, error) {
	var common []string
	var all []example
	var cur *example
	for n, line := range strings.Split(text, "\n") {
		switch {
		case strings.TrimSpace(line) == "" || strings.HasPrefix(line, "#"):
		case strings.HasPrefix(line, "== "):
			all = append(all, example{name: strings.TrimSpace(line[3:]), setup: append([]string(nil), common...)})
			cur = &all[len(all)-1]
		case strings.HasPrefix(line, "$ "):
			if cur == nil {
				common = append(common, line[2:])
			} else {
				cur.setup = append(cur.setup, line[2:])
			}
		case cur == nil:
			return nil, fmt.Errorf("examples.txt:%d: %q before the first example", n+1, line)
		case strings.HasPrefix(line, "> "):
			if cur.command != "" {
				cur.command += "\n"
			}
			cur.command += line[2:]
			cur.ordered = cur.ordered || guessOrdered(line[2:])
		case line == "racy":
			cur.racy = true
		case line == "ordered" || line == "unordered":
			cur.ordered = line == "ordered"
		default:
			return nil, fmt.Errorf("examples.txt:%d: cannot read %q", n+1, line)
		}
	}
	for _, ex := range all {
		if ex.command == "" {
			return nil, fmt.Errorf("examples.txt: example %s has no command", ex.name)
		}
	}
	return all, nil
}

// guessOrdered reports whether a command line keeps its output in order.
func guessOrdered(line string) bool {
	for _, w := range strings.Fields(line) {
		if w == "--keep-order" || w == "-j1" || (strings.HasPrefix(w, "-") && !strings.HasPrefix(w, "--") && strings.Contains(w, "k")) {
			return true
		}
	}
	return strings.Contains(line, "-j 1 ")
}
