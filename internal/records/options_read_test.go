package records

import (
	"io"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// -E STR ends each source at a value equal to it, ::: lists too (GNU
// parallel: ::: a STOP b runs a; :::: f with 1 STOP 2 reads 1).
func TestEOFString(t *testing.T) {
	f := writeFile(t, "f", "1\nSTOP\n2\n")
	for _, tt := range []struct {
		name    string
		sources []Source
		stdin   string
		want    []job
	}{
		{"stdin", []Source{Stdin()}, "a\nSTOP\nb\n", []job{one("a")}},
		{"not trimmed", []Source{Stdin()}, "a\n STOP\n", []job{one("a"), one(" STOP")}},
		{"list", []Source{List(strs("a STOP b"))}, "", []job{one("a")}},
		{"product", []Source{List(strs("a b")), File(f)}, "", []job{same("a", "1"), same("b", "1")}},
		{"first value", []Source{List(strs("STOP a"))}, "", nil},
	} {
		t.Run(tt.name, func(t *testing.T) {
			o := DefaultOptions()
			o.EOF = "STOP"
			r, err := Open(tt.sources, strings.NewReader(tt.stdin), o)
			if err != nil {
				t.Fatal(err)
			}
			got, _ := readAll(t, r)
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("jobs %q, want %q", got, tt.want)
			}
		})
	}
}

// --trim removes blanks (perl's \s) from each value and each field.
func TestTrim(t *testing.T) {
	for _, tt := range []struct {
		name  string
		trim  Trim
		sep   string
		input string
		want  job
	}{
		{"both", TrimBoth, "", " \t a b \r\n", one("a b")},
		{"left", TrimLeft, "", "  a b  \n", one("a b  ")},
		{"right", TrimRight, "", "  a b  \n", one("  a b")},
		{"none", TrimNone, "", "  a  \n", one("  a  ")},
		{"fields", TrimBoth, ",", " a , b ,c\t \n", job{V: []string{"a", "b", "c"}, A: []string{"a , b ,c"}}},
		{"fields left", TrimLeft, ",", " a , b \n", job{V: []string{"a ", "b "}, A: []string{"a , b "}}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			o := DefaultOptions()
			o.Trim = tt.trim
			if tt.sep != "" {
				o.ColSep = regexp.MustCompile(tt.sep)
			}
			r, err := Open([]Source{Stdin()}, strings.NewReader(tt.input), o)
			if err != nil {
				t.Fatal(err)
			}
			got, _ := readAll(t, r)
			if len(got) != 1 || !reflect.DeepEqual(got[0], tt.want) {
				t.Errorf("jobs %q, want %q", got, tt.want)
			}
		})
	}
	r, _ := Open([]Source{List([]string{" x "})}, nil, Options{Trim: TrimBoth})
	if got, _ := readAll(t, r); !reflect.DeepEqual(got, []job{one("x")}) {
		t.Errorf("::: ' x ': jobs %q", got)
	}
}

// ReadAll gives every record the number of jobs; Shuffle runs every job
// once, numbered in the new order.
func TestReadAllShuffle(t *testing.T) {
	input := ""
	for i := range 200 {
		input += strings.Repeat("r", i+1) + "\n"
	}
	o := DefaultOptions()
	o.ReadAll = true
	r, _ := Open([]Source{Stdin()}, strings.NewReader(input), o)
	_, recs := readAll(t, r)
	for _, rec := range recs {
		if rec.Total != 200 {
			t.Fatalf("Total = %d, want 200", rec.Total)
		}
	}
	if recs[0].Args[0] != "r" || recs[199].Args[0] != strings.Repeat("r", 200) {
		t.Error("ReadAll changed the order")
	}

	o = DefaultOptions()
	o.Shuffle, o.MaxArgs = true, 2
	r, _ = Open([]Source{Stdin()}, strings.NewReader(input), o)
	got, recs := readAll(t, r) // checks Seq 1, 2, 3…
	if len(recs) != 100 || recs[0].Total != 100 {
		t.Fatalf("%d jobs, Total %d; want 100", len(recs), recs[0].Total)
	}
	var all []string
	for _, j := range got {
		all = append(all, j.A...)
	}
	sorted := slices.Clone(all)
	slices.SortFunc(sorted, func(a, b string) int { return len(a) - len(b) })
	if slices.Equal(all, sorted) {
		t.Error("200 records came in input order: not shuffled")
	}
	for i, a := range sorted {
		if len(a) != i+1 {
			t.Fatalf("record %d is %d bytes: a record lost or repeated", i+1, len(a))
		}
	}
}

// A read error after some records is met after those records.
func TestReadAllError(t *testing.T) {
	o := DefaultOptions()
	o.ReadAll = true
	r, _ := Open([]Source{Stdin()}, io.MultiReader(strings.NewReader("a\n"), errReader{}), o)
	if rec, err := r.Next(); err != nil || rec.Args[0] != "a" || rec.Total != 1 {
		t.Fatalf("Next = %v, %v", rec, err)
	}
	if _, err := r.Next(); err == nil || err == io.EOF {
		t.Fatalf("Next = %v, want the read error", err)
	}
}

type errReader struct{}

func (errReader) Read([]byte) (int, error) { return 0, io.ErrUnexpectedEOF }
