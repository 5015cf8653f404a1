package cmd

import (
	"context"
	"fmt"
	"strconv"

	"github.com/mattn/go-shellwords"
	"github.com/urfave/cli/v2"

	"github.com/parmap/parmap/channel"
	"github.com/parmap/parmap/exchange"
	"github.com/parmap/parmap/internal/hosts"
)

// remoteOptions are -S, --sshloginfile and --ssh.
type remoteOptions struct {
	hosts []hosts.Host
	ssh   []string // the ssh command; nil for ssh
}

// parseRemote reads -S, --sshloginfile and --ssh.
func (p *plan) parseRemote(c *cli.Context) error {
	var all []hosts.Host
	for _, spec := range c.StringSlice("sshlogin") {
		hs, err := hosts.Parse(spec)
		if err != nil {
			return usagef("%s", wordError(err))
		}
		all = append(all, hs...)
	}
	for _, f := range c.StringSlice("sshloginfile") {
		hs, err := hosts.ParseFile(f)
		if err != nil {
			return usagef("%s", wordError(err))
		}
		all = append(all, hs...)
	}
	if c.IsSet("ssh") {
		words, err := shellwords.Parse(c.String("ssh"))
		if err != nil || len(words) == 0 {
			return usagef("--ssh %q: give the ssh command to run, e.g. --ssh 'ssh -F ~/.ssh/cluster.conf'", c.String("ssh"))
		}
		if len(all) == 0 {
			return usagef("--ssh applies to jobs run on -S hosts; add -S or --sshloginfile")
		}
		p.remote.ssh = words
	}
	if len(all) == 0 {
		return nil
	}
	p.remote.hosts = hosts.Merge(all)
	switch {
	case p.reuse.on:
		return usagef("--reuse runs its workers on this machine; drop -S or --sshloginfile")
	case p.jobs == 0:
		return usagef("-S needs a number of jobs per host: give N/host, or -j N (not -j 0)")
	}
	return nil
}

// remote runs jobs on the -S hosts for one run.
type remote struct {
	runner *hosts.Runner
	hosts  []hosts.Host // those that answered
	x      *exchange.Exchange
}

// openRemote opens the hosts' master connections, before any job starts.
// A host that cannot be reached is left out, with a one-line message; with
// none left it is an error.
func (p *plan) openRemote(ctx context.Context, warn func(string)) (*remote, error) {
	r, err := hosts.New(p.remote.ssh, "")
	if err != nil {
		return nil, err
	}
	rm := &remote{runner: r}
	for i, err := range r.Open(ctx, p.remote.hosts) {
		if err != nil {
			warn(fmt.Sprintf("parmap: %s; no jobs go there", oneLine(wordError(err))))
			continue
		}
		rm.hosts = append(rm.hosts, p.remote.hosts[i])
	}
	if len(rm.hosts) == 0 {
		r.Close()
		return nil, fmt.Errorf("no host of -S can be reached")
	}
	return rm, nil
}

func (rm *remote) close() { rm.runner.Close() }

// exchangeOptions spreads the slots over the hosts: N/host's N, else -j.
func (rm *remote) exchangeOptions(opt *exchange.Options, jobs int, warn func(string)) {
	for _, h := range rm.hosts {
		n := h.Slots
		if n == 0 {
			n = jobs
		}
		opt.Hosts = append(opt.Hosts, n)
	}
	opt.HostFailed = func(i int, res channel.Result) bool {
		h := rm.hosts[i]
		if h.Local || !hosts.IsSSHFailure(res.Exit) {
			return false
		}
		// 255 is also a job's own exit value: the host is down only if it
		// does not answer now.
		return rm.runner.Probe(context.Background(), h) != nil
	}
	opt.HostDown = func(i int, res channel.Result) {
		warn(fmt.Sprintf("parmap: -S %s: ssh failed (exit 255) and the host does not answer; its jobs go to the other hosts", rm.hosts[i]))
	}
}

// spec makes the job's process run on its slot's host: ssh with the
// command line for the remote shell, or sh -c here for ":".
func (rm *remote) spec(spec *channel.Spec, slot int, line string, seq int64, lookPath func(string) string) string {
	i, index := rm.x.HostSlot(slot)
	h := rm.hosts[i]
	env := []string{"PARMAP_SEQ=" + strconv.FormatInt(seq, 10), "PARMAP_SLOT=" + strconv.Itoa(slot)}
	if h.Local {
		return ":"
	}
	if spec.Feed != nil {
		spec.Argv = rm.runner.Argv(h, index, line, env)
	} else {
		spec.Argv, spec.Stdin = rm.runner.ArgvGuarded(h, index, line, env)
	}
	spec.Path = lookPath(spec.Argv[0])
	return h.String()
}
