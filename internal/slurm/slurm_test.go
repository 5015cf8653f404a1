package slurm

import (
	"errors"
	"strings"
	"testing"
)

// env makes a getenv from "NAME=value" pairs.
func env(kv ...string) func(string) string {
	m := map[string]string{}
	for _, s := range kv {
		k, v, _ := strings.Cut(s, "=")
		m[k] = v
	}
	return func(k string) string { return m[k] }
}

func TestFromEnvOutside(t *testing.T) {
	_, err := FromEnv(env("SLURM_NTASKS=4"))
	if err != ErrNoAllocation {
		t.Fatalf("err = %v, want ErrNoAllocation", err)
	}
}

func TestFromEnvTasks(t *testing.T) {
	tests := []struct {
		name string
		env  []string
		want int
	}{
		{"salloc -n2", []string{"SLURM_JOB_ID=3", "SLURM_NTASKS=2", "SLURM_NPROCS=2", "SLURM_JOB_CPUS_PER_NODE=2"}, 2},
		{"old name only", []string{"SLURM_JOB_ID=3", "SLURM_NPROCS=5"}, 5},
		{"old job id name", []string{"SLURM_JOBID=3", "SLURM_NTASKS=2"}, 2},
		{"sbatch without -n", []string{"SLURM_JOB_ID=3", "SLURM_JOB_CPUS_PER_NODE=1", "SLURM_CPUS_ON_NODE=1"}, 1},
		{"nodes x CPUs", []string{"SLURM_JOB_ID=3", "SLURM_JOB_CPUS_PER_NODE=4(x3),2"}, 14},
		{"cpus per task", []string{"SLURM_JOB_ID=3", "SLURM_JOB_CPUS_PER_NODE=8", "SLURM_CPUS_PER_TASK=2"}, 4},
		{"salloc -c2", []string{"SLURM_JOB_ID=5", "SLURM_JOB_CPUS_PER_NODE=2", "SLURM_CPUS_PER_TASK=2"}, 1},
		{"cpus on node", []string{"SLURM_JOB_ID=3", "SLURM_CPUS_ON_NODE=6"}, 6},
		{"nothing", []string{"SLURM_JOB_ID=3"}, 1},
		{"fewer CPUs than per task", []string{"SLURM_JOB_ID=3", "SLURM_CPUS_ON_NODE=1", "SLURM_CPUS_PER_TASK=4"}, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, err := FromEnv(env(tt.env...))
			if err != nil {
				t.Fatal(err)
			}
			if a.Tasks != tt.want || a.JobID == "" {
				t.Errorf("got %+v, want Tasks %d", a, tt.want)
			}
		})
	}
}

func TestFromEnvErrors(t *testing.T) {
	tests := []struct {
		env  []string
		want string
	}{
		{[]string{"SLURM_NTASKS=two"}, "SLURM_NTASKS=two: want a whole number ≥ 1"},
		{[]string{"SLURM_NTASKS=0"}, "SLURM_NTASKS=0: want a whole number ≥ 1"},
		{[]string{"SLURM_JOB_CPUS_PER_NODE=2(y3)"}, "SLURM_JOB_CPUS_PER_NODE=2(y3): want a list like 2(x3),1"},
		{[]string{"SLURM_JOB_CPUS_PER_NODE=2,"}, "SLURM_JOB_CPUS_PER_NODE=2,: want a list like 2(x3),1"},
		{[]string{"SLURM_ARRAY_TASK_ID=2", "SLURM_ARRAY_TASK_MAX=3"}, "job array task 2 without SLURM_ARRAY_TASK_MIN: this Slurm is too old for job arrays"},
		{[]string{"SLURM_ARRAY_TASK_ID=x"}, "SLURM_ARRAY_TASK_ID=x: want a whole number ≥ 0"},
	}
	for _, tt := range tests {
		_, err := FromEnv(env(append(tt.env, "SLURM_JOB_ID=9")...))
		if err == nil || err.Error() != tt.want {
			t.Errorf("%v: err = %v, want %q", tt.env, err, tt.want)
		}
	}
	_, err := FromEnv(env("SLURM_JOB_ID=9", "SLURM_ARRAY_TASK_ID=2", "SLURM_ARRAY_TASK_MIN=1"))
	var ve *ArrayVarError
	if !errors.As(err, &ve) || *ve != (ArrayVarError{Task: "2", Var: "SLURM_ARRAY_TASK_MAX"}) {
		t.Errorf("no SLURM_ARRAY_TASK_MAX: err = %#v, want an *ArrayVarError", err)
	}
}

func TestArgv(t *testing.T) {
	a := &Alloc{JobID: "7", Tasks: 2}
	got := strings.Join(a.Argv([]string{"sh", "-c", "echo hi"}), " ")
	want := "srun --exclusive -N1 -n1 --mem=0 --quiet -- sh -c echo hi"
	if got != want {
		t.Errorf("Argv = %q, want %q", got, want)
	}
}
