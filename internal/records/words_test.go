package records

import (
	"errors"
	"io"
	"os"
	"strings"
	"testing"
)

// xargsJobs reads input as xargs would with w, a budget and a count limit,
// and returns each job's Args and the error that ended the reading.
func xargsJobs(t *testing.T, input string, w Words, budget, limit int, exact bool) ([][]string, error) {
	t.Helper()
	r, err := Open(nil, strings.NewReader(input), Options{Delim: '\n', Words: &w, XArgs: budget, MaxArgs: limit, Exact: exact, Slots: 1})
	if err != nil {
		t.Fatal(err)
	}
	var jobs [][]string
	for {
		rec, err := r.Next()
		if err != nil {
			if err == io.EOF {
				err = nil
			}
			return jobs, err
		}
		jobs = append(jobs, rec.Args)
	}
}

func TestWordsSplitting(t *testing.T) {
	quotes := Words{Quotes: true}
	for _, c := range []struct {
		name, in string
		w        Words
		limit    int
		want     string // jobs joined by |, args by ,
	}{
		{"blanks and newlines", "a b\tc\n\n  d  \n", quotes, 0, "a,b,c,d"},
		{"quotes and backslash", `'a b' "c 'd" e\ f g\\h` + "\n", quotes, 0, "a b,c 'd,e f,g\\h"},
		{"empty quotes are arguments", "foo '' bar\nbaz ''\n'' fnord\n", quotes, 1, "foo||bar|baz|||fnord"},
		{"form feeds are not separators, but skipped before a word", "a\fb \vc\n", quotes, 0, "a\fb,c"},
		{"quote open at EOF without bytes", "a '", quotes, 0, "a"},
		{"backslash at EOF", `a\`, quotes, 0, "a"},
		{"-n", "1 2 3 4 5\n", quotes, 2, "1,2|3,4|5"},
		{"-L: a trailing blank goes on", "1 2\n3 \n4\n5\n", Words{Quotes: true, Lines: true}, 1, "1,2|3,4|5"},
		{"-L2", "1\n2 3\n4\n", Words{Quotes: true, Lines: true}, 2, "1,2,3|4"},
		{"-I: whole lines, leading blanks dropped", "  a  b \n'c d'\n", Words{Quotes: true, WholeLine: true}, 1, "a  b |c d"},
		{"-E", "a b\nEOF c\nd\n", Words{Quotes: true, EOF: "EOF"}, 0, "a,b"},
		{"-E mid line", "a EOF b\nc\n", Words{Quotes: true, EOF: "EOF"}, 0, "a"},
		{"-E at EOF, not first on its line", "a EOF", Words{Quotes: true, EOF: "EOF"}, 0, "a,EOF"},
		{"-E with -I", "a b\nEOF\nc\n", Words{Quotes: true, WholeLine: true, EOF: "EOF"}, 1, "a b"},
		{"-0 takes records literally", "a 'b\x00\x00c\\", Words{}, 0, "a 'b,,c\\"},
		{"nothing: no job", "", quotes, 0, ""},
		{"nothing: one empty job", " \n", Words{Quotes: true, RunEmpty: true}, 0, "<>"},
		{"only the EOF string: one empty job", "_\n", Words{Quotes: true, RunEmpty: true, EOF: "_"}, 0, "<>"},
	} {
		t.Run(c.name, func(t *testing.T) {
			w := c.w
			opt := Options{Delim: '\n', Words: &w, XArgs: 1000, MaxArgs: c.limit, Slots: 1}
			if !w.Quotes {
				opt.Delim = 0
			}
			r, err := Open(nil, strings.NewReader(c.in), opt)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for {
				rec, err := r.Next()
				if err == io.EOF {
					break
				}
				if err != nil {
					t.Fatal(err)
				}
				s := strings.Join(rec.Args, ",")
				if len(rec.Args) == 0 {
					s = "<>"
				}
				got = append(got, s)
			}
			if g := strings.Join(got, "|"); g != c.want {
				t.Errorf("got %q, want %q", g, c.want)
			}
		})
	}
}

func TestWordsErrors(t *testing.T) {
	quotes := Words{Quotes: true}
	// An unmatched quote: the words before it are run first.
	jobs, err := xargsJobs(t, "one\n\"two\nthree", quotes, 100, 0, false)
	var qe *QuoteError
	if !errors.As(err, &qe) || qe.Name() != "double" || len(jobs) != 1 || strings.Join(jobs[0], ",") != "one" {
		t.Errorf("unmatched quote: %q, %v", jobs, err)
	}
	// ... but not with -x.
	jobs, err = xargsJobs(t, "one\n'two\n", quotes, 100, 2, true)
	if !errors.As(err, &qe) || qe.Name() != "single" || len(jobs) != 0 {
		t.Errorf("unmatched quote with -x: %q, %v", jobs, err)
	}
	// Budget 6: "1"(2) "22"(3) fit, "333"(4) starts the next job, and
	// "4444444"(8) cannot fit at all: the jobs before it run.
	jobs, err = xargsJobs(t, "1 22 333 4444444 5\n", quotes, 6, 0, false)
	if !errors.Is(err, ErrArgTooLong) || len(jobs) != 2 || strings.Join(jobs[1], ",") != "333" {
		t.Errorf("too long: %q, %v", jobs, err)
	}
	// -x with -n2: a pair that does not fit is an error, not a shorter job.
	jobs, err = xargsJobs(t, "1 22 333 4444\n", quotes, 7, 2, true)
	if !errors.Is(err, ErrListTooLong) || len(jobs) != 1 {
		t.Errorf("-x: %q, %v", jobs, err)
	}
	// -x without -n: the budget only cuts jobs.
	jobs, err = xargsJobs(t, "1 22 333 4444\n", quotes, 7, 0, true)
	if err != nil || len(jobs) != 3 {
		t.Errorf("-x alone: %q, %v", jobs, err)
	}
}

// A NUL byte ends its word (GNU's C strings); NUL is told once.
func TestWordsNUL(t *testing.T) {
	told := 0
	jobs, err := xargsJobs(t, "a\x00b c\x00d\x00\n", Words{Quotes: true, NUL: func() { told++ }}, 100, 0, false)
	if err != nil || len(jobs) != 1 || strings.Join(jobs[0], ",") != "a,c" || told != 1 {
		t.Errorf("jobs %q, err %v, told %d", jobs, err, told)
	}
}

func TestWordsEOFLeavesOffset(t *testing.T) {
	f, err := os.Open(writeFile(t, "in", "1\n2\n3\n"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r, err := Open(nil, f, Options{Delim: '\n', Words: &Words{Quotes: true, EOF: "2"}, XArgs: 100})
	if err != nil {
		t.Fatal(err)
	}
	jobs, _ := readAll(t, r)
	if len(jobs) != 1 || strings.Join(jobs[0].A, ",") != "1" {
		t.Fatalf("jobs %q", jobs)
	}
	rest, _ := io.ReadAll(f)
	if string(rest) != "3\n" {
		t.Errorf("after -E 2, the file reads %q, want %q", rest, "3\n")
	}
}
