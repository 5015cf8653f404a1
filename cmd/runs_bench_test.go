package cmd

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/parmap/parmap/internal/runs"
)

// BenchmarkDetachedControl measures the control operations of a real
// detached run (the parmap binary, its supervisor, the socket) holding
// 1,000, 100,000 and 1,000,000 spooled records, two of them running:
//
//	go test ./cmd -run '^$' -bench DetachedControl -benchtime 2000x
//
// Each op reports its median and 99th percentile (ms), and the
// supervisor's resident memory (KiB) after the ops, which should not grow
// with the records.
func BenchmarkDetachedControl(b *testing.B) {
	bin := parmapBinary(b)
	for _, n := range []int{1000, 100000, 1000000} {
		b.Run(fmt.Sprintf("records=%d", n), func(b *testing.B) {
			dir := b.TempDir()
			in := filepath.Join(dir, "in")
			writeLines(b, in, n)
			parent := filepath.Join(dir, "runs")
			detach := exec.Command(bin, "--detach", "--run-dir", parent, "--id", "bench", "-j2", "sleep", "3600")
			f, err := os.Open(in)
			if err != nil {
				b.Fatal(err)
			}
			detach.Stdin = f
			if out, err := detach.CombinedOutput(); err != nil {
				b.Fatalf("--detach: %v\n%s", err, out)
			}
			f.Close()
			// --set-jobs waits for the supervisor's socket.
			if out, err := exec.Command(bin, "--run-dir", parent, "--set-jobs", "bench", "2").CombinedOutput(); err != nil {
				b.Fatalf("--set-jobs: %v\n%s", err, out)
			}
			b.Cleanup(func() {
				exec.Command(bin, "--run-dir", parent, "--stop", "bench", "--now").Run()
				exec.Command(bin, "--run-dir", parent, "--wait", "bench").Run()
			})
			r, err := runs.Open(parent, "bench")
			if err != nil {
				b.Fatal(err)
			}
			c, err := runs.Dial(r.Dir)
			if err != nil {
				b.Fatal(err)
			}
			defer c.Close()
			ops := []struct {
				name string
				do   func() error
			}{
				{"status", func() error { _, err := c.Status(); return err }},
				{"pause", c.Pause},
				{"continue", c.Continue},
				{"set-jobs", func() error { return c.SetJobs(2) }},
				{"add", func() error { return c.Add([][]byte{[]byte("x")}) }},
			}
			took := make([][]time.Duration, len(ops))
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				for j, op := range ops {
					t0 := time.Now()
					if err := op.do(); err != nil {
						b.Fatalf("%s: %v", op.name, err)
					}
					took[j] = append(took[j], time.Since(t0))
				}
			}
			b.StopTimer()
			for j, op := range ops {
				slices.Sort(took[j])
				ms := func(q float64) float64 {
					return float64(took[j][int(q*float64(len(took[j])-1))]) / 1e6
				}
				b.ReportMetric(ms(0.5), op.name+"-p50-ms")
				b.ReportMetric(ms(0.99), op.name+"-p99-ms")
			}
			b.ReportMetric(0, "ns/op")
			if m, err := r.Meta(); err == nil {
				b.ReportMetric(float64(vmRSS(b, m.PID)), "supervisor-rss-KiB")
			}
		})
	}
}

// writeLines writes the numbers 1..n, one a line, to path.
func writeLines(b *testing.B, path string, n int) {
	f, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	w := bufio.NewWriter(f)
	for i := 1; i <= n; i++ {
		w.WriteString(strconv.Itoa(i))
		w.WriteByte('\n')
	}
	if err := w.Flush(); err != nil {
		b.Fatal(err)
	}
	f.Close()
}
