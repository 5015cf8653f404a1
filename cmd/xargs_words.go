package cmd

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os/exec"
	"strings"
	"syscall"

	"github.com/parmap/parmap/channel"
	"github.com/parmap/parmap/internal/engine"
	"github.com/parmap/parmap/internal/records"
	"github.com/parmap/parmap/internal/template"
)

// wordXargsJobError words a job that could not run, as GNU xargs does:
// "./missing: No such file or directory".
func wordXargsJobError(err error, name string) string {
	var se *channel.StartError
	if errors.As(err, &se) {
		if se.Program != "" {
			name = se.Program
		}
		if se.Exit == channel.ExitNotFound || errors.Is(se.Err, exec.ErrNotFound) {
			return name + ": " + strerror(syscall.ENOENT)
		}
		return name + ": " + strerror(se.Err)
	}
	var (
		long *template.TooLongError
		nul  *template.NULError
	)
	switch {
	case errors.As(err, &long):
		return "can't call exec() due to argument size restrictions"
	case errors.As(err, &nul):
		return fmt.Sprintf("%s: argument %d holds a NUL byte, which no argument can carry (use -0)", name, nul.Index)
	}
	return wordError(err)
}

// wordXargsError words why a run under the name xargs could not start or
// stopped reading its input.
func wordXargsError(err error, cfg *engine.Config) string {
	var (
		quote  *records.QuoteError
		source *records.SourceError
	)
	switch {
	case errors.As(err, &quote):
		return "unmatched " + quote.Name() + " quote; by default quotes are special to xargs unless you use the -0 option"
	case errors.Is(err, records.ErrArgTooLong):
		return "argument line too long"
	case errors.Is(err, records.ErrListTooLong):
		return "argument list too long"
	case errors.As(err, &source):
		if source.Path == "" {
			return "error reading input: " + strerror(source.Err)
		}
		if source.Problem == records.SourceReadFailed {
			return "error reading input file " + source.Path + ": " + strerror(source.Err)
		}
		return "Cannot open input file ‘" + source.Path + "’: " + strerror(source.Err)
	}
	return wordError(err)
}

// xargsNULWarning is GNU's warning at a NUL byte in quoted input.
const xargsNULWarning = "WARNING: a NUL character occurred in the input.  It cannot be passed through in the argument list.  Did you mean to use the --null option?"

// strerror is the C library's text for err: "No such file or directory".
func strerror(err error) string {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		err = pe.Err
	}
	if errors.Is(err, fs.ErrNotExist) {
		err = syscall.ENOENT
	}
	if err == nil {
		return "unknown error"
	}
	s := err.Error()
	return strings.ToUpper(s[:1]) + s[1:]
}

// xargsLimits is what bounds a command line, as GNU xargs --show-limits
// tells it.
type xargsLimits struct {
	env   int // bytes of the environment: each string and its NUL
	posix int // the system's bound less 2048 and the environment
}

func xargsLimitsOf(environ []string) xargsLimits {
	env := 0
	for _, kv := range environ {
		env += len(kv) + 1
	}
	return xargsLimits{env: env, posix: argLimit() - 2048 - env}
}

// chars returns the -s in force for the -s given (0: the default), and a
// warning when it had to be lowered.
func (l xargsLimits) chars(given int) (int, string) {
	if given == 0 {
		return min(xargsDefaultChars, l.posix), ""
	}
	if given > l.posix {
		return l.posix, fmt.Sprintf("value %d for -s option should be <= %d", given, l.posix)
	}
	return given, ""
}

// show writes --show-limits' report.
func (l xargsLimits) show(w io.Writer, chars int, tty bool) {
	fmt.Fprintf(w, "Your environment variables take up %d bytes\n", l.env)
	fmt.Fprintf(w, "POSIX upper limit on argument length (this system): %d\n", l.posix)
	fmt.Fprintf(w, "POSIX smallest allowable upper limit on argument length (all systems): %d\n", 4096)
	fmt.Fprintf(w, "Maximum length of command we could actually use: %d\n", l.posix-l.env)
	fmt.Fprintf(w, "Size of command buffer we are actually using: %d\n", chars)
	fmt.Fprintf(w, "Maximum parallelism (--max-procs must be no greater): %d\n", xargsMaxProcs)
	if tty {
		fmt.Fprint(w, "\nExecution of xargs will continue now, and it will try to read its input and run commands; "+
			"if this is not what you wanted to happen, please type the end-of-file keystroke.\n")
	}
}

// xargsMaxProcs is the largest -P GNU xargs takes.
const xargsMaxProcs = 1<<31 - 1

// xargsHelp is --help under the name xargs.
const xargsHelp = `Usage: xargs [OPTION]... COMMAND [INITIAL-ARGS]...
Run COMMAND with arguments INITIAL-ARGS and more arguments read from input.
(parmap under the name xargs: GNU xargs 4.9's options and exit statuses.)

Mandatory and optional arguments to long options are also
mandatory or optional for the corresponding short option.
  -0, --null                   items are separated by a null, not whitespace;
                                 disables quote and backslash processing and
                                 logical EOF processing
  -a, --arg-file=FILE          read arguments from FILE, not standard input
  -d, --delimiter=CHARACTER    items in input stream are separated by CHARACTER,
                                 not by whitespace; disables quote and backslash
                                 processing and logical EOF processing
  -E END                       set logical EOF string; if END occurs as a line
                                 of input, the rest of the input is ignored
                                 (ignored if -0 or -d was specified)
  -e, --eof[=END]              equivalent to -E END if END is specified;
                                 otherwise, there is no end-of-file string
  -I R                         same as --replace=R
  -i, --replace[=R]            replace R in INITIAL-ARGS with names read
                                 from standard input, split at newlines;
                                 if R is unspecified, assume {}
  -L, --max-lines=MAX-LINES    use at most MAX-LINES non-blank input lines per
                                 command line
  -l[MAX-LINES]                similar to -L but defaults to at most one non-
                                 blank input line if MAX-LINES is not specified
  -n, --max-args=MAX-ARGS      use at most MAX-ARGS arguments per command line
  -o, --open-tty               Reopen stdin as /dev/tty in the child process
                                 before executing the command; useful to run an
                                 interactive application.
  -P, --max-procs=MAX-PROCS    run at most MAX-PROCS processes at a time
                                 (0: as many as possible); the output of each
                                 command is written whole, never interleaved
  -p, --interactive            prompt before running commands
      --process-slot-var=VAR   set environment variable VAR in child processes
  -r, --no-run-if-empty        if there are no arguments, then do not run COMMAND;
                                 if this option is not given, COMMAND will be
                                 run at least once
  -s, --max-chars=MAX-CHARS    limit length of command line to MAX-CHARS
      --show-limits            show limits on command-line length
  -t, --verbose                print commands before executing them
  -x, --exit                   exit if the size (see -s) is exceeded
      --help                   display this help and exit
      --version                output version information and exit

Exit status: 0 success; 123 some command exited 1-125; 124 a command exited
255; 125 a command was killed by a signal; 126 a command cannot run; 127 a
command was not found; 1 any other error.
`
