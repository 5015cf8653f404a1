package blocks

import (
	"bytes"
	"io"
	"regexp"
)

// Bounds are record boundaries richer than one delimiter byte, for a Cutter
// made by NewBoundedCutter: GNU parallel's --recend and --recstart, -L and
// -N with --pipe.
//
// A record boundary is where End is followed by Start (between the two):
// with Start empty, just after each End; with End empty, just before each
// Start (never at the very beginning of a block); with both empty, anywhere
// (a block is size bytes). Group > 1 makes a record of
// Group such records (-L N: a record is N lines); Count > 0 makes every block
// exactly Count records, whatever its size (-N N), the last one fewer.
// Otherwise the package's rule holds with these records: a block ends at the
// last boundary within its first size bytes, failing that at the first one
// past them, failing that at the end of the input.
type Bounds struct {
	End, Start string
	Group      int
	Count      int
	// Regexp reads End and Start as regular expressions (GNU's --regexp,
	// in Go's syntax); NewBoundedCutter panics if one does not compile.
	Regexp bool

	endRe, startRe *regexp.Regexp // with Regexp; startRe anchored
	startFind      *regexp.Regexp // with Regexp and End empty: Start, unanchored
}

// NewBoundedCutter returns a Cutter of r into blocks of whole records as b
// says, of about size bytes unless b.Count is set. The first header lines
// (ending in '\n') of r are the header of every block. With End and Start
// both empty there are no records: every block is size bytes, cut anywhere
// (GNU's --recend with an empty string); Count must then be 0.
func NewBoundedCutter(r io.Reader, size int, b Bounds, header int) *Cutter {
	c := NewCutter(r, size, '\n', header)
	b.Group = max(b.Group, 1)
	if b.Regexp {
		if b.End != "" {
			b.endRe = regexp.MustCompile(b.End)
		}
		if b.Start != "" {
			b.startRe = regexp.MustCompile(`\A(?:` + b.Start + ")")
			b.startFind = regexp.MustCompile(b.Start)
		}
	}
	c.bounds = &b
	return c
}

// nextBounded is Next for a Cutter with bounds.
func (c *Cutter) nextBounded() (*Block, error) {
	b := c.bounds
	buf := c.get(len(c.carry))
	buf = append(buf, c.carry...)
	c.carry = c.carry[:0]
	// Enough bytes to tell a boundary within size from one past it.
	enough := c.size + len(b.End) + len(b.Start) + 1
	for {
		if b.Count > 0 || len(buf) >= enough || c.err != nil {
			if cut, ok := b.cut(buf, c.size, c.err != nil); ok {
				if c.err != nil && c.err != io.EOF {
					c.put(buf)
					return nil, c.err
				}
				return c.block(buf, cut)
			}
		}
		step := max(growStep, min(len(buf), c.size+1))
		if cap(buf)-len(buf) < step {
			buf = append(buf[:cap(buf)], make([]byte, step)...)[:len(buf)]
		}
		n := c.read(buf[len(buf) : len(buf)+step])
		buf = buf[:len(buf)+n]
	}
}

// cut returns where the block at the head of buf ends, and false when that
// needs more input (never so at the end of the input, ended).
func (b *Bounds) cut(buf []byte, size int, ended bool) (int, bool) {
	if b.End == "" && b.Start == "" {
		// No records (GNU's --recend ''): blocks of exactly size bytes.
		switch {
		case len(buf) >= size:
			return size, true
		case ended:
			return len(buf), true
		}
		return 0, false
	}
	last, seen := -1, 0
	for from := 0; ; {
		var p int
		if p, from = b.next(buf, from); p < 0 {
			break
		}
		if p == 0 {
			continue // a Start at the head of the block starts its first record
		}
		if b.Regexp && !ended && p >= len(buf) {
			break // the match might go on in the input still to come
		}
		if seen++; seen%b.Group != 0 {
			continue
		}
		switch {
		case b.Count > 0:
			if seen/b.Group == b.Count {
				return p, true
			}
		case p <= size:
			last = p
		default:
			if last >= 0 {
				return last, true
			}
			return p, true
		}
	}
	if ended && (b.Count > 0 || len(buf) <= size || last < 0) {
		return len(buf), true
	}
	if b.Count == 0 && last >= 0 {
		return last, true // the caller read past size: no boundary beyond is nearer
	}
	return 0, false
}

// next returns the first boundary found searching buf from from on (-1 for
// none), and where to search on from for the next one.
func (b *Bounds) next(buf []byte, from int) (p, nextFrom int) {
	if !b.Regexp {
		i := bytes.Index(buf[from:], []byte(b.End+b.Start))
		if i < 0 {
			return -1, len(buf)
		}
		return from + i + len(b.End), from + i + 1
	}
	for from <= len(buf) {
		if b.endRe == nil { // a boundary before each match of Start
			loc := b.startFind.FindIndex(buf[from:])
			if loc == nil {
				return -1, len(buf)
			}
			return from + loc[0], from + loc[0] + 1
		}
		loc := b.endRe.FindIndex(buf[from:])
		if loc == nil {
			return -1, len(buf)
		}
		i, j := from+loc[0], from+loc[1]
		from = max(j, i+1)
		if b.startRe == nil || b.startRe.Match(buf[j:]) {
			return j, from
		}
	}
	return -1, len(buf)
}
