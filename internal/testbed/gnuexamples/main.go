// Command gnuexamples checks parmap's GNU parallel personality against GNU
// parallel itself, on the examples of GNU parallel's own manuals (man
// parallel_tutorial, man parallel_examples) that need no remote host,
// database or perl expression. examples.txt lists them (see parse for its
// format).
//
// Each example runs twice in a fresh scratch directory (always the same
// path, so that paths in the output agree): once with GNU parallel, once
// with parmap through a symlink named parallel, each reached as
// "parallel" through a directory of its own put first in PATH. It compares
// standard output (sorted when the example's output order is not defined:
// no -k and more than one job) and the exit status, and prints a table:
// the example, same or different (racy: different, but the example's output
// varies under GNU parallel too), and the first line that differs.
//
//	go run ./internal/testbed/gnuexamples [-gnu /usr/bin/parallel] [-parmap BINARY] [-run REGEXP] [-v]
//
// Without -parmap it builds parmap from this module first. It exits 1 when
// an example differs, 2 when GNU parallel is missing.
package main

import (
	_ "embed"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
)

//go:embed examples.txt
var examplesText string

func main() {
	gnu := flag.String("gnu", "/usr/bin/parallel", "GNU parallel")
	parmap := flag.String("parmap", "", "the parmap binary (built from this module when empty)")
	run := flag.String("run", "", "run only the examples whose name matches `REGEXP`")
	verbose := flag.Bool("v", false, "print both outputs of the examples that differ")
	flag.Parse()
	if _, err := os.Stat(*gnu); err != nil {
		fmt.Fprintf(os.Stderr, "gnuexamples: GNU parallel: %v\n", err)
		os.Exit(2)
	}
	examples, err := parse(examplesText)
	if err != nil {
		fail(err)
	}
	filter, err := regexp.Compile(*run)
	if err != nil {
		fail(err)
	}
	root, err := os.MkdirTemp("", "gnuexamples")
	if err != nil {
		fail(err)
	}
	defer os.RemoveAll(root)
	if *parmap == "" {
		*parmap = filepath.Join(root, "parmap")
		build := exec.Command("go", "build", "-o", *parmap, "github.com/parmap/parmap")
		build.Stdout, build.Stderr = os.Stderr, os.Stderr
		if err := build.Run(); err != nil {
			fail(fmt.Errorf("building parmap: %v", err))
		}
	}
	abs, err := filepath.Abs(*parmap)
	if err != nil {
		fail(err)
	}
	bed, err := newBed(root, *gnu, abs)
	if err != nil {
		fail(err)
	}
	same, total, racy := 0, 0, 0
	for _, ex := range examples {
		if !filter.MatchString(ex.name) {
			continue
		}
		total++
		res := bed.compare(ex)
		status := "same"
		if res.diff != "" {
			status = "different"
			if ex.racy {
				status = "racy"
				racy++
			}
		} else {
			same++
		}
		fmt.Printf("%-28s %-9s %s\n", ex.name, status, res.diff)
		if *verbose && res.diff != "" {
			fmt.Printf("    parallel personality's stderr: %s\n", res.ours.stderr)
			fmt.Printf("    command: %s\n", strings.ReplaceAll(ex.command, "\n", "\n             "))
			fmt.Printf("    GNU (exit %d):\n%s    parallel personality (exit %d):\n%s", res.gnu.exit, indent(res.gnu.stdout), res.ours.exit, indent(res.ours.stdout))
		}
	}
	fmt.Printf("\n%d of %d examples give the same output and exit status", same, total)
	if racy > 0 {
		fmt.Printf(" (%d more differ in what varies from run to run under GNU parallel too: racy)", racy)
	}
	fmt.Println()
	if same != total {
		os.Exit(1)
	}
}

func indent(s string) string {
	if s == "" {
		return ""
	}
	return "        " + strings.ReplaceAll(strings.TrimSuffix(s, "\n"), "\n", "\n        ") + "\n"
}

func fail(err error) {
	fmt.Fprintf(os.Stderr, "gnuexamples: %v\n", err)
	os.Exit(2)
}
