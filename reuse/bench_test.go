package reuse

import (
	"context"
	"os/exec"
	"strconv"
	"sync/atomic"
	"testing"

	"github.com/parmap/parmap/channel"
)

// BenchmarkLockstep and BenchmarkWindow64 send b.N records through two cat
// workers, one record in flight per worker and 64: the time per record is
// the pool's overhead plus a pipe round trip (lock-step) or a share of one
// (windowed).
func BenchmarkLockstep(b *testing.B) { benchPool(b, 1) }
func BenchmarkWindow64(b *testing.B) { benchPool(b, 64) }

func benchPool(b *testing.B, window int) {
	path, err := exec.LookPath("cat")
	if err != nil {
		b.Skip("no cat")
	}
	opt := Options{Workers: 2, Window: window, Command: func(int) (channel.Spec, error) {
		return channel.Spec{Path: path, Argv: []string{"cat"}}, nil
	}}
	inputs := make([]string, 1000)
	for i := range inputs {
		inputs[i] = strconv.Itoa(i)
	}
	in := NewInput(max(256, 2*2*window), 16<<20)
	n := b.N
	go func() {
		defer in.Close()
		for i := range n {
			in.Put(context.Background(), &Request{Seq: int64(i + 1), Input: inputs[i%len(inputs)]})
		}
	}()
	var answered atomic.Int64
	b.ResetTimer()
	sum := Run(context.Background(), opt, in, func(a Answer) { answered.Add(1) })
	if sum.Done != int64(n) || answered.Load() != int64(n) {
		b.Fatalf("%d of %d records answered", answered.Load(), n)
	}
}
