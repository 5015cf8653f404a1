package cmd

import (
	"reflect"
	"testing"

	"github.com/parmap/parmap/internal/records"
)

// invocationOf returns the configuration parmap args would run.
func invocationOf(t *testing.T, args ...string) *invocation {
	t.Helper()
	inv, err := parseInvocation(args)
	if err != nil {
		t.Fatalf("%q: %v", args, err)
	}
	return inv
}

func TestCompatRecords(t *testing.T) {
	for _, tt := range []struct {
		args []string
		trim records.Trim
		eof  string
		shuf bool
		all  bool
		x    bool
	}{
		{args: []string{"echo"}},
		{args: []string{"--colsep", ",", "echo"}, trim: records.TrimBoth},
		{args: []string{"--colsep", ",", "--trim", "n", "echo"}},
		{args: []string{"--trim", "rl", "echo"}, trim: records.TrimBoth},
		{args: []string{"--trim", "r", "echo"}, trim: records.TrimRight},
		{args: []string{"--header", ":", "echo"}},
		{args: []string{"-E", "STOP", "echo"}, eof: "STOP"},
		{args: []string{"--eof=", "echo"}},
		{args: []string{"--shuf", "echo"}, shuf: true},
		{args: []string{"--plus", "echo", "{0#}"}, all: true},
		{args: []string{"--plus", "--tagstring", "{##}", "echo"}, all: true},
		{args: []string{"echo", "{##}"}},
		{args: []string{"-m", "echo"}, x: true},
	} {
		o := invocationOf(t, tt.args...).cfg.Records
		if o.Trim != tt.trim || o.EOF != tt.eof || o.Shuffle != tt.shuf || o.ReadAll != tt.all || (o.XArgs > 0) != tt.x {
			t.Errorf("%q: Trim %d, EOF %q, Shuffle %v, ReadAll %v, XArgs %d", tt.args, o.Trim, o.EOF, o.Shuffle, o.ReadAll, o.XArgs)
		}
	}
}

// -m packs like -X without repeating the word; -q keeps one word whole.
func TestCompatTemplate(t *testing.T) {
	rec := &records.Record{Seq: 1, Values: []string{"1", "2"}, Args: []string{"1", "2"}}
	for _, tt := range []struct {
		args []string
		want []string
	}{
		{[]string{"-m", "echo", "a{}b"}, []string{"echo", "a1 2b"}},
		{[]string{"-X", "echo", "a{}b"}, []string{"echo", "a1b", "a2b"}},
		{[]string{"-q", "echo a; b"}, []string{"echo a; b", "1", "2"}},
		{[]string{"--quote", "--plus", "echo", "{2+.}x"}, []string{"echo", "x"}},
	} {
		cmd, err := invocationOf(t, tt.args...).cfg.Template.Expand(rec, 1)
		if err != nil || !reflect.DeepEqual(cmd.Argv, tt.want) {
			t.Errorf("%q: Argv %q, %v; want %q", tt.args, cmd.Argv, err, tt.want)
		}
	}
}

// --env takes the variables' values from the environment for the -S hosts;
// an unset one is left out, _ names none.
func TestCompatEnv(t *testing.T) {
	t.Setenv("PM_A", "a b")
	t.Setenv("PM_B", "")
	inv := invocationOf(t, "-S", "host1", "--env", "PM_A,PM_UNSET", "--env", "PM_B", "--env", "_", "echo")
	if want := []string{"PM_A=a b", "PM_B="}; !reflect.DeepEqual(inv.cfg.Hosts.Env, want) {
		t.Errorf("Hosts.Env = %q, want %q", inv.cfg.Hosts.Env, want)
	}
	if inv := invocationOf(t, "--env", "PM_A", "echo"); inv.cfg.Hosts != nil {
		t.Error("--env without -S made hosts")
	}
}

func TestCompatErrors(t *testing.T) {
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"--trim", "lrx", "echo"}, `--trim "lrx": give l (left), r (right), lr or rl (both sides), or n (none)`},
		{[]string{"--env", "A=B", "echo"}, `--env "A=B": give the names of environment variables, comma-separated, e.g. --env PATH,HOME`},
		{[]string{"--pipe", "--shuf", "cat"}, "--shuf runs records in a random order; --pipe blocks are cut as the input comes, drop one of them"},
		{[]string{"--pipe", "--plus", "echo", "{##}"}, "{##} and {0#} need the number of jobs, which --pipe cannot know before the input ends; use {#}"},
		{[]string{"echo", "{=", "$_++", "=}"}, `{= $_++ =} is a perl expression, which parmap does not run; use a shell command line instead, e.g. 'v={}; echo "${v/x/y}"'`},
		{[]string{"--plus", "-S", "h", "echo", "{host}"}, "{host} and {sshlogin} are known only for jobs run here (:), not on -S hosts; use $(hostname) in a shell command line"},
		{[]string{"--plus", "echo", "{choose_k}"}, "{choose_k} skips jobs by a perl expression, which parmap does not run; filter the records before parmap instead"},
		{[]string{"--plus", "echo", "{%(}"}, `{%(}: "(" is not a regular expression Go reads (parmap uses RE2, not perl)`},
	} {
		status, stderr := runCaptured(t, tt.args...)
		if want := "parmap: " + tt.want + "\n"; status != exitError || stderr != want {
			t.Errorf("%q: status %d, stderr %q; want %q", tt.args, status, stderr, want)
		}
	}
}
