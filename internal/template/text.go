package template

import "github.com/parmap/parmap/internal/records"

// Text is a template for plain text, such as --tagstring: replacement strings
// are expanded and nothing is quoted. {} stands for the Args joined by spaces.
type Text struct {
	w word
}

// ParseText reads a text template.
func ParseText(s string, opt Options) (*Text, error) {
	w := parseWord(s, newMatcher(opt))
	if err := firstInvalid(w.toks); err != nil {
		return nil, err
	}
	return &Text{w: w}, nil
}

// Expand returns the text for one record, run in job slot slot.
func (t *Text) Expand(rec *records.Record, slot int) string {
	if len(t.w.toks) == 0 {
		return t.w.text
	}
	s, _ := t.w.join(rec, slot, rec.Args)
	return s
}
