package cmd

import (
	"context"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/parmap/parmap/internal/testbed/slurmtest"
)

// TestSlurmAgentSpeed measures, in one allocation of the real Slurm test
// bed (2 CPUs), 2,000 x true run by local parmap and through --slurm's
// agent, alternately, rounds times, and 200 x true through
// --slurm-steps once. It reports the rates; it fails only when the agents
// are not 10 x faster than a step per job (their median round against the
// steps). Slow and sensitive to the
// machine's load: it runs only with PARMAP_SLURM_SPEED=1.
//
//	PARMAP_SLURM_SPEED=1 go test ./cmd -run TestSlurmAgentSpeed -v
func TestSlurmAgentSpeed(t *testing.T) {
	if os.Getenv("PARMAP_SLURM_SPEED") != "1" {
		t.Skip("set PARMAP_SLURM_SPEED=1 to measure")
	}
	bin := parmapBinary(t)
	c := slurmtest.New(t)
	dir := t.TempDir()
	script := `t() { s=$(date +%s%N); "$@" > /dev/null || exit 1; e=$(date +%s%N); echo $(( (e - s) / 1000 )); }
seq 2000 > in2000; seq 200 > in200
for i in $(seq 5); do echo "local $(t parmap true :::: in2000) agents $(t parmap --slurm true :::: in2000)"; done
echo "steps $(t parmap --slurm-steps true :::: in200)"
`
	os.WriteFile(filepath.Join(dir, "bench.sh"), []byte(script), 0o755)
	os.Symlink(bin, filepath.Join(dir, "parmap"))
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	cmd := c.Command(ctx, "salloc", "-n2", "sh", "bench.sh")
	cmd.Dir = dir
	cmd.Env = append(cmd.Env, "PATH="+dir+":"+os.Getenv("PATH"))
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	rate := func(n int, us string) float64 {
		v, _ := strconv.ParseFloat(us, 64)
		return float64(n) / (v / 1e6)
	}
	var ratios, agents []float64
	var steps float64
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		f := strings.Fields(line)
		switch f[0] {
		case "local":
			l, a := rate(2000, f[1]), rate(2000, f[3])
			ratios = append(ratios, l/a)
			agents = append(agents, a)
			t.Logf("2000 x true: local %.0f jobs/s, --slurm agents %.0f jobs/s: local/agents %.2f", l, a, l/a)
		case "steps":
			steps = rate(200, f[1])
			t.Logf("200 x true: --slurm-steps %.0f jobs/s", steps)
		}
	}
	sort.Float64s(ratios)
	sort.Float64s(agents)
	med := agents[len(agents)/2]
	t.Logf("median: local/agents %.2f; agents %.0f jobs/s = %.1f x --slurm-steps", ratios[len(ratios)/2], med, med/steps)
	if med < 10*steps {
		t.Errorf("agents at %.0f jobs/s, not 10 x --slurm-steps' %.0f", med, steps)
	}
}
