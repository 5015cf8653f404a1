package cmd

import (
	"io"
	"reflect"
	"strings"
	"testing"

	"github.com/parmap/parmap/internal/blocks"
	"github.com/parmap/parmap/internal/engine"
)

// configOf returns the configuration the arguments (after "parmap") make,
// or the one-line error they get.
func configOf(t *testing.T, args ...string) (*engine.Config, string) {
	t.Helper()
	inv, err := parseInvocation(args)
	if err != nil {
		return nil, oneLine(describe(err))
	}
	return inv.cfg, ""
}

// parseInvocation parses the arguments (after "parmap") as run does, and
// returns what they would run.
func parseInvocation(args []string) (*invocation, error) {
	var got *invocation
	app := newApp(io.Discard, io.Discard, func(inv *invocation) { got = inv })
	cliArgs, tail, err := splitArgs(append([]string{"parmap"}, args...), false)
	if err == nil {
		app.Metadata = map[string]any{"tail": tail}
		err = app.Run(cliArgs)
	}
	return got, err
}

func TestRecordCountOptions(t *testing.T) {
	for _, tc := range []struct {
		args              []string
		maxArgs           int
		noArgs, continued bool
	}{
		{[]string{"-N2", "echo"}, 2, false, false},
		{[]string{"--max-replace-args", "3", "echo"}, 3, false, false},
		{[]string{"-N0", "echo"}, 1, true, false},
		{[]string{"-L2", "echo"}, 2, false, true},
		{[]string{"--max-lines=4", "echo"}, 4, false, true},
		{[]string{"-l", "echo"}, 1, false, true},
		{[]string{"-l3", "echo"}, 3, false, true},
		{[]string{"-L2", "-N3", "echo"}, 3, false, true},
		{[]string{"-L3", "-n2", "echo"}, 2, false, true}, // -n counts, as GNU's
		{[]string{"--max-lines", "echo"}, 1, false, true},
		{[]string{"--maxlines", "2", "echo"}, 2, false, true},
		{[]string{"--maxreplaceargs", "2", "echo"}, 2, false, false},
	} {
		cfg, msg := configOf(t, tc.args...)
		if msg != "" {
			t.Fatalf("%q: %s", tc.args, msg)
		}
		r := cfg.Records
		if r.MaxArgs != tc.maxArgs || r.NoArgs != tc.noArgs || r.Continue != tc.continued {
			t.Errorf("%q: MaxArgs %d NoArgs %v Continue %v", tc.args, r.MaxArgs, r.NoArgs, r.Continue)
		}
	}
}

func TestPipeBoundsOptions(t *testing.T) {
	for _, tc := range []struct {
		args   []string
		bounds *blocks.Bounds
		delim  byte
	}{
		{[]string{"--pipe", "cat"}, nil, '\n'},
		{[]string{"--pipe", "--recend", ";", "cat"}, nil, ';'},
		{[]string{"--pipe", "--recend", "--\n", "cat"}, &blocks.Bounds{End: "--\n"}, '\n'},
		{[]string{"--pipe", "--recstart", ">", "cat"}, &blocks.Bounds{Start: ">"}, '\n'},
		{[]string{"--pipe", "--recend", `\t\n\\x\q`, "cat"}, &blocks.Bounds{End: "\t\n\\x\\q"}, '\n'},
		{[]string{"--pipe", "--regexp", "--recend", `\n`, "cat"}, &blocks.Bounds{End: `\n`, Regexp: true}, '\n'},
		{[]string{"--pipe", "--recstart", ">", "--recend", "\n", "cat"}, &blocks.Bounds{End: "\n", Start: ">"}, '\n'},
		{[]string{"--pipe", "-N2", "cat"}, &blocks.Bounds{End: "\n", Count: 2}, '\n'},
		{[]string{"--pipe", "-N0", "cat"}, nil, '\n'},
		{[]string{"--pipe", "-L3", "cat"}, &blocks.Bounds{End: "\n", Group: 3}, '\n'},
		{[]string{"--pipe", "-0", "-N2", "cat"}, &blocks.Bounds{End: "\x00", Count: 2}, 0},
	} {
		cfg, msg := configOf(t, tc.args...)
		if msg != "" {
			t.Fatalf("%q: %s", tc.args, msg)
		}
		if !reflect.DeepEqual(cfg.Pipe.Bounds, tc.bounds) || cfg.Records.Delim != tc.delim {
			t.Errorf("%q: bounds %+v delim %q", tc.args, cfg.Pipe.Bounds, cfg.Records.Delim)
		}
	}
	cfg, _ := configOf(t, "--pipepart", "-a", "/etc/passwd", "--recstart", ">", "cat")
	if want := (&blocks.Bounds{Start: ">"}); !reflect.DeepEqual(cfg.Pipe.Bounds, want) {
		t.Errorf("--pipepart --recstart: bounds %+v", cfg.Pipe.Bounds)
	}
	if _, msg := configOf(t, "--pipepart", "-a", "/etc/passwd", "-L2", "cat"); msg != "--pipepart cuts blocks at fixed strings by size; --regexp, -N and -L need --pipe" {
		t.Errorf("--pipepart -L: %q", msg)
	}
	cfg, _ = configOf(t, "--pipe", "--round-robin", "-j3", "cat")
	if !cfg.Pipe.RoundRobin {
		t.Error("--round-robin not set")
	}
}

func TestPipeOptionErrors(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"-n2", "-N2", "echo"}, "-n and -N both set the records per job; pick one"},
		{[]string{"--recstart", "x", "echo"}, "--recstart only applies to --pipe and --pipepart blocks; add --pipe"},
		{[]string{"--round-robin", "echo"}, "--round-robin only applies to --pipe and --pipepart blocks; add --pipe"},
		{[]string{"--pipe", "--recend", "", "-L2", "cat"}, "with --recend '' there are no records to count; drop -N and -L"},
		{[]string{"--pipepart", "-a", "config_records_test.go", "--recend", "", "cat"}, "--pipepart cuts its file at record ends"},
		{[]string{"--pipe", "-d", ",", "--recend", ";", "cat"}, "--recend and -d/-0 both say where records end; pick one"},
		{[]string{"--pipe", "--round-robin", "-j0", "cat"}, "--round-robin needs a number of jobs"},
		{[]string{"--pipe", "--round-robin", "--retries", "2", "cat"}, "--round-robin and --retries exclude each other"},
		{[]string{"--pipe", "--round-robin", "-S", ":", "cat"}, "--round-robin runs its -j jobs on this machine, all at once"},
		{[]string{"--pipepart", "-a", "/etc/passwd", "--round-robin", "cat"}, "--round-robin deals --pipe blocks to running jobs; use --pipe, not --pipepart"},
		{[]string{"--pipe", "--regexp", "--recend", "x*", "cat"}, `--recend "x*" matches the empty string`},
		{[]string{"--reuse", "-j1", "-L2", "cat"}, "--reuse sends one record at a time; drop -N and -L"},
		{[]string{"--files", "--line-buffer", "echo"}, "--files saves each job's whole output"},
		{[]string{"--files", "--results", "r.tsv", "echo"}, "--files, --json and --results FILE.tsv each replace the output"},
		{[]string{"--json", "--results", "r.json", "echo"}, "--json and --results r.json each replace the output"},
	} {
		_, msg := configOf(t, tc.args...)
		if !strings.HasPrefix(msg, tc.want) {
			t.Errorf("%q: %q, want %q…", tc.args, msg, tc.want)
		}
	}
}
