package cmd

import (
	"math"
	"strconv"

	"github.com/parmap/parmap/internal/cgroup"
	"github.com/parmap/parmap/internal/size"
)

// parseMemLimit reads --mem-limit.
func parseMemLimit(s string) (int64, error) {
	n, err := size.Parse(s)
	if err != nil {
		return 0, usagef("--mem-limit %q: give a size above 0, in bytes or with K, M, G or T (powers of 1024), e.g. --mem-limit 2G", s)
	}
	return n, nil
}

// parseCPULimit reads --cpu-limit: a number of CPUs, above 0.
func parseCPULimit(s string) (float64, error) {
	f, err := strconv.ParseFloat(s, 64)
	// The kernel's smallest quota is 1 ms a 100 ms period.
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) || f < 0.01 || f > 1<<20 {
		return 0, usagef("--cpu-limit %q: give a number of CPUs, 0.01 or more, e.g. --cpu-limit 1.5", s)
	}
	return f, nil
}

// limits reads --mem-limit and --cpu-limit: they limit jobs run here.
func (b *builder) limits() error {
	mem, memSet, err := get[int64](b.c, "mem-limit")
	if err != nil {
		return err
	}
	cpus, cpuSet, err := get[float64](b.c, "cpu-limit")
	if err != nil {
		return err
	}
	if !memSet && !cpuSet {
		return nil
	}
	flag := "--mem-limit"
	if !memSet {
		flag = "--cpu-limit"
	}
	switch cfg := b.cfg; {
	case cfg.Hosts != nil:
		return usagef("%s limits jobs run on this machine; drop -S or --sshloginfile", flag)
	case cfg.Slurm != nil, cfg.Agents != nil:
		return usagef("%s limits jobs run on this machine; under --slurm use srun's --mem and --cpus-per-task", flag)
	case cfg.Reuse != nil:
		return usagef("%s limits one job each; drop --reuse", flag)
	}
	b.cfg.Limits = cgroup.Limits{Memory: mem, CPUs: cpus}
	return nil
}
