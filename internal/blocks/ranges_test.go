package blocks

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"
)

func TestRanges(t *testing.T) {
	f := tempFile(t, nil)
	for _, tt := range cases {
		write(t, f, []byte(tt.in))
		for _, win := range []int{1, 2, 3, window} {
			hdr, blocks, err := rangeAll(f, int64(tt.size), tt.delim, tt.header, win)
			if err != nil {
				t.Fatalf("%s, window %d: %v", tt.name, win, err)
			}
			if string(hdr) != tt.hdr || !equal(blocks, tt.blocks) {
				t.Errorf("%s, window %d: got %q %q, want %q %q", tt.name, win, hdr, blocks, tt.hdr, tt.blocks)
			}
		}
	}
}

// rangeAll returns the bytes of f's header and of each of its ranges, checking
// that the ranges follow one another from the header to the end of f.
func rangeAll(f *os.File, size int64, delim byte, header, win int) (hdr []byte, blocks [][]byte, err error) {
	rs, err := newRanges(f, size, delim, header, win)
	if err != nil {
		return nil, nil, err
	}
	data, err := os.ReadFile(f.Name())
	if err != nil {
		return nil, nil, err
	}
	return cutRanges(rs, data)
}

// cutRanges returns the bytes of data's header and of each range rs gives,
// checking that the ranges follow one another from the header to its end.
func cutRanges(rs *Ranges, data []byte) (hdr []byte, blocks [][]byte, err error) {
	h := rs.Header()
	if h.Seq != 0 || h.Start != 0 {
		return nil, nil, errors.New("header range does not start the file")
	}
	next := Range{Seq: 1, Start: h.End}
	for {
		r, err := rs.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, nil, err
		}
		if r.Seq != next.Seq || r.Start != next.Start || r.Len() <= 0 {
			return nil, nil, errors.New("ranges not in order, or empty")
		}
		blocks = append(blocks, data[r.Start:r.End])
		next = Range{Seq: r.Seq + 1, Start: r.End}
	}
	if next.Start != int64(len(data)) {
		return nil, nil, errors.New("ranges end before the file does")
	}
	if _, err := rs.Next(); err != io.EOF {
		return nil, nil, errors.New("Next after the end is not io.EOF")
	}
	return data[:h.End], blocks, nil
}

func TestRangesErrors(t *testing.T) {
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	defer w.Close()
	if _, err := NewRanges(r, 10, '\n', 0); err == nil {
		t.Error("NewRanges of a pipe succeeded")
	}
	// A file that shrinks under Ranges.
	f := tempFile(t, []byte("aaaa\nbbbb\ncccc\n"))
	rs, err := NewRanges(f, 4, '\n', 0)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Truncate(3); err != nil {
		t.Fatal(err)
	}
	if _, err := rs.Next(); !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Errorf("Next of a shrunk file: %v, want %v", err, io.ErrUnexpectedEOF)
	}
}

// tempFile returns a file holding data, open for reading and writing.
func tempFile(tb testing.TB, data []byte) *os.File {
	tb.Helper()
	f, err := os.OpenFile(filepath.Join(tb.TempDir(), "input"), os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { f.Close() })
	write(tb, f, data)
	return f
}

// write makes data the whole of f.
func write(tb testing.TB, f *os.File, data []byte) {
	tb.Helper()
	if err := f.Truncate(0); err != nil {
		tb.Fatal(err)
	}
	if _, err := f.WriteAt(data, 0); err != nil {
		tb.Fatal(err)
	}
}
