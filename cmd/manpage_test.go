package cmd

import (
	"fmt"
	"io"
	"strings"
)

// manPage renders parmap's man page (section 1) from the options --help
// shows (optionGroups, in the same order) and the texts of help_text.go,
// as plain roff: every character is escaped as troff reads it, so the page
// shows exactly what the help says. It has no date in it, so the same
// definition always renders the same page.
func manPage() (string, error) {
	app := newApp(io.Discard, io.Discard, nil)
	app.Setup() // adds --help, as a run would
	var b strings.Builder
	b.WriteString(".TH PARMAP 1 \"\" \"parmap\" \"User Commands\"\n")
	// No hyphenation, ragged right: option names stay whole, so that a
	// search of the page finds them.
	b.WriteString(".nh\n.ad l\n")
	b.WriteString(".SH NAME\nparmap \\- " + roff(summary) + "\n")
	b.WriteString(".SH SYNOPSIS\n.nf\n" + roff(usageLine) + "\n" + roff("SOURCE | parmap [OPTIONS] COMMAND [ARG...]") + "\n.fi\n")
	b.WriteString(".SH DESCRIPTION\n")
	for _, p := range about {
		b.WriteString(".PP\n" + roffLine(roff(p)) + "\n")
	}
	b.WriteString(".SH OPTIONS\n")
	for i, group := range optionGroups(app) {
		if len(group) == 0 {
			continue
		}
		b.WriteString(".SS " + roff(helpGroups[i]) + "\n")
		for _, o := range group {
			names := make([]string, len(o.names))
			for j, n := range o.names {
				names[j] = `\fB` + roff(n) + `\fR`
			}
			label := strings.Join(names, ", ")
			if o.placeholder != "" {
				label += ` \fI` + roff(o.placeholder) + `\fR`
			}
			b.WriteString(".TP\n" + roffLine(label) + "\n" + roffLine(roff(o.usage)) + "\n")
		}
	}
	manTerms(&b, "EXIT STATUS", exitStatuses)
	manTerms(&b, "ENVIRONMENT", environment)
	b.WriteString(".PP\nEvery job gets these variables:\n")
	for _, t := range jobEnvironment {
		b.WriteString(".TP\n" + `\fB` + roff(t.name) + `\fR` + "\n" + roffLine(roff(t.text)) + "\n")
	}
	b.WriteString(".SH EXAMPLES\n")
	for _, e := range examples {
		b.WriteString(".PP\n" + roffLine(roff(upperFirst(e.text))+":") + "\n.RS 4\n.nf\n" + roffLine(roff(e.name)) + "\n.fi\n.RE\n")
	}
	b.WriteString(".SH SEE ALSO\n")
	refs := make([]string, len(seeAlso))
	for i, r := range seeAlso {
		name, section, _ := strings.Cut(r, "(")
		refs[i] = `\fB` + roff(name) + `\fR(` + section
	}
	b.WriteString(strings.Join(refs, ", ") + "\n")
	return b.String(), nil
}

// manTerms writes a section of terms, each a tagged paragraph.
func manTerms(b *strings.Builder, title string, terms []entry) {
	b.WriteString(".SH " + title + "\n")
	for _, t := range terms {
		b.WriteString(".TP\n" + `\fB` + roff(t.name) + `\fR` + "\n" + roffLine(roff(t.text)) + "\n")
	}
}

// roff escapes s for troff text: the backslash, the minus (which troff
// would make a hyphen), the quotes and the accents troff would make
// typographic, and every character beyond ASCII as its code point.
func roff(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch {
		case r == '\\':
			b.WriteString(`\e`)
		case r == '-':
			b.WriteString(`\-`)
		case r == '\'':
			b.WriteString(`\(aq`)
		case r == '`':
			b.WriteString(`\(ga`)
		case r == '^':
			b.WriteString(`\(ha`)
		case r == '~':
			b.WriteString(`\(ti`)
		case r >= 0x80:
			fmt.Fprintf(&b, `\[u%04X]`, r)
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// roffLine makes escaped text safe as a line of its own: a line that
// starts with . or ' would be a request.
func roffLine(s string) string {
	if strings.HasPrefix(s, ".") || strings.HasPrefix(s, "'") {
		return `\&` + s
	}
	return s
}

// upperFirst capitalises the first letter of s.
func upperFirst(s string) string {
	if s == "" || s[0] < 'a' || s[0] > 'z' {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}
