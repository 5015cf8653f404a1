package records

import "io"

// tuples combines the inputs into tuples of one value per source.
//
// The inputs fall into groups: a source made with Linked joins the group of
// the source before it, --link makes one group of all. A group gives its
// values in step, one of each input, and ends with its shortest input (GNU
// parallel's :::+; its --link wraps the shorter inputs around instead).
//
// The groups combine as a cartesian product: the first group is outermost and
// read lazily, one value of each input at a time, so it may be endless; the
// other groups are read whole on the first call, since each of their values is
// used once per value of the first. The last group varies fastest (GNU
// parallel order: ::: a b ::: 1 2 gives a 1, a 2, b 1, b 2).
type tuples struct {
	ins    []*input
	starts []int // the first input of each group, then len(ins)

	loaded bool         // product: rest read
	rest   [][][]string // product: by group from 2, by input in it, its values
	odo    []int        // product: index into each group of rest
	fresh  bool         // product: need the next values of group 1
	done   bool
	tuple  []string // the current tuple, reused: valid until the next call
}

func newTuples(ins []*input, link bool) *tuples {
	t := &tuples{ins: ins, fresh: true, tuple: make([]string, len(ins))}
	t.starts = append(t.starts, 0)
	for i, in := range ins {
		if i > 0 && !link && !in.src.linked {
			t.starts = append(t.starts, i)
		}
	}
	t.starts = append(t.starts, len(ins))
	return t
}

// header reads the first value of every input, the --header : names. It returns
// io.EOF when some input has none, since no tuple can then follow either.
func (t *tuples) header() ([]string, error) {
	h := make([]string, len(t.ins))
	for i, in := range t.ins {
		v, err := in.next()
		if err != nil {
			t.done = true
			return nil, err
		}
		h[i] = v
	}
	return h, nil
}

// next returns the next tuple, or io.EOF after the last. The slice is reused by
// the following call.
func (t *tuples) next() ([]string, error) {
	if t.done {
		return nil, io.EOF
	}
	var err error
	if len(t.starts) == 2 {
		err = t.nextLinked(t.ins) // one group: no product, and cheaper
	} else {
		err = t.nextProduct()
	}
	if err != nil {
		t.done = true
		return nil, err
	}
	return t.tuple, nil
}

// nextLinked puts the next value of each of ins, the first group, in the tuple.
func (t *tuples) nextLinked(ins []*input) error {
	for i, in := range ins {
		v, err := in.next()
		if err != nil {
			return err
		}
		t.tuple[i] = v
	}
	return nil
}

func (t *tuples) nextProduct() error {
	if t.fresh {
		if err := t.nextLinked(t.ins[:t.starts[1]]); err != nil {
			return err
		}
		t.fresh = false
	}
	// The other groups are read once group 1 is known to have values: an
	// empty group 1 ends the product without waiting on the others.
	if !t.loaded {
		t.loaded = true
		if err := t.load(); err != nil {
			return err
		}
	}
	for g, group := range t.rest {
		start := t.starts[g+1]
		for k, vs := range group {
			t.tuple[start+k] = vs[t.odo[g]]
		}
	}
	// Advance the odometer; when it wraps, move on to group 1's next values.
	g := len(t.odo) - 1
	for ; g >= 0; g-- {
		t.odo[g]++
		if t.odo[g] < len(t.rest[g][0]) {
			break
		}
		t.odo[g] = 0
	}
	if g < 0 {
		t.fresh = true
	}
	return nil
}

// load reads every group but the first whole, each cut to its shortest input.
func (t *tuples) load() error {
	for g := 1; g+1 < len(t.starts); g++ {
		var group [][]string
		n := -1
		for _, in := range t.ins[t.starts[g]:t.starts[g+1]] {
			vs, err := in.all()
			if err != nil {
				return err
			}
			if n < 0 || len(vs) < n {
				n = len(vs)
			}
			group = append(group, vs)
		}
		if n == 0 {
			return io.EOF // an empty factor: the product is empty
		}
		for k := range group {
			group[k] = group[k][:n]
		}
		t.rest = append(t.rest, group)
	}
	t.odo = make([]int, len(t.rest))
	return nil
}

// close closes every input's open file and returns the first error.
func (t *tuples) close() error {
	var first error
	for _, in := range t.ins {
		if err := in.close(); err != nil && first == nil {
			first = in.src.readError(in.index, err)
		}
	}
	return first
}
