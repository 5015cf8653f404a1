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

// Version is parmap's version, set at build time with -ldflags "-X".
var Version = "0.1.0"

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
	return &cli.App{
		Name:      "parmap",
		Usage:     "run a command once per input record, many at a time",
		UsageText: "parmap [OPTIONS] [COMMAND [ARG...]] [::: RECORD...] [:::: FILE...]\nSOURCE | parmap [OPTIONS] COMMAND [ARG...]",
		Description: "parmap reads records (lines of standard input, -a files, ::: lists, :::: files) and runs COMMAND " +
			"once per record, at most -j at a time, each job in its own process group. Each job's output is written " +
			"whole, as jobs finish or in input order (-k). Replacement strings in COMMAND: {} the record, {.} without " +
			"extension, {/} basename, {//} dirname, {/.} basename without extension, {#} job number, {%} job slot, " +
			"{n} field or source n, {^SUFFIX} the record without SUFFIX, {gpu} the job's devices (--gpus). Without any, the record is appended. " +
			"Several words are run directly (no shell); one command line with shell syntax runs under sh -c with every " +
			"value quoted for where it lands. Every job gets PARMAP_SEQ and PARMAP_SLOT. " +
			"With --pipe, standard input is cut into blocks of about --block bytes of whole records, each fed to one job's stdin; " +
			"--pipepart does the same for a regular file (-a FILE), each job reading its own byte range. " +
			"With --reuse, COMMAND runs as -j long-lived workers instead: each record is written to a free worker's stdin " +
			"(a line; NUL-terminated with --reuse-protocol null; a JSON request {\"seq\":N,\"input\":...} with json) and the worker " +
			"answers it with one line on stdout (json: {\"seq\":N,\"output\":...} or {\"seq\":N,\"error\":...}, in any order), " +
			"flushing after each answer. A worker that dies, breaks the protocol or stays silent past --timeout is restarted; " +
			"the records in flight to it fail. " +
			"SIGINT/SIGTERM go to every job's process group (SIGKILL after --kill-after); SIGHUP drains (jobs never started are not logged); Ctrl-Z stops the jobs too. " +
			"If parmap dies, even by SIGKILL, a guard process kills every job's group and every process carrying the run's " +
			"PARMAP_RUN mark, and holds the --joblog lock until then, so --resume never runs beside a survivor. " +
			"Out of file descriptors or processes, a job waits for a running one to end and -j is lowered, with one warning. " +
			"Output that cannot be written (standard output, --tmpdir, --results, --joblog) is named in one line and the run exits 255. " +
			"Exit status: 0 when every job succeeded, 1-100 the number of failed jobs, 101 more than 100, 255 other errors. " +
			"Long options may be shortened to any unique beginning, and an option given twice takes its last value, as in GNU parallel. " +
			"Run under the name parallel (a symlink), parmap is GNU parallel: the command's words make one shell command line, $PARALLEL holds more options, and messages start with parallel:. " +
			"Run under the name xargs, it is GNU xargs 4.9: its options, blank and quote splitting of the input, -L, -s, -x, -E, -t, -p and exit statuses 123-127 (see xargs --help).\n\n" +
			"Examples:\n\n" +
			"    seq 1000 | parmap -j4 -k echo {}\n" +
			"    find . -name '*.log' -print0 | parmap -0 gzip -9\n" +
			"    parmap --tag wc -l ::: *.txt\n" +
			"    parmap 'grep -c ERROR {} | sed \"s/^/{}: /\"' ::: a.log b.log\n" +
			"    parmap convert {} {.}.png ::: *.jpg\n" +
			"    cat urls.txt | parmap --bar -j 8 curl -fsSO {}\n" +
			"    zcat access.log.gz | parmap --pipe --block 20M grep -c ' 500 '\n" +
			"    seq 1000000 | parmap --reuse --window 64 -k awk -W interactive '{print $1*2; fflush()}'\n" +
			"    ln -s \"$(command -v parmap)\" ~/bin/xargs; find . -name '*.o' -print0 | xargs -0 -P4 rm -f",
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
				_, err := fmt.Fprintf(stdout, "parmap version %s\n", Version)
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
