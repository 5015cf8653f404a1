package records

import (
	"reflect"
	"regexp"
	"strings"
	"testing"
)

func TestRecords(t *testing.T) {
	nl := DefaultOptions()
	with := func(f func(*Options)) Options {
		o := DefaultOptions()
		f(&o)
		return o
	}
	tab := regexp.MustCompile(`\t`)
	comma := regexp.MustCompile(`,`)
	tests := []struct {
		name    string
		sources []Source // nil: standard input
		stdin   string
		opt     Options
		want    []job
	}{
		{"stdin lines", nil, "a\nb\nc\n", nl, []job{one("a"), one("b"), one("c")}},
		{"unterminated last record", nil, "a\nb", nl, []job{one("a"), one("b")}},
		{"empty input", nil, "", nl, nil},
		{"empty lines are empty records", nil, "a\n\n\nb\n", nl, []job{one("a"), one(""), one(""), one("b")}},
		{"one empty line", nil, "\n", nl, []job{one("")}},
		{"trailing CR kept", nil, "a\r\nb\r\n", nl, []job{one("a\r"), one("b\r")}},
		{"strip-cr drops one CR", nil, "a\r\nb\r\r\nc\r", with(func(o *Options) { o.StripCR = true }),
			[]job{one("a"), one("b\r"), one("c")}},
		{"-0", nil, "a\nb\x00c\x00", Options{Delim: 0}, []job{one("a\nb"), one("c")}},
		{"-0 unterminated", nil, "a\x00b", Options{Delim: 0}, []job{one("a"), one("b")}},
		{"-d ,", nil, "a,b,,c\n", Options{Delim: ','}, []job{one("a"), one("b"), one(""), one("c\n")}},
		{"invalid UTF-8 passes", nil, "\xff\xfe\n\xc3\n\xed\xa0\x80\n", nl,
			[]job{one("\xff\xfe"), one("\xc3"), one("\xed\xa0\x80")}},
		{"NUL with -d newline", nil, "a\x00b\n\x00\n", nl, []job{one("a\x00b"), one("\x00")}},
		{"list", []Source{List(strs("x y z"))}, "", nl, []job{one("x"), one("y"), one("z")}},
		{"empty list", []Source{List(nil)}, "", nl, nil},
		{"stdin as -", []Source{File("-")}, "p\nq\n", nl, []job{one("p"), one("q")}},
		{"product of two", []Source{List(strs("a b")), List(strs("1 2"))}, "", nl,
			[]job{same("a", "1"), same("a", "2"), same("b", "1"), same("b", "2")}},
		{"product of three", []Source{List(strs("a b")), List(strs("1 2")), List(strs("x y"))}, "", nl,
			[]job{
				same("a", "1", "x"), same("a", "1", "y"), same("a", "2", "x"), same("a", "2", "y"),
				same("b", "1", "x"), same("b", "1", "y"), same("b", "2", "x"), same("b", "2", "y"),
			}},
		{"product stdin outermost", []Source{Stdin(), List(strs("1 2"))}, "a\nb\n", nl,
			[]job{same("a", "1"), same("a", "2"), same("b", "1"), same("b", "2")}},
		{"product stdin inner", []Source{List(strs("1 2")), Stdin()}, "a\nb\n", nl,
			[]job{same("1", "a"), same("1", "b"), same("2", "a"), same("2", "b")}},
		{"product with an empty factor", []Source{List(strs("a b")), List(nil)}, "", nl, nil},
		{"link: shortest wins", []Source{List(strs("a b c")), List(strs("1 2")), List(strs("x y z w"))}, "",
			with(func(o *Options) { o.Link = true }),
			[]job{same("a", "1", "x"), same("b", "2", "y")}},
		{"link with stdin", []Source{Stdin(), List(strs("1 2 3"))}, "a\nb\n", with(func(o *Options) { o.Link = true }),
			[]job{same("a", "1"), same("b", "2")}},
		{"colsep", nil, "a\tb\nc\n\n", with(func(o *Options) { o.ColSep = tab }),
			[]job{{V: strs("a b"), A: []string{"a\tb"}}, one("c"), one("")}},
		{"colsep over sources", []Source{List([]string{"a,b"}), List([]string{"1,2,3"})}, "",
			with(func(o *Options) { o.ColSep = comma }),
			[]job{{V: strs("a b 1 2 3"), A: []string{"a,b", "1,2,3"}}}},
		{"-n 2", nil, "a\nb\nc\nd\ne\n", with(func(o *Options) { o.MaxArgs = 2 }),
			[]job{same("a", "b"), same("c", "d"), same("e")}},
		{"-n 1 is one", nil, "a\nb\n", with(func(o *Options) { o.MaxArgs = 1 }), []job{one("a"), one("b")}},
		{"-n 3 exact", nil, "a\nb\nc\n", with(func(o *Options) { o.MaxArgs = 3 }), []job{same("a", "b", "c")}},
		{"-n with colsep", nil, "a,b\nc,d\ne\n", with(func(o *Options) { o.MaxArgs = 2; o.ColSep = comma }),
			[]job{{V: strs("a b c d"), A: []string{"a,b", "c,d"}}, one("e")}},
		{"-n with two sources", []Source{List(strs("a b")), List(strs("1 2"))}, "", with(func(o *Options) { o.MaxArgs = 3 }),
			[]job{same("a", "1", "a", "2", "b", "1"), same("b", "2")}},
		{"-n with empty input", nil, "", with(func(o *Options) { o.MaxArgs = 3 }), nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := Open(tt.sources, strings.NewReader(tt.stdin), tt.opt)
			if err != nil {
				t.Fatal(err)
			}
			got, recs := readAll(t, r)
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got  %q\nwant %q", got, tt.want)
			}
			for _, rec := range recs {
				if rec.Names != nil {
					t.Errorf("Names = %q without Header", rec.Names)
				}
			}
		})
	}
}

func TestXArgs(t *testing.T) {
	lines := func(vs ...string) string { return strings.Join(vs, "\n") + "\n" }
	ten := lines("0", "1", "2", "3", "4", "5", "6", "7", "8", "9")
	twelve := lines("00", "01", "02", "03", "04", "05", "06", "07", "08", "09", "10", "11")
	tests := []struct {
		name  string
		input string
		opt   Options
		sizes []int
	}{
		// "aaa" costs 4: two fit in 10, a third does not.
		{"packs under the budget", lines("aaa", "bbb", "ccc", "ddd", "eee"), Options{Delim: '\n', XArgs: 10, Slots: 1}, []int{2, 2, 1}},
		{"exact fit", lines("aaaa", "bbbb"), Options{Delim: '\n', XArgs: 10, Slots: 1}, []int{2}},
		{"one too large goes alone", lines("x", strings.Repeat("y", 30), "z"), Options{Delim: '\n', XArgs: 10, Slots: 1}, []int{1, 1, 1}},
		{"end spread over slots", ten, Options{Delim: '\n', XArgs: 1 << 20, Slots: 4}, []int{3, 3, 2, 2}},
		{"more slots than records", lines("a", "b", "c"), Options{Delim: '\n', XArgs: 1 << 20, Slots: 8}, []int{1, 1, 1}},
		{"no slots: one job", ten, Options{Delim: '\n', XArgs: 1 << 20}, []int{10}},
		{"-n caps the count", ten, Options{Delim: '\n', XArgs: 1 << 20, MaxArgs: 3, Slots: 1}, []int{3, 3, 3, 1}},
		{"-n full jobs are not spread", ten, Options{Delim: '\n', XArgs: 1 << 20, MaxArgs: 3, Slots: 4}, []int{3, 3, 3, 1}},
		// "00" costs 3: five fit in 15; the last two wait at the end.
		{"only the tail is spread", twelve, Options{Delim: '\n', XArgs: 15, Slots: 4}, []int{5, 5, 1, 1}},
		{"empty input", "", Options{Delim: '\n', XArgs: 100, Slots: 4}, nil},
		// The command decides the cost: "aaa" costs 12 (a pointer of 8):
		// three fit in 36, where their length alone would fit nine.
		{"XArgsCost", lines("aaa", "bbb", "ccc", "ddd", "eee"), Options{Delim: '\n', XArgs: 36, Slots: 1,
			XArgsCost: func(a string) int { return len(a) + 1 + 8 }}, []int{3, 2}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := Open(nil, strings.NewReader(tt.input), tt.opt)
			if err != nil {
				t.Fatal(err)
			}
			got, _ := readAll(t, r)
			var sizes []int
			var all []string
			for _, j := range got {
				sizes = append(sizes, len(j.A))
				all = append(all, j.A...)
				if !reflect.DeepEqual(j.V, j.A) {
					t.Errorf("Values %q != Args %q without colsep", j.V, j.A)
				}
			}
			if !reflect.DeepEqual(sizes, tt.sizes) {
				t.Errorf("job sizes %v, want %v", sizes, tt.sizes)
			}
			if in := strings.Split(strings.TrimSuffix(tt.input, "\n"), "\n"); tt.input != "" && !reflect.DeepEqual(all, in) {
				t.Errorf("records %q, want %q", all, in)
			}
		})
	}
}

func TestXArgsColsepAndSources(t *testing.T) {
	opt := Options{Delim: '\n', XArgs: 1 << 20, Slots: 2, ColSep: regexp.MustCompile(`,`)}
	r, err := Open([]Source{List([]string{"a,b", "c"}), List([]string{"1", "2,3"})}, nil, opt)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := readAll(t, r)
	want := []job{
		{V: strs("a b 1 a b 2 3"), A: []string{"a,b", "1", "a,b", "2,3"}},
		{V: strs("c 1 c 2 3"), A: []string{"c", "1", "c", "2,3"}},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got  %q\nwant %q", got, want)
	}
}

func TestHeader(t *testing.T) {
	tests := []struct {
		name    string
		sources []Source
		stdin   string
		opt     Options
		names   []string
		want    []job
	}{
		{"stdin", nil, "name\nbob\nann\n", Options{Delim: '\n', Header: true},
			[]string{"name"}, []job{one("bob"), one("ann")}},
		{"colsep", nil, "name\tage\nbob\t3\nann\t4\n", Options{Delim: '\n', Header: true, ColSep: regexp.MustCompile(`\t`)},
			[]string{"name", "age"}, []job{{V: strs("bob 3"), A: []string{"bob\t3"}}, {V: strs("ann 4"), A: []string{"ann\t4"}}}},
		{"several sources", []Source{List(strs("x 1 2")), List(strs("y a"))}, "", Options{Delim: '\n', Header: true},
			[]string{"x", "y"}, []job{same("1", "a"), same("2", "a")}},
		{"several sources with colsep", []Source{Stdin(), List(strs("k,l v,w"))}, "a,b\n1,2\n",
			Options{Delim: '\n', Header: true, ColSep: regexp.MustCompile(`,`)},
			[]string{"a", "b", "k", "l"}, []job{{V: strs("1 2 v w"), A: strs("1,2 v,w")}}},
		{"link", []Source{List(strs("x 1 2 3")), List(strs("y a b"))}, "", Options{Delim: '\n', Header: true, Link: true},
			[]string{"x", "y"}, []job{same("1", "a"), same("2", "b")}},
		{"with -n", nil, "h\na\nb\nc\n", Options{Delim: '\n', Header: true, MaxArgs: 2},
			[]string{"h"}, []job{same("a", "b"), same("c")}},
		{"with -X", nil, "h\na\nb\nc\n", Options{Delim: '\n', Header: true, XArgs: 100, Slots: 2},
			[]string{"h"}, []job{same("a", "b"), same("c")}},
		{"header only", nil, "h\n", Options{Delim: '\n', Header: true}, nil, nil},
		{"empty input", nil, "", Options{Delim: '\n', Header: true}, nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := Open(tt.sources, strings.NewReader(tt.stdin), tt.opt)
			if err != nil {
				t.Fatal(err)
			}
			got, recs := readAll(t, r)
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got  %q\nwant %q", got, tt.want)
			}
			for _, rec := range recs {
				if !reflect.DeepEqual(rec.Names, tt.names) {
					t.Errorf("Names = %q, want %q", rec.Names, tt.names)
				}
				if &rec.Names[0] != &recs[0].Names[0] {
					t.Errorf("Names not shared between records")
				}
			}
		})
	}
}
