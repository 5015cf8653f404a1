package template

import (
	"fmt"
	"strings"

	"github.com/parmap/parmap/internal/records"
)

// Expand returns the command for one record, run in job slot slot. The error
// is a *TooLongError when an argument is longer than Linux passes, a
// *NULError when one holds a NUL byte (which no argument can carry), an
// *ArithError when a value inside shell arithmetic is not a number.
func (t *Template) Expand(rec *records.Record, slot int) (Command, error) {
	var cmd Command
	var err error
	switch t.mode {
	case Argv:
		cmd = t.expandArgv(rec, slot)
	case ShellLine:
		var line string
		line, _, err = t.line.expand(rec, slot)
		cmd = Command{Argv: []string{t.shell, "-c", line}, Line: line}
	default:
		cmd, err = t.expandRecord(rec)
	}
	if err != nil {
		return Command{}, err
	}
	for i, a := range cmd.Argv {
		shell := len(cmd.Argv) == 3 && i == 2 && cmd.Argv[0] == t.shell && cmd.Argv[1] == "-c"
		if len(a) > MaxArg {
			return Command{}, &TooLongError{Seq: rec.Seq, Index: i, Len: len(a), Shell: shell}
		}
		if strings.IndexByte(a, 0) >= 0 {
			return Command{}, &NULError{Seq: rec.Seq, Index: i, Shell: shell}
		}
	}
	return cmd, nil
}

func (t *Template) expandArgv(rec *records.Record, slot int) Command {
	argv := make([]string, 0, len(t.words)+len(rec.Args))
	used := false
	for i := range t.words {
		var u bool
		argv, u = t.words[i].expand(argv, rec, slot, t.ctx)
		used = used || u
	}
	if !used && !t.static && !t.noApp {
		argv = append(argv, rec.Args...)
	}
	return Command{Argv: argv, Line: t.quote(argv)}
}

// expandRecord reads a record as a command line: run directly when it has no
// shell syntax, under the shell as it stands when it has (the record is the
// command: nothing is quoted). A blank line is a command that does nothing
// and succeeds, run by the shell, as GNU parallel runs it.
func (t *Template) expandRecord(rec *records.Record) (Command, error) {
	line := strings.Join(rec.Args, " ")
	if strings.TrimLeft(line, " \t\n") == "" {
		return Command{Argv: []string{t.shell, "-c", line}, Line: line}, nil
	}
	if !t.force {
		// A line the lexer cannot read has shell syntax: the shell will say what is wrong.
		if l := lex(line, matcher{off: true}); l.err == "" && !l.syntax {
			if words, ok := split(line); ok {
				if len(words) > 0 {
					return Command{Argv: words, Line: line}, nil
				}
			}
		}
	}
	return Command{Argv: []string{t.shell, "-c", line}, Line: line}, nil
}

// TooLongError is returned by Expand for an argument longer than MaxArg.
type TooLongError struct {
	Seq   int64 // the job number
	Index int   // the argument: 0 is the program, and in shell mode 2 is the command line
	Len   int   // its length in bytes
	Shell bool  // the argument is the command line given to the shell
}

func (e *TooLongError) Error() string {
	what := fmt.Sprintf("argument %d", e.Index)
	if e.Shell {
		what = "the shell command line"
	}
	return fmt.Sprintf("record %d: %s is %d bytes; Linux passes at most %d bytes in one argument",
		e.Seq, what, e.Len, MaxArg)
}

// NULError is returned by Expand for an argument that holds a NUL byte: exec
// passes C strings, which end at the first NUL, so no argument can carry one.
type NULError struct {
	Seq   int64 // the job number
	Index int   // the argument: 0 is the program, and in shell mode 2 is the command line
	Shell bool  // the argument is the command line given to the shell
}

func (e *NULError) Error() string {
	what := fmt.Sprintf("argument %d", e.Index)
	if e.Shell {
		what = "the shell command line"
	}
	return fmt.Sprintf("record %d: %s contains a NUL byte, which no command argument can carry", e.Seq, what)
}

// ArithError is returned by Expand when a value goes inside shell arithmetic
// ($((…)), ((…)), ${x:n}, a[n]) and is not a number: quotes do not protect a
// value there.
type ArithError struct {
	Seq   int64  // the job number
	Token string // the replacement string, e.g. "{}"
	Value string
}

func (e *ArithError) Error() string {
	v := e.Value
	if len(v) > 40 {
		v = v[:40] + "…"
	}
	return fmt.Sprintf("record %d: %s is inside shell arithmetic, where only a number is safe, and %q is not a number", e.Seq, e.Token, v)
}
