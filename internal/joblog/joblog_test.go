package joblog

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"
)

// Lines written by GNU parallel 20221122 (parallel --joblog F CMD ::: ARGS).
var gnuLines = []string{
	"1\t:\t1795617977.507\t     0.002\t0\t2\t0\t0\techo a\n",
	// A tab in the command is kept as is.
	"1\t:\t1795617977.603\t     0.001\t0\t4\t0\t0\tsh -c \"exit 3\"; printf \"%s\\n\" 'a\tb'\n",
	// A newline in the command is written as NUL.
	"1\t:\t1795617981.451\t     0.000\t0\t6\t0\t0\techo \"x\x00y\" 1\n",
}

func TestFormatGNULines(t *testing.T) {
	for _, line := range gnuLines {
		e, err := Parse(line)
		if err != nil {
			t.Fatalf("Parse(%q): %v", line, err)
		}
		if got := Format(e); got != line {
			t.Errorf("Format(Parse(line)):\n got %q\nwant %q", got, line)
		}
	}
	e, _ := Parse(gnuLines[2])
	if e.Command != "echo \"x\ny\" 1" {
		t.Errorf("Command = %q, want the NUL read back as a newline", e.Command)
	}
}

func TestFormatFields(t *testing.T) {
	e := Entry{
		Seq:     12,
		Host:    ":",
		Start:   time.Unix(1732540000, 123_400_000),
		Runtime: 4*time.Millisecond + 600*time.Microsecond,
		Send:    7,
		Receive: 1 << 40,
		Exitval: 1,
		Signal:  15,
		Command: "printf '%s\\n' 'a\tb\nc'",
	}
	want := "12\t:\t1732540000.123\t     0.005\t7\t1099511627776\t1\t15\tprintf '%s\\n' 'a\tb\x00c'\n"
	if got := Format(e); got != want {
		t.Errorf("Format:\n got %q\nwant %q", got, want)
	}
	long := Format(Entry{Runtime: 12345678 * time.Millisecond, Host: ""})
	if !strings.HasPrefix(long, "0\t:\t0.000\t 12345.678\t") {
		t.Errorf("Format of a long runtime and an empty host = %q", long)
	}
	back, err := Parse(want)
	if err != nil {
		t.Fatal(err)
	}
	e.Start = e.Start.Round(time.Millisecond)
	e.Runtime = e.Runtime.Round(time.Millisecond)
	if !back.Start.Equal(e.Start) {
		t.Errorf("Start read back as %v, want %v", back.Start, e.Start)
	}
	back.Start = e.Start
	if back != e {
		t.Errorf("Parse(Format(e)) = %+v, want %+v", back, e)
	}
}

// TestRealParallel compares with the lines of the GNU parallel installed here.
func TestRealParallel(t *testing.T) {
	if _, err := exec.LookPath("parallel"); err != nil {
		t.Skip("GNU parallel is not installed")
	}
	path := filepath.Join(t.TempDir(), "gnu.log")
	cmd := exec.Command("parallel", "--joblog", path, "echo 'x\ny' {}; exit {}", ":::", "0", "1")
	cmd.Run() // fails: one job exits 1
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.SplitAfter(string(data), "\n")
	if lines[0] != Header+"\n" {
		t.Errorf("GNU header %q, want %q", lines[0], Header)
	}
	lines = lines[1 : len(lines)-1]
	if len(lines) != 2 {
		t.Fatalf("GNU log:\n%s", data)
	}
	for _, line := range lines {
		e, err := Parse(line)
		if err != nil {
			t.Fatal(err)
		}
		if got := Format(e); got != line {
			t.Errorf("Format(Parse(line)):\n got %q\nwant %q", got, line)
		}
	}
	ok, err := Succeeded(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !ok["echo 'x\ny' 0; exit 0"] || len(ok) != 1 {
		t.Errorf("Succeeded(GNU log) = %v", ok)
	}
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

func TestOpenHeader(t *testing.T) {
	path := filepath.Join(t.TempDir(), "log")
	for _, resume := range []bool{false, true} { // fresh file, then resume an empty one
		os.WriteFile(path, nil, 0o666)
		if !resume {
			os.Remove(path)
		}
		l, err := Open(path, resume)
		if err != nil {
			t.Fatal(err)
		}
		if err := l.Close(); err != nil {
			t.Fatal(err)
		}
		if got := readFile(t, path); got != Header+"\n" {
			t.Errorf("resume=%v: log = %q, want the header", resume, got)
		}
	}
	os.Remove(path)
	l, err := Open(path, true) // resume of a missing file
	if err != nil {
		t.Fatal(err)
	}
	l.Write(Entry{Seq: 1, Command: "true"})
	l.Close()
	one := readFile(t, path)
	l, err = Open(path, true) // resume keeps the lines
	if err != nil {
		t.Fatal(err)
	}
	l.Write(Entry{Seq: 2, Command: "false", Exitval: 1})
	l.Close()
	if got := readFile(t, path); got != one+Format(Entry{Seq: 2, Command: "false", Exitval: 1}) {
		t.Errorf("resumed log = %q", got)
	}
	l, err = Open(path, false) // no resume: truncated
	if err != nil {
		t.Fatal(err)
	}
	l.Close()
	if got := readFile(t, path); got != Header+"\n" {
		t.Errorf("log opened without resume = %q, want only the header", got)
	}
	if err := l.Write(Entry{}); err == nil {
		t.Errorf("Write after Close succeeded")
	}
}

func TestOpenResumeNotJobLog(t *testing.T) {
	for _, content := range []string{
		"hello\nworld\n",
		"Seq\tHost\n",
		Header, // no newline
		"#!/bin/sh\nrm -rf /\n",
	} {
		path := filepath.Join(t.TempDir(), "notes.txt")
		os.WriteFile(path, []byte(content), 0o644)
		before, _ := os.Stat(path)
		l, err := Open(path, true)
		if err == nil {
			l.Close()
			t.Fatalf("Open(%q, resume) of %q succeeded", path, content)
		}
		if !errors.Is(err, ErrNotJobLog) || !strings.Contains(err.Error(), path) {
			t.Errorf("err = %v, want ErrNotJobLog naming %s", err, path)
		}
		if got := readFile(t, path); got != content {
			t.Errorf("file changed to %q", got)
		}
		after, _ := os.Stat(path)
		if !after.ModTime().Equal(before.ModTime()) {
			t.Errorf("file's mtime changed")
		}
		if _, err := Succeeded(path, nil); !errors.Is(err, ErrNotJobLog) {
			t.Errorf("Succeeded of %q: err = %v, want ErrNotJobLog", content, err)
		}
	}
}

func TestOpenMissingDirectory(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "no", "such")
	path := filepath.Join(dir, "x.log")
	for _, resume := range []bool{false, true} {
		_, err := Open(path, resume)
		if err == nil {
			t.Fatal("Open in a missing directory succeeded")
		}
		msg := err.Error()
		if want := path + ": directory " + dir + " does not exist"; msg != want {
			t.Errorf("err = %q, want %q", msg, want)
		}
		if !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("err = %v does not wrap fs.ErrNotExist", err)
		}
	}
}

func TestOpenResumeCutsTornLine(t *testing.T) {
	path := filepath.Join(t.TempDir(), "log")
	good := Header + "\n" + Format(Entry{Seq: 1, Command: "echo a"})
	torn := Format(Entry{Seq: 2, Command: "echo bb"})
	torn = torn[:len(torn)-2] // "... echo b" without its newline: it must not count
	os.WriteFile(path, []byte(good+torn), 0o666)
	ok, err := Succeeded(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !ok["echo a"] || len(ok) != 1 {
		t.Errorf("Succeeded = %v, want only echo a", ok)
	}
	l, err := Open(path, true)
	if err != nil {
		t.Fatal(err)
	}
	third := Format(Entry{Seq: 3, Command: "echo c"})
	l.Write(Entry{Seq: 3, Command: "echo c"})
	l.Close()
	if got := readFile(t, path); got != good+third {
		t.Errorf("log after resume = %q, want %q", got, good+third)
	}
}

func TestSucceeded(t *testing.T) {
	path := filepath.Join(t.TempDir(), "log")
	l, err := Open(path, false)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range []Entry{
		{Seq: 1, Command: "ok"},
		{Seq: 2, Command: "exit 1", Exitval: 1},
		{Seq: 3, Command: "killed", Exitval: -1, Signal: 9},
		{Seq: 4, Command: "signal only", Signal: 15},
		{Seq: 5, Command: "fails then works", Exitval: 2},
		{Seq: 5, Command: "fails then works"},
		{Seq: 6, Command: "works then fails"},
		{Seq: 6, Command: "works then fails", Exitval: 1},
		{Seq: 7, Command: "multi\nline\twith tab"},
	} {
		if err := l.Write(e); err != nil {
			t.Fatal(err)
		}
	}
	l.Close()
	// A middle line that does not parse, then a torn last line with too few fields.
	f, _ := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
	f.WriteString("garbage\n8\t:\t1.000\t     0.000\t0\t0\t0\t0\n9\t:\t1.0")
	f.Close()

	got, err := Succeeded(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"ok", "fails then works", "works then fails", "multi\nline\twith tab"}
	for _, c := range want {
		if !got[c] {
			t.Errorf("Succeeded lacks %q", c)
		}
	}
	if len(got) != len(want) {
		t.Errorf("Succeeded = %v, want %q", got, want)
	}

	missing, err := Succeeded(filepath.Join(t.TempDir(), "none"), nil)
	if err != nil || len(missing) != 0 {
		t.Errorf("Succeeded(missing file) = %v, %v; want an empty set", missing, err)
	}

	// Logged: every command with a line that parses, whatever its exit.
	all, err := Logged(path)
	if err != nil {
		t.Fatal(err)
	}
	want = []string{"ok", "exit 1", "killed", "signal only", "fails then works", "works then fails", "multi\nline\twith tab"}
	for _, c := range want {
		if !all[c] {
			t.Errorf("Logged lacks %q", c)
		}
	}
	if len(all) != len(want) {
		t.Errorf("Logged = %v, want %q", all, want)
	}
	if _, err := Logged(filepath.Join("testdata", "..", "joblog.go")); !errors.Is(err, ErrNotJobLog) {
		t.Errorf("Logged(not a job log) = %v, want ErrNotJobLog", err)
	}
}

func TestWriteConcurrent(t *testing.T) {
	const writers, each = 50, 100
	path := filepath.Join(t.TempDir(), "log")
	l, err := Open(path, false)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for w := range writers {
		wg.Go(func() {
			for i := range each {
				seq := int64(w*each + i + 1)
				e := Entry{
					Seq:     seq,
					Start:   time.Now(),
					Runtime: time.Duration(seq) * time.Millisecond,
					Exitval: int(seq % 2),
					// Long enough that a torn or mixed line would show.
					Command: fmt.Sprintf("job %d\n%s\t%d", seq, strings.Repeat("x", int(seq%500)), seq),
				}
				if err := l.Write(e); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}

	data := readFile(t, path)
	if !strings.HasSuffix(data, "\n") {
		t.Fatal("log does not end with a newline")
	}
	lines := strings.Split(strings.TrimSuffix(data, "\n"), "\n")
	if lines[0] != Header {
		t.Fatalf("first line %q", lines[0])
	}
	lines = lines[1:]
	if len(lines) != writers*each {
		t.Fatalf("%d lines, want %d", len(lines), writers*each)
	}
	seen := map[int64]bool{}
	for _, line := range lines {
		e, err := Parse(line)
		if err != nil {
			t.Fatal(err)
		}
		want := fmt.Sprintf("job %d\n%s\t%d", e.Seq, strings.Repeat("x", int(e.Seq%500)), e.Seq)
		if e.Command != want || e.Runtime != time.Duration(e.Seq)*time.Millisecond || seen[e.Seq] {
			t.Fatalf("line %q is not intact", line)
		}
		seen[e.Seq] = true
	}
	ok, err := Succeeded(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(ok) != writers*each/2 {
		t.Errorf("%d succeeded, want %d", len(ok), writers*each/2)
	}
}

// A stream log hands the header and each line, whole, to its writer, holds
// no lock, and reports a refused line as an error naming it.
func TestStream(t *testing.T) {
	var got []string
	fail := false
	l, err := NewStream("standard output", func(b []byte) error {
		if fail {
			return errors.New("no space left on device")
		}
		got = append(got, string(b))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if !l.Stream() || l.Lock() != nil {
		t.Errorf("Stream() = %v, Lock() = %v; want true, nil", l.Stream(), l.Lock())
	}
	e := Entry{Seq: 1, Command: "echo hi"}
	if err := l.Write(e); err != nil {
		t.Fatal(err)
	}
	want := []string{Header + "\n", Format(e)}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("lines %q, want %q", got, want)
	}
	fail = true
	if err := l.Write(e); err == nil || err.Error() != "write standard output: no space left on device" {
		t.Errorf("refused line: %v", err)
	}
	l.Close()
	if err := l.Write(e); err == nil {
		t.Error("Write after Close succeeded")
	}
}
