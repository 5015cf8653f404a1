package pmap

import (
	"os"
	"sync/atomic"

	"golang.org/x/sys/unix"
)

// fullBelow is the free space under which a file system counts as full: a
// write may have failed on it.
const fullBelow = 16 << 10

// space watches whether the file system of the temporary directory fills
// up while jobs write into their capture files. The jobs write those files
// themselves, so parmap never sees one of their writes fail. Instead it
// looks at the free space when a job ends, and before each truncation that
// gives space back (which would hide that the disk had been full), and
// counts the times it found it full: a job during whose run that count grew
// may have lost output. A false alarm is possible (a job that wrote all it
// had before the disk filled), a silent loss only when something else frees
// the space before parmap looks.
type space struct {
	dir  string
	full atomic.Int64
}

func newSpace(dir string) *space {
	if dir == "" {
		dir = os.TempDir()
	}
	return &space{dir: dir}
}

// check looks at the file system now and returns the times it was found
// full so far, this time included. A nil space is never full.
func (s *space) check() int64 {
	if s == nil {
		return 0
	}
	var st unix.Statfs_t
	if unix.Statfs(s.dir, &st) == nil && st.Bavail*uint64(st.Bsize) < fullBelow {
		return s.full.Add(1)
	}
	return s.full.Load()
}

// mark returns the count to compare with at the end of a job. A nil space
// marks 0.
func (s *space) mark() int64 {
	if s == nil {
		return 0
	}
	return s.full.Load()
}

// since returns a *TmpError when the file system was found full, now or
// since mark m; nil otherwise.
func (s *space) since(m int64) error {
	if s == nil || s.check() == m {
		return nil
	}
	return &TmpError{Dir: s.dir, Err: errFull}
}

// stamp marks the pair's files for a job about to run and returns it.
func (p *CapturePool) stamp(pair Pair) Pair {
	m := p.space.mark()
	for _, c := range [2]*Capture{pair.Stdout, pair.Stderr} {
		c.space, c.mark = p.space, m
	}
	return pair
}

// CheckSpace looks at the free space of the pool's file system, as it must
// be looked at before anything else in it (a spill file's range) is given
// back: see Pair.Short.
func (p *CapturePool) CheckSpace() { p.space.check() }

// Short returns a *TmpError when the job that wrote into the pair since it
// was handed out by Slot may have lost output: the file system was found
// full while it ran, or is full now. Call it once the job has ended, before
// the pair's files are read or emptied; nil otherwise, and for a pair not
// from a CapturePool.
func (pair Pair) Short() error {
	c := pair.Stdout
	if c == nil {
		return nil
	}
	return c.space.since(c.mark)
}
