package cmd

import (
	"slices"
	"strings"
	"testing"
)

func TestSplitArgsSpellings(t *testing.T) {
	cases := []struct {
		args        []string
		gnuParallel bool
		options     []string // without the program name
		tail        []string
	}{
		// Unique abbreviations of long options, as Getopt::Long.
		{args: []string{"--keep-ord", "echo"}, options: []string{"--keep-order"}, tail: []string{"echo"}},
		{args: []string{"--will-ci", "echo"}, options: []string{"--will-cite"}, tail: []string{"echo"}},
		{args: []string{"--tagstr", "X", "echo"}, options: []string{"--tagstring=X"}, tail: []string{"echo"}},
		{args: []string{"--max-pro=3", "echo"}, options: []string{"--jobs=3"}, tail: []string{"echo"}},
		// An exact name wins over the longer names it begins.
		{args: []string{"--tag", "echo"}, options: []string{"--tag"}, tail: []string{"echo"}},
		{args: []string{"--j", "2", "--k", "echo"}, options: []string{"--jobs=2", "--keep-order"}, tail: []string{"echo"}},
		// Every spelling of one option is written the same way, so the
		// last wins.
		{args: []string{"-j", "2", "--jobs", "3", "-P4", "echo"}, options: []string{"--jobs=2", "--jobs=3", "--jobs=4"}, tail: []string{"echo"}},
		{args: []string{"-kv0", "echo"}, options: []string{"--keep-order", "--v", "--null"}, tail: []string{"echo"}},
		// --replace's value is optional.
		{args: []string{"--replace", "echo", "{}"}, options: []string{"--replace={}"}, tail: []string{"echo", "{}"}},
		{args: []string{"--replace=%", "echo", "%"}, options: []string{"--replace=%"}, tail: []string{"echo", "%"}},
		{args: []string{"-i", "echo"}, options: []string{"--replace={}"}, tail: []string{"echo"}},
		{args: []string{"-i%", "echo"}, options: []string{"--replace=%"}, tail: []string{"echo"}},
		{args: []string{"-I", "%", "echo"}, options: []string{"--replace=%"}, tail: []string{"echo"}},
		// Under GNU parallel's rules it takes the next word unless that is
		// an option.
		{args: []string{"--replace", "%", "echo"}, gnuParallel: true, options: []string{"--replace=%"}, tail: []string{"echo"}},
		{args: []string{"--replace", "-k", "echo"}, gnuParallel: true, options: []string{"--replace={}", "--keep-order"}, tail: []string{"echo"}},
		{args: []string{"-i", "%", "echo"}, gnuParallel: true, options: []string{"--replace=%"}, tail: []string{"echo"}},
		{args: []string{"--replace"}, gnuParallel: true, options: []string{"--replace={}"}, tail: []string{}},
		// A bad boolean is left to the cli parser, named.
		{args: []string{"--keep-o=yes", "echo"}, options: []string{"--keep-order=yes"}, tail: []string{"echo"}},
	}
	for _, c := range cases {
		options, tail, err := splitArgs(append([]string{"parmap"}, c.args...), c.gnuParallel)
		if err != nil {
			t.Errorf("%q: %v", c.args, err)
			continue
		}
		if !slices.Equal(options[1:], c.options) || !slices.Equal(tail, c.tail) {
			t.Errorf("%q (parallel %v): options %q tail %q, want %q %q", c.args, c.gnuParallel, options[1:], tail, c.options, c.tail)
		}
	}
}

func TestSplitArgsErrors(t *testing.T) {
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"--ta", "echo"}, "option --ta is ambiguous: it begins --tag, --tagstring; give more of the name"},
		{[]string{"--jo", "2"}, "option --jo is ambiguous: it begins --jobs, --jobserver, --joblog; give more of the name"},
		{[]string{"--keep-ordr"}, "unknown option --keep-ordr; did you mean --keep-order?"},
		{[]string{"--tagstr"}, "option --tagstr needs a value (see parmap --help)"},
		{[]string{"-j"}, "option -j needs a value (see parmap --help)"},
		{[]string{"-y"}, "unknown option -y (see parmap --help)"},
	}
	for _, c := range cases {
		_, _, err := splitArgs(append([]string{"parmap"}, c.args...), false)
		if err == nil || describe(err) != c.want {
			t.Errorf("%q: error %v, want %q", c.args, err, c.want)
		}
	}
}

func TestWithParallelEnv(t *testing.T) {
	options, tail, err := splitArgs([]string{"parallel", "-j3", "echo", ":::", "a"}, true)
	if err != nil {
		t.Fatal(err)
	}
	options, tail, err = withParallelEnv(`-j1 --tagstring 'x y' nice`, options, tail)
	if err != nil {
		t.Fatal(err)
	}
	// $PARALLEL's options come first (the command line's win), its other
	// words go before the command.
	if want := []string{"parallel", "--jobs=1", "--tagstring=x y", "--jobs=3"}; !slices.Equal(options, want) {
		t.Errorf("options %q, want %q", options, want)
	}
	if want := []string{"nice", "echo", ":::", "a"}; !slices.Equal(tail, want) {
		t.Errorf("tail %q, want %q", tail, want)
	}
	if _, _, err := withParallelEnv("--bogus", []string{"parallel"}, nil); err == nil || !strings.HasPrefix(describe(err), "$PARALLEL: unknown option --bogus") {
		t.Errorf("bad $PARALLEL: %v", err)
	}
}

func TestProgramName(t *testing.T) {
	for arg0, want := range map[string]string{"/usr/local/bin/parallel": "parallel", "parallel": "parallel", "parmap": "parmap", "/x/parallel.sh": "parmap", "./parmap": "parmap"} {
		if got := programName(arg0); got != want {
			t.Errorf("programName(%q) = %q, want %q", arg0, got, want)
		}
	}
	if got := renamed("parallel", "parmap: job 1 failed"); got != "parallel: job 1 failed" {
		t.Errorf("renamed: %q", got)
	}
}

func TestShellCommand(t *testing.T) {
	if got := shellCommand([]string{"echo", "{}", ">", "out.{}"}); !slices.Equal(got, []string{"echo {} > out.{}"}) {
		t.Errorf("shellCommand: %q", got)
	}
	if got := shellCommand([]string{"echo {}"}); !slices.Equal(got, []string{"echo {}"}) {
		t.Errorf("shellCommand of one word: %q", got)
	}
}

func TestSourceSeps(t *testing.T) {
	def := sourceSeps("", "")
	custom := sourceSeps(",,", "//")
	for word, want := range map[string][2]string{
		":::": {":::", ""}, ":::+": {":::+", ""}, "::::": {"::::", ""}, "::::+": {"::::+", ""},
		",,": {"", ":::"}, ",,+": {"", ":::+"}, "//": {"", "::::"}, "//+": {"", "::::+"}, "echo": {"", ""},
	} {
		if got := def(word); got != want[0] {
			t.Errorf("default separators: %q is %q, want %q", word, got, want[0])
		}
		if got := custom(word); got != want[1] {
			t.Errorf("--arg-sep ,, --arg-file-sep //: %q is %q, want %q", word, got, want[1])
		}
	}
}

func TestParallelShell(t *testing.T) {
	cases := []struct {
		env  map[string]string
		want string
	}{
		{map[string]string{}, "/bin/sh"},
		{map[string]string{"SHELL": "/bin/bash"}, "/bin/bash"},
		{map[string]string{"SHELL": "/usr/bin/fish"}, "/bin/sh"},
		{map[string]string{"SHELL": "bash"}, "/bin/sh"},
		{map[string]string{"SHELL": "/bin/bash", "PARALLEL_SHELL": "/bin/zsh"}, "/bin/zsh"},
		{map[string]string{"SHELL": "/bin/dash", "PARALLEL_SHELL": "/bin/csh"}, "/bin/dash"},
	}
	for _, c := range cases {
		if got := parallelShell(func(k string) string { return c.env[k] }); got != c.want {
			t.Errorf("%v: %q, want %q", c.env, got, c.want)
		}
	}
}
