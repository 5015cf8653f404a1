package blocks

import (
	"bytes"
	"io"
)

// Bounds are record boundaries richer than one delimiter byte, for a Cutter
// made by NewBoundedCutter: GNU parallel's --recend and --recstart, -L and
// -N with --pipe.
//
// A record boundary is where End is followed by Start (between the two):
// with Start empty, just after each End; with End empty, just before each
// Start (never at the very beginning of a block). Group > 1 makes a record of
// Group such records (-L N: a record is N lines); Count > 0 makes every block
// exactly Count records, whatever its size (-N N), the last one fewer.
// Otherwise the package's rule holds with these records: a block ends at the
// last boundary within its first size bytes, failing that at the first one
// past them, failing that at the end of the input.
type Bounds struct {
	End, Start string
	Group      int
	Count      int
}

// NewBoundedCutter returns a Cutter of r into blocks of whole records as b
// says, of about size bytes unless b.Count is set. The first header lines
// (ending in '\n') of r are the header of every block. End and Start must
// not both be empty.
func NewBoundedCutter(r io.Reader, size int, b Bounds, header int) *Cutter {
	c := NewCutter(r, size, '\n', header)
	b.Group = max(b.Group, 1)
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
				if cut == 0 {
					c.put(buf)
					return nil, io.EOF
				}
				c.carry = append(c.carry, buf[cut:]...)
				c.seq++
				return &Block{Seq: c.seq, Header: c.hdr, Data: buf[:cut], c: c, buf: buf}, nil
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
	pat := b.End + b.Start
	last, seen := -1, 0
	for from := 0; ; {
		i := bytes.Index(buf[from:], []byte(pat))
		if i < 0 {
			break
		}
		p := from + i + len(b.End)
		from += i + 1
		if p == 0 {
			continue // a Start at the head of the block starts its first record
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
