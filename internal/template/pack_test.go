package template

import (
	"io"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/parmap/parmap/internal/records"
)

// -X jobs packed by ArgCost under ArgRoom fit what the kernel passes, with
// the environment: every template shape (appended, {} alone, inside a word,
// used several times, a shell line with quoting, a line for a remote shell),
// with records that quoting makes longer.
func TestArgRoom(t *testing.T) {
	const limit, env = 300 << 10, 150 << 10 // a large environment: the room left is small
	rng := rand.New(rand.NewPCG(1, 2))
	hs := hostile() // none holds a NUL, the separator here
	var input strings.Builder
	for range 20000 {
		switch rng.IntN(4) {
		case 0:
			input.WriteString(hs[rng.IntN(len(hs))])
		case 1:
			input.WriteString(strings.Repeat("'", rng.IntN(20)))
		default:
			input.WriteString(strings.Repeat("x", rng.IntN(40)))
		}
		input.WriteByte(0)
	}
	for _, tt := range []struct {
		words []string
		line  bool
		ctx   bool // -X's context replace
	}{
		{[]string{"echo"}, false, false},
		{[]string{"echo", "{}"}, false, false},
		{[]string{"echo", "a{}b", "{}"}, false, false},
		{[]string{"echo", "{}", "{}", "{}", "x{}y{}z"}, false, false},
		{[]string{"echo {} | cat"}, false, false},
		{[]string{`echo "{}" '{}' x{}y "$(echo {})" | cat`}, false, false},
		{[]string{"echo `echo {}` | cat"}, false, false},
		{[]string{"echo"}, true, false},
		{[]string{"echo", "a{}b", "{}"}, true, false},
		{[]string{"echo {} | cat"}, true, false},
		{[]string{"echo", "a{}b", "{}"}, false, true},
		{[]string{"echo", "{}", "x{}y{}z{#}"}, false, true},
		{[]string{"echo", "a{}b", "{}"}, true, true},
		{[]string{"echo", "x{}y{}z{#}"}, true, true},
	} {
		tm, err := Parse(tt.words, Options{Context: tt.ctx})
		if err != nil {
			t.Fatal(err)
		}
		room := tm.ArgRoom(limit, env, tt.line)
		r, err := records.Open(nil, strings.NewReader(input.String()), records.Options{
			XArgs: room, XArgsCost: func(a string) int { return tm.ArgCost(a, tt.line) }})
		if err != nil {
			t.Fatal(err)
		}
		jobs := 0
		for {
			rec, err := r.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
			jobs++
			c, err := tm.Expand(&rec, 1)
			if err != nil {
				t.Fatalf("%q: job %d: %v", tt.words, jobs, err)
			}
			kernel := env + len("/usr/bin/") // the program's path, as found in PATH
			for _, a := range c.Argv {
				kernel += len(a) + 1 + ptrSize
			}
			if kernel > limit {
				t.Errorf("%q: job %d of %d records takes %d bytes of %d", tt.words, jobs, len(rec.Args), kernel, limit)
			}
			if tt.line && len(c.Line)+1000 > MaxArg { // 1000: exports and the guard
				t.Errorf("%q: job %d: the remote line is %d bytes", tt.words, jobs, len(c.Line))
			}
		}
		if jobs < 2 {
			t.Errorf("%q: %d jobs: the test packs nothing", tt.words, jobs)
		}
	}
}
