package template

import (
	"errors"
	"flag"
	"math/rand/v2"
	"os/exec"
	"strings"
	"testing"
)

var randomValues = flag.Int("quote.random", 200, "random values for TestShellQuoteRandom")

// nasty values: every byte a shell treats specially, alone and in the
// combinations that break naive quoting.
var nasty = []string{
	"", " ", "\t", "\n", "\n\n", "x\n", "\nx", "\r", "plain", "a b", "  two  spaces  ",
	"'", "''", `"`, `""`, "$", "`", `\`, `\\`, ";", "|", "&", "*", "?", "~", "#", "!", "%", "^",
	"{", "}", "{}", "}{", "a}b", "[", "]", "[a]", "(", ")", "<", ">", "=", "A=b", "-n", "--", "%s",
	"$(echo pwned)", "`echo pwned`", "${x}", "${x:-pwned}", "$x", "$'x'", `$"x"`, "$((1+1))",
	"'; echo pwned; '", `"; echo pwned; "`, "a'b\"c$d`e\\f", `'\''`, `\'`, `a\`, `\n\t`,
	"*.go", "~root", "if", "case", "esac", "#x", "x#", "&&", ";;", "\\\n", "'\n'", "\"\n\"",
	"é", "\xff\xfe", "\x01\x7f", "a\\}b", `\}`, `'}'`, `"}"`, "}'", "'{", `\"`, `\$`, "\\`",
	"EOF", "END", "\nEND\n", "x\t\ty", "1", "-1", "0x10", "a[$(echo pwned)]", "&x", "\\&",
}

// Every hostile value in every shape, under sh and under bash (with bash's
// own shapes too): one shell process per shell for all of them.
func TestShellQuoteContexts(t *testing.T) {
	t.Parallel()
	sh, bash := shells(t)
	if err := checkShapesMany(sh, shapes, hostile()); err != nil {
		t.Error(err)
	}
	if bash == "" {
		return
	}
	if err := checkShapesMany(bash, append(shapes[:len(shapes):len(shapes)], bashShapes...), hostile()); err != nil {
		t.Error(err)
	}
}

// The same under zsh (--shell zsh, or -S to a host whose login shell is
// zsh), as it starts and with the options that change how words expand.
// zsh reads the template's own \{} as a closing brace: those shapes are
// left out.
func TestShellQuoteContextsZsh(t *testing.T) {
	t.Parallel()
	zsh, err := exec.LookPath("zsh")
	if err != nil {
		t.Skip("zsh is not installed (CI installs it: .ci/run)")
	}
	var zshShapes []shape
	for _, s := range shapes {
		if !strings.Contains(s.line, `\{}`) {
			zshShapes = append(zshShapes, s)
		}
	}
	for _, z := range []struct {
		name    string
		args    []string
		prelude string
	}{
		{"zsh", nil, ""},
		{"zsh options", []string{"-f"}, "setopt extendedglob magicequalsubst kshglob braceccl globdots\n"},
		{"zsh as sh", []string{"-f"}, "emulate sh\n"},
	} {
		t.Run(z.name, func(t *testing.T) {
			t.Parallel()
			if err := checkShapesIn(zsh, z.args, z.prelude, zshShapes, hostile()); err != nil {
				t.Error(err)
			}
		})
	}
}

// Several Args: a whole {} outside quotes gives one word each, elsewhere they
// are joined by spaces.
func TestShellQuoteArgs(t *testing.T) {
	shells(t)
	tm, err := Parse([]string{`printf '<%s>' {} "{}" x{}y`}, Options{ForceShell: true})
	if err != nil {
		t.Fatal(err)
	}
	c, err := tm.Expand(rec("a b", "c'd", ""), 1)
	if err != nil {
		t.Fatal(err)
	}
	got := runLine(t, c)
	if want := "<a b><c'd><><a b c'd ><xa b c'd y>"; got != want {
		t.Errorf("got %q, want %q (line %q)", got, want, c.Line)
	}
}

func TestShellArith(t *testing.T) {
	shells(t)
	tests := []struct {
		line, v, want string
	}{
		{`printf %s $(( {} + 1 ))`, "41", "42"},
		{`printf %s "$(( {} * 2 ))"`, "-4", "-8"},
		{`printf %s $(({}))`, "0x10", "16"},
		{`x=5; printf %s $(( x + {} ))`, "+1", "6"},
	}
	for _, tt := range tests {
		tm, err := Parse([]string{tt.line}, Options{})
		if err != nil {
			t.Fatal(err)
		}
		c, err := tm.Expand(rec(tt.v), 1)
		if err != nil {
			t.Fatalf("%s: %v", tt.line, err)
		}
		if got := runLine(t, c); got != tt.want {
			t.Errorf("%s with %q: got %q, want %q", tt.line, tt.v, got, tt.want)
		}
	}
	for _, line := range []string{
		`echo $(( {} ))`, `echo "$(( {} ))"`, `echo $(( "{}" ))`, `echo $(( ${x:-{}} ))`,
		`(( {} ))`, `echo $[{}]`, `echo ${x:{}}`, `a[{}]=1`, `echo ${a[{}]}`, `echo "${x:1:{}}"`,
		"echo `echo $(( {} ))`",
	} {
		tm, err := Parse([]string{line}, Options{})
		if err != nil {
			t.Fatalf("%s: %v", line, err)
		}
		for _, v := range []string{"a[$(echo pwned)]", "x", "1;2", "", "1 2", "'1'", "1)"} {
			_, err := tm.Expand(rec(v), 1)
			var ae *ArithError
			if !errors.As(err, &ae) {
				t.Errorf("%s with %q: err %v, want *ArithError", line, v, err)
			}
		}
	}
}

// Random values built from the bytes and pieces that matter to a shell, many
// per shell process (the fuzzer runs one value per process, which is slow).
func TestShellQuoteRandom(t *testing.T) {
	t.Parallel()
	sh, bash := shells(t)
	pieces := []string{"'", `"`, "$", "`", `\`, "{", "}", "(", ")", "[", "]", ";", "|", "&", "*", "?",
		"~", "#", "!", "<", ">", "=", " ", "\t", "\n", "\r", "\x01", "\x7f", "\xff", "é", "a", "Z", "0",
		"$(", "${", "$((", "'\\''", "EOF", "esac", ")", "}", "%s", "-", "\\n", "\x00"[:0]}
	rng := rand.New(rand.NewPCG(1, 2))
	var values []string
	for range *randomValues {
		var b []byte
		for range rng.IntN(12) {
			b = append(b, pieces[rng.IntN(len(pieces))]...)
		}
		values = append(values, string(b))
	}
	for len(values) > 0 {
		batch := values[:min(50, len(values))]
		values = values[len(batch):]
		if err := checkShapesMany(sh, shapes, batch); err != nil {
			t.Fatal(err)
		}
		if bash != "" {
			if err := checkShapesMany(bash, append(shapes[:len(shapes):len(shapes)], bashShapes...), batch); err != nil {
				t.Fatal(err)
			}
		}
	}
}
