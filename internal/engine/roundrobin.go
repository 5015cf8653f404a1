package engine

import (
	"context"
	"io"
	"os"
	"sync/atomic"

	"github.com/parmap/parmap/exchange"
	"github.com/parmap/parmap/internal/blocks"
	"github.com/parmap/parmap/internal/records"
)

// dealBlocks is readBlocks for Pipe.RoundRobin (GNU parallel's
// --round-robin): up to Jobs jobs, the k-th started with the k-th block, and
// every later block dealt to their stdin in turn, block n to job (n-1) mod
// Jobs + 1, so a run's jobs get the same blocks every time. The header, if
// any, heads each job's input once. A job whose stdin closes early has the
// rest of its share dropped (as it would be by GNU parallel), never blocks
// the others.
func (r *run) dealBlocks(ctx context.Context, tasks chan<- exchange.Task, readErr *atomic.Pointer[error]) {
	cut := r.blocks.cut
	var shares []chan *blocks.Block
	defer func() {
		for _, ch := range shares {
			close(ch)
		}
	}()
	for n := 0; ; n++ {
		blk, err := cut.Next()
		if err == io.EOF {
			r.bar.InputDone()
			return
		}
		if err != nil {
			err = &ReadError{Err: err}
			readErr.Store(&err)
			return
		}
		if len(shares) < max(r.cfg.Jobs, 1) {
			ch := make(chan *blocks.Block, 1)
			ch <- blk
			shares = append(shares, ch)
			j := &job{r: r, rec: records.Record{Seq: int64(len(shares))}, feed: feedShare(ch)}
			r.bar.Add(1)
			select {
			case tasks <- j:
			case <-ctx.Done():
				return
			}
			continue
		}
		blk.Header = nil // once per job, with its first block
		select {
		case shares[n%len(shares)] <- blk:
		case <-ctx.Done():
			blk.Release()
			return
		}
	}
}

// feedShare writes the blocks dealt to one job to its stdin until the input
// ends; after a failed write it goes on taking (and dropping) its share, so
// that dealing never waits on a job that is gone.
func feedShare(share <-chan *blocks.Block) func(w *os.File) (int64, error) {
	return func(w *os.File) (int64, error) {
		blocks.GrowPipe(w, pipeBuffer)
		var n int64
		var werr error
		for blk := range share {
			if werr == nil {
				var m int64
				m, werr = blk.WriteTo(w)
				n += m
			}
			blk.Release()
		}
		return n, werr
	}
}
