package slurm

import (
	"fmt"
	"strconv"
	"strings"
)

// ParseShard reads --shard's "K/N": run only the jobs whose number seq has
// (seq-1) mod N == K, with 0 ≤ K < N. The error is a *ShardError.
func ParseShard(s string) (k, n int, err error) {
	ks, ns, ok := strings.Cut(s, "/")
	if ok {
		k, err1 := strconv.Atoi(ks)
		n, err2 := strconv.Atoi(ns)
		if err1 == nil && err2 == nil && 0 <= k && k < n {
			return k, n, nil
		}
	}
	return 0, 0, &ShardError{Value: s}
}

// ShardError is a shard that ParseShard cannot read.
type ShardError struct {
	Value string // as given
}

func (e *ShardError) Error() string {
	return fmt.Sprintf("shard %q: not K/N with 0 ≤ K < N", e.Value)
}

// ArrayGapError is a job array task that cannot know its position in the
// array: the array was submitted as a list with gaps (--array=1,4,9), so
// Slurm tells its tasks no step.
type ArrayGapError struct {
	Task  int // SLURM_ARRAY_TASK_ID
	Count int // the number of tasks in the array
	Min   int // SLURM_ARRAY_TASK_MIN
	Max   int // SLURM_ARRAY_TASK_MAX
}

func (e *ArrayGapError) Error() string {
	return fmt.Sprintf("job array task %d of %d tasks from %d to %d: its position is unknown because the array is a list with gaps",
		e.Task, e.Count, e.Min, e.Max)
}

// InShard reports whether job number seq (1, 2, …) belongs to shard k of n.
// n ≤ 0 means no sharding: every job belongs.
func InShard(seq int64, k, n int) bool {
	if n <= 0 {
		return true
	}
	return (seq-1)%int64(n) == int64(k)
}

// ArrayShard is the shard of this job array task: k is the task's position
// in the array, n the number of tasks, so the tasks of one array together
// run every job once. Outside a job array it returns 0, 0, nil: no sharding
// (InShard is true for every job).
//
// The position is (SLURM_ARRAY_TASK_ID - SLURM_ARRAY_TASK_MIN) /
// SLURM_ARRAY_TASK_STEP, so --array=1-8, --array=0-7 and --array=1-15:2 all
// give shards 0/8 … 7/8. A % throttle changes nothing. n is
// SLURM_ARRAY_TASK_COUNT, or, where Slurm does not set it (before 18.08),
// (MAX-MIN)/STEP+1.
//
// An array given as a list with gaps (--array=1,4,9) has no step that
// Slurm tells its tasks, so a task cannot know its position: that is an
// *ArrayGapError.
func (a *Alloc) ArrayShard() (k, n int, err error) {
	r := a.array
	if r == nil {
		return 0, 0, nil
	}
	span := r.max - r.min
	n = r.count
	if !r.hasCount {
		n = span/r.step + 1
	}
	k = (r.id - r.min) / r.step
	if r.id < r.min || r.id > r.max || (r.id-r.min)%r.step != 0 || span%r.step != 0 || span/r.step+1 != n || k >= n {
		return 0, 0, &ArrayGapError{Task: r.id, Count: n, Min: r.min, Max: r.max}
	}
	return k, n, nil
}
