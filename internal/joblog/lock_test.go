package joblog

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"
)

// Success is judged by the success codes given (--success-codes), a job
// killed by a signal never succeeds.
func TestSucceededCodes(t *testing.T) {
	path := filepath.Join(t.TempDir(), "log")
	l, err := Open(path, false)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range []Entry{
		{Seq: 1, Command: "zero"},
		{Seq: 2, Command: "one", Exitval: 1},
		{Seq: 3, Command: "two", Exitval: 2},
		{Seq: 4, Command: "killed", Signal: 9},
	} {
		if err := l.Write(e); err != nil {
			t.Fatal(err)
		}
	}
	l.Close()
	got, err := Succeeded(path, map[int]bool{0: true, 1: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || !got["zero"] || !got["one"] {
		t.Errorf("Succeeded with codes 0,1 = %v, want zero and one", got)
	}
	got, _ = Succeeded(path, map[int]bool{2: true})
	if len(got) != 1 || !got["two"] {
		t.Errorf("Succeeded with code 2 = %v, want two", got)
	}
}

// A second Open of a log waits for the first to close it, saying so once,
// and gives up when its context ends.
func TestOpenWaitsForLock(t *testing.T) {
	path := filepath.Join(t.TempDir(), "log")
	first, err := Open(path, false)
	if err != nil {
		t.Fatal(err)
	}
	if err := first.Write(Entry{Seq: 1, Command: "first"}); err != nil {
		t.Fatal(err)
	}

	ctx, cancel := context.WithCancel(context.Background())
	waiting := make(chan struct{}, 2)
	_, err = OpenWaiting(ctx, path, true, func() { waiting <- struct{}{}; cancel() })
	if !errors.Is(err, context.Canceled) || len(waiting) != 1 {
		t.Fatalf("OpenWaiting on a held log = %v after %d waiting calls; want context.Canceled after 1", err, len(waiting))
	}

	opened := make(chan error, 1)
	go func() {
		l, err := OpenWaiting(context.Background(), path, true, func() { waiting <- struct{}{} })
		if err == nil {
			err = l.Write(Entry{Seq: 2, Command: "second"})
			l.Close()
		}
		opened <- err
	}()
	<-waiting // it waits for the lock
	select {
	case err := <-opened:
		t.Fatalf("second Open returned while the first held the log: %v", err)
	default:
	}
	first.Close()
	select {
	case err := <-opened:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("second Open still waits after the first closed the log")
	}
	got, err := Succeeded(path, nil)
	if err != nil || !got["first"] || !got["second"] {
		t.Errorf("log after both = %v, %v; want first and second (the resume appended)", got, err)
	}
}
