package blocks

import (
	"errors"
	"os"
)

// ErrBoundsForRanges is a Bounds that Ranges cannot cut by: one with Regexp,
// Group or Count. Those need a Cutter.
var ErrBoundsForRanges = errors.New("blocks: ranges of a file are cut only at fixed --recend/--recstart strings")

// NewRangesBounds is NewRanges with the record boundaries of b (End and
// Start, fixed strings, not both empty): the same ranges a
// NewBoundedCutter makes of the file's bytes. The first header lines
// (ending in '\n') are the header.
func NewRangesBounds(f *os.File, size int64, b Bounds, header int) (*Ranges, error) {
	return newRangesBounds(f, size, b, header, window)
}

func newRangesBounds(f *os.File, size int64, b Bounds, header, win int) (*Ranges, error) {
	if b.Regexp || b.Group > 1 || b.Count > 0 || b.End+b.Start == "" {
		return nil, ErrBoundsForRanges
	}
	r, err := newRanges(f, size, '\n', header, max(win, len(b.End)+len(b.Start)))
	if err != nil {
		return nil, err
	}
	r.pat, r.endLen = []byte(b.End+b.Start), len(b.End)
	return r, nil
}
