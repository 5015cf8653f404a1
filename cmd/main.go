// Package cmd is parmap's command line (urfave/cli/v2): it turns the
// arguments into one settled engine.Config, runs it with internal/engine,
// and turns the outcome into messages and an exit status. It is the only
// package that words anything for the user: the engine and the packages
// below it report facts (notices, typed errors) and this package words
// them (words.go, outcome.go).
package cmd

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/parmap/parmap/internal/agent"
	"github.com/parmap/parmap/internal/cgroup"
	"github.com/parmap/parmap/internal/guard"
)

// usageError is a mistake on the command line.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func usagef(format string, a ...any) error { return &usageError{fmt.Sprintf(format, a...)} }

// Main runs parmap with os.Args and returns its exit status. When parmap was
// stopped by a signal it dies of that signal instead, so a calling shell sees
// a real signal death.
//
// Started as a guard (parmap re-executes itself as one for each run), it
// is the guard instead, before anything else.
func Main() int {
	if guard.Invoked() {
		return guard.Main()
	}
	if exit, shim := cgroup.RunShim(); shim { // a job under --mem-limit's RLIMIT_AS
		return exit
	}
	if agent.Invoked() {
		return agent.Main()
	}
	return run(os.Args, os.Stdin, os.Stdout, os.Stderr)
}

// run is Main with its surroundings passed in.
func run(args []string, stdin *os.File, stdout, stderr *os.File) int {
	if isXargs(args) {
		return runXargs(args, stdin, stdout, stderr)
	}
	prog := programName(args[0]) // parmap, or parallel under that name
	status := 0                  // --help, --version and --completion run nothing
	// A supervisor of a detached run (runs_detach.go) is told so by its
	// environment, which its jobs do not inherit.
	superviseDir, resume := os.Getenv(superviseEnv), os.Getenv(superviseResumeEnv) != ""
	os.Unsetenv(superviseEnv)
	os.Unsetenv(superviseResumeEnv)
	app := newApp(stdout, stderr, func(inv *invocation) {
		for _, w := range inv.warnings {
			fmt.Fprintf(stderr, "%s: %s\n", prog, w)
		}
		// Jobs are guarded by a copy of this program (Config.Guard): a
		// test binary that calls run must recognise guard.Invoked too.
		inv.cfg.Guard = true
		switch {
		case superviseDir != "":
			status = supervise(inv, superviseDir, resume, stderr)
		case inv.detach:
			status = detach(inv, args, stdin, stdout, stderr)
		default:
			status = execute(inv, stdin, stdout, stderr)
		}
	})
	app.Name = prog
	cliArgs, tail, err := splitArgs(args, prog == parallelName)
	if err == nil && prog == parallelName {
		cliArgs, tail, err = withParallelEnv(os.Getenv("PARALLEL"), cliArgs, tail)
	}
	if err == nil {
		app.Metadata = map[string]any{"tail": tail, "stdin": stdin, "args": args, "supervising": superviseDir != ""}
		err = app.Run(cliArgs)
	}
	var exit runExit
	if errors.As(err, &exit) {
		return int(exit)
	}
	if err != nil {
		msg := strings.ReplaceAll(describe(err), "see parmap --help", "see "+prog+" --help")
		fmt.Fprintf(stderr, "%s: %s\n", prog, oneLine(msg))
		return exitError
	}
	return status
}

// newApp builds the cli application; act runs the configuration the
// arguments make.
func newApp(stdout, stderr io.Writer, act func(*invocation)) *cli.App {
	app := &cli.App{
		Name:  "parmap",
		Usage: summary,
		// --help is writeHelp's (help.go), the man page manPage's: both
		// group the options in the order of the data flow.
		CustomAppHelpTemplate:     helpTemplate,
		Version:                   Version,
		HideVersion:               true, // parmap's own --version, -V: -v is GNU parallel's
		Flags:                     flags(),
		HideHelpCommand:           true,
		DisableSliceFlagSeparator: true,
		Writer:                    stdout,
		ErrWriter:                 stderr,
		OnUsageError: func(_ *cli.Context, err error, _ bool) error {
			return err
		},
		ExitErrHandler: func(*cli.Context, error) {},
		Action: func(c *cli.Context) error {
			if c.Bool("version") {
				_, err := fmt.Fprintln(stdout, versionLine())
				return err
			}
			if shell := c.String("completion"); shell != "" {
				return writeCompletion(c.App, shell, stdout)
			}
			tail := c.App.Metadata["tail"].([]string)
			var stdin io.Reader = os.Stdin
			if f, ok := c.App.Metadata["stdin"].(*os.File); ok && f != nil {
				stdin = f
			}
			if handled, err := runCommand(c, tail, stdin, stdout, stderr); handled {
				return err
			}
			inv, err := newInvocation(c, tail, thisProcess(stdout, stderr))
			if err != nil {
				return err
			}
			if err := inv.background(c); err != nil {
				return err
			}
			act(inv)
			return nil
		},
	}
	app.ExtraInfo = helpInfo(app)
	return app
}

// describe words an error for the one-line message. splitArgs reports
// unknown options and missing values itself; what reaches here from the cli
// parser (a bad boolean like --keep-order=yes) gets a pointer to the help.
func describe(err error) string {
	var ue *usageError
	if errors.As(err, &ue) {
		return ue.msg
	}
	return err.Error() + " (see parmap --help)"
}

// oneLine keeps an error message on one line.
func oneLine(s string) string {
	return strings.Join(strings.Fields(strings.ReplaceAll(s, "\n", " ")), " ")
}
