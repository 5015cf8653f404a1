package main

import (
	"strings"
	"testing"
)

func TestParseExamples(t *testing.T) {
	all, err := parse(examplesText)
	if err != nil {
		t.Fatal(err)
	}
	names := map[string]bool{}
	for _, ex := range all {
		if names[ex.name] {
			t.Errorf("example %s twice", ex.name)
		}
		names[ex.name] = true
		if !strings.Contains(ex.command, "parallel") {
			t.Errorf("example %s runs no parallel: %q", ex.name, ex.command)
		}
		if len(ex.setup) == 0 {
			t.Errorf("example %s lacks the common setup", ex.name)
		}
	}
	if len(all) < 100 {
		t.Errorf("%d examples, want the manuals' (over 100)", len(all))
	}
}

func TestParseFormat(t *testing.T) {
	all, err := parse("$ common\n# comment\n== a\n$ own\n> parallel -k echo\n> ls\n== b\n> parallel echo\n== c\n> parallel -j1 echo\nunordered\nracy\n")
	if err != nil {
		t.Fatal(err)
	}
	want := []example{
		{name: "a", setup: []string{"common", "own"}, command: "parallel -k echo\nls", ordered: true},
		{name: "b", setup: []string{"common"}, command: "parallel echo"},
		{name: "c", setup: []string{"common"}, command: "parallel -j1 echo", racy: true},
	}
	if len(all) != len(want) {
		t.Fatalf("%d examples, want %d", len(all), len(want))
	}
	for i, ex := range all {
		w := want[i]
		if ex.name != w.name || strings.Join(ex.setup, ";") != strings.Join(w.setup, ";") || ex.command != w.command || ex.ordered != w.ordered || ex.racy != w.racy {
			t.Errorf("example %d: %+v, want %+v", i, ex, w)
		}
	}
	for _, bad := range []string{"> x\n", "== a\n", "== a\n> parallel\nwhat\n"} {
		if _, err := parse(bad); err == nil {
			t.Errorf("parse(%q) succeeded", bad)
		}
	}
}

func TestCompareHelpers(t *testing.T) {
	if got := sortLines("b\na\n"); got != "a\nb\n" {
		t.Errorf("sortLines: %q", got)
	}
	if got := firstDiff("a\nb\n", "a\nc\n"); got != `line 2: GNU "b", parallel personality "c"` {
		t.Errorf("firstDiff: %q", got)
	}
	if got := firstDiff("a\n", "a\n"); got != "" {
		t.Errorf("firstDiff of equal outputs: %q", got)
	}
}
