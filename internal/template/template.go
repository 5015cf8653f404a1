// Package template parses a parmap command template once and expands it for
// each record.
//
// A template given as several words is an argv: each word is one argument, and
// the program runs directly, so a record can never inject shell syntax. One word
// is a command line: without shell syntax it is split into an argv the same way;
// with it, it runs under the shell with -c, and each value is quoted for the
// place it takes in the line (outside quotes, inside '…', "…", $(…), `…`,
// ${x:-…}, …) so that it stays literal text. No words: each record is itself a
// command line.
//
// Quoting keeps a value literal; it cannot stop a command from giving literal
// text a meaning: eval, sh -c and ssh read their arguments as shell code again,
// and bash evaluates text as arithmetic in [[ x -eq y ]], let, declare -i and a
// variable named in $((…)), where a value like a[$(cmd)] runs cmd. The quoting
// assumes a UTF-8 or single-byte locale (as in GBK or Shift JIS, a byte that
// continues a character could otherwise take a backslash with it).
package template

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/mattn/go-shellwords"
)

// MaxArg is the longest argument Linux passes to a program: MAX_ARG_STRLEN
// (131072) less the terminating NUL.
const MaxArg = 131071

// Options are the settings that change how a template is read.
type Options struct {
	Replace string // -I STR: this string replaces {} (only {}); "" means "{}"
	// Aliases are more strings that stand for replacement strings, e.g.
	// "EXT" for "{.}" (GNU parallel's --extensionreplace EXT).
	Aliases    []Alias
	Shell      string // the shell for command lines with shell syntax; "" means "/bin/sh"
	ForceShell bool   // --shell given: run command lines under the shell even without shell syntax
	// Context: a job carries many records (-X), and an argv word that holds {}
	// among other text is repeated once for each of the record's Args (GNU
	// parallel's context replace: a{}b gives a1b a2b a3b, not a1 2 3b).
	Context bool
	// Plus (--plus) adds GNU parallel's extra replacement strings: {..},
	// {+.}, {##}, {0#}, {0%}, {:-x}, {/a/b}… (see plus.go); Jobs is -j,
	// the width {0%} pads to.
	Plus bool
	Jobs int
	// Literal (-q, --quote) runs even a one-word template as an argv: its
	// words are the program and its arguments, shell syntax in them is
	// literal text.
	Literal bool
	// Only recognises no replacement string but Replace, and none when
	// Replace is "": {}, {.}, {#}… are then plain text (xargs).
	Only bool
	// NoAppend never appends the record's Args to an argv that has no
	// replacement string: it runs as written (xargs -I).
	NoAppend bool
	// Devices, when set, makes {gpu} a replacement string: the devices of
	// the job's slot, Devices[slot-1] (ids joined by commas; --gpus).
	// Without it {gpu} is a {name} like any other.
	Devices []string
	// Line words an expanded argv as Command.Line (for -t, --dry-run and
	// the job log); nil means QuoteLine.
	Line func(argv []string) string
}

// Mode is how a template runs its commands.
type Mode int

const (
	// Argv runs each expanded word as one argument, directly, without a shell.
	Argv Mode = iota
	// ShellLine runs the expanded line as Shell -c LINE.
	ShellLine
	// RecordIsCommand runs each record as a command line of its own.
	RecordIsCommand
)

func (m Mode) String() string {
	switch m {
	case Argv:
		return "argv"
	case ShellLine:
		return "shell"
	case RecordIsCommand:
		return "record"
	}
	return fmt.Sprintf("Mode(%d)", int(m))
}

// Template is a parsed command template. It is immutable, and safe for
// concurrent use by several goroutines.
type Template struct {
	mode   Mode
	shell  string
	force  bool
	ctx    bool                  // Options.Context
	quote  func([]string) string // Options.Line
	noApp  bool                  // Options.NoAppend
	static bool                  // has a replacement string other than {name}

	words []word    // Argv
	line  shellLine // ShellLine
}

// Command is one expanded command.
type Command struct {
	Argv []string // what to execute: Argv[0] is the program (a name to look up in PATH, or a path)
	Line string   // the command as one shell line, for --dry-run and the job log
}

// ErrEmptyReplace is CheckReplace's error for an empty replacement string.
var ErrEmptyReplace = errors.New("the replacement string is empty")

// CheckReplace returns ErrEmptyReplace when s cannot be an -I replacement
// string. (Options.Replace cannot tell an empty -I from none, so the caller
// checks.)
func CheckReplace(s string) error {
	if s == "" {
		return ErrEmptyReplace
	}
	return nil
}

// Alias is a string that stands for a replacement string in a template:
// Text for For ("EXT" for "{.}").
type Alias struct{ Text, For string }

func newMatcher(opt Options) matcher {
	m := matcher{replace: opt.Replace, plus: opt.Plus, jobs: opt.Jobs, devices: opt.Devices}
	for _, a := range opt.Aliases {
		if a.Text != "" && a.Text != a.For {
			m.aliases = append(m.aliases, a)
		}
	}
	// The longest first, so that one alias holding another wins.
	slices.SortStableFunc(m.aliases, func(a, b Alias) int { return len(b.Text) - len(a.Text) })
	if opt.Only {
		return matcher{replace: opt.Replace, only: true, off: opt.Replace == ""}
	}
	if opt.Replace == "{}" {
		m.replace = ""
	}
	return m
}

// Parse reads a command template: words as given on the command line (see the
// package comment for what 0, 1 and more words mean).
func Parse(words []string, opt Options) (*Template, error) {
	t := &Template{shell: opt.Shell, force: opt.ForceShell, ctx: opt.Context, quote: opt.Line, noApp: opt.NoAppend}
	if t.shell == "" {
		t.shell = "/bin/sh"
	}
	if t.quote == nil {
		t.quote = QuoteLine
	}
	if !opt.Only { // with Only, {= … =} is plain text
		if err := checkPerl(words); err != nil {
			return nil, err
		}
	}
	m := newMatcher(opt)
	switch {
	case len(words) == 0:
		t.mode = RecordIsCommand
		return t, nil
	case len(words) == 1 && !opt.Literal:
		if err := t.parseLine(words[0], m); err != nil {
			return nil, err
		}
	default:
		t.setWords(words, m)
	}
	return t, t.checkTokens()
}

func (t *Template) setWords(words []string, m matcher) {
	t.mode = Argv
	t.words = make([]word, len(words))
	for i, w := range words {
		t.words[i] = parseWord(w, m)
		t.static = t.static || t.words[i].static()
	}
}

// parseLine reads a template given as one command line.
func (t *Template) parseLine(line string, m matcher) error {
	l := lex(line, m)
	if l.err != "" {
		return fmt.Errorf("command line %q: %s", line, l.err)
	}
	// go-shellwords reads quotes differently when the -I string holds them.
	if !l.syntax && !t.force && !strings.ContainsAny(m.replace, " \t\r\n'\"\\") {
		if words, ok := split(line); ok {
			if len(words) == 0 {
				return fmt.Errorf("command line %q: there is no command in it", line)
			}
			t.setWords(words, m)
			return nil
		}
	}
	if l.lastContent == 0 {
		return fmt.Errorf("command line %q: there is no command in it", line)
	}
	t.mode = ShellLine
	t.line = newShellLine(line, l.toks)
	if t.ctx {
		t.line.ctx = t.line.contextSpans(m)
	}
	for i := range l.toks {
		t.static = t.static || l.toks[i].tok.src != srcName
	}
	t.line.appendAt = -1
	if !t.static {
		if l.heredoc {
			return fmt.Errorf("command line %q: it has no {}, and the record cannot be appended after a here-document; put {} where it goes", line)
		}
		t.line.appendAt = l.lastContent
		if l.tailOps {
			t.line.appendAt = l.lastWord
		}
	}
	return nil
}

// lex reads a command line. Its err is set if the line cannot be read, or if
// it has replacement strings and a construct sh and bash read differently.
func lex(line string, m matcher) *lexer {
	l := &lexer{src: line, m: m}
	l.command(0, true)
	if l.err == "" && l.ambiguous != "" && len(l.toks) > 0 {
		l.err = l.ambiguous
	}
	return l
}

// split splits a command line without shell syntax into words with go-shellwords.
func split(line string) ([]string, bool) {
	p := shellwords.NewParser()
	words, err := p.Parse(line)
	return words, err == nil && p.Position < 0
}

// Mode returns how the template runs its commands.
func (t *Template) Mode() Mode { return t.mode }

// HasReplacement reports whether the template uses a replacement string other
// than {name}. Without one, the record's Args are appended (xargs style), unless
// a {name} of the template names a field of the record.
func (t *Template) HasReplacement() bool { return t.static }
