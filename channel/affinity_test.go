package channel

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"
)

// statusLine returns the value of a line of a /proc status file.
func statusLine(t *testing.T, status, key string) string {
	t.Helper()
	for _, l := range strings.Split(status, "\n") {
		if v, ok := strings.CutPrefix(l, key+":"); ok {
			return strings.TrimSpace(v)
		}
	}
	t.Fatalf("no %s in %q", key, status)
	return ""
}

// threadMasks returns the Cpus_allowed_list of each of this process's threads.
func threadMasks(t *testing.T) map[string]string {
	t.Helper()
	paths, err := filepath.Glob("/proc/self/task/*/status")
	if err != nil {
		t.Fatal(err)
	}
	masks := map[string]string{}
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			continue // the thread ended
		}
		masks[p] = statusLine(t, string(b), "Cpus_allowed_list")
	}
	return masks
}

// A child started with CPUs runs on those only (its mask is read by the
// child itself), and no thread of parmap keeps the narrowed mask.
func TestStartPinsTheChild(t *testing.T) {
	var set unix.CPUSet
	if err := unix.SchedGetaffinity(0, &set); err != nil {
		t.Fatal(err)
	}
	if set.Count() < 2 || !set.IsSet(1) {
		t.Skip("needs CPU 1 and another")
	}
	before := threadMasks(t)
	var out bytes.Buffer
	c, err := Start(Spec{Argv: []string{"grep", "Cpus_allowed_list", "/proc/self/status"}, Env: os.Environ(), Stdout: &out, CPUs: []int{1}})
	if err != nil {
		t.Fatal(err)
	}
	if res := c.Wait(); res.Exit != 0 {
		t.Fatalf("result %+v", res)
	}
	if got := statusLine(t, out.String(), "Cpus_allowed_list"); got != "1" {
		t.Errorf("the child's CPUs are %q, want 1", got)
	}
	for p, m := range threadMasks(t) {
		if b, ok := before[p]; ok && m != b {
			t.Errorf("thread %s has CPUs %s after the start, %s before", p, m, b)
		}
		if m == "1" {
			t.Errorf("thread %s kept the child's mask", p)
		}
	}
}

// A CPU the process may not use is a start error that names it.
func TestStartPinnedToNoSuchCPU(t *testing.T) {
	_, err := Start(Spec{Argv: []string{"true"}, Env: os.Environ(), CPUs: []int{1000}})
	var ae *AffinityError
	if !errors.As(err, &ae) || !errors.Is(err, syscall.EINVAL) {
		t.Fatalf("err %v, want an AffinityError with EINVAL", err)
	}
}
