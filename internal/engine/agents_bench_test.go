package engine

import (
	"strconv"
	"testing"
)

// BenchmarkTrue2000 runs 2,000 x true here and through two local agents
// (no srun): the agents' own cost, without Slurm's.
func BenchmarkTrue2000(b *testing.B) {
	recs := make([]string, 2000)
	for i := range recs {
		recs[i] = strconv.Itoa(i)
	}
	for _, mode := range []string{"local", "agents"} {
		b.Run(mode, func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				cfg := config(b, []string{"true", "{}"}, recs...)
				if mode == "agents" {
					cfg.Agents = localAgents(b, 1, "n1", "n2")
				}
				sum := Run(b.Context(), cfg, Streams{Word: func(Notice) string { return "" }})
				if sum.Done != 2000 || sum.Failed != 0 {
					b.Fatalf("%+v", sum)
				}
			}
		})
	}
}
