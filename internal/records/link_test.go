package records

import (
	"errors"
	"reflect"
	"regexp"
	"strings"
	"testing"
)

// Linked sources (:::+, ::::+) pair up with the source before them; the
// groups so made combine as a product, as GNU parallel 20221122 does.
func TestLinkedSources(t *testing.T) {
	l := func(s string) Source { return List(strs(s)) }
	tests := []struct {
		name    string
		sources []Source
		stdin   string
		link    bool
		want    []job
	}{
		{"two linked", []Source{l("a b"), l("1 2").Linked()}, "", false,
			[]job{same("a", "1"), same("b", "2")}},
		{"linked pair, then a product", []Source{l("a b"), l("1 2").Linked(), l("x y")}, "", false,
			[]job{same("a", "1", "x"), same("a", "1", "y"), same("b", "2", "x"), same("b", "2", "y")}},
		{"a product, then a linked pair", []Source{l("a b"), l("1 2"), l("x y").Linked()}, "", false,
			[]job{same("a", "1", "x"), same("a", "2", "y"), same("b", "1", "x"), same("b", "2", "y")}},
		{"two linked pairs", []Source{l("a b"), l("1 2").Linked(), l("x y"), l("X Y").Linked()}, "", false,
			[]job{same("a", "1", "x", "X"), same("a", "1", "y", "Y"), same("b", "2", "x", "X"), same("b", "2", "y", "Y")}},
		{"the shortest of the first group wins", []Source{l("a b c"), l("1 2").Linked(), l("x y")}, "", false,
			[]job{same("a", "1", "x"), same("a", "1", "y"), same("b", "2", "x"), same("b", "2", "y")}},
		{"the shortest of a later group wins", []Source{l("x y"), l("a b c"), l("1 2").Linked()}, "", false,
			[]job{same("x", "a", "1"), same("x", "b", "2"), same("y", "a", "1"), same("y", "b", "2")}},
		{"an empty linked source empties the product", []Source{l("x y"), l("a b"), l("").Linked()}, "", false, nil},
		{"the first source linked to nothing", []Source{l("a b").Linked(), l("1 2")}, "", false,
			[]job{same("a", "1"), same("a", "2"), same("b", "1"), same("b", "2")}},
		{"three linked", []Source{l("a b"), l("1 2").Linked(), l("x y").Linked()}, "", false,
			[]job{same("a", "1", "x"), same("b", "2", "y")}},
		{"stdin linked", []Source{l("a b c"), Stdin().Linked()}, "1\n2\n", false,
			[]job{same("a", "1"), same("b", "2")}},
		{"--link links every source", []Source{l("a b c"), l("1 2").Linked(), l("x y z")}, "", true,
			[]job{same("a", "1", "x"), same("b", "2", "y")}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := DefaultOptions()
			o.Link = tt.link
			r, err := Open(tt.sources, strings.NewReader(tt.stdin), o)
			if err != nil {
				t.Fatal(err)
			}
			got, _ := readAll(t, r)
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got  %q\nwant %q", got, tt.want)
			}
		})
	}
}

// With --header :, a linked source gives its first value as a name too.
func TestLinkedHeader(t *testing.T) {
	o := DefaultOptions()
	o.Header = true
	r, err := Open([]Source{List(strs("x a b")), List(strs("y 1 2")).Linked()}, nil, o)
	if err != nil {
		t.Fatal(err)
	}
	got, recs := readAll(t, r)
	if want := []job{same("a", "1"), same("b", "2")}; !reflect.DeepEqual(got, want) {
		t.Errorf("got  %q\nwant %q", got, want)
	}
	if want := strs("x y"); !reflect.DeepEqual(recs[0].Names, want) {
		t.Errorf("Names = %q, want %q", recs[0].Names, want)
	}
}

// With Header, CheckNames gets the names before any record, and its error
// is Next's.
func TestHeaderCheckNames(t *testing.T) {
	o := DefaultOptions()
	o.Header = true
	o.ColSep = regexp.MustCompile(",")
	bad := errors.New("bad name")
	var got []string
	o.CheckNames = func(names []string) error {
		got = names
		return bad
	}
	r, err := Open(nil, strings.NewReader("name,age\nbob,4\n"), o)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.Next(); err != bad {
		t.Fatalf("Next: %v, want %v", err, bad)
	}
	if want := strs("name age"); !reflect.DeepEqual(got, want) {
		t.Fatalf("CheckNames got %q, want %q", got, want)
	}
	if _, err := r.Next(); err != bad {
		t.Fatalf("second Next: %v, want %v", err, bad)
	}
}
