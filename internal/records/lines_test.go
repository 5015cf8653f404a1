package records

import (
	"reflect"
	"strings"
	"testing"
)

// -L 2: a line ending in a blank continues on the next (GNU parallel,
// xargs); an empty line is a value; an unterminated continuation is one.
func TestContinuedLines(t *testing.T) {
	in := "a b\nc \nd\n\ne\t\nf\ng \n"
	r, err := Open(nil, strings.NewReader(in), Options{Delim: '\n', MaxArgs: 2, Continue: true})
	if err != nil {
		t.Fatal(err)
	}
	got, _ := readAll(t, r)
	want := []job{same("a b", "c d"), same("", "e\tf"), same("g ")}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got %q, want %q", got, want)
	}
}

// Without Continue, a trailing blank is kept and ends nothing.
func TestTrailingBlankWithoutContinue(t *testing.T) {
	r, err := Open(nil, strings.NewReader("a \nb\n"), DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	got, _ := readAll(t, r)
	if want := []job{one("a "), one("b")}; !reflect.DeepEqual(got, want) {
		t.Fatalf("got %q, want %q", got, want)
	}
}

// -N0: each job reads one record and inserts none.
func TestNoArgs(t *testing.T) {
	r, err := Open(nil, strings.NewReader("1\n2\n3\n"), Options{Delim: '\n', NoArgs: true})
	if err != nil {
		t.Fatal(err)
	}
	got, _ := readAll(t, r)
	if want := []job{{}, {}, {}}; !reflect.DeepEqual(got, want) {
		t.Fatalf("got %q, want %q", got, want)
	}
}

// SkipBlank (GNU parallel's -r): empty and all-blank values are skipped, in
// files and standard input as in ::: lists; other values keep their blanks.
func TestSkipBlank(t *testing.T) {
	r, err := Open([]Source{Stdin(), List([]string{"", "x", " \t"})}, strings.NewReader("a\n\n \t\f\n b\n"), Options{Delim: '\n', SkipBlank: true})
	if err != nil {
		t.Fatal(err)
	}
	got, _ := readAll(t, r)
	want := []job{same("a", "x"), same(" b", "x")}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got %q, want %q", got, want)
	}
}
