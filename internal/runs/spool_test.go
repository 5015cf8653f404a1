package runs

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func TestSpool(t *testing.T) {
	r := newRun(t, "spool")
	in := "a\nb\x00c\nlast without newline"
	n, err := r.Spool(strings.NewReader(in))
	if err != nil || n != int64(len(in)) {
		t.Fatalf("Spool = %d, %v", n, err)
	}
	if b, _ := os.ReadFile(r.InputPath()); string(b) != in {
		t.Errorf("input holds %q; want %q", b, in)
	}
	if ok, err := r.Spooled(); !ok || err != nil {
		t.Errorf("Spooled() = %v, %v; want true", ok, err)
	}
}

// failingReader gives some bytes, then fails: a standard input that broke.
type failingReader struct{ given bool }

func (f *failingReader) Read(p []byte) (int, error) {
	if f.given {
		return 0, errors.New("read failed")
	}
	f.given = true
	return copy(p, "half\n"), nil
}

func TestSpoolIncomplete(t *testing.T) {
	r := newRun(t, "half")
	if ok, _ := r.Spooled(); ok {
		t.Error("Spooled() before Spool is true")
	}
	if _, err := r.Spool(&failingReader{}); err == nil || err.Error() != "read failed" {
		t.Fatalf("Spool of a failing reader: %v", err)
	}
	if ok, _ := r.Spooled(); ok {
		t.Error("Spooled() after a failed Spool is true")
	}
	if ents, _ := filepath.Glob(r.InputPath() + "*"); len(ents) != 0 {
		t.Errorf("left behind: %v", ents)
	}
}

func TestAppendAndAdded(t *testing.T) {
	r := newRun(t, "add")
	sep := []byte("\n")
	if err := r.Append(records("a", "b c"), sep); err != nil {
		t.Fatal(err)
	}
	if err := r.Append(records("", "\xff\xfe not UTF-8"), sep); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(r.AddedPath()); string(b) != "a\nb c\n\n\xff\xfe not UTF-8\n" {
		t.Errorf("added holds %q", b)
	}
	got, torn, err := r.Added(sep)
	if err != nil || torn != 0 || !reflect.DeepEqual(got, records("a", "b c", "", "\xff\xfe not UTF-8")) {
		t.Errorf("Added = %q, %d, %v", got, torn, err)
	}
}

func TestAppendRefusesRecordHoldingSeparator(t *testing.T) {
	r := newRun(t, "sep")
	err := r.Append(records("ok", "two\nlines"), []byte("\n"))
	if err == nil || !strings.Contains(err.Error(), "record 2") {
		t.Fatalf("Append of a record holding the separator: %v; want an error naming record 2", err)
	}
	if b, _ := os.ReadFile(r.AddedPath()); len(b) != 0 {
		t.Errorf("added holds %q; want nothing", b)
	}
}

// TestTornRecord: a writer killed in the middle of a write leaves a last
// record without its separator; Added leaves it out and says how long it
// is, and the next Append cuts it off first.
func TestTornRecord(t *testing.T) {
	for _, c := range []struct {
		name, sep string
		tornLen   int
	}{
		{"newline", "\n", 5},
		{"NUL", "\x00", 5},
		{"multibyte", "END", 5},
		// Longer than the 64 KiB Append reads back at a time.
		{"long torn record", "END", 200 << 10},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := newRun(t, "torn")
			sep := []byte(c.sep)
			if err := r.Append(records("one", "two"), sep); err != nil {
				t.Fatal(err)
			}
			f, _ := os.OpenFile(r.AddedPath(), os.O_WRONLY|os.O_APPEND, 0)
			torn := bytes.Repeat([]byte("t"), c.tornLen)
			torn[len(torn)-1] = c.sep[0] // a separator begun, not ended (or one byte)
			if len(sep) == 1 {
				torn[len(torn)-1] = 'x'
			}
			f.Write(torn)
			f.Close()
			got, tornLen, err := r.Added(sep)
			if err != nil || tornLen != c.tornLen || !reflect.DeepEqual(got, records("one", "two")) {
				t.Fatalf("Added = %q, torn %d, %v; want one, two and %d torn bytes", got, tornLen, err, c.tornLen)
			}
			whole, err := r.WholeAdded(sep)
			if want := int64(6 + 2*len(sep)); err != nil || whole != want {
				t.Errorf("WholeAdded = %d, %v; want %d", whole, err, want)
			}
			if err := r.Append(records("three"), sep); err != nil {
				t.Fatal(err)
			}
			want := "one" + c.sep + "two" + c.sep + "three" + c.sep
			if b, _ := os.ReadFile(r.AddedPath()); string(b) != want {
				t.Errorf("after the next Append, added holds %q; want %q", b, want)
			}
		})
	}
}

// TestWholeLenSeparatorAcrossChunks: a separator that straddles the 64 KiB
// boundary of wholeLen's backward reads is found.
func TestWholeLenSeparatorAcrossChunks(t *testing.T) {
	const chunk = 64 << 10
	for shift := 0; shift < 3; shift++ {
		b := bytes.Repeat([]byte("x"), 2*chunk)
		at := len(b) - chunk - 1 - shift // "END" around the boundary
		copy(b[at:], "END")
		got, err := wholeLen(bytes.NewReader(b), int64(len(b)), []byte("END"))
		if err != nil || got != int64(at+3) {
			t.Errorf("shift %d: wholeLen = %d, %v; want %d", shift, got, err, at+3)
		}
	}
}
