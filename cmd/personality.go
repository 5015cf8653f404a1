package cmd

import (
	"path/filepath"
	"strings"

	"github.com/mattn/go-shellwords"
)

// parallelName is the program name under which parmap is GNU parallel: every
// command line goes through the shell as GNU parallel runs it, options come
// from $PARALLEL too, and messages start with "parallel: ".
const parallelName = "parallel"

// programName is the name parmap answers to when invoked as arg0: parallel
// under that name (a symlink), else parmap.
func programName(arg0 string) string {
	if filepath.Base(arg0) == parallelName {
		return parallelName
	}
	return "parmap"
}

// renamed gives a message line worded "parmap: …" the prefix prog.
func renamed(prog, line string) string {
	if rest, ok := strings.CutPrefix(line, "parmap: "); ok {
		return prog + ": " + rest
	}
	return line
}

// withParallelEnv adds the options of $PARALLEL (env) to a command line
// already split, as GNU parallel does: env is split into words as the shell
// would (without expanding anything), its options count before the command
// line's (so that the command line's win), and its words after the options
// go before the command (PARALLEL='-j2 nice').
func withParallelEnv(env string, options, tail []string) ([]string, []string, error) {
	if strings.TrimSpace(env) == "" {
		return options, tail, nil
	}
	words, err := shellwords.Parse(env)
	if err != nil {
		return nil, nil, usagef("$PARALLEL %q: %v", env, err)
	}
	envOptions, envTail, err := splitArgs(append([]string{options[0]}, words...), true)
	if err != nil {
		return nil, nil, usagef("$PARALLEL: %s", describe(err))
	}
	options = append(envOptions, options[1:]...)
	return options, append(envTail, tail...), nil
}

// shellCommand is the command GNU parallel runs for the template words
// command: the words joined with spaces into one shell command line, whose
// replacement strings are still quoted where they land.
func shellCommand(command []string) []string {
	if len(command) < 2 {
		return command
	}
	return []string{strings.Join(command, " ")}
}

// posixShells are the shells whose quoting parmap's command lines use:
// parallelShell takes $SHELL only when it is one of them.
var posixShells = map[string]bool{"sh": true, "bash": true, "dash": true, "ksh": true, "mksh": true, "zsh": true, "ash": true}

// parallelShell is the shell GNU parallel runs command lines with:
// $PARALLEL_SHELL, else $SHELL (GNU parallel looks at its parent process
// first), when it is a POSIX shell, else /bin/sh. Exported bash
// functions are then found as under GNU parallel.
func parallelShell(getenv func(string) string) string {
	for _, name := range []string{"PARALLEL_SHELL", "SHELL"} {
		if sh := getenv(name); filepath.IsAbs(sh) && posixShells[filepath.Base(sh)] {
			return sh
		}
	}
	return "/bin/sh"
}
