//go:build linux

package cmd

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// Attached with stderr a terminal, the run's status is a line there,
// cleared before the run's output (on stdout) and at the end.
func TestAttachStatusLineOnTerminal(t *testing.T) {
	dir := t.TempDir()
	parent := filepath.Join(dir, "runs")
	gate := filepath.Join(dir, "go")
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	job := `while [ ! -e "$0" ]; do sleep 0.01; done; echo "out $1"`
	detach := parmapChild(t, ctx, "--detach", "--run-dir", parent, "--id", "att", "-j1", "sh", "-c", job, gate, ":::", "a", "b")
	if out, err := detach.CombinedOutput(); err != nil {
		t.Fatalf("--detach: %v\n%s", err, out)
	}
	master, slave := openPTY(t)
	attach := parmapChild(t, ctx, "--run-dir", parent, "--attach", "att")
	var stdout bytes.Buffer
	attach.Stdout, attach.Stderr = &stdout, slave
	if err := attach.Start(); err != nil {
		t.Fatal(err)
	}
	slave.Close()
	// The first status line, then let the jobs end.
	var term []byte
	buf := make([]byte, 4096)
	for !bytes.Contains(term, []byte("parmap: run att: 0/")) {
		n, err := master.Read(buf)
		if err != nil {
			t.Fatalf("the terminal ended before a status line: %v; got %q", err, term)
		}
		term = append(term, buf[:n]...)
	}
	if err := os.WriteFile(gate, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	rest, _ := io.ReadAll(master)
	term = append(term, rest...)
	if err := attach.Wait(); err != nil {
		t.Fatalf("--attach: %v; the terminal got %q", err, term)
	}
	if got := stdout.String(); got != "out a\nout b\n" {
		t.Errorf("stdout %q, want the two jobs' output", got)
	}
	s := string(term)
	if !regexp.MustCompile(`^\r\x1b\[Kparmap: run att: 0/[?12] done, 0 failed, -j 1, running`).MatchString(s) {
		t.Errorf("the terminal starts %q, want the status line", s)
	}
	if !strings.HasSuffix(s, "\r\x1b[K") {
		t.Errorf("the terminal ends %q, want the line cleared", s)
	}
}
