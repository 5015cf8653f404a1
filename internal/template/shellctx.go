package template

import (
	"strings"

	"github.com/parmap/parmap/internal/records"
)

// GNU parallel's context replace (-X) in a shell command line: the text
// around a {} up to the blanks on either side is repeated once for each of
// the job's records, `echo a{}b | cat` giving `echo a1b a2b a3b | cat`. Each
// copy quotes its value for its place, as a single value would be. A span
// that is not a plain word on its own (it would take a quote, a parenthesis
// or an operator with it, like the `a{}b)` of `$(echo a{}b)`) is not
// repeated: the records go into it joined by spaces, as without -X.

// ctxSpan is the text repeated for each record: line[start:end], holding
// the tokens first to last-1.
type ctxSpan struct {
	start, end  int
	first, last int
}

// contextSpans finds the spans of s to repeat under -X.
func (s *shellLine) contextSpans(m matcher) []ctxSpan {
	var spans []ctxSpan
	for i := 0; i < len(s.toks); {
		st := &s.toks[i]
		if st.tok.src != srcArgs || st.enc.alone {
			i++
			continue
		}
		start, end := st.start, st.end
		for start > 0 && !isBlank(s.text[start-1]) {
			start--
		}
		for end < len(s.text) && !isBlank(s.text[end]) {
			end++
		}
		// Take every token of the span (it may start before i, if an
		// earlier token in it takes no Args, and end after it).
		first := i
		for first > 0 && s.toks[first-1].start >= start {
			first--
		}
		last := i + 1
		for last < len(s.toks) && s.toks[last].end <= end {
			last++
		}
		if plainSpan(s, start, end, first, last, m) {
			spans = append(spans, ctxSpan{start: start, end: end, first: first, last: last})
		}
		i = last
	}
	return spans
}

func isBlank(c byte) bool { return c == ' ' || c == '\t' || c == '\n' }

// plainSpan reports whether a span can be repeated: it lexes on its own
// without error, has no operator or grouping outside its tokens, and no
// token in it is inside backquotes.
func plainSpan(s *shellLine, start, end, first, last int, m matcher) bool {
	var lits strings.Builder
	at := start
	for j := first; j < last; j++ {
		if len(s.toks[j].enc.bq) > 0 {
			return false
		}
		lits.WriteString(s.text[at:s.toks[j].start])
		at = s.toks[j].end
	}
	lits.WriteString(s.text[at:end])
	if strings.ContainsAny(lits.String(), ";&|<>()`") {
		return false
	}
	l := lex(s.text[start:end], m)
	return l.err == "" && len(l.toks) == last-first
}

// expandContext is expand for a job of several records when the line has
// spans to repeat.
func (s *shellLine) expandContext(rec *records.Record, slot int) (string, error) {
	b := make([]byte, 0, len(s.text)*len(rec.Args)+64)
	one := *rec
	pos, tok := 0, 0 // next byte of the line, next token
	write := func(j int, r *records.Record) error {
		var err error
		b = append(b, s.text[pos:s.toks[j].start]...)
		b, _, err = s.toks[j].write(b, r, slot)
		pos = s.toks[j].end
		return err
	}
	for _, sp := range s.ctx {
		for ; tok < sp.first; tok++ {
			if err := write(tok, rec); err != nil {
				return "", err
			}
		}
		b = append(b, s.text[pos:sp.start]...)
		for k := range rec.Args {
			if k > 0 {
				b = append(b, ' ')
			}
			one.Args = rec.Args[k : k+1]
			pos = sp.start
			for j := sp.first; j < sp.last; j++ {
				if err := write(j, &one); err != nil {
					return "", err
				}
			}
			b = append(b, s.text[pos:sp.end]...)
		}
		pos, tok = sp.end, sp.last
	}
	for ; tok < len(s.toks); tok++ {
		if err := write(tok, rec); err != nil {
			return "", err
		}
	}
	b = append(b, s.text[pos:]...)
	return string(b), nil
}

// ctxCost is what one argument a costs in the spans -X repeats: a copy of
// each span, its value quoted for its place and a space; another token in
// a span is counted as 20 bytes.
func (s *shellLine) ctxCost(a string) int {
	cost := 0
	var buf []byte
	for _, sp := range s.ctx {
		cost += sp.end - sp.start + 1
		for j := sp.first; j < sp.last; j++ {
			st := &s.toks[j]
			cost -= len(st.text)
			if st.tok.src != srcArgs {
				cost += 20
				continue
			}
			n := len(a)
			if st.enc.q != qArith {
				buf, _ = st.encode(buf[:0], a, nil)
				n = len(buf)
			}
			cost += n
		}
	}
	return cost
}

// inSpan reports whether token i is in a span -X repeats.
func (s *shellLine) inSpan(i int) bool {
	for _, sp := range s.ctx {
		if sp.first <= i && i < sp.last {
			return true
		}
	}
	return false
}
