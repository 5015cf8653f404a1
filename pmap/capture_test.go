package pmap

import (
	"errors"
	"os"
	"syscall"
	"testing"
)

// openFDs counts this process's open file descriptors.
func openFDs(t *testing.T) int {
	t.Helper()
	entries, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Skip("no /proc/self/fd:", err)
	}
	return len(entries)
}

// failOpens makes the capture files' opens fail with errno once after
// have succeeded, until restore is called.
func failOpens(after int, errno syscall.Errno) (restore func()) {
	real := openCapture
	n := 0
	openCapture = func(dir string) (*os.File, error) {
		n++
		if n > after {
			return nil, &os.PathError{Op: "open", Path: dir + "/parmap-tmp-123", Err: errno}
		}
		return real(dir)
	}
	return func() { openCapture = real }
}

// Every way of making a capture file, fed an open that fails, returns a
// *CaptureError that says why (errors.Is finds the errno, so the exchange
// can tell a want of descriptors), leaves no descriptor open, and never
// panics; once the opens work again, the same call succeeds.
func TestCaptureOpenFails(t *testing.T) {
	dir := t.TempDir()
	cases := []struct {
		name  string
		after int // opens that succeed before the failing one
		errno syscall.Errno
		make  func() error
	}{
		{"NewCapture", 0, syscall.EMFILE, func() error {
			c, err := NewCapture(dir)
			if err == nil {
				c.Close()
			}
			return err
		}},
		{"Slot stdout", 0, syscall.EMFILE, func() error {
			p := NewCapturePool(dir, 1)
			defer p.Close()
			_, err := p.Slot(1)
			return err
		}},
		{"Slot stderr", 1, syscall.ENFILE, func() error {
			p := NewCapturePool(dir, 1)
			defer p.Close()
			_, err := p.Slot(1)
			return err
		}},
		{"Slot after a held Pair", 2, syscall.EMFILE, func() error {
			p := NewCapturePool(dir, 1)
			defer p.Close()
			if _, err := p.Slot(1); err != nil {
				return err
			}
			if _, ok := p.Hold(1); !ok {
				t.Fatal("Hold refused")
			}
			_, err := p.Slot(1)
			return err
		}},
		{"Renew", 2, syscall.EMFILE, func() error {
			p := NewCapturePool(dir, 1)
			defer p.Close()
			if _, err := p.Slot(1); err != nil {
				return err
			}
			return p.Renew(1)
		}},
		{"Renew stderr", 3, syscall.ENOSPC, func() error {
			p := NewCapturePool(dir, 1)
			defer p.Close()
			if _, err := p.Slot(1); err != nil {
				return err
			}
			return p.Renew(1)
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			before := openFDs(t)
			restore := failOpens(tc.after, tc.errno)
			err := tc.make()
			restore()
			var ce *CaptureError
			if !errors.As(err, &ce) || !errors.Is(err, tc.errno) || ce.Dir != dir {
				t.Fatalf("got %v (%T), want a *CaptureError in %s for %v", err, err, dir, tc.errno)
			}
			if got := err.Error(); got != "a capture file in "+dir+": "+tc.errno.Error() {
				t.Errorf("message %q", got)
			}
			if after := openFDs(t); after != before {
				t.Errorf("%d descriptors open after the failure, %d before", after, before)
			}
			if err := tc.make(); err != nil {
				t.Errorf("once the opens work: %v", err)
			}
			if after := openFDs(t); after != before {
				t.Errorf("%d descriptors open after the retry, %d before", after, before)
			}
		})
	}
}

// A Pair without files (a job that never got its own) is nothing to size
// or reset, not a nil dereference.
func TestEmptyPair(t *testing.T) {
	var p Pair
	if n, err := p.Size(); n != 0 || err != nil {
		t.Errorf("Size = %d, %v", n, err)
	}
	if err := p.Reset(); err != nil {
		t.Errorf("Reset = %v", err)
	}
}
