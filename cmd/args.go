package cmd

import (
	"cmp"
	"strconv"
	"strings"

	"github.com/urfave/cli/v2"
)

// optionNames knows every option spelling: each name (long, short, alias)
// and the flag it belongs to.
type optionNames struct {
	canon      map[string]string // any name → the flag's first name
	takesValue map[string]bool   // the flag's first name → it takes a value
	all        []string          // every name, in --help's order
}

func newOptionNames() optionNames {
	n := optionNames{
		canon:      map[string]string{"help": "help", "h": "help"},
		takesValue: map[string]bool{},
		all:        []string{"help", "h"},
	}
	for _, f := range flags() {
		_, isBool := f.(*cli.BoolFlag)
		names := f.Names()
		for _, name := range names {
			n.canon[name] = names[0]
			n.all = append(n.all, name)
		}
		n.takesValue[names[0]] = !isBool
	}
	return n
}

// long resolves a long option as Perl's Getopt::Long does for GNU
// parallel: an exact name, else a unique abbreviation (a prefix of names
// that all belong to one flag). It returns the flag's first name.
func (n optionNames) long(name string) (string, error) {
	if c, ok := n.canon[name]; ok {
		return c, nil
	}
	var hits []string
	flagsHit := map[string]bool{}
	for _, l := range n.all {
		if len(l) > 1 && strings.HasPrefix(l, name) {
			hits = append(hits, "--"+l)
			flagsHit[n.canon[l]] = true
		}
	}
	switch {
	case name == "" || len(hits) == 0:
		return "", unknownOption("--" + name)
	case len(flagsHit) > 1:
		return "", usagef("option --%s is ambiguous: it begins %s; give more of the name", name, strings.Join(hits, ", "))
	}
	return n.canon[hits[0][2:]], nil
}

// splitArgs separates parmap's own options from the command and its record
// lists, and rewrites the option spellings GNU parallel and xargs users type
// (-j4, -kv, -0k, --keep-ord, -j 2 --jobs 3) into the one form the cli
// parser reads: --NAME=VALUE or --NAME, NAME the flag's first name, so that
// the last of several spellings of one option wins. An unknown or
// ambiguous option or a missing value is reported here, naming the option.
//
// --replace's value is optional: --replace alone is -I {}. Under GNU
// parallel's rules (gnuParallel, the parallel personality) it takes the
// next argument as its value unless that starts with -, as Getopt::Long
// does (parallel --replace % echo % ::: a); otherwise only --replace=STR
// gives one, as in GNU xargs. -i is the same option, its value attached
// (-iSTR).
func splitArgs(args []string, gnuParallel bool) (options, tail []string, err error) {
	names := newOptionNames()
	options = []string{args[0]}
	// optionalValue is --replace's or -i's value when none is attached.
	optionalValue := func(i int) (string, int) {
		if gnuParallel && i+1 < len(args) && (args[i+1] == "-" || !strings.HasPrefix(args[i+1], "-")) {
			return args[i+1], i + 1
		}
		return "{}", i
	}
	i := 1
	for ; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			i++
			break
		}
		if len(a) < 2 || a[0] != '-' || isSourceSep(a) {
			break
		}
		if strings.HasPrefix(a, "--") {
			given, value, hasValue := strings.Cut(a[2:], "=")
			name, err := names.long(given)
			if err != nil {
				return nil, nil, err
			}
			switch {
			case name == "replace" && !hasValue:
				value, i = optionalValue(i)
			case name == "wait" && !hasValue && (i+1 >= len(args) || strings.HasPrefix(args[i+1], "-")):
				value = "" // --semaphore --wait --id NAME: the id is --id's
			case name == "max-lines" && !hasValue && (i+1 >= len(args) || !isNumber(args[i+1])):
				value = "1" // GNU's --max-lines[=N]: 1 when N is not given
			case names.takesValue[name] && !hasValue:
				if i+1 >= len(args) {
					return nil, nil, usagef("option --%s needs a value (see parmap --help)", given)
				}
				i++
				value = args[i]
			}
			if names.takesValue[name] {
				options = append(options, "--"+name+"="+value)
			} else {
				options = append(options, "--"+name+strings.TrimPrefix(a, "--"+given))
			}
			continue
		}
		// One or more short options: -k, -kv, -j4, -j 4, -0k.
		for j := 1; j < len(a); j++ {
			short := a[j : j+1]
			if short == "i" {
				// GNU xargs's -i[STR]: -I STR, {} when STR is not attached.
				value := a[j+1:]
				if value == "" {
					value, i = optionalValue(i)
				}
				options = append(options, "--replace="+value)
				break
			}
			if short == "l" {
				// GNU parallel's -l[N]: -L N, 1 when N is not attached.
				options = append(options, "--max-lines="+cmp.Or(a[j+1:], "1"))
				break
			}
			name, known := names.canon[short]
			if !known {
				return nil, nil, usagef("unknown option -%s (see parmap --help)", short)
			}
			if !names.takesValue[name] {
				options = append(options, "--"+name)
				continue
			}
			value := strings.TrimPrefix(a[j+1:], "=")
			if j+1 == len(a) {
				if i+1 >= len(args) {
					return nil, nil, usagef("option -%s needs a value (see parmap --help)", short)
				}
				i++
				value = args[i]
			}
			options = append(options, "--"+name+"="+value)
			break
		}
	}
	return options, args[i:], nil
}

// isSourceSep reports whether a starts a record list: ::: values, :::: files,
// or their linked forms :::+ and ::::+ (GNU parallel), which pair this
// source with the one before it.
func isSourceSep(a string) bool {
	return a == ":::" || a == "::::" || a == ":::+" || a == "::::+"
}

// sourceSeps returns splitTail's sepOf for the separators --arg-sep and
// --arg-file-sep give in place of ::: and :::: (GNU parallel; "" keeps
// the usual one). A replaced separator is then an ordinary word.
func sourceSeps(values, files string) func(string) string {
	values, files = cmp.Or(values, ":::"), cmp.Or(files, "::::")
	return func(a string) string {
		switch a {
		case values:
			return ":::"
		case values + "+":
			return ":::+"
		case files:
			return "::::"
		case files + "+":
			return "::::+"
		}
		return ""
	}
}

// isNumber reports whether s is a whole number (an optional value's test).
func isNumber(s string) bool {
	_, err := strconv.Atoi(s)
	return err == nil
}
