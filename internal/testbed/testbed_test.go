package testbed

import (
	"os"
	"os/exec"
	"strconv"
	"testing"
)

// A bed is in use while the test process that made it runs.
func TestOwnerRuns(t *testing.T) {
	if !OwnerRuns("/tmp/pmbed-" + strconv.Itoa(os.Getpid()) + "-123") {
		t.Error("the bed of this test process is not in use")
	}
	if OwnerRuns("/tmp/pmslurm-1-123") {
		t.Error("pid 1 made a bed")
	}
	if OwnerRuns("/tmp/pmbed-999999999-1") || OwnerRuns("/tmp/other-1-1") {
		t.Error("a bed of no process is in use")
	}
}

// A process carrying a bed's mark belongs to that bed.
func TestBedOf(t *testing.T) {
	dir := "/tmp/pmbed-" + strconv.Itoa(os.Getpid()) + "-42"
	c := exec.Command("sleep", "60")
	c.Env = append(os.Environ(), Mark(dir))
	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { c.Process.Kill(); c.Wait() }()
	if got := BedOf(c.Process.Pid); got != dir {
		t.Errorf("BedOf = %q, want %q", got, dir)
	}
	if got := BedOf(os.Getpid()); got != "" {
		t.Errorf("BedOf(this test) = %q, want none", got)
	}
}
