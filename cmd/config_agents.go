package cmd

import (
	"os"
	"strings"

	"github.com/parmap/parmap/internal/agent"
	"github.com/parmap/parmap/internal/engine"
	"github.com/parmap/parmap/internal/hosts"
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

// sshAgents reads --agent: the -S hosts' jobs then run through one agent
// per host, over one ssh connection each (agent.SSH), the host ":" through
// an agent on this machine. --transferfile, --return and --basefile with
// -S imply it: the files travel over the agents' connections. It runs
// once settle has given each host its slots.
func (b *builder) sshAgents() error {
	c, cfg := b.c, b.cfg
	t := cfg.Transfer
	files := len(t.Files)+len(t.Return)+len(t.Basefiles) > 0
	if !c.Bool("agent") && !(files && cfg.Hosts != nil) {
		return nil
	}
	if cfg.Hosts == nil {
		if cfg.Agents != nil {
			return nil // --slurm runs agents anyway
		}
		return usagef("--agent runs the jobs of -S hosts through an agent on each; give -S HOSTS (or --sshloginfile), or drop it")
	}
	if cfg.Pipe != nil {
		if !c.Bool("agent") {
			return usagef("--transferfile, --return and --basefile carry files over -S --agent, which does not feed --pipe blocks to jobs yet; drop them or --pipe")
		}
		return usagef("-S --agent does not feed --pipe blocks to jobs yet; drop --agent")
	}
	exe, err := os.Executable()
	if err != nil {
		return usagef("--agent: cannot find parmap's own binary to start the agents: %v", err)
	}
	l := &agent.SSH{Command: cfg.Hosts.SSH, Hosts: make(map[string]hosts.Host), Exe: exe}
	a := &engine.Agents{Launcher: l, SSH: true, Env: cfg.Hosts.Env}
	for _, h := range cfg.Hosts.List {
		l.Hosts[h.String()] = h
		a.Nodes = append(a.Nodes, engine.AgentNode{Name: h.String(), Slots: h.Slots, Local: h.Local})
	}
	cfg.Agents, cfg.Hosts = a, nil
	return nil
}
