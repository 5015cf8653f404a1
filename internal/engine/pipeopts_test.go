package engine

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/parmap/parmap/internal/blocks"
	"github.com/parmap/parmap/internal/fswait"
)

// pipeConfig is a --pipe run of words over input, read from a file.
func pipeConfig(t *testing.T, input string, words ...string) *Config {
	t.Helper()
	in := filepath.Join(t.TempDir(), "in")
	if err := os.WriteFile(in, []byte(input), 0o666); err != nil {
		t.Fatal(err)
	}
	cfg := config(t, words)
	cfg.Sources = nil
	cfg.Pipe = &Pipe{File: in, Block: 1}
	cfg.KeepOrder = true
	return cfg
}

// --round-robin: block n goes to job (n-1) mod Jobs + 1, each job started
// once; the header heads each job's input once.
func TestRoundRobinDealsBlocks(t *testing.T) {
	cfg := pipeConfig(t, "H\n1\n2\n3\n4\n5\n", "sh", "-c", `echo "{#}:$(tr '\n' ' ')"`)
	cfg.Pipe.Header, cfg.Pipe.RoundRobin = 1, true
	res := runConfig(t, cfg)
	if want := "1:H 1 3 5 \n2:H 2 4 \n"; res.stdout != want || res.sum.Done != 2 {
		t.Fatalf("stdout %q, %d done; want %q, 2", res.stdout, res.sum.Done, want)
	}
}

// Fewer blocks than jobs start no more jobs than blocks.
func TestRoundRobinFewBlocks(t *testing.T) {
	cfg := pipeConfig(t, "1\n", "sh", "-c", `echo "{#}:$(cat)"`)
	cfg.Jobs, cfg.Pipe.RoundRobin = 4, true
	if res := runConfig(t, cfg); res.stdout != "1:1\n" || res.sum.Done != 1 {
		t.Fatalf("stdout %q, %d done", res.stdout, res.sum.Done)
	}
}

// Bounds cut --pipe's blocks: two ';'-ended records a job.
func TestPipeBounds(t *testing.T) {
	cfg := pipeConfig(t, "a;b;c;d;e", "sh", "-c", `echo "[$(cat)]"`)
	cfg.Pipe.Bounds = &blocks.Bounds{End: ";", Count: 2}
	if res := runConfig(t, cfg); res.stdout != "[a;b;]\n[c;d;]\n[e]\n" {
		t.Fatalf("stdout %q", res.stdout)
	}
}

// --files: each job's stdout is in a new parXXXXX.par file in TmpDir, whose
// name is the output; stderr is passed on.
func TestFiles(t *testing.T) {
	cfg := config(t, []string{"sh", "-c", "echo out {}; echo err {} >&2"}, "a", "b")
	cfg.KeepOrder, cfg.Files, cfg.TmpDir = true, true, t.TempDir()
	res := runConfig(t, cfg)
	names := strings.Fields(res.stdout)
	if len(names) != 2 || res.stderr != "err a\nerr b\n" {
		t.Fatalf("stdout %q stderr %q", res.stdout, res.stderr)
	}
	for i, name := range names {
		if !regexp.MustCompile(`^` + regexp.QuoteMeta(cfg.TmpDir) + `/par[a-zA-Z0-9]{5}\.par$`).MatchString(name) {
			t.Fatalf("name %q", name)
		}
		b, err := os.ReadFile(name)
		if want := "out " + "ab"[i:i+1] + "\n"; err != nil || string(b) != want {
			t.Fatalf("%s holds %q, %v; want %q", name, b, err, want)
		}
	}
}

// --results FILE.csv: the rows, not the output, in input order.
func TestResultsTable(t *testing.T) {
	cfg := config(t, []string{"echo", "{}"}, "a", "b")
	cfg.KeepOrder, cfg.Results = true, filepath.Join(t.TempDir(), "r.tsv")
	res := runConfig(t, cfg)
	b, err := os.ReadFile(cfg.Results)
	if err != nil || res.stdout != "" {
		t.Fatalf("stdout %q, %v", res.stdout, err)
	}
	lines := strings.Split(string(b), "\n")
	if len(lines) != 6 || !strings.HasPrefix(lines[0], "Seq\tHost\t") || !strings.HasPrefix(lines[1], "1\t:\t") || !strings.HasSuffix(lines[1], "\t\"echo a\"\ta\t\"a") || lines[2] != "\"\t" || !strings.HasPrefix(lines[3], "2\t") {
		t.Fatalf("file %q", b)
	}
}

// When the run starts no more jobs (here: its context ends) while the input
// stalls, the round-robin jobs' stdin is closed and the run ends: it does
// not wait for input that may never come.
func TestRoundRobinStopsOnStalledInput(t *testing.T) {
	dir := t.TempDir()
	got := filepath.Join(dir, "got")
	cfg := config(t, []string{"sh", "-c", "read x; echo $x > " + got + "; cat > /dev/null"})
	cfg.Sources = nil
	cfg.Pipe = &Pipe{Block: 1, RoundRobin: true}
	cfg.Jobs = 2
	pr, pw, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer pw.Close()
	defer pr.Close()
	if _, err := pw.WriteString("1\n"); err != nil {
		t.Fatal(err)
	}
	null, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer null.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ended := make(chan Summary, 1)
	go func() {
		ended <- Run(ctx, cfg, Streams{Stdin: pr, Stdout: null, Stderr: null, Word: func(Notice) string { return "" }})
	}()
	exists := func() bool { _, err := os.Stat(got); return err == nil }
	if err := fswait.Until(context.Background(), dir, nil, exists); err != nil {
		t.Fatal(err)
	}
	cancel()
	<-ended // a hang here fails the test by its timeout
}
