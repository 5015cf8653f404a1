package testscripts

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"
)

// findutilsDir is GNU findutils' xargs test suite, copied unchanged (see
// its README.md).
const findutilsDir = "testdata/findutils-xargs"

// findutilsXargsEnv, when set, is the xargs the suite runs instead of
// parmap under the name xargs: FINDUTILS_XARGS=/usr/bin/xargs checks the
// runner itself against GNU xargs, which passes every case.
const findutilsXargsEnv = "FINDUTILS_XARGS"

// findutilsLeast is how many of the suite's cases parmap must pass.
const findutilsLeast = 90

// TestFindutilsXargs runs GNU findutils' xargs test suite as its DejaGNU
// procedures (config/unix.exp) do: each case's exit status, its stdout
// against NAME.xo (empty without one) and, unless it says skip, its stderr
// against NAME.xe (empty without one) after sed s/^.*xargs:/xargs:/.
func TestFindutilsXargs(t *testing.T) {
	xargs := os.Getenv(findutilsXargsEnv)
	if xargs == "" {
		parmap, err := exec.LookPath("parmap")
		if err != nil {
			t.Fatal(err)
		}
		xargs = filepath.Join(t.TempDir(), "xargs")
		if err := os.Symlink(parmap, xargs); err != nil {
			t.Fatal(err)
		}
	}
	cases, err := filepath.Glob(filepath.Join(findutilsDir, "xargs.*", "*.exp"))
	if err != nil || len(cases) == 0 {
		t.Fatalf("no cases in %s: %v", findutilsDir, err)
	}
	sort.Strings(cases)
	work := t.TempDir()
	passed := 0
	for _, exp := range cases {
		c, err := readExpCase(exp)
		if err != nil {
			t.Errorf("%s: %v", exp, err)
			continue
		}
		if why := c.run(xargs, work); why != "" {
			t.Logf("FAIL %s: %s", c.name, why)
			continue
		}
		passed++
	}
	msg := fmt.Sprintf("findutils xargs suite: %d/%d passed (%s)", passed, len(cases), xargs)
	t.Log(msg)
	if testing.Verbose() {
		fmt.Fprintln(os.Stderr, msg)
	}
	least := findutilsLeast
	if os.Getenv(findutilsXargsEnv) != "" {
		least = len(cases) // GNU xargs passes them all
	}
	if passed < least {
		t.Errorf("%d of %d cases passed; want at least %d", passed, len(cases), least)
	}
}

// expCase is one xargs_start call of a .exp file.
type expCase struct {
	name     string // the file's name without .exp
	base     string // its path without .exp
	status   int    // the exit status it wants
	options  string // xargs' options and command, as Tcl words
	infile   string // the input's name in inputs/, "" for /dev/null
	skipErr  bool   // stderr is not checked
	command  string // a whole command line (Tcl words), "" for xargs OPTIONS
	cLocale  bool   // set env(LC_ALL) "C"
	inputDir string
}

// readExpCase reads the xargs_start call of a .exp file (and a set
// env(LC_ALL) "C" before it).
func readExpCase(path string) (*expCase, error) {
	src, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	base := strings.TrimSuffix(path, ".exp")
	c := &expCase{name: filepath.Base(base), base: base, inputDir: filepath.Join(filepath.Dir(filepath.Dir(path)), "inputs")}
	found := false
	for _, line := range strings.Split(string(src), "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		words, err := tclWords(line, map[string]string{"XARGS": "$XARGS", "XARGSFLAGS": "$XARGSFLAGS"})
		if err != nil {
			return nil, fmt.Errorf("%q: %v", line, err)
		}
		switch {
		case len(words) == 3 && words[0] == "set" && words[1] == "env(LC_ALL)" && words[2] == "C":
			c.cLocale = true
		case len(words) >= 3 && words[0] == "xargs_start":
			if found {
				return nil, errors.New("more than one xargs_start")
			}
			found = true
			if err := c.setArgs(words[1:]); err != nil {
				return nil, err
			}
		default:
			return nil, fmt.Errorf("cannot read %q", line)
		}
	}
	if !found {
		return nil, errors.New("no xargs_start call")
	}
	return c, nil
}

// setArgs reads xargs_start's arguments: passfail options ?infile? ?errh?
// ?command?, as config/unix.exp does.
func (c *expCase) setArgs(args []string) error {
	if len(args) > 5 {
		return fmt.Errorf("xargs_start with %d arguments", len(args))
	}
	args = append(args, "", "", "", "")
	pf := args[0]
	switch {
	case pf != "" && pf[0] >= '0' && pf[0] <= '9':
		n, err := strconv.Atoi(pf)
		if err != nil {
			return err
		}
		c.status = n
	case strings.HasPrefix(pf, "p"):
		c.status = 0
	case strings.HasPrefix(pf, "f"):
		c.status = 1
	default:
		return fmt.Errorf("passfail %q", pf)
	}
	c.options, c.infile, c.skipErr, c.command = args[1], args[2], strings.HasPrefix(args[3], "s"), args[4]
	return nil
}

// sedXargs is config/unix.exp's sed s/^.*xargs:/xargs:/ on stderr.
var sedXargs = regexp.MustCompile(`(?m)^.*xargs:`)

// run runs the case with xargs in dir and returns why it failed, "" when
// it passed.
func (c *expCase) run(xargs, dir string) string {
	line := xargs + " " + c.options
	if c.command != "" {
		line = strings.ReplaceAll(strings.ReplaceAll(c.command, "$XARGSFLAGS", ""), "$XARGS", xargs)
	}
	argv, err := tclWords(line, nil)
	if err != nil || len(argv) == 0 {
		return fmt.Sprintf("cannot read the command %q: %v", line, err)
	}
	in := os.DevNull
	if c.infile != "" {
		in = filepath.Join(c.inputDir, c.infile)
	}
	stdin, err := os.Open(in)
	if err != nil {
		return err.Error()
	}
	defer stdin.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	cmd.Dir = dir
	cmd.Stdin = stdin
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	// Under -race, each run of parmap would otherwise sleep a second on
	// exit.
	cmd.Env = append(os.Environ(), "GNU_FINDUTILS_FD_LEAK_CHECK=1",
		"GORACE="+strings.TrimSpace(os.Getenv("GORACE")+" atexit_sleep_ms=0"))
	if c.cLocale {
		cmd.Env = append(cmd.Env, "LC_ALL=C")
	}
	status := 0
	if err := cmd.Run(); err != nil {
		var ee *exec.ExitError
		if !errors.As(err, &ee) || ee.ExitCode() < 0 {
			return fmt.Sprintf("%q: %v (stderr %q)", argv, err, stderr.String())
		}
		status = ee.ExitCode()
	}
	if status != c.status {
		return fmt.Sprintf("%q: exit status %d, want %d (stderr %q)", argv, status, c.status, stderr.String())
	}
	if why := compare("stdout", stdout.Bytes(), c.base+".xo"); why != "" {
		return fmt.Sprintf("%q: %s", argv, why)
	}
	if c.skipErr {
		return ""
	}
	if why := compare("stderr", sedXargs.ReplaceAll(stderr.Bytes(), []byte("xargs:")), c.base+".xe"); why != "" {
		return fmt.Sprintf("%q: %s", argv, why)
	}
	return ""
}

// compare checks got against the file want, or that got is empty when
// there is no such file.
func compare(what string, got []byte, want string) string {
	exp, err := os.ReadFile(want)
	if errors.Is(err, os.ErrNotExist) {
		if len(got) > 0 {
			return fmt.Sprintf("%s should be empty, got %q", what, got)
		}
		return ""
	}
	if err != nil {
		return err.Error()
	}
	if !bytes.Equal(got, exp) {
		return fmt.Sprintf("wrong %s:\n%s", what, lineDiff(string(exp), string(got)))
	}
	return ""
}

// lineDiff shows where got departs from want, line by line.
func lineDiff(want, got string) string {
	w, g := strings.SplitAfter(want, "\n"), strings.SplitAfter(got, "\n")
	var b strings.Builder
	for i := 0; i < max(len(w), len(g)); i++ {
		switch {
		case i >= len(g):
			fmt.Fprintf(&b, "-%q\n", w[i])
		case i >= len(w):
			fmt.Fprintf(&b, "+%q\n", g[i])
		case w[i] != g[i]:
			fmt.Fprintf(&b, "-%q\n+%q\n", w[i], g[i])
		}
	}
	return b.String()
}
