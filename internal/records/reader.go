package records

import (
	"errors"
	"io"
	"regexp"
)

// Options says how records are cut, split, combined and grouped into jobs.
//
// The zero Options cuts records at NUL bytes (Delim 0, as -0); DefaultOptions
// gives the usual one record per line.
type Options struct {
	Delim   byte           // record separator: '\n' by default, 0 for -0, any byte for -d
	StripCR bool           // --strip-cr: drop one trailing '\r' from each record
	ColSep  *regexp.Regexp // --colsep: split each record into fields (nil: no split)
	MaxArgs int            // -n N: up to N records per job (0 or 1: one)
	XArgs   int            // -X: byte budget for the records of one job (0: off); MaxArgs caps the count too
	// XArgsCost is what one argument of a record costs of XArgs (the
	// command it goes into decides: quoting, pointers, several uses);
	// nil means its length and a separator.
	XArgsCost func(arg string) int
	Slots     int  // with XArgs: job slots over which the last records are spread (0 or 1: no spreading)
	Link      bool // --link: pair sources up instead of the cartesian product; the shortest ends it
	Header    bool // --header : the first record of each source gives field names
	// EOF (-E) ends a source at a value equal to it; "" for none.
	EOF string
	// Trim (--trim) removes blanks around each value and field.
	Trim Trim
	// ReadAll reads the whole input before the first job, so that each
	// Record carries Total ({##}); Shuffle (--shuf) also hands the jobs out
	// in a random order, numbered 1, 2, 3… in that order, as GNU does.
	ReadAll, Shuffle bool
	// Exact, with XArgs and MaxArgs, makes a job whose MaxArgs units do
	// not fit in XArgs together an ErrListTooLong instead of a shorter job
	// (xargs -x; -L and -I imply it).
	Exact bool
	// Words, when set, reads xargs' input: the one source is cut into
	// units (words, lines; see Words) instead of records, and XArgs is
	// the byte budget (0: nothing fits): units go into jobs as -X packs
	// records, and a unit that cannot fit in XArgs alone is ErrArgTooLong.
	Words *Words
	// CheckNames, with Header, is given the field names once they are
	// read; an error it returns is Next's, and no record is read.
	CheckNames func(names []string) error
	// Continue (GNU's -L): a value that ends in a blank (space, tab…)
	// continues on the next one of its source, joined as they are.
	Continue bool
	// SkipBlank (GNU parallel's -r): a value of any source
	// that is empty or all blanks is skipped, as if it were not there.
	SkipBlank bool
	// NoArgs (GNU's -N0): each job still takes its records, but inserts
	// none: its Values and Args are empty.
	NoArgs bool
}

// DefaultOptions returns the options of a plain run: one record per line.
func DefaultOptions() Options { return Options{Delim: '\n'} }

// Reader hands out the records of its sources one job at a time. It is not safe
// for concurrent use.
//
// Records are separated by Options.Delim; the separator is dropped and every
// other byte is kept, including invalid UTF-8, NUL bytes (when they are not the
// separator) and a trailing '\r' (unless StripCR). An unterminated last record
// is a record; an empty input has none. An empty record (an empty line) is a job
// with one empty argument, as in GNU parallel, which only skips empty lines
// under --no-run-if-empty.
//
// With Header, the first record of every source is not a job: its values (its
// fields, with ColSep; with several sources, those of every source in source
// order) become the Names shared by all Records. For a list source that is its
// first value, so `::: name a b` names {1} "name" and runs a and b.
type Reader struct {
	opt    Options
	tuples *tuples

	started bool
	names   []string
	seq     int64
	pack    packer      // with XArgs
	units   *unitReader // with Words
	all     *buffered   // with ReadAll or Shuffle
	late    error       // met while gathering a job: returned once that job is out
	err     error       // sticky: io.EOF, a read error, or errClosed
}

var errClosed = errors.New("records: Next called after Close")

// Open checks every file source up front (it exists, is readable, is not a
// directory) and returns the first problem as a *SourceError, such as source
// 1, data.txt, SourceMissing. It reads no records: files are opened, and
// stdin read, only when Next needs them, and stdin not at all unless a source
// is Stdin (or File("-")). No sources means Stdin.
func Open(sources []Source, stdin io.Reader, opt Options) (*Reader, error) {
	if len(sources) == 0 {
		sources = []Source{Stdin()}
	}
	ins := make([]*input, len(sources))
	for i, s := range sources {
		if err := s.check(i); err != nil {
			return nil, err
		}
		if s.kind == fromStdin && stdin == nil {
			return nil, errors.New("records: a source is standard input but Open got none")
		}
		ins[i] = &input{src: s, index: i, stdin: stdin, delim: opt.Delim, stripCR: opt.StripCR, continued: opt.Continue, eof: opt.EOF, trim: opt.Trim.fn(), skipBlank: opt.SkipBlank}
	}
	r := &Reader{opt: opt, tuples: newTuples(ins, opt.Link)}
	if opt.XArgs > 0 || opt.Words != nil {
		r.pack = packer{budget: opt.XArgs, limit: opt.MaxArgs, slots: max(opt.Slots, 1), exact: opt.Exact}
	}
	if opt.Words != nil {
		if len(ins) != 1 || ins[0].src.kind == fromList || ins[0].src.kind == fromFeed || ins[0].src.then != nil {
			return nil, errors.New("records: Words reads one file or standard input")
		}
		r.units = &unitReader{w: *opt.Words, in: ins[0]}
	}
	return r, nil
}

// Next returns the next job's record, numbered 1, 2, 3… in input order, or
// io.EOF after the last. It reads no more input than that record needs, except
// that with XArgs it reads ahead by at most one record (to know that a job is
// full) or to the end of the records a job may still take (to spread them).
// A source that cannot be read fails with a *SourceError.
func (r *Reader) Next() (Record, error) {
	if r.err != nil {
		return Record{}, r.err
	}
	if !r.started {
		r.started = true
		if r.opt.Header {
			if err := r.readHeader(); err != nil {
				r.err = err
				return Record{}, err
			}
		}
	}
	var rec Record
	var err error
	if r.opt.ReadAll || r.opt.Shuffle {
		rec, err = r.nextBuffered()
	} else {
		rec, err = r.nextJob()
	}
	if err != nil {
		r.err = err
		return Record{}, err
	}
	if r.opt.NoArgs {
		rec.Values, rec.Args = nil, nil
	}
	r.seq++
	rec.Seq = r.seq
	rec.Names = r.names
	return rec, nil
}

// nextJob makes the next job's record as it comes.
func (r *Reader) nextJob() (Record, error) {
	switch {
	case r.opt.XArgs > 0 || r.units != nil:
		return r.nextPacked()
	case r.opt.MaxArgs > 1:
		return r.nextGroup()
	}
	return r.nextOne()
}

// Close closes any file still open; a failure is a *SourceError. Standard
// input is left to its owner.
func (r *Reader) Close() error {
	if r.err == nil || r.err == io.EOF {
		r.err = errClosed
	}
	return r.tuples.close()
}

// readHeader takes the first tuple as the field names.
func (r *Reader) readHeader() error {
	h, err := r.tuples.header()
	if err != nil {
		return err
	}
	r.names = r.fields(nil, h)
	if r.opt.CheckNames != nil {
		return r.opt.CheckNames(r.names)
	}
	return nil
}

// nextOne makes the record of one tuple.
func (r *Reader) nextOne() (Record, error) {
	t, err := r.tuples.next()
	if err != nil {
		return Record{}, err
	}
	if r.opt.ColSep == nil {
		// One allocation for both slices; each is capped so an append to one
		// cannot write into the other.
		n := len(t)
		b := make([]string, 2*n)
		copy(b, t)
		copy(b[n:], t)
		return Record{Values: b[:n:n], Args: b[n:]}, nil
	}
	return Record{Values: r.fields(nil, t), Args: append([]string(nil), t...)}, nil
}

// nextGroup makes the record of up to MaxArgs tuples. A read error after the
// first tuple is returned by the following call, after this partial job.
func (r *Reader) nextGroup() (Record, error) {
	if r.late != nil {
		return Record{}, r.late
	}
	var rec Record
	for range r.opt.MaxArgs {
		t, err := r.tuples.next()
		if err != nil {
			if rec.Args == nil {
				return Record{}, err
			}
			if err != io.EOF {
				r.late = err
			}
			break
		}
		rec.Args = append(rec.Args, t...)
		rec.Values = r.fields(rec.Values, t)
	}
	return rec, nil
}

// fields appends the values of tuple t to dst: the values themselves, or their
// fields with ColSep.
func (r *Reader) fields(dst, t []string) []string {
	if r.opt.ColSep == nil {
		return append(dst, t...)
	}
	trim := r.opt.Trim.fn()
	for _, v := range t {
		n := len(dst)
		dst = append(dst, r.opt.ColSep.Split(v, -1)...)
		if trim != nil {
			for i := n; i < len(dst); i++ {
				dst[i] = trim(dst[i])
			}
		}
	}
	return dst
}
