package cmd

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/parmap/parmap/internal/engine"
	"github.com/parmap/parmap/internal/records"
)

// expanded is a Transfer's templates expanded for a record of values.
func expanded(tr engine.Transfer, vals ...string) (files, returns string) {
	rec := &records.Record{Seq: 1, Args: vals}
	var f, r []string
	for _, t := range tr.Files {
		f = append(f, t.Expand(rec, 1))
	}
	for _, t := range tr.Return {
		r = append(r, t.Expand(rec, 1))
	}
	return strings.Join(f, " "), strings.Join(r, " ")
}

func TestTransferOptions(t *testing.T) {
	base := filepath.Join(t.TempDir(), "base.sh")
	os.WriteFile(base, nil, 0o644)
	for _, tc := range []struct {
		args           []string
		files, returns string
		cleanup        bool
		basefiles      int
	}{
		{[]string{"--transferfile", "in/{}", "--tf", "{.}.idx", "echo"}, "in/a.txt a.idx", "", false, 0},
		{[]string{"--transfer", "--return", "{.}.out", "--return", "out/./{}.2", "echo"}, "a.txt", "a.out out/./a.txt.2", false, 0},
		{[]string{"--trc", "{.}.out", "echo"}, "a.txt", "a.out", true, 0},
		{[]string{"--tf", "x/{/}", "--trc", "{.}.out", "echo"}, "x/a.txt", "a.out", true, 0}, // --trc transfers {} only when no file is named
		{[]string{"-I", "@", "--transfer", "echo", "@"}, "a.txt", "", false, 0},
		{[]string{"--cleanup", "--bf", base, "--basefile", base, "echo"}, "", "", true, 2},
	} {
		cfg, msg := configOf(t, tc.args...)
		if msg != "" {
			t.Fatalf("%q: %s", tc.args, msg)
		}
		files, returns := expanded(cfg.Transfer, "a.txt")
		if files != tc.files || returns != tc.returns || cfg.Transfer.Cleanup != tc.cleanup || len(cfg.Transfer.Basefiles) != tc.basefiles {
			t.Errorf("%q: files %q returns %q cleanup %v basefiles %q", tc.args, files, returns, cfg.Transfer.Cleanup, cfg.Transfer.Basefiles)
		}
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--bf", "/no/such/base", "echo"}, "--basefile /no/such/base: no such file or directory"},
		{[]string{"--return", "", "echo"}, "--return: give a file name"},
	} {
		if _, msg := configOf(t, tc.args...); !strings.Contains(msg, tc.want) || (tc.want == "") != (msg == "") {
			t.Errorf("%q: %q, want %q", tc.args, msg, tc.want)
		}
	}
}

// Under --slurm the options are accepted and do nothing: the nodes share
// the file system (a basefile is not even looked for).
func TestTransferUnderSlurm(t *testing.T) {
	t.Setenv("SLURM_JOB_ID", "7")
	t.Setenv("SLURM_JOB_NODELIST", "n[1-2]")
	t.Setenv("SLURM_NTASKS", "6")
	t.Setenv("SLURM_TASKS_PER_NODE", "4,2")
	t.Setenv("SLURM_JOB_CPUS_PER_NODE", "4,2")
	cfg, msg := configOf(t, "--slurm", "--trc", "{}.out", "--bf", "/no/such/base", "--tf", "x", "echo")
	if msg != "" {
		t.Fatal(msg)
	}
	if cfg.Agents == nil || len(cfg.Transfer.Files)+len(cfg.Transfer.Return)+len(cfg.Transfer.Basefiles) != 0 || cfg.Transfer.Cleanup {
		t.Fatalf("transfer under --slurm: %+v", cfg.Transfer)
	}
}
