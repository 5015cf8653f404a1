package slurm

import (
	"bytes"
	"errors"
	"math/rand/v2"
	"strings"
	"testing"
)

// Lines srun 22.05 printed on the test bed (TESTBEDS.md, gotcha 2, and the
// runs in cluster_test.go).
var dropped = []string{
	"srun: Job 7 step creation temporarily disabled, retrying (Requested nodes are busy)",
	"srun: Job 27 step creation still disabled, retrying (Requested nodes are busy)",
	"srun: Job 12345 step creation temporarily disabled, retrying",
	"srun: Step created for job 7",
	"srun: error: localhost: task 0: Exited with exit code 3",
	"srun: error: node-17: task 0: Exited with exit code 255",
	"srun: Force Terminated StepId=2.8",
}

var kept = []string{
	"hello",
	"",
	"srun: error: localhost: task 0: Killed",
	"srun: error: localhost: task 0: Terminated",
	"slurmstepd-localhost: error: *** STEP 447.0 ON localhost CANCELLED AT 2026-11-22T10:00:00 ***",
	"srun: Cancelled pending job step with signal 15",
	"srun: error: Unable to create step for job 53: Job/step already completing or completed",
	"srun: interrupt (one more within 1 sec to abort)",
	"  srun: Step created for job 7",
	"srun: Step created for job 7 and more",
	"my srun: Job 7 step creation temporarily disabled, retrying (Requested nodes are busy)",
	"sr",
	"srun:",
	"srun: ",
}

func TestFilter(t *testing.T) {
	var in, want strings.Builder
	for i := 0; i < 3; i++ {
		for j, l := range kept {
			in.WriteString(l + "\n")
			want.WriteString(l + "\n")
			d := dropped[(i+j)%len(dropped)]
			in.WriteString(d + "\n")
			if j%3 == 0 {
				in.WriteString(d + "\r\n")
			}
		}
	}
	in.WriteString("tail without newline")
	want.WriteString("tail without newline")

	// Whole, then byte by byte, then in random pieces: same result.
	r := rand.New(rand.NewPCG(1, 2))
	for _, split := range []func() int{
		func() int { return in.Len() },
		func() int { return 1 },
		func() int { return 1 + r.IntN(40) },
	} {
		var out bytes.Buffer
		f := NewFilter(&out)
		s := in.String()
		for len(s) > 0 {
			n := min(split(), len(s))
			if m, err := f.Write([]byte(s[:n])); m != n || err != nil {
				t.Fatalf("Write = %d, %v; want %d, nil", m, err, n)
			}
			s = s[n:]
		}
		if err := f.Flush(); err != nil {
			t.Fatal(err)
		}
		if out.String() != want.String() {
			t.Errorf("filtered:\n%s\nwant:\n%s", out.String(), want.String())
		}
	}
}

// Output that cannot be chatter is passed on at once, even without "\n";
// a line that may be chatter waits for its end.
func TestFilterPassesAtOnce(t *testing.T) {
	var out bytes.Buffer
	f := NewFilter(&out)
	step := func(in, want string) {
		t.Helper()
		f.Write([]byte(in))
		if out.String() != want {
			t.Fatalf("after %q: out = %q, want %q", in, out.String(), want)
		}
	}
	step("50%", "50%")
	step(" srun: Step created for job 1\n", "50% srun: Step created for job 1\n")
	step("srun: Step crea", "50% srun: Step created for job 1\n")
	step("ted for job 2\n", "50% srun: Step created for job 1\n")
	step("srun: not chatter yet", "50% srun: Step created for job 1\n")
	step("\n", "50% srun: Step created for job 1\nsrun: not chatter yet\n")
	step("sr", "50% srun: Step created for job 1\nsrun: not chatter yet\n")
	step("x", "50% srun: Step created for job 1\nsrun: not chatter yet\nsrx")
	step(strings.Repeat("y", 10)+"\nsrun: Step created for job 3", "50% srun: Step created for job 1\nsrun: not chatter yet\nsrx"+strings.Repeat("y", 10)+"\n")
	if err := f.Flush(); err != nil || strings.Contains(out.String(), "job 3") {
		t.Errorf("Flush kept chatter: %q, %v", out.String(), err)
	}
}

type failWriter struct{}

func (failWriter) Write([]byte) (int, error) { return 0, errors.New("disk full") }

func TestFilterWriteError(t *testing.T) {
	f := NewFilter(failWriter{})
	if _, err := f.Write([]byte("out\n")); err == nil {
		t.Error("Write hid W's error")
	}
	if _, err := f.Write([]byte("srun: x\n")); err == nil {
		t.Error("Write hid W's error on a held line")
	}
}
