package slurm

import (
	"errors"
	"strconv"
	"testing"
)

func TestParseShard(t *testing.T) {
	good := []struct {
		s    string
		k, n int
	}{{"0/1", 0, 1}, {"0/4", 0, 4}, {"3/4", 3, 4}, {"12/100", 12, 100}}
	for _, tt := range good {
		k, n, err := ParseShard(tt.s)
		if err != nil || k != tt.k || n != tt.n {
			t.Errorf("ParseShard(%q) = %d, %d, %v; want %d, %d", tt.s, k, n, err, tt.k, tt.n)
		}
	}
	for _, s := range []string{"3/2", "2/2", "-1/2", "0/0", "1", "a/b", "1/2/", "", "1 /2"} {
		_, _, err := ParseShard(s)
		var se *ShardError
		if !errors.As(err, &se) || se.Value != s {
			t.Errorf("ParseShard(%q) err = %#v, want a *ShardError for %q", s, err, s)
			continue
		}
		if want := "shard " + strconv.Quote(s) + ": not K/N with 0 ≤ K < N"; err.Error() != want {
			t.Errorf("ParseShard(%q) err = %q, want %q", s, err, want)
		}
	}
}

func TestInShard(t *testing.T) {
	for n := 1; n <= 5; n++ {
		seen := map[int64]int{}
		for k := 0; k < n; k++ {
			for seq := int64(1); seq <= 23; seq++ {
				if InShard(seq, k, n) {
					seen[seq]++
				}
			}
		}
		for seq := int64(1); seq <= 23; seq++ {
			if seen[seq] != 1 {
				t.Errorf("n=%d: job %d is in %d shards", n, seq, seen[seq])
			}
		}
	}
	if !InShard(1, 0, 4) || InShard(2, 0, 4) || !InShard(5, 0, 4) || !InShard(4, 3, 4) {
		t.Error("InShard does not follow (seq-1) mod n == k")
	}
	if !InShard(7, 0, 0) {
		t.Error("n = 0 must mean every job")
	}
}

// arrayEnv is what Slurm 22.05 sets for one task of an array (checked with
// sbatch --array on the test bed); count < 0 leaves COUNT out, as before
// Slurm 18.08.
func arrayEnv(id, min, max, step, count int) func(string) string {
	kv := []string{"SLURM_JOB_ID=9",
		"SLURM_ARRAY_TASK_ID=" + strconv.Itoa(id),
		"SLURM_ARRAY_TASK_MIN=" + strconv.Itoa(min),
		"SLURM_ARRAY_TASK_MAX=" + strconv.Itoa(max),
		"SLURM_ARRAY_TASK_STEP=" + strconv.Itoa(step)}
	if count >= 0 {
		kv = append(kv, "SLURM_ARRAY_TASK_COUNT="+strconv.Itoa(count))
	}
	return env(kv...)
}

func TestArrayShard(t *testing.T) {
	tests := []struct {
		name                        string
		ids                         []int
		min, max, step, count, want int
	}{
		{"--array=1-4", []int{1, 2, 3, 4}, 1, 4, 1, 4, 4},
		{"--array=0-3", []int{0, 1, 2, 3}, 0, 3, 1, 4, 4},
		{"--array=1-7:2", []int{1, 3, 5, 7}, 1, 7, 2, 4, 4},
		{"--array=0-5%2", []int{0, 1, 2, 3, 4, 5}, 0, 5, 1, 6, 6},
		{"--array=5", []int{5}, 5, 5, 1, 1, 1},
		{"no COUNT, 1-4", []int{1, 2, 3, 4}, 1, 4, 1, -1, 4},
		{"no COUNT, 2-8:3", []int{2, 5, 8}, 2, 8, 3, -1, 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for pos, id := range tt.ids {
				a, err := FromEnv(arrayEnv(id, tt.min, tt.max, tt.step, tt.count))
				if err != nil {
					t.Fatal(err)
				}
				k, n, err := a.ArrayShard()
				if err != nil || k != pos || n != tt.want {
					t.Errorf("task %d: ArrayShard = %d, %d, %v; want %d, %d", id, k, n, err, pos, tt.want)
				}
			}
		})
	}

	// --array=1,4,9: Slurm says MIN=1 MAX=9 STEP=1 COUNT=3.
	a, err := FromEnv(arrayEnv(4, 1, 9, 1, 3))
	if err != nil {
		t.Fatal(err)
	}
	_, _, err = a.ArrayShard()
	var ge *ArrayGapError
	if !errors.As(err, &ge) || *ge != (ArrayGapError{Task: 4, Count: 3, Min: 1, Max: 9}) {
		t.Errorf("list with gaps: err = %#v, want an *ArrayGapError for task 4 of 3 from 1 to 9", err)
	}
	want := "job array task 4 of 3 tasks from 1 to 9: its position is unknown because the array is a list with gaps"
	if err == nil || err.Error() != want {
		t.Errorf("list with gaps: err = %v, want %q", err, want)
	}

	a, err = FromEnv(env("SLURM_JOB_ID=9", "SLURM_NTASKS=2"))
	if err != nil {
		t.Fatal(err)
	}
	if k, n, err := a.ArrayShard(); k != 0 || n != 0 || err != nil {
		t.Errorf("outside an array: ArrayShard = %d, %d, %v; want 0, 0, nil", k, n, err)
	}
}
