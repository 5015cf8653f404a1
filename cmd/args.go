package cmd

import (
	"cmp"
	"strconv"
	"strings"

	"github.com/urfave/cli/v2"
)

// splitArgs separates parmap's own options from the command and its record
// lists, and rewrites the option spellings GNU parallel and xargs users type
// (-j4, -kv, -0k) into the one form the cli parser reads (-j=4, -k -v). An
// unknown option or a missing value is reported here, naming the option.
func splitArgs(args []string) (options, tail []string, err error) {
	takesValue := map[string]bool{}
	known := map[string]bool{"help": true, "h": true}
	for _, f := range flags() {
		_, isBool := f.(*cli.BoolFlag)
		for _, name := range f.Names() {
			known[name] = true
			takesValue[name] = !isBool
		}
	}
	options = []string{args[0]}
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
			name, _, hasValue := strings.Cut(a[2:], "=")
			if !known[name] || len(name) == 1 {
				return nil, nil, unknownOption("--" + name)
			}
			if (name == "max-lines" || name == "maxlines") && !hasValue && (i+1 >= len(args) || !isNumber(args[i+1])) {
				a = "--max-lines=1" // GNU's --max-lines[=N]: 1 when N is not given
			} else if takesValue[name] && !hasValue {
				if i+1 >= len(args) {
					return nil, nil, usagef("option --%s needs a value (see parmap --help)", name)
				}
				i++
				a = "--" + name + "=" + args[i]
			}
			options = append(options, a)
			continue
		}
		// One or more short options: -k, -kv, -j4, -j 4, -0k.
		for j := 1; j < len(a); j++ {
			name := a[j : j+1]
			if name == "i" {
				// GNU xargs's -i[STR]: -I STR, {} when STR is not attached.
				options = append(options, "--replace="+cmp.Or(a[j+1:], "{}"))
				break
			}
			if name == "l" {
				// GNU parallel's -l[N]: -L N, 1 when N is not attached.
				options = append(options, "--max-lines="+cmp.Or(a[j+1:], "1"))
				break
			}
			if !known[name] {
				return nil, nil, usagef("unknown option -%s (see parmap --help)", name)
			}
			if !takesValue[name] {
				options = append(options, "-"+name)
				continue
			}
			value := strings.TrimPrefix(a[j+1:], "=")
			if j+1 == len(a) {
				if i+1 >= len(args) {
					return nil, nil, usagef("option -%s needs a value (see parmap --help)", name)
				}
				i++
				value = args[i]
			}
			options = append(options, "-"+name+"="+value)
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

// isNumber reports whether s is a whole number (an optional value's test).
func isNumber(s string) bool {
	_, err := strconv.Atoi(s)
	return err == nil
}
