package cmd

import (
	"reflect"
	"strings"
	"testing"
)

// xargs' command line is read as GNU getopt_long reads it ("+": options
// stop at the command), with GNU's warnings for options that exclude each
// other (checked against /usr/bin/xargs 4.9).
func TestParseXargs(t *testing.T) {
	for _, c := range []struct {
		args []string
		want xargsOptions
	}{
		{nil, xargsOptions{maxProcs: 1, command: []string{"echo"}}},
		{[]string{"-0tr", "-n2", "ls", "-l"}, xargsOptions{null: true, trace: true, noRunEmpty: true, maxArgs: 2, maxProcs: 1, command: []string{"ls", "-l"}}},
		{[]string{"-n", "3", "--", "-x"}, xargsOptions{maxArgs: 3, maxProcs: 1, command: []string{"-x"}}},
		{[]string{"-l", "-eEOF", "-P0", "cmd"}, xargsOptions{maxLines: 1, eof: "EOF", maxProcs: 0, command: []string{"cmd"}}},
		{[]string{"-l3", "-e", "cmd"}, xargsOptions{maxLines: 3, maxProcs: 1, command: []string{"cmd"}}},
		{[]string{"-i", "cmd", "{}"}, xargsOptions{replace: "{}", maxProcs: 1, command: []string{"cmd", "{}"}}},
		{[]string{"-iX", "-I", "Y", "cmd"}, xargsOptions{replace: "Y", maxProcs: 1, command: []string{"cmd"}}},
		{[]string{"--max-a=4", "--max-procs", "2", "--replace=R", "--arg-file=f", "cmd"},
			xargsOptions{maxProcs: 2, replace: "R", argFile: "f", command: []string{"cmd"},
				warnings: []string{"warning: options --max-args and --replace/-I/-i are mutually exclusive, ignoring previous --max-args value"}}},
		{[]string{"-L2", "-n2"}, xargsOptions{maxArgs: 2, maxProcs: 1, command: []string{"echo"},
			warnings: []string{"warning: options --max-lines and --max-args/-n are mutually exclusive, ignoring previous --max-lines value"}}},
		{[]string{"-n1", "-L1"}, xargsOptions{maxLines: 1, maxProcs: 1, command: []string{"echo"},
			warnings: []string{"warning: options --max-args and -L are mutually exclusive, ignoring previous --max-args value"}}},
		{[]string{"-i", "-l"}, xargsOptions{maxLines: 1, maxProcs: 1, command: []string{"echo"},
			warnings: []string{"warning: options --replace and --max-lines/-l are mutually exclusive, ignoring previous --replace value"}}},
		{[]string{"-I{}", "-n1"}, xargsOptions{replace: "{}", maxArgs: 1, maxProcs: 1, command: []string{"echo"}}},
		{[]string{"-0", "-E", "x"}, xargsOptions{null: true, maxProcs: 1, command: []string{"echo"},
			warnings: []string{"warning: the -E option has no effect if -0 or -d is used."}}},
		{[]string{"-d\\n", "--show-limits", "--process-slot-var=S"}, xargsOptions{delim: '\n', delimSet: true, showLimits: true, slotVar: "S", maxProcs: 1, command: []string{"echo"}}},
	} {
		got, err := parseXargs(c.args)
		if err != nil {
			t.Errorf("%q: %v", c.args, err)
			continue
		}
		if !reflect.DeepEqual(*got, c.want) {
			t.Errorf("%q:\n got %+v\nwant %+v", c.args, *got, c.want)
		}
	}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"-k"}, "invalid option -- 'k'"},
		{[]string{"--foo"}, "unrecognized option '--foo'"},
		{[]string{"--max"}, "option '--max' is ambiguous; possibilities: '--max-lines' '--max-args' '--max-chars' '--max-procs'"},
		{[]string{"-n"}, "option requires an argument -- 'n'"},
		{[]string{"--max-args"}, "option '--max-args' requires an argument"},
		{[]string{"--null=1"}, "option '--null' doesn't allow an argument"},
		{[]string{"-n", "abc"}, `invalid number "abc" for -n option`},
		{[]string{"-n0"}, "value 0 for -n option should be >= 1"},
		{[]string{"-P", "-1"}, "value -1 for -P option should be >= 0"},
		{[]string{"-d", "ab"}, `Invalid input delimiter specification ab: the delimiter must be either a single character or an escape sequence starting with \.`},
	} {
		_, err := parseXargs(c.args)
		if err == nil || !strings.Contains(describe(err), c.want) {
			t.Errorf("%q: error %v, want %q", c.args, err, c.want)
		}
	}
}

// -s counts the command and every argument with its NUL, as GNU does; the
// default is 128 KiB, and a larger -s than the system allows is lowered
// with GNU's warning.
func TestXargsChars(t *testing.T) {
	l := xargsLimits{env: 100, posix: 200000}
	if n, w := l.chars(0); n != 131072 || w != "" {
		t.Errorf("default: %d %q", n, w)
	}
	if n, w := l.chars(300000); n != 200000 || w != "value 300000 for -s option should be <= 200000" {
		t.Errorf("too large: %d %q", n, w)
	}
	o, _ := parseXargs([]string{"-s25", "echo", "a"})
	cfg, err := xargsConfig(o, 25, nil)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Records.XArgs != 25-len("echo\x00a\x00") || cfg.Records.Slots != 1 || cfg.Jobs != 1 || cfg.Records.Words == nil {
		t.Errorf("records %+v, jobs %d", cfg.Records, cfg.Jobs)
	}
	o, _ = parseXargs([]string{"-IR", "echo", "xRy", "R"})
	cfg, _ = xargsConfig(o, 100, nil)
	if cfg.Records.XArgs != 100-len("echo\x00xy\x00\x00") || cfg.Records.XArgsCost("abc") != 6 || cfg.Records.MaxArgs != 1 || !cfg.Records.Exact {
		t.Errorf("-I: records %+v", cfg.Records)
	}
}
