package pmap

import (
	"testing"
)

func TestCapturePoolHoldsAndReuses(t *testing.T) {
	p := NewCapturePool(t.TempDir(), 2)
	defer p.Close()
	first, err := p.Slot(3) // slots are made on first use, in any order
	if err != nil {
		t.Fatal(err)
	}
	if again, _ := p.Slot(3); again != first {
		t.Fatal("a slot's pair changed between jobs")
	}
	first.Stdout.File().WriteString("waiting")
	held, ok := p.Hold(3)
	if !ok || held != first {
		t.Fatalf("Hold = %v, %v", held, ok)
	}
	// The slot gets new files; the held pair keeps its output.
	next, err := p.Slot(3)
	if err != nil || next == first {
		t.Fatalf("Slot after Hold = %v, %v", next, err)
	}
	if n, _ := held.Size(); n != int64(len("waiting")) {
		t.Fatalf("held pair has %d bytes", n)
	}
	if _, ok := p.Hold(3); !ok {
		t.Fatal("second Hold refused below the bound")
	}
	p.Slot(3)
	if _, ok := p.Hold(3); ok {
		t.Fatal("a third Hold was allowed over a bound of 2")
	}
	// A released pair is the next spare a slot takes.
	held.Reset()
	p.Release(held)
	if got, _ := p.Slot(7); got != held {
		t.Fatal("a new slot did not take the released spare")
	}
}

func TestCapturePoolCloseClosesHeldPairs(t *testing.T) {
	p := NewCapturePool(t.TempDir(), 4)
	if _, err := p.Slot(1); err != nil {
		t.Fatal(err)
	}
	held, _ := p.Hold(1)
	p.Close()
	if _, err := held.Stdout.File().Write([]byte("x")); err == nil {
		t.Fatal("a held pair's file is still open after Close")
	}
}

func TestCapturePoolHoldUnusedSlot(t *testing.T) {
	p := NewCapturePool(t.TempDir(), 4)
	defer p.Close()
	if _, ok := p.Hold(5); ok {
		t.Fatal("Hold took a pair from a slot that never ran")
	}
}
