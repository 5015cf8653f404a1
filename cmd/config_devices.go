package cmd

import (
	"errors"
	"fmt"
	"strings"

	"github.com/parmap/parmap/internal/devices"
)

// devices reads --gpus, --gpus-per-job and --cpus-per-job: each job slot's
// own devices and CPUs (engine.Config.Devices, CPUs). -j defaults to the
// number of sets; a -j above it is refused rather than quietly lowered
// (-j 0, as many as can run, is the sets). The engine caps the slots at
// the sets too, so a resize (SIGUSR1, --set-jobs) cannot go beyond them.
func (b *builder) devices() error {
	c, cfg := b.c, b.cfg
	ids, idsSet, err := get[[]string](c, "gpus")
	if err != nil {
		return err
	}
	perJob, perJobSet, err := get[int](c, "gpus-per-job")
	if err != nil {
		return err
	}
	cpusPerJob, cpusSet, err := get[int](c, "cpus-per-job")
	if err != nil {
		return err
	}
	if !idsSet && !perJobSet && !cpusSet {
		return nil
	}
	if len(c.StringSlice("sshlogin")) > 0 || len(c.StringSlice("sshloginfile")) > 0 {
		return usagef("%s gives jobs on this machine their own resources; it cannot be used with -S or --sshloginfile", b.resourceFlag())
	}
	if c.Bool("slurm") {
		return usagef("%s cannot be used with --slurm: Slurm gives each job step its resources (srun's --gpus-per-task, --cpus-per-task); run parmap without --slurm inside the allocation instead", b.resourceFlag())
	}
	sets := 0
	what := ""
	if idsSet || perJobSet {
		from := "--gpus " + c.Generic("gpus").(fmt.Stringer).String()
		if !idsSet {
			if ids, from, err = b.slurmDevices(); err != nil {
				return err
			}
		}
		if perJob > len(ids) {
			return usagef("--gpus-per-job %d is more than the %d devices of %s; give %d or fewer", perJob, len(ids), from, len(ids))
		}
		cfg.Devices = devices.Joined(devices.Split(ids, perJob))
		sets, what = len(cfg.Devices), fmt.Sprintf("%d device sets (%d devices, %d per job)", len(cfg.Devices), len(ids), perJob)
	}
	if cpusSet {
		cpus, err := b.cpuList()
		if err != nil {
			return usagef("--cpus-per-job: cannot read the CPUs parmap may use: %v", err)
		}
		if cpusPerJob > len(cpus) {
			return usagef("--cpus-per-job %d is more than the %d CPUs parmap may use; give %d or fewer", cpusPerJob, len(cpus), len(cpus))
		}
		cfg.CPUs = devices.Split(cpus, cpusPerJob)
		if sets == 0 || len(cfg.CPUs) < sets {
			sets, what = len(cfg.CPUs), fmt.Sprintf("%d CPU sets (%d CPUs, %d per job)", len(cfg.CPUs), len(cpus), cpusPerJob)
		}
	}
	switch {
	case !b.jobsSet || cfg.Jobs == 0:
		cfg.Jobs = sets
	case cfg.Jobs > sets:
		return usagef("-j %d is more jobs than the %s can run at once; give -j %d or fewer, or leave -j out", cfg.Jobs, what, sets)
	}
	return nil
}

// resourceFlag names the per-job resource option given, for errors.
func (b *builder) resourceFlag() string {
	for _, f := range []string{"gpus", "gpus-per-job", "cpus-per-job"} {
		if b.c.IsSet(f) {
			return "--" + f
		}
	}
	return "--gpus"
}

// slurmDevices is the device list of --gpus-per-job without --gpus: the
// Slurm job's, and where it was read.
func (b *builder) slurmDevices() (ids []string, from string, err error) {
	ids, v, err := devices.FromSlurm(b.env.getenv)
	switch {
	case errors.Is(err, devices.ErrNotSlurm):
		return nil, "", usagef("--gpus-per-job needs the devices: give --gpus LIST (ids, comma-separated) or --gpus N (devices 0 to N-1), or run inside a Slurm job with GPUs")
	case errors.Is(err, devices.ErrNoSlurmDevices):
		return nil, "", usagef("--gpus-per-job: Slurm job %s has no GPUs (%s are all empty); give --gpus LIST", b.env.getenv("SLURM_JOB_ID"), strings.Join(devices.SlurmVars, ", "))
	case err != nil:
		return nil, "", usagef("--gpus-per-job: %s of Slurm job %s: %v", v, b.env.getenv("SLURM_JOB_ID"), err)
	}
	return ids, v + "=" + strings.Join(ids, ","), nil
}

// cpuList returns the CPUs parmap may use.
func (b *builder) cpuList() ([]int, error) {
	if b.env.cpuList != nil {
		return b.env.cpuList()
	}
	return devices.CPUs()
}

// parseGPUs reads --gpus: N devices (0..N-1) or a list of ids.
func parseGPUs(s string) ([]string, error) {
	ids, err := devices.ParseList(s)
	var dup *devices.DuplicateError
	switch {
	case errors.As(err, &dup):
		return nil, usagef("--gpus %q: device %s is listed twice; give each device once", s, dup.ID)
	case err != nil:
		return nil, usagef("--gpus %q: %v", s, err)
	}
	return ids, nil
}
