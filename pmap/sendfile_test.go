package pmap

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

// TestSendFile: sendFile copies the first n bytes of a file whole to a
// pipe (sendfile), a regular file (copy_file_range) and /dev/null, and says
// why when the destination refuses them.
func TestSendFile(t *testing.T) {
	data := bytes.Repeat([]byte("0123456789abcdef"), 100000) // 1.6 MB
	src, err := os.CreateTemp(t.TempDir(), "src")
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	src.Write(data)
	src.Write([]byte("not sent"))
	n := int64(len(data))

	t.Run("pipe", func(t *testing.T) {
		r, w, err := os.Pipe()
		if err != nil {
			t.Fatal(err)
		}
		defer r.Close()
		got := make(chan []byte)
		go func() { b, _ := io.ReadAll(r); got <- b }()
		sent, err := sendFile(w, src, n)
		w.Close()
		if b := <-got; err != nil || sent != n || !bytes.Equal(b, data) {
			t.Fatalf("sent %d (%v), read %d bytes; want %d", sent, err, len(b), n)
		}
	})
	t.Run("file", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "dst")
		dst, err := os.Create(path)
		if err != nil {
			t.Fatal(err)
		}
		dst.WriteString("before ")
		sent, err := sendFile(dst, src, n)
		dst.Close()
		b, _ := os.ReadFile(path)
		if err != nil || sent != n || !bytes.Equal(b, append([]byte("before "), data...)) {
			t.Fatalf("sent %d (%v), file %d bytes", sent, err, len(b))
		}
	})
	t.Run("dev null", func(t *testing.T) {
		dst, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
		if err != nil {
			t.Fatal(err)
		}
		defer dst.Close()
		if sent, err := sendFile(dst, src, n); err != nil || sent != n {
			t.Fatalf("sent %d (%v)", sent, err)
		}
	})
	t.Run("dev full", func(t *testing.T) {
		dst, err := os.OpenFile("/dev/full", os.O_WRONLY, 0)
		if err != nil {
			t.Skip(err)
		}
		defer dst.Close()
		if _, err := sendFile(dst, src, n); !errors.Is(err, syscall.ENOSPC) {
			t.Fatalf("error %v, want ENOSPC", err)
		}
	})
	t.Run("closed pipe", func(t *testing.T) {
		r, w, err := os.Pipe()
		if err != nil {
			t.Fatal(err)
		}
		defer w.Close()
		r.Close()
		if _, err := sendFile(w, src, n); !errors.Is(err, syscall.EPIPE) {
			t.Fatalf("error %v, want EPIPE", err)
		}
	})
}
