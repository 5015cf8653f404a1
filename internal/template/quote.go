package template

import "strings"

// Quote returns s quoted for a POSIX shell, outside any quotes: s itself when
// it holds only characters from [A-Za-z0-9_@%+:,./-], and otherwise s in
// single quotes; a single quote in s closes them, is written \', and reopens
// them. The empty string becomes a pair of single quotes.
//
// The result stays literal under sh (dash), bash and zsh, whatever zsh's
// options: '=' is always quoted, as zsh expands =word to a command's path
// (EQUALS, on by default), and with MAGIC_EQUAL_SUBST also a=~ and a==word;
// '~', '^' and '#' (EXTENDED_GLOB), '!', braces, globs, control bytes and
// bytes above 0x7f are all in single quotes, where no shell expands anything.
func Quote(s string) string {
	if s != "" && plain(s, "@%+:,./-") {
		return s
	}
	return string(appendSingleQuoted(make([]byte, 0, len(s)+2), s))
}

// QuoteLine returns argv as one shell command line: the words quoted by Quote and
// joined by spaces. The first word is quoted also when a shell would read it as
// a job (%1, in bash and zsh) or a reserved word (if, and zsh's repeat), so the
// line runs argv as written.
func QuoteLine(argv []string) string {
	n := len(argv)
	for _, a := range argv {
		n += len(a) + 2
	}
	b := make([]byte, 0, n)
	for i, a := range argv {
		if i > 0 {
			b = append(b, ' ')
		}
		if i == 0 && a != "" && (a[0] == '%' || keyword(a)) {
			b = appendSingleQuoted(b, a)
			continue
		}
		b = append(b, Quote(a)...)
	}
	return string(b)
}

// plain reports whether s holds only ASCII letters, digits, '_' and the bytes in extra.
func plain(s, extra string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !isAlnum(c) && strings.IndexByte(extra, c) < 0 {
			return false
		}
	}
	return true
}

func isAlnum(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '_'
}

// appendSingleQuoted appends s in single quotes, each ' written as '\”.
func appendSingleQuoted(b []byte, s string) []byte {
	b = append(b, '\'')
	b = appendInSingle(b, s)
	return append(b, '\'')
}

// appendInSingle appends s for the inside of single quotes: each ' closes the
// quotes, is written escaped, and reopens them.
func appendInSingle(b []byte, s string) []byte {
	for {
		i := strings.IndexByte(s, '\'')
		if i < 0 {
			return append(b, s...)
		}
		b = append(b, s[:i]...)
		b = append(b, `'\''`...)
		s = s[i+1:]
	}
}

// appendWord appends s as a shell word outside quotes. A value that stands alone
// as a word is left bare when that is safe: no quoting character, no '=' or '%'
// (which could make it an assignment, a job, or zsh's =command), not a
// reserved word of sh, bash or zsh, and no leading '-' (bash's [[ ]] would read
// -n as an operator).
func appendWord(b []byte, s string, alone bool) []byte {
	if alone && s != "" && s[0] != '-' && plain(s, "@+:,./-") && !keyword(s) {
		return append(b, s...)
	}
	return appendSingleQuoted(b, s)
}

// appendInDouble appends s for the inside of double quotes: $ ` " \ get a
// backslash. Inside "${x:-…}" (brace), } gets one too, and ' is written "'"
// because bash pairs single quotes there. Inside any ${…} word (param), ""
// goes after < and > and before "(", so that bash never sees a process
// substitution <( or >( (not even across the value's ends, nor with bash's
// internal \x01 quoting byte between).
func appendInDouble(b []byte, s string, brace, param bool) []byte {
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '$', '`', '"', '\\':
			b = append(b, '\\', c)
		case '}':
			if brace {
				b = append(b, '\\')
			}
			b = append(b, c)
		case '\'':
			if brace {
				b = append(b, `"'"`...)
			} else {
				b = append(b, c)
			}
		case '(':
			if param {
				b = append(b, '"', '"')
			}
			b = append(b, c)
		case '<', '>':
			b = append(b, c)
			if param {
				b = append(b, '"', '"')
			}
		default:
			b = append(b, c)
		}
	}
	return b
}

// appendInPatternDouble appends s for the inside of "…" inside "${x#…}": as
// appendInDouble, but each { is written "{", outside the inner quotes, as
// bash brace-expands "${x#"{a,b}"}" as if they were not there (sh and zsh
// read a bare { in a pattern as itself).
func appendInPatternDouble(b []byte, s string) []byte {
	for {
		i := strings.IndexByte(s, '{')
		if i < 0 {
			return appendInDouble(b, s, false, true)
		}
		b = appendInDouble(b, s[:i], false, true)
		b = append(b, `"{"`...)
		s = s[i+1:]
	}
}

// appendPattern appends s for a pattern inside "${x#…}" (and bash's ${x/…/…}),
// which shells read as if outside double quotes. Every ASCII byte but letters
// and digits gets a backslash, which quotes it both outside and inside double
// quotes (where \* is a literal * to the pattern). Control bytes go in single
// quotes instead: a backslash would remove a newline, and bash mishandles
// \<0x01> and \<0x7f> there (its internal quoting bytes).
func appendPattern(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c < 0x20 || c == 0x7f:
			b = append(b, '\'')
			for ; i < len(s) && (s[i] < 0x20 || s[i] == 0x7f); i++ {
				b = append(b, s[i])
			}
			b = append(b, '\'')
			i--
		case c < 0x80 && !isAlnum(c):
			b = append(b, '\\', c)
		default:
			b = append(b, c)
		}
	}
	return b
}

// arithSafe reports whether s may stand bare in shell arithmetic: a number,
// optionally signed, never a name (bash evaluates a variable's value as an
// expression, and a[$(cmd)] in it runs cmd).
func arithSafe(s string) bool {
	if s != "" && (s[0] == '+' || s[0] == '-') {
		s = s[1:]
	}
	return s != "" && '0' <= s[0] && s[0] <= '9' && plain(s, ".")
}

// appendBackquoted escapes b[from:] for the inside of a backquoted command
// substitution: \ ` $ (and " when the backquotes are inside double quotes) get a
// backslash, which the shell removes before it reads the command.
func appendBackquoted(b []byte, from int, inDouble bool) []byte {
	tail := string(b[from:])
	b = b[:from]
	for i := 0; i < len(tail); i++ {
		c := tail[i]
		if c == '\\' || c == '`' || c == '$' || c == '"' && inDouble {
			b = append(b, '\\')
		}
		b = append(b, c)
	}
	return b
}

// reserved reports whether s is a shell reserved word (POSIX, bash, ksh).
func reserved(s string) bool {
	switch s {
	case "!", "{", "}", "[[", "]]", "case", "coproc", "do", "done", "elif", "else",
		"esac", "fi", "for", "function", "if", "in", "select", "then", "time",
		"until", "while":
		return true
	}
	return false
}

// keyword reports whether s is a reserved word of sh, bash or zsh: at the
// start of a command, a value equal to one must be quoted to stay a word.
// (The lexer asks reserved alone: it reads the template as sh does.)
func keyword(s string) bool {
	if reserved(s) {
		return true
	}
	switch s {
	case "repeat", "foreach", "end", "nocorrect":
		return true
	}
	return false
}

// builtin reports whether s is a command only a shell provides (there is no
// program of that name to execute).
func builtin(s string) bool {
	switch s {
	case ".", ":", "alias", "bg", "bind", "break", "builtin", "cd", "command",
		"continue", "declare", "dirs", "disown", "enable", "eval", "exec", "exit",
		"export", "fc", "fg", "getopts", "hash", "history", "jobs", "let", "local",
		"logout", "mapfile", "popd", "pushd", "read", "readarray", "readonly",
		"return", "set", "shift", "shopt", "source", "suspend", "trap", "type",
		"typeset", "ulimit", "umask", "unalias", "unset", "wait":
		return true
	}
	return false
}
