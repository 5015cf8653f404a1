package testscripts

import (
	"errors"
	"strconv"
	"strings"
	"testing"
)

// tclWords splits one Tcl command into its words as Tcl does: {…} is
// literal (braces nest), "…" and bare words take backslash escapes and,
// when vars is not nil, $NAME from vars. Command substitution ([…]) is not
// read: the suite escapes its brackets.
func tclWords(s string, vars map[string]string) ([]string, error) {
	var words []string
	i := 0
	for {
		for i < len(s) && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n') {
			i++
		}
		if i == len(s) {
			return words, nil
		}
		var w string
		var err error
		switch s[i] {
		case '{':
			w, i, err = tclBraced(s, i)
		case '"':
			w, i, err = tclSubst(s, i+1, vars, true)
		default:
			w, i, err = tclSubst(s, i, vars, false)
		}
		if err != nil {
			return nil, err
		}
		words = append(words, w)
	}
}

// tclBraced reads the braced word at s[i] ('{'); it returns the word and
// where reading goes on.
func tclBraced(s string, i int) (string, int, error) {
	depth := 0
	for j := i; j < len(s); j++ {
		switch s[j] {
		case '\\':
			j++
		case '{':
			depth++
		case '}':
			depth--
			if depth == 0 {
				if j+1 < len(s) && !strings.ContainsRune(" \t\n", rune(s[j+1])) {
					return "", 0, errors.New("extra characters after close-brace")
				}
				return s[i+1 : j], j + 1, nil
			}
		}
	}
	return "", 0, errors.New("missing close-brace")
}

// tclSubst reads a quoted word (after its '"') or a bare word from s[i],
// with backslash and variable substitution.
func tclSubst(s string, i int, vars map[string]string, quoted bool) (string, int, error) {
	var b strings.Builder
	for i < len(s) {
		c := s[i]
		switch {
		case quoted && c == '"':
			if i+1 < len(s) && !strings.ContainsRune(" \t\n", rune(s[i+1])) {
				return "", 0, errors.New("extra characters after close-quote")
			}
			return b.String(), i + 1, nil
		case !quoted && (c == ' ' || c == '\t' || c == '\n'):
			return b.String(), i, nil
		case c == '\\' && i+1 < len(s):
			n := tclEscape(&b, s[i+1:])
			i += 1 + n
			continue
		case c == '$' && vars != nil:
			j := i + 1
			for j < len(s) && (s[j] == '_' || s[j] >= 'A' && s[j] <= 'Z' || s[j] >= 'a' && s[j] <= 'z' || s[j] >= '0' && s[j] <= '9') {
				j++
			}
			v, ok := vars[s[i+1:j]]
			if !ok {
				return "", 0, errors.New("no such variable: " + s[i+1:j])
			}
			b.WriteString(v)
			i = j
			continue
		}
		b.WriteByte(c)
		i++
	}
	if quoted {
		return "", 0, errors.New("missing \"")
	}
	return b.String(), i, nil
}

// tclEscape writes what the backslash sequence at the start of s (after
// the backslash) stands for and returns its length.
func tclEscape(b *strings.Builder, s string) int {
	simple := map[byte]byte{'a': '\a', 'b': '\b', 'f': '\f', 'n': '\n', 'r': '\r', 't': '\t', 'v': '\v'}
	c := s[0]
	if r, ok := simple[c]; ok {
		b.WriteByte(r)
		return 1
	}
	switch {
	case c >= '0' && c <= '7':
		n := 1
		for n < 3 && n < len(s) && s[n] >= '0' && s[n] <= '7' {
			n++
		}
		v, _ := strconv.ParseUint(s[:n], 8, 8)
		b.WriteByte(byte(v))
		return n
	case c == 'x':
		n := 1
		for n < 3 && n < len(s) && strings.IndexByte("0123456789abcdefABCDEF", s[n]) >= 0 {
			n++
		}
		if n == 1 {
			b.WriteByte('x')
			return 1
		}
		v, _ := strconv.ParseUint(s[1:n], 16, 8)
		b.WriteByte(byte(v))
		return n
	case c == '\n':
		b.WriteByte(' ')
		return 1
	}
	b.WriteByte(c)
	return 1
}

func TestTclWords(t *testing.T) {
	for _, c := range []struct {
		in   string
		want []string
	}{
		{`xargs_start p {-i echo from \{\} to x{}y} items.xi`, []string{"xargs_start", "p", `-i echo from \{\} to x{}y`, "items.xi"}},
		{`X -i echo from \{\} to x{}y`, []string{"X", "-i", "echo", "from", "{}", "to", "x{}y"}},
		{`X printf "\[%s\]\n"`, []string{"X", "printf", "[%s]\n"}},
		{`xargs_start p "" f.xi "" "sh -c \{$XARGS $XARGSFLAGS -E2; cat\}"`, []string{"xargs_start", "p", "", "f.xi", "", "sh -c {/x  -E2; cat}"}},
		{`sh -c {/x  -E2; cat}`, []string{"sh", "-c", "/x  -E2; cat"}},
		{`set env(LC_ALL) "C"`, []string{"set", "env(LC_ALL)", "C"}},
		{`xargs_start p { true } 32767-ys.xi`, []string{"xargs_start", "p", " true ", "32767-ys.xi"}},
	} {
		got, err := tclWords(c.in, map[string]string{"XARGS": "/x", "XARGSFLAGS": ""})
		if err != nil || strings.Join(got, "|") != strings.Join(c.want, "|") {
			t.Errorf("tclWords(%q) = %q, %v; want %q", c.in, got, err, c.want)
		}
	}
}
