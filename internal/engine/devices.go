package engine

import (
	"strings"

	"github.com/parmap/parmap/internal/devices"
)

// slotSets is how many slots the run's per-slot resources allow
// (Config.Devices, Config.CPUs): the fewer of the two; 0 when it has none.
func slotSets(cfg *Config) int {
	n := 0
	for _, l := range []int{len(cfg.Devices), len(cfg.CPUs)} {
		if l > 0 && (n == 0 || l < n) {
			n = l
		}
	}
	return n
}

// slotDevices adds the devices of slot to a job's environment env (which
// has none of devices.Vars: withoutVars took them out of the run's).
func (r *run) slotDevices(env []string, slot int) []string {
	if r.cfg.Devices == nil || slot < 1 || slot > len(r.cfg.Devices) {
		return env
	}
	for _, v := range devices.Vars {
		env = append(env, v+"="+r.cfg.Devices[slot-1])
	}
	return env
}

// slotCPUs returns the CPUs of slot, nil when the run pins no job.
func (r *run) slotCPUs(slot int) []int {
	if slot < 1 || slot > len(r.cfg.CPUs) {
		return nil
	}
	return r.cfg.CPUs[slot-1]
}

// withoutVars returns env without the variables named in names: a job must
// see only the value the run gives it (the first of two would win).
func withoutVars(env, names []string) []string {
	var out []string
next:
	for _, kv := range env {
		for _, n := range names {
			if strings.HasPrefix(kv, n+"=") {
				continue next
			}
		}
		out = append(out, kv)
	}
	return out
}
