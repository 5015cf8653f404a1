package cmd

import (
	"bytes"
	"io"
	"strings"
	"testing"
	"unicode/utf8"
)

// helpOutput is what parmap --help (or -h) writes, and its exit status.
func helpOutput(t *testing.T, flag string) string {
	t.Helper()
	var out bytes.Buffer
	app := newApp(&out, io.Discard, func(*invocation) { t.Error("--help ran something") })
	if err := app.Run([]string{"parmap", flag}); err != nil {
		t.Fatal(err)
	}
	return out.String()
}

// --help starts with what parmap is and its usage, then the option groups
// in the order of the data flow; no line is wider than 80 columns.
func TestHelp(t *testing.T) {
	for _, flag := range []string{"--help", "-h"} {
		help := helpOutput(t, flag)
		lines := strings.Split(strings.TrimSuffix(help, "\n"), "\n")
		if len(lines) < 3 || lines[0] != "parmap: run a command once per input record, many at a time." ||
			lines[1] != "Usage: parmap [OPTIONS] [COMMAND [ARG...]] [::: RECORD...] [:::: FILE...]" || lines[2] != "" {
			t.Fatalf("%s begins %q", flag, lines[:min(3, len(lines))])
		}
		for i, l := range lines {
			if n := utf8.RuneCountInString(l); n > 80 {
				t.Errorf("%s line %d has %d columns: %q", flag, i+1, n, l)
			}
			if strings.ContainsRune(l, '`') {
				t.Errorf("%s line %d has a backquote: %q", flag, i+1, l)
			}
		}
		var groups []string
		for _, l := range lines {
			if strings.HasSuffix(l, ":") && !strings.HasPrefix(l, " ") {
				groups = append(groups, strings.TrimSuffix(l, ":"))
			}
		}
		want := []string{"Records", "Command", "Running", "Resources", "Output", "Progress", "Job log", "Reuse",
			"Pipe", "Clusters", "Background runs", "Information",
			"How it runs", "Exit status", "Environment read", "Environment of each job", "Examples"}
		if strings.Join(groups, "|") != strings.Join(want, "|") {
			t.Errorf("%s headings\n%q\nwant\n%q", flag, groups, want)
		}
	}
}

// Every visible option is in the help, under its group, its text wrapped
// at column 30 with a hanging indent.
func TestHelpShowsEveryOption(t *testing.T) {
	help := helpOutput(t, "--help")
	for _, f := range flags() {
		if v, ok := f.(interface{ IsVisible() bool }); ok && !v.IsVisible() {
			continue
		}
		o := describeFlag(f)
		if !strings.Contains(help, "\n  "+o.label()) {
			t.Errorf("the help lacks %q", o.label())
		}
	}
	if !strings.Contains(help, "\n  -a, --arg-file FILE         read records from FILE (- is standard input);\n"+
		"                              repeat for more sources\n") {
		t.Errorf("-a is not as expected:\n%s", help)
	}
	if !strings.Contains(help, "\n  -N, --max-replace-args, --maxreplaceargs N\n                              put N records") {
		t.Errorf("a label wider than the column does not have a line of its own")
	}
}

// writeWrapped breaks lines at the width, keeps a word longer than a line
// whole, and indents the lines after the first.
func TestWriteWrapped(t *testing.T) {
	var b strings.Builder
	writeWrapped(&b, strings.Repeat("word ", 20)+strings.Repeat("x", 90), "> ", "  ")
	want := "> " + strings.TrimSpace(strings.Repeat("word ", 15)) + "\n" + // 76 columns; one more is 81
		"  word word word word word\n" +
		"  " + strings.Repeat("x", 90) + "\n"
	if b.String() != want {
		t.Errorf("got\n%s\nwant\n%s", b.String(), want)
	}
}
