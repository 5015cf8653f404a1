package template

import (
	"bytes"
	"context"
	"crypto/rand"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/parmap/parmap/internal/records"
)

// A shape is a shell template and what it must print for a value v.
type shape struct {
	line string
	want func(v string) string
}

func same(v string) string  { return v }
func chomp(v string) string { return strings.TrimRight(v, "\n") } // $(…) drops trailing newlines
func wrap(pre, post string) func(string) string {
	return func(v string) string { return pre + v + post }
}
func fixed(s string) func(string) string { return func(string) string { return s } }

// shapes run under both sh (dash) and bash.
var shapes = []shape{
	{`printf '%s' {}`, same},
	{`printf '%s' '{}'`, same},
	{`printf '%s' "{}"`, same},
	{`printf %s x{}y`, wrap("x", "y")},
	{`printf %s "x{}y"`, wrap("x", "y")},
	{`printf %s 'x{}y'`, wrap("x", "y")},
	{`printf %s 'a {} b'`, wrap("a ", " b")},
	{`printf %s "a {} b"`, wrap("a ", " b")},
	{`printf %s x'{}'"{}"{}y`, func(v string) string { return "x" + v + v + v + "y" }},
	{`printf '%s|' {} "{}" '{}' | cat`, func(v string) string { return v + "|" + v + "|" + v + "|" }},
	{`printf %s "$(printf %s {})"`, chomp},
	{`printf %s "$(printf %s '{}')"`, chomp},
	{`printf %s "$(printf %s "{}")"`, chomp},
	{`printf %s "$(printf %s x{}y)"`, wrap("x", "y")},
	{`printf %s "$(printf %s "$(printf %s {})")"`, chomp},
	{`x=$(printf %s {}); printf %s "$x"`, chomp},
	{"printf %s \"`printf %s {}`\"", chomp},
	{"printf %s \"`printf %s '{}'`\"", chomp},
	{"printf %s \"`printf %s \\\"{}\\\"`\"", chomp},
	{"x=`printf %s {}`; printf %s \"$x\"", chomp},
	{"x=`printf %s \"{}\"`; printf %s \"$x\"", chomp},
	{"printf %s \"$(printf %s \"`printf %s {}`\")\"", chomp},
	{"printf %s \"`printf %s \\\"\\`printf %s {}\\`\\\"`\"", chomp},
	{`printf %s "${x:-{}}"`, same},
	{`printf %s "${x-{}}"`, same},
	{`printf %s "${x:=x{}y}"`, wrap("x", "y")},
	{`x=1; printf %s "${x:+{}}"`, same},
	{`y=${x:-{}}; printf %s "$y"`, same},
	{`y=${x:-'{}'}; printf %s "$y"`, same},
	{`y=${x:-"{}"}; printf %s "$y"`, same},
	{`printf %s "$(printf %s "${x:-{}}")"`, chomp},
	{`x=A{}B; printf %s "${x#A{}}"`, fixed("B")},
	{`x=A{}B; printf %s "${x%{}B}"`, fixed("A")},
	{`x=A{}B; printf %s "${x##A{}}"`, fixed("B")},
	{`x=A{}B; y=${x#A{}}; printf %s "$y"`, fixed("B")},
	{`x=A{}B; printf %s "${x#A'{}'}"`, fixed("B")},
	{`x=A{}B; y=${x#A'{}'}; printf %s "$y"`, fixed("B")},
	{`x=A{}B; printf %s "$(printf %s "${x%'{}'B}")"`, fixed("A")},
	{`x=A{}B; printf %s "${x#"A{}"}"`, fixed("B")},
	{`case {} in *) printf %s {};; esac`, same},
	{`printf %s "$(case x in x) printf %s {};; esac)"`, chomp},
	{`printf %s "$(case x in (x) printf %s "{}";; esac; printf %s '{}')"`, func(v string) string { return chomp(v + v) }},
	{"printf %s {} # {} ' \" `", same},
	{"# {}\nprintf %s {}", same},
	{`{ printf %s {}; }`, same},
	{`(printf %s {})`, same},
	{`printf %s "$( (printf %s {}) )"`, chomp},
	{`if true; then printf %s {}; fi`, same},
	{`for i in 1; do printf %s "{}"; done`, same},
	{`x={}; printf %s "$x"`, same},
	{`x="{}"; printf %s "$x"`, same},
	{`x=a{}b; printf %s "$x"`, wrap("a", "b")},
	{`printf %s {} >/dev/null; printf %s {}`, same},
	{"cat <<END\na\nEND\nprintf %s {}", wrap("a\n", "")},
	{`printf %s \{} {}`, wrap("{}", "")},
	{`printf %s "\{}" {}`, wrap(`\{}`, "")},
	{`printf %s \{}`, wrap("{}", "")}, // no replacement string: the value is appended
	{`printf %s '\{}'`, wrap(`\`, "")},
	{`printf %s {} && printf %s "{}"`, func(v string) string { return v + v }},
	{`test -n x && printf %s {} || printf fail`, same},
}

// bashShapes use bash's extensions.
var bashShapes = []shape{
	{`printf %s $'a\n'{}`, wrap("a\n", "")},
	{`x=A{}B; printf %s "${x/{}/}"`, fixed("AB")},
	{`x=AB; printf %s "${x/A/{}}"`, wrap("", "B")},
	{`x=AB; y=${x/A/{}}; printf %s "$y"`, wrap("", "B")},
	{`x=AB; printf %s "${x/#A/{}}"`, wrap("", "B")},
	{`[[ {} == {} ]] && [[ "{}" == '{}' ]] && printf ok`, fixed("ok")},
	{`[[ x{}y == "x{}y" ]] && printf ok`, fixed("ok")},
	{`printf %s "$(cat <(printf %s {}))"`, chomp},
	{`a=({} '{}'); printf %s "${a[1]}"`, same}, // not "{}": bash garbles "\x01\x7f" in a=(…) by itself
	{`y=${x:-$'\t'{}}; printf %s "$y"`, wrap("\t", "")},
}

// expandLine expands line for v under shell, forcing shell mode.
func expandLine(shell, line, v string) (string, error) {
	tm, err := Parse([]string{line}, Options{Shell: shell, ForceShell: true})
	if err != nil {
		return "", err
	}
	if tm.Mode() != ShellLine {
		return "", fmt.Errorf("mode %v, want shell", tm.Mode())
	}
	c, err := tm.Expand(&records.Record{Seq: 1, Values: []string{v}, Args: []string{v}}, 1)
	if err != nil {
		return "", err
	}
	return c.Line, nil
}

// checkShapes runs every shape for v in one shell process and reports the
// shapes whose output is wrong.
func checkShapes(shell string, shapes []shape, v string) error {
	return checkShapesMany(shell, shapes, []string{v})
}

// checkShapesMany runs every shape for every value in one shell process.
//
// The shapes run one after the other in the script's own shell, each in a
// brace group after an unset of the variables shapes use, and a line holding
// a random token and the shape's number, written to stdout and stderr before
// each shape, separates their outputs. A subshell and two output files per
// shape, as this once did, cost five to seven times as much (fork, and file
// creation on the disk under /tmp), which made this package the slowest of
// the suite under load. A shape that ends the script (a quoting bug that
// runs exit) loses the markers after it, which fails the check.
func checkShapesMany(shell string, shapes []shape, values []string) error {
	return checkShapesIn(shell, nil, "", shapes, values)
}

// checkShapesIn is checkShapesMany with arguments for the shell before the
// script's name (zsh -f) and a prelude at the script's head (setopt …).
func checkShapesIn(shell string, args []string, prelude string, shapes []shape, values []string) error {
	dir, err := os.MkdirTemp("", "parmap-template")
	if err != nil {
		return err
	}
	keep := false // the script of a failed run stays for a look
	defer func() {
		if !keep {
			os.RemoveAll(dir)
		}
	}()
	token := make([]byte, 12)
	rand.Read(token)
	mark := func(k int) string { return fmt.Sprintf("pmshape-%x %d\n", token, k) }
	n := len(shapes) * len(values)
	var script strings.Builder
	script.WriteString(prelude)
	lines := make([]string, n)
	for j, v := range values {
		for i, s := range shapes {
			line, err := expandLine(shell, s.line, v)
			if err != nil {
				return fmt.Errorf("%s with %q: %v", s.line, v, err)
			}
			k := j*len(shapes) + i
			lines[k] = line
			fmt.Fprintf(&script, "printf %%s '%[1]s'; printf %%s '%[1]s' >&2\n{ unset x y a i\n%[2]s\n}\n", mark(k), line)
		}
	}
	fmt.Fprintf(&script, "printf %%s '%[1]s'; printf %%s '%[1]s' >&2\n", mark(n))
	file := filepath.Join(dir, "script")
	if err := os.WriteFile(file, []byte(script.String()), 0o600); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, shell, append(args[:len(args):len(args)], file)...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = time.Second
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err = cmd.Run()
	if ctx.Err() != nil {
		keep = true
		return fmt.Errorf("%s %s: values %q: timed out", shell, file, values)
	}
	if err != nil {
		keep = true
		return fmt.Errorf("%s %s: values %q: script failed: %v: %s", shell, file, values, err, stderr.Bytes())
	}
	outs, err := splitOutput(stdout.Bytes(), n, mark)
	if err != nil {
		keep = true
		return fmt.Errorf("%s %s: values %q: stdout: %v", shell, file, values, err)
	}
	errOuts, err := splitOutput(stderr.Bytes(), n, mark)
	if err != nil {
		keep = true
		return fmt.Errorf("%s %s: values %q: stderr: %v", shell, file, values, err)
	}
	var errs []string
	for j, v := range values {
		for i, s := range shapes {
			k := j*len(shapes) + i
			if want := s.want(v); !bytes.Equal(outs[k], []byte(want)) {
				errs = append(errs, fmt.Sprintf("%s: template %q, value %q\n\tline %q\n\tgot  %q\n\twant %q\n\tstderr %q",
					shell, s.line, v, lines[k], outs[k], want, errOuts[k]))
			}
		}
	}
	if errs != nil {
		return fmt.Errorf("%s", strings.Join(errs, "\n"))
	}
	return nil
}

// splitOutput cuts a script's output into the n shapes' parts at the markers
// mark(0) … mark(n), which must all be there, in order.
func splitOutput(out []byte, n int, mark func(int) string) ([][]byte, error) {
	parts := make([][]byte, n)
	m := []byte(mark(0))
	if !bytes.HasPrefix(out, m) {
		return nil, fmt.Errorf("no marker before the first shape: %q", out[:min(len(out), 200)])
	}
	out = out[len(m):]
	for k := range n {
		next := []byte(mark(k + 1))
		i := bytes.Index(out, next)
		if i < 0 {
			return nil, fmt.Errorf("the script ended in shape %d (no marker after it): %q", k, out[:min(len(out), 200)])
		}
		parts[k], out = out[:i], out[i+len(next):]
	}
	if len(out) > 0 {
		return nil, fmt.Errorf("output after the last shape: %q", out[:min(len(out), 200)])
	}
	return parts, nil
}

// shells returns the shells to test with: sh, and bash when it is installed.
func shells(t testing.TB) (sh, bash string) {
	sh, err := exec.LookPath("sh")
	if err != nil {
		t.Skip("no sh")
	}
	bash, _ = exec.LookPath("bash")
	return sh, bash
}

// rec returns a record whose Values and Args are args.
func rec(args ...string) *records.Record {
	return &records.Record{Seq: 1, Values: args, Args: args}
}

// runLine runs a command and returns its standard output.
func runLine(t *testing.T, c Command) string {
	t.Helper()
	out, err := exec.Command(c.Argv[0], c.Argv[1:]...).Output()
	if err != nil {
		t.Fatalf("%q: %v", c.Argv, err)
	}
	return string(out)
}
