package blocks

import (
	"bytes"
	"io"
	"testing"
)

func addSeeds(f *testing.F) {
	for _, tt := range cases {
		f.Add([]byte(tt.in), uint8(tt.size), tt.delim, uint8(tt.header), uint8(0))
	}
	f.Add([]byte("h\nlong record here\nx\ny\nz"), uint8(3), byte('\n'), uint8(1), uint8(5))
	f.Add(bytes.Repeat([]byte("ab\x00c"), 100), uint8(7), byte(0), uint8(2), uint8(3))
}

// FuzzCutter checks a Cutter against the package's rule, read in chunks of
// varied sizes, with some blocks held while later ones are cut.
func FuzzCutter(f *testing.F) {
	addSeeds(f)
	f.Fuzz(func(t *testing.T, data []byte, size uint8, delim byte, header, chunk uint8) {
		wantHdr, want := reference(data, int(size), delim, int(header))
		checkCut(t, data, int(size), delim, int(header), wantHdr, want)
		c := NewCutter(&chunks{data: data, step: int(chunk)}, int(size), delim, int(header))
		var held []*Block
		var got [][]byte
		for {
			b, err := c.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
			if b.Seq != int64(len(got)+1) || !bytes.Equal(b.Header, wantHdr) {
				t.Fatalf("block %d has Seq %d, header %q", len(got)+1, b.Seq, b.Header)
			}
			got = append(got, bytes.Clone(b.Data))
			if b.Seq%2 == 0 {
				b.Release()
			} else {
				held = append(held, b)
			}
		}
		if !bytes.Equal(c.Header(), wantHdr) {
			t.Fatalf("header %q, want %q", c.Header(), wantHdr)
		}
		if !equalBytes(got, want) {
			t.Fatalf("blocks %q, want %q", got, want)
		}
		for _, b := range held {
			if !bytes.Equal(b.Data, got[b.Seq-1]) {
				t.Fatalf("held block %d changed to %q", b.Seq, b.Data)
			}
		}
	})
}

// FuzzRanges checks Ranges against the package's rule, with small windows.
func FuzzRanges(f *testing.F) {
	addSeeds(f)
	file := tempFile(f, nil)
	f.Fuzz(func(t *testing.T, data []byte, size uint8, delim byte, header, win uint8) {
		write(t, file, data)
		hdr, got, err := rangeAll(file, int64(size), delim, int(header), 1+int(win)%8)
		if err != nil {
			t.Fatal(err)
		}
		wantHdr, want := reference(data, int(size), delim, int(header))
		if !bytes.Equal(hdr, wantHdr) || !equalBytes(got, want) {
			t.Fatalf("got %q %q, want %q %q", hdr, got, wantHdr, want)
		}
	})
}

// checkCut checks the reference's cut of data by the properties asked of
// every cut: the header is the first records; the blocks joined are the rest;
// every block but the last ends with the delimiter, so no record is split; a
// block longer than size holds one record.
func checkCut(t *testing.T, data []byte, size int, delim byte, header int, hdr []byte, blocks [][]byte) {
	t.Helper()
	records := bytes.SplitAfter(data, []byte{delim})
	if len(records[len(records)-1]) == 0 {
		records = records[:len(records)-1]
	}
	if n := min(header, len(records)); !bytes.Equal(hdr, bytes.Join(records[:n], nil)) {
		t.Fatalf("header %q is not the first %d records of %q", hdr, header, data)
	}
	if joined := bytes.Join(blocks, nil); !bytes.Equal(append(bytes.Clone(hdr), joined...), data) {
		t.Fatalf("header and blocks joined %q, want %q", joined, data)
	}
	for i, b := range blocks {
		if len(b) == 0 {
			t.Fatalf("block %d is empty", i+1)
		}
		if i < len(blocks)-1 && b[len(b)-1] != delim {
			t.Fatalf("block %d of %d, %q, does not end with the delimiter", i+1, len(blocks), b)
		}
		if j := bytes.IndexByte(b, delim); len(b) > max(size, 1) && j >= 0 && j < len(b)-1 {
			t.Fatalf("block %d, %q, is longer than %d but holds more than one record", i+1, b, size)
		}
	}
}

func equalBytes(a, b [][]byte) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if !bytes.Equal(a[i], b[i]) {
			return false
		}
	}
	return true
}

// chunks reads data in reads of 1, 2, … step bytes, over and over.
type chunks struct {
	data []byte
	step int
	n    int
}

func (c *chunks) Read(p []byte) (int, error) {
	if len(c.data) == 0 {
		return 0, io.EOF
	}
	c.n++
	k := len(p)
	if c.step > 0 {
		k = min(k, 1+c.n%c.step)
	}
	k = copy(p[:k], c.data)
	c.data = c.data[k:]
	return k, nil
}
