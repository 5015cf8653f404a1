package cmd

import (
	"math"
	"testing"

	"github.com/parmap/parmap/exchange"
)

// -j takes any whole number: one too large for an int is a bound like any
// other (config clamps it to what the system runs), not a crash or a usage
// error; so is a share of the CPUs too large to count.
func TestParseJobs(t *testing.T) {
	for _, tc := range []struct {
		text string
		cpus int
		want int
		bad  bool
	}{
		{text: "4", want: 4},
		{text: "0", want: 0},
		{text: "50%", cpus: 4, want: 2},
		{text: "1%", cpus: 4, want: 1},
		{text: "1000000000", want: 1_000_000_000},
		{text: "9223372036854775807", want: math.MaxInt},
		{text: "99999999999999999999999", want: math.MaxInt},
		{text: "1e30%", cpus: 2, want: math.MaxInt},
		{text: "+1", cpus: 2, want: 3},
		{text: "+0", cpus: 2, want: 2},
		{text: "-1", cpus: 2, want: 1},
		{text: "-5", cpus: 2, want: 1},
		{text: "+9223372036854775807", cpus: 2, want: math.MaxInt},
		{text: "-99999999999999999999999", bad: true},
		{text: "+", bad: true},
		{text: "+-1", bad: true},
		{text: "--1", bad: true},
		{text: "+x", bad: true},
		{text: "x", bad: true},
		{text: "0%", bad: true},
		{text: "NaN%", bad: true},
		{text: "Inf%", bad: true},
	} {
		j, err := parseJobs(tc.text)
		if (err != nil) != tc.bad {
			t.Errorf("-j %s: error %v", tc.text, err)
			continue
		}
		if got := j.of(tc.cpus); !tc.bad && got != tc.want {
			t.Errorf("-j %s of %d CPUs = %d, want %d", tc.text, tc.cpus, got, tc.want)
		}
	}
}

// The bound -j is clamped to is the kernel's, never above Linux's own
// PID_MAX_LIMIT, and it names where it comes from.
func TestMaxJobs(t *testing.T) {
	n, from := maxJobs()
	if n < 1 || n > pidMaxLimit || from == "" {
		t.Errorf("maxJobs = %d, %q", n, from)
	}
}

// GNU parallel's older --halt numbers and a bare N% stand for the policies
// its manual gives them.
func TestParseHaltGNU(t *testing.T) {
	for _, tc := range []struct{ text, want string }{
		{"0", "never"},
		{"1", "soon,fail=1"},
		{"2", "now,fail=1"},
		{"-1", "soon,success=1"},
		{"-2", "now,success=1"},
		{"20%", "soon,fail=20%"},
		{"now,done=3", "now,done=3"},
	} {
		got, err := parseHalt(tc.text)
		want, werr := exchange.ParseHalt(tc.want)
		if err != nil || werr != nil || got != want {
			t.Errorf("--halt %s = %+v, %v; want %+v (%s)", tc.text, got, err, want, tc.want)
		}
	}
	for _, bad := range []string{"3", "%", "x%", "soon"} {
		if _, err := parseHalt(bad); err == nil {
			t.Errorf("--halt %s: no error", bad)
		}
	}
}
