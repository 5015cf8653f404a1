package engine

import (
	"context"
	"strconv"
	"time"

	"github.com/parmap/parmap/channel"
	"github.com/parmap/parmap/exchange"
	"github.com/parmap/parmap/internal/hosts"
	"github.com/parmap/parmap/internal/slurm"
)

// openTimeout bounds how long the hosts' master connections may take to
// open: a host that has not answered by then is not reachable.
const openTimeout = 60 * time.Second

// slurmStep makes spec run as a job step of the allocation; its stderr
// passes through a filter of srun's own chatter, which the job's done must
// Flush.
func slurmStep(alloc *slurm.Alloc, spec *channel.Spec, lookPath func(string) string) *slurm.Filter {
	spec.Argv = alloc.Argv(spec.Argv)
	spec.Path = lookPath(spec.Argv[0])
	f := slurm.NewFilter(spec.Stderr)
	spec.Stderr = f
	return f
}

// remote runs jobs on the -S hosts for one run.
type remote struct {
	runner *hosts.Runner
	hosts  []hosts.Host // those that answered
	x      *exchange.Exchange
	env    []string // Hosts.Env
}

// openRemote opens the hosts' master connections, before any job starts.
// A host that cannot be reached is left out (a HostUnreachable notice);
// with none left it is ErrNoHosts.
func openRemote(ctx context.Context, o *Hosts, notify func(Notice)) (*remote, error) {
	r, err := hosts.New(o.SSH, "")
	if err != nil {
		return nil, err
	}
	rm := &remote{runner: r, env: o.Env}
	octx, cancel := context.WithTimeout(ctx, openTimeout)
	defer cancel()
	for i, err := range r.Open(octx, o.List) {
		if err != nil {
			notify(Notice{Kind: HostUnreachable, Err: err, Host: o.List[i].String()})
			continue
		}
		rm.hosts = append(rm.hosts, o.List[i])
	}
	if len(rm.hosts) == 0 {
		r.Close()
		return nil, ErrNoHosts
	}
	return rm, nil
}

func (rm *remote) close() { rm.runner.Close() }

// exchangeOptions spreads the slots over the hosts.
func (rm *remote) exchangeOptions(opt *exchange.Options, notify func(Notice)) {
	for _, h := range rm.hosts {
		opt.Hosts = append(opt.Hosts, h.Slots)
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
		notify(Notice{Kind: HostDown, Host: rm.hosts[i].String()})
	}
}

// spec makes the job's process run on its slot's host: ssh with the
// command line for the remote shell, or as it is here for ":". It returns
// the host, for the job log.
func (rm *remote) spec(spec *channel.Spec, slot int, line string, seq int64, lookPath func(string) string) string {
	i, index := rm.x.HostSlot(slot)
	h := rm.hosts[i]
	if h.Local {
		return ":"
	}
	seqNo, slotNo := strconv.FormatInt(seq, 10), strconv.Itoa(slot)
	env := append([]string{"PARMAP_SEQ=" + seqNo, "PARMAP_SLOT=" + slotNo, "PARALLEL_SEQ=" + seqNo, "PARALLEL_JOBSLOT=" + slotNo}, rm.env...)
	if spec.Feed != nil {
		spec.Argv = rm.runner.Argv(h, index, line, env)
	} else {
		spec.Argv, spec.Stdin = rm.runner.ArgvGuarded(h, index, line, env)
	}
	spec.Path = lookPath(spec.Argv[0])
	return h.String()
}
