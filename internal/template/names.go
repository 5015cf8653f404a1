package template

import "strings"

// NameError is a {name} that names no field: with --header :, every {name}
// must name a column, or a typo would run its own text as an argument.
type NameError struct {
	Token string   // the replacement string as written, e.g. "{nmae}"
	Names []string // the field names there are, in order
}

func (e *NameError) Error() string {
	return e.Token + " names no field; the fields are " + strings.Join(braced(e.Names), ", ")
}

// braced writes each name as the replacement string that picks it.
func braced(names []string) []string {
	out := make([]string, len(names))
	for i, n := range names {
		out[i] = "{" + n + "}"
	}
	return out
}

// CheckNames returns a *NameError for the first {name} of the template that
// names none of names (the field names --header : read), nil when each
// names one.
func (t *Template) CheckNames(names []string) error {
	for i := range t.words {
		if err := checkNames(t.words[i].toks, names); err != nil {
			return err
		}
	}
	for i := range t.line.toks {
		if tok := &t.line.toks[i].tok; !known(tok, names) {
			return &NameError{Token: tok.raw, Names: names}
		}
	}
	return nil
}

// CheckNames is Template.CheckNames for a text template.
func (t *Text) CheckNames(names []string) error {
	return checkNames(t.w.toks, names)
}

func checkNames(toks []token, names []string) error {
	for i := range toks {
		if !known(&toks[i], names) {
			return &NameError{Token: toks[i].raw, Names: names}
		}
	}
	return nil
}

// known reports whether tok is no {name}, or one that names one of names
// (itself, or without its path operator: {name/}).
func known(tok *token, names []string) bool {
	return tok.src != srcName || index(names, tok.name) >= 0 || tok.arg != "" && index(names, tok.arg) >= 0
}
