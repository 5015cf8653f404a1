package cmd

import (
	"fmt"
	"os"
	"os/exec"
	"sort"
	"strings"
	"testing"
)

// runLengths is a stream's run-length encoding, one line per element: a torn line
// shows as runs of another job's byte inside it. It lets a test check
// 100 MB lines without holding them.
type runLengths struct {
	lines []string
	cur   []string
	b     byte
	n     int
}

func (r *runLengths) Write(p []byte) (int, error) {
	for _, c := range p {
		if c == r.b && r.n > 0 {
			r.n++
			continue
		}
		r.end()
		if c == '\n' {
			r.lines = append(r.lines, strings.Join(r.cur, " "))
			r.cur = nil
			continue
		}
		r.b, r.n = c, 1
	}
	return len(p), nil
}

func (r *runLengths) end() {
	if r.n > 0 {
		r.cur = append(r.cur, fmt.Sprintf("%c*%d", r.b, r.n))
		r.n = 0
	}
}

// result returns the lines' encodings in sorted order, an unterminated last
// line marked with a trailing "|".
func (r *runLengths) result() []string {
	r.end()
	lines := append([]string(nil), r.lines...)
	if len(r.cur) > 0 {
		lines = append(lines, strings.Join(r.cur, " ")+"|")
	}
	sort.Strings(lines)
	return lines
}

// TestLongLinesKeepMemoryBounded: a 100 MB line, with or without its
// newline, costs parmap less than 64 MiB in every output mode, and comes
// out whole: with its tag once, and not
// mixed with another job's 100 MB line written at the same time.
func TestLongLinesKeepMemoryBounded(t *testing.T) {
	bin := parmapBinary(t)
	const size = 100_000_000
	line := `head -c 100000000 /dev/zero | tr '\0' {}`
	x := fmt.Sprintf("x*%d", size)
	for _, c := range []struct {
		name   string
		args   []string
		stderr bool // the job writes to stderr
		want   []string
	}{
		{"line-buffer", []string{"--line-buffer", line, ":::", "x"}, false, []string{x + "|"}},
		{"line-buffer tag", []string{"--line-buffer", "--tag", line, ":::", "x"}, false, []string{"x*1 \t*1 " + x + "|"}},
		{"line-buffer two jobs", []string{"--line-buffer", "-j2", line + "; echo", ":::", "a", "b"}, false,
			[]string{fmt.Sprintf("a*%d", size), fmt.Sprintf("b*%d", size)}},
		{"line-buffer two jobs tag stderr", []string{"--line-buffer", "-j2", "--tag", "(" + line + "; echo) >&2", ":::", "a", "b"}, true,
			[]string{fmt.Sprintf("a*1 \t*1 a*%d", size), fmt.Sprintf("b*1 \t*1 b*%d", size)}},
		{"ungroup", []string{"-u", line, ":::", "x"}, false, []string{x + "|"}},
		// Whole jobs' output: in capture files and spill files already.
		{"group", []string{"-j2", line + "; echo", ":::", "a", "b"}, false,
			[]string{fmt.Sprintf("a*%d", size), fmt.Sprintf("b*%d", size)}},
		{"keep-order tag", []string{"-k", "-j2", "--tag", line, ":::", "a", "b"}, false,
			[]string{fmt.Sprintf("a*1 \t*1 a*%d b*1 \t*1 b*%d|", size, size)}},
	} {
		t.Run(c.name, func(t *testing.T) {
			tmp := t.TempDir()
			cmd := exec.Command(bin, append([]string{"--tmpdir", tmp}, c.args...)...)
			var out, errOut runLengths
			cmd.Stdout, cmd.Stderr = &out, &errOut
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			stop := watchPeakRSS(cmd.Process.Pid)
			err := cmd.Wait()
			peak := stop()
			if err != nil {
				t.Fatal(err)
			}
			got, other := out.result(), errOut.result()
			if c.stderr {
				got, other = other, got
			}
			if strings.Join(got, "\n") != strings.Join(c.want, "\n") || len(other) != 0 {
				t.Fatalf("lines %q (and %q on the other stream), want %q", got, other, c.want)
			}
			t.Logf("peak RSS %d KiB", peak)
			if peak > 64*1024 {
				t.Fatalf("peak RSS %d KiB for a 100 MB line", peak)
			}
			if entries, _ := os.ReadDir(tmp); len(entries) != 0 {
				t.Fatalf("temporary files left: %v", entries)
			}
		})
	}
}
