// Command leftovers lists the processes of parmap's test beds
// (internal/testbed: the Slurm and sshd daemons, and what they started for
// themselves) that still run, and the guards a test binary started as
// itself (see internal/guard) that outlived it, and exits with status 1 if
// there are any.
// CI runs it after go test, which must leave none behind. The beds of a
// test process that still runs (another test run on a shared machine) are
// in use, not left over: they are named and passed over.
package main

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/parmap/parmap/internal/guard"
	"github.com/parmap/parmap/internal/testbed"
)

func main() {
	// Processes killed just now may still be on their way out.
	var pids []int
	inUse := map[string]bool{}
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		pids = pids[:0]
		for _, pid := range testbed.Marked("") {
			if dir := testbed.BedOf(pid); dir != "" && testbed.OwnerRuns(dir) {
				inUse[dir] = true
				continue
			}
			pids = append(pids, pid)
		}
		pids = append(pids, strayGuards()...)
		if len(pids) == 0 {
			for dir := range inUse {
				fmt.Fprintf(os.Stderr, "leftovers: passed over the bed %s: the test that made it still runs\n", dir)
			}
			return
		}
		if time.Now().After(deadline) {
			break
		}
	}
	fmt.Fprintf(os.Stderr, "leftovers: %d test bed processes still run after the tests:\n", len(pids))
	for _, pid := range pids {
		cmdline, _ := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/cmdline")
		args := strings.TrimSpace(strings.ReplaceAll(string(cmdline), "\x00", " "))
		fmt.Fprintf(os.Stderr, "  %s: %s\n", testbed.Describe([]int{pid}), args)
	}
	os.Exit(1)
}

// strayGuards lists the processes that are a Go test binary (*.test) run
// as a guard: go test has ended, so every one still there was left behind
// (a test binary that starts guards must handle guard.Invoked in TestMain,
// or the guard runs its tests instead).
func strayGuards() []int {
	var pids []int
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		cmdline, err := os.ReadFile("/proc/" + e.Name() + "/cmdline")
		if err != nil {
			continue
		}
		args := strings.Split(string(cmdline), "\x00")
		if len(args) > 1 && strings.HasSuffix(args[0], ".test") && args[1] == guard.Marker {
			pids = append(pids, pid)
		}
	}
	return pids
}
