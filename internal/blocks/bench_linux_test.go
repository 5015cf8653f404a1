package blocks

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"os/exec"
	"testing"

	"golang.org/x/sys/unix"
)

// Run with
//
//	go test -run - -bench . -count 3 ./blocks
//
// The wc readers need wc on $PATH. The benchmarks share the machine with
// whatever else runs, so compare medians of several counts.

const (
	benchStream = 256 << 20 // bytes cut by BenchmarkCutter and fed by BenchmarkFeedRange
	benchBlock  = 10 << 20  // block size
)

// benchData returns n bytes of lines of 1 to 120 bytes.
func benchData(n int) []byte {
	var pat bytes.Buffer
	for i := 0; pat.Len() < 1<<20; i++ {
		pat.Write(bytes.Repeat([]byte{'a' + byte(i%26)}, i%120))
		pat.WriteByte('\n')
	}
	b := bytes.Repeat(pat.Bytes(), n/pat.Len()+1)
	return b[:n]
}

// BenchmarkCutter cuts 10 MiB blocks: "steady" from an endless stream in
// memory, each op one block; "file" all of a 256 MiB file in the page cache
// with a new Cutter each op, its buffers included; "read" only reads that
// file in 10 MiB reads, for comparison.
func BenchmarkCutter(b *testing.B) {
	data := benchData(benchStream)
	f := tempFile(b, data)
	b.Run("steady", func(b *testing.B) {
		c := NewCutter(&repeat{b: data}, benchBlock, '\n', 1)
		b.SetBytes(benchBlock)
		b.ReportAllocs()
		for b.Loop() {
			blk, err := c.Next()
			if err != nil {
				b.Fatal(err)
			}
			blk.Release()
		}
	})
	b.Run("file", func(b *testing.B) {
		b.SetBytes(benchStream)
		b.ReportAllocs()
		for b.Loop() {
			c := NewCutter(io.NewSectionReader(f, 0, benchStream), benchBlock, '\n', 1)
			for {
				blk, err := c.Next()
				if err == io.EOF {
					break
				}
				if err != nil {
					b.Fatal(err)
				}
				blk.Release()
			}
		}
	})
	b.Run("read", func(b *testing.B) {
		b.SetBytes(benchStream)
		buf := make([]byte, benchBlock)
		for b.Loop() {
			r := io.NewSectionReader(f, 0, benchStream)
			for {
				if _, err := io.ReadFull(r, buf); err != nil {
					break
				}
			}
		}
	})
}

// BenchmarkWriteBlock writes blocks of about 10 MiB with a 14-byte header,
// cut from a stream, into a pipe read by a goroutine that discards or by
// wc -l: with WriteTo (page-aligned writes), one writev of header and data,
// two writes, and vmsplice, which maps the pages into the pipe instead of
// copying them but so cannot let a buffer be used again until the reader has
// read it all.
func BenchmarkWriteBlock(b *testing.B) {
	data := append([]byte("id,name,value\n"), benchData(benchStream/4)...)
	var blks []*Block
	for c := NewCutter(bytes.NewReader(data), benchBlock, '\n', 1); ; {
		blk, err := c.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			b.Fatal(err)
		}
		blks = append(blks, blk)
	}
	blks = blks[:len(blks)-1] // the short last one
	ways := []struct {
		name  string
		write func(*os.File, *Block) error
	}{
		{"WriteTo", func(w *os.File, blk *Block) error { _, err := blk.WriteTo(w); return err }},
		{"writev", func(w *os.File, blk *Block) error { return writev(w, [][]byte{blk.Header, blk.Data}) }},
		{"write", func(w *os.File, blk *Block) error {
			if _, err := w.Write(blk.Header); err != nil {
				return err
			}
			_, err := w.Write(blk.Data)
			return err
		}},
		{"vmsplice", func(w *os.File, blk *Block) error { return vmsplice(w, [][]byte{blk.Header, blk.Data}) }},
	}
	for _, way := range ways {
		for _, reader := range []string{"discard", "wc"} {
			for _, pipe := range []int{0, 1 << 20} {
				b.Run(fmt.Sprintf("%s/%s/pipe=%dK", way.name, reader, pipe>>10), func(b *testing.B) {
					w := benchPipe(b, reader, pipe)
					b.SetBytes(benchBlock)
					b.ReportAllocs()
					i := 0
					for b.Loop() {
						if err := way.write(w, blks[i%len(blks)]); err != nil {
							b.Fatal(err)
						}
						i++
					}
				})
			}
		}
	}
}

// BenchmarkFeedRange feeds 10 MiB ranges of a 256 MiB file in the page cache
// into a pipe with splice, sendfile, and pread and write.
func BenchmarkFeedRange(b *testing.B) {
	f := tempFile(b, benchData(benchStream))
	ways := []struct {
		name string
		feed func(dst, src *os.File, off, end int64) error
	}{
		{"splice", func(dst, src *os.File, off, end int64) error { _, err := feed(dst, src, off, end, splice); return err }},
		{"sendfile", func(dst, src *os.File, off, end int64) error {
			_, err := feed(dst, src, off, end, sendfile)
			return err
		}},
		{"copy", func(dst, src *os.File, off, end int64) error { return copyRange(dst, src, off, end) }},
	}
	for _, way := range ways {
		for _, reader := range []string{"discard", "wc"} {
			for _, pipe := range []int{0, 1 << 20} {
				b.Run(fmt.Sprintf("%s/%s/pipe=%dK", way.name, reader, pipe>>10), func(b *testing.B) {
					w := benchPipe(b, reader, pipe)
					b.SetBytes(benchBlock)
					b.ReportAllocs()
					off := int64(0)
					for b.Loop() {
						if err := way.feed(w, f, off, off+benchBlock); err != nil {
							b.Fatal(err)
						}
						off = (off + benchBlock) % (benchStream - benchBlock)
					}
				})
			}
		}
	}
}

// benchPipe returns the write end of a pipe of size bytes (0: the system's
// default) read to its end by a goroutine that discards or by wc -l, which
// are waited for when the benchmark ends.
func benchPipe(b *testing.B, reader string, size int) *os.File {
	pr, pw, err := os.Pipe()
	if err != nil {
		b.Fatal(err)
	}
	if size > 0 {
		if _, err := GrowPipe(pw, size); err != nil {
			b.Fatal(err)
		}
	}
	done := make(chan error, 1)
	if reader == "wc" {
		cmd := exec.Command("wc", "-l")
		cmd.Stdin = pr
		if err := cmd.Start(); err != nil {
			b.Fatal(err)
		}
		pr.Close()
		go func() { done <- cmd.Wait() }()
	} else {
		go func() {
			buf := make([]byte, 1<<20)
			for {
				if _, err := pr.Read(buf); err != nil {
					pr.Close()
					done <- nil
					return
				}
			}
		}()
	}
	b.Cleanup(func() {
		pw.Close()
		if err := <-done; err != nil {
			b.Error(err)
		}
	})
	return pw
}

// sendfile is the mover FeedRange does not use.
func sendfile(dfd, sfd int, off *int64, n int, _ bool) (int, error) {
	return unix.Sendfile(dfd, sfd, off, n)
}

// writev writes bufs to the pipe f in writev(2) calls.
func writev(f *os.File, bufs [][]byte) error {
	return rawWrite(f, bufs, func(fd int, bufs [][]byte) (int, error) { return unix.Writev(fd, bufs) })
}

// vmsplice gives the pages of bufs to the pipe f, to be read from there.
func vmsplice(f *os.File, bufs [][]byte) error {
	return rawWrite(f, bufs, func(fd int, bufs [][]byte) (int, error) {
		iov := []unix.Iovec{{Base: &bufs[0][0]}}
		iov[0].SetLen(len(bufs[0]))
		return unix.Vmsplice(fd, iov, unix.SPLICE_F_NONBLOCK)
	})
}

// rawWrite writes bufs to the non-blocking pipe f with write, which writes
// from bufs, none empty, and returns how much it wrote.
func rawWrite(f *os.File, bufs [][]byte, write func(fd int, bufs [][]byte) (int, error)) error {
	rc, err := f.SyscallConn()
	if err != nil {
		return err
	}
	var werr error
	err = rc.Write(func(fd uintptr) bool {
		for len(bufs) > 0 {
			if len(bufs[0]) == 0 {
				bufs = bufs[1:]
				continue
			}
			n, e := write(int(fd), bufs)
			switch e {
			case nil:
			case unix.EINTR:
				continue
			case unix.EAGAIN:
				return false
			default:
				werr = e
				return true
			}
			for n > 0 {
				k := min(n, len(bufs[0]))
				bufs[0] = bufs[0][k:]
				n -= k
				if len(bufs[0]) == 0 {
					bufs = bufs[1:]
				}
			}
		}
		return true
	})
	if werr != nil {
		return werr
	}
	return err
}
