package records

import "io"

// tuples combines the inputs into tuples of one value per source.
//
// Cartesian product (the default): the first input is outermost and read
// lazily, one value at a time, so it may be endless; inputs 2..k are read whole
// on the first call, since each of their values is used once per value of the
// first. The last input varies fastest (GNU parallel order: ::: a b ::: 1 2
// gives a 1, a 2, b 1, b 2).
//
// Linked (--link): every input is read lazily and in step; the tuples end with
// the shortest input. (GNU parallel wraps the shorter inputs around instead; the
// parmap contract says shortest wins, like GNU's :::+.)
type tuples struct {
	ins  []*input
	link bool

	loaded bool       // product: rest read
	rest   [][]string // product: values of inputs 2..k
	odo    []int      // product: index into each of rest
	fresh  bool       // product: need the next value of input 1
	done   bool
	tuple  []string // the current tuple, reused: valid until the next call
}

func newTuples(ins []*input, link bool) *tuples {
	return &tuples{ins: ins, link: link, fresh: true, tuple: make([]string, len(ins))}
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
	if t.link || len(t.ins) == 1 {
		err = t.nextLinked() // for one input, the same thing and cheaper
	} else {
		err = t.nextProduct()
	}
	if err != nil {
		t.done = true
		return nil, err
	}
	return t.tuple, nil
}

func (t *tuples) nextLinked() error {
	for i, in := range t.ins {
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
		v, err := t.ins[0].next()
		if err != nil {
			return err
		}
		t.tuple[0] = v
		t.fresh = false
	}
	// Inputs 2..k are read once input 1 is known to have a value: an empty
	// input 1 ends the product without waiting on the others.
	if !t.loaded {
		t.loaded = true
		for _, in := range t.ins[1:] {
			vs, err := in.all()
			if err != nil {
				return err
			}
			if len(vs) == 0 {
				return io.EOF // an empty factor: the product is empty
			}
			t.rest = append(t.rest, vs)
		}
		t.odo = make([]int, len(t.rest))
	}
	for j, vs := range t.rest {
		t.tuple[j+1] = vs[t.odo[j]]
	}
	// Advance the odometer; when it wraps, move on to input 1's next value.
	j := len(t.odo) - 1
	for ; j >= 0; j-- {
		t.odo[j]++
		if t.odo[j] < len(t.rest[j]) {
			break
		}
		t.odo[j] = 0
	}
	if j < 0 {
		t.fresh = true
	}
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
