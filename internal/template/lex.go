package template

import "strings"

// The lexer reads a command line the way a POSIX shell does (dash and bash
// agree on everything it accepts), far enough to know the quoting context of
// every replacement string in it. It does not build a syntax tree: it follows
// quotes, $(…), ${…}, $((…)), backquotes, comments, here-documents and case
// patterns (whose ")" must not close a "$(").
//
// Where sh and bash read a construct differently and a wrong guess could let
// a value escape its quotes, the template is refused instead of guessed.

// quoting is the context of a replacement string in a shell command line; it
// decides how its value is written there.
type quoting uint8

const (
	qWord          quoting = iota // outside quotes
	qSingle                       // inside '…'
	qDouble                       // inside "…"
	qBrace                        // inside "${x:-…}" (any of - = ? + with or without :)
	qPattern                      // inside "${x#…}" (and % ## %%, bash's / ^ ,)
	qPatternSingle                // inside '…' inside "${x#…}"
	qPatternDouble                // inside "…" inside "${x#…}"
	qArith                        // inside $((…)), ((…)), $[…], ${x:n}, a[n]: a number only
)

// enc says how to write a value at one place of a shell command line.
type enc struct {
	q     quoting
	alone bool   // qWord, and the replacement string is a whole word: one word per Arg
	param bool   // inside the word of a ${…}, where bash reads <( and >( as process substitution
	bq    []bool // enclosing backquotes, outermost first; true when inside double quotes
}

// shellToken is a replacement string in a shell command line.
type shellToken struct {
	start, end int // its bytes in the line
	text       string
	tok        token
	enc        enc
}

type heredoc struct {
	delim string
	strip bool // <<-: leading tabs are ignored
}

// Bytes that, inside a {name} in each context, would make the shell read the
// text differently from the lexer if the name were left as written.
const (
	wordSpecial   = " \t\n\r'\"\\$`;&|<>()#*?[]~="
	singleSpecial = "'"
	doubleSpecial = "\"\\$`"
	braceSpecial  = "\"\\$`'"
)

type lexer struct {
	src  string
	pos  int
	m    matcher
	bq   []bool // enclosing backquotes (lexers of backquoted text)
	word int    // how many ${…} words enclose l.pos, in the innermost command
	toks []shellToken
	err  string // the first problem found; reading stops there

	syntax    bool      // the line needs a shell
	ambiguous string    // a construct sh and bash read differently: an error when the line has replacement strings
	heredocs  []heredoc // pending; their bodies start after the next newline
	heredoc   bool      // the line has a here-document

	// The end of the top level's content, where xargs-style arguments go.
	lastContent int  // after the last byte that is neither blank nor comment
	lastWord    int  // after the last word
	tailOps     bool // only ; and & follow lastWord
}

// casePhase is where a frame is in a case command.
type casePhase uint8

const (
	caseWord    casePhase = iota // case WORD
	caseIn                       // case w IN
	casePattern                  // pattern )
	caseBody                     // commands ;;
	caseNone
)

// frame is the state of one level of commands: the whole line, (…), $(…).
type frame struct {
	top    bool
	cmdPos bool // the next word is a command name
	inWord bool
	start  int  // where the current word began
	plain  bool // the current word has no quotes, expansions or replacement strings
	cases  []casePhase
}

func (f *frame) phase() casePhase {
	if len(f.cases) == 0 {
		return caseNone
	}
	return f.cases[len(f.cases)-1]
}

func (f *frame) setPhase(p casePhase) { f.cases[len(f.cases)-1] = p }

// word notes that the byte at l.pos belongs to a word; plainByte is false for
// quotes, expansions and replacement strings.
func (f *frame) word(l *lexer, plainByte bool) {
	if !f.inWord {
		f.inWord, f.start, f.plain = true, l.pos, true
	}
	if !plainByte {
		f.plain = false
	}
}

func (l *lexer) fail(msg string) {
	if l.err == "" {
		l.err = msg
	}
	l.pos = len(l.src)
}

// at returns the byte k past the current one, or 0 past the end.
func (l *lexer) at(k int) byte {
	if l.pos+k < len(l.src) {
		return l.src[l.pos+k]
	}
	return 0
}

func (l *lexer) skip(n int) { l.pos = min(l.pos+n, len(l.src)) }

func (l *lexer) expect(c byte, msg string) {
	if l.at(0) == c && l.pos < len(l.src) {
		l.pos++
		return
	}
	l.fail(msg)
}

// token reports the replacement string at l.pos. A {name}, which is left as
// written when the record has no such field, counts only if none of its bytes
// is in special, so that the lexer reads the line as the shell will.
func (l *lexer) token(special string) (token, bool) {
	if l.pos >= len(l.src) {
		return token{}, false
	}
	t, ok := l.m.at(l.src, l.pos)
	if ok && t.src == srcName && strings.ContainsAny(t.raw, special) {
		return token{}, false
	}
	return t, ok
}

func (l *lexer) add(t token, e enc) {
	e.bq, e.param = l.bq, l.word > 0
	l.toks = append(l.toks, shellToken{start: l.pos, end: l.pos + len(t.raw), tok: t, enc: e})
	l.pos += len(t.raw)
}

// wordEnds reports whether a word ends before the byte at i.
func (l *lexer) wordEnds(i int) bool {
	return i >= len(l.src) || strings.IndexByte(" \t\n;&|<>()", l.src[i]) >= 0
}

// command reads commands up to closer: ')' for (…) and $(…), leaving l.pos at
// it; 0 for the end of the text.
func (l *lexer) command(closer byte, top bool) {
	defer func(word int) { l.word = word }(l.word)
	l.word = 0
	f := frame{top: top, cmdPos: true}
	for l.pos < len(l.src) {
		c := l.src[l.pos]
		if c == '#' && !f.inWord {
			l.comment()
			continue
		}
		if t, ok := l.token(wordSpecial); ok {
			alone := !f.inWord && l.wordEnds(l.pos+len(t.raw))
			f.word(l, false)
			l.add(t, enc{q: qWord, alone: alone})
			l.content(&f, false)
			continue
		}
		ops := false // an operator other than ; and &
		switch c {
		case ' ', '\t':
			l.endWord(&f)
			l.pos++
			continue
		case '\n':
			l.endWord(&f)
			l.syntax = true
			l.pos++
			l.bodies()
			f.cmdPos = true
			continue
		case '\'':
			f.word(l, false)
			l.single(qSingle)
		case '"':
			f.word(l, false)
			l.double(false)
		case '\\':
			f.word(l, false)
			l.syntax = true
			l.skip(2)
		case '$':
			f.word(l, false)
			l.dollar(false, false)
		case '`':
			f.word(l, false)
			l.backquote(false)
		case '(':
			ops = true
			l.paren(&f)
		case ')':
			l.endWord(&f)
			if f.phase() == casePattern {
				f.setPhase(caseBody)
				f.cmdPos = true
				l.pos++
				break
			}
			if closer == ')' {
				return
			}
			ops = true
			l.syntax = true
			l.pos++ // a stray ")": the shell will say so
		case ';', '&', '|':
			ops = l.operator(&f)
		case '<', '>':
			ops = true
			l.redirect(&f)
		case '[':
			if f.inWord && f.plain && isName(l.src[f.start:l.pos]) {
				f.plain = false
				l.syntax = true
				l.pos++
				l.arith(']', false) // bash: a[n]=…
				break
			}
			f.word(l, true)
			if l.bracket() {
				l.syntax = true
			}
			l.pos++
		case '*', '?', '~', '\r':
			f.word(l, true)
			l.syntax = true
			l.pos++
		default:
			f.word(l, true)
			l.pos++
		}
		l.content(&f, ops)
	}
	l.endWord(&f)
}

// bracket reports whether the "[" at l.pos starts a glob bracket expression:
// a "]" follows in the same word. (A lone "[" is the test command.)
func (l *lexer) bracket() bool {
	for i := l.pos + 1; !l.wordEnds(i); i++ {
		if l.src[i] == ']' {
			return true
		}
	}
	return false
}

// content notes top-level content up to l.pos.
func (l *lexer) content(f *frame, ops bool) {
	if f.top {
		l.lastContent = l.pos
		if ops {
			l.tailOps = false
		}
	}
}

// endWord ends the current word, if any, and follows the reserved words that
// matter: case … in … esac, and what makes a line need a shell.
func (l *lexer) endWord(f *frame) {
	if !f.inWord {
		return
	}
	f.inWord = false
	w := l.src[f.start:l.pos]
	if f.top {
		l.lastWord, l.tailOps = l.pos, true
	}
	switch f.phase() {
	case caseWord:
		f.setPhase(caseIn)
		return
	case caseIn:
		if f.plain && w == "in" {
			f.setPhase(casePattern)
		}
		return
	case casePattern:
		if f.plain && w == "esac" {
			f.cases = f.cases[:len(f.cases)-1]
			f.cmdPos = false
		}
		return
	case caseBody:
		if f.cmdPos && f.plain && w == "esac" {
			f.cases = f.cases[:len(f.cases)-1]
			f.cmdPos = false
			return
		}
	}
	if !f.cmdPos {
		return
	}
	switch {
	case f.plain && w == "case":
		f.cases = append(f.cases, caseWord)
		l.syntax = true
		f.cmdPos = false
	case assignment(w), f.plain && reserved(w):
		l.syntax = true // a command name may follow
	case f.plain && builtin(w):
		l.syntax = true
		f.cmdPos = false
	default:
		f.cmdPos = false
	}
}

// paren reads "(": a subshell, ((…)) arithmetic, a case pattern's optional
// "(", or bash's extended globs @(…) !(…) and arrays a=(…).
func (l *lexer) paren(f *frame) {
	l.syntax = true
	switch {
	case f.inWord:
		f.plain = false
	case f.phase() == casePattern:
		l.pos++
		return
	case l.at(1) == '(':
		l.pos += 2
		l.arith(')', true)
		f.cmdPos = false
		return
	}
	l.pos++
	l.command(')', false)
	l.expect(')', "unterminated (")
	if !f.inWord {
		f.cmdPos = false
	}
}

// operator reads ; & | and their doubles. It reports whether it was one other
// than a single ; or &, after which arguments cannot simply be appended.
func (l *lexer) operator(f *frame) bool {
	l.endWord(f)
	l.syntax = true
	c := l.src[l.pos]
	l.pos++
	n := l.at(0)
	double := false
	switch {
	case c == ';' && (n == ';' || n == '&'): // ;; ;& ;;&
		l.pos++
		if n == ';' && l.at(0) == '&' {
			l.pos++
		}
		if f.phase() == caseBody {
			f.setPhase(casePattern)
		}
		double = true
	case c != ';' && n == c, c == '|' && n == '&': // && || |&
		l.pos++
		double = true
	}
	if c == '|' && f.phase() == casePattern {
		return true // a|b) in a case pattern
	}
	f.cmdPos = true
	return double || c == '|'
}

// redirect reads < and >, here-documents and bash's <(…) and >(…).
func (l *lexer) redirect(f *frame) {
	l.endWord(f)
	l.syntax = true
	if l.src[l.pos] == '<' && l.at(1) == '<' {
		if l.at(2) == '<' { // bash here-string: a word follows
			l.pos += 3
			return
		}
		l.pos += 2
		strip := l.at(0) == '-'
		if strip {
			l.pos++
		}
		l.heredocWord(strip)
		return
	}
	if l.at(1) == '(' {
		f.word(l, false)
		l.pos += 2
		l.command(')', false)
		l.expect(')', "unterminated process substitution")
		return
	}
	l.pos++
}

// comment skips to the end of the line. Replacement strings in a comment are
// left as written.
func (l *lexer) comment() {
	l.syntax = true
	for l.pos < len(l.src) && l.src[l.pos] != '\n' {
		l.pos++
	}
}

// single reads '…', whose replacement strings are written as q says.
func (l *lexer) single(q quoting) {
	l.pos++
	for l.pos < len(l.src) {
		if t, ok := l.token(singleSpecial); ok {
			l.add(t, enc{q: q})
			continue
		}
		if l.src[l.pos] == '\'' {
			l.pos++
			return
		}
		l.pos++
	}
	l.fail("unterminated quote")
}

// double reads "…".
func (l *lexer) double(arith bool) {
	q := qDouble
	if arith {
		q = qArith
	}
	l.doubleAs(q, arith)
}

// doubleAs is double with the values inside written as q says.
func (l *lexer) doubleAs(q quoting, arith bool) {
	l.pos++
	for l.pos < len(l.src) {
		if t, ok := l.token(doubleSpecial); ok {
			l.add(t, enc{q: q})
			continue
		}
		l.procSub()
		switch l.src[l.pos] {
		case '"':
			l.pos++
			return
		case '\\':
			l.syntax = true
			l.skip(2)
		case '$':
			l.dollar(true, arith)
		case '`':
			l.backquote(true)
		default:
			l.pos++
		}
	}
	l.fail("unterminated quote")
}

// heredocWord reads the delimiter of a here-document.
func (l *lexer) heredocWord(strip bool) {
	for l.at(0) == ' ' || l.at(0) == '\t' {
		l.pos++
	}
	var d []byte
	quoted := false
	for l.pos < len(l.src) {
		if t, ok := l.token(""); ok && t.src != srcName {
			l.fail("a replacement string cannot be a here-document delimiter")
			return
		}
		c := l.src[l.pos]
		switch {
		case c == '\'' || c == '"':
			quoted = true
			end := strings.IndexByte(l.src[l.pos+1:], c)
			if end < 0 {
				l.fail("unterminated quote")
				return
			}
			d = append(d, l.src[l.pos+1:l.pos+1+end]...)
			l.pos += end + 2
		case c == '\\':
			quoted = true
			l.pos++
			if l.pos < len(l.src) {
				d = append(d, l.src[l.pos])
				l.pos++
			}
		case strings.IndexByte(" \t\n;&|<>()", c) >= 0:
			if len(d) == 0 && !quoted {
				l.fail("a here-document without a delimiter")
				return
			}
			l.heredocs = append(l.heredocs, heredoc{string(d), strip})
			l.heredoc = true
			return
		default:
			d = append(d, c)
			l.pos++
		}
	}
	l.heredocs = append(l.heredocs, heredoc{string(d), strip})
	l.heredoc = true
}

// bodies skips the bodies of the pending here-documents, which start at l.pos.
// Their text cannot be quoted: a value holding the delimiter line would end one
// early. So a replacement string there is an error.
func (l *lexer) bodies() {
	for _, h := range l.heredocs {
		for l.pos < len(l.src) {
			line := l.src[l.pos:]
			next := len(l.src)
			if i := strings.IndexByte(line, '\n'); i >= 0 {
				line, next = line[:i], l.pos+i+1
			}
			check := line
			if h.strip {
				check = strings.TrimLeft(check, "\t")
			}
			if check == h.delim {
				l.pos = next
				break
			}
			for i := range line {
				if t, ok := l.m.at(line, i); ok && t.src != srcName {
					l.fail("a replacement string cannot go in a here-document, whose text cannot be quoted (pipe the value in instead: printf '%s\\n' {} | …)")
					return
				}
			}
			l.pos = next
		}
	}
	l.heredocs = l.heredocs[:0]
}

// isName reports whether s is a shell variable name.
func isName(s string) bool {
	if s == "" || '0' <= s[0] && s[0] <= '9' {
		return false
	}
	return plain(s, "")
}

// assignment reports whether w starts with NAME= (or NAME+=, NAME[).
func assignment(w string) bool {
	i := 0
	for i < len(w) && isAlnum(w[i]) {
		i++
	}
	if i == 0 || '0' <= w[0] && w[0] <= '9' || i == len(w) {
		return false
	}
	return w[i] == '=' || w[i] == '[' || strings.HasPrefix(w[i:], "+=")
}
