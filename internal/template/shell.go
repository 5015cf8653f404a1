package template

import (
	"github.com/parmap/parmap/internal/records"
)

// shellLine is a command line run by the shell, with its replacement strings.
type shellLine struct {
	text     string
	lits     []string // len(toks)+1 pieces of the line around toks
	toks     []shellToken
	appendAt int       // where xargs-style arguments go; -1 when the line has {}
	ctx      []ctxSpan // with Options.Context (-X): the spans repeated for each record
}

func newShellLine(line string, toks []shellToken) shellLine {
	s := shellLine{text: line, toks: toks, lits: make([]string, 0, len(toks)+1)}
	last := 0
	for i := range s.toks {
		t := &s.toks[i]
		t.text = line[t.start:t.end]
		s.lits = append(s.lits, line[last:t.start])
		last = t.end
	}
	s.lits = append(s.lits, line[last:])
	return s
}

// expand returns the line with every value quoted for its place. used reports
// whether a replacement string took a value.
func (s *shellLine) expand(rec *records.Record, slot int) (line string, used bool, err error) {
	if len(s.toks) == 0 && s.appendAt < 0 {
		return s.text, false, nil
	}
	if len(s.ctx) > 0 && len(rec.Args) > 1 {
		line, err := s.expandContext(rec, slot)
		return line, true, err
	}
	size := len(s.text)
	for _, a := range rec.Args {
		size += len(a) + 3
	}
	b := make([]byte, 0, size+len(s.toks)*8)
	for i := range s.toks {
		b = append(b, s.lits[i]...)
		var ok bool
		if b, ok, err = s.toks[i].write(b, rec, slot); err != nil {
			return "", false, err
		}
		used = used || ok
	}
	b = append(b, s.lits[len(s.toks)]...)
	if !used && s.appendAt >= 0 {
		// No value was used, so b is the line as written.
		b = append(b[:0], s.text[:s.appendAt]...)
		for _, a := range rec.Args {
			b = append(b, ' ')
			b = appendWord(b, a, true)
		}
		b = append(b, s.text[s.appendAt:]...)
	}
	return string(b), used, nil
}

// write appends the value of a replacement string, quoted for its place. ok is
// false for a {name} that names no field, which is written as it stands.
func (st *shellToken) write(b []byte, rec *records.Record, slot int) (_ []byte, ok bool, err error) {
	t := &st.tok
	from := len(b)
	switch {
	case t.src == srcArgs && st.enc.q == qWord && st.enc.alone:
		for i, a := range rec.Args {
			if i > 0 {
				b = append(b, ' ')
			}
			b = appendWord(b, t.apply(a), true)
		}
	case t.src == srcArgs:
		b, err = st.encode(b, t.joinArgs(rec.Args), rec)
	default:
		v, ok := t.value(rec, slot)
		if !ok {
			return append(b, st.text...), false, nil
		}
		b, err = st.encode(b, v, rec)
	}
	for i := len(st.enc.bq) - 1; i >= 0; i-- {
		b = appendBackquoted(b, from, st.enc.bq[i])
	}
	return b, true, err
}

// encode appends one value quoted for the token's context.
func (st *shellToken) encode(b []byte, v string, rec *records.Record) ([]byte, error) {
	switch st.enc.q {
	case qWord:
		return appendWord(b, v, st.enc.alone), nil
	case qSingle:
		return appendInSingle(b, v), nil
	case qDouble:
		return appendInDouble(b, v, false, st.enc.param), nil
	case qBrace:
		return appendInDouble(b, v, true, true), nil
	case qPattern:
		return appendPattern(b, v), nil
	case qPatternDouble:
		return appendInPatternDouble(b, v), nil
	case qPatternSingle:
		b = append(b, '\'')
		b = appendPattern(b, v)
		return append(b, '\''), nil
	}
	if !arithSafe(v) {
		return b, &ArithError{Seq: rec.Seq, Token: st.tok.raw, Value: v}
	}
	return append(b, v...), nil
}
