package template

import (
	"flag"
	"strings"
	"testing"
)

// FuzzShellQuote checks that a value stays literal in every context of the
// shapes: sh -c (and bash -c) of the expanded line prints exactly the bytes
// the shape expects.
func FuzzShellQuote(f *testing.F) {
	sh, bash := shells(f)
	// The nasty values seed the fuzzer. A plain go test runs only the
	// corpus in testdata: TestShellQuoteContexts checks the nasty values in
	// the same shapes and shells, batched, where the seeds would cost two
	// shell processes each.
	if fuzzing() {
		for _, v := range nasty {
			f.Add(v)
		}
	}
	f.Fuzz(func(t *testing.T, v string) {
		if strings.IndexByte(v, 0) >= 0 {
			t.Skip("exec cannot pass NUL")
		}
		if err := checkShapes(sh, shapes, v); err != nil {
			t.Fatal(err)
		}
		if bash != "" {
			if err := checkShapes(bash, append(shapes[:len(shapes):len(shapes)], bashShapes...), v); err != nil {
				t.Fatal(err)
			}
		}
	})
}

// fuzzing reports whether the test binary runs with -test.fuzz.
func fuzzing() bool {
	f := flag.Lookup("test.fuzz")
	return f != nil && f.Value.String() != ""
}
