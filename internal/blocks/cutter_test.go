package blocks

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
	"testing/iotest"
)

// cases are cut the same by reference, Cutter and Ranges.
var cases = []struct {
	name   string
	in     string
	size   int
	delim  byte
	header int
	hdr    string
	blocks []string
}{
	{"empty", "", 4, '\n', 0, "", nil},
	{"empty with header", "", 4, '\n', 2, "", nil},
	{"fits", "a\nb\n", 4, '\n', 0, "", []string{"a\nb\n"}},
	{"delimiter at exact size", "abc\ndef\n", 4, '\n', 0, "", []string{"abc\n", "def\n"}},
	{"delimiter just past size", "abcd\nef\n", 4, '\n', 0, "", []string{"abcd\n", "ef\n"}},
	{"cut at last delimiter", "a\nb\ncd\n", 5, '\n', 0, "", []string{"a\nb\n", "cd\n"}},
	{"record longer than block", "a\nbcdefgh\ni\n", 3, '\n', 0, "", []string{"a\n", "bcdefgh\n", "i\n"}},
	{"unterminated last record", "ab\ncd", 3, '\n', 0, "", []string{"ab\n", "cd"}},
	{"unterminated long record", "abcdefg", 3, '\n', 0, "", []string{"abcdefg"}},
	{"rest of exactly size", "a\nbc", 4, '\n', 0, "", []string{"a\nbc"}},
	{"rest of size plus one", "a\nbcd", 4, '\n', 0, "", []string{"a\n", "bcd"}},
	{"only a header", "h\n", 4, '\n', 1, "h\n", nil},
	{"header larger than input", "h1\nh2", 4, '\n', 3, "h1\nh2", nil},
	{"header then blocks", "h\na\nb\nc\n", 4, '\n', 1, "h\n", []string{"a\nb\n", "c\n"}},
	{"two header records", "h1\nh2\nx\n", 2, '\n', 2, "h1\nh2\n", []string{"x\n"}},
	{"NUL delimiter", "a\x00b\nc\x00d\x00", 4, 0, 0, "", []string{"a\x00", "b\nc\x00", "d\x00"}},
	{"NUL header", "h\x00a\x00", 1, 0, 1, "h\x00", []string{"a\x00"}},
	{"binary bytes", "\xff\x00\n\xfe\n\x80", 3, '\n', 0, "", []string{"\xff\x00\n", "\xfe\n\x80"}},
	{"block size 1", "a\nbb\n\nc", 1, '\n', 0, "", []string{"a\n", "bb\n", "\n", "c"}},
	{"empty records", "\n\n\n\n\n", 2, '\n', 0, "", []string{"\n\n", "\n\n", "\n"}},
	{"comma records", "a,b,c,", 2, ',', 0, "", []string{"a,", "b,", "c,"}},
	{"no delimiter after header", "h\nabcdef", 2, '\n', 1, "h\n", []string{"abcdef"}},
}

// reference cuts data by the package's rule, plainly.
func reference(data []byte, size int, delim byte, header int) (hdr []byte, blocks [][]byte) {
	size = max(size, 1)
	h := 0
	for ; header > 0 && h < len(data); header-- {
		i := bytes.IndexByte(data[h:], delim)
		if i < 0 {
			h = len(data)
			break
		}
		h += i + 1
	}
	rest := data[h:]
	for len(rest) > 0 {
		cut := len(rest)
		if len(rest) > size {
			if i := bytes.LastIndexByte(rest[:size], delim); i >= 0 {
				cut = i + 1
			} else if i := bytes.IndexByte(rest[size:], delim); i >= 0 {
				cut = size + i + 1
			}
		}
		blocks = append(blocks, rest[:cut])
		rest = rest[cut:]
	}
	return data[:h], blocks
}

// readers give the same bytes in differently sized reads.
var readers = map[string]func([]byte) io.Reader{
	"whole":   func(b []byte) io.Reader { return bytes.NewReader(b) },
	"onebyte": func(b []byte) io.Reader { return iotest.OneByteReader(bytes.NewReader(b)) },
	"half":    func(b []byte) io.Reader { return iotest.HalfReader(bytes.NewReader(b)) },
	"dataerr": func(b []byte) io.Reader { return iotest.DataErrReader(bytes.NewReader(b)) },
}

func TestReference(t *testing.T) {
	for _, tt := range cases {
		hdr, blocks := reference([]byte(tt.in), tt.size, tt.delim, tt.header)
		if string(hdr) != tt.hdr || !equal(blocks, tt.blocks) {
			t.Errorf("%s: reference gives %q %q, want %q %q", tt.name, hdr, blocks, tt.hdr, tt.blocks)
		}
	}
}

func TestCutter(t *testing.T) {
	for _, tt := range cases {
		for name, reader := range readers {
			c := NewCutter(reader([]byte(tt.in)), tt.size, tt.delim, tt.header)
			hdr, blocks, err := cutAll(c)
			if err != nil {
				t.Fatalf("%s, %s reads: %v", tt.name, name, err)
			}
			if string(hdr) != tt.hdr || !equal(blocks, tt.blocks) {
				t.Errorf("%s, %s reads: got %q %q, want %q %q", tt.name, name, hdr, blocks, tt.hdr, tt.blocks)
			}
		}
	}
}

// cutAll returns the header and the blocks' data, each a copy; every block is
// released at once, so its buffer serves the next.
func cutAll(c *Cutter) (hdr []byte, blocks [][]byte, err error) {
	for seq := int64(1); ; seq++ {
		b, err := c.Next()
		if err == io.EOF {
			return c.Header(), blocks, nil
		}
		if err != nil {
			return nil, nil, err
		}
		if b.Seq != seq || !bytes.Equal(b.Header, c.Header()) {
			return nil, nil, errors.New("blocks out of sequence, or with a wrong header")
		}
		blocks = append(blocks, bytes.Clone(b.Data))
		b.Release()
	}
}

func equal(got [][]byte, want []string) bool {
	if len(got) != len(want) {
		return false
	}
	for i := range got {
		if string(got[i]) != want[i] {
			return false
		}
	}
	return true
}

// TestCutterHeld checks that blocks kept while later ones are cut keep their
// bytes, and that released buffers are used again.
func TestCutterHeld(t *testing.T) {
	in := strings.Repeat("0123456\n", 1000)
	c := NewCutter(strings.NewReader(in), 100, '\n', 0)
	var held []*Block
	var got strings.Builder
	var reused bool
	for {
		b, err := c.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		for _, h := range held {
			if &h.buf[0] == &b.buf[0] {
				t.Fatalf("block %d shares a buffer with held block %d", b.Seq, h.Seq)
			}
		}
		if len(held) == 3 {
			h := held[0]
			if string(h.Data) != in[:len(h.Data)] { // every block is the same lines
				t.Fatalf("held block %d changed: %q", h.Seq, h.Data)
			}
			got.Write(h.Data)
			held[0].Release()
			held[0].Release() // twice does nothing
			held = held[1:]
			if len(c.free) != 1 {
				t.Fatalf("%d free buffers after a release", len(c.free))
			}
			reused = true
		}
		held = append(held, b)
	}
	for _, h := range held {
		got.Write(h.Data)
	}
	if got.String() != in || !reused {
		t.Fatalf("blocks joined differ from the input (reused %v)", reused)
	}
}

// TestCutterAllocs checks that cutting, once warm, allocates one Block a block.
func TestCutterAllocs(t *testing.T) {
	line := []byte("some record of a few bytes\n")
	c := NewCutter(&repeat{b: line}, 1000, '\n', 0)
	next := func() {
		b, err := c.Next()
		if err != nil {
			t.Fatal(err)
		}
		b.Release()
	}
	next()
	if n := testing.AllocsPerRun(100, next); n > 1 {
		t.Errorf("%v allocations a block, want at most 1", n)
	}
}

// repeat reads b over and over, forever.
type repeat struct {
	b   []byte
	off int
}

func (r *repeat) Read(p []byte) (int, error) {
	if len(r.b) == 0 {
		return 0, nil
	}
	n := 0
	for n < len(p) {
		k := copy(p[n:], r.b[r.off:])
		n += k
		r.off = (r.off + k) % len(r.b)
	}
	return n, nil
}

func TestCutterErrors(t *testing.T) {
	// A read error is returned, and again after; the block it cut short is not.
	c := NewCutter(iotest.TimeoutReader(strings.NewReader("a\nb\nc\n")), 100, '\n', 0)
	for range 2 {
		if b, err := c.Next(); err != iotest.ErrTimeout {
			t.Fatalf("Next = %v, %v; want %v", b, err, iotest.ErrTimeout)
		}
	}
	// The blocks before it come first.
	c = NewCutter(io.MultiReader(strings.NewReader("a\nb\n"), iotest.ErrReader(iotest.ErrTimeout)), 1, '\n', 0)
	for _, want := range []string{"a\n", "b\n"} {
		if b, err := c.Next(); err != nil || string(b.Data) != want {
			t.Fatalf("Next = %v, %v; want %q", b, err, want)
		}
	}
	if _, err := c.Next(); err != iotest.ErrTimeout {
		t.Fatalf("Next after the good blocks: %v, want %v", err, iotest.ErrTimeout)
	}
	// An error in the header.
	c = NewCutter(iotest.TimeoutReader(strings.NewReader("header\nx\n")), 3, '\n', 2)
	if _, err := c.Next(); err != iotest.ErrTimeout {
		t.Fatalf("Next with a failing header: %v, want %v", err, iotest.ErrTimeout)
	}
	// A reader that never gives anything.
	c = NewCutter(&repeat{b: nil}, 3, '\n', 0)
	if _, err := c.Next(); err != io.ErrNoProgress {
		t.Fatalf("Next of an empty reader: %v, want %v", err, io.ErrNoProgress)
	}
}

// TestCutterHuge checks that a huge block size costs memory only as the
// input comes.
func TestCutterHuge(t *testing.T) {
	c := NewCutter(strings.NewReader("a\nb\n"), 1<<50, '\n', 0)
	b, err := c.Next()
	if err != nil || string(b.Data) != "a\nb\n" || cap(b.buf) > firstCap {
		t.Fatalf("Next = %q, %v, in a buffer of %d bytes", b.Data, err, cap(b.buf))
	}
	if _, err := c.Next(); err != io.EOF {
		t.Fatalf("Next after the only block: %v", err)
	}
}

// TestCutterReadAhead checks that a Cutter reads at most a block ahead.
func TestCutterReadAhead(t *testing.T) {
	for _, size := range []int{1, 10, 100 << 10} {
		in := bytes.Repeat([]byte("a line of text\nand a much longer line of text than the first\n"), 1<<14)
		r := &counter{r: bytes.NewReader(in)}
		c := NewCutter(r, size, '\n', 1)
		var seen int
		for {
			b, err := c.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
			seen += len(b.Data)
			if ahead := r.n - seen - len(b.Header); ahead > max(size, growStep)+1 {
				t.Fatalf("size %d: read %d bytes ahead of block %d", size, ahead, b.Seq)
			}
			b.Release()
		}
	}
}

type counter struct {
	r io.Reader
	n int
}

func (c *counter) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += n
	return n, err
}
