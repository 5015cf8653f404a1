package records

import (
	"bufio"
	"bytes"
	"errors"
	"io"
)

// Words is how xargs reads its input (Options.Words), instead of one record
// per line. The records of a job are then units: a word, a line of words
// (Lines) or a whole line (WholeLine), and Options.MaxArgs counts units.
type Words struct {
	// Quotes splits the input at blanks and newlines, reading '…', "…"
	// and a backslash as quotes, as xargs does by default: leading white
	// space (also \f, \v, \r) is skipped, but only blanks and newlines end
	// a word. A quote still open at the end of its line is a *QuoteError.
	// Without Quotes, records end at Options.Delim and are taken as they
	// are (xargs -0, -d); EOF does not apply.
	Quotes bool
	// EOF, when not "", is the logical end of the input (xargs -E): a
	// word equal to it (after its quotes are read) ends the input, and is
	// not a record. When the input is a seekable standard input, its
	// offset is left just past the bytes read, for whoever reads it next.
	EOF string
	// Lines makes a unit of all the words of one line; a line whose last
	// character is a blank goes on on the next line (xargs -L).
	Lines bool
	// WholeLine makes a unit of each whole line, one argument, its
	// leading white space dropped and its quotes read (xargs -I).
	WholeLine bool
	// RunEmpty makes one job without units of an input that has none
	// (xargs runs its command once unless -r).
	RunEmpty bool
	// NUL, when set, is called once, at the first NUL byte of quoted
	// input; a word ends at a NUL byte, the rest of it dropped, as GNU
	// xargs' C strings end there.
	NUL func()
}

// QuoteError is a quote that is not closed on its line (xargs' input).
type QuoteError struct {
	Quote byte // '\'' or '"'
}

func (e *QuoteError) Error() string {
	return "unmatched " + e.Name() + " quote"
}

// Name is "single" or "double".
func (e *QuoteError) Name() string {
	if e.Quote == '"' {
		return "double"
	}
	return "single"
}

// ErrArgTooLong is a unit (one argument, one line with Words) that does not
// fit in the byte budget (Options.XArgs) on its own. The jobs before it are
// handed out first.
var ErrArgTooLong = errors.New("records: an argument does not fit in the byte budget")

// ErrListTooLong is a job that Options.Exact wants whole (MaxArgs units) but
// whose units do not fit in the byte budget together.
var ErrListTooLong = errors.New("records: a job's records do not fit in the byte budget")

// wordScanner reads xargs' quoted input as GNU xargs' read_line does.
type wordScanner struct {
	br   *bufio.Reader
	eof  string
	line bool // WholeLine: blanks do not end a word

	nul      func()    // Words.NUL, nil once called
	seek     io.Seeker // the seekable standard input; nil otherwise
	base     int64     // its offset when reading started
	consumed int64     // bytes read from br
	done     bool
	buf      []byte
}

func newWordScanner(r io.Reader, w Words, stdin bool) *wordScanner {
	s := &wordScanner{br: bufio.NewReaderSize(r, bufSize), eof: w.EOF, line: w.WholeLine, nul: w.NUL}
	if sk, ok := r.(io.Seeker); ok && stdin && w.EOF != "" {
		if off, err := sk.Seek(0, io.SeekCurrent); err == nil {
			s.seek, s.base = sk, off
		}
	}
	return s
}

// Scanner states, as GNU xargs' read_line.
const (
	stSpace = iota
	stNorm
	stQuote
	stBackslash
)

func isBlank(c byte) bool { return c == ' ' || c == '\t' }

func isSpace(c byte) bool { return c == ' ' || c >= '\t' && c <= '\r' }

// read is one call of GNU's read_line: the words of one input line.
// counted is false when the line ended in an escaped blank (-L goes on to
// the next line). err is io.EOF at the end of the input or at the EOF
// string (with the words read before it), a *QuoteError, or a read error.
func (s *wordScanner) read() (words []string, counted bool, err error) {
	if s.done {
		return nil, false, io.EOF
	}
	state := stSpace
	var quote, prev byte
	c := byte(0)
	first := true
	s.buf = s.buf[:0]
	for {
		prev = c
		b, rerr := s.br.ReadByte()
		if rerr != nil {
			s.done = true
			if rerr != io.EOF {
				return words, false, rerr
			}
			if len(s.buf) == 0 {
				return words, false, io.EOF // GNU: even in an open quote
			}
			if state == stQuote {
				return words, false, &QuoteError{Quote: quote}
			}
			if !(first && s.isEOF()) {
				words = append(words, s.word())
			}
			return words, false, io.EOF
		}
		s.consumed++
		c = b
		switch state {
		case stSpace:
			if isSpace(c) {
				continue
			}
			state = stNorm
			fallthrough
		case stNorm:
			if c == '\n' {
				// The word may be empty: '' at the end of a line.
				counted = !isBlank(prev)
				if s.isEOF() {
					return words, counted, s.stop()
				}
				return append(words, s.word()), counted, nil
			}
			if !s.line && isBlank(c) {
				if s.isEOF() {
					return words, false, s.stop()
				}
				words = append(words, s.word())
				s.buf = s.buf[:0]
				state, first = stSpace, false
				continue
			}
			switch c {
			case '\\':
				state = stBackslash
				continue
			case '\'', '"':
				state, quote = stQuote, c
				continue
			}
		case stQuote:
			if c == '\n' {
				s.done = true
				return words, false, &QuoteError{Quote: quote}
			}
			if c == quote {
				state = stNorm
				continue
			}
		case stBackslash:
			state = stNorm
		}
		if c == 0 && s.nul != nil {
			s.nul()
			s.nul = nil
		}
		s.buf = append(s.buf, c)
	}
}

// word is the word read, up to any NUL byte.
func (s *wordScanner) word() string {
	if i := bytes.IndexByte(s.buf, 0); i >= 0 {
		return string(s.buf[:i])
	}
	return string(s.buf)
}

// isEOF reports whether the word read is the EOF string.
func (s *wordScanner) isEOF() bool { return s.eof != "" && s.word() == s.eof }

// stop ends the input at the EOF string, leaving a seekable standard input
// just past what was read.
func (s *wordScanner) stop() error {
	s.done = true
	if s.seek != nil {
		s.seek.Seek(s.base+s.consumed, io.SeekStart)
	}
	return io.EOF
}

// unitReader hands out xargs' units of one source.
type unitReader struct {
	w     Words
	in    *input
	scan  *wordScanner // Quotes, once started
	queue []string     // Quotes without Lines or WholeLine: words read, not yet handed out
	late  error        // met after words still queued
	err   error        // sticky
}

// next returns the next unit, or io.EOF after the last.
func (u *unitReader) next() ([]string, error) {
	if u.err != nil {
		return nil, u.err
	}
	if !u.w.Quotes {
		v, err := u.in.next()
		if err != nil {
			u.err = err
			return nil, err
		}
		return []string{v}, nil
	}
	if u.scan == nil {
		r, err := u.in.open()
		if err != nil {
			u.err = err
			return nil, err
		}
		u.scan = newWordScanner(r, u.w, u.in.src.kind == fromStdin)
	}
	units, err := u.unit()
	if err != nil {
		u.err = err
	}
	return units, err
}

// unit reads one unit of quoted input; the words read before an error come
// first, the error with the next call.
func (u *unitReader) unit() ([]string, error) {
	if u.late != nil && len(u.queue) == 0 {
		return nil, u.late
	}
	switch {
	case u.w.WholeLine:
		words, _, err := u.scan.read()
		if len(words) > 0 {
			u.late = err
			return words, nil
		}
		return nil, u.readErr(err)
	case u.w.Lines:
		var line []string
		for {
			words, counted, err := u.scan.read()
			line = append(line, words...)
			if err != nil {
				if len(line) > 0 {
					u.late = u.readErr(err)
					return line, nil
				}
				return nil, u.readErr(err)
			}
			if counted && len(line) > 0 {
				return line, nil
			}
		}
	}
	for len(u.queue) == 0 && u.late == nil {
		words, _, err := u.scan.read()
		u.queue = append(u.queue, words...)
		if err != nil {
			u.late = u.readErr(err)
		}
	}
	if len(u.queue) == 0 {
		return nil, u.late
	}
	w := u.queue[0]
	u.queue = u.queue[1:]
	return []string{w}, nil
}

// readErr makes a read error of the source a *SourceError.
func (u *unitReader) readErr(err error) error {
	var qe *QuoteError
	if err == io.EOF || errors.As(err, &qe) {
		return err
	}
	return u.in.src.readError(u.in.index, err)
}
