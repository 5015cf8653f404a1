package template

import "github.com/parmap/parmap/internal/records"

// Text is a template for plain text, such as --tagstring: replacement strings
// are expanded and nothing is quoted. {} stands for the Args joined by spaces.
type Text struct {
	w word
}

// ParseText reads a text template.
func ParseText(s string, opt Options) (*Text, error) {
	return &Text{w: parseWord(s, newMatcher(opt))}, nil
}

// Expand returns the text for one record, run in job slot slot.
func (t *Text) Expand(rec *records.Record, slot int) string {
	if len(t.w.toks) == 0 {
		return t.w.text
	}
	s, _ := t.w.join(rec, slot, rec.Args)
	return s
}
