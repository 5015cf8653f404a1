package joblog

import (
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/parmap/parmap/internal/testbed/tmpfs"
)

// TestWriteFullDisk fills a small file system with job log lines: each line
// that does not fit fails with ENOSPC naming the file, leaves no fragment
// behind (Succeeded never trusts a torn line, and no later line is glued to
// one), and once there is room again the next lines are written whole.
func TestWriteFullDisk(t *testing.T) {
	dir := tmpfs.Dir(t, 8192) // two pages
	path := filepath.Join(dir, "log")
	l, err := Open(path, false)
	if err != nil {
		t.Fatal(err)
	}
	entry := func(seq int64) Entry {
		// 700-byte lines: the line that meets the end of the disk is
		// written in part by a short write.
		return Entry{Seq: seq, Command: fmt.Sprintf("job %d %s", seq, strings.Repeat("x", 680))}
	}
	var logged, failed []int64
	for seq := int64(1); seq <= 20; seq++ {
		err := l.Write(entry(seq))
		if err == nil {
			logged = append(logged, seq)
			continue
		}
		var pe *fs.PathError
		if !errors.As(err, &pe) || pe.Path != path || !errors.Is(err, syscall.ENOSPC) {
			t.Fatalf("job %d: Write error %v; want a *fs.PathError naming %s, ENOSPC", seq, err, path)
		}
		if want := "write " + path + ": no space left on device"; err.Error() != want {
			t.Errorf("error %q, want %q", err, want)
		}
		failed = append(failed, seq)
		data := readFile(t, path)
		if !strings.HasSuffix(data, "\n") {
			t.Fatalf("after job %d failed, the log ends in a fragment: ...%q", seq, data[max(0, len(data)-40):])
		}
	}
	if len(logged) == 0 || len(failed) == 0 {
		t.Fatalf("logged %v, failed %v: the disk should fill part way", logged, failed)
	}
	// Room again: the next line is whole, and every line parses.
	if err := tmpfs.Resize(dir, 1<<20); err != nil {
		t.Fatal(err)
	}
	if err := l.Write(entry(21)); err != nil {
		t.Fatal(err)
	}
	logged = append(logged, 21)
	l.Close()
	ok, err := Succeeded(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(readFile(t, path), "\n"), "\n")[1:]
	if len(lines) != len(logged) || len(ok) != len(logged) {
		t.Fatalf("%d lines, %d succeeded; want %d (jobs %v)", len(lines), len(ok), len(logged), logged)
	}
	for i, line := range lines {
		e, err := Parse(line)
		if err != nil || e.Seq != logged[i] || !ok[entry(e.Seq).Command] {
			t.Fatalf("line %d: %q (%v); want job %d's line", i+1, line, err, logged[i])
		}
	}
	for _, seq := range failed {
		if ok[entry(seq).Command] {
			t.Errorf("job %d failed to be logged but counts as done", seq)
		}
	}
}
