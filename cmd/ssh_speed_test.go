package cmd

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/parmap/parmap/internal/testbed/sshtest"
)

// TestSSHAgentSpeed measures, on the ssh test bed's two network-namespace
// hosts (8 slots each), 2,000 x true through -S --agent and through plain
// -S (an ssh session per job), alternately, rounds times, in one run, and
// local parmap -j16 beside them. It reports the rates; it fails only when
// the agents are not 5 x faster than plain -S (median rounds). Slow and
// sensitive to the machine's load: it runs only with PARMAP_SSH_SPEED=1.
//
//	PARMAP_SSH_SPEED=1 go test ./cmd -run TestSSHAgentSpeed -v
func TestSSHAgentSpeed(t *testing.T) {
	if os.Getenv("PARMAP_SSH_SPEED") != "1" {
		t.Skip("set PARMAP_SSH_SPEED=1 to measure")
	}
	bin := parmapBinary(t)
	bed, err := sshtest.Start()
	if err != nil {
		t.Skip(err)
	}
	defer bed.Close()
	if bed.NetnsSSH == nil {
		t.Skipf("no namespace hosts: %v", bed.NetnsErr)
	}
	dir := t.TempDir()
	in := filepath.Join(dir, "in")
	var b strings.Builder
	for i := 1; i <= 2000; i++ {
		b.WriteString("x\n")
	}
	os.WriteFile(in, []byte(b.String()), 0o644)
	ssh := strings.Join(bed.NetnsSSH, " ")
	run := func(args ...string) float64 {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		defer cancel()
		argv := append(args, "true", "::::", in)
		cmd := exec.CommandContext(ctx, bin, argv...)
		t0 := time.Now()
		if out, err := cmd.CombinedOutput(); err != nil || len(out) > 0 {
			t.Fatalf("parmap %q: %v %s", argv, err, out)
		}
		return 2000 / time.Since(t0).Seconds()
	}
	var agents, plain, local, ratios []float64
	for round := 1; round <= 3; round++ {
		a := run("--ssh", ssh, "-S", "8/h1,8/h2", "--agent")
		p := run("--ssh", ssh, "-S", "8/h1,8/h2")
		l := run("-j16")
		agents, plain, local, ratios = append(agents, a), append(plain, p), append(local, l), append(ratios, a/p)
		t.Logf("round %d: 2000 x true: -S 8/h1,8/h2 --agent %.0f jobs/s, plain -S %.0f jobs/s (agent/plain %.1f), local -j16 %.0f jobs/s", round, a, p, a/p, l)
	}
	med := func(v []float64) float64 { sort.Float64s(v); return v[len(v)/2] }
	t.Logf("median: --agent %.0f jobs/s, plain -S %.0f jobs/s, agent/plain %.1f; local -j16 %.0f jobs/s", med(agents), med(plain), med(ratios), med(local))
	if med(ratios) < 5 {
		t.Errorf("-S --agent at %.1f x plain -S, not 5 x", med(ratios))
	}
}
