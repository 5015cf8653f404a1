package template

import (
	"strings"
	"testing"

	"github.com/parmap/parmap/internal/records"
)

// The expected quoting is GNU xargs 4.9's -t output for each argument
// (printf '%s\0' ARG | xargs -0 -t true).
func TestQuoteEscape(t *testing.T) {
	for in, want := range map[string]string{
		"plain-word_1.2/x": "plain-word_1.2/x",
		"a b":              "'a b'",
		"it's":             `"it's"`,
		"it's$":            `'it'\''s$'`,
		`a'b"c`:            `'a'\''b"c'`,
		"'":                `"'"`,
		"x$y":              "'x$y'",
		"":                 "''",
		"é":                "é",
		"a*":               "'a*'",
		"~a":               "'~a'",
		"a~":               "a~",
		"#a":               "'#a'",
		"a#":               "a#",
		"a=b":              "'a=b'",
		"{}":               "{}",
		"{":                "'{'",
		"a]":               "a]",
		"a?":               "'a?'",
		"a\nb":             `'a'$'\n''b'`,
		"\n":               `''$'\n'`,
		"\t":               `''$'\t'`,
		"a\x01":            `'a'$'\001'`,
		"\x7f":             `''$'\177'`,
		"\xff":             `''$'\377'`,
		"\n \f\r\t\v\n":    `''$'\n'' '$'\f\r\t\v\n'`,
		"a,b:c@d%e+f":      "a,b:c@d%e+f",
	} {
		if got := QuoteEscape(in); got != want {
			t.Errorf("QuoteEscape(%q) = %s, want %s", in, got, want)
		}
	}
	if got := QuoteEscapeASCII("é"); got != `''$'\303\251'` {
		t.Errorf("QuoteEscapeASCII(é) = %s", got)
	}
	if got := QuoteEscapeLine([]string{"echo", "a b", "c"}); got != "echo 'a b' c" {
		t.Errorf("QuoteEscapeLine = %s", got)
	}
}

// xargs' templates (Literal): every word is an argument, only the -I string is
// replaced, and with -I nothing is appended.
func TestParseXargsOptions(t *testing.T) {
	line := func(words []string, opt Options, args ...string) string {
		t.Helper()
		tm, err := Parse(words, opt)
		if err != nil {
			t.Fatal(err)
		}
		cmd, err := tm.Expand(&records.Record{Seq: 1, Values: args, Args: args}, 1)
		if err != nil {
			t.Fatal(err)
		}
		return strings.Join(cmd.Argv, "|")
	}
	argv := Options{Literal: true, Only: true, Line: QuoteEscapeLine}
	if got := line([]string{"echo {} {.};x"}, argv, "a", "b"); got != "echo {} {.};x|a|b" {
		t.Errorf("one word: %s", got)
	}
	if got := line([]string{"echo", "{}", "{#}", "{= 1 =}"}, argv, "a"); got != "echo|{}|{#}|{= 1 =}|a" {
		t.Errorf("no -I: %s", got)
	}
	withI := Options{Literal: true, Only: true, Replace: "ARG", NoAppend: true}
	if got := line([]string{"echo", "xARGy", "{}", "ARGARG"}, withI, "a b"); got != "echo|xa by|{}|a ba b" {
		t.Errorf("-I: %s", got)
	}
	if got := line([]string{"echo", "z"}, withI, "a"); got != "echo|z" {
		t.Errorf("-I without the string: %s", got)
	}
}
