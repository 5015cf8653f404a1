// Command leftovers lists the processes of parmap's test beds
// (internal/testbed: the Slurm and sshd daemons, and what they started for
// themselves) that still run, and exits with status 1 if there are any.
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
