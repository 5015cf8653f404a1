// Package slurm runs parmap's jobs as Slurm job steps inside an allocation
// (--slurm) and picks the share of the jobs that one task of a job array
// runs (--shard).
//
// Inside an allocation made by sbatch or salloc, FromEnv reads what Slurm put
// in the environment: the job id, how many steps fit at once (parmap's
// default -j), and the job array task, if any. Argv turns one job's command
// into the srun command that runs it as a step on one CPU of the allocation;
// srun queues a step until a CPU is free, so jobs beyond the allocation's
// size wait instead of oversubscribing it. Filter drops srun's own chatter
// from a step's stderr, and StopSignal is what stops a step.
//
// Facts of Slurm 22.05 that the API follows (checked against a real
// slurmctld/slurmd, see slurmtest):
//
//   - The exit status of the step's command comes back as srun's: exit 3
//     gives 3; a command killed by signal N gives 128+N (SIGKILL: 137), as an
//     exit code, not as a signal death of srun.
//   - SIGTERM (or SIGHUP, SIGQUIT) makes srun kill the whole step with
//     SIGKILL, background children included; srun then exits 137 within
//     tens of ms and prints "srun: error: NODE: task 0: Killed". Output the
//     command wrote in the last ~20 ms may be lost (stderr more often than
//     stdout), with slurmstepd's "*** STEP … CANCELLED ***" line.
//   - A single SIGINT does not stop the step: srun only reports it ("srun:
//     interrupt (one more within 1 sec to abort)", silent under --quiet).
//     Two within a second pass SIGINT to the command, but a child it left
//     behind then outlives the step (proctrack/linuxproc loses orphans).
//   - SIGTERM that reaches srun while its step is still queued cancels the
//     request: srun exits 1 and no step is left.
//   - SIGTERM in the first milliseconds after srun starts kills srun itself
//     (a signal death) before it handles signals; a little later, while the
//     step is being launched, srun can exit 0 although the command was
//     killed, and the step may keep its CPU for up to 30 s. A caller that
//     stopped a step must report it as stopped whatever srun returns.
package slurm

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"syscall"
)

// StopSignal is the signal that stops a step started with Argv: srun
// answers it by killing the step's whole process tree and exiting. Send it
// instead of SIGINT, which srun only reports. Start srun in a process group
// of its own (Setpgid), so that a terminal's Ctrl-C reaches parmap and not
// srun: pressed twice within a second it would SIGINT every job behind
// parmap's back.
const StopSignal = syscall.SIGTERM

// Alloc is the Slurm allocation parmap runs in.
type Alloc struct {
	// JobID is SLURM_JOB_ID.
	JobID string
	// Tasks is how many one-CPU-per-task steps the allocation holds at once:
	// parmap's default -j. See FromEnv for where it comes from.
	Tasks int

	array *array // nil outside a job array
}

// array is a job array task as Slurm describes it.
type array struct {
	id, min, max, step, count int
	hasCount                  bool // SLURM_ARRAY_TASK_COUNT was set (Slurm ≥ 18.08)
}

// ErrNoAllocation is FromEnv's error outside a Slurm allocation.
var ErrNoAllocation = errors.New("no Slurm allocation: SLURM_JOB_ID is not set")

// ArrayVarError is a job array task without a variable that the Slurm
// versions parmap knows set in every task: this Slurm is too old.
type ArrayVarError struct {
	Task string // SLURM_ARRAY_TASK_ID
	Var  string // the variable that is missing, such as SLURM_ARRAY_TASK_MIN
}

func (e *ArrayVarError) Error() string {
	return fmt.Sprintf("job array task %s without %s: this Slurm is too old for job arrays", e.Task, e.Var)
}

// FromEnv reads the allocation from the environment through getenv
// (os.Getenv in parmap). Outside an allocation, SLURM_JOB_ID is unset and the
// error is ErrNoAllocation; a job array task without the variables that
// place it is an *ArrayVarError; a variable with a value that cannot be read
// is an error naming it.
//
// Tasks is the first of:
//
//   - SLURM_NTASKS, set by sbatch/salloc -n (and SLURM_NPROCS, its older
//     name);
//   - the CPUs of the allocation, the sum of SLURM_JOB_CPUS_PER_NODE
//     ("2(x3),1" is 7), else SLURM_CPUS_ON_NODE, divided by
//     SLURM_CPUS_PER_TASK: a step started by Argv inherits -c from that
//     variable, so this many fit at once;
//   - 1.
func FromEnv(getenv func(string) string) (*Alloc, error) {
	id := getenv("SLURM_JOB_ID")
	if id == "" {
		id = getenv("SLURM_JOBID")
	}
	if id == "" {
		return nil, ErrNoAllocation
	}
	a := &Alloc{JobID: id}
	var err error
	if a.Tasks, err = tasks(getenv); err != nil {
		return nil, err
	}
	if a.array, err = arrayFromEnv(getenv); err != nil {
		return nil, err
	}
	return a, nil
}

// tasks works out Alloc.Tasks as FromEnv documents it.
func tasks(getenv func(string) string) (int, error) {
	for _, name := range []string{"SLURM_NTASKS", "SLURM_NPROCS"} {
		if n, ok, err := positive(getenv, name); ok || err != nil {
			return n, err
		}
	}
	perTask, ok, err := positive(getenv, "SLURM_CPUS_PER_TASK")
	if err != nil {
		return 0, err
	}
	if !ok {
		perTask = 1
	}
	cpus := 0
	if v := getenv("SLURM_JOB_CPUS_PER_NODE"); v != "" {
		if cpus, err = cpusPerNode(v); err != nil {
			return 0, err
		}
	} else if n, ok, err := positive(getenv, "SLURM_CPUS_ON_NODE"); err != nil {
		return 0, err
	} else if ok {
		cpus = n
	}
	return max(1, cpus/perTask), nil
}

// cpusPerNode sums SLURM_JOB_CPUS_PER_NODE, whose form is a comma-separated
// list of "C" or "C(xN)" (N nodes with C CPUs each).
func cpusPerNode(v string) (int, error) {
	bad := fmt.Errorf("SLURM_JOB_CPUS_PER_NODE=%s: want a list like 2(x3),1", v)
	sum := 0
	for _, part := range strings.Split(v, ",") {
		cpus, times := part, "1"
		if i := strings.IndexByte(part, '('); i >= 0 {
			if !strings.HasPrefix(part[i:], "(x") || !strings.HasSuffix(part, ")") {
				return 0, bad
			}
			cpus, times = part[:i], part[i+2:len(part)-1]
		}
		c, err1 := strconv.Atoi(cpus)
		n, err2 := strconv.Atoi(times)
		if err1 != nil || err2 != nil || c < 0 || n < 1 {
			return 0, bad
		}
		sum += c * n
	}
	return sum, nil
}

// positive reads a variable that must be a whole number ≥ 1 when set.
func positive(getenv func(string) string, name string) (n int, ok bool, err error) {
	v := getenv(name)
	if v == "" {
		return 0, false, nil
	}
	n, err = strconv.Atoi(v)
	if err != nil || n < 1 {
		return 0, false, fmt.Errorf("%s=%s: want a whole number ≥ 1", name, v)
	}
	return n, true, nil
}

// arrayFromEnv reads the job array variables; nil when
// SLURM_ARRAY_TASK_ID is unset.
func arrayFromEnv(getenv func(string) string) (*array, error) {
	if getenv("SLURM_ARRAY_TASK_ID") == "" {
		return nil, nil
	}
	var a array
	for _, f := range []struct {
		name     string
		dst      *int
		required bool
	}{
		{"SLURM_ARRAY_TASK_ID", &a.id, true},
		{"SLURM_ARRAY_TASK_MIN", &a.min, true},
		{"SLURM_ARRAY_TASK_MAX", &a.max, true},
		{"SLURM_ARRAY_TASK_STEP", &a.step, false},
		{"SLURM_ARRAY_TASK_COUNT", &a.count, false},
	} {
		v := getenv(f.name)
		if v == "" {
			if f.required {
				return nil, &ArrayVarError{Task: getenv("SLURM_ARRAY_TASK_ID"), Var: f.name}
			}
			continue
		}
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return nil, fmt.Errorf("%s=%s: want a whole number ≥ 0", f.name, v)
		}
		*f.dst = n
		if f.dst == &a.count {
			a.hasCount = true
		}
	}
	if a.step < 1 {
		a.step = 1
	}
	return &a, nil
}

// Argv is the command that runs cmd as one job step: on one node, one task,
// as many CPUs as SLURM_CPUS_PER_TASK says (one by default), queued by srun
// until the allocation has them free.
//
//   - --exclusive: the step gets CPUs no other step holds (and implies
//     --exact), so steps run side by side up to the allocation's size and
//     queue beyond it.
//   - --mem=0: the step may use all of the job's memory without reserving
//     it. Without it, under sbatch --mem=… each step asks for the whole
//     job's memory and steps run one at a time.
//   - --quiet: no "step creation temporarily disabled" lines while queued.
//     Errors still print; Filter drops the rest.
func (a *Alloc) Argv(cmd []string) []string {
	argv := []string{"srun", "--exclusive", "-N1", "-n1", "--mem=0", "--quiet", "--"}
	return append(argv, cmd...)
}
