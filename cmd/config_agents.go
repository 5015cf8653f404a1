package cmd

import (
	"os"
	"strings"

	"github.com/parmap/parmap/internal/agent"
	"github.com/parmap/parmap/internal/engine"
	"github.com/parmap/parmap/internal/slurm"
)

// slurmAgents is --slurm's agents: one per node, started by srun as a job
// step running this binary's agent mode. An explicit -j N (N > 0) deals N
// slots over the nodes in turn instead of their shares.
func slurmAgents(nodes []slurm.Node, jobsSet bool, jobs int) (*engine.Agents, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, usagef("--slurm: cannot find parmap's own binary to start the agents: %v", err)
	}
	if jobsSet && jobs > 0 {
		slots := make([]int, len(nodes))
		for i := 0; i < jobs; i++ {
			slots[i%len(nodes)]++
		}
		var kept []slurm.Node
		for i, n := range nodes {
			if slots[i] > 0 {
				n.Slots = slots[i]
				kept = append(kept, n)
			}
		}
		nodes = kept
	}
	byName := make(map[string]slurm.Node, len(nodes))
	a := &engine.Agents{}
	for _, n := range nodes {
		byName[n.Name] = n
		a.Nodes = append(a.Nodes, engine.AgentNode{Name: n.Name, Slots: n.Slots})
	}
	a.Launcher = agent.Command{Argv: func(node string) []string {
		return slurm.AgentArgv(byName[node], []string{exe, agent.ServeArg})
	}}
	return a, nil
}

// wordSlurmError words a Slurm error of flag (--slurm or --slurm-steps).
func wordSlurmError(err error, flag string) string {
	return strings.Replace(wordError(err), "--slurm", flag, 1)
}
