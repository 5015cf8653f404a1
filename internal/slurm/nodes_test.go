package slurm

import (
	"reflect"
	"strings"
	"testing"
)

func TestExpandHostlist(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want string
	}{
		{"localhost", "localhost"},
		{"n[1-3],x", "n1 n2 n3 x"},
		{"n[07-09,11]", "n07 n08 n09 n11"},
		{"r[1-2]n[1-2]", "r1n1 r1n2 r2n1 r2n2"},
		{"a,b[1],c", "a b1 c"},
	} {
		got, err := ExpandHostlist(tc.in)
		if err != nil || strings.Join(got, " ") != tc.want {
			t.Errorf("%q: %v %v, want %s", tc.in, got, err, tc.want)
		}
	}
	for _, bad := range []string{"n[1-", "n]1", "n[3-1]", "n[a]", "a,,b", "n[0-99999999]"} {
		if got, err := ExpandHostlist(bad); err == nil {
			t.Errorf("%q: %v, want an error", bad, got)
		}
	}
}

func TestNodesFromEnv(t *testing.T) {
	env := func(kv map[string]string) func(string) string { return func(k string) string { return kv[k] } }
	for _, tc := range []struct {
		name string
		env  map[string]string
		want []Node
	}{
		{"tasks per node", map[string]string{"SLURM_JOB_NODELIST": "n[1-3]", "SLURM_NTASKS": "5", "SLURM_TASKS_PER_NODE": "2(x2),1", "SLURM_JOB_CPUS_PER_NODE": "4(x3)"},
			[]Node{{"n1", 4, 2}, {"n2", 4, 2}, {"n3", 4, 1}}},
		{"cpus per task", map[string]string{"SLURM_JOB_NODELIST": "n1,n2", "SLURM_JOB_CPUS_PER_NODE": "8,4", "SLURM_CPUS_PER_TASK": "2"},
			[]Node{{"n1", 8, 4}, {"n2", 4, 2}}},
		{"tasks only", map[string]string{"SLURM_JOB_NODELIST": "n[1-2]", "SLURM_NTASKS": "3"},
			[]Node{{"n1", 1, 2}, {"n2", 1, 1}}},
	} {
		got, err := NodesFromEnv(env(tc.env))
		if err != nil || !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%s: %v %v, want %v", tc.name, got, err, tc.want)
		}
	}
	if _, err := NodesFromEnv(env(map[string]string{"SLURM_JOB_NODELIST": "n[1-2]", "SLURM_JOB_CPUS_PER_NODE": "4"})); err == nil {
		t.Error("one count for two nodes: no error")
	}
	if got, err := NodesFromEnv(env(map[string]string{"SLURM_NTASKS": "3"})); err != nil || !reflect.DeepEqual(got, []Node{{"", 1, 3}}) {
		t.Errorf("no node list: %v %v", got, err)
	}
	if got := strings.Join(AgentArgv(Node{CPUs: 1}, []string{"parmap"}), " "); got != "srun --nodes=1 --ntasks=1 --cpus-per-task=1 --overlap --mem=0 --unbuffered --quiet -- parmap" {
		t.Errorf("no node name: %s", got)
	}
}

func TestAgentArgv(t *testing.T) {
	got := strings.Join(AgentArgv(Node{Name: "n1", CPUs: 4}, []string{"/bin/parmap", "--agent-serve"}), " ")
	want := "srun --nodes=1 --ntasks=1 --nodelist=n1 --cpus-per-task=4 --overlap --mem=0 --unbuffered --quiet -- /bin/parmap --agent-serve"
	if got != want {
		t.Errorf("%s\nwant %s", got, want)
	}
}
