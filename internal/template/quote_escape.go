package template

import (
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// QuoteEscape returns s quoted as GNU's quotearg does in its shell-escape
// style (what GNU xargs -t prints): s itself when no shell reads anything
// in it; "…" when its only special byte is a single quote; otherwise '…',
// a single quote written '\”, and control bytes written $'\n', $'\001'.
func QuoteEscape(s string) string {
	if s == "" {
		return "''"
	}
	special, quotes, controls := false, false, false
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == '\'':
			quotes = true
		case r == utf8.RuneError && n == 1, r < 0x20, r == 0x7f, r >= 0x80 && !unicode.IsPrint(r):
			controls = true
		case r < 0x80 && needsQuote(s, i):
			special = true
		}
		i += n
	}
	switch {
	case !special && !quotes && !controls:
		return s
	case quotes && !controls && !strings.ContainsAny(s, "$`\\\"!"):
		return `"` + s + `"`
	}
	var b strings.Builder
	b.WriteByte('\'')
	escaped := false // inside $'…'
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		ctl := r == utf8.RuneError && n == 1 || r < 0x20 || r == 0x7f || r >= 0x80 && !unicode.IsPrint(r)
		switch {
		case ctl && !escaped:
			b.WriteString(`'$'`)
			escaped = true
		case !ctl && escaped:
			b.WriteString(`''`)
			escaped = false
		}
		switch {
		case ctl:
			for j := i; j < i+n; j++ {
				b.WriteString(cEscape(s[j]))
			}
		case r == '\'':
			b.WriteString(`'\''`)
		default:
			b.WriteString(s[i : i+n])
		}
		i += n
	}
	b.WriteByte('\'')
	return b.String()
}

// QuoteEscapeLine returns argv quoted by QuoteEscape and joined by spaces.
func QuoteEscapeLine(argv []string) string {
	q := make([]string, len(argv))
	for i, a := range argv {
		q[i] = QuoteEscape(a)
	}
	return strings.Join(q, " ")
}

// needsQuote reports whether the ASCII byte s[i] makes a shell read s as
// more than a word.
func needsQuote(s string, i int) bool {
	switch c := s[i]; c {
	case '{', '}':
		return len(s) == 1
	case '#', '~':
		return i == 0
	case ' ', '!', '"', '$', '&', '(', ')', '*', ';', '<', '=', '>', '?', '[', '\\', '^', '`', '|':
		return true
	}
	return false
}

// cEscape is a control byte as $'…' writes it.
func cEscape(c byte) string {
	switch c {
	case '\a':
		return `\a`
	case '\b':
		return `\b`
	case '\f':
		return `\f`
	case '\n':
		return `\n`
	case '\r':
		return `\r`
	case '\t':
		return `\t`
	case '\v':
		return `\v`
	}
	o := strconv.FormatInt(int64(c), 8)
	return `\` + strings.Repeat("0", 3-len(o)) + o
}
