package blocks

import (
	"bytes"
	"fmt"
	"io"
	"os"
)

// Range is the byte range [Start, End) of a file: one block of whole records.
type Range struct {
	Seq        int64 // 1, 2, 3, … in file order; 0 for the header
	Start, End int64
}

// Len is the number of bytes in r.
func (r Range) Len() int64 { return r.End - r.Start }

// Ranges cuts a regular file into Ranges by the package's rule, the same cuts
// a Cutter makes of the file's bytes. Finding a cut reads one small window
// before it (more only around a record longer than a block), with pread, so
// it costs little for a huge file, leaves the file offset alone, and may run
// alongside FeedRange on the same file. Ranges are made one at a time, so
// memory stays small whatever the file's size.
//
// Next is for one goroutine.
type Ranges struct {
	f    *os.File
	size int64
	// A boundary is just after the first endLen bytes of each occurrence
	// of pat: a delimiter byte, or --recend and --recstart (NewRangesBounds).
	pat    []byte
	endLen int
	end    int64 // the file's size when opened
	hdr    Range
	next   Range // Start: where the next range starts; Seq: its number
	win    []byte
}

// window is the most Ranges reads at a time looking for a delimiter.
const window = 64 << 10

// NewRanges returns the Ranges of f, as it is now, into blocks of about size
// bytes (less than 1 counts as 1) of records ending with delim. The first
// header records of the file are its Header, in no range.
func NewRanges(f *os.File, size int64, delim byte, header int) (*Ranges, error) {
	return newRanges(f, size, delim, header, window)
}

// newRanges is NewRanges with a window of win bytes, so tests can make the
// searches cross windows.
func newRanges(f *os.File, size int64, delim byte, header, win int) (*Ranges, error) {
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !st.Mode().IsRegular() {
		return nil, fmt.Errorf("%s is not a regular file", f.Name())
	}
	r := &Ranges{f: f, size: max(size, 1), pat: []byte{delim}, endLen: 1, end: st.Size(), win: make([]byte, win)}
	h := int64(0)
	for ; header > 0 && h < r.end; header-- {
		p, err := r.forward(h, h)
		if err != nil {
			return nil, err
		}
		h = p
		if p < 0 {
			h = r.end
		}
	}
	r.hdr = Range{Start: 0, End: h}
	r.next = Range{Seq: 1, Start: h}
	return r, nil
}

// Header is the range of the header records: [0, 0) when there are none.
func (r *Ranges) Header() Range { return r.hdr }

// Next returns the next range, or io.EOF after the last one.
func (r *Ranges) Next() (Range, error) {
	next := r.next
	if next.Start >= r.end {
		return Range{}, io.EOF
	}
	next.End = r.end
	if r.end-next.Start > r.size {
		p, err := r.backward(next.Start, next.Start+r.size)
		if err == nil && p < 0 {
			p, err = r.forward(next.Start, next.Start+r.size)
		}
		if err != nil {
			return Range{}, err
		}
		if p >= 0 {
			next.End = p
		}
	}
	r.next = Range{Seq: next.Seq + 1, Start: next.End}
	return next, nil
}

// backward returns the last boundary p with lo < p <= hi, or -1.
func (r *Ranges) backward(lo, hi int64) (int64, error) {
	tail := int64(len(r.pat) - r.endLen) // of a pattern, past its boundary
	step := int64(len(r.win))
	for hi > lo {
		// The occurrences whose boundary is in (from, hi]: they start in
		// [from+1-endLen, hi-endLen] and end by hi+tail.
		from := max(lo, hi-max(1, step-int64(len(r.pat))+1))
		// Only occurrences within the block, which starts at lo.
		a, b := max(lo, from+1-int64(r.endLen)), min(r.end, hi+tail)
		if b-a >= int64(len(r.pat)) {
			buf, err := r.read(a, b)
			if err != nil {
				return 0, err
			}
			if i := bytes.LastIndex(buf, r.pat); i >= 0 {
				if p := a + int64(i) + int64(r.endLen); p > lo {
					return p, nil
				}
				return -1, nil // the last one starts the block
			}
		}
		hi = from
	}
	return -1, nil
}

// forward returns the first boundary p > off of the block starting at lo
// (its own occurrences of the pattern only), or -1.
func (r *Ranges) forward(lo, off int64) (int64, error) {
	from := max(lo, off+1-int64(r.endLen)) // where such an occurrence may start
	for from+int64(len(r.pat)) <= r.end {
		buf, err := r.read(from, min(r.end, from+int64(len(r.win))))
		if err != nil {
			return 0, err
		}
		if i := bytes.Index(buf, r.pat); i >= 0 {
			return from + int64(i) + int64(r.endLen), nil
		}
		if from+int64(len(buf)) >= r.end {
			break
		}
		from += int64(len(buf) - len(r.pat) + 1)
	}
	return -1, nil
}

// read reads bytes [lo, hi) of the file into the window, hi-lo <= len(win).
func (r *Ranges) read(lo, hi int64) ([]byte, error) {
	buf := r.win[:hi-lo]
	n, err := r.f.ReadAt(buf, lo)
	if n == len(buf) {
		return buf, nil
	}
	if err == io.EOF {
		err = fmt.Errorf("%s shrank while being cut into blocks: %w", r.f.Name(), io.ErrUnexpectedEOF)
	}
	return nil, err
}
