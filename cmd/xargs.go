package cmd

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"sync"
	"syscall"

	"github.com/parmap/parmap/channel"
	"github.com/parmap/parmap/exchange"
	"github.com/parmap/parmap/internal/engine"
	"github.com/parmap/parmap/internal/records"
	"github.com/parmap/parmap/internal/template"
)

// xargsName is the program name under which parmap is GNU xargs.
const xargsName = "xargs"

// GNU xargs' exit statuses.
const (
	xargsExitFailed    = 123 // some command exited 1-125
	xargsExitStopped   = 124 // a command exited 255
	xargsExitSignaled  = 125 // a command was killed by a signal
	xargsExitCannotRun = 126
	xargsExitNotFound  = 127
	xargsExitUsage     = 1
)

// xargsDefaultChars is GNU xargs' default -s, when the system allows it.
const xargsDefaultChars = 128 * 1024

// isXargs reports whether parmap was invoked under the name xargs.
func isXargs(args []string) bool {
	return len(args) > 0 && filepath.Base(args[0]) == xargsName
}

// runXargs is parmap as GNU xargs: args is the whole command line.
func runXargs(args []string, stdin, stdout, stderr *os.File) int {
	say := func(msg string) { fmt.Fprintf(stderr, "xargs: %s\n", oneLine(msg)) }
	o, err := parseXargs(args[1:])
	if err != nil {
		say(describe(err))
		return xargsExitUsage
	}
	for _, w := range o.warnings {
		say(w)
	}
	switch {
	case o.help:
		fmt.Fprint(stdout, xargsHelp)
		return 0
	case o.version:
		fmt.Fprintf(stdout, "xargs (parmap) %s\n", Version)
		return 0
	}
	lim := xargsLimitsOf(os.Environ())
	chars, warn := lim.chars(o.maxChars)
	if warn != "" {
		say(warn)
	}
	if o.showLimits {
		lim.show(stderr, chars, isTerminal(stdin))
	}
	cfg, err := xargsConfig(o, chars, stderr)
	if err != nil {
		say(describe(err))
		return xargsExitUsage
	}
	if o.argFile != "" && cfg.JobStdin == nil {
		// Reading -a FILE, GNU xargs leaves its standard input to the
		// commands.
		cfg.JobStdin = stdin
	}
	return executeXargs(cfg, o.command[0], stdin, stdout, stderr)
}

// xargsConfig settles the run o asks for; chars is the -s in force.
func xargsConfig(o *xargsOptions, chars int, stderr io.Writer) (*engine.Config, error) {
	cfg := &engine.Config{Env: os.Environ(), Jobs: o.maxProcs, Trace: o.trace, Guard: true}
	cfg.Stop = exchange.StopOn{Exit: 255, Signaled: true, Unstarted: true}
	if o.argFile != "" {
		cfg.Sources = []records.Source{records.File(o.argFile)}
	}
	if o.prompt {
		tty, err := os.Open(ttyPath)
		if err != nil {
			return nil, usagef("failed to open %s for reading: %s", ttyPath, strerror(err))
		}
		cfg.Confirm = (&prompter{tty: bufio.NewReader(tty), stderr: stderr}).confirm
	}
	if o.openTTY {
		tty, err := os.Open(ttyPath)
		if err != nil {
			return nil, usagef("failed to open %s: %s", ttyPath, strerror(err))
		}
		cfg.JobStdin = tty
	}
	if o.slotVar != "" {
		cfg.SlotVar = o.slotVar
	}
	words := &records.Words{Quotes: !o.null && !o.delimSet, EOF: o.eof, Lines: o.maxLines > 0, WholeLine: o.replace != "",
		RunEmpty: !o.noRunEmpty && o.replace == "", NUL: func() { fmt.Fprintln(stderr, "xargs: "+xargsNULWarning) }}
	ro := records.Options{Delim: '\n', Words: words, Slots: 1}
	switch {
	case o.null:
		ro.Delim = 0
	case o.delimSet:
		ro.Delim = o.delim
	}
	switch {
	case o.replace != "":
		ro.MaxArgs, ro.Exact = 1, true
	case o.maxLines > 0:
		ro.MaxArgs, ro.Exact = o.maxLines, true
	default:
		ro.MaxArgs, ro.Exact = o.maxArgs, o.exact
	}
	topt := template.Options{Literal: true, Only: true, Replace: o.replace, NoAppend: o.replace != "", Line: template.QuoteEscapeLine}
	if !utf8Locale(os.Getenv) {
		topt.Line = template.QuoteEscapeLineASCII
	}
	t, err := template.Parse(o.command, topt)
	if err != nil {
		return nil, err
	}
	cfg.Template = t
	// GNU counts each argument of the command line and its NUL against
	// -s; with -I, the line read counts once for each -I string.
	base, uses := 0, 0
	for _, w := range o.command {
		n := 0
		if o.replace != "" {
			n = strings.Count(w, o.replace)
		}
		base += len(w) - n*len(o.replace) + 1
		uses += n
	}
	if base > chars {
		return nil, usagef("cannot fit single argument within argument list size limit")
	}
	ro.XArgs = chars - base
	if o.replace != "" {
		ro.XArgsCost = func(a string) int { return uses * len(a) }
	}
	cfg.Records = ro
	return cfg, nil
}

// xargsRun is what a run under the name xargs learns from its notices.
type xargsRun struct {
	program string // the command's program, which GNU's messages name
	mu      sync.Mutex
	status  int // 124, 125, 126 or 127 (1: a command too long) once a job stopped the run
}

// word words a notice as GNU xargs would, and notes how a job that stopped
// the run ended.
func (x *xargsRun) word(n engine.Notice) string {
	var msg string
	status := 0
	name := x.program
	switch n.Kind {
	case engine.JobHalted:
		switch {
		case n.Err != nil:
			status = xargsExitCannotRun
			var se *channel.StartError
			var long *template.TooLongError
			switch {
			case errors.As(n.Err, &se) && se.Exit == channel.ExitNotFound:
				status = xargsExitNotFound
			case errors.As(n.Err, &long):
				status = xargsExitUsage
			}
		case n.Signal != 0:
			status, msg = xargsExitSignaled, fmt.Sprintf("%s: terminated by signal %d", name, int(n.Signal))
		default:
			status, msg = xargsExitStopped, name+": exited with status 255; aborting"
		}
	case engine.JobError:
		msg = wordXargsJobError(n.Err, name)
	default:
		msg = strings.TrimPrefix(wordNotice(n), "parmap: ")
	}
	if status != 0 {
		x.mu.Lock()
		if x.status == 0 {
			x.status = status
		}
		x.mu.Unlock()
	}
	if msg == "" {
		return ""
	}
	return "xargs: " + oneLine(msg)
}

// stopped is the exit status of a job that stopped the run, 0 for none.
func (x *xargsRun) stopped() int {
	x.mu.Lock()
	defer x.mu.Unlock()
	return x.status
}

// executeXargs runs cfg and returns GNU xargs' exit status for it.
func executeXargs(cfg *engine.Config, program string, stdin, stdout, stderr *os.File) int {
	x := &xargsRun{program: program}
	sigs := make(chan os.Signal, 4)
	signal.Notify(sigs, handledSignals...)
	pipes := make(chan os.Signal, 1)
	signal.Notify(pipes, syscall.SIGPIPE)
	sum := engine.Run(context.Background(), cfg, engine.Streams{
		Stdin: stdin, Stdout: stdout, Stderr: stderr, Signals: sigs, Word: x.word,
	})
	signal.Stop(sigs)
	signal.Stop(pipes)
	say := func(msg string) { fmt.Fprintf(stderr, "xargs: %s\n", oneLine(msg)) }
	pipe := errors.Is(sum.OutputErr, syscall.EPIPE)
	if sum.OutputErr != nil && !pipe {
		say(wordOutputErr(sum.OutputErr, stdout))
	}
	switch {
	case sum.Signal != 0:
		return dieOf(sum.Signal)
	case sum.Err != nil:
		say(wordXargsError(sum.Err, cfg))
		return xargsExitUsage
	case pipe:
		return dieOf(syscall.SIGPIPE)
	case x.stopped() != 0:
		return x.stopped()
	case sum.InputErr != nil:
		say(wordXargsError(sum.InputErr, cfg))
		return xargsExitUsage
	case sum.OutputErr != nil || sum.Lost.Any():
		return xargsExitUsage
	case sum.Failed > 0:
		return xargsExitFailed
	}
	return 0
}

// ttyPath is the terminal -p asks on and -o gives the commands.
const ttyPath = "/dev/tty"

// prompter asks on the terminal whether to run each command (-p).
type prompter struct {
	mu     sync.Mutex
	tty    *bufio.Reader
	stderr io.Writer
}

// confirm prints the command and "?..." and reports whether the answer
// read from the terminal starts with y or Y (GNU xargs -p).
func (p *prompter) confirm(cmd template.Command) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	fmt.Fprintf(p.stderr, "%s?...", cmd.Line)
	answer, _ := p.tty.ReadString('\n')
	return strings.HasPrefix(answer, "y") || strings.HasPrefix(answer, "Y")
}

// utf8Locale reports whether the locale's character set (LC_ALL, else
// LC_CTYPE, else LANG) is UTF-8: -t then writes printable characters as
// they are, as GNU does.
func utf8Locale(getenv func(string) string) bool {
	for _, v := range []string{"LC_ALL", "LC_CTYPE", "LANG"} {
		if l := getenv(v); l != "" {
			l = strings.ToLower(l)
			return strings.Contains(l, "utf-8") || strings.Contains(l, "utf8")
		}
	}
	return false
}
