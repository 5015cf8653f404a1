package records

import "io"

// unit is one tuple's contribution to a packed job.
type unit struct {
	values, args []string
	cost         int // bytes it takes on a command line: XArgsCost (or len+1) of each arg
}

// packer is the -X state: it gathers consecutive tuples into jobs under a byte
// budget and a count limit, and at the end of the input spreads what is left
// over the job slots.
//
// A job is known to be full when the next tuple would not fit, so that tuple is
// read ahead and starts the next job; reaching the count limit needs no read
// ahead. When the input ends, the tuples still waiting (less than a full job)
// become min(slots, count) jobs whose sizes differ by at most one, larger first
// (10 tuples over 4 slots: 3, 3, 2, 2), so the last records keep every slot busy
// instead of piling onto one.
type packer struct {
	budget int  // bytes per job
	limit  int  // tuples per job, 0 for none
	exact  bool // Options.Exact
	slots  int  // at least 1

	pend []unit // read, not yet handed out
	size int    // cost of pend
	plan []int  // at end of input: the sizes of the jobs left
	eof  bool
}

// nextPacked makes the next -X job.
func (r *Reader) nextPacked() (Record, error) {
	p := &r.pack
	for len(p.plan) == 0 {
		if p.eof {
			if r.late != nil {
				return Record{}, r.late
			}
			return Record{}, io.EOF
		}
		if r.units != nil && len(p.pend) > 0 && p.pend[0].cost > p.budget {
			return Record{}, ErrArgTooLong
		}
		if p.limit > 0 && len(p.pend) >= p.limit {
			return p.take(p.limit), nil
		}
		u, err := r.nextUnit()
		if err != nil {
			if err != io.EOF {
				r.late = err
			}
			p.eof = true
			p.plan = spread(len(p.pend), p.slots)
			if err != io.EOF && p.exact {
				p.drop() // xargs -x runs nothing short of a full job
			}
			if r.units != nil && r.units.w.RunEmpty && r.seq == 0 && len(p.pend) == 0 && err == io.EOF {
				p.plan = []int{0} // xargs runs its command once
			}
			continue
		}
		p.pend = append(p.pend, u)
		p.size += u.cost
		if len(p.pend) > 1 && p.size > p.budget {
			switch {
			case p.exact && u.cost > p.budget:
				return Record{}, ErrArgTooLong
			case p.exact && p.limit > 0:
				return Record{}, ErrListTooLong
			}
			return p.take(len(p.pend) - 1), nil
		}
	}
	n := p.plan[0]
	p.plan = p.plan[1:]
	return p.take(n), nil
}

// nextUnit reads the next unit: a tuple, or with Words an xargs unit.
func (r *Reader) nextUnit() (unit, error) {
	if r.units != nil {
		words, err := r.units.next()
		if err != nil {
			return unit{}, err
		}
		return r.unit(words, false), nil
	}
	t, err := r.tuples.next()
	if err != nil {
		return unit{}, err
	}
	return r.unit(t, true), nil
}

// unit makes the unit of tuple t (copied when shared).
func (r *Reader) unit(t []string, shared bool) unit {
	u := unit{args: t}
	if shared {
		u.args = append([]string(nil), t...)
	}
	u.values = u.args
	if r.opt.ColSep != nil {
		u.values = r.fields(nil, t)
	}
	for _, a := range u.args {
		if r.opt.XArgsCost != nil {
			u.cost += r.opt.XArgsCost(a)
		} else {
			u.cost += len(a) + 1
		}
	}
	return u
}

// take hands out the first n pending units as one job.
func (p *packer) take(n int) Record {
	var nv, na int
	for _, u := range p.pend[:n] {
		nv += len(u.values)
		na += len(u.args)
	}
	b := make([]string, 0, nv+na)
	for _, u := range p.pend[:n] {
		b = append(b, u.values...)
	}
	for _, u := range p.pend[:n] {
		b = append(b, u.args...)
	}
	for _, u := range p.pend[:n] {
		p.size -= u.cost
	}
	rest := copy(p.pend, p.pend[n:])
	clear(p.pend[rest:])
	p.pend = p.pend[:rest]
	return Record{Values: b[:nv:nv], Args: b[nv:]}
}

// drop forgets the pending units.
func (p *packer) drop() {
	clear(p.pend)
	p.pend, p.size, p.plan = p.pend[:0], 0, nil
}

// spread splits count tuples into min(slots, count) jobs whose sizes differ by
// at most one, the larger first.
func spread(count, slots int) []int {
	if count == 0 {
		return nil
	}
	m := min(slots, count)
	sizes := make([]int, m)
	for i := range sizes {
		sizes[i] = count / m
		if i < count%m {
			sizes[i]++
		}
	}
	return sizes
}
