package cmd

import (
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/parmap/parmap/internal/blocks"
	"github.com/parmap/parmap/internal/records"
)

// pipeOptions are the --pipe and --pipepart settings.
type pipeOptions struct {
	on     bool   // --pipe or --pipepart
	part   bool   // --pipepart: byte ranges of a file
	file   string // -a FILE; "" for standard input (--pipe only)
	block  int64  // --block
	header int    // --header N: lines repeated at the head of every block
}

// defaultBlock is --block's default, as GNU parallel's.
const defaultBlock = 1 << 20

// pipeBuffer is the size asked for the pipes that feed blocks to jobs:
// larger than the default 64 KiB, it halves the cost of moving a block.
const pipeBuffer = 1 << 20

// parsePipe reads --pipe, --pipepart, --block and a numeric --header.
func (p *plan) parsePipe(c *cli.Context, tail []string) error {
	p.pipe = pipeOptions{on: c.Bool("pipe") || c.Bool("pipepart"), part: c.Bool("pipepart"), block: defaultBlock}
	if !p.pipe.on {
		if c.IsSet("block") {
			return usagef("--block sets the block size of --pipe and --pipepart; add one of them")
		}
		return nil
	}
	mode := "--pipe"
	if p.pipe.part {
		mode = "--pipepart"
	}
	if c.IsSet("block") {
		n, err := parseSize(c.String("block"))
		if err != nil || n < 1 {
			return usagef("--block %q: give a size in bytes, 1 or more, with an optional K, M or G (powers of 1024; k, m, g for powers of 1000), e.g. --block 10M", c.String("block"))
		}
		p.pipe.block = n
	}
	if h := c.String("header"); c.IsSet("header") && h != ":" {
		n, err := strconv.Atoi(h)
		if err != nil || n < 0 {
			return usagef("--header %q: give the number of header lines to repeat at the head of every block, e.g. --header 1", h)
		}
		p.pipe.header = n
	}
	files := c.StringSlice("arg-file")
	for _, a := range tail {
		if a == ":::" || a == "::::" {
			return usagef("%s reads standard input or one -a FILE; %s does not apply", mode, a)
		}
	}
	switch {
	case len(files) > 1:
		return usagef("%s reads one input; give a single -a FILE", mode)
	case len(files) == 1 && files[0] != "-":
		p.pipe.file = files[0]
	}
	switch {
	case c.Bool("reuse"):
		return usagef("%s and --reuse exclude each other: blocks go to a new job each", mode)
	case c.IsSet("max-args") || c.Bool("xargs") || c.IsSet("colsep") || c.Bool("link") || c.String("header") == ":":
		return usagef("%s feeds blocks of records to each job's stdin; -n, -X, --colsep, --link and --header : do not apply", mode)
	case c.Bool("resume"):
		return usagef("%s cannot be used with --resume: blocks are not matched across runs", mode)
	}
	if !p.pipe.part {
		return nil
	}
	if p.pipe.file == "" {
		return usagef("--pipepart needs -a FILE, a regular file: each job reads its own byte range, which standard input cannot give")
	}
	st, err := os.Stat(p.pipe.file)
	switch {
	case err != nil:
		return usagef("-a %s: %v", p.pipe.file, describeFileErr(err))
	case !st.Mode().IsRegular():
		return usagef("--pipepart -a %s: not a regular file; use --pipe for pipes and devices", p.pipe.file)
	}
	return nil
}

// describeFileErr words an error opening a file without Go's op and path.
func describeFileErr(err error) string {
	if pe, ok := err.(*os.PathError); ok {
		err = pe.Err
	}
	return err.Error()
}

// parseSize reads a byte count with an optional unit: K, M, G, T for powers
// of 1024 and k, m, g, t for powers of 1000, as GNU parallel's --block.
func parseSize(s string) (int64, error) {
	mult := int64(1)
	if n := len(s); n > 0 {
		if i := strings.IndexByte("KMGT", s[n-1]); i >= 0 {
			mult, s = int64(1)<<(10*(i+1)), s[:n-1]
		} else if i := strings.IndexByte("kmgt", s[n-1]); i >= 0 {
			mult, s = 1, s[:n-1]
			for range i + 1 {
				mult *= 1000
			}
		}
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || f < 0 || f*float64(mult) > 1<<50 {
		return 0, fmt.Errorf("bad size %q", s)
	}
	return int64(f * float64(mult)), nil
}

// blockSource hands out the jobs of pipe mode, one block each.
type blockSource struct {
	cut    *blocks.Cutter // --pipe
	parts  *blocks.Ranges // --pipepart
	file   *os.File       // the input file, when there is one
	header []byte         // --pipepart: the header records' bytes
}

// openBlocks opens the input of pipe mode.
func (p *plan) openBlocks(stdin io.Reader) (*blockSource, error) {
	o := p.pipe
	src := &blockSource{}
	if o.file != "" {
		f, err := os.Open(o.file)
		if err != nil {
			return nil, fmt.Errorf("-a %s: %s", o.file, describeFileErr(err))
		}
		src.file = f
		stdin = f
	}
	if !o.part {
		src.cut = blocks.NewCutter(stdin, int(o.block), p.recordOpt.Delim, o.header)
		return src, nil
	}
	r, err := blocks.NewRanges(src.file, o.block, p.recordOpt.Delim, o.header)
	if err != nil {
		src.close()
		return nil, fmt.Errorf("--pipepart -a %s: %s", o.file, describeFileErr(err))
	}
	src.parts = r
	if h := r.Header(); h.Len() > 0 {
		src.header = make([]byte, h.Len())
		if _, err := src.file.ReadAt(src.header, h.Start); err != nil {
			src.close()
			return nil, fmt.Errorf("--pipepart -a %s: reading its header: %s", o.file, describeFileErr(err))
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
func (b *blockSource) next(s *session) (*job, error) {
	if b.cut != nil {
		blk, err := b.cut.Next()
		if err != nil {
			return nil, err
		}
		j := &job{s: s, rec: records.Record{Seq: blk.Seq}, release: blk.Release}
		j.feed = func(w *os.File) (int64, error) {
			blocks.GrowPipe(w, pipeBuffer)
			return blk.WriteTo(w)
		}
		return j, nil
	}
	r, err := b.parts.Next()
	if err != nil {
		return nil, err
	}
	j := &job{s: s, rec: records.Record{Seq: r.Seq}}
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
		err := blocks.FeedRange(w, b.file, r.Start, r.End)
		if err == nil {
			n += r.Len()
		}
		return n, err
	}
	return j, nil
}
