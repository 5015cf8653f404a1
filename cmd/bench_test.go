package cmd

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// benchRun runs parmap in-process on n records of stdin with the given
// arguments, output to /dev/null.
func benchRun(b *testing.B, n int, args ...string) {
	b.Helper()
	var in strings.Builder
	for i := 1; i <= n; i++ {
		in.WriteString(strconv.Itoa(i))
		in.WriteByte('\n')
	}
	path := filepath.Join(b.TempDir(), "in")
	if err := os.WriteFile(path, []byte(in.String()), 0o644); err != nil {
		b.Fatal(err)
	}
	devnull, _ := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
	defer devnull.Close()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		stdin, _ := os.Open(path)
		if st := run(append([]string{"parmap", "--no-bar"}, args...), stdin, devnull, os.Stderr); st != 0 {
			b.Fatalf("status %d", st)
		}
		stdin.Close()
	}
	b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "jobs/s")
}

// The spawn-bound cases of ../shared/bench scenarios 1a and 1c.
func BenchmarkTrue(b *testing.B)          { benchRun(b, 500, "-j2", "true") }
func BenchmarkEchoKeepOrder(b *testing.B) { benchRun(b, 500, "-j2", "-k", "echo", "{}") }
