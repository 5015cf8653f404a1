package cmd

import (
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/parmap/parmap/internal/engine"
)

func TestWordLost(t *testing.T) {
	for _, tc := range []struct {
		lost engine.Lost
		want string
	}{
		{engine.Lost{}, "output is incomplete"},
		{engine.Lost{Output: 1}, "output is incomplete: the output of 1 job could not be written"},
		{engine.Lost{Results: 3}, "output is incomplete: the --results files of 3 jobs could not be written"},
		{engine.Lost{Joblog: 114}, "output is incomplete: the --joblog lines of 114 jobs could not be written (--resume runs those jobs again)"},
		{engine.Lost{Output: 2, Results: 1, Joblog: 5}, "output is incomplete: the output of 2 jobs, the --results files of 1 job and the --joblog lines of 5 jobs could not be written (--resume runs those jobs again)"},
	} {
		if got := wordLost(tc.lost); got != tc.want {
			t.Errorf("wordLost(%+v):\n got %q\nwant %q", tc.lost, got, tc.want)
		}
	}
}

// TestOutcomeIncomplete: output that could not be written makes the exit
// status 255 whatever the jobs did, a halt on success included, after the
// line that says so.
func TestOutcomeIncomplete(t *testing.T) {
	for _, tc := range []struct {
		name string
		sum  engine.Summary
		want string
	}{
		{"jobs all fine", engine.Summary{Done: 3, Lost: engine.Lost{Joblog: 1}},
			"parmap: output is incomplete: the --joblog lines of 1 job could not be written (--resume runs those jobs again)\n"},
		{"halted on success", engine.Summary{Done: 3, Halted: true, HaltExit: 0, Lost: engine.Lost{Results: 2}},
			"parmap: output is incomplete: the --results files of 2 jobs could not be written\n"},
		{"stdout failed", engine.Summary{Done: 1, Failed: 1, OutputErr: &fs.PathError{Op: "write", Path: "/dev/stdout", Err: syscall.ENOSPC}},
			"parmap: writing standard output: no space left on device\nparmap: output is incomplete\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "stderr")
			stderr, err := os.Create(path)
			if err != nil {
				t.Fatal(err)
			}
			defer stderr.Close()
			if got := outcome("parmap", tc.sum, nil, nil, stderr); got != exitError {
				t.Errorf("exit status %d, want %d", got, exitError)
			}
			b, _ := os.ReadFile(path)
			if string(b) != tc.want {
				t.Errorf("stderr:\n got %q\nwant %q", b, tc.want)
			}
		})
	}
}
