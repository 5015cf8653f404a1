package records

import (
	"io"
	"os"
)

// input reads the values of one Source in order. A file is opened on the first
// call of next and closed at its end (or by close); standard input is never
// closed, it belongs to the caller.
type input struct {
	src     Source
	index   int // the source's place among those given to Open
	stdin   io.Reader
	delim   byte
	stripCR bool
	// continued: a value ending in a blank continues on the next (-L).
	continued bool

	eof  string              // -E: a value equal to it ends the source ("": none)
	trim func(string) string // --trim: applied to each value; nil: none
	// skipBlank (GNU parallel's -r): a value, of any source,
	// that holds nothing but blanks is not a record.
	skipBlank bool

	i     int       // fromList: next index
	split *splitter // fromStdin, fromFile: once started
	file  *os.File  // fromFile: while open
	done  bool
	// fed: the source's own values have ended, and Source.Then's feed is
	// read.
	fed bool
}

// next returns the source's next value, or io.EOF after the last (or at a
// value equal to the -E string). Other errors are *SourceError.
func (in *input) next() (string, error) {
	v, err := in.readJoined()
	for err == nil && in.skipBlank && allBlank(v) && (in.eof == "" || v != in.eof) {
		v, err = in.readJoined()
	}
	if err != nil {
		return v, err
	}
	if in.eof != "" && v == in.eof {
		in.done = true
		if err := in.close(); err != nil {
			return "", in.src.readError(in.index, err)
		}
		return "", io.EOF
	}
	if in.trim != nil {
		v = in.trim(v)
	}
	return v, nil
}

// read returns the source's next value as cut, without -L's joining, -E
// and --trim.
func (in *input) read() (string, error) {
	if in.done {
		return "", io.EOF
	}
	if in.fed {
		return in.readFeed(in.src.then)
	}
	v, err := in.readOwn()
	if err == io.EOF && in.src.then != nil {
		in.done, in.fed = false, true
		return in.readFeed(in.src.then)
	}
	return v, err
}

// readFeed reads f, ending the source with it.
func (in *input) readFeed(f *Feed) (string, error) {
	v, err := f.next()
	if err != nil {
		in.done = true
	}
	return v, err
}

// readOwn returns the source's own next value.
func (in *input) readOwn() (string, error) {
	if in.src.kind == fromFeed {
		return in.readFeed(in.src.feed)
	}
	if in.src.kind == fromList {
		if in.i == len(in.src.values) {
			in.done = true
			return "", io.EOF
		}
		in.i++
		return in.src.values[in.i-1], nil
	}
	if in.split == nil {
		if err := in.start(); err != nil {
			return "", err
		}
	}
	v, err := in.split.next()
	if err == nil {
		return v, nil
	}
	in.done = true
	cerr := in.close()
	if err != io.EOF {
		return "", in.src.readError(in.index, err)
	}
	if cerr != nil {
		return "", in.src.readError(in.index, cerr)
	}
	return "", io.EOF
}

// start opens the source for reading.
func (in *input) start() error {
	r, err := in.open()
	if err != nil {
		return err
	}
	in.split = newSplitter(r, in.delim, in.stripCR)
	return nil
}

// open opens a file source (standard input is already open) and returns
// what to read.
func (in *input) open() (io.Reader, error) {
	if in.src.kind != fromFile {
		return in.stdin, nil
	}
	f, err := os.Open(in.src.path)
	if err != nil {
		in.done = true
		return nil, in.src.openError(in.index, err)
	}
	in.file = f
	return f, nil
}

// all reads every remaining value.
func (in *input) all() ([]string, error) {
	var vs []string
	for {
		v, err := in.next()
		if err == io.EOF {
			return vs, nil
		}
		if err != nil {
			return nil, err
		}
		vs = append(vs, v)
	}
}

// close closes the file, if one is open.
func (in *input) close() error {
	if in.file == nil {
		return nil
	}
	err := in.file.Close()
	in.file = nil
	return err
}

// allBlank reports whether v holds nothing but blanks (perl's \s: space,
// tab, newline, carriage return, form feed, vertical tab), as GNU parallel's
// -r tests a line.
func allBlank(v string) bool {
	for i := 0; i < len(v); i++ {
		switch v[i] {
		case ' ', '\t', '\n', '\r', '\f', '\v':
		default:
			return false
		}
	}
	return true
}
