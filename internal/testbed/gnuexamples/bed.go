package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"
)

// exampleTimeout bounds one run of one example.
const exampleTimeout = 30 * time.Second

// bed is where the examples run: a scratch directory (work, made afresh
// for every run) and, for each implementation, a directory holding a
// symlink named parallel to it.
type bed struct {
	root, work string
	gnuBin     string // holds parallel → GNU parallel
	oursBin    string // holds parallel → parmap
}

func newBed(root, gnu, parmap string) (*bed, error) {
	b := &bed{root: root, work: filepath.Join(root, "work"), gnuBin: filepath.Join(root, "gnu"), oursBin: filepath.Join(root, "ours")}
	for dir, target := range map[string]string{b.gnuBin: gnu, b.oursBin: parmap} {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return nil, err
		}
		if err := os.Symlink(target, filepath.Join(dir, "parallel")); err != nil {
			return nil, err
		}
	}
	return b, nil
}

// outcome is what one run of an example gave.
type outcome struct {
	stdout string
	stderr string // its first line, for -v
	exit   int
}

// comparison is both runs of an example; diff says how they differ ("" when
// they do not).
type comparison struct {
	gnu, ours outcome
	diff      string
}

func (b *bed) compare(ex example) comparison {
	var c comparison
	c.gnu = b.runOne(ex, b.gnuBin)
	c.ours = b.runOne(ex, b.oursBin)
	g, o := c.gnu.stdout, c.ours.stdout
	if !ex.ordered {
		g, o = sortLines(g), sortLines(o)
	}
	switch {
	case g != o:
		c.diff = firstDiff(g, o)
	case c.gnu.exit != c.ours.exit:
		c.diff = fmt.Sprintf("exit status: GNU %d, parallel personality %d", c.gnu.exit, c.ours.exit)
	}
	return c
}

// runOne runs ex's setup and command with bin first in PATH, in a fresh
// scratch directory.
func (b *bed) runOne(ex example, bin string) outcome {
	os.RemoveAll(b.work)
	home := filepath.Join(b.root, "parallel-home")
	os.RemoveAll(home)
	for _, d := range []string{b.work, home} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return outcome{stdout: err.Error(), exit: -1}
		}
	}
	// GNU parallel asks for no citation once this file exists.
	os.WriteFile(filepath.Join(home, "will-cite"), nil, 0o644)
	env := append(os.Environ(),
		"PATH="+bin+string(os.PathListSeparator)+os.Getenv("PATH"),
		"PARALLEL_HOME="+home, "SHELL=/bin/bash", "LC_ALL=C", "PARALLEL=", "TMPDIR="+b.root)
	for _, line := range ex.setup {
		if out, err := b.bash(line, env, nil); err != nil {
			return outcome{stdout: fmt.Sprintf("setup %q failed: %v: %s", line, err, out), exit: -1}
		}
	}
	// Check that "parallel" is the one meant.
	if out, _ := b.bash("command -v parallel", env, nil); strings.TrimSpace(out) != filepath.Join(bin, "parallel") {
		return outcome{stdout: "parallel is " + out, exit: -1}
	}
	var errOut bytes.Buffer
	out, err := b.bash(ex.command, env, &errOut)
	exit := 0
	if ee, ok := err.(*exec.ExitError); ok {
		exit = ee.ExitCode()
	} else if err != nil {
		exit = -1
		out += err.Error()
	}
	first, _, _ := strings.Cut(errOut.String(), "\n")
	return outcome{stdout: out, stderr: first, exit: exit}
}

// bash runs script in the scratch directory, stdin empty, and returns its
// standard output; its stderr goes to stderr (dropped when nil). Its
// process group is killed when it is done or runs out of time.
func (b *bed) bash(script string, env []string, stderr io.Writer) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), exampleTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, "/bin/bash", "-c", script)
	cmd.Dir, cmd.Env = b.work, env
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, stderr
	err := cmd.Run()
	if cmd.Process != nil {
		syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	}
	if ctx.Err() != nil {
		err = fmt.Errorf("timed out after %v", exampleTimeout)
	}
	return out.String(), err
}

func sortLines(s string) string {
	lines := strings.Split(strings.TrimSuffix(s, "\n"), "\n")
	slices.Sort(lines)
	return strings.Join(lines, "\n") + "\n"
}

// firstDiff names the first line where got differs from want.
func firstDiff(gnu, ours string) string {
	g, o := strings.Split(gnu, "\n"), strings.Split(ours, "\n")
	for i := 0; i < max(len(g), len(o)); i++ {
		gl, ol := "(none)", "(none)"
		if i < len(g) {
			gl = g[i]
		}
		if i < len(o) {
			ol = o[i]
		}
		if gl != ol {
			return fmt.Sprintf("line %d: GNU %q, parallel personality %q", i+1, clip(gl), clip(ol))
		}
	}
	return ""
}

func clip(s string) string {
	if len(s) > 60 {
		return s[:60] + "…"
	}
	return s
}
