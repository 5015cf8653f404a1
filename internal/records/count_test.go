package records

import (
	"io"
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

// countAll runs Counter's count to its end.
func countAll(t *testing.T, sources []Source, stdin io.Reader, opt Options) (int64, bool) {
	t.Helper()
	count, ok := Counter(sources, stdin, opt)
	if !ok {
		return 0, false
	}
	return count(make(chan struct{}))
}

func TestCounter(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "in")
	if err := os.WriteFile(file, []byte("h\na\nb\nc\nd\ne\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name    string
		sources []Source
		opt     Options
		want    int64
	}{
		{"lines", []Source{File(file)}, DefaultOptions(), 6},
		{"header", []Source{File(file)}, Options{Delim: '\n', Header: true}, 5},
		{"-n 4", []Source{File(file)}, Options{Delim: '\n', MaxArgs: 4}, 2},
		{"product", []Source{List([]string{"1", "2", "3"}), File(file)}, DefaultOptions(), 18},
		{"link", []Source{List([]string{"1", "2", "3"}), File(file).Linked()}, DefaultOptions(), 3},
		{"-E", []Source{File(file)}, Options{Delim: '\n', EOF: "c"}, 3},
		{"shuffled", []Source{File(file)}, Options{Delim: '\n', Shuffle: true}, 6},
	} {
		n, ok := countAll(t, tc.sources, nil, tc.opt)
		if !ok || n != tc.want {
			t.Errorf("%s: count %d, %v; want %d", tc.name, n, ok, tc.want)
		}
	}
}

// Standard input redirected from a regular file is counted from where it
// stands, and is left there for the run's own reading.
func TestCounterStdinFile(t *testing.T) {
	f, err := os.CreateTemp(t.TempDir(), "stdin")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	f.WriteString("skip\n1\n2\n3\n")
	f.Seek(5, io.SeekStart)
	count, ok := Counter(nil, f, DefaultOptions())
	if !ok {
		t.Fatal("a regular file on stdin: not countable")
	}
	r, err := Open(nil, f, DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	first, err := r.Next()
	if err != nil || first.Values[0] != "1" {
		t.Fatalf("first record %v, %v; want 1", first.Values, err)
	}
	if n, ok := count(make(chan struct{})); !ok || n != 3 {
		t.Errorf("count %d, %v; want 3", n, ok)
	}
	for _, want := range []string{"2", "3"} {
		if rec, err := r.Next(); err != nil || rec.Values[0] != want {
			t.Errorf("record %v, %v; want %s: the count moved stdin", rec.Values, err, want)
		}
	}
}

// A pipe (on stdin or as a file) and a Feed are not counted: they can be
// read once only.
func TestCounterNotCountable(t *testing.T) {
	rd, wr, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer rd.Close()
	defer wr.Close()
	if _, ok := Counter(nil, rd, DefaultOptions()); ok {
		t.Error("a pipe on stdin counted")
	}
	fifo := filepath.Join(t.TempDir(), "fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, ok := Counter([]Source{File(fifo)}, nil, DefaultOptions()); ok {
		t.Error("a FIFO counted")
	}
	if _, ok := Counter([]Source{NewFeed().Source()}, nil, DefaultOptions()); ok {
		t.Error("a Feed counted")
	}
	if n, ok := countAll(t, []Source{List([]string{"a", "b"})}, nil, DefaultOptions()); !ok || n != 2 {
		t.Errorf("::: a b: %d, %v", n, ok)
	}
}

// A closed stop ends the count, unfinished.
func TestCounterStopped(t *testing.T) {
	values := make([]string, 5000)
	count, _ := Counter([]Source{List(values)}, nil, DefaultOptions())
	stop := make(chan struct{})
	close(stop)
	if _, ok := count(stop); ok {
		t.Error("a stopped count reports a total")
	}
}
