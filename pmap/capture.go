package pmap

import (
	"errors"
	"io"
	"os"
)

// openCapture opens a new capture file in dir. It is a variable so that
// the package's tests can make it fail; nothing else changes it.
var openCapture = func(dir string) (*os.File, error) { return openUnlinked(dir, os.O_APPEND) }

// A CaptureError is a capture file that could not be made in Dir ("" for
// the system's temporary directory). Err is the system's error, so that
// errors.Is tells running out of descriptors (EMFILE, ENFILE: worth trying
// again once a job has ended) from a directory that is missing or full.
type CaptureError struct {
	Dir string
	Err error
}

func (e *CaptureError) Error() string {
	dir := e.Dir
	if dir == "" {
		dir = os.TempDir()
	}
	return "a capture file in " + dir + ": " + e.Err.Error()
}

func (e *CaptureError) Unwrap() error { return e.Err }

// newCaptureFile opens a capture file, saying why it cannot as a
// *CaptureError.
func newCaptureFile(dir string) (*os.File, error) {
	f, err := openCapture(dir)
	if err != nil {
		var pe *os.PathError
		if errors.As(err, &pe) {
			err = pe.Err // the path is a random name, or dir itself
		}
		return nil, &CaptureError{Dir: dir, Err: err}
	}
	return f, nil
}

// Capture is an unnamed temporary file that a job writes its output into
// directly, in place of a pipe: the job runs without parmap reading along,
// and an empty output costs nothing but one fstat. A job slot reuses its
// Capture job after job (Reset). The file is opened with O_APPEND, so after
// a truncation the next job writes from the start whatever the shared file
// offset says; parmap itself reads with pread.
type Capture struct {
	dir   string
	f     *os.File
	space *space // watched before the file gives space back; nil for none
	mark  int64  // space's count when the job writing into it started
}

// NewCapture returns a Capture whose file lives in dir ("" for the system's
// temporary directory); it has no name, so nothing is left behind. It fails
// with a *CaptureError.
func NewCapture(dir string) (*Capture, error) {
	f, err := newCaptureFile(dir)
	if err != nil {
		return nil, err
	}
	return &Capture{dir: dir, f: f}, nil
}

// File is the file to hand to the job as its stdout or stderr.
func (c *Capture) File() *os.File { return c.f }

// Take moves what the job wrote into b and makes the Capture empty again.
func (c *Capture) Take(b *Buffer) error {
	n, err := c.size()
	if err != nil {
		return err
	}
	if n > 0 {
		if _, err := b.ReadFrom(io.NewSectionReader(c.f, 0, n)); err != nil {
			return err
		}
		c.space.check()
		err = c.f.Truncate(0)
	}
	return err
}

// Renew gives the Capture a fresh file, for when a process that outlived its
// job may still write to the old one. On failure (a *CaptureError) it keeps
// the old one.
func (c *Capture) Renew() error {
	f, err := newCaptureFile(c.dir)
	if err != nil {
		return err
	}
	c.space.check()
	c.f.Close()
	c.f = f
	return nil
}

// Close releases the file.
func (c *Capture) Close() error { return c.f.Close() }

// Reset empties the Capture for the next job.
func (c *Capture) Reset() error {
	c.space.check()
	return c.f.Truncate(0)
}

// Size returns how many bytes the job wrote.
func (c *Capture) Size() (int64, error) { return c.size() }

// size returns how many bytes the job wrote.
func (c *Capture) size() (int64, error) {
	st, err := c.f.Stat()
	if err != nil {
		return 0, err
	}
	return st.Size(), nil
}

// Reader returns what the job wrote, read from the file without moving it:
// the Capture keeps its content for Take or WriteCaptured afterwards.
func (c *Capture) Reader() (io.Reader, error) {
	n, err := c.size()
	if err != nil {
		return nil, err
	}
	return io.NewSectionReader(c.f, 0, n), nil
}
