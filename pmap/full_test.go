package pmap

import (
	"bytes"
	"errors"
	"os"
	"syscall"
	"testing"

	"github.com/parmap/parmap/internal/testbed/tmpfs"
)

// TestBufferSpillOnFullDisk: output spilled to a full file system is an
// error naming the directory and the errno, and what did fit is kept.
func TestBufferSpillOnFullDisk(t *testing.T) {
	dir := tmpfs.Dir(t, 64<<10)
	budget := NewBudget(0, dir) // everything spills
	defer budget.Close()
	b := NewBuffer(budget)
	want := fill(b, 7, 200000)
	b.Seal()
	var tmp *TmpError
	if err := b.Err(); !errors.As(err, &tmp) || !tmp.Spill || tmp.Dir != dir || !errors.Is(err, syscall.ENOSPC) {
		t.Fatalf("Err() = %#v; want a *TmpError for the spill file in %s, ENOSPC", err, dir)
	}
	if got, w := b.Err().Error(), "spill file in "+dir+": no space left on device"; got != w {
		t.Errorf("error %q, want %q", got, w)
	}
	var out bytes.Buffer
	if _, err := b.WriteTo(&out); err != nil {
		t.Fatal(err)
	}
	if out.Len() == 0 || out.Len() >= len(want) || !bytes.Equal(out.Bytes(), want[:out.Len()]) {
		t.Errorf("kept %d bytes; want a true beginning of the %d written", out.Len(), len(want))
	}
	b.Release()
}

// TestPairShortOnFullDisk: a job writing into its capture files on a file
// system that fills up may have lost output, and so may every job that was
// running then, even once the files that filled it have been emptied. A job
// started once there is room again has lost nothing.
func TestPairShortOnFullDisk(t *testing.T) {
	dir := tmpfs.Dir(t, 64<<10)
	pool := NewCapturePool(dir, 4)
	defer pool.Close()
	a, err := pool.Slot(0)
	if err != nil {
		t.Fatal(err)
	}
	b, err := pool.Slot(1)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.Stdout.File().Write([]byte("a short output\n")); err != nil {
		t.Fatal(err)
	}
	// Job b fills the disk, as a job would: its write fails, parmap does
	// not see it.
	if _, err := b.Stdout.File().Write(make([]byte, 100000)); !errors.Is(err, syscall.ENOSPC) {
		t.Fatalf("writing 100000 bytes to a 64 KiB tmpfs: %v, want ENOSPC", err)
	}
	var tmp *TmpError
	if err := b.Short(); !errors.As(err, &tmp) || tmp.Spill || tmp.Dir != dir || !errors.Is(err, syscall.ENOSPC) {
		t.Fatalf("job b: Short() = %#v; want a *TmpError for the capture files in %s, ENOSPC", err, dir)
	}
	if got, w := b.Short().Error(), "capture file in "+dir+": no space left on device"; got != w {
		t.Errorf("error %q, want %q", got, w)
	}
	// b's output is written and emptied: room again, but job a ran while
	// the disk was full.
	o := NewOutput(&bytes.Buffer{}, &bytes.Buffer{}, nil)
	if err := o.WriteCaptured("", b.Stdout, b.Stderr); err != nil {
		t.Fatal(err)
	}
	if err := a.Short(); !errors.As(err, &tmp) {
		t.Errorf("job a, running while the disk was full: Short() = %v, want a *TmpError", err)
	}
	if err := a.Reset(); err != nil {
		t.Fatal(err)
	}
	c, err := pool.Slot(1)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Stdout.File().Write([]byte("fits\n")); err != nil {
		t.Fatal(err)
	}
	if err := c.Short(); err != nil {
		t.Errorf("job c, started with room: Short() = %v, want nil", err)
	}
}

type stderrFails struct{}

func (stderrFails) Write(p []byte) (int, error) { return 0, syscall.ENOSPC }

// TestOutputWriteErrors: every output that stdout or stderr could not take
// whole is an error, a *StreamError, for that output and every later one.
func TestOutputWriteErrors(t *testing.T) {
	budget := NewBudget(1<<20, "")
	defer budget.Close()
	buf := func(s string) *Buffer {
		b := NewBuffer(budget)
		b.Write([]byte(s))
		b.Seal()
		return b
	}
	var calls int
	o := NewOutput(&failWriter{}, stderrFails{}, func(error) { calls++ })
	var se *StreamError
	for i := range 2 {
		if err := o.WriteJob("", buf("x\n"), nil); !errors.As(err, &se) || se.Stderr || !errors.Is(err, os.ErrClosed) {
			t.Fatalf("WriteJob %d: %v, want stdout's *StreamError", i, err)
		}
		if err := o.Stdout([]byte("y\n")); !errors.As(err, &se) || se.Stderr {
			t.Fatalf("Stdout %d: %v, want stdout's *StreamError", i, err)
		}
		if err := o.WriteJob("t", nil, buf("e\n")); !errors.As(err, &se) || !se.Stderr || !errors.Is(err, syscall.ENOSPC) {
			t.Fatalf("WriteJob of stderr %d: %v, want stderr's *StreamError", i, err)
		}
	}
	if err := o.WriteJob("", buf(""), nil); err != nil {
		t.Errorf("WriteJob of nothing: %v, want nil", err)
	}
	if calls != 1 {
		t.Errorf("failed called %d times, want once", calls)
	}

	// A capture that fails to go out whole says so too.
	c, err := NewCapture(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	for _, n := range []int{100, 200000} { // through the writer, and by the kernel
		c.File().Write(make([]byte, n))
		full, err := os.OpenFile("/dev/full", os.O_WRONLY, 0)
		if err != nil {
			t.Skip(err)
		}
		o := NewOutput(full, &bytes.Buffer{}, nil)
		if err := o.WriteCaptured("", c, c); !errors.As(err, &se) || se.Stderr || !errors.Is(err, syscall.ENOSPC) {
			t.Errorf("WriteCaptured of %d bytes to /dev/full: %v, want stdout's *StreamError, ENOSPC", n, err)
		}
		full.Close()
	}
}
