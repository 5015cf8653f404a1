package engine

import (
	"github.com/parmap/parmap/internal/guard"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/parmap/parmap/internal/agent"
)

// TestMain makes the test binary an agent when started as one (the local
// launcher below runs it so).
func TestMain(m *testing.M) {
	// The agents started from here (agent.Main) start guards:
	// re-executions of this test binary, which must then be the guard.
	if guard.Invoked() {
		os.Exit(guard.Main())
	}
	if agent.Invoked() {
		os.Exit(agent.Main())
	}
	os.Exit(m.Run())
}

// localAgents runs each node's agent here, as this test binary, telling
// it its node name as Slurm would (SLURMD_NODENAME).
func localAgents(t testing.TB, slots int, nodes ...string) *Agents {
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	a := &Agents{Launcher: agent.Command{Argv: func(node string) []string {
		return []string{"env", "SLURMD_NODENAME=" + node, exe, agent.ServeArg}
	}}}
	for _, n := range nodes {
		a.Nodes = append(a.Nodes, AgentNode{Name: n, Slots: slots})
	}
	return a
}

// joblogHosts is the Host column of a job log, by sequence number.
func joblogHosts(t *testing.T, path string) map[int]string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	hosts := map[int]string{}
	for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n")[1:] {
		f := strings.Split(line, "\t")
		seq, _ := strconv.Atoi(f[0])
		if _, dup := hosts[seq]; dup {
			t.Errorf("job %d logged twice", seq)
		}
		hosts[seq] = f[1] + " " + f[6]
	}
	return hosts
}

func TestAgentsRunJobs(t *testing.T) {
	cfg := config(t, []string{"sh", "-c", `echo "$0 $PARMAP_SEQ $SLURMD_NODENAME"; [ $0 != 5 ] || exit 4`, "{}"}, "1", "2", "3", "4", "5", "6")
	cfg.KeepOrder = true
	cfg.Agents = localAgents(t, 2, "n1", "n2")
	cfg.Joblog = filepath.Join(t.TempDir(), "log")
	res := runConfig(t, cfg)
	if res.sum.Done != 6 || res.sum.Failed != 1 {
		t.Fatalf("summary %+v, stderr %q", res.sum, res.stderr)
	}
	lines := strings.Split(strings.TrimSpace(res.stdout), "\n")
	if len(lines) != 6 {
		t.Fatalf("stdout %q", res.stdout)
	}
	for i, l := range lines {
		f := strings.Fields(l)
		if f[0] != strconv.Itoa(i+1) || f[1] != f[0] || (f[2] != "n1" && f[2] != "n2") {
			t.Errorf("line %q", l)
		}
	}
	hosts := joblogHosts(t, cfg.Joblog)
	for seq, h := range hosts {
		node, exit, _ := strings.Cut(h, " ")
		if !strings.Contains(lines[seq-1], node) || (exit != "0") != (seq == 5) {
			t.Errorf("job %d logged %q, printed %q", seq, h, lines[seq-1])
		}
	}
}

// An agent killed with jobs in flight takes none with it: they run again
// on the other agent, are logged once, and the node is said down once.
func TestAgentDeathRerunsItsJobs(t *testing.T) {
	dir := t.TempDir()
	script := `if [ "$SLURMD_NODENAME" = n1 ]; then echo $PPID > "$1/agent.pid.tmp.$0"; mv "$1/agent.pid.tmp.$0" "$1/agent.pid"; exec sleep 60; fi; echo "$0 on $SLURMD_NODENAME"`
	cfg := config(t, []string{"sh", "-c", script, "{}", dir}, "1", "2", "3", "4", "5", "6")
	cfg.KeepOrder = true
	cfg.Agents = localAgents(t, 2, "n1", "n2")
	cfg.Joblog = filepath.Join(dir, "log")
	done := make(chan result, 1)
	go func() { done <- runConfig(t, cfg) }()
	// n1's jobs hang: once one has started, its agent is killed (with
	// it, any job it holds for a free slot).
	deadline := time.Now().Add(20 * time.Second)
	for {
		if _, err := os.Stat(filepath.Join(dir, "agent.pid")); err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("no job started on n1")
		}
		time.Sleep(10 * time.Millisecond)
	}
	b, _ := os.ReadFile(filepath.Join(dir, "agent.pid"))
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil {
		t.Fatal(err)
	}
	syscall.Kill(pid, syscall.SIGKILL)
	var res result
	select {
	case res = <-done:
	case <-time.After(30 * time.Second):
		t.Fatal("the run did not end after its agent died")
	}
	if res.sum.Done != 6 || res.sum.Failed != 0 || res.sum.Err != nil {
		t.Fatalf("summary %+v", res.sum)
	}
	want := "1 on n2\n2 on n2\n3 on n2\n4 on n2\n5 on n2\n6 on n2\n"
	if res.stdout != want {
		t.Fatalf("stdout %q", res.stdout)
	}
	var down []string
	for _, n := range res.notices {
		if n.Kind == HostDown {
			down = append(down, n.Host)
			if !agent.IsLost(n.Err) {
				t.Errorf("HostDown without a lost agent: %+v", n)
			}
		}
	}
	if len(down) != 1 || down[0] != "n1" {
		t.Fatalf("HostDown notices for %v, want n1 once", down)
	}
	hosts := joblogHosts(t, cfg.Joblog)
	var got []string
	for seq, h := range hosts {
		got = append(got, strconv.Itoa(seq)+" "+h)
	}
	sort.Strings(got)
	if strings.Join(got, ",") != "1 n2 0,2 n2 0,3 n2 0,4 n2 0,5 n2 0,6 n2 0" {
		t.Fatalf("job log %v", got)
	}
}

// An agent that cannot start is left out, with a notice naming its node.
func TestAgentThatCannotStart(t *testing.T) {
	cfg := config(t, []string{"echo", "{}"}, "1", "2")
	cfg.KeepOrder = true
	good := localAgents(t, 1, "ok")
	cfg.Agents = &Agents{Nodes: []AgentNode{{Name: "bad", Slots: 1}, {Name: "ok", Slots: 1}}, Launcher: agent.Command{Argv: func(node string) []string {
		if node == "bad" {
			return []string{"sh", "-c", "echo 'srun: error: no such node' >&2; exit 1"}
		}
		return good.Launcher.(agent.Command).Argv(node)
	}}}
	res := runConfig(t, cfg)
	if res.stdout != "1\n2\n" || res.sum.Failed != 0 {
		t.Fatalf("stdout %q summary %+v", res.stdout, res.sum)
	}
	if len(res.notices) != 1 || res.notices[0].Kind != HostUnreachable || res.notices[0].Host != "bad" ||
		res.notices[0].Err.Error() != "node bad: the agent did not start: exit status 1 (srun: error: no such node)" {
		t.Fatalf("notices %+v", res.notices)
	}
	cfg.Agents.Nodes = cfg.Agents.Nodes[:1]
	if res := runConfig(t, cfg); res.sum.Err != ErrNoAgents {
		t.Fatalf("no agent: %+v", res.sum)
	}
}

// Sent ahead of free slots, jobs still see the slot they run in: each
// node's own range. A command that uses {%} is sent one per slot.
func TestAgentsSlots(t *testing.T) {
	recs := make([]string, 40)
	for i := range recs {
		recs[i] = strconv.Itoa(i)
	}
	cfg := config(t, []string{"sh", "-c", `echo $SLURMD_NODENAME $PARMAP_SLOT`}, recs...)
	cfg.Agents = localAgents(t, 2, "n1", "n2")
	res := runConfig(t, cfg)
	for _, l := range strings.Split(strings.TrimSpace(res.stdout), "\n") {
		if l != "n1 1" && l != "n1 2" && l != "n2 3" && l != "n2 4" {
			t.Fatalf("line %q of %q", l, res.stdout)
		}
	}
	cfg = config(t, []string{"sh", "-c", `echo $0 $PARMAP_SLOT`, "{%}"}, recs...)
	cfg.Agents = localAgents(t, 2, "n1", "n2")
	res = runConfig(t, cfg)
	for _, l := range strings.Split(strings.TrimSpace(res.stdout), "\n") {
		f := strings.Fields(l)
		if f[0] != f[1] || f[0] < "1" || f[0] > "4" {
			t.Fatalf("line %q of %q", l, res.stdout)
		}
	}
}
