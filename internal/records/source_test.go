package records

import (
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"syscall"
	"testing"
)

func TestFiles(t *testing.T) {
	a := writeFile(t, "a.txt", "a1\na2\n")
	b := writeFile(t, "b.txt", "b1\nb2")
	for _, tt := range []struct {
		name    string
		sources []Source
		opt     Options
		want    []job
	}{
		{"one file", []Source{File(a)}, DefaultOptions(), []job{one("a1"), one("a2")}},
		{"product of files", []Source{File(a), File(b)}, DefaultOptions(),
			[]job{same("a1", "b1"), same("a1", "b2"), same("a2", "b1"), same("a2", "b2")}},
		{"file, list and file", []Source{File(b), List(strs("x")), File(a)}, DefaultOptions(),
			[]job{same("b1", "x", "a1"), same("b1", "x", "a2"), same("b2", "x", "a1"), same("b2", "x", "a2")}},
		{"linked files", []Source{File(a), File(b)}, Options{Delim: '\n', Link: true},
			[]job{same("a1", "b1"), same("a2", "b2")}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r, err := Open(tt.sources, noRead{t}, tt.opt)
			if err != nil {
				t.Fatal(err)
			}
			got, _ := readAll(t, r)
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got  %q\nwant %q", got, tt.want)
			}
		})
	}
}

func TestOpenErrors(t *testing.T) {
	dir := t.TempDir()
	missing := filepath.Join(dir, "data.txt")
	for _, tt := range []struct {
		name    string
		path    string
		problem SourceProblem
		want    string
	}{
		{"missing", missing, SourceMissing, missing + ": no such file"},
		{"missing parent", filepath.Join(missing, "x"), SourceMissing, filepath.Join(missing, "x") + ": no such file"},
		{"directory", dir, SourceIsDir, dir + ": is a directory"},
		{"spaces quoted", filepath.Join(dir, "my file"), SourceMissing, `"` + filepath.Join(dir, "my file") + `": no such file`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			// The bad source comes second: every source is checked up front.
			r, err := Open([]Source{List(strs("a")), File(tt.path)}, noRead{t}, DefaultOptions())
			if err == nil {
				r.Close()
				t.Fatal("Open succeeded")
			}
			var se *SourceError
			if !errors.As(err, &se) {
				t.Fatalf("error %v (%T), want a *SourceError", err, err)
			}
			if se.Index != 1 || se.Path != tt.path || se.Problem != tt.problem {
				t.Errorf("error %+v, want source 1, %s, problem %d", se, tt.path, tt.problem)
			}
			if tt.problem == SourceMissing && !errors.Is(err, fs.ErrNotExist) && !errors.Is(err, syscall.ENOTDIR) {
				t.Errorf("error %v does not wrap the system's error", err)
			}
			if err.Error() != tt.want {
				t.Errorf("error %q, want %q", err, tt.want)
			}
			if msg := err.Error(); strings.Contains(msg, "\n") || strings.HasPrefix(msg, "-") || strings.HasPrefix(msg, ":") {
				t.Errorf("error is not one line, or names an option: %q", err)
			}
		})
	}
}

func TestUnreadableFile(t *testing.T) {
	if os.Geteuid() == 0 {
		t.Skip("root reads any file")
	}
	p := writeFile(t, "secret", "x\n")
	if err := os.Chmod(p, 0); err != nil {
		t.Fatal(err)
	}
	_, err := Open([]Source{File(p)}, nil, DefaultOptions())
	var se *SourceError
	if !errors.As(err, &se) || se.Index != 0 || se.Path != p || se.Problem != SourceDenied || !errors.Is(err, fs.ErrPermission) {
		t.Errorf("error %v, want a *SourceError for %s, SourceDenied", err, p)
	}
	if want := p + ": permission denied"; err == nil || err.Error() != want {
		t.Errorf("error %v, want %q", err, want)
	}
}

// A file removed between Open and the first Next is reported when it is opened.
func TestFileGoneAfterOpen(t *testing.T) {
	p := writeFile(t, "gone", "x\n")
	r, err := Open([]Source{List(strs("a")), File(p)}, nil, DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	os.Remove(p)
	_, err = r.Next()
	var se *SourceError
	if !errors.As(err, &se) || se.Index != 1 || se.Path != p || se.Problem != SourceMissing || !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("error %v, want a *SourceError for source 1, %s, SourceMissing", err, p)
	}
	if want := p + ": no such file"; err == nil || err.Error() != want {
		t.Errorf("error %v, want %q", err, want)
	}
	if _, again := r.Next(); again != err {
		t.Errorf("second Next: %v, want the same error", again)
	}
	r.Close()
}

// Files are opened only when needed and closed at their end or by Close.
func TestFilesOpenedLazilyAndClosed(t *testing.T) {
	a := writeFile(t, "a", "1\n2\n3\n")
	b := writeFile(t, "b", "x\n")
	before := openFDs(t)
	r, err := Open([]Source{File(a), File(b)}, nil, DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	if n := openFDs(t); n != before {
		t.Errorf("Open opened files: %d descriptors, had %d", n, before)
	}
	if _, err := r.Next(); err != nil {
		t.Fatal(err)
	}
	// b was read whole and closed; a stays open for the next records.
	if n := openFDs(t); n != before+1 {
		t.Errorf("after one record: %d descriptors, want %d", n, before+1)
	}
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	if n := openFDs(t); n != before {
		t.Errorf("after Close: %d descriptors, want %d", n, before)
	}
	if _, err := r.Next(); err == nil || err == io.EOF {
		t.Errorf("Next after Close: %v, want an error", err)
	}
}

func openFDs(t *testing.T) int {
	t.Helper()
	es, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Skip("no /proc/self/fd")
	}
	return len(es)
}

func TestStdinNotReadWithoutStdinSource(t *testing.T) {
	p := writeFile(t, "f", "a\n")
	r, err := Open([]Source{List(strs("x y")), File(p)}, noRead{t}, DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	got, _ := readAll(t, r)
	if want := []job{same("x", "a"), same("y", "a")}; !reflect.DeepEqual(got, want) {
		t.Errorf("got %q, want %q", got, want)
	}
}

// An empty first source ends the product before the others are read.
func TestEmptyFirstSourceReadsNoOther(t *testing.T) {
	r, err := Open([]Source{List(nil), Stdin()}, noRead{t}, DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := readAll(t, r); got != nil {
		t.Errorf("got %q, want nothing", got)
	}
}

func TestNilStdin(t *testing.T) {
	if _, err := Open(nil, nil, DefaultOptions()); err == nil {
		t.Error("Open with a stdin source and no stdin succeeded")
	}
	if _, err := Open([]Source{List(nil)}, nil, DefaultOptions()); err != nil {
		t.Errorf("Open without stdin source: %v", err)
	}
}

type failingReader struct{ data string }

func (f *failingReader) Read(p []byte) (int, error) {
	if f.data == "" {
		return 0, os.ErrDeadlineExceeded
	}
	n := copy(p, f.data)
	f.data = f.data[n:]
	return n, nil
}

// A read error is one line naming the source, after the records read before it.
func TestReadError(t *testing.T) {
	for _, opt := range []Options{
		DefaultOptions(),
		{Delim: '\n', MaxArgs: 5},
		{Delim: '\n', XArgs: 100, Slots: 2},
	} {
		r, err := Open([]Source{File("-")}, &failingReader{data: "a\nb\n"}, opt)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for {
			rec, err := r.Next()
			if err != nil {
				var se *SourceError
				if !errors.As(err, &se) || se.Index != 0 || se.Path != "" || se.Problem != SourceReadFailed || !errors.Is(err, os.ErrDeadlineExceeded) {
					t.Errorf("%+v: error %v, want a *SourceError for standard input, SourceReadFailed", opt, err)
				}
				if !strings.HasPrefix(err.Error(), "standard input: read failed: ") {
					t.Errorf("%+v: error %q", opt, err)
				}
				break
			}
			got = append(got, rec.Args...)
		}
		if !reflect.DeepEqual(got, strs("a b")) {
			t.Errorf("%+v: records %q before the error, want a b", opt, got)
		}
	}
}
