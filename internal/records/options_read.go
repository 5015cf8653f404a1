package records

import (
	"math/rand/v2"
	"strings"
)

// Trim says which blanks --trim removes from each value and field (GNU
// parallel's --trim; perl's \s: space, tab, newline, CR, FF, VT).
type Trim uint8

const (
	TrimNone  Trim = iota // n
	TrimLeft              // l
	TrimRight             // r
	TrimBoth              // lr, rl
)

const blanks = " \t\n\r\f\v"

func (t Trim) fn() func(string) string {
	switch t {
	case TrimLeft:
		return func(s string) string { return strings.TrimLeft(s, blanks) }
	case TrimRight:
		return func(s string) string { return strings.TrimRight(s, blanks) }
	case TrimBoth:
		return func(s string) string { return strings.Trim(s, blanks) }
	}
	return nil
}

// buffered holds every job's record, read up front (Options.ReadAll,
// Options.Shuffle).
type buffered struct {
	recs []Record
	next int
	err  error // what ended the reading, after the records read before it
}

// nextBuffered reads the whole input on its first call and then hands out
// its records, shuffled with Shuffle, each carrying the number of jobs.
// A read error comes after the records read before it.
func (r *Reader) nextBuffered() (Record, error) {
	if r.all == nil {
		b := &buffered{}
		for {
			rec, err := r.nextJob()
			if err != nil {
				b.err = err
				break
			}
			b.recs = append(b.recs, rec)
		}
		if r.opt.Shuffle {
			rand.Shuffle(len(b.recs), func(i, j int) { b.recs[i], b.recs[j] = b.recs[j], b.recs[i] })
		}
		r.all = b
	}
	b := r.all
	if b.next == len(b.recs) {
		return Record{}, b.err
	}
	rec := b.recs[b.next]
	b.recs[b.next] = Record{}
	b.next++
	rec.Total = int64(len(b.recs))
	return rec, nil
}
