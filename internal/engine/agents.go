package engine

import (
	"context"
	"errors"
	"io"
	"sync"
	"time"

	"github.com/parmap/parmap/channel"
	"github.com/parmap/parmap/exchange"
	"github.com/parmap/parmap/internal/agent"
	"github.com/parmap/parmap/internal/records"
)

// Agents runs every job through one agent per node (--slurm) or host
// (-S --agent): a long-lived parmap there that runs the jobs the run
// streams to it (internal/agent).
type Agents struct {
	// Nodes are where agents start, each with its share of job slots.
	Nodes []AgentNode
	// Launcher starts a node's agent (srun for Slurm, agent.SSH for -S).
	// One that is an io.Closer is closed once the agents have ended.
	Launcher agent.Launcher
	// SSH: the nodes are -S hosts (for the wording of errors).
	SSH bool
	// Env is NAME=value for each variable passed to the jobs (-S's --env;
	// the agent's jobs have the agent's environment, not parmap's).
	Env []string
	// HelloTimeout bounds how long an agent may take to start and answer;
	// 0 means 60s.
	HelloTimeout time.Duration
}

// AgentNode is a node and how many jobs its agent runs at once. Local:
// its agent runs on this machine in this directory (-S's ":"), so that
// Config.Transfer does not apply to it, as GNU parallel ignores the
// transfer options for ":".
type AgentNode struct {
	Name  string
	Slots int
	// Local: the agent runs on this machine, in parmap's own directory
	// (-S's ":").
	Local bool
}

// ErrNoAgents is a run none of whose agents could start (on -S hosts, it
// is ErrNoHosts).
var ErrNoAgents = errors.New("no agent could start")

// ErrAgentsDown is a run that stopped because every agent was lost; the
// jobs left were not run (on -S hosts, it is ErrHostsDown).
var ErrAgentsDown = errors.New("every agent was lost; the jobs left were not run")

// endGrace is how long an agent gets to exit once told bye.
const endGrace = 10 * time.Second

// agentPool is the agents of one run.
type agentPool struct {
	agents   []*agent.Agent // those that started
	local    []bool         // for each: its node is Local (no transfers)
	slots    []int          // the exchange's slots for each: its jobs at once, or ahead times that
	ahead    []int          // of those, the slots ahead (exchange.Options.HostAhead)
	x        *exchange.Exchange
	closed   chan struct{} // closed by close
	launcher agent.Launcher
	env      []string // Agents.Env
	// transfer is the files the jobs carry.
	transfer Transfer
}

// closeLauncher closes the launcher (the ssh masters of -S) if it needs it.
func (p *agentPool) closeLauncher() {
	if c, ok := p.launcher.(io.Closer); ok {
		c.Close()
	}
}

// ahead is how many jobs the exchange keeps in flight per slot of a node:
// the agent runs one and holds the others, ready to start the moment a
// job ends, instead of waiting for the round trip through srun (about a
// millisecond each way, more on a loaded machine). Measured on the test
// bed (2,000 x true), 1 ran at about half local parmap's rate, 2 at about
// 0.7 and 3 at about local's. Jobs whose command depends on the slot they
// run in ({%}, --tagstring {%}, xargs --process-slot-var), and runs
// under --delay, get one per slot. A job held is not started when the run stops (the agent answers
// it not started), and its --timeout counts from when it starts there.
const ahead = 3

// sendAhead reports whether cfg's jobs may be sent to an agent ahead of
// a free slot there: their command must not depend on the slot, and
// --delay must space the starts, which the agent does not.
func sendAhead(cfg *Config) bool {
	return !cfg.Template.UsesSlot() && cfg.SlotVar == "" && (cfg.TagText == nil || !cfg.TagText.UsesSlot()) && cfg.Delay == 0
}

// openAgents starts every node's agent at once. One that does not start
// is left out (a HostUnreachable notice); with none left it is
// ErrNoAgents.
func openAgents(ctx context.Context, cfg *Config, base []string, notify func(Notice)) (*agentPool, error) {
	o := cfg.Agents
	timeout := o.HelloTimeout
	if timeout <= 0 {
		timeout = 60 * time.Second
	}
	perSlot := 1
	if sendAhead(cfg) {
		perSlot = ahead
	}
	opened := make([]*agent.Agent, len(o.Nodes))
	errs := make([]error, len(o.Nodes))
	var wg sync.WaitGroup
	slotBase := 0
	for i, n := range o.Nodes {
		opt := agent.Options{Node: n.Name, Slots: n.Slots, SlotEnv: perSlot > 1, SlotBase: slotBase, Base: base,
			Timeout: cfg.Timeout, Grace: cfg.KillAfter, SSH: o.SSH}
		if !n.Local {
			opt.Basefiles, opt.Cleanup = cfg.Transfer.Basefiles, cfg.Transfer.Cleanup
		}
		slotBase += n.Slots
		wg.Add(1)
		go func() {
			defer wg.Done()
			opened[i], errs[i] = agent.Open(o.Launcher, opt, timeout)
		}()
	}
	wg.Wait()
	p := &agentPool{closed: make(chan struct{}), transfer: cfg.Transfer}
	for i, a := range opened {
		if errs[i] != nil {
			notify(Notice{Kind: HostUnreachable, Err: errs[i], Host: o.Nodes[i].Name})
			continue
		}
		p.agents = append(p.agents, a)
		p.local = append(p.local, o.Nodes[i].Local)
		p.slots = append(p.slots, perSlot*o.Nodes[i].Slots)
		p.ahead = append(p.ahead, (perSlot-1)*o.Nodes[i].Slots)
	}
	p.launcher, p.env = o.Launcher, o.Env
	if len(p.agents) == 0 {
		p.closeLauncher()
		if o.SSH {
			return nil, ErrNoHosts
		}
		return nil, ErrNoAgents
	}
	if ctx.Err() != nil {
		p.close()
		return nil, ctx.Err()
	}
	return p, nil
}

// watch tells every agent to start none of its waiting jobs once the
// run starts no more jobs (a halt, a drain, a signal).
func (p *agentPool) watch(x *exchange.Exchange) {
	p.x = x
	go func() {
		select {
		case <-x.Quit():
			for _, a := range p.agents {
				a.Cancel()
			}
		case <-p.closed:
		}
	}()
}

// close tells every agent bye and waits for them to exit.
func (p *agentPool) close() {
	close(p.closed)
	var wg sync.WaitGroup
	for _, a := range p.agents {
		wg.Add(1)
		go func() {
			defer wg.Done()
			a.End(endGrace)
		}()
	}
	wg.Wait()
	p.closeLauncher()
}

// exchangeOptions spreads the slots over the agents; a job whose agent
// was lost runs again on another one, and the node leaves the rotation.
// The agents time the jobs (--timeout), from when each really starts.
func (p *agentPool) exchangeOptions(opt *exchange.Options, notify func(Notice)) {
	opt.Timeout = 0
	opt.Hosts = p.slots
	opt.HostAhead = p.ahead
	opt.Jobs = 0
	for _, n := range p.slots {
		opt.Jobs += n
	}
	opt.HostFailed = func(i int, res channel.Result) bool { return agent.IsLost(res.Err) }
	opt.HostDown = func(i int, res channel.Result) {
		notify(Notice{Kind: HostDown, Host: p.agents[i].Node, Err: res.Err})
	}
}

// spec makes the job of rec run on its slot's agent, with its files;
// it returns the node, for the job log.
func (p *agentPool) spec(spec *channel.Spec, slot int, rec *records.Record) string {
	i, _ := p.x.HostSlot(slot)
	a := p.agents[i]
	spec.Remote = a.Client
	if !p.local[i] && p.transfer.carries() {
		spec.Remote = a.With(p.transfer.files(rec, slot))
	}
	spec.Path = ""
	if env := p.env; len(env) > 0 {
		spec.Env = append(spec.Env[:len(spec.Env):len(spec.Env)], env...)
	}
	return a.Node
}
