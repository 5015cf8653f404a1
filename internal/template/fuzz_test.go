package template

import (
	"strings"
	"testing"
)

// FuzzShellQuote checks that a value stays literal in every context of the
// shapes: sh -c (and bash -c) of the expanded line prints exactly the bytes
// the shape expects.
func FuzzShellQuote(f *testing.F) {
	sh, bash := shells(f)
	for _, v := range nasty {
		f.Add(v)
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
