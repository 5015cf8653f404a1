package jobserver

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// These tests run the real GNU make, with the test binary as its recipes'
// commands (see helper_test.go).

// gnuMake describes the installed make.
type gnuMake struct {
	path    string
	version string
	styles  []Style // jobserver styles it can be asked for
}

func requireMake(t *testing.T) gnuMake {
	t.Helper()
	path, err := exec.LookPath("make")
	if err != nil {
		t.Skip("GNU make is not installed (apt-get install make); skipping tests against real make")
	}
	out, err := exec.Command(path, "--version").Output()
	m := regexp.MustCompile(`^GNU Make (\S+)`).FindSubmatch(out)
	if err != nil || m == nil {
		t.Skipf("%s is not GNU make; skipping tests against real make", path)
	}
	g := gnuMake{path: path, version: string(m[1]), styles: []Style{StylePipe}}
	help, _ := exec.Command(path, "--help").Output()
	if bytes.Contains(help, []byte("--jobserver-style")) { // make ≥ 4.4
		g.styles = append(g.styles, StyleFifo)
	}
	return g
}

// styleFlags asks make for a jobserver style; make before 4.4 has only pipes.
func (g gnuMake) styleFlags(s Style) []string {
	if len(g.styles) == 1 {
		return nil
	}
	return []string{"--jobserver-style=" + s.String()}
}

// makeRun is one run of make in a fresh directory, with a log for helpers.
type makeRun struct {
	dir, log       string
	stdout, stderr bytes.Buffer
}

// newRun makes a fresh directory holding makefile.
func newRun(t *testing.T, makefile string) *makeRun {
	t.Helper()
	mr := &makeRun{dir: t.TempDir()}
	mr.log = filepath.Join(mr.dir, "log")
	if err := os.WriteFile(filepath.Join(mr.dir, "Makefile"), []byte(makefile), 0o644); err != nil {
		t.Fatal(err)
	}
	return mr
}

// runMake runs make on makefile with args and env added, and fails the
// test if make fails.
func runMake(t *testing.T, g gnuMake, makefile string, args, env []string) *makeRun {
	t.Helper()
	mr := newRun(t, makefile)
	runCmd(t, makeCmd(t, g, mr, args, env), mr)
	return mr
}

func runCmd(t *testing.T, cmd *exec.Cmd, mr *makeRun) {
	t.Helper()
	if err := cmd.Run(); err != nil {
		t.Fatalf("%s: %v\nstdout:\n%s\nstderr:\n%s", strings.Join(cmd.Args, " "), err, &mr.stdout, &mr.stderr)
	}
}

func makeCmd(t *testing.T, g gnuMake, mr *makeRun, args, env []string) *exec.Cmd {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*helperWait) // longer than any helper's wait
	t.Cleanup(cancel)
	cmd := exec.CommandContext(ctx, g.path, append([]string{"-s", "--no-print-directory"}, args...)...)
	cmd.Dir = mr.dir
	cmd.Env = append(cleanEnv(), "JS_HELPER="+exe, "HELPER_LOG="+mr.log)
	cmd.Env = append(cmd.Env, env...)
	cmd.Stdout, cmd.Stderr = &mr.stdout, &mr.stderr
	return cmd
}

// recipes returns a makefile whose targets t1…tN each run the helper in a
// mode; prefix "+" hands the recipe make's jobserver pipe.
func recipes(n int, prefix, mode, vars string) string {
	var b strings.Builder
	b.WriteString("all:")
	for i := 1; i <= n; i++ {
		fmt.Fprintf(&b, " t%d", i)
	}
	b.WriteString("\n")
	for i := 1; i <= n; i++ {
		fmt.Fprintf(&b, "t%d:\n\t%s@JOBSERVER_TEST_HELPER=%s HELPER_ID=$@ %s \"$$JS_HELPER\"\n", i, prefix, mode, vars)
	}
	return b.String()
}

// assertQuiet fails the test if make complained, in particular about
// jobserver tokens: at exit the top make counts them and says
// "INTERNAL: Exiting with N jobserver tokens available; should be M!".
func assertQuiet(t *testing.T, mr *makeRun) {
	t.Helper()
	if mr.stderr.Len() > 0 {
		t.Errorf("make wrote to stderr:\n%s", &mr.stderr)
	}
}

// One client under make -j2 asking for 8 slots holds exactly 2 at a time,
// its implicit slot and make's one token, and gives the token back whole.
func TestMakeClientOneRecipe(t *testing.T) {
	g := requireMake(t)
	t.Logf("GNU make %s, jobserver styles %v", g.version, g.styles)
	for _, style := range g.styles {
		t.Run(style.String(), func(t *testing.T) {
			mk := recipes(1, "+", "jobs", "HELPER_N=8 HELPER_BARRIER=2")
			mr := runMake(t, g, mk, append(g.styleFlags(style), "-j2"), nil)
			assertQuiet(t, mr)
			s := readStats(t, mr.log)
			if s.jobs != 8 || s.max != 2 {
				t.Errorf("%d jobs, %d at once; want 8 jobs, 2 at once", s.jobs, s.max)
			}
			for b := range s.bytes {
				if b != "implicit" && b != "43" { // '+'
					t.Errorf("make handed out token byte %s", b)
				}
			}
			t.Logf("token bytes seen: %v", s.bytes)
		})
	}
}

// Three clients under make -j2 share its two slots: never more than two
// jobs at once across all of them, and no token lost.
func TestMakeClientsShareSlots(t *testing.T) {
	g := requireMake(t)
	for _, style := range g.styles {
		t.Run(style.String(), func(t *testing.T) {
			mk := recipes(3, "+", "jobs", "HELPER_N=8 HELPER_BARRIER=1")
			mr := runMake(t, g, mk, append(g.styleFlags(style), "-j2"), nil)
			assertQuiet(t, mr)
			s := readStats(t, mr.log)
			if s.jobs != 24 || s.max > 2 {
				t.Errorf("%d jobs, %d at once; want 24 jobs, at most 2 at once", s.jobs, s.max)
			}
		})
	}
}

// Without '+' make withholds the pipe from a recipe; the client says so
// with ErrUnavailable. Make ≥ 4.4's fifo reaches every recipe.
func TestMakeWithoutPlus(t *testing.T) {
	g := requireMake(t)
	for _, style := range g.styles {
		t.Run(style.String(), func(t *testing.T) {
			mr := runMake(t, g, recipes(1, "", "probe", ""), append(g.styleFlags(style), "-j2"), nil)
			want := "unavailable"
			if style == StyleFifo {
				want = "ok"
			}
			if got := strings.TrimSpace(mr.stdout.String()); got != want {
				t.Errorf("client without '+' found the jobserver %q, want %q", got, want)
			}
			assertQuiet(t, mr)
			mr = runMake(t, g, recipes(1, "", "probe", ""), []string{"-j1"}, nil)
			if got := strings.TrimSpace(mr.stdout.String()); got != "none" {
				t.Errorf("client under make -j1 found the jobserver %q, want none", got)
			}
		})
	}
}

// A client that exits holding a token (as a killed one would) loses it
// for the rest of the make run, and make reports it on stderr: the check
// in assertQuiet would catch a client that lost or invented a token.
func TestMakeReportsLostToken(t *testing.T) {
	g := requireMake(t)
	for _, style := range g.styles {
		t.Run(style.String(), func(t *testing.T) {
			mr := runMake(t, g, recipes(1, "+", "leak", ""), append(g.styleFlags(style), "-j2"), nil)
			if !strings.Contains(mr.stderr.String(), "jobserver tokens") {
				t.Errorf("make did not report the lost token; stderr:\n%s", &mr.stderr)
			}
			t.Logf("make says: %s", strings.TrimSpace(mr.stderr.String()))
		})
	}
}
