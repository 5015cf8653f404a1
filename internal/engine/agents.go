package engine

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/parmap/parmap/channel"
	"github.com/parmap/parmap/exchange"
	"github.com/parmap/parmap/internal/agent"
)

// Agents runs every job through one agent per node (--slurm): a
// long-lived parmap on the node that runs the jobs the run streams to it
// (internal/agent).
type Agents struct {
	// Nodes are where agents start, each with its share of job slots.
	Nodes []AgentNode
	// Launcher starts a node's agent (srun for Slurm).
	Launcher agent.Launcher
	// HelloTimeout bounds how long an agent may take to start and answer;
	// 0 means 60s.
	HelloTimeout time.Duration
}

// AgentNode is a node and how many jobs its agent runs at once.
type AgentNode struct {
	Name  string
	Slots int
}

// ErrNoAgents is a run none of whose agents could start.
var ErrNoAgents = errors.New("no agent could start")

// ErrAgentsDown is a run that stopped because every agent was lost; the
// jobs left were not run.
var ErrAgentsDown = errors.New("every agent was lost; the jobs left were not run")

// endGrace is how long an agent gets to exit once told bye.
const endGrace = 10 * time.Second

// agentPool is the agents of one run.
type agentPool struct {
	agents []*agent.Agent // those that started
	slots  []int
	x      *exchange.Exchange
}

// openAgents starts every node's agent at once. One that does not start
// is left out (a HostUnreachable notice); with none left it is
// ErrNoAgents.
func openAgents(ctx context.Context, o *Agents, base []string, notify func(Notice)) (*agentPool, error) {
	timeout := o.HelloTimeout
	if timeout <= 0 {
		timeout = 60 * time.Second
	}
	opened := make([]*agent.Agent, len(o.Nodes))
	errs := make([]error, len(o.Nodes))
	var wg sync.WaitGroup
	for i, n := range o.Nodes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			opened[i], errs[i] = agent.Open(o.Launcher, n.Name, n.Slots, base, timeout)
		}()
	}
	wg.Wait()
	p := &agentPool{}
	for i, a := range opened {
		if errs[i] != nil {
			notify(Notice{Kind: HostUnreachable, Err: errs[i], Host: o.Nodes[i].Name})
			continue
		}
		p.agents = append(p.agents, a)
		p.slots = append(p.slots, o.Nodes[i].Slots)
	}
	if len(p.agents) == 0 {
		return nil, ErrNoAgents
	}
	if ctx.Err() != nil {
		p.close()
		return nil, ctx.Err()
	}
	return p, nil
}

// close tells every agent bye and waits for them to exit.
func (p *agentPool) close() {
	var wg sync.WaitGroup
	for _, a := range p.agents {
		wg.Add(1)
		go func() {
			defer wg.Done()
			a.End(endGrace)
		}()
	}
	wg.Wait()
}

// exchangeOptions spreads the slots over the agents; a job whose agent
// was lost runs again on another one, and the node leaves the rotation.
func (p *agentPool) exchangeOptions(opt *exchange.Options, notify func(Notice)) {
	opt.Hosts = p.slots
	opt.Jobs = 0
	for _, n := range p.slots {
		opt.Jobs += n
	}
	opt.HostFailed = func(i int, res channel.Result) bool { return agent.IsLost(res.Err) }
	opt.HostDown = func(i int, res channel.Result) {
		notify(Notice{Kind: HostDown, Host: p.agents[i].Node, Err: res.Err})
	}
}

// spec makes the job run on its slot's agent; it returns the node, for
// the job log.
func (p *agentPool) spec(spec *channel.Spec, slot int) string {
	i, _ := p.x.HostSlot(slot)
	a := p.agents[i]
	spec.Remote = a.Client
	spec.Path = ""
	return a.Node
}
