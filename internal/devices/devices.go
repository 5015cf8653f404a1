// Package devices hands each job slot resources of its own: a set of
// accelerator devices (--gpus, --gpus-per-job) and a set of CPUs
// (--cpus-per-job). It reads the device list (given, or a Slurm
// allocation's), the CPUs this process may use, and cuts them into disjoint
// sets, one per slot. Which job holds which set is the scheduler's part: a
// job holds the set of the slot it runs in, and a slot runs one job at a
// time.
package devices

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode"
)

// Vars are the environment variables a job's devices are given in: CUDA's,
// and ROCm's two, each the device ids joined by commas.
var Vars = []string{"CUDA_VISIBLE_DEVICES", "ROCR_VISIBLE_DEVICES", "HIP_VISIBLE_DEVICES"}

// ErrNone is ParseList's error for N = 0: there must be a device.
var ErrNone = errors.New("no devices: give a count of 1 or more, or a list of ids")

// EmptyIDError is ParseList's error for an empty id in a list ("0,,1").
type EmptyIDError struct{ List string }

func (e *EmptyIDError) Error() string { return fmt.Sprintf("%q has an empty device id", e.List) }

// BadIDError is ParseList's error for an id with a blank or control
// character in it.
type BadIDError struct{ ID string }

func (e *BadIDError) Error() string {
	return fmt.Sprintf("device id %q has a blank or control character in it", e.ID)
}

// DuplicateError is ParseList's error for an id given twice.
type DuplicateError struct{ ID string }

func (e *DuplicateError) Error() string { return fmt.Sprintf("device %s is listed twice", e.ID) }

// ParseList reads a device list: a whole number N stands for the first N
// devices, 0 to N-1; anything else is comma-separated ids (numbers, UUIDs,
// MIG names), each once. A trailing comma makes a single number a list of
// one ("3," is device 3 alone).
func ParseList(s string) ([]string, error) {
	if n, err := strconv.Atoi(s); err == nil && !strings.HasPrefix(s, "+") {
		if n < 1 {
			return nil, ErrNone
		}
		ids := make([]string, n)
		for i := range ids {
			ids[i] = strconv.Itoa(i)
		}
		return ids, nil
	}
	return parseIDs(strings.TrimSuffix(s, ","), s)
}

// parseIDs splits a comma-separated list of ids; list is the text as
// given, for errors.
func parseIDs(s, list string) ([]string, error) {
	seen := map[string]bool{}
	var ids []string
	for _, id := range strings.Split(s, ",") {
		switch {
		case id == "":
			return nil, &EmptyIDError{List: list}
		case strings.IndexFunc(id, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }) >= 0:
			return nil, &BadIDError{ID: id}
		case seen[id]:
			return nil, &DuplicateError{ID: id}
		}
		seen[id] = true
		ids = append(ids, id)
	}
	return ids, nil
}

// SlurmVars are where a Slurm job's devices are read from, in order: what
// the job's processes see (CUDA_VISIBLE_DEVICES, numbered within the job's
// device cgroup), then the step's and the job's GPUs as Slurm names them.
var SlurmVars = []string{"CUDA_VISIBLE_DEVICES", "SLURM_STEP_GPUS", "SLURM_JOB_GPUS"}

// ErrNotSlurm is FromSlurm's error outside a Slurm job (no SLURM_JOB_ID).
var ErrNotSlurm = errors.New("not inside a Slurm job")

// ErrNoSlurmDevices is FromSlurm's error for a Slurm job with no GPUs.
var ErrNoSlurmDevices = errors.New("the Slurm job has no GPUs")

// FromSlurm returns the devices of the Slurm job parmap runs in, and the
// variable they came from: the first of SlurmVars that holds a list
// (CUDA's NoDevFiles, Slurm's word for none, is none).
func FromSlurm(getenv func(string) string) (ids []string, from string, err error) {
	if getenv("SLURM_JOB_ID") == "" {
		return nil, "", ErrNotSlurm
	}
	for _, v := range SlurmVars {
		s := strings.TrimSpace(getenv(v))
		if s == "" || s == "NoDevFiles" {
			continue
		}
		ids, err := parseIDs(s, s)
		if err != nil {
			return nil, v, err
		}
		return ids, v, nil
	}
	return nil, "", ErrNoSlurmDevices
}

// Split cuts items into sets of k, in order; items left over (fewer than
// k) are in no set. Slot s (counted from 1) holds set s-1.
func Split[T any](items []T, k int) [][]T {
	if k < 1 {
		return nil
	}
	sets := make([][]T, 0, len(items)/k)
	for i := 0; i+k <= len(items); i += k {
		sets = append(sets, items[i:i+k:i+k])
	}
	return sets
}

// Joined returns each set's ids joined by commas: what a job is given in
// Vars and {gpu}.
func Joined(sets [][]string) []string {
	out := make([]string, len(sets))
	for i, s := range sets {
		out[i] = strings.Join(s, ",")
	}
	return out
}
