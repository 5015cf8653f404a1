package template

import (
	"bytes"
	"context"
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
func checkShapesMany(shell string, shapes []shape, values []string) error {
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
	var script strings.Builder
	lines := make([]string, len(shapes)*len(values))
	for j, v := range values {
		for i, s := range shapes {
			line, err := expandLine(shell, s.line, v)
			if err != nil {
				return fmt.Errorf("%s with %q: %v", s.line, v, err)
			}
			k := j*len(shapes) + i
			lines[k] = line
			fmt.Fprintf(&script, "(\n%s\n) >%s/%d 2>%s/%d.err\n", line, dir, k, dir, k)
		}
	}
	file := filepath.Join(dir, "script")
	if err := os.WriteFile(file, []byte(script.String()), 0o600); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, shell, file)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = time.Second
	out, err := cmd.CombinedOutput()
	if ctx.Err() != nil {
		keep = true
		return fmt.Errorf("%s %s: values %q: timed out", shell, file, values)
	}
	if err != nil {
		keep = true
		return fmt.Errorf("%s %s: values %q: script failed: %v: %s", shell, file, values, err, out)
	}
	var errs []string
	for j, v := range values {
		for i, s := range shapes {
			k := j*len(shapes) + i
			got, _ := os.ReadFile(filepath.Join(dir, fmt.Sprint(k)))
			if want := s.want(v); !bytes.Equal(got, []byte(want)) {
				stderr, _ := os.ReadFile(filepath.Join(dir, fmt.Sprint(k)+".err"))
				errs = append(errs, fmt.Sprintf("%s: template %q, value %q\n\tline %q\n\tgot  %q\n\twant %q\n\tstderr %q",
					shell, s.line, v, lines[k], got, want, stderr))
			}
		}
	}
	if errs != nil {
		return fmt.Errorf("%s", strings.Join(errs, "\n"))
	}
	return nil
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
