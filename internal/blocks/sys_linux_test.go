package blocks

import (
	"bytes"
	"errors"
	"os"
	"testing"

	"golang.org/x/sys/unix"
)

// blockingPipe returns a pipe in blocking mode, which the runtime poller
// cannot wait on, as a child's inherited stdin may be.
func blockingPipe(t testing.TB) (r, w *os.File) {
	var p [2]int
	if err := unix.Pipe2(p[:], unix.O_CLOEXEC); err != nil {
		t.Fatal(err)
	}
	return os.NewFile(uintptr(p[0]), "r"), os.NewFile(uintptr(p[1]), "w")
}

// TestUncached feeds and writes through a blocking pipe and a non-blocking
// one, from a file whose pages are not in the page cache.
func TestUncached(t *testing.T) {
	data := lines(40000)
	f := tempFile(t, data)
	if err := f.Sync(); err != nil {
		t.Fatal(err)
	}
	for _, blocking := range []bool{true, false} {
		if err := unix.Fadvise(int(f.Fd()), 0, 0, unix.FADV_DONTNEED); err != nil {
			t.Log("fadvise:", err)
		}
		pr, pw, err := os.Pipe()
		if err != nil {
			t.Fatal(err)
		}
		if blocking {
			pr.Close()
			pw.Close()
			pr, pw = blockingPipe(t)
		}
		wait := drain(pr)
		err = FeedRange(pw, f, 10, int64(len(data)))
		if err != nil {
			t.Fatal(err)
		}
		b := &Block{Header: data[:10], Data: data[10:]}
		if _, err := b.WriteTo(pw); err != nil {
			t.Fatal(err)
		}
		pw.Close()
		want := append(bytes.Clone(data[10:]), data...)
		if got := wait(); !bytes.Equal(got, want) {
			t.Errorf("blocking %v: got %d bytes that differ, want %d", blocking, len(got), len(want))
		}
	}
}

func TestGrowPipe(t *testing.T) {
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	defer w.Close()
	if n, err := GrowPipe(w, 1<<20); err != nil && !errors.Is(err, unix.EPERM) || err == nil && n < 1<<20 {
		t.Errorf("GrowPipe to 1 MiB: %d, %v", n, err)
	}
	f := tempFile(t, nil)
	if _, err := GrowPipe(f, 1<<20); err == nil {
		t.Error("GrowPipe of a regular file succeeded")
	}
}
