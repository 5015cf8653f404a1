// Package testbed holds what the test beds (slurmtest, sshtest) share: how
// a bed's processes are known, and the means to find the ones that outlived
// their bed.
//
// A bed's daemons carry Mark(dir) in their environment, dir being the bed's
// directory, and the children they start for themselves (slurmd's
// slurmstepd) inherit it, though they leave the daemon's process group.
// sshd overwrites its environment's memory with its process title, so
// /proc/PID/environ no longer shows the mark; but every sshd process, the
// per-connection ones too, holds its log file in the bed's directory open.
// So a process belongs to a bed when it carries the bed's mark or holds a
// file of its directory open. A bed checks, and stops, what it left behind
// with Stop, and CI (.ci/run, through ./internal/testbed/leftovers) checks
// after go test that no process of any bed remains on the machine.
//
// Only tests import it; parmap's binary does not.
package testbed

import (
	"bytes"
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Env is the variable that marks a bed's processes: Env=<the bed's
// directory> in their environment.
const Env = "PARMAP_TESTBED"

// Mark returns the environment entry that marks the processes of the bed
// whose directory is dir.
func Mark(dir string) string { return Env + "=" + dir }

// Dirs are the prefixes of every bed's directory.
var Dirs = []string{"/tmp/pmbed-", "/tmp/pmslurm-"}

// Marked returns the running processes of the bed whose directory is dir
// (of any bed when dir is ""): those whose environment holds Mark(dir) and
// those that hold a file under dir open. Zombies are not running: their
// environment and files are gone. It reads /proc, which needs root for
// other users' processes; the beds run as root.
func Marked(dir string) []int {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return nil
	}
	var pids []int
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid == os.Getpid() {
			continue
		}
		if marked("/proc/"+e.Name(), dir) {
			pids = append(pids, pid)
		}
	}
	return pids
}

// marked reports whether the process at proc (/proc/PID) belongs to the
// bed in dir, or to any bed when dir is "".
func marked(proc, dir string) bool {
	if env, err := os.ReadFile(proc + "/environ"); err == nil {
		for _, kv := range bytes.Split(env, []byte{0}) {
			if dir == "" && bytes.HasPrefix(kv, []byte(Env+"=")) || dir != "" && string(kv) == Mark(dir) {
				return true
			}
		}
	}
	fds, err := os.ReadDir(proc + "/fd")
	if err != nil {
		return false
	}
	prefixes := Dirs
	if dir != "" {
		prefixes = []string{dir + "/"}
	}
	for _, fd := range fds {
		target, err := os.Readlink(proc + "/fd/" + fd.Name())
		if err != nil {
			continue
		}
		for _, p := range prefixes {
			if strings.HasPrefix(target, p) {
				return true
			}
		}
	}
	return false
}

// BedOf returns the directory of the bed process pid belongs to (its mark,
// else the bed directory of a file it holds open), or "".
func BedOf(pid int) string {
	proc := "/proc/" + strconv.Itoa(pid)
	if env, err := os.ReadFile(proc + "/environ"); err == nil {
		for _, kv := range bytes.Split(env, []byte{0}) {
			if dir, ok := bytes.CutPrefix(kv, []byte(Env+"=")); ok {
				return string(dir)
			}
		}
	}
	fds, _ := os.ReadDir(proc + "/fd")
	for _, fd := range fds {
		target, err := os.Readlink(proc + "/fd/" + fd.Name())
		if err != nil {
			continue
		}
		for _, p := range Dirs {
			if rest, ok := strings.CutPrefix(target, p); ok {
				name, _, _ := strings.Cut(rest, "/")
				return p + name
			}
		}
	}
	return ""
}

// OwnerRuns reports whether the test process that made the bed in dir
// (/tmp/pmbed-<pid>-…, /tmp/pmslurm-<pid>-…) still runs: its bed is in
// use, not left over.
func OwnerRuns(dir string) bool {
	for _, p := range Dirs {
		rest, ok := strings.CutPrefix(dir, p)
		if !ok {
			continue
		}
		num, _, _ := strings.Cut(rest, "-")
		pid, err := strconv.Atoi(num)
		if err != nil {
			return false
		}
		cmdline, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/cmdline")
		exe, _, _ := bytes.Cut(cmdline, []byte{0})
		return err == nil && bytes.HasSuffix(exe, []byte(".test"))
	}
	return false
}

// Describe names pids for a message: "1234 (slurmstepd), 1240 (sshd)".
func Describe(pids []int) string {
	var s []string
	for _, pid := range pids {
		comm, _ := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/comm")
		s = append(s, fmt.Sprintf("%d (%s)", pid, strings.TrimSpace(string(comm))))
	}
	return strings.Join(s, ", ")
}

// Stop ends the processes of the bed in dir: it sends them sig (none when
// sig is 0), waits up to grace for them to end, then SIGKILLs those still
// running and waits for them to go. It returns what it had to kill,
// described as by Describe, or "" when nothing was left after the grace.
func Stop(dir string, sig syscall.Signal, grace time.Duration) string {
	left := Marked(dir)
	if sig != 0 {
		for _, pid := range left {
			syscall.Kill(pid, sig)
		}
	}
	for deadline := time.Now().Add(grace); len(left) > 0 && time.Now().Before(deadline); {
		time.Sleep(20 * time.Millisecond)
		left = Marked(dir)
	}
	if len(left) == 0 {
		return ""
	}
	killed := Describe(left) // while their names can still be read
	for range 100 {          // a process may fork while it is being killed
		for _, pid := range left {
			syscall.Kill(pid, syscall.SIGKILL)
		}
		time.Sleep(20 * time.Millisecond)
		if left = Marked(dir); len(left) == 0 {
			break
		}
	}
	return killed
}
