package slurm

import (
	"fmt"
	"strconv"
	"strings"
)

// Node is one node of the allocation and its share of it.
type Node struct {
	Name string
	// CPUs is the allocation's CPUs on the node; Slots how many jobs its
	// agent runs at once: its tasks (SLURM_TASKS_PER_NODE) when the
	// allocation was asked for tasks (SLURM_NTASKS is set), else its CPUs
	// divided by SLURM_CPUS_PER_TASK, as Alloc.Tasks counts them.
	CPUs, Slots int
}

// NodesFromEnv reads the allocation's nodes (SLURM_JOB_NODELIST, in
// Slurm's compressed form "n[1-3,7],gpu01") and their shares. Without the
// list it is one node with no name (AgentArgv then lets srun pick it) and
// the allocation's tasks.
func NodesFromEnv(getenv func(string) string) ([]Node, error) {
	list := getenv("SLURM_JOB_NODELIST")
	if list == "" {
		list = getenv("SLURM_NODELIST")
	}
	names := []string{""} // no list: one agent, on the node srun picks
	if list != "" {
		var err error
		if names, err = ExpandHostlist(list); err != nil {
			return nil, fmt.Errorf("SLURM_JOB_NODELIST=%s: %v", list, err)
		}
	}
	cpus, err := perNode(getenv, "SLURM_JOB_CPUS_PER_NODE", len(names))
	if err != nil {
		return nil, err
	}
	perTask, ok, err := positive(getenv, "SLURM_CPUS_PER_TASK")
	if err != nil {
		return nil, err
	}
	if !ok {
		perTask = 1
	}
	var taskCounts []int
	if getenv("SLURM_NTASKS") != "" || getenv("SLURM_NPROCS") != "" {
		if taskCounts, err = perNode(getenv, "SLURM_TASKS_PER_NODE", len(names)); err != nil {
			return nil, err
		}
	}
	total, err := tasks(getenv)
	if err != nil {
		return nil, err
	}
	nodes := make([]Node, len(names))
	for i, name := range names {
		// Without per-node counts, the allocation's tasks are dealt
		// over the nodes.
		nodes[i] = Node{Name: name, CPUs: 1, Slots: max(1, total/len(names))}
		if i < total%len(names) {
			nodes[i].Slots++
		}
		if cpus != nil {
			nodes[i].CPUs = max(1, cpus[i])
			nodes[i].Slots = max(1, cpus[i]/perTask)
		}
		if taskCounts != nil {
			nodes[i].Slots = max(1, taskCounts[i])
		}
	}
	return nodes, nil
}

// perNode expands a per-node count ("2(x3),1") to n values; nil when the
// variable is unset.
func perNode(getenv func(string) string, name string, n int) ([]int, error) {
	v := getenv(name)
	if v == "" {
		return nil, nil
	}
	bad := fmt.Errorf("%s=%s: want a list like 2(x3),1 with one count per node", name, v)
	var out []int
	for _, part := range strings.Split(v, ",") {
		count, times := part, "1"
		if i := strings.IndexByte(part, '('); i >= 0 {
			if !strings.HasPrefix(part[i:], "(x") || !strings.HasSuffix(part, ")") {
				return nil, bad
			}
			count, times = part[:i], part[i+2:len(part)-1]
		}
		c, err1 := strconv.Atoi(count)
		k, err2 := strconv.Atoi(times)
		if err1 != nil || err2 != nil || c < 0 || k < 1 || len(out)+k > n {
			return nil, bad
		}
		for ; k > 0; k-- {
			out = append(out, c)
		}
	}
	if len(out) != n {
		return nil, bad
	}
	return out, nil
}

// ExpandHostlist expands Slurm's compressed host list: "n[1-3,07-08],x"
// is n1 n2 n3 n07 n08 x (leading zeros kept); a name may hold several
// bracketed ranges ("r[1-2]n[1-2]").
func ExpandHostlist(list string) ([]string, error) {
	var out []string
	depth, start := 0, 0
	for i := 0; i <= len(list); i++ {
		if i < len(list) {
			switch list[i] {
			case '[':
				depth++
				continue
			case ']':
				depth--
				if depth < 0 {
					return nil, fmt.Errorf("unbalanced ]")
				}
				continue
			case ',':
				if depth > 0 {
					continue
				}
			default:
				continue
			}
		}
		if depth != 0 {
			return nil, fmt.Errorf("unbalanced [")
		}
		names, err := expandOne(list[start:i])
		if err != nil {
			return nil, err
		}
		out = append(out, names...)
		start = i + 1
	}
	if len(out) > 100000 {
		return nil, fmt.Errorf("over 100000 nodes")
	}
	return out, nil
}

// expandOne expands one name with bracketed ranges.
func expandOne(s string) ([]string, error) {
	if s == "" {
		return nil, fmt.Errorf("an empty name")
	}
	open := strings.IndexByte(s, '[')
	if open < 0 {
		return []string{s}, nil
	}
	end := strings.IndexByte(s[open:], ']')
	if end < 0 {
		return nil, fmt.Errorf("unbalanced [")
	}
	end += open
	prefix, ranges, rest := s[:open], s[open+1:end], s[end+1:]
	tails, err := expandOne(rest)
	if rest == "" {
		tails, err = []string{""}, nil
	}
	if err != nil {
		return nil, err
	}
	var out []string
	for _, r := range strings.Split(ranges, ",") {
		lo, hi, isRange := strings.Cut(r, "-")
		if !isRange {
			hi = lo
		}
		a, err1 := strconv.Atoi(lo)
		b, err2 := strconv.Atoi(hi)
		if err1 != nil || err2 != nil || a < 0 || b < a || b-a > 100000 {
			return nil, fmt.Errorf("bad range %q", r)
		}
		for n := a; n <= b; n++ {
			num := strconv.Itoa(n)
			if len(num) < len(lo) {
				num = strings.Repeat("0", len(lo)-len(num)) + num
			}
			for _, t := range tails {
				out = append(out, prefix+num+t)
			}
			if len(out) > 100000 {
				return nil, fmt.Errorf("over 100000 nodes")
			}
		}
	}
	return out, nil
}

// AgentArgv is the srun command that runs exe's agent (exe --agent-serve,
// given as agentArgs) as one job step on node, with the node's CPUs of the
// allocation:
//
//   - --overlap: the agent's step shares the CPUs with any other step of
//     the job, so that it never queues behind them;
//   - --mem=0: all of the job's memory on the node, without reserving it;
//   - --unbuffered: the agent's frames pass as written (srun otherwise
//     holds output back until a newline);
//   - --quiet: srun's own chatter stays off the agent's stderr.
func AgentArgv(node Node, agentArgv []string) []string {
	argv := []string{"srun", "--nodes=1", "--ntasks=1"}
	if node.Name != "" {
		argv = append(argv, "--nodelist="+node.Name)
	}
	argv = append(argv, "--cpus-per-task="+strconv.Itoa(node.CPUs), "--overlap", "--mem=0", "--unbuffered", "--quiet", "--")
	return append(argv, agentArgv...)
}
