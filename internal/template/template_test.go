package template

import (
	"errors"
	"fmt"
	"reflect"
	"strings"
	"sync"
	"testing"

	"github.com/parmap/parmap/internal/records"
)

func TestExpandArgv(t *testing.T) {
	path := &records.Record{Seq: 7, Values: []string{"dir/sub/x.tar.gz", "v2"}, Args: []string{"dir/sub/x.tar.gz"}}
	named := &records.Record{Seq: 3, Values: []string{"a/b.txt", "10"}, Args: []string{"a/b.txt", "10"}, Names: []string{"file", "size"}}
	multi := &records.Record{Seq: 1, Values: []string{"a b", "c"}, Args: []string{"a b", "c"}}
	tests := []struct {
		name  string
		words []string
		opt   Options
		rec   *records.Record
		want  []string
	}{
		{"record", []string{"echo", "{}"}, Options{}, path, []string{"echo", "dir/sub/x.tar.gz"}},
		{"noext", []string{"echo", "{.}"}, Options{}, path, []string{"echo", "dir/sub/x.tar"}},
		{"basename", []string{"echo", "{/}"}, Options{}, path, []string{"echo", "x.tar.gz"}},
		{"dirname", []string{"echo", "{//}"}, Options{}, path, []string{"echo", "dir/sub"}},
		{"basename noext", []string{"echo", "{/.}"}, Options{}, path, []string{"echo", "x.tar"}},
		{"seq slot", []string{"echo", "{#}-{%}"}, Options{}, path, []string{"echo", "7-4"}},
		{"values", []string{"echo", "{1}", "{2}", "{3}"}, Options{}, path, []string{"echo", "dir/sub/x.tar.gz", "v2", ""}},
		{"value ops", []string{"echo", "{1.}", "{1/}", "{1//}", "{1/.}"}, Options{}, path,
			[]string{"echo", "dir/sub/x.tar", "x.tar.gz", "dir/sub", "x.tar"}},
		{"trim", []string{"echo", "{^.gz}", "{^.zip}", "{^}"}, Options{}, path,
			[]string{"echo", "dir/sub/x.tar", "dir/sub/x.tar.gz", "dir/sub/x.tar.gz"}},
		{"inside word", []string{"cp", "{}", "out/{/.}.bak"}, Options{}, path, []string{"cp", "dir/sub/x.tar.gz", "out/x.tar.bak"}},
		{"names", []string{"echo", "{file}", "{file.}", "{file/}", "{size}", "{nope}"}, Options{}, named,
			[]string{"echo", "a/b.txt", "a/b", "b.txt", "10", "{nope}"}},
		{"names without header", []string{"echo", "{file}"}, Options{}, rec("x"), []string{"echo", "{file}", "x"}},
		{"-I", []string{"mv", "XX", "XX.{.}", "{}"}, Options{Replace: "XX"}, rec("a.b"), []string{"mv", "a.b", "a.b.a", "{}"}},
		{"-I {}", []string{"echo", "{}"}, Options{Replace: "{}"}, rec("a"), []string{"echo", "a"}},
		{"literal braces", []string{"awk", "{print}", "{ print $1 }", "{a,b}", "{0}", "{-0}", "{}x{"}, Options{}, rec("f"),
			[]string{"awk", "{print}", "{ print $1 }", "{a,b}", "{0}", "{-0}", "fx{"}},
		{"from the last", []string{"echo", "{-1}", "{-2}", "{-1/}", "{-3}"}, Options{}, path,
			[]string{"echo", "v2", "dir/sub/x.tar.gz", "v2", ""}},
		{"renamed", []string{"echo", "EXT", "{.}", "B", "{/}", "SEQ"}, Options{Aliases: []Alias{{"EXT", "{.}"}, {"B", "{/}"}, {"SEQ", "{#}"}}}, path,
			[]string{"echo", "dir/sub/x.tar", "{.}", "x.tar.gz", "{/}", "7"}},
		{"append", []string{"gzip", "-9"}, Options{}, multi, []string{"gzip", "-9", "a b", "c"}},
		{"append after literal braces", []string{"awk", "{print}"}, Options{}, rec("f"), []string{"awk", "{print}", "f"}},
		{"whole {} is one word per Arg", []string{"rm", "{}", "--", "x{}y", "{.}"}, Options{}, multi,
			[]string{"rm", "a b", "c", "--", "xa b cy", "a b c"}},
		{"-X: a word with {} among text is repeated per Arg", []string{"echo", "a{}b", "{}", "x{.}{#}", "{#}", "{1}"},
			Options{Context: true}, rec("1.c", "2", "3"),
			[]string{"echo", "a1.cb", "a2b", "a3b", "1.c", "2", "3", "x11", "x21", "x31", "1", "1.c"}},
		{"-X: one Arg", []string{"printf", "[%s]", "a{}b"}, Options{Context: true}, rec("1"), []string{"printf", "[%s]", "a1b"}},
		{"-X: line without shell syntax", []string{"echo a{}b"}, Options{Context: true}, rec("1", "2"), []string{"echo", "a1b", "a2b"}},
		{"only seq: no append", []string{"echo", "{#}"}, Options{}, rec("f"), []string{"echo", "1"}},
		{"line: no shell syntax", []string{`echo "a b" '{}' {}`}, Options{}, rec("$x"), []string{"echo", "a b", "$x", "$x"}},
		{"line: awk", []string{`awk '{print $1}'`}, Options{}, rec("f"), []string{"awk", "{print $1}", "f"}},
		{"line: one word", []string{`gzip`}, Options{}, rec("f"), []string{"gzip", "f"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tm, err := Parse(tt.words, tt.opt)
			if err != nil {
				t.Fatal(err)
			}
			if tm.Mode() != Argv {
				t.Fatalf("mode %v, want argv", tm.Mode())
			}
			c, err := tm.Expand(tt.rec, 4)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(c.Argv, tt.want) {
				t.Errorf("argv %q, want %q", c.Argv, tt.want)
			}
			if c.Line != QuoteLine(tt.want) {
				t.Errorf("line %q, want %q", c.Line, QuoteLine(tt.want))
			}
		})
	}
}

func TestHasReplacement(t *testing.T) {
	for words, want := range map[string]bool{
		"echo {}": true, "echo {#}": true, "echo {1}": true, "echo {^x}": true, "gzip": false,
		"awk {print}": false, "awk '{print}' | sort": false, "echo {} | cat": true, "echo {name}": false,
	} {
		tm, err := Parse([]string{words}, Options{})
		if err != nil {
			t.Fatal(err)
		}
		if got := tm.HasReplacement(); got != want {
			t.Errorf("%s: HasReplacement %v, want %v", words, got, want)
		}
	}
}

func TestExpandShellLine(t *testing.T) {
	tests := []struct {
		line string
		opt  Options
		args []string
		want string
	}{
		{`grep -c ERROR {} | sed "s/^/{}: /"`, Options{}, []string{"a b"}, `grep -c ERROR 'a b' | sed "s/^/a b: /"`},
		{`echo {} | cat`, Options{}, []string{"x.txt"}, `echo x.txt | cat`},
		{`echo {} | cat`, Options{}, []string{"-n", "if", "A=b", "%1", ""}, `echo '-n' 'if' 'A=b' '%1' '' | cat`},
		{`echo x{}y | cat`, Options{}, []string{"v"}, `echo x'v'y | cat`},
		{`echo '{}' "{}" | cat`, Options{}, []string{`it's "$x"`}, `echo 'it'\''s "$x"' "it's \"\$x\"" | cat`},
		{`echo ${x:-{}} "${x:-{}}"`, Options{}, []string{`a}'b`}, `echo ${x:-'a}'\''b'} "${x:-a\}"'"b}"`},
		{`x=A{}; echo "${x#{}}"`, Options{}, []string{`*.c`}, `x=A'*.c'; echo "${x#\*\.c}"`},
		{"echo `echo {}`", Options{}, []string{`a'b`}, "echo `echo 'a'\\\\''b'`"},
		{"echo {} # {}", Options{}, []string{"v w"}, "echo 'v w' # {}"},
		{`echo @@ {} | cat`, Options{Replace: "@@"}, []string{"v w"}, `echo 'v w' {} | cat`},
		{`echo $(( {} + 1 ))`, Options{}, []string{"41"}, `echo $(( 41 + 1 ))`},
		// xargs style: the record goes after the last word
		{`echo hi | cat`, Options{}, []string{"a b", "c"}, `echo hi | cat 'a b' c`},
		{`echo hi;`, Options{}, []string{"v"}, `echo hi v;`},
		{`echo hi & `, Options{}, []string{"v"}, `echo hi v & `},
		{`echo hi # note`, Options{}, []string{"v"}, `echo hi v # note`},
		{"echo hi\n", Options{}, []string{"v"}, "echo hi v\n"},
		{`awk '{print}' | sort`, Options{}, []string{"f"}, `awk '{print}' | sort f`},
		{`echo {}`, Options{ForceShell: true}, []string{"a b"}, `echo 'a b'`},
	}
	for _, tt := range tests {
		tm, err := Parse([]string{tt.line}, tt.opt)
		if err != nil {
			t.Errorf("%s: %v", tt.line, err)
			continue
		}
		if tm.Mode() != ShellLine {
			t.Errorf("%s: mode %v, want shell", tt.line, tm.Mode())
			continue
		}
		c, err := tm.Expand(rec(tt.args...), 1)
		if err != nil {
			t.Errorf("%s: %v", tt.line, err)
			continue
		}
		if want := []string{"/bin/sh", "-c", tt.want}; !reflect.DeepEqual(c.Argv, want) || c.Line != tt.want {
			t.Errorf("%s:\ngot  %q %q\nwant %q", tt.line, c.Argv, c.Line, want)
		}
	}
	tm, _ := Parse([]string{"echo {} | cat"}, Options{Shell: "/bin/bash"})
	if c, _ := tm.Expand(rec("x"), 1); c.Argv[0] != "/bin/bash" {
		t.Errorf("--shell: argv %q", c.Argv)
	}
}

// Which command lines need a shell.
func TestShellDetection(t *testing.T) {
	for line, shell := range map[string]bool{
		`echo {}`: false, `echo "a b" 'c d'`: false, `echo '$x' '*' '|'`: false, `a,b=c:d@e+f`: false,
		`cp {} {.}.bak`: false, `[ -f {} ]`: false, `echo a # b`: true, `echo a#b`: false,
		`echo {} | cat`: true, `echo a; echo b`: true, `echo a && b`: true, `sort <{}`: true, `echo >x`: true,
		`echo $HOME`: true, `echo "$HOME"`: true, "echo `date`": true, `echo $(date)`: true, `echo a\ b`: true,
		`echo "a\b"`: true, `ls *.go`: true, `ls ?`: true, `ls [ab]`: true, `echo ~`: true, `(echo)`: true,
		`FOO=1 env`: true, `cd /tmp`: true, `exit 3`: true, `! grep x f`: true, `if true; then :; fi`: true,
		`{ echo; }`: true, "echo a\necho b": true, "echo a\r": true, `time sleep 1`: true, `export A`: true,
	} {
		tm, err := Parse([]string{line}, Options{})
		if err != nil {
			t.Errorf("%s: %v", line, err)
			continue
		}
		if got := tm.Mode() == ShellLine; got != shell {
			t.Errorf("%q: shell %v, want %v", line, got, shell)
		}
	}
}

func TestRecordIsCommand(t *testing.T) {
	tm, err := Parse(nil, Options{})
	if err != nil || tm.Mode() != RecordIsCommand {
		t.Fatal(tm.Mode(), err)
	}
	tests := []struct {
		args []string
		want []string
	}{
		{[]string{`echo "a b" c`}, []string{"echo", "a b", "c"}},
		{[]string{"echo", "a", "{}"}, []string{"echo", "a", "{}"}},
		{[]string{`echo a | cat`}, []string{"/bin/sh", "-c", "echo a | cat"}},
		{[]string{`echo 'a`}, []string{"/bin/sh", "-c", "echo 'a"}},
		{[]string{`exit 3`}, []string{"/bin/sh", "-c", "exit 3"}},
	}
	for _, tt := range tests {
		c, err := tm.Expand(rec(tt.args...), 1)
		if err != nil {
			t.Errorf("%q: %v", tt.args, err)
			continue
		}
		if !reflect.DeepEqual(c.Argv, tt.want) || c.Line != strings.Join(tt.args, " ") {
			t.Errorf("%q: got %q %q, want %q", tt.args, c.Argv, c.Line, tt.want)
		}
	}
	// A blank line does nothing and succeeds, under the shell (GNU parallel).
	for _, empty := range []string{"", "  ", "\n"} {
		c, err := tm.Expand(rec(empty), 1)
		if want := []string{"/bin/sh", "-c", empty}; err != nil || !reflect.DeepEqual(c.Argv, want) || c.Line != empty {
			t.Errorf("%q: got %q %q, %v; want %q", empty, c.Argv, c.Line, err, want)
		}
	}
	force, _ := Parse(nil, Options{ForceShell: true, Shell: "bash"})
	if c, _ := force.Expand(rec("echo a"), 1); !reflect.DeepEqual(c.Argv, []string{"bash", "-c", "echo a"}) {
		t.Errorf("force: %q", c.Argv)
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct{ line, msg string }{
		{`echo 'a {}`, `command line "echo 'a {}": unterminated quote`},
		{`echo "a {}`, "unterminated quote"},
		{"echo `a {}", "unterminated backquote"},
		{`echo $(a {}`, "unterminated $("},
		{`echo ${x:-{}`, "unterminated ${"},
		{``, "there is no command in it"},
		{`  `, "there is no command in it"},
		{`# {}`, "there is no command in it"},
		{`echo ${}`, "${ without a parameter name"},
		{`echo ${{}}`, "${ without a parameter name"},
		{`echo $'{}'`, "inside $'…'"},
		{`echo $'a\'' {}`, `$'…\'…'`},
		{`echo "${x:-'{}'}"`, `quotes inside "${…}"`},
		{"echo \"`echo \\\"$(echo {})\\\"`\"", "write $(…) instead of `…`"},
		{`echo $(( '{}' ))`, "single quote inside shell arithmetic"},
		{`echo $(( (1) ) {}`, "cannot read ((…)) or $((…))"},
		{"cat <<EOF\n{}\nEOF", "cannot go in a here-document"},
		{"cat <<{}\nx\n", "here-document delimiter"},
		{"cat <<EOF\nx\nEOF", "cannot be appended after a here-document"},
		{`echo $@@`, "a $ right before a replacement string"},
		{"((x<<2))\necho {}", "sh reads ((…)) as subshells"},
		{"((x #))\necho {}", "sh reads ((…)) as subshells"},
	}
	for _, tt := range tests {
		opt := Options{}
		if strings.Contains(tt.line, "@@") {
			opt.Replace = "@@"
		}
		_, err := Parse([]string{tt.line}, opt)
		if err == nil || !strings.Contains(err.Error(), tt.msg) {
			t.Errorf("%q: err %v, want %q", tt.line, err, tt.msg)
			continue
		}
		if strings.Contains(err.Error(), "\n") || strings.HasPrefix(err.Error(), "parmap") {
			t.Errorf("%q: message %q is not one line without prefix", tt.line, err)
		}
	}
	if err := CheckReplace(""); err != ErrEmptyReplace {
		t.Errorf("CheckReplace(\"\") = %v, want ErrEmptyReplace", err)
	}
	if err := CheckReplace("XX"); err != nil {
		t.Error(err)
	}
	// Without replacement strings, constructs sh and bash read differently are fine.
	for _, line := range []string{`echo $'a\'' | cat`, `echo "${x:-'a}'}"`, "cat <<EOF\n{}\nEOF\n{}"} {
		if _, err := Parse([]string{line}, Options{}); err != nil && !strings.Contains(line, "{}\nEOF\n{}") {
			t.Errorf("%q: %v", line, err)
		}
	}
}

func TestTooLong(t *testing.T) {
	long := strings.Repeat("x", MaxArg+1)
	ok := strings.Repeat("x", MaxArg)
	tm, _ := Parse([]string{"echo", "a", "{}"}, Options{})
	if _, err := tm.Expand(rec(ok), 1); err != nil {
		t.Errorf("MaxArg bytes: %v", err)
	}
	_, err := tm.Expand(&records.Record{Seq: 7, Args: []string{long}}, 1)
	var tl *TooLongError
	if !errors.As(err, &tl) || tl.Index != 2 || tl.Len != MaxArg+1 || tl.Shell {
		t.Fatalf("err %#v", err)
	}
	want := fmt.Sprintf("record 7: argument 2 is %d bytes; Linux passes at most 131071 bytes in one argument", MaxArg+1)
	if err.Error() != want {
		t.Errorf("message %q", err)
	}
	sh, _ := Parse([]string{"echo {} | cat"}, Options{})
	_, err = sh.Expand(&records.Record{Seq: 2, Args: []string{ok}}, 1)
	if !errors.As(err, &tl) || tl.Index != 2 || !tl.Shell || !strings.Contains(err.Error(), "record 2: the shell command line is") {
		t.Errorf("shell: err %v", err)
	}
}

func TestText(t *testing.T) {
	r := &records.Record{Seq: 5, Values: []string{"d/a.txt", "b"}, Args: []string{"d/a.txt", "b"}}
	for s, want := range map[string]string{
		"{}":              "d/a.txt b",
		"{1/.}:{2} #{#}":  "a:b #5",
		"slot {%}":        "slot 3",
		"plain '$x'":      "plain '$x'",
		"{print} {^.txt}": "{print} d/a b",
	} {
		tx, err := ParseText(s, Options{})
		if err != nil {
			t.Fatal(err)
		}
		if got := tx.Expand(r, 3); got != want {
			t.Errorf("%q: got %q, want %q", s, got, want)
		}
	}
}

func TestQuote(t *testing.T) {
	for s, want := range map[string]string{
		"": "''", "abc": "abc", "a-b_c.d/e:f,g@h%i+j": "a-b_c.d/e:f,g@h%i+j", "a b": "'a b'",
		"it's": `'it'\''s'`, "$x": "'$x'", "\n": "'\n'", "é": "'é'", "~": "'~'",
		"=ls": "'=ls'", "A=b": "'A=b'", "a==ls": "'a==ls'", "^x": "'^x'", "#x": "'#x'", "-n": "-n",
	} {
		if got := Quote(s); got != want {
			t.Errorf("Quote(%q) = %q, want %q", s, got, want)
		}
	}
	if got, want := QuoteLine([]string{"A=b", "x y", "", "if"}), `'A=b' 'x y' '' if`; got != want {
		t.Errorf("QuoteLine = %q, want %q", got, want)
	}
	if got, want := QuoteLine([]string{"if", "a"}), `'if' a`; got != want {
		t.Errorf("QuoteLine = %q, want %q", got, want)
	}
	// zsh's reserved words, and a job in bash and zsh, as the program.
	for _, name := range []string{"repeat", "foreach", "end", "nocorrect", "%1", "%s"} {
		if got, want := QuoteLine([]string{name, name}), "'"+name+"' "+Quote(name); got != want {
			t.Errorf("QuoteLine = %q, want %q", got, want)
		}
	}
}

// A Template is used by many goroutines at once (run with -race).
func TestConcurrentExpand(t *testing.T) {
	tm, err := Parse([]string{`printf '%s\n' {} "{/}" | cat`}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 200 {
				v := fmt.Sprintf("d/%d-%d'", g, i)
				c, err := tm.Expand(rec(v), g)
				if err != nil {
					t.Error(err)
					return
				}
				if want := fmt.Sprintf(`printf '%%s\n' 'd/%d-%d'\'''`, g, i); !strings.HasPrefix(c.Line, want) {
					t.Errorf("line %q", c.Line)
					return
				}
			}
		})
	}
	wg.Wait()
}

// A NUL byte cannot be passed in an argument: Expand says which one, before
// exec would fail with "invalid argument".
func TestNUL(t *testing.T) {
	tm, _ := Parse([]string{"echo", "a", "{}"}, Options{})
	_, err := tm.Expand(&records.Record{Seq: 3, Args: []string{"a\x00b"}}, 1)
	var ne *NULError
	if !errors.As(err, &ne) || ne.Seq != 3 || ne.Index != 2 || ne.Shell {
		t.Fatalf("err %#v", err)
	}
	if want := "record 3: argument 2 contains a NUL byte, which no command argument can carry"; err.Error() != want {
		t.Errorf("message %q", err)
	}
	sh, _ := Parse([]string{"echo {} | cat"}, Options{})
	_, err = sh.Expand(&records.Record{Seq: 2, Args: []string{"\x00"}}, 1)
	if !errors.As(err, &ne) || ne.Index != 2 || !ne.Shell {
		t.Errorf("shell: err %#v", err)
	}
	cmd, _ := Parse(nil, Options{})
	_, err = cmd.Expand(&records.Record{Seq: 1, Args: []string{"echo a\x00b"}}, 1)
	if !errors.As(err, &ne) || ne.Index != 1 {
		t.Errorf("record as command: err %#v", err)
	}
}
