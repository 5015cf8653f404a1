package template

import (
	"errors"
	"reflect"
	"testing"

	"github.com/parmap/parmap/internal/records"
)

// The expected values come from GNU parallel 20221122 --plus on the same
// records (see testscripts/testdata/gnu_plus.txtar).
func TestPlusStrings(t *testing.T) {
	plus := Options{Plus: true, Jobs: 3}
	tests := []struct {
		name  string
		words []string
		opt   Options
		rec   *records.Record
		want  []string
	}{
		{"paths", []string{"echo", "{..}", "{...}", "{/..}", "{/...}", "{+/}", "{+.}", "{+..}", "{+...}"}, plus, rec("dir/a.b.c.d"),
			[]string{"echo", "dir/a.b", "dir/a", "a.b", "a", "dir", "d", "c.d", "b.c.d"}},
		{"paths, two extensions", []string{"echo", "{..}", "{...}", "{/..}", "{/...}", "{+/}", "{+.}", "{+..}", "{+...}"}, plus, rec("a.tar.gz"),
			[]string{"echo", "a", "a.tar.gz", "a", "a.tar.gz", "", "gz", "tar.gz", ""}},
		{"paths, none", []string{"echo", "{..}", "{+/}", "{+.}", "{+..}"}, plus, rec("x"), []string{"echo", "x", "", "", ""}},
		{"positional", []string{"echo", "{2..}", "{2+.}", "{1+/}", "{2/...}"},
			plus, &records.Record{Seq: 1, Values: []string{"a/x.y.z", "b/p.q.r"}, Args: []string{"a/x.y.z", "b/p.q.r"}},
			[]string{"echo", "b/p", "r", "a", "p.q.r"}},
		{"total, padded seq and slot", []string{"echo", "{##}", "{0#}", "{0%}", "{slot}", "[{hgrp}{agrp}]"},
			plus, &records.Record{Seq: 7, Total: 120, Values: []string{"a"}, Args: []string{"a"}},
			[]string{"echo", "120", "007", "2", "2", "[]"}},
		{"host here", []string{"echo", "{host}", "{sshlogin}"}, plus, rec("a"), []string{"echo", ":", ":"}},
		{"{0%} pads to -j", []string{"echo", "{0%}"}, Options{Plus: true, Jobs: 12}, rec("a"), []string{"echo", "02"}},
		{"bash-like", []string{"echo", "{:-def}", "{:2}", "{:1:2}", "{#a.}", "{%.c}", "{%%.*}", "{/b/X}", "{//b/X}", "{/#a/X}", "{/%c/X}", "{^a}", "{^^b}"},
			plus, rec("abc.b.c"),
			[]string{"echo", "abc.b.c", "c.b.c", "bc", "c.b.c", "abc.b", "", "aXc.b.c", "aXc.X.c", "Xbc.b.c", "abc.b.X", "Abc.b.c", "aBc.B.c"}},
		{"bash-like, empty value", []string{"echo", "{:-def}", "{:2}", "{:1:2}"}, plus, rec(""), []string{"echo", "def", "", ""}},
		{"bash-like, perl's false 0", []string{"echo", "{:-def}"}, plus, rec("0"), []string{"echo", "def"}},
		{"shortest and longest", []string{"echo", "{#.*[.]}", "{##.*[.]}", "{%[.].*}", "{%%[.].*}", "{,,[AB]}", "{,A}"}, plus, rec("Ab.B.c"),
			[]string{"echo", "B.c", "c", "Ab.B", "Ab", "ab.b.c", "ab.B.c"}},
		{"the usual strings stay", []string{"echo", "{}", "{.}", "{/}", "{//}", "{#}", "{%}", "{/.}"}, plus, rec("d/x.y"),
			[]string{"echo", "d/x.y", "d/x", "x.y", "d", "1", "2", "x"}},
		{"without --plus they are text", []string{"echo", "{..}", "{+.}", "{##}", "{hgrp}"}, Options{}, rec("a.b.c"),
			[]string{"echo", "{..}", "{+.}", "{##}", "{hgrp}", "a.b.c"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tm, err := Parse(tt.words, tt.opt)
			if err != nil {
				t.Fatal(err)
			}
			cmd, err := tm.Expand(tt.rec, 2)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(cmd.Argv, tt.want) {
				t.Errorf("Argv = %q, want %q", cmd.Argv, tt.want)
			}
		})
	}
}

// In a shell line the --plus values are quoted like any other.
func TestPlusShellLine(t *testing.T) {
	tm, err := Parse([]string{`echo {+.} "{/..}" | cat`}, Options{Plus: true})
	if err != nil {
		t.Fatal(err)
	}
	cmd, err := tm.Expand(rec("d/a b.c.$(id)"), 1)
	if err != nil {
		t.Fatal(err)
	}
	if want := `echo '$(id)' "a b" | cat`; cmd.Line != want {
		t.Errorf("Line = %q, want %q", cmd.Line, want)
	}
}

func TestNeedsTotal(t *testing.T) {
	for words, want := range map[string]bool{"{##}": true, "x{0#}": true, "{#}": false, "{0%}": false} {
		tm, err := Parse([]string{"echo", words}, Options{Plus: true})
		if err != nil {
			t.Fatal(err)
		}
		if tm.NeedsTotal() != want {
			t.Errorf("%s: NeedsTotal = %v, want %v", words, !want, want)
		}
	}
	if tm, _ := Parse([]string{"echo", "{##}"}, Options{}); tm.NeedsTotal() {
		t.Error("{##} without --plus needs the total")
	}
}

func TestPerlExpression(t *testing.T) {
	for _, words := range [][]string{{"echo", "{=", "s/x/y/", "=}"}, {"echo {= s/x/y/ =}"}, {"echo", "a{=$_++=}b"}} {
		_, err := Parse(words, Options{})
		var pe *PerlError
		if !errors.As(err, &pe) {
			t.Fatalf("%q: err = %v, want a *PerlError", words, err)
		}
	}
	if _, err := Parse([]string{"awk", "{x=1} END {print x}"}, Options{}); err != nil {
		t.Errorf("awk: %v", err)
	}
}

func TestPlusBadPattern(t *testing.T) {
	_, err := Parse([]string{"echo", "{/a(/b}"}, Options{Plus: true})
	var pe *PlusError
	if !errors.As(err, &pe) {
		t.Fatalf("err = %v, want a *PlusError", err)
	}
	if _, err := Parse([]string{"echo", "{uniq}"}, Options{Plus: true}); !errors.As(err, &pe) {
		t.Errorf("{uniq}: err = %v, want a *PlusError", err)
	}
	if _, err := ParseText("{%(}", Options{Plus: true}); err == nil {
		t.Error("--tagstring with a bad pattern: no error")
	}
}

// -q: one word is the program, not a command line.
func TestLiteral(t *testing.T) {
	tm, err := Parse([]string{"echo a|cat {}"}, Options{Literal: true})
	if err != nil {
		t.Fatal(err)
	}
	cmd, _ := tm.Expand(rec("x"), 1)
	if want := []string{"echo a|cat x"}; !reflect.DeepEqual(cmd.Argv, want) {
		t.Errorf("Argv = %q, want %q", cmd.Argv, want)
	}
}
