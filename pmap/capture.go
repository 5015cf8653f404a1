package pmap

import (
	"io"
	"os"
)

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
// temporary directory); it has no name, so nothing is left behind.
func NewCapture(dir string) (*Capture, error) {
	f, err := openUnlinked(dir, os.O_APPEND)
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
// job may still write to the old one.
func (c *Capture) Renew() error {
	f, err := openUnlinked(c.dir, os.O_APPEND)
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
