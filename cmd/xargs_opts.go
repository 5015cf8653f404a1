package cmd

import (
	"fmt"
	"strconv"
	"strings"
)

// xargsOptions is what a command line means to GNU xargs.
type xargsOptions struct {
	null       bool
	argFile    string
	delim      byte
	delimSet   bool
	eof        string
	replace    string // "" without -I/-i
	maxLines   int    // -L, -l; 0 for none
	maxArgs    int    // -n; 0 for none
	maxProcs   int    // -P; 0 for as many as possible
	maxChars   int    // -s; 0 for the default
	exact      bool   // -x
	trace      bool   // -t
	prompt     bool   // -p
	openTTY    bool   // -o
	noRunEmpty bool   // -r
	slotVar    string // --process-slot-var
	showLimits bool
	help       bool
	version    bool
	command    []string
	// warnings are said (after "xargs: ") before anything runs.
	warnings []string
}

// xargsArg is how an xargs option takes its value.
type xargsArg int

const (
	argNone     xargsArg = iota
	argRequired          // -n 3, -n3, --max-args=3, --max-args 3
	argOptional          // -l, -l3, --max-lines=3 (never the next word)
)

// xargsOption is one option of GNU xargs: its short letter (0 for none)
// and its long name ("" for none).
type xargsOption struct {
	short byte
	long  string
	arg   xargsArg
}

// xargsOptionList is GNU xargs 4.9's options, in its --help order (the
// order ambiguous prefixes are listed in).
var xargsOptionList = []xargsOption{
	{'0', "null", argNone},
	{'a', "arg-file", argRequired},
	{'d', "delimiter", argRequired},
	{'E', "", argRequired},
	{'e', "eof", argOptional},
	{'I', "", argRequired},
	{'i', "replace", argOptional},
	{'l', "max-lines", argOptional},
	{'L', "", argRequired},
	{'n', "max-args", argRequired},
	{'s', "max-chars", argRequired},
	{'P', "max-procs", argRequired},
	{'o', "open-tty", argNone},
	{'p', "interactive", argNone},
	{'r', "no-run-if-empty", argNone},
	{'t', "verbose", argNone},
	{'x', "exit", argNone},
	{0, "process-slot-var", argRequired},
	{0, "show-limits", argNone},
	{'h', "help", argNone},
	{'V', "version", argNone},
}

// parseXargs reads xargs' command line (without the program name) as GNU
// getopt_long does with "+": options come before the command, short ones
// may be bundled, "--" ends them.
func parseXargs(args []string) (*xargsOptions, error) {
	o := &xargsOptions{maxProcs: 1}
	i := 0
	for ; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			i++
			break
		}
		if len(a) < 2 || a[0] != '-' {
			break
		}
		if strings.HasPrefix(a, "--") {
			opt, val, has, err := longXargsOption(a[2:])
			if err != nil {
				return nil, err
			}
			switch {
			case opt.arg == argNone && has:
				return nil, usagef("option '--%s' doesn't allow an argument", opt.long)
			case opt.arg == argRequired && !has:
				if i+1 == len(args) {
					return nil, usagef("option '--%s' requires an argument", opt.long)
				}
				i++
				val, has = args[i], true
			}
			if err := o.set(opt, val, has); err != nil {
				return nil, err
			}
			continue
		}
		for j := 1; j < len(a); j++ {
			opt, ok := shortXargsOption(a[j])
			if !ok {
				return nil, usagef("invalid option -- '%c'", a[j])
			}
			val, has := "", false
			switch {
			case opt.arg == argNone:
			case j+1 < len(a):
				val, has = a[j+1:], true
				j = len(a)
			case opt.arg == argRequired:
				if i+1 == len(args) {
					return nil, usagef("option requires an argument -- '%c'", a[j])
				}
				i++
				val, has = args[i], true
			}
			if err := o.set(opt, val, has); err != nil {
				return nil, err
			}
		}
	}
	o.command = args[i:]
	if len(o.command) == 0 {
		o.command = []string{"echo"}
	}
	if o.eof != "" && (o.null || o.delimSet) {
		o.warnings = append(o.warnings, "warning: the -E option has no effect if -0 or -d is used.")
		o.eof = ""
	}
	return o, nil
}

func shortXargsOption(c byte) (xargsOption, bool) {
	for _, o := range xargsOptionList {
		if o.short == c {
			return o, true
		}
	}
	return xargsOption{}, false
}

// longXargsOption finds the option a long name (or a unique prefix of one)
// names; s is what follows "--", with any "=VALUE".
func longXargsOption(s string) (opt xargsOption, val string, has bool, err error) {
	name, val, has := strings.Cut(s, "=")
	var found []xargsOption
	for _, o := range xargsOptionList {
		if o.long == name {
			return o, val, has, nil
		}
		if o.long != "" && strings.HasPrefix(o.long, name) {
			found = append(found, o)
		}
	}
	switch len(found) {
	case 0:
		return opt, "", false, usagef("unrecognized option '--%s'", name)
	case 1:
		return found[0], val, has, nil
	}
	var names []string
	for _, o := range found {
		names = append(names, "'--"+o.long+"'")
	}
	return opt, "", false, usagef("option '--%s' is ambiguous; possibilities: %s", name, strings.Join(names, " "))
}

// exclusive words GNU's warning for options that exclude each other.
func exclusive(previous, option string) string {
	return fmt.Sprintf("warning: options %s and %s are mutually exclusive, ignoring previous %s value", previous, option, previous)
}

// set takes one option, as GNU xargs does in the order given.
func (o *xargsOptions) set(opt xargsOption, val string, has bool) error {
	var err error
	switch opt.short {
	case '0':
		o.null = true
	case 'a':
		o.argFile = val
	case 'd':
		d, derr := parseDelim(val)
		if derr != nil {
			return usagef("Invalid input delimiter specification %s: the delimiter must be either a single character or an escape sequence starting with \\.", val)
		}
		o.delim, o.delimSet = d, true
	case 'E', 'e':
		o.eof = val
	case 'I', 'i':
		if opt.short == 'i' && !has {
			val = "{}"
		}
		if o.maxArgs != 0 {
			o.warnings = append(o.warnings, exclusive("--max-args", "--replace/-I/-i"))
			o.maxArgs = 0
		}
		if o.maxLines != 0 {
			o.warnings = append(o.warnings, exclusive("--max-lines", "--replace/-I/-i"))
			o.maxLines = 0
		}
		o.replace = val
	case 'L', 'l':
		name := "-L"
		n := 1
		if opt.short == 'l' {
			name = "--max-lines/-l"
		}
		if opt.short == 'L' || has {
			if n, err = xargsNumber(val, opt.short, 1, 0); err != nil {
				return err
			}
		}
		if o.maxArgs != 0 {
			o.warnings = append(o.warnings, exclusive("--max-args", name))
			o.maxArgs = 0
		}
		if o.replace != "" {
			o.warnings = append(o.warnings, exclusive("--replace", name))
			o.replace = ""
		}
		o.maxLines = n
	case 'n':
		if o.maxArgs, err = xargsNumber(val, 'n', 1, 0); err != nil {
			return err
		}
		if o.maxLines != 0 {
			o.warnings = append(o.warnings, exclusive("--max-lines", "--max-args/-n"))
			o.maxLines = 0
		}
		if o.replace != "" && o.maxArgs != 1 {
			o.warnings = append(o.warnings, exclusive("--replace", "--max-args/-n"))
			o.replace = ""
		}
	case 's':
		if o.maxChars, err = xargsNumber(val, 's', 1, 0); err != nil {
			return err
		}
	case 'P':
		if o.maxProcs, err = xargsNumber(val, 'P', 0, 0); err != nil {
			return err
		}
	case 'o':
		o.openTTY = true
	case 'p':
		o.prompt = true
	case 'r':
		o.noRunEmpty = true
	case 't':
		o.trace = true
	case 'x':
		o.exact = true
	case 'h':
		o.help = true
	case 'V':
		o.version = true
	default:
		switch opt.long {
		case "process-slot-var":
			if strings.Contains(val, "=") {
				return usagef("option --%s may not be set to a value which includes `='", opt.long)
			}
			o.slotVar = val
		case "show-limits":
			o.showLimits = true
		}
	}
	return nil
}

// xargsNumber reads the number of option -c as GNU's parse_num: at least
// least, and at most most when most > 0.
func xargsNumber(s string, c byte, least, most int) (int, error) {
	n, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
	if err != nil && !isRange(err) || s == "" {
		return 0, usagef("invalid number %q for -%c option", s, c)
	}
	if n < int64(least) {
		return 0, usagef("value %s for -%c option should be >= %d", s, c, least)
	}
	if most > 0 && n > int64(most) || err != nil || n > 1<<31-1 {
		n = 1<<31 - 1
	}
	return int(n), nil
}

func isRange(err error) bool {
	ne, ok := err.(*strconv.NumError)
	return ok && ne.Err == strconv.ErrRange
}
