package template

import (
	"slices"
	"strings"
)

// This file reads the shell's expansions: $…, ${…}, arithmetic and backquotes.

// dollar reads an expansion that starts with $. dq: inside double quotes;
// arith: inside arithmetic, where every value must be a number.
func (l *lexer) dollar(dq, arith bool) {
	l.syntax = true
	switch l.at(1) {
	case '(':
		if l.at(2) == '(' {
			l.pos += 3
			l.arith(')', false)
			return
		}
		l.pos += 2
		before := len(l.toks)
		l.command(')', false)
		l.expect(')', "unterminated $(")
		if n := len(l.bq); n > 0 && l.bq[n-1] && len(l.toks) > before {
			// bash reads "`… $(… '{ …) …`" wrongly: it scans the $(…)
			// before removing the backslashes of the backquotes.
			l.ambiguous = "bash misreads a replacement string in $(…) inside `…` inside \"…\"; write $(…) instead of `…`"
		}
	case '{':
		l.pos += 2
		l.param(dq, arith)
	case '[':
		l.pos += 2
		l.arith(']', false) // bash's old $[…]
	case '\'':
		l.pos++
		if !dq {
			l.ansiC()
		}
	default:
		l.pos++
		if _, ok := l.token(wordSpecial); ok {
			l.fail("a $ right before a replacement string would join with its value; write \\$ or '$'")
		}
	}
}

// ansiC reads bash's $'…' (in sh, $ and then '…').
func (l *lexer) ansiC() {
	l.pos++
	for l.pos < len(l.src) {
		if t, ok := l.token(singleSpecial); ok && t.src != srcName {
			l.fail("a replacement string inside $'…' cannot be quoted for every shell; use '…'")
			return
		}
		switch l.src[l.pos] {
		case '\'':
			l.pos++
			return
		case '\\':
			if l.at(1) == '\'' {
				l.ambiguous = `sh and bash read $'…\'…' differently`
			}
			l.skip(2)
		default:
			l.pos++
		}
	}
	l.fail("unterminated quote")
}

// param reads ${…}, after the "${".
func (l *lexer) param(dq, arith bool) {
	prefix := false
	if b := l.at(0); (b == '#' || b == '!') && l.at(1) != '}' { // ${#x} ${!x}
		l.pos++
		prefix = true
	}
	switch b := l.at(0); {
	case b == '_' || 'a' <= b && b <= 'z' || 'A' <= b && b <= 'Z':
		for l.pos < len(l.src) && isAlnum(l.src[l.pos]) {
			l.pos++
		}
	case '0' <= b && b <= '9':
		for '0' <= l.at(0) && l.at(0) <= '9' {
			l.pos++
		}
	case b != 0 && strings.IndexByte("@*#?-$!", b) >= 0:
		l.pos++
	default:
		l.fail("${ without a parameter name")
		return
	}
	if l.at(0) == '[' {
		l.pos++
		l.arith(']', false) // bash: ${a[n]}
	}
	b := l.at(0)
	if prefix && (b == '*' || b == '@') && l.at(1) == '}' { // ${!prefix*}
		l.pos++
		b = '}'
	}
	switch {
	case b == '}':
		l.pos++
	case b == ':' && l.at(1) != 0 && strings.IndexByte("-=?+", l.at(1)) >= 0:
		l.pos += 2
		l.paramWord(dq, arith, false)
	case b != 0 && strings.IndexByte("-=?+", b) >= 0:
		l.pos++
		l.paramWord(dq, arith, false)
	case b == ':': // bash: ${x:offset:length}
		l.pos++
		l.arith('}', false)
	case b == '#' || b == '%' || b == '^' || b == ',':
		l.pos++
		if l.at(0) == b {
			l.pos++
		}
		l.paramWord(dq, arith, true)
	case b == '/': // bash: ${x/pattern/string}
		l.pos++
		if c := l.at(0); c == '/' || c == '#' || c == '%' {
			l.pos++
		}
		l.paramWord(dq, arith, true)
	case b == '@': // bash: ${x@Q}
		l.pos++
		l.skip(1)
		l.expect('}', "unterminated ${")
	default:
		l.fail("cannot read this ${…}")
	}
}

// paramWord reads the word of ${x-word} (or the pattern of ${x#pattern}) up to
// and including the closing brace.
func (l *lexer) paramWord(dq, arith, pattern bool) {
	q := qWord
	switch {
	case arith:
		q = qArith
	case dq && pattern:
		q = qPattern
	case dq:
		l.braceWord(arith)
		return
	}
	// The word is read as outside double quotes (so are patterns inside them).
	l.word++
	defer func() { l.word-- }()
	for l.pos < len(l.src) {
		if t, ok := l.token(wordSpecial); ok {
			l.add(t, enc{q: q})
			continue
		}
		l.procSub()
		switch l.src[l.pos] {
		case '}':
			l.pos++
			return
		case '\'':
			// bash looks for $( and ` inside '…' here (though it does not
			// run them): a value is written as in the pattern itself.
			sq := qSingle
			switch {
			case arith:
				sq = qArith
			case dq:
				sq = qPatternSingle
			}
			l.single(sq)
		case '"':
			if dq && !arith {
				l.doubleAs(qPatternDouble, arith)
			} else {
				l.double(arith)
			}
		case '\\':
			l.skip(2)
		case '$':
			l.dollar(false, arith)
		case '`':
			l.backquote(dq)
		default:
			l.pos++
		}
	}
	l.fail("unterminated ${")
}

// braceWord reads the word of "${x-word}" inside double quotes, up to and
// including the closing brace.
func (l *lexer) braceWord(arith bool) {
	q := qBrace
	if arith {
		q = qArith
	}
	l.word++
	defer func() { l.word-- }()
	for l.pos < len(l.src) {
		if t, ok := l.token(braceSpecial); ok {
			l.add(t, enc{q: q})
			continue
		}
		l.procSub()
		switch c := l.src[l.pos]; c {
		case '}':
			l.pos++
			return
		case '\\':
			l.skip(2)
		case '$':
			l.dollar(true, arith)
		case '`':
			l.backquote(true)
		case '"', '\'':
			// bash pairs quotes here, sh not always: they agree on plain text.
			end := strings.IndexByte(l.src[l.pos+1:], c)
			if end < 0 || strings.ContainsAny(l.src[l.pos+1:l.pos+1+end], "{}\"'\\$`") {
				l.ambiguous = `sh and bash read quotes inside "${…}" differently`
				l.pos++
				continue
			}
			l.pos += end + 2
		default:
			l.pos++
		}
	}
	l.fail("unterminated ${")
}

// procSub notes a <( or >( inside the word of a ${…}: bash reads it as a
// process substitution, even inside double quotes, and sh as text.
func (l *lexer) procSub() {
	if l.word > 0 && (l.src[l.pos] == '<' || l.src[l.pos] == '>') && l.at(1) == '(' {
		l.ambiguous = "bash reads <( and >( inside ${…} as process substitution, and sh does not"
	}
}

// arith reads arithmetic up to and including closer: "))" for $((…)) and ((…)),
// ']' for $[…] and a[n], '}' for ${x:n}. Quotes do not protect a value there
// (bash expands $(…) inside '…' in $((…)) and evaluates a[$(cmd)] in a value),
// so every value must be a number.
//
// cmd is set for bash's ((…)) command, which sh reads as two subshells: there
// a "#" would start a comment and "<<" a here-document, so they are refused.
func (l *lexer) arith(closer byte, cmd bool) {
	open := map[byte]byte{')': '(', ']': '[', '}': '{'}[closer]
	depth := 0
	for l.pos < len(l.src) {
		if cmd && (l.src[l.pos] == '#' || l.src[l.pos] == '<' && l.at(1) == '<') {
			l.fail("sh reads ((…)) as subshells, where # and << mean something else; write : $((…)) instead")
			return
		}
		if t, ok := l.token(wordSpecial); ok {
			l.add(t, enc{q: qArith})
			continue
		}
		switch c := l.src[l.pos]; c {
		case '\\':
			l.skip(2)
		case '\'':
			l.fail("a single quote inside shell arithmetic ($((…)), ((…)), ${x:n}, a[n]); for subshells write ( (…) ) or $( (…) )")
			return
		case '"':
			l.double(true)
		case '$':
			l.dollar(true, true)
		case '`':
			l.backquote(false)
		case open:
			depth++
			l.pos++
		case closer:
			if depth > 0 {
				depth--
				l.pos++
				continue
			}
			if closer == ')' {
				if l.at(1) != ')' {
					l.fail("cannot read ((…)) or $((…)); for subshells write ( (…) ) or $( (…) )")
					return
				}
				l.pos++
			}
			l.pos++
			return
		default:
			l.pos++
		}
	}
	l.fail("unterminated arithmetic")
}

// backquote reads `…`. The shell removes a backslash before \ ` $ (and " when
// the backquotes are inside double quotes), then reads the text as a command:
// so does the lexer, with a lexer of its own whose positions are mapped back.
func (l *lexer) backquote(dq bool) {
	l.syntax = true
	l.pos++
	var inner []byte
	var raw []int // raw[i]: where inner[i] is in l.src
	for l.pos < len(l.src) && l.src[l.pos] != '`' {
		c := l.src[l.pos]
		raw = append(raw, l.pos)
		if c == '\\' && l.pos+1 < len(l.src) {
			if n := l.src[l.pos+1]; n == '\\' || n == '`' || n == '$' || n == '"' && dq {
				inner = append(inner, n)
				l.pos += 2
				continue
			}
		}
		inner = append(inner, c)
		l.pos++
	}
	if l.pos >= len(l.src) {
		l.fail("unterminated backquote")
		return
	}
	raw = append(raw, l.pos)
	l.pos++
	sub := lexer{src: string(inner), m: l.m, bq: append(slices.Clip(l.bq), dq)}
	sub.command(0, false)
	if sub.err != "" {
		l.fail(sub.err)
		return
	}
	if sub.ambiguous != "" {
		l.ambiguous = sub.ambiguous
	}
	for _, t := range sub.toks {
		t.start, t.end = raw[t.start], raw[t.end]
		l.toks = append(l.toks, t)
	}
}
