package devices

import (
	"errors"
	"reflect"
	"testing"
)

func TestParseList(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want []string
		err  error
	}{
		{"4", []string{"0", "1", "2", "3"}, nil},
		{"1", []string{"0"}, nil},
		{"3,", []string{"3"}, nil},
		{"0,2,5", []string{"0", "2", "5"}, nil},
		{"GPU-8f3e,GPU-1a2b", []string{"GPU-8f3e", "GPU-1a2b"}, nil},
		{"0", nil, ErrNone},
		{"-1", nil, ErrNone},
		{"0,1,0", nil, &DuplicateError{ID: "0"}},
		{"0,,1", nil, &EmptyIDError{List: "0,,1"}},
		{"", nil, &EmptyIDError{List: ""}},
		{"0, 1", nil, &BadIDError{ID: " 1"}},
	} {
		got, err := ParseList(tt.in)
		if !reflect.DeepEqual(got, tt.want) || !reflect.DeepEqual(err, tt.err) && !errors.Is(err, tt.err) {
			t.Errorf("%q: %q, %v; want %q, %v", tt.in, got, err, tt.want, tt.err)
		}
	}
}

func TestFromSlurm(t *testing.T) {
	env := func(kv map[string]string) func(string) string { return func(k string) string { return kv[k] } }
	for _, tt := range []struct {
		env  map[string]string
		want []string
		from string
		err  error
	}{
		{map[string]string{"CUDA_VISIBLE_DEVICES": "0,1"}, nil, "", ErrNotSlurm},
		{map[string]string{"SLURM_JOB_ID": "9", "CUDA_VISIBLE_DEVICES": "0,1", "SLURM_JOB_GPUS": "2,3"}, []string{"0", "1"}, "CUDA_VISIBLE_DEVICES", nil},
		{map[string]string{"SLURM_JOB_ID": "9", "CUDA_VISIBLE_DEVICES": "NoDevFiles", "SLURM_JOB_GPUS": "2,3"}, []string{"2", "3"}, "SLURM_JOB_GPUS", nil},
		{map[string]string{"SLURM_JOB_ID": "9", "SLURM_STEP_GPUS": "5", "SLURM_JOB_GPUS": "2,3,5"}, []string{"5"}, "SLURM_STEP_GPUS", nil},
		{map[string]string{"SLURM_JOB_ID": "9"}, nil, "", ErrNoSlurmDevices},
		{map[string]string{"SLURM_JOB_ID": "9", "SLURM_JOB_GPUS": "1,1"}, nil, "SLURM_JOB_GPUS", &DuplicateError{ID: "1"}},
	} {
		got, from, err := FromSlurm(env(tt.env))
		if !reflect.DeepEqual(got, tt.want) || from != tt.from || !reflect.DeepEqual(err, tt.err) {
			t.Errorf("%v: %q from %q, %v; want %q from %q, %v", tt.env, got, from, err, tt.want, tt.from, tt.err)
		}
	}
}

func TestSplit(t *testing.T) {
	if got := Split([]int{0, 1, 2, 3, 4}, 2); !reflect.DeepEqual(got, [][]int{{0, 1}, {2, 3}}) {
		t.Errorf("Split by 2: %v", got)
	}
	if got := Split([]string{"a"}, 2); len(got) != 0 {
		t.Errorf("Split short: %v", got)
	}
	if got := Joined([][]string{{"0", "1"}, {"2"}}); !reflect.DeepEqual(got, []string{"0,1", "2"}) {
		t.Errorf("Joined: %q", got)
	}
}

func TestCPUs(t *testing.T) {
	cpus, err := CPUs()
	if err != nil || len(cpus) == 0 {
		t.Fatalf("%v, %v", cpus, err)
	}
	for i := 1; i < len(cpus); i++ {
		if cpus[i] <= cpus[i-1] {
			t.Errorf("not ascending: %v", cpus)
		}
	}
}
