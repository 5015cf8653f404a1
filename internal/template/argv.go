package template

import (
	"strings"

	"github.com/parmap/parmap/internal/records"
)

// word is one argv element of a template: literal text around replacement strings.
type word struct {
	text string   // the word as written
	lits []string // len(toks)+1 pieces of literal text around toks
	toks []token
}

// parseWord splits one argv word into literal text and replacement strings.
func parseWord(s string, m matcher) word {
	w := word{text: s}
	last := 0
	for i := 0; i < len(s); {
		t, ok := m.at(s, i)
		if !ok {
			i++
			continue
		}
		w.lits = append(w.lits, s[last:i])
		w.toks = append(w.toks, t)
		i += len(t.raw)
		last = i
	}
	w.lits = append(w.lits, s[last:])
	return w
}

// static reports whether the word holds a replacement string other than {name}.
func (w *word) static() bool {
	for i := range w.toks {
		if w.toks[i].src != srcName {
			return true
		}
	}
	return false
}

// whole reports whether the word is exactly the record's {} (or -I string), which
// expands to one word per element of Args.
func (w *word) whole() bool {
	return len(w.toks) == 1 && w.toks[0].src == srcArgs && w.toks[0].op == opNone &&
		w.lits[0] == "" && w.lits[1] == ""
}

// expand appends the expansion of w to argv. Several Args become several words
// when the word is a whole {}; inside a larger word they are joined by spaces,
// or with ctx (-X) the word is repeated once for each of them. used reports
// whether a replacement string took a value.
func (w *word) expand(argv []string, rec *records.Record, slot int, ctx bool) (_ []string, used bool) {
	if len(w.toks) == 0 {
		return append(argv, w.text), false
	}
	if w.whole() {
		return append(argv, rec.Args...), true
	}
	if ctx && len(rec.Args) > 1 && w.uses() > 0 {
		for i := range rec.Args {
			var s string
			s, used = w.join(rec, slot, rec.Args[i:i+1])
			argv = append(argv, s)
		}
		return argv, used
	}
	s, used := w.join(rec, slot, rec.Args)
	return append(argv, s), used
}

// contextual reports whether -X repeats w once for each Arg: it holds {}
// (or its variants) among other text.
func (w *word) contextual() bool {
	return !w.whole() && w.uses() > 0
}

// join returns the word expanded to one string, {} taking args.
func (w *word) join(rec *records.Record, slot int, args []string) (string, bool) {
	var vals [4]string
	vs := vals[:0]
	n := len(w.lits[0])
	used := false
	for i := range w.toks {
		t := &w.toks[i]
		var v string
		if t.src == srcArgs {
			v, used = t.joinArgs(args), true
		} else {
			var ok bool
			v, ok = t.value(rec, slot)
			used = used || ok
		}
		vs = append(vs, v)
		n += len(v) + len(w.lits[i+1])
	}
	if len(vs) == 1 && w.lits[0] == "" && w.lits[1] == "" {
		return vs[0], used
	}
	var b strings.Builder
	b.Grow(n)
	b.WriteString(w.lits[0])
	for i, v := range vs {
		b.WriteString(v)
		b.WriteString(w.lits[i+1])
	}
	return b.String(), used
}
