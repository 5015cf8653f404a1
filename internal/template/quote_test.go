package template

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// hostile records for Quote: nasty, and what zsh expands where sh and bash
// do not (=word, a==word and a=~ with MAGIC_EQUAL_SUBST, EXTENDED_GLOB's
// ^ # ~, glob qualifiers, KSH_GLOB), brace expansion, history, jobs, and
// bytes that are not UTF-8 (0x83 is zsh's internal Meta byte).
func hostile() []string {
	all := make([]byte, 0, 255)
	for c := 1; c < 256; c++ {
		all = append(all, byte(c))
	}
	return append(nasty[:len(nasty):len(nasty)],
		"=ls", "=", "==", "=(echo x)", "a==ls", "a=~", "a=~/x", "A=b", "x=", "~+", "~-", "x~y", "x~*",
		"^x", "x^y", "^", "#", "x#", "x##", "(#i)X", "*(N)", "*(e:'echo pwned':)", "@(x)", "+(x)", "!(x)",
		"{a,b}", "{1..3}", "a{b,c}d", "{a-c}", "!", "!!", "!$", "^a^b", "%1", "%", "%%",
		"-", "--", "-e", "-c", "+x", "\x83", "\x80\xff", "\xc3", "\xe2\x80", "\x1b[31m", "\r\n",
		"a\nb\n", "\u00a0", "\u2028", "$'\\n'", "$\"x\"", "repeat", "foreach", "end", "nocorrect",
		string(all))
}

// A shell to run a line under: its argv before the line, and a prelude that
// sets options.
type quoteShell struct {
	name    string
	argv    []string
	prelude string
}

var quoteShells = []quoteShell{
	{"sh", []string{"sh", "-c"}, ""},
	{"bash", []string{"bash", "-c"}, ""},
	{"bash --posix", []string{"bash", "--posix", "-c"}, ""},
	{"bash -H", []string{"bash", "-H", "-c"}, ""},
	{"zsh", []string{"zsh", "-c"}, ""},
	{"zsh -f", []string{"zsh", "-f", "-c"}, ""},
	{"zsh extendedglob", []string{"zsh", "-f", "-c"}, "setopt extendedglob\n"},
	{"zsh many options", []string{"zsh", "-f", "-c"},
		"setopt extendedglob magicequalsubst kshglob braceccl rcquotes globdots nullglob\n"},
	{"zsh as sh", []string{"zsh", "-f", "-c"}, "emulate sh\n"},
}

// Every hostile record, quoted by Quote and by QuoteLine, reaches printf
// byte for byte under sh, bash and zsh with the options that change how
// words expand: the line a remote login shell of any of them runs (-S).
func TestQuoteShells(t *testing.T) {
	t.Parallel()
	recs := hostile()
	for _, sh := range quoteShells {
		t.Run(sh.name, func(t *testing.T) {
			t.Parallel()
			checkQuoted(t, sh, recs)
		})
	}
}

// checkQuoted runs recs quoted under sh and fails t for each that does not
// arrive literally.
func checkQuoted(t *testing.T, sh quoteShell, recs []string) {
	if _, err := exec.LookPath(sh.argv[0]); err != nil {
		t.Skipf("%s is not installed (CI installs it: .ci/run)", sh.argv[0])
	}
	// One line per record, run as one script of many lines, and then
	// all records as the arguments of one command (QuoteLine).
	var lines strings.Builder
	lines.WriteString(sh.prelude)
	var want bytes.Buffer
	for _, r := range recs {
		lines.WriteString(`printf '%s\0' ` + Quote(r) + "\n")
		want.WriteString(r + "\x00")
	}
	lines.WriteString(QuoteLine(append([]string{"printf", `%s\0`}, recs...)) + "\n")
	for _, r := range recs {
		want.WriteString(r + "\x00")
	}
	cmd := exec.Command(sh.argv[0], append(sh.argv[1:], lines.String())...)
	// Files for a glob left unquoted to match: it would change the output.
	cmd.Dir = t.TempDir()
	for _, name := range []string{"a", "b", "x", "X", ".x", "ls"} {
		if err := os.WriteFile(filepath.Join(cmd.Dir, name), nil, 0o666); err != nil {
			t.Fatal(err)
		}
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	got, err := cmd.Output()
	if err != nil || stderr.Len() > 0 {
		t.Errorf("%s: %v, stderr %q", sh.name, err, stderr.Bytes())
	}
	if !bytes.Equal(got, want.Bytes()) {
		gotRecs := strings.Split(string(got), "\x00")
		wantRecs := strings.Split(want.String(), "\x00")
		for i := range wantRecs {
			if i >= len(gotRecs) {
				t.Errorf("%s: output ends before record %d %.60q", sh.name, i%len(recs), wantRecs[i])
				break
			}
			if gotRecs[i] != wantRecs[i] {
				t.Errorf("%s: record %.60q quoted as %.80q arrived as %.60q", sh.name, wantRecs[i], Quote(wantRecs[i]), gotRecs[i])
			}
		}
	}
}
