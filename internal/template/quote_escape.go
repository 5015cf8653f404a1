package template

import (
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// QuoteEscape returns s quoted as GNU's quotearg does in its shell-escape
// style in a UTF-8 locale (what GNU xargs -t prints): s itself when no
// shell reads anything in it; "…" when its only special byte is a single
// quote; otherwise in single quotes, a single quote closing them, escaped
// and reopening them, and control bytes (and bytes of no printable
// character) written $'\n', $'\001'.
func QuoteEscape(s string) string { return quoteEscape(s, true) }

// QuoteEscapeASCII is QuoteEscape in the C locale: every byte above 0x7f is
// written $'\ooo'.
func QuoteEscapeASCII(s string) string { return quoteEscape(s, false) }

func quoteEscape(s string, utf bool) string {
	if s == "" {
		return "''"
	}
	special, quotes, controls := false, false, false
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == '\'':
			quotes = true
		case unprintable(r, n, utf):
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
		ctl := unprintable(r, n, utf)
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

// unprintable reports whether rune r, n bytes long, is written escaped.
func unprintable(r rune, n int, utf bool) bool {
	return r < 0x20 || r == 0x7f || r >= 0x80 && (!utf || r == utf8.RuneError && n == 1 || !unicode.IsPrint(r))
}

// QuoteEscapeLine returns argv quoted by QuoteEscape and joined by spaces.
func QuoteEscapeLine(argv []string) string { return quoteEscapeLine(argv, true) }

// QuoteEscapeLineASCII returns argv quoted by QuoteEscapeASCII and joined
// by spaces.
func QuoteEscapeLineASCII(argv []string) string { return quoteEscapeLine(argv, false) }

func quoteEscapeLine(argv []string, utf bool) string {
	q := make([]string, len(argv))
	for i, a := range argv {
		q[i] = quoteEscape(a, utf)
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
