package pmap

import (
	"io"
	"os"
	"sync"
	"sync/atomic"

	"golang.org/x/sys/unix"
)

// chunkSize is the largest piece of memory a Buffer holds its bytes in, and
// the size of the reads it makes from a pipe.
const chunkSize = 64 * 1024

var chunkPool = sync.Pool{New: func() any { b := make([]byte, chunkSize); return &b }}

// Budget bounds the bytes that all Buffers sharing it hold in memory. Bytes
// beyond it go to one temporary file, unlinked as soon as it is created so that
// no exit path, not even SIGKILL, leaves it behind.
type Budget struct {
	limit int64
	used  atomic.Int64
	dir   string

	mu   sync.Mutex
	file *os.File
	end  int64 // bytes allocated in file
	err  error
}

// NewBudget returns a Budget of limit bytes whose spill file goes in dir
// ("" for the system's temporary directory).
func NewBudget(limit int64, dir string) *Budget {
	return &Budget{limit: limit, dir: dir}
}

// InMemory returns the bytes Buffers hold in memory now.
func (b *Budget) InMemory() int64 { return b.used.Load() }

// Spilled returns the bytes written to the spill file so far.
func (b *Budget) Spilled() int64 {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.end
}

// Close releases the spill file. Buffers must not be used afterwards.
func (b *Budget) Close() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.file == nil {
		return nil
	}
	err := b.file.Close()
	b.file = nil
	return err
}

func (b *Budget) reserve(n int64) bool {
	if b.used.Add(n) > b.limit {
		b.used.Add(-n)
		return false
	}
	return true
}

func (b *Budget) release(n int64) { b.used.Add(-n) }

// allocate returns the spill file and a range of n bytes in it.
func (b *Budget) allocate(n int64) (*os.File, int64, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.file == nil && b.err == nil {
		b.file, b.err = openUnlinked(b.dir, 0)
	}
	if b.err != nil {
		return nil, 0, b.err
	}
	off := b.end
	b.end += n
	return b.file, off, nil
}

// spillError is err, met writing the spill file, as a *TmpError.
func (b *Budget) spillError(err error) error {
	dir := b.dir
	if dir == "" {
		dir = os.TempDir()
	}
	return &TmpError{Dir: dir, Spill: true, Err: unwrapPath(err)}
}

// free gives a range back to the file system; the file's size stays.
func (b *Budget) free(off, n int64) {
	b.mu.Lock()
	f := b.file
	b.mu.Unlock()
	if f != nil {
		unix.Fallocate(int(f.Fd()), unix.FALLOC_FL_PUNCH_HOLE|unix.FALLOC_FL_KEEP_SIZE, off, n)
	}
}

// openUnlinked creates a temporary file that has no name, with extra open
// flags: O_TMPFILE where the file system has it, else a named file removed at
// once.
func openUnlinked(dir string, flags int) (*os.File, error) {
	if dir == "" {
		dir = os.TempDir()
	}
	fd, err := unix.Open(dir, unix.O_TMPFILE|unix.O_RDWR|unix.O_CLOEXEC|flags, 0o600)
	if err == nil {
		return os.NewFile(uintptr(fd), dir+"/parmap-tmp"), nil
	}
	f, err := os.CreateTemp(dir, "parmap-tmp-*")
	if err != nil {
		return nil, err
	}
	defer os.Remove(f.Name())
	if flags == 0 {
		return f, nil
	}
	defer f.Close()
	return os.OpenFile(f.Name(), os.O_RDWR|flags, 0)
}

type extent struct{ off, n int64 }

// Buffer holds one job's output stream until it is written: in memory while
// its Budget allows, then in the spill file. It is written by one goroutine
// and, once that is done, read by another; it is not safe for concurrent use.
type Buffer struct {
	budget *Budget
	chunks [][]byte // in memory, in order, before anything spilled
	held   int64    // bytes reserved from budget for chunks
	size   int64
	stage  *[]byte // spill staging, flushed when full and at Seal
	spill  []extent
	err    error
}

// NewBuffer returns an empty Buffer drawing on budget.
func NewBuffer(budget *Budget) *Buffer { return &Buffer{budget: budget} }

// Len returns the bytes written so far.
func (b *Buffer) Len() int64 { return b.size }

// Err returns the first error met while spilling, if any: a *TmpError.
// The bytes that could not be spilled are lost; the rest is kept.
func (b *Buffer) Err() error { return b.err }

// Write appends p. It never fails; a spill error is kept for Err.
func (b *Buffer) Write(p []byte) (int, error) {
	n := len(p)
	b.size += int64(n)
	if b.stage == nil {
		p = b.writeMemory(p)
	}
	for len(p) > 0 {
		if b.stage == nil {
			b.stage = chunkPool.Get().(*[]byte)
			*b.stage = (*b.stage)[:0]
		}
		s := *b.stage
		c := copy(s[len(s):cap(s)], p)
		*b.stage = s[:len(s)+c]
		p = p[c:]
		if len(*b.stage) == cap(*b.stage) {
			b.flushStage()
		}
	}
	return n, nil
}

// writeMemory copies as much of p as the budget allows into memory and
// returns the rest.
func (b *Buffer) writeMemory(p []byte) []byte {
	for len(p) > 0 {
		if k := len(b.chunks); k > 0 {
			last := b.chunks[k-1]
			if c := copy(last[len(last):cap(last)], p); c > 0 {
				b.chunks[k-1] = last[:len(last)+c]
				p = p[c:]
				continue
			}
		}
		// A new chunk: small outputs get small ones, so that many short
		// outputs waiting for their turn do not use up the budget.
		size := int64(chunkSize)
		if b.size < chunkSize && len(b.chunks) == 0 {
			size = int64(max(len(p), 512))
			size = min(size, chunkSize)
		}
		if !b.budget.reserve(size) {
			return p
		}
		b.held += size
		var c []byte
		if size == chunkSize {
			c = (*chunkPool.Get().(*[]byte))[:0]
		} else {
			c = make([]byte, 0, size)
		}
		b.chunks = append(b.chunks, c)
	}
	return nil
}

func (b *Buffer) flushStage() {
	s := *b.stage
	if len(s) == 0 {
		return
	}
	*b.stage = s[:0]
	if b.err != nil {
		return
	}
	f, off, err := b.budget.allocate(int64(len(s)))
	if err == nil {
		_, err = f.WriteAt(s, off)
	}
	if err != nil {
		b.err = b.budget.spillError(err)
		return
	}
	if k := len(b.spill); k > 0 && b.spill[k-1].off+b.spill[k-1].n == off {
		b.spill[k-1].n += int64(len(s))
	} else {
		b.spill = append(b.spill, extent{off, int64(len(s))})
	}
}

// ReadFrom appends everything r gives until end of file or an error other
// than a read deadline.
func (b *Buffer) ReadFrom(r io.Reader) (int64, error) {
	bp := chunkPool.Get().(*[]byte)
	defer chunkPool.Put(bp)
	buf := (*bp)[:chunkSize]
	var total int64
	for {
		n, err := r.Read(buf)
		if n > 0 {
			b.Write(buf[:n])
			total += int64(n)
		}
		if err == io.EOF {
			return total, nil
		}
		if err != nil {
			return total, err
		}
	}
}

// Seal finishes writing: bytes still staged go to the spill file.
func (b *Buffer) Seal() {
	if b.stage != nil {
		b.flushStage()
		chunkPool.Put(b.stage)
		b.stage = nil
	}
}

// WriteTo writes the whole content to w, in order. Seal must have been called.
func (b *Buffer) WriteTo(w io.Writer) (int64, error) {
	var total int64
	for _, c := range b.chunks {
		n, err := w.Write(c)
		total += int64(n)
		if err != nil {
			return total, err
		}
	}
	if len(b.spill) == 0 {
		return total, nil
	}
	f, _, err := b.budget.allocate(0)
	if err != nil {
		return total, err
	}
	bp := chunkPool.Get().(*[]byte)
	defer chunkPool.Put(bp)
	buf := (*bp)[:chunkSize]
	for _, e := range b.spill {
		for off, end := e.off, e.off+e.n; off < end; {
			n, err := f.ReadAt(buf[:min(int64(len(buf)), end-off)], off)
			if n > 0 {
				m, werr := w.Write(buf[:n])
				total += int64(m)
				if werr != nil {
					return total, werr
				}
			}
			off += int64(n)
			if err != nil && off < end {
				return total, err
			}
		}
	}
	return total, nil
}

// Release frees the memory and spill space the Buffer holds. The Buffer is
// empty afterwards.
func (b *Buffer) Release() {
	for _, c := range b.chunks {
		if cap(c) == chunkSize {
			c = c[:0]
			chunkPool.Put(&c)
		}
	}
	b.budget.release(b.held)
	for _, e := range b.spill {
		b.budget.free(e.off, e.n)
	}
	if b.stage != nil {
		chunkPool.Put(b.stage)
	}
	*b = Buffer{budget: b.budget}
}
