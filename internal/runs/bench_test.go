package runs

import (
	"slices"
	"sync"
	"testing"
	"time"
)

// BenchmarkStatusRoundTrip is one status op over the control socket: a
// request line written, the handler called, the answer line read.
func BenchmarkStatusRoundTrip(b *testing.B) {
	r := serveRun(b, b.TempDir(), "bench", newFakeHandler())
	c := dialRun(b, r)
	var took []time.Duration
	for b.Loop() {
		t0 := time.Now()
		if _, err := c.Status(); err != nil {
			b.Fatal(err)
		}
		took = append(took, time.Since(t0))
	}
	reportPercentiles(b, took)
}

// reportPercentiles reports the 99th and 99.9th percentiles and the
// slowest of took, in µs: a shared machine's scheduling shows there.
func reportPercentiles(b *testing.B, took []time.Duration) {
	slices.Sort(took)
	at := func(q float64) float64 {
		return float64(took[int(q*float64(len(took)-1))]) / 1e3
	}
	b.ReportMetric(at(0.99), "p99-µs")
	b.ReportMetric(at(0.999), "p99.9-µs")
	b.ReportMetric(at(1), "max-µs")
}

// BenchmarkStatusDialAndRoundTrip is what one `parmap --status ID` costs
// the package: Dial (the ownership checks and connect), one status op, Close.
func BenchmarkStatusDialAndRoundTrip(b *testing.B) {
	r := serveRun(b, b.TempDir(), "bench", newFakeHandler())
	for b.Loop() {
		c, err := Dial(r.Dir)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := c.Status(); err != nil {
			b.Fatal(err)
		}
		c.Close()
	}
}

// BenchmarkStatusParallel is status round trips from many clients at once,
// each on its own connection.
func BenchmarkStatusParallel(b *testing.B) {
	r := serveRun(b, b.TempDir(), "bench", newFakeHandler())
	var mu sync.Mutex
	var took []time.Duration
	b.SetParallelism(8)
	b.RunParallel(func(pb *testing.PB) {
		c, err := Dial(r.Dir)
		if err != nil {
			b.Error(err)
			return
		}
		defer c.Close()
		var mine []time.Duration
		for pb.Next() {
			t0 := time.Now()
			if _, err := c.Status(); err != nil {
				b.Error(err)
				return
			}
			mine = append(mine, time.Since(t0))
		}
		mu.Lock()
		took = append(took, mine...)
		mu.Unlock()
	})
	reportPercentiles(b, took)
}
