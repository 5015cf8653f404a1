package engine

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/parmap/parmap/internal/records"
)

// BenchmarkControlStatus measures Status on a live run that has run n
// records (a dry run of n records, then waiting on a Feed): it costs the
// same whatever n, far below the 10 ms a control operation may take.
func BenchmarkControlStatus(b *testing.B) {
	for _, n := range []int{1_000, 100_000, 1_000_000} {
		b.Run(fmt.Sprintf("records=%d", n), func(b *testing.B) {
			values := make([]string, n)
			for i := range values {
				values[i] = strconv.Itoa(i)
			}
			cfg := config(b, []string{"true", "{}"})
			cfg.DryRun, cfg.Jobs = true, 4
			f := records.NewFeed()
			cfg.Sources = []records.Source{records.List(values).Then(f)}
			null, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
			if err != nil {
				b.Fatal(err)
			}
			defer null.Close()
			ctl := NewControl()
			sums := make(chan Summary, 1)
			go func() { sums <- Run(context.Background(), cfg, Streams{Stdout: null, Stderr: null, Control: ctl}) }()
			deadline := time.Now().Add(10 * time.Minute)
			for ctl.Status().Done < int64(n) {
				if time.Now().After(deadline) {
					b.Fatalf("the run did not get through %d records: %+v", n, ctl.Status())
				}
				time.Sleep(10 * time.Millisecond)
			}
			b.ResetTimer()
			var worst time.Duration
			for i := 0; i < b.N; i++ {
				start := time.Now()
				s := ctl.Status()
				if d := time.Since(start); d > worst {
					worst = d
				}
				if s.Done != int64(n) || s.Total != int64(n) || s.State != Running {
					b.Fatalf("status %+v", s)
				}
			}
			b.StopTimer()
			// The worst single call also counts the machine's other work
			// (the scheduler, the GC): it is reported, the mean is bound.
			b.ReportMetric(float64(worst.Nanoseconds()), "worst-ns")
			if mean := b.Elapsed() / time.Duration(b.N); mean > time.Millisecond {
				b.Errorf("a Status took %v on average", mean)
			}
			f.Close()
			if sum := <-sums; sum.Done != int64(n) {
				b.Errorf("summary %+v", sum)
			}
		})
	}
}
