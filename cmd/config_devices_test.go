package cmd

import (
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/parmap/parmap/internal/devices"
)

func TestDevicesConfig(t *testing.T) {
	for _, tt := range []struct {
		args    []string
		jobs    int
		devices []string
	}{
		{[]string{"--gpus", "0,1,2,3", "echo"}, 4, []string{"0", "1", "2", "3"}},
		{[]string{"--gpus", "4", "--gpus-per-job", "2", "echo"}, 2, []string{"0,1", "2,3"}},
		{[]string{"--gpus", "5", "--gpus-per-job", "2", "echo"}, 2, []string{"0,1", "2,3"}}, // device 4 left over
		{[]string{"--gpus", "GPU-a,GPU-b,MIG-c/1/0", "echo"}, 3, []string{"GPU-a", "GPU-b", "MIG-c/1/0"}},
		{[]string{"--gpus", "3,", "echo"}, 1, []string{"3"}},
		{[]string{"--gpus", "4", "-j", "2", "echo"}, 2, []string{"0", "1", "2", "3"}}, // fewer jobs than sets: some idle
		{[]string{"--gpus", "4", "-j", "0", "echo"}, 4, []string{"0", "1", "2", "3"}},
	} {
		cfg, msg := configOf(t, tt.args...)
		if msg != "" {
			t.Errorf("%q: %s", tt.args, msg)
			continue
		}
		if cfg.Jobs != tt.jobs || !reflect.DeepEqual(cfg.Devices, tt.devices) {
			t.Errorf("%q: jobs %d, devices %q; want %d, %q", tt.args, cfg.Jobs, cfg.Devices, tt.jobs, tt.devices)
		}
	}
}

func TestDevicesFromSlurm(t *testing.T) {
	t.Setenv("SLURM_JOB_ID", "42")
	t.Setenv("SLURM_JOB_GPUS", "4,5,6,7")
	t.Setenv("CUDA_VISIBLE_DEVICES", "0,1,2,3")
	cfg, msg := configOf(t, "--gpus-per-job", "2", "echo")
	if msg != "" || cfg.Jobs != 2 || !reflect.DeepEqual(cfg.Devices, []string{"0,1", "2,3"}) {
		t.Errorf("CUDA_VISIBLE_DEVICES first: %v, %s", cfg, msg)
	}
	t.Setenv("CUDA_VISIBLE_DEVICES", "")
	cfg, msg = configOf(t, "--gpus-per-job", "1", "echo")
	if msg != "" || !reflect.DeepEqual(cfg.Devices, []string{"4", "5", "6", "7"}) {
		t.Errorf("SLURM_JOB_GPUS next: %v, %s", cfg, msg)
	}
	// --gpus wins over the allocation's, and the allocation's is not taken
	// without --gpus-per-job.
	cfg, msg = configOf(t, "--gpus", "1", "echo")
	if msg != "" || !reflect.DeepEqual(cfg.Devices, []string{"0"}) {
		t.Errorf("--gpus: %v, %s", cfg, msg)
	}
	if cfg, _ = configOf(t, "echo"); cfg.Devices != nil {
		t.Errorf("no option: devices %q", cfg.Devices)
	}
}

func TestCPUsPerJobConfig(t *testing.T) {
	cpus, err := devices.CPUs()
	if err != nil {
		t.Fatal(err)
	}
	cfg, msg := configOf(t, "--cpus-per-job", "1", "echo")
	if msg != "" || cfg.Jobs != len(cpus) || len(cfg.CPUs) != len(cpus) {
		t.Fatalf("%v, %s; want %d sets", cfg, msg, len(cpus))
	}
	for i, set := range cfg.CPUs {
		if !reflect.DeepEqual(set, []int{cpus[i]}) {
			t.Errorf("set %d is %v, want [%d]", i, set, cpus[i])
		}
	}
	if len(cpus) >= 2 {
		// With devices too, the fewer sets bound -j.
		cfg, msg = configOf(t, "--cpus-per-job", "1", "--gpus", "8", "echo")
		if msg != "" || cfg.Jobs != len(cpus) || len(cfg.Devices) != 8 {
			t.Errorf("with --gpus 8: %v, %s", cfg, msg)
		}
	}
}

func TestDevicesBadInput(t *testing.T) {
	cpus, err := devices.CPUs()
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv("SLURM_JOB_ID", "")
	over := strconv.Itoa(len(cpus) + 1)
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"--gpus", "0,1,0"}, `--gpus "0,1,0": device 0 is listed twice; give each device once`},
		{[]string{"--gpus", "0"}, `--gpus "0": no devices: give a count of 1 or more, or a list of ids`},
		{[]string{"--gpus", "0,,1"}, `--gpus "0,,1": "0,,1" has an empty device id`},
		{[]string{"--gpus", "0,1,2,3", "--gpus-per-job", "5"}, "--gpus-per-job 5 is more than the 4 devices of --gpus 0,1,2,3; give 4 or fewer"},
		{[]string{"--gpus", "2", "--gpus-per-job", "0"}, `--gpus-per-job "0": give a number of devices per job, 1 or more`},
		{[]string{"--gpus-per-job", "2"}, "--gpus-per-job needs the devices: give --gpus LIST (ids, comma-separated) or --gpus N (devices 0 to N-1), or run inside a Slurm job with GPUs"},
		{[]string{"--gpus", "4", "-j", "5"}, "-j 5 is more jobs than the 4 device sets (4 devices, 1 per job) can run at once; give -j 4 or fewer, or leave -j out"},
		{[]string{"--cpus-per-job", over}, "--cpus-per-job " + over + " is more than the " + strconv.Itoa(len(cpus)) + " CPUs parmap may use; give " + strconv.Itoa(len(cpus)) + " or fewer"},
		{[]string{"--cpus-per-job", "0"}, `--cpus-per-job "0": give a number of CPUs per job, 1 or more`},
		{[]string{"--gpus", "2", "-S", "host"}, "--gpus gives jobs on this machine their own resources; it cannot be used with -S or --sshloginfile"},
		{[]string{"--cpus-per-job", "1", "--slurm"}, "--cpus-per-job cannot be used with --slurm"},
	} {
		_, msg := configOf(t, append(tt.args, "echo")...)
		if !strings.HasPrefix(msg, tt.want) || strings.Contains(msg, "\n") {
			t.Errorf("%q: %q, want %q", tt.args, msg, tt.want)
		}
	}
}
