package engine

import (
	"context"
	"io"
	"os"
	"sync"
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
// rest of its share dropped (as GNU parallel would lose it), and never
// blocks the others. Once the run starts no more jobs (quit: a signal, a
// halt, SIGHUP's drain), no more blocks are dealt and the jobs' stdin is
// closed, as --pipe starts no more blocks then.
func (r *run) dealBlocks(ctx context.Context, quit <-chan struct{}, tasks chan<- exchange.Task, readErr *atomic.Pointer[error]) {
	cut := r.blocks.cut
	var shares []share
	defer func() {
		for _, sh := range shares {
			close(sh.blocks)
		}
	}()
	for n := 0; ; n++ {
		blk, err := cut.Next()
		if err == io.EOF {
			r.inputDone()
			return
		}
		if err != nil {
			err = &ReadError{Err: err}
			readErr.Store(&err)
			return
		}
		if len(shares) < max(r.cfg.Jobs, 1) {
			sh := share{blocks: make(chan *blocks.Block, 1), gone: make(chan struct{}), once: new(sync.Once)}
			sh.blocks <- blk
			shares = append(shares, sh)
			j := &job{r: r, rec: records.Record{Seq: int64(len(shares))}, feed: sh.feed(quit)}
			r.readOne()
			select {
			case tasks <- j:
			case <-ctx.Done():
				return
			}
			continue
		}
		blk.Header = nil // once per job, with its first block
		sh := shares[n%len(shares)]
		select {
		case sh.blocks <- blk:
		case <-sh.gone:
			blk.Release()
		case <-quit:
			blk.Release()
			return
		case <-ctx.Done():
			blk.Release()
			return
		}
	}
}

// share is the blocks dealt to one job of --round-robin.
type share struct {
	blocks chan *blocks.Block // closed at the end of the input
	gone   chan struct{}      // closed when the job's stdin is closed
	once   *sync.Once         // closes gone
}

// feed writes the share's blocks to the job's stdin until the input ends,
// a write fails (the job is gone or closed its stdin) or quit is closed.
func (sh share) feed(quit <-chan struct{}) func(w *os.File) (int64, error) {
	return func(w *os.File) (int64, error) {
		defer sh.once.Do(func() { close(sh.gone) })
		blocks.GrowPipe(w, pipeBuffer)
		var n int64
		for {
			select {
			case blk, ok := <-sh.blocks:
				if !ok {
					return n, nil
				}
				m, err := blk.WriteTo(w)
				n += m
				blk.Release()
				if err != nil {
					return n, err
				}
			case <-quit:
				return n, nil
			}
		}
	}
}
