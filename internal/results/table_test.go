package results

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

func sampleRow() Row {
	return Row{
		Job: Job{Seq: 2, Input: []string{"b c", `q"`}, Command: `echo "x"`, Exit: 3,
			Start: time.Unix(1700000000, 123456789), Runtime: 1500 * time.Millisecond,
			Stdout: strings.NewReader("o\n"), Stderr: strings.NewReader("")},
		Send: 7, Receive: 2,
	}
}

// The rows are GNU parallel 20221122's (its combine_ref and jsonquote).
func TestRowFormats(t *testing.T) {
	for _, tc := range []struct {
		f            Format
		header, line string
	}{
		{CSV, "Seq,Host,Starttime,JobRuntime,Send,Receive,Exitval,Signal,Command,V1,V2,Stdout,Stderr\n",
			"2,:,1700000000.123,1.500,7,2,3,0,\"echo \"\"x\"\"\",\"b c\",\"q\"\"\",\"o\n\",\n"},
		{TSV, "Seq\tHost\tStarttime\tJobRuntime\tSend\tReceive\tExitval\tSignal\tCommand\tV1\tV2\tStdout\tStderr\n",
			"2\t:\t1700000000.123\t1.500\t7\t2\t3\t0\t\"echo \"\"x\"\"\"\t\"b c\"\t\"q\"\"\"\t\"o\n\"\t\n"},
		{JSONLines, "",
			`{ "Seq": 2, "Host": ":", "Starttime": 1700000000.123, "JobRuntime": 1.500, "Send": 7, "Receive": 2, "Exitval": 3, "Signal": 0, "Command": "echo \"x\"", "V": [ "b c","q\"" ], "Stdout": "o\u000a", "Stderr": "" }` + "\n"},
	} {
		r := sampleRow()
		if got := string(r.Header(tc.f)); got != tc.header {
			t.Errorf("format %d header %q, want %q", tc.f, got, tc.header)
		}
		line, err := r.Format(tc.f)
		if err != nil || string(line) != tc.line {
			t.Errorf("format %d line %q, %v; want %q", tc.f, line, err, tc.line)
		}
	}
	r := sampleRow()
	r.Names = []string{"name", "x y"}
	if got, want := string(r.Header(CSV)), "Seq,Host,Starttime,JobRuntime,Send,Receive,Exitval,Signal,Command,name,\"x y\",Stdout,Stderr\n"; got != want {
		t.Errorf("--header names: %q, want %q", got, want)
	}
}

func TestFormatOf(t *testing.T) {
	for name, want := range map[string]Format{"a.csv": CSV, "A.CSV": CSV, "x.tsv": TSV, "r.Json": JSONLines, "dir": NoTable, "csv": NoTable, "-.csv": CSV} {
		if got := FormatOf(name); got != want {
			t.Errorf("FormatOf(%q) = %d, want %d", name, got, want)
		}
	}
}

// The header goes once, before the first row written.
func TestTableWrite(t *testing.T) {
	path := filepath.Join(t.TempDir(), "r.csv")
	tb, err := OpenTable(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, seq := range []int64{1, 2} {
		if err := tb.Write(seq, []byte("H\n"), []byte("row\n")); err != nil {
			t.Fatal(err)
		}
	}
	if err := tb.Close(); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(path)
	if string(b) != "H\nrow\nrow\n" {
		t.Fatalf("file %q", b)
	}
}

// A file that cannot be created or written is a *TableError naming it.
func TestTableErrors(t *testing.T) {
	_, err := OpenTable(filepath.Join(t.TempDir(), "no", "r.csv"))
	var te *TableError
	if !errors.As(err, &te) || te.Seq != 0 || !errors.Is(err, syscall.ENOENT) {
		t.Fatalf("OpenTable in a missing directory: %v", err)
	}
	full := filepath.Join(t.TempDir(), "full.csv")
	if err := os.Symlink("/dev/full", full); err != nil {
		t.Skip(err)
	}
	tb, err := OpenTable(full)
	if err != nil {
		t.Fatal(err)
	}
	defer tb.Close()
	for _, seq := range []int64{1, 2} {
		err := tb.Write(seq, nil, []byte("row\n"))
		if !errors.As(err, &te) || te.Seq != seq || !errors.Is(err, syscall.ENOSPC) {
			t.Fatalf("Write %d to /dev/full: %v", seq, err)
		}
	}
}
