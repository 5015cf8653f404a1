package template

import (
	"strings"
	"testing"
)

// -X in a shell line repeats the text around {} (up to blanks) once per
// record, as GNU parallel 20221122 does: `seq 3 | parallel -X -j1 'echo
// a{}b | cat'` prints a1b a2b a3b.
func TestShellContext(t *testing.T) {
	nasty := "it's $(id) `id` \"q\""
	tests := []struct {
		name, line string
		args       []string
		want       string // what the shell prints
	}{
		{"word", `printf '[%s]' a{}b | cat`, []string{"1", "2", "3"}, "[a1b][a2b][a3b]"},
		{"double quotes", `printf '[%s]' "a{}b" | cat`, []string{"1 2", "3"}, "[a1 2b][a3b]"},
		{"single quotes", `printf '[%s]' 'a{}b' | cat`, []string{nasty, "x"}, "[a" + nasty + "b][axb]"},
		{"two in one word, seq", `printf '[%s]' x{}y{}z{#} | cat`, []string{"1", "2"}, "[x1y1z1][x2y2z1]"},
		{"values stay literal", `printf '[%s]' p{}q | cat`, []string{nasty, "$HOME"}, "[p" + nasty + "q][p$HOMEq]"},
		{"whole {} is a word per record", `printf '[%s]' {} | cat`, []string{"a b", "c"}, "[a b][c]"},
		{"inside a quoted text with blanks", `printf '[%s]' "x a{}b y" | cat`, []string{"1", "2"}, "[x a1b a2b y]"},
		{"not a plain word: joined", `printf '[%s]' $(printf %s a{}b) | cat`, []string{"1", "2"}, "[a1][2b]"},
		{"quote open across blanks: joined", `printf '[%s]' "a{}b c" | cat`, []string{"1", "2"}, "[a1 2b c]"},
		{"one record", `printf '[%s]' a{}b | cat`, []string{"1"}, "[a1b]"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tm, err := Parse([]string{tt.line}, Options{Context: true})
			if err != nil {
				t.Fatal(err)
			}
			if tm.Mode() != ShellLine {
				t.Fatalf("mode %v", tm.Mode())
			}
			cmd, err := tm.Expand(rec(tt.args...), 1)
			if err != nil {
				t.Fatal(err)
			}
			if got := runLine(t, cmd); got != tt.want {
				t.Errorf("%s\nprints %q, want %q", cmd.Line, got, tt.want)
			}
		})
	}
}

// Without -X (-m too), the records go into the word joined by spaces.
func TestShellNoContext(t *testing.T) {
	tm, err := Parse([]string{`printf '[%s]' a{}b | cat`}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	cmd, _ := tm.Expand(rec("1", "2", "3"), 1)
	if got := runLine(t, cmd); got != "[a1 2 3b]" {
		t.Errorf("prints %q", got)
	}
}

// What -X packs into one job is what the line holds: the cost of each
// record counts its copy of the span.
func TestShellContextCost(t *testing.T) {
	tm, _ := Parse([]string{`echo pre{}post | cat`}, Options{Context: true})
	a := strings.Repeat("x", 100)
	if got, want := tm.ArgCost(a, false), len("prepost")+1+len(a); got < want {
		t.Errorf("ArgCost = %d, want at least %d", got, want)
	}
	cmd, _ := tm.Expand(rec(a, a), 1)
	one, _ := tm.Expand(rec(a), 1)
	if grow := len(cmd.Line) - len(one.Line); grow > tm.ArgCost(a, false) {
		t.Errorf("a second record adds %d bytes, more than ArgCost %d", grow, tm.ArgCost(a, false))
	}
}
