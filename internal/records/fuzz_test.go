package records

import (
	"bytes"
	"io"
	"strings"
	"testing"
)

// FuzzReader checks that records are the input cut at the delimiter and nothing
// else: joined back with it (plus a final one where the input ended with one)
// they give the input, byte for byte, and Seq runs 1..n.
func FuzzReader(f *testing.F) {
	f.Add([]byte("a\nb\nc\n"), byte('\n'))
	f.Add([]byte("a\nb"), byte('\n'))
	f.Add([]byte(""), byte('\n'))
	f.Add([]byte("\n\n"), byte('\n'))
	f.Add([]byte("a\x00b\x00"), byte(0))
	f.Add([]byte("\xff\xfe\r\n\x00\n"), byte('\n'))
	f.Add([]byte("x,y,,z"), byte(','))
	f.Add([]byte("a record longer than the small buffer\nand another one, also long\n"), byte('\n'))
	f.Fuzz(func(t *testing.T, data []byte, delim byte) {
		r, err := Open(nil, &smallReads{data: data}, Options{Delim: delim})
		if err != nil {
			t.Fatal(err)
		}
		checkSplit(t, data, delim, r.Next)
		// The same through a 16-byte buffer, where most records take the long path.
		s := newSplitterSize(&smallReads{data: data}, delim, false, 16)
		seq := int64(0)
		checkSplit(t, data, delim, func() (Record, error) {
			v, err := s.next()
			seq++
			return Record{Seq: seq, Values: []string{v}, Args: []string{v}}, err
		})
	})
}

// checkSplit reads records with next and checks they are data cut at delim.
func checkSplit(t *testing.T, data []byte, delim byte, next func() (Record, error)) {
	t.Helper()
	var vals []string
	for {
		rec, err := next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if want := int64(len(vals) + 1); rec.Seq != want {
			t.Fatalf("Seq %d, want %d", rec.Seq, want)
		}
		if len(rec.Values) != 1 || len(rec.Args) != 1 || rec.Values[0] != rec.Args[0] {
			t.Fatalf("record %d: Values %q, Args %q", rec.Seq, rec.Values, rec.Args)
		}
		if strings.IndexByte(rec.Args[0], delim) >= 0 {
			t.Fatalf("record %d holds the delimiter: %q", rec.Seq, rec.Args[0])
		}
		vals = append(vals, rec.Args[0])
	}
	joined := strings.Join(vals, string([]byte{delim}))
	if len(data) > 0 && data[len(data)-1] == delim {
		joined += string([]byte{delim})
	}
	if joined != string(data) {
		t.Fatalf("records %q joined give %q, input %q", vals, joined, data)
	}
	if len(data) == 0 && len(vals) != 0 {
		t.Fatalf("empty input gave %d records", len(vals))
	}
}

// smallReads hands out its data a few bytes at a time, as a pipe may, so that
// records straddle reads.
type smallReads struct {
	data []byte
	n    int
}

func (s *smallReads) Read(p []byte) (int, error) {
	if len(s.data) == 0 {
		return 0, io.EOF
	}
	s.n = s.n%7 + 1
	k := copy(p[:min(len(p), s.n*5)], s.data)
	s.data = s.data[k:]
	return k, nil
}

// FuzzPack checks -X and -n grouping: the jobs hold every record once, in order,
// each within the budget and the count limit (a lone record may exceed the
// budget), and only the last min(slots, waiting) jobs are spread.
func FuzzPack(f *testing.F) {
	f.Add([]byte("a\nbb\nccc\ndddd\n"), uint8(10), uint8(0), uint8(4))
	f.Add([]byte("0\n1\n2\n3\n4\n5\n6\n7\n8\n9\n"), uint8(255), uint8(3), uint8(4))
	f.Fuzz(func(t *testing.T, data []byte, budget, limit, slots uint8) {
		opt := Options{Delim: '\n', XArgs: int(budget) + 1, MaxArgs: int(limit % 8), Slots: int(slots % 9)}
		want, err := readFlat(data)
		if err != nil {
			t.Fatal(err)
		}
		r, err := Open(nil, bytes.NewReader(data), opt)
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
			cost := 0
			for _, a := range rec.Args {
				cost += len(a) + 1
			}
			if len(rec.Args) == 0 {
				t.Fatalf("job %d is empty", rec.Seq)
			}
			if len(rec.Args) > 1 && cost > opt.XArgs {
				t.Fatalf("job %d: %d records cost %d > budget %d", rec.Seq, len(rec.Args), cost, opt.XArgs)
			}
			if opt.MaxArgs > 0 && len(rec.Args) > opt.MaxArgs {
				t.Fatalf("job %d: %d records > limit %d", rec.Seq, len(rec.Args), opt.MaxArgs)
			}
			got = append(got, rec.Args...)
		}
		if strings.Join(got, "\n") != strings.Join(want, "\n") || len(got) != len(want) {
			t.Fatalf("records %q, want %q", got, want)
		}
	})
}

// readFlat reads data one record per job.
func readFlat(data []byte) ([]string, error) {
	r, err := Open(nil, bytes.NewReader(data), DefaultOptions())
	if err != nil {
		return nil, err
	}
	var vs []string
	for {
		rec, err := r.Next()
		if err == io.EOF {
			return vs, nil
		}
		if err != nil {
			return nil, err
		}
		vs = append(vs, rec.Args[0])
	}
}
