package cmd

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func completion(t *testing.T, shell string) string {
	t.Helper()
	var buf bytes.Buffer
	if err := writeCompletion(newApp(io.Discard, io.Discard, nil), shell, &buf); err != nil {
		t.Fatalf("writeCompletion(%s): %v", shell, err)
	}
	return buf.String()
}

func TestCompletionScripts(t *testing.T) {
	for _, tc := range []struct {
		shell string
		want  []string
	}{
		{"bash", []string{"--keep-order", "--arg-file|-a)", "-k", "--help", "complete -o default -F _parmap parmap"}},
		{"zsh", []string{"#compdef parmap", "'(--keep-order -k)--keep-order[write outputs", "'*--arg-file=[read records from FILE", ":file:_files'", "'*-a+[", "'(--status)--status=[print the status of the run ID", "]:run id:_parmap_runs'"}},
		{"fish", []string{"-l keep-order -s k", "-l arg-file -s a -r", "-l help", "-l version -s V", "-l verbose -s t", "-f -s v -d", "-l jobs -s j -s P -l max-procs -r", "-l line-buffer -l lb -d", "complete -c parmap -l status -x -a '(__parmap_runs)'"}},
	} {
		t.Run(tc.shell, func(t *testing.T) {
			script := completion(t, tc.shell)
			for _, want := range tc.want {
				if !strings.Contains(script, want) {
					t.Errorf("%s script lacks %q:\n%s", tc.shell, want, script)
				}
			}
			sh, err := exec.LookPath(tc.shell)
			if err != nil {
				t.Skipf("%s is not installed: syntax not checked", tc.shell)
			}
			file := filepath.Join(t.TempDir(), "parmap."+tc.shell)
			if err := os.WriteFile(file, []byte(script), 0o644); err != nil {
				t.Fatal(err)
			}
			if out, err := exec.Command(sh, "-n", file).CombinedOutput(); err != nil || len(out) > 0 {
				t.Errorf("%s -n: %v\n%s", tc.shell, err, out)
			}
		})
	}
}

// zsh and fish list the runs of the default run directory as bash does.
func TestCompletionRunIDs(t *testing.T) {
	state := t.TempDir()
	for _, id := range []string{"convert", "nightly"} {
		if err := os.MkdirAll(filepath.Join(state, "parmap", "runs", id), 0o700); err != nil {
			t.Fatal(err)
		}
	}
	for _, tc := range []struct{ shell, call string }{
		{"zsh", "compdef() { :; }; source %s; _parmap_run_ids"},
		{"fish", "source %s; __parmap_runs"},
	} {
		t.Run(tc.shell, func(t *testing.T) {
			sh, err := exec.LookPath(tc.shell)
			if err != nil {
				t.Skipf("%s is not installed", tc.shell)
			}
			file := filepath.Join(t.TempDir(), "parmap."+tc.shell)
			if err := os.WriteFile(file, []byte(completion(t, tc.shell)), 0o644); err != nil {
				t.Fatal(err)
			}
			c := exec.Command(sh, "-c", fmt.Sprintf(tc.call, file))
			c.Env = append(os.Environ(), "XDG_STATE_HOME="+state)
			out, err := c.CombinedOutput()
			if err != nil || string(out) != "convert\nnightly\n" {
				t.Errorf("%s lists %q (%v), want convert and nightly", tc.shell, out, err)
			}
		})
	}
}

func TestCompletionFish(t *testing.T) {
	script := completion(t, "fish")
	if n := strings.Count(script, " -l help "); n != 1 {
		t.Errorf("--help is listed %d times, want once", n)
	}
	if strings.Contains(script, "`") {
		t.Errorf("descriptions keep the placeholders' backquotes")
	}
	for _, line := range strings.Split(script, "\n") {
		// -f: no file names after the option.
		if strings.Contains(line, " -l arg-file ") && strings.Contains(line, " -f ") {
			t.Errorf("--arg-file does not complete file names: %s", line)
		}
		if strings.Contains(line, " -l jobs ") && !strings.Contains(line, " -f ") {
			t.Errorf("--jobs completes file names: %s", line)
		}
	}
}

func TestCompletionUnknownShell(t *testing.T) {
	err := writeCompletion(newApp(io.Discard, io.Discard, nil), "tcsh", io.Discard)
	var ue *usageError
	if !errors.As(err, &ue) || err.Error() != `--completion "tcsh": give bash, zsh or fish` {
		t.Errorf("err = %v, want a usage error naming tcsh and the shells", err)
	}
}

// The bash script completes what each position of a parmap command line
// takes, run as bash runs it: COMP_LINE and COMP_POINT set, then _parmap.
// An empty answer means file names (complete -o default).
func TestCompletionBash(t *testing.T) {
	bash, err := exec.LookPath("bash")
	if err != nil {
		t.Skip("bash is not installed")
	}
	script := filepath.Join(t.TempDir(), "parmap.bash")
	if err := os.WriteFile(script, []byte(completion(t, "bash")), 0o644); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := os.Mkdir(filepath.Join(dir, "subdir"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "subfile"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	state := t.TempDir() // $XDG_STATE_HOME, with two runs
	for _, id := range []string{"alpha", "beta"} {
		if err := os.MkdirAll(filepath.Join(state, "parmap", "runs", id), 0o700); err != nil {
			t.Fatal(err)
		}
	}
	for _, tc := range []struct{ line, want string }{
		{"parmap --keep-o", "--keep-order"},
		{"parmap --arg", "--arg-file --arg-file-sep --arg-sep"},
		{"parmap -k --no", "--no-bar --no-run-if-empty --now"},
		{"parmap --status ", "alpha beta"},
		{"parmap --wait b", "beta"},
		{"parmap --max-p", "--max-procs"},
		{"parmap --will", "--will-cite"},
		{"parmap --verb", "--verbose"},
		{"parmap -j 4 ech", "echo"},
		{"parmap -j4 -k ech", "echo"},
		{"parmap --jobs=4 ech", "echo"},
		{"parmap -- ech", "echo"},
		{"parmap -kj ", ""},
		{"parmap -j ", ""},
		{"parmap --completion ", "bash zsh fish"},
		{"parmap --completion=z", "zsh"},
		{"parmap -a ", ""},
		{"parmap --tmpdir sub", "subdir"},
		{"parmap -k echo --ke", ""},
		{"parmap echo ::: a b :::: ", ""},
		{"parmap ::: a b ", ""},
		{"parmap ", "<commands>"},
	} {
		cmd := exec.Command(bash, "--norc", "--noprofile", "-c",
			`source "$1"; COMP_POINT=${#COMP_LINE}; _parmap; echo "${COMPREPLY[*]}"`, "bash", script)
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "XDG_STATE_HOME="+state, "COMP_LINE="+tc.line, "COMP_WORDBREAKS= \t\n\"'><=;|&(:")
		out, err := cmd.Output()
		if err != nil {
			t.Errorf("%q: %v", tc.line, err)
			continue
		}
		// compgen -c lists a name once per place it is found; bash shows
		// each once.
		words := strings.Fields(string(out))
		slices.Sort(words)
		got := strings.Join(slices.Compact(words), " ")
		if tc.want == "bash zsh fish" {
			got = strings.TrimSuffix(string(out), "\n")
		}
		switch {
		case tc.want == "<commands>":
			if !strings.Contains(" "+got+" ", " echo ") {
				t.Errorf("%q completes %.80q…, want command names", tc.line, got)
			}
		case got != tc.want:
			t.Errorf("%q completes %q, want %q", tc.line, got, tc.want)
		}
	}
}
