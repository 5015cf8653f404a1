package template

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// GNU parallel's --plus replacement strings. Each is a shorthand that GNU
// defines as a perl expression; here each is done in Go, with GNU's regular
// expressions for the path strings and RE2 (Go's regexp, close to perl's for
// ordinary patterns) for the patterns of the bash-like strings.

// The path strings of --plus, by their text after an optional position.
var (
	reDotDot     = regexp.MustCompile(`\.[^/.]*\.[^/.]*$`)
	reDotDotDot  = regexp.MustCompile(`\.[^/.]*\.[^/.]*\.[^/.]*$`)
	reTail       = regexp.MustCompile(`/[^/]*$`)
	reAllToDot   = regexp.MustCompile(`^.*\.`)
	rePlusDotDot = regexp.MustCompile(`^.*\.([^/.]*\.[^/.]*)$`)
	rePlus3Dots  = regexp.MustCompile(`^.*\.([^/.]*\.[^/.]*\.[^/.]*)$`)
	reDir        = regexp.MustCompile(`^.*/`)
)

// plusPath applies one --plus path string, named by its text ("..", "+/"…),
// as GNU's perl does.
func plusPath(name, s string) string {
	switch name {
	case "..":
		return reDotDot.ReplaceAllLiteralString(s, "")
	case "...":
		return reDotDotDot.ReplaceAllLiteralString(s, "")
	case "/..":
		return reDotDot.ReplaceAllLiteralString(reDir.ReplaceAllLiteralString(s, ""), "")
	case "/...":
		return reDotDotDot.ReplaceAllLiteralString(reDir.ReplaceAllLiteralString(s, ""), "")
	case "+/":
		if reTail.MatchString(s) {
			return reTail.ReplaceAllLiteralString(s, "")
		}
		return ""
	case "+.":
		if reAllToDot.MatchString(s) {
			return reAllToDot.ReplaceAllLiteralString(s, "")
		}
		return ""
	case "+..":
		return submatch(rePlusDotDot, s)
	case "+...":
		return submatch(rePlus3Dots, s)
	}
	panic("template: unknown --plus path string " + name)
}

func submatch(re *regexp.Regexp, s string) string {
	if m := re.FindStringSubmatch(s); m != nil {
		return m[1]
	}
	return ""
}

var plusPaths = map[string]bool{"..": true, "...": true, "/..": true, "/...": true, "+/": true, "+.": true, "+..": true, "+...": true}

// editKind is a bash-like --plus string: {:-x}, {:n}, {#pat}, {/a/b}, {^a}…
type editKind uint8

const (
	editDefault       editKind = iota + 1 // {:-x}: x when the value is empty (or "0", as perl's ||=)
	editFrom                              // {:n}: without its first n bytes
	editSub                               // {:n:m}: m bytes from byte n
	editCutPrefix                         // {#pat}: the shortest prefix matching pat removed
	editCutLongPrefix                     // {##pat}: the prefix pat matches removed
	editCutSuffix                         // {%pat}: the shortest suffix matching pat removed
	editCutLongSuffix                     // {%%pat}: the suffix pat matches removed
	editReplace                           // {/a/b}: the first match of a replaced by b
	editReplaceAll                        // {//a/b}: every match
	editReplacePrefix                     // {/#a/b}: a match at the start
	editReplaceSuffix                     // {/%a/b}: a match at the end
	editUpper                             // {^a}: a match at the start upper-cased
	editUpperAll                          // {^^a}: every match upper-cased
	editLower                             // {,a}: a match at the start lower-cased
	editLowerAll                          // {,,a}: every match lower-cased
)

// edit is a bash-like --plus string, parsed.
type edit struct {
	kind editKind
	re   *regexp.Regexp
	text string // editDefault: the default; replacements: the new text
	n, m int    // editFrom, editSub
}

// editForms are the bash-like strings by their leading text, longest first
// where one starts another (GNU's regular expressions decide the same way).
var editForms = []struct {
	prefix string
	kind   editKind
}{
	{":-", editDefault}, {"##", editCutLongPrefix}, {"#", editCutPrefix},
	{"%%", editCutLongSuffix}, {"%", editCutSuffix},
	{"//", editReplaceAll}, {"/#", editReplacePrefix}, {"/%", editReplaceSuffix}, {"/", editReplace},
	{"^^", editUpperAll}, {"^", editUpper}, {",,", editLowerAll}, {",", editLower},
	{":", editFrom},
}

var reNumbers = regexp.MustCompile(`^(\d+)(?::(\d+))?$`)

// parseEdit reads the text of a bash-like --plus string (no braces, no
// position). ok is false when it is none; err when its pattern is not a
// regular expression.
func parseEdit(s string) (e *edit, ok bool, err error) {
	for _, f := range editForms {
		rest, found := strings.CutPrefix(s, f.prefix)
		if !found || rest == "" {
			continue
		}
		e := &edit{kind: f.kind}
		pat := rest
		switch f.kind {
		case editDefault:
			e.text = rest
			return e, true, nil
		case editFrom:
			m := reNumbers.FindStringSubmatch(rest)
			if m == nil {
				return nil, false, nil
			}
			e.n, _ = strconv.Atoi(m[1])
			if m[2] != "" {
				e.kind = editSub
				e.m, _ = strconv.Atoi(m[2])
			}
			return e, true, nil
		case editCutPrefix, editCutLongPrefix:
			if rest[0] == '#' {
				return nil, false, nil
			}
		case editReplace, editReplaceAll, editReplacePrefix, editReplaceSuffix:
			i := strings.IndexByte(rest, '/')
			if i <= 0 || f.kind == editReplace && strings.ContainsAny(rest[:i], "#%") {
				return nil, false, nil
			}
			pat, e.text = rest[:i], rest[i+1:]
		}
		expr := "(?:" + pat + ")"
		switch f.kind {
		case editCutPrefix:
			expr = "^(?U:" + pat + ")"
		case editCutLongPrefix, editReplacePrefix, editUpper, editLower:
			expr = "^" + expr
		case editCutSuffix:
			expr = "^(.*)(?U:" + pat + ")$"
		case editCutLongSuffix, editReplaceSuffix:
			expr += "$"
		}
		if e.re, err = regexp.Compile(expr); err != nil {
			return nil, false, fmt.Errorf("{%s}: %q is not a regular expression Go reads (parmap uses RE2, not perl)", s, pat)
		}
		return e, true, nil
	}
	return nil, false, nil
}

// apply edits one value.
func (e *edit) apply(s string) string {
	switch e.kind {
	case editDefault:
		if s == "" || s == "0" {
			return e.text
		}
		return s
	case editFrom:
		if e.n > len(s) {
			return ""
		}
		return s[e.n:]
	case editSub:
		if e.n > len(s) {
			return ""
		}
		return s[e.n:min(len(s), e.n+e.m)]
	case editCutSuffix:
		if m := e.re.FindStringSubmatch(s); m != nil {
			return m[1]
		}
		return s
	case editCutPrefix, editCutLongPrefix, editCutLongSuffix:
		return replaceFirst(e.re, s, func(string) string { return "" })
	case editReplace, editReplacePrefix, editReplaceSuffix:
		return replaceFirst(e.re, s, func(string) string { return e.text })
	case editReplaceAll:
		return e.re.ReplaceAllLiteralString(s, e.text)
	case editUpper:
		return replaceFirst(e.re, s, strings.ToUpper)
	case editLower:
		return replaceFirst(e.re, s, strings.ToLower)
	case editUpperAll:
		return e.re.ReplaceAllStringFunc(s, strings.ToUpper)
	case editLowerAll:
		return e.re.ReplaceAllStringFunc(s, strings.ToLower)
	}
	return s
}

func replaceFirst(re *regexp.Regexp, s string, f func(string) string) string {
	loc := re.FindStringIndex(s)
	if loc == nil {
		return s
	}
	return s[:loc[0]] + f(s[loc[0]:loc[1]]) + s[loc[1]:]
}

// classifyPlus reads the brace group in (braces stripped) as a --plus
// string. ok is false when it is none.
func (m matcher) classifyPlus(t token, in string) (token, bool, error) {
	switch in {
	case "##":
		t.src = srcTotal
		return t, true, nil
	case "0#":
		t.src = srcSeqPad
		return t, true, nil
	case "0%":
		t.src, t.field = srcSlotPad, digits(int64(max(m.jobs, 1)))
		return t, true, nil
	case "slot":
		t.src = srcSlot
		return t, true, nil
	case "hgrp", "agrp":
		t.src = srcNone
		return t, true, nil
	case "host", "sshlogin":
		t.src = srcHost
		return t, true, nil
	case "choose_k", "uniq":
		t.src, t.arg = srcInvalid, "{"+in+"} skips jobs by a perl expression, which parmap does not run; filter the records before parmap instead"
		return t, true, nil
	}
	rest := strings.TrimLeft(in, "0123456789")
	if pos := in[:len(in)-len(rest)]; pos != "" {
		n, err := strconv.Atoi(pos)
		if err != nil || n < 1 {
			return t, false, nil
		}
		t.src, t.field = srcValue, n-1
	}
	if plusPaths[rest] {
		t.op, t.arg = opPlus, rest
		return t, true, nil
	}
	e, ok, err := parseEdit(rest)
	if !ok || err != nil {
		return t, false, err
	}
	t.op, t.edit = opEdit, e
	return t, true, nil
}

// digits is the number of decimal digits of n ≥ 1.
func digits(n int64) int { return len(strconv.FormatInt(max(n, 1), 10)) }

// padded writes n with leading zeros to width.
func padded(n int64, width int) string {
	s := strconv.FormatInt(n, 10)
	if len(s) >= width {
		return s
	}
	return strings.Repeat("0", width-len(s)) + s
}

// PerlError is a {= perl expression =} in a template: parmap runs no perl.
type PerlError struct {
	Expr string // the expression with its braces, e.g. "{= s/x/y/ =}"
}

func (e *PerlError) Error() string {
	return e.Expr + " is a perl expression, which parmap does not run"
}

// checkPerl returns a *PerlError when words hold a {= … =} expression
// (in one word, or spread over several as the shell split it).
func checkPerl(words []string) error {
	line := strings.Join(words, " ")
	i := strings.Index(line, "{=")
	if i < 0 {
		return nil
	}
	j := strings.Index(line[i+2:], "=}")
	if j < 0 {
		return nil
	}
	return &PerlError{Expr: line[i : i+2+j+2]}
}

// PlusError is a --plus string that cannot be used, such as a pattern Go's
// regexp cannot read.
type PlusError struct{ Reason string }

func (e *PlusError) Error() string { return e.Reason }

// checkTokens returns a *PlusError for the first unusable --plus string.
func (t *Template) checkTokens() error {
	for i := range t.words {
		if err := firstInvalid(t.words[i].toks); err != nil {
			return err
		}
	}
	for i := range t.line.toks {
		if tok := &t.line.toks[i].tok; tok.src == srcInvalid {
			return &PlusError{Reason: tok.arg}
		}
	}
	return nil
}

func firstInvalid(toks []token) error {
	for i := range toks {
		if toks[i].src == srcInvalid {
			return &PlusError{Reason: toks[i].arg}
		}
	}
	return nil
}

// UsesHost reports whether the template uses {host} or {sshlogin}, which
// parmap gives only for jobs run here (":").
func (t *Template) UsesHost() bool {
	for i := range t.words {
		for j := range t.words[i].toks {
			if t.words[i].toks[j].src == srcHost {
				return true
			}
		}
	}
	for i := range t.line.toks {
		if t.line.toks[i].tok.src == srcHost {
			return true
		}
	}
	return false
}

// NeedsTotal reports whether the template uses the number of jobs ({##},
// {0#}), which is known only once the input is read to its end.
func (t *Template) NeedsTotal() bool {
	need := func(toks []token) bool {
		for i := range toks {
			if toks[i].src == srcTotal || toks[i].src == srcSeqPad {
				return true
			}
		}
		return false
	}
	for i := range t.words {
		if need(t.words[i].toks) {
			return true
		}
	}
	for i := range t.line.toks {
		if need([]token{t.line.toks[i].tok}) {
			return true
		}
	}
	return false
}

// NeedsTotal is Template.NeedsTotal for a text template.
func (t *Text) NeedsTotal() bool {
	for i := range t.w.toks {
		if s := t.w.toks[i].src; s == srcTotal || s == srcSeqPad {
			return true
		}
	}
	return false
}
