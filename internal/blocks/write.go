package blocks

import (
	"io"
	"os"
	"unsafe"
)

// WriteTo writes the block, header then data, to w. To an *os.File, such as
// the pipe to a job's stdin, it waits for room in the runtime poller, holding
// no OS thread, and obeys the file's write deadline; if the reader has gone
// away it returns at once, with the count written so far and an error
// matching syscall.EPIPE (on stdout or stderr, Go's os package raises SIGPIPE
// instead).
//
// A pipe copies what is written to it a page at a time. The data goes in
// writes that copy whole pages from page-aligned addresses, a few more system
// calls than one writev(2) of header and data but twice as fast: one
// writev of a short header shifts the source of every page copy by the
// header's length, and a copy whose source sits just below its destination's
// offset in a page runs at half speed (BenchmarkWriteBlock).
func (b *Block) WriteTo(w io.Writer) (int64, error) {
	parts := [4][]byte{b.Header, b.Data}
	page := os.Getpagesize()
	if _, ok := w.(*os.File); ok && len(b.Data) >= 4*page {
		head := int(-uintptr(unsafe.Pointer(unsafe.SliceData(b.Data))) & uintptr(page-1))
		bulk := head + (len(b.Data)-head)&^(page-1)
		parts[1], parts[2], parts[3] = b.Data[:head], b.Data[head:bulk], b.Data[bulk:]
	}
	var n int64
	for _, p := range parts {
		if len(p) == 0 {
			continue
		}
		m, err := w.Write(p)
		n += int64(m)
		if err != nil {
			return n, err
		}
	}
	return n, nil
}
