package cmd

import (
	"os"

	"github.com/urfave/cli/v2"

	"github.com/parmap/parmap/channel"
	"github.com/parmap/parmap/internal/slurm"
)

// clusterOptions are --slurm and --shard.
type clusterOptions struct {
	alloc          *slurm.Alloc // --slurm: the allocation the jobs run in
	shardK, shardN int          // --shard K/N; N 0 for every job
}

// parseCluster reads --slurm and --shard. Under --slurm, -j defaults to the
// allocation's tasks, and in a job array --shard to the array task's share.
func (p *plan) parseCluster(c *cli.Context) error {
	var err error
	if c.IsSet("shard") {
		if p.cluster.shardK, p.cluster.shardN, err = slurm.ParseShard(c.String("shard")); err != nil {
			return usagef("%s", wordError(err))
		}
	}
	if !c.Bool("slurm") {
		return nil
	}
	switch {
	case len(p.remote.hosts) > 0:
		return usagef("--slurm runs jobs as Slurm job steps; drop -S or --sshloginfile")
	case p.reuse.on:
		return usagef("--reuse runs its workers on this machine; drop --slurm")
	}
	if p.cluster.alloc, err = slurm.FromEnv(os.Getenv); err != nil {
		return usagef("%s", wordError(err))
	}
	if !p.jobsSet {
		p.jobs = p.cluster.alloc.Tasks
	}
	if !c.IsSet("shard") {
		if p.cluster.shardK, p.cluster.shardN, err = p.cluster.alloc.ArrayShard(); err != nil {
			return usagef("%s", wordError(err))
		}
	}
	return nil
}

// inShard reports whether job seq is this run's to run (--shard).
func (p *plan) inShard(seq int64) bool {
	return slurm.InShard(seq, p.cluster.shardK, p.cluster.shardN)
}

// slurmStep makes spec run as a job step of the allocation; its stderr
// passes through a filter of srun's own chatter, which the job's done must
// Flush.
func (p *plan) slurmStep(spec *channel.Spec, lookPath func(string) string) *slurm.Filter {
	spec.Argv = p.cluster.alloc.Argv(spec.Argv)
	spec.Path = lookPath(spec.Argv[0])
	f := slurm.NewFilter(spec.Stderr)
	spec.Stderr = f
	return f
}
