package blocks

import (
	"bytes"
	"io"
	"slices"
	"sync"
)

// Block is a run of whole records cut from a stream, with the stream's header.
type Block struct {
	Seq    int64  // 1, 2, 3, … in stream order
	Header []byte // the header records, shared by every block: read only
	Data   []byte // whole records; only the last block's final one may lack its delimiter

	c   *Cutter // where Release returns buf; nil once released
	buf []byte  // Data's backing array, the whole buffer
}

// Release gives the block's buffer back to its Cutter for a later block. The
// block must not be used after; calling Release again does nothing. Release
// may be called from any goroutine, concurrently with the Cutter's Next.
func (b *Block) Release() {
	if b.c == nil {
		return
	}
	b.c.put(b.buf)
	b.c, b.buf, b.Data, b.Header = nil, nil, nil, nil
}

// Cutter cuts a stream into Blocks by the package's rule. It reads straight
// into the block's buffer in large reads, looks for the cut from the end of
// the block backwards, and copies only the bytes past the cut, the head of the
// next block. It reads at most size+1 bytes (4 KiB for tiny blocks) past the
// blocks it has returned, and holds one buffer more than the blocks not yet
// released.
//
// Next is for one goroutine; Release may run on others.
type Cutter struct {
	r      io.Reader
	size   int
	delim  byte
	header int // header records still to read before the first block
	hdr    []byte
	carry  []byte // bytes read past the last cut: the next block's head
	seq    int64
	err    error   // from the reader, sticky; io.EOF at the end
	big    bool    // the input has filled a block: new buffers start full size
	bounds *Bounds // NewBoundedCutter's; nil: records end with delim

	mu   sync.Mutex
	free [][]byte // released buffers
}

// growStep is the least a Cutter reads at a time while it looks past a block
// for the end of a long record, or for the end of the header. The bytes read
// past the record's end are copied to the next block, so with tiny blocks a
// large step would cost more copying than it saves in reads.
const growStep = 4 << 10

// NewCutter returns a Cutter of r into blocks of about size bytes (less than 1
// counts as 1) of records ending with delim. The first header records of r
// are the header of every block.
func NewCutter(r io.Reader, size int, delim byte, header int) *Cutter {
	return &Cutter{r: r, size: max(size, 1), delim: delim, header: max(header, 0)}
}

// Header returns the header records, reading them first if Next has not yet:
// an error doing so is Next's to return.
func (c *Cutter) Header() []byte {
	if c.header > 0 {
		c.readHeader()
	}
	return c.hdr
}

// Next returns the next block, or io.EOF after the last one (at once for an
// empty input or one that is all header). An error reading the input is
// returned as it is, and again by every later call.
func (c *Cutter) Next() (*Block, error) {
	if c.header > 0 {
		c.readHeader()
	}
	if len(c.carry) == 0 && c.err != nil {
		return nil, c.err
	}
	if c.bounds != nil {
		return c.nextBounded()
	}
	buf := c.get(len(c.carry))
	buf = append(buf, c.carry...)
	c.carry = c.carry[:0]
	// Read one byte beyond size: if the input ends first, the rest is one block.
	for len(buf) <= c.size && c.err == nil {
		if len(buf) == cap(buf) {
			buf = slices.Grow(buf, min(c.size+1, 2*cap(buf))-len(buf))
		}
		n := c.read(buf[len(buf):min(cap(buf), c.size+1)])
		buf = buf[:len(buf)+n]
	}
	if len(buf) > c.size {
		c.big = true
	}
	if c.err != nil && c.err != io.EOF {
		c.put(buf)
		return nil, c.err
	}
	cut := len(buf)
	if len(buf) > c.size {
		if i := bytes.LastIndexByte(buf[:c.size], c.delim); i >= 0 {
			cut = i + 1
		} else if buf, cut = c.longRecord(buf); cut < 0 {
			c.put(buf)
			return nil, c.err
		}
	}
	return c.block(buf, cut)
}

// block hands out buf[:cut] as the next block and keeps the rest of buf for
// the one after it; a cut of 0 is the end of the input.
func (c *Cutter) block(buf []byte, cut int) (*Block, error) {
	if cut == 0 {
		c.put(buf)
		return nil, io.EOF
	}
	c.carry = append(c.carry, buf[cut:]...)
	c.seq++
	return &Block{Seq: c.seq, Header: c.hdr, Data: buf[:cut], c: c, buf: buf}, nil
}

// longRecord finds the cut of a block whose first size bytes hold no
// delimiter: just after the first delimiter past them, reading on as needed,
// or at the end of the input. It returns the grown buffer and the cut, or -1
// if reading failed.
func (c *Cutter) longRecord(buf []byte) ([]byte, int) {
	from := c.size
	for {
		if i := bytes.IndexByte(buf[from:], c.delim); i >= 0 {
			return buf, from + i + 1
		}
		if c.err == io.EOF {
			return buf, len(buf)
		}
		if c.err != nil {
			return buf, -1
		}
		from = len(buf)
		step := max(c.size, growStep)
		if cap(buf)-len(buf) < step {
			buf = append(buf[:cap(buf)], make([]byte, step)...)[:len(buf)]
		}
		n := c.read(buf[len(buf) : len(buf)+step])
		buf = buf[:len(buf)+n]
	}
}

// readHeader reads the first c.header records into c.hdr; the bytes read past
// them are the first block's head.
func (c *Cutter) readHeader() {
	var buf []byte
	end, from := 0, 0
	for c.header > 0 {
		if i := bytes.IndexByte(buf[from:], c.delim); i >= 0 {
			from += i + 1
			end = from
			c.header--
			continue
		}
		if c.err != nil {
			break
		}
		from = len(buf)
		buf = append(buf, make([]byte, growStep)...)
		n := c.read(buf[from:])
		buf = buf[:from+n]
	}
	if c.header > 0 { // the input ended, or failed, inside the header
		end = len(buf)
		c.header = 0
	}
	c.hdr = buf[:end:end]
	c.carry = append(c.carry, buf[end:]...)
}

// read reads into p, non-empty, once, and keeps any error in c.err. A reader
// that returns nothing many times in a row gets io.ErrNoProgress, as in bufio.
func (c *Cutter) read(p []byte) int {
	for range 100 {
		n, err := c.r.Read(p)
		if err != nil {
			c.err = err
		}
		if n > 0 || err != nil {
			return n
		}
	}
	c.err = io.ErrNoProgress
	return 0
}

// firstCap is the capacity of a Cutter's first buffer, which grows as the
// input comes up to size+1 bytes, so a huge block size with a small input
// costs no more memory than the input.
const firstCap = 64 << 10

// get returns an empty buffer of at least n bytes, and at least size+1 once
// the input has filled a block.
func (c *Cutter) get(n int) []byte {
	c.mu.Lock()
	var buf []byte
	if k := len(c.free); k > 0 {
		buf = c.free[k-1]
		c.free[k-1] = nil
		c.free = c.free[:k-1]
	}
	c.mu.Unlock()
	if c.big {
		n = max(n, c.size+1)
	}
	if cap(buf) < n || cap(buf) == 0 {
		n = max(n, min(c.size+1, firstCap))
		buf = make([]byte, 0, n)
	}
	return buf[:0]
}

// put keeps buf for a later block, unless it grew much larger than a block
// around a long record: that memory goes back to the garbage collector.
func (c *Cutter) put(buf []byte) {
	if cap(buf) > max(4*c.size, 1<<20) {
		return
	}
	c.mu.Lock()
	c.free = append(c.free, buf)
	c.mu.Unlock()
}
