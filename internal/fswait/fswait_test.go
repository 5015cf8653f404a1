package fswait

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
)

func TestUntil(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "ready")
	exists := func() bool { _, err := os.Stat(file); return err == nil }

	// A file made after Until started wakes it.
	errc := make(chan error, 1)
	go func() { errc <- Until(context.Background(), dir, nil, exists) }()
	// Until may or may not have started watching yet: either way it must see
	// the file, at its first check or by the event.
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := <-errc; err != nil {
		t.Fatalf("Until after the file was made: %v", err)
	}

	never := func() bool { return false }
	stop := make(chan struct{})
	close(stop)
	if err := Until(context.Background(), dir, stop, never); !errors.Is(err, ErrStopped) {
		t.Errorf("Until after stop = %v, want ErrStopped", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := Until(ctx, dir, nil, never); !errors.Is(err, context.Canceled) {
		t.Errorf("Until with a cancelled context = %v", err)
	}
	if err := Until(context.Background(), filepath.Join(dir, "missing"), nil, never); err == nil {
		t.Error("Until on a missing directory succeeded")
	}
}
