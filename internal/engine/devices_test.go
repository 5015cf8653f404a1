package engine

import (
	"fmt"
	"os"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

// Each job gets its slot's devices in the three variables (an inherited
// value is gone), and its slot's CPUs; the slots are capped at the sets
// whatever Jobs says.
func TestSlotDevicesAndCPUs(t *testing.T) {
	var set unix.CPUSet
	if err := unix.SchedGetaffinity(0, &set); err != nil || !set.IsSet(0) || !set.IsSet(1) {
		t.Skip("needs CPUs 0 and 1")
	}
	recs := make([]string, 20)
	for i := range recs {
		recs[i] = fmt.Sprint(i)
	}
	cfg := config(t, []string{"sh", "-c", `echo $PARMAP_SLOT $CUDA_VISIBLE_DEVICES $ROCR_VISIBLE_DEVICES $HIP_VISIBLE_DEVICES $(grep Cpus_allowed_list /proc/self/status | cut -f2)`}, recs...)
	cfg.Env = append(os.Environ(), "CUDA_VISIBLE_DEVICES=stale")
	cfg.Jobs = 8
	cfg.Devices = []string{"a,b", "c,d"}
	cfg.CPUs = [][]int{{0}, {1}}
	res := runConfig(t, cfg)
	lines := strings.Split(strings.TrimSuffix(res.stdout, "\n"), "\n")
	if res.sum.Failed != 0 || len(lines) != len(recs) {
		t.Fatalf("summary %+v, output %q", res.sum, res.stdout)
	}
	want := map[string]bool{"1 a,b a,b a,b 0": true, "2 c,d c,d c,d 1": true}
	for _, l := range lines {
		if !want[l] {
			t.Errorf("line %q, want one of %v", l, want)
		}
	}
}

func TestSlotSets(t *testing.T) {
	for _, tt := range []struct {
		cfg  Config
		want int
	}{
		{Config{}, 0},
		{Config{Devices: []string{"0", "1", "2"}}, 3},
		{Config{CPUs: [][]int{{0}, {1}}}, 2},
		{Config{Devices: []string{"0", "1", "2"}, CPUs: [][]int{{0}, {1}}}, 2},
	} {
		if got := slotSets(&tt.cfg); got != tt.want {
			t.Errorf("%+v: %d, want %d", tt.cfg, got, tt.want)
		}
	}
}

// A resize beyond the device sets is capped at them: the run's limit stays
// at the sets, and a job waits for a set to free.
func TestSetJobsCappedAtDeviceSets(t *testing.T) {
	cfg, dir := heldConfig(t, "a", "b", "c")
	cfg.Jobs = 2
	cfg.Devices = []string{"0", "1"}
	h := startHeld(t, cfg, dir, NewControl())
	if got := h.started(2); !same(got, "a", "b") {
		t.Fatalf("started %q", got)
	}
	if err := h.ctl.SetJobs(5); err != nil {
		t.Fatal(err)
	}
	if s := h.ctl.Status(); s.Jobs != 2 || s.Running != 2 {
		t.Fatalf("status %+v, want 2 jobs at most, 2 running", s)
	}
	h.none()
	h.release("a")
	if got := h.started(1); !same(got, "c") {
		t.Fatalf("started %q", got)
	}
	h.release("b", "c")
	if sum := <-h.sums; sum.Done != 3 || sum.Failed != 0 {
		t.Errorf("summary %+v", sum)
	}
}
