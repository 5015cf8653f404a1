package records

import (
	"bufio"
	"io"
	"strings"
)

// bufSize is the read buffer of each streamed source: large enough that a read
// system call carries many short records, small enough to keep memory flat.
const bufSize = 64 << 10

// splitter cuts a byte stream into records at a delimiter byte.
//
// A record that fits in the buffer costs one string allocation; a longer one is
// gathered in a strings.Builder, so there is no length limit. The delimiter is
// dropped; every other byte is kept as it is.
type splitter struct {
	br      *bufio.Reader
	delim   byte
	stripCR bool
	err     error // sticky: io.EOF or the read error, once met
}

func newSplitter(r io.Reader, delim byte, stripCR bool) *splitter {
	return newSplitterSize(r, delim, stripCR, bufSize)
}

// newSplitterSize is newSplitter with a given buffer size (tests use a tiny one
// to take the long-record path often).
func newSplitterSize(r io.Reader, delim byte, stripCR bool, size int) *splitter {
	return &splitter{br: bufio.NewReaderSize(r, size), delim: delim, stripCR: stripCR}
}

// next returns the next record. An unterminated last record is a record; after
// it, and on empty input, next returns io.EOF.
func (s *splitter) next() (string, error) {
	if s.err != nil {
		return "", s.err
	}
	chunk, err := s.br.ReadSlice(s.delim)
	switch err {
	case nil:
		return s.trim(chunk[:len(chunk)-1]), nil
	case bufio.ErrBufferFull:
		return s.long(chunk)
	}
	s.err = err
	if err == io.EOF && len(chunk) > 0 {
		return s.trim(chunk), nil
	}
	return "", err
}

// long gathers a record that does not fit in the buffer; first is its start.
func (s *splitter) long(first []byte) (string, error) {
	var b strings.Builder
	b.Write(first)
	for {
		chunk, err := s.br.ReadSlice(s.delim)
		if err == nil {
			chunk = chunk[:len(chunk)-1]
		}
		if b.Cap()-b.Len() < len(chunk) {
			b.Grow(max(b.Len(), len(chunk))) // double: few copies of a huge record
		}
		b.Write(chunk)
		switch err {
		case nil:
			return s.cut(b.String()), nil
		case bufio.ErrBufferFull:
			continue
		case io.EOF:
			s.err = err
			return s.cut(b.String()), nil
		default:
			s.err = err
			return "", err
		}
	}
}

// trim converts a record's bytes to a string, without the '\r' --strip-cr drops.
func (s *splitter) trim(b []byte) string {
	if s.stripCR && len(b) > 0 && b[len(b)-1] == '\r' {
		b = b[:len(b)-1]
	}
	return string(b)
}

// cut is trim for a record already made a string.
func (s *splitter) cut(v string) string {
	if s.stripCR && strings.HasSuffix(v, "\r") {
		v = v[:len(v)-1]
	}
	return v
}
