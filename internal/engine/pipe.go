package engine

import (
	"io"
	"os"

	"github.com/parmap/parmap/internal/blocks"
	"github.com/parmap/parmap/internal/records"
)

// pipeBuffer is the size asked for the pipes that feed blocks to jobs:
// larger than the default 64 KiB, it halves the cost of moving a block.
const pipeBuffer = 1 << 20

// blockSource hands out the jobs of pipe mode, one block each.
type blockSource struct {
	cut    *blocks.Cutter // --pipe
	parts  *blocks.Ranges // --pipepart
	file   *os.File       // the input file, when there is one
	header []byte         // --pipepart: the header records' bytes
}

// openBlocks opens the input of pipe mode.
func openBlocks(o *Pipe, delim byte, stdin io.Reader) (*blockSource, error) {
	src := &blockSource{}
	if o.File != "" {
		f, err := os.Open(o.File)
		if err != nil {
			return nil, &InputError{Path: o.File, Err: err}
		}
		src.file = f
		stdin = f
	}
	if !o.Ranges && o.Bounds != nil {
		src.cut = blocks.NewBoundedCutter(stdin, int(o.Block), *o.Bounds, o.Header)
		return src, nil
	}
	if !o.Ranges {
		src.cut = blocks.NewCutter(stdin, int(o.Block), delim, o.Header)
		return src, nil
	}
	var r *blocks.Ranges
	var err error
	if o.Bounds != nil {
		r, err = blocks.NewRangesBounds(src.file, o.Block, *o.Bounds, o.Header)
	} else {
		r, err = blocks.NewRanges(src.file, o.Block, delim, o.Header)
	}
	if err != nil {
		src.close()
		return nil, &InputError{Path: o.File, Ranges: true, Err: err}
	}
	src.parts = r
	if h := r.Header(); h.Len() > 0 {
		src.header = make([]byte, h.Len())
		if _, err := src.file.ReadAt(src.header, h.Start); err != nil {
			src.close()
			return nil, &InputError{Path: o.File, Ranges: true, Header: true, Err: err}
		}
	}
	return src, nil
}

func (b *blockSource) close() {
	if b.file != nil {
		b.file.Close()
	}
}

// next returns the job of the next block, or io.EOF.
func (b *blockSource) next(r *run) (*job, error) {
	if b.cut != nil {
		blk, err := b.cut.Next()
		if err != nil {
			return nil, err
		}
		j := &job{r: r, rec: records.Record{Seq: blk.Seq}, release: blk.Release}
		j.feed = func(w *os.File) (int64, error) {
			blocks.GrowPipe(w, pipeBuffer)
			return blk.WriteTo(w)
		}
		return j, nil
	}
	rg, err := b.parts.Next()
	if err != nil {
		return nil, err
	}
	j := &job{r: r, rec: records.Record{Seq: rg.Seq}}
	j.feed = func(w *os.File) (int64, error) {
		blocks.GrowPipe(w, pipeBuffer)
		var n int64
		if len(b.header) > 0 {
			m, err := w.Write(b.header)
			n += int64(m)
			if err != nil {
				return n, err
			}
		}
		err := blocks.FeedRange(w, b.file, rg.Start, rg.End)
		if err == nil {
			n += rg.Len()
		}
		return n, err
	}
	return j, nil
}
