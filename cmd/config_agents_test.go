package cmd

import (
	"reflect"
	"testing"

	"github.com/parmap/parmap/internal/engine"
)

func TestSlurmAgentsConfig(t *testing.T) {
	t.Setenv("SLURM_JOB_ID", "7")
	t.Setenv("SLURM_JOB_NODELIST", "n[1-2]")
	t.Setenv("SLURM_NTASKS", "6")
	t.Setenv("SLURM_TASKS_PER_NODE", "4,2")
	t.Setenv("SLURM_JOB_CPUS_PER_NODE", "4,2")
	for _, tc := range []struct {
		args  []string
		nodes []engine.AgentNode
		jobs  int
	}{
		{[]string{"--slurm", "echo"}, []engine.AgentNode{{Name: "n1", Slots: 4}, {Name: "n2", Slots: 2}}, 6},
		{[]string{"--slurm", "-j3", "echo"}, []engine.AgentNode{{Name: "n1", Slots: 2}, {Name: "n2", Slots: 1}}, 3},
		{[]string{"--slurm", "-j1", "echo"}, []engine.AgentNode{{Name: "n1", Slots: 1}}, 1},
	} {
		cfg, msg := configOf(t, tc.args...)
		if msg != "" {
			t.Fatalf("%q: %s", tc.args, msg)
		}
		if cfg.Agents == nil || cfg.Slurm != nil || !reflect.DeepEqual(cfg.Agents.Nodes, tc.nodes) || cfg.Jobs != tc.jobs {
			t.Errorf("%q: agents %+v, jobs %d; want %+v, %d", tc.args, cfg.Agents, cfg.Jobs, tc.nodes, tc.jobs)
		}
	}
	cfg, msg := configOf(t, "--slurm-steps", "echo")
	if msg != "" || cfg.Agents != nil || cfg.Slurm == nil || cfg.Jobs != 6 {
		t.Errorf("--slurm-steps: %+v %q", cfg, msg)
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--slurm", "--plus", "echo", "{host}"}, "{host} and {sshlogin} are known only for jobs run here (:), not on --slurm's nodes; use $(hostname) in a shell command line"},
		{[]string{"--slurm", "--pipe", "cat"}, "--slurm's agents do not feed --pipe blocks to jobs yet; use --slurm-steps"},
		{[]string{"--slurm-steps", "-S", "h", "echo"}, "--slurm-steps runs jobs as Slurm job steps; drop -S or --sshloginfile"},
	} {
		if _, msg := configOf(t, tc.args...); msg != tc.want {
			t.Errorf("%q: %q, want %q", tc.args, msg, tc.want)
		}
	}
	t.Setenv("SLURM_JOB_CPUS_PER_NODE", "4")
	if _, msg := configOf(t, "--slurm", "echo"); msg != "--slurm: SLURM_JOB_CPUS_PER_NODE=4: want a list like 2(x3),1 with one count per node" {
		t.Errorf("bad per-node count: %q", msg)
	}
}
