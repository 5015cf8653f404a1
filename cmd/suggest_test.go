package cmd

import "testing"

// An unknown long option is matched to the option meant when one is close:
// the only one it begins, else one or two edits away for a name long
// enough; never a guess for a name far from all of them.
func TestClosestOption(t *testing.T) {
	for _, tc := range []struct{ typed, want string }{
		{"keep-ordr", "keep-order"},
		{"jbos", "jobs"},       // a transposition is one edit
		{"tiemout", "timeout"}, // so is this one
		{"keep", "keep-order"},
		{"verbos", "verbose"},
		{"max-proc", "max-procs"},
		{"hepl", "help"},
		{"frobnicate", ""},
		{"x", ""},
		{"pip", "pipe"}, // the start of three, and one edit from --pipe
		{"no", "now"},   // the start of several, and one edit from --now
	} {
		got, ok := closestOption(tc.typed)
		if got != tc.want || ok != (tc.want != "") {
			t.Errorf("closestOption(%q) = %q, %v; want %q", tc.typed, got, ok, tc.want)
		}
	}
}
