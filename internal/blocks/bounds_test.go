package blocks

import (
	"errors"
	"io"
	"reflect"
	"strings"
	"testing"
	"testing/iotest"
)

// cutBounded cuts in by b, read whole and one byte at a time, and checks
// that both give the same blocks.
func cutBounded(t *testing.T, in string, size int, b Bounds, header int) (string, []string) {
	t.Helper()
	var results [][]string
	var hdrs []string
	for _, r := range []io.Reader{strings.NewReader(in), iotest.OneByteReader(strings.NewReader(in))} {
		c := NewBoundedCutter(r, size, b, header)
		var got []string
		for {
			blk, err := c.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatalf("Next: %v", err)
			}
			got = append(got, string(blk.Data))
			blk.Release()
		}
		results = append(results, got)
		hdrs = append(hdrs, string(c.Header()))
	}
	if !reflect.DeepEqual(results[0], results[1]) || hdrs[0] != hdrs[1] {
		t.Fatalf("whole reads give %q, byte reads %q", results[0], results[1])
	}
	return hdrs[0], results[0]
}

// Each case is what GNU parallel 20221122 gives (checked by hand with
// parallel --pipe … 'echo "[$(cat)]"').
func TestBoundedCutterGNU(t *testing.T) {
	for _, tc := range []struct {
		name string
		in   string
		size int
		b    Bounds
		want []string
	}{
		{"recstart, one record per job", ">a\nx\n>b\ny\n>c\nz\n", 1 << 20, Bounds{Start: ">", Count: 1}, []string{">a\nx\n", ">b\ny\n", ">c\nz\n"}},
		{"recstart by size", ">a\nx\n>b\ny\n>c\nz\n", 8, Bounds{Start: ">"}, []string{">a\nx\n", ">b\ny\n", ">c\nz\n"}},
		{"recend, two records per job", "a;b;c;d;e", 1 << 20, Bounds{End: ";", Count: 2}, []string{"a;b;", "c;d;", "e"}},
		{"recend and recstart both match", "x\n--\ny\n--\nz", 1, Bounds{End: "--\n", Start: "y"}, []string{"x\n--\n", "y\n--\nz"}},
		{"multi-byte recend", "x\n--\ny\n--\nz", 1, Bounds{End: "--\n"}, []string{"x\n--\n", "y\n--\n", "z"}},
		{"-L 2 by size", "1\n2\n3\n4\n5\n6\n7\n", 3, Bounds{End: "\n", Group: 2}, []string{"1\n2\n", "3\n4\n", "5\n6\n", "7\n"}},
		{"-N 3", "1\n2\n3\n4\n5\n6\n7\n", 1, Bounds{End: "\n", Count: 3}, []string{"1\n2\n3\n", "4\n5\n6\n", "7\n"}},
		{"-L 2 -N 2", "1\n2\n3\n4\n5\n6\n7\n8\n9\n", 1, Bounds{End: "\n", Group: 2, Count: 2}, []string{"1\n2\n3\n4\n", "5\n6\n7\n8\n", "9\n"}},
		{"-L 2 packs whole groups", "1\n2\n3\n4\n5\n6\n7\n", 9, Bounds{End: "\n", Group: 2}, []string{"1\n2\n3\n4\n", "5\n6\n7\n"}},
		{"--regexp recstart", ">a\nx\n>b\ny\n>c\n", 1 << 20, Bounds{Start: ">", Count: 1, Regexp: true}, []string{">a\nx\n", ">b\ny\n", ">c\n"}},
		{"--regexp recend", "a1b22c333d", 1 << 20, Bounds{End: "[0-9]+", Count: 1, Regexp: true}, []string{"a1", "b22", "c333", "d"}},
		{"--regexp both", "x;;y;z", 1 << 20, Bounds{End: ";+", Start: "[a-z]", Count: 1, Regexp: true}, []string{"x;;", "y;", "z"}},
		{"--regexp by size", "a1b22c333d", 4, Bounds{End: "[0-9]+", Regexp: true}, []string{"a1", "b22", "c333", "d"}},
		{"no boundary at all", "abcdef", 2, Bounds{End: ";"}, []string{"abcdef"}},
		{"empty", "", 2, Bounds{End: ";"}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, got := cutBounded(t, tc.in, tc.size, tc.b, 0)
			if !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("got %q, want %q", got, tc.want)
			}
		})
	}
}

// Bounds{End: "\n"} cuts exactly as the delimiter cutter does.
func TestBoundedCutterAsDelimiter(t *testing.T) {
	for _, tc := range cases {
		if tc.delim != '\n' {
			continue
		}
		t.Run(tc.name, func(t *testing.T) {
			hdr, got := cutBounded(t, tc.in, tc.size, Bounds{End: "\n"}, tc.header)
			if hdr != tc.hdr || !reflect.DeepEqual(got, tc.blocks) {
				t.Fatalf("got header %q blocks %q, want %q %q", hdr, got, tc.hdr, tc.blocks)
			}
		})
	}
}

// A read error is Next's, after the blocks before it.
func TestBoundedCutterError(t *testing.T) {
	boom := errors.New("boom")
	c := NewBoundedCutter(io.MultiReader(strings.NewReader("a;b;"), iotest.ErrReader(boom)), 1, Bounds{End: ";", Count: 1}, 0)
	blk, err := c.Next()
	if err != nil || string(blk.Data) != "a;" {
		t.Fatalf("first block %v, %v", blk, err)
	}
	for {
		if _, err = c.Next(); err != nil {
			break
		}
	}
	if !errors.Is(err, boom) {
		t.Fatalf("err = %v, want boom", err)
	}
}

// Ranges with Bounds cut a file as a bounded Cutter cuts its bytes, for
// windows small enough that a pattern crosses them.
func TestRangesBoundsAsCutter(t *testing.T) {
	inputs := []string{
		">a\nx\n>b\nyy\n>c\nz\n", "x\n--\ny\n--\nz", "--\n--\n--\n", "a;b;;c;d;;;e", ">>a>b", "",
		"h1\nh2\n>a\n>bb\n",
	}
	for _, in := range inputs {
		for _, b := range []Bounds{{Start: ">"}, {End: "--\n"}, {End: "\n", Start: ">"}, {End: ";;"}, {End: ";", Start: "c"}} {
			for _, size := range []int{1, 2, 3, 5, 8, 100} {
				for _, header := range []int{0, 1} {
					_, want := cutBounded(t, in, size, b, header)
					for _, win := range []int{1, 2, 3, 7, 64} {
						f := tempFile(t, []byte(in))
						rs, err := newRangesBounds(f, int64(size), b, header, win)
						if err != nil {
							t.Fatal(err)
						}
						_, got, err := cutRanges(rs, []byte(in))
						if err != nil {
							t.Fatal(err)
						}
						var gotS []string
						for _, g := range got {
							gotS = append(gotS, string(g))
						}
						if !reflect.DeepEqual(gotS, want) {
							t.Fatalf("%q by %+v, size %d, header %d, window %d: ranges %q, cutter %q", in, b, size, header, win, gotS, want)
						}
					}
				}
			}
		}
	}
	if _, err := NewRangesBounds(tempFile(t, nil), 1, Bounds{End: "x", Count: 2}, 0); !errors.Is(err, ErrBoundsForRanges) {
		t.Fatalf("-N with ranges: %v", err)
	}
}

// With End and Start both empty there are no records: blocks are exactly
// size bytes, the last one what is left (GNU's --recend with an empty string).
func TestBoundedCutterNoRecords(t *testing.T) {
	c := NewBoundedCutter(strings.NewReader("0123456789abcdefghij"), 7, Bounds{}, 0)
	var got []string
	for {
		b, err := c.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, string(b.Data))
		b.Release()
	}
	if want := []string{"0123456", "789abcd", "efghij"}; !reflect.DeepEqual(got, want) {
		t.Fatalf("got %q, want %q", got, want)
	}
}
