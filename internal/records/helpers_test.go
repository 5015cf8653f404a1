package records

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// job is a Record without its Seq and Names, for comparing in tables.
type job struct {
	V, A []string
}

// one is the job of a single plain value.
func one(v string) job { return job{V: []string{v}, A: []string{v}} }

// same is the job whose Values and Args are both vs.
func same(vs ...string) job { return job{V: vs, A: vs} }

// readAll reads every record and checks that Seq runs 1, 2, 3…
func readAll(t *testing.T, r *Reader) ([]job, []Record) {
	t.Helper()
	var jobs []job
	var recs []Record
	for {
		rec, err := r.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("Next: %v", err)
		}
		if want := int64(len(recs) + 1); rec.Seq != want {
			t.Fatalf("Seq = %d, want %d", rec.Seq, want)
		}
		jobs = append(jobs, job{V: rec.Values, A: rec.Args})
		recs = append(recs, rec)
	}
	if _, err := r.Next(); err != io.EOF {
		t.Fatalf("Next after the end: %v, want io.EOF", err)
	}
	if err := r.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	return jobs, recs
}

// writeFile writes content to a new file under t.TempDir and returns its path.
func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// noRead is a stdin that must not be read.
type noRead struct{ t *testing.T }

func (n noRead) Read([]byte) (int, error) {
	n.t.Error("standard input was read, but no source is standard input")
	return 0, errors.New("must not read")
}

// strs reads a list from a space-separated string ("" is the empty list).
func strs(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(s, " ")
}
