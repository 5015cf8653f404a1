package guard

import (
	"bytes"
	"encoding/binary"
	"io"
	"os"
	"os/signal"
	"strconv"
	"syscall"
	"time"
)

// settle bounds how long the guard waits, after killing the groups, for
// their processes to be dead before it exits and so lets go of the job
// log's lock. (A process killed in the middle of a slow uninterruptible
// system call dies once it returns.)
const settle = time.Second

// batch is how long the guard lets records gather in the pipe between
// two reads.
const batch = 5 * time.Millisecond

// Main is the guard process: it reads the records parmap sends on its
// standard input until "bye" (parmap ended as it should: it exits at once)
// or end of file without it (parmap died: it kills every group it holds).
// It returns the exit status.
func Main() int {
	// The guard is in a session of its own; these only come from someone
	// who picked it out, and parmap's end is what it waits for.
	signal.Ignore(syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP, syscall.SIGQUIT,
		syscall.SIGTSTP, syscall.SIGTTIN, syscall.SIGTTOU, syscall.SIGPIPE)
	serve(os.Stdin, os.Getenv(tokenVar))
	return 0
}

// serve reads records from in until bye, which it reports with true, or
// until in ends or fails, when it kills every group still held.
//
// token, when not empty, is the run's mark in its jobs' environments
// (RunVar): at end of file every process that carries it is killed too.
func serve(in io.Reader, token string) (bye bool) {
	groups := map[uint32]int{} // process group → starts not yet removed
	buf := make([]byte, 512*recordSize)
	have := 0
	for {
		n, err := in.Read(buf[have:])
		have += n
		whole := have - have%recordSize
		for off := 0; off < whole; off += recordSize {
			rec := buf[off : off+recordSize]
			pgid := binary.LittleEndian.Uint32(rec[4:])
			switch rec[0] {
			case opAdd:
				groups[pgid]++
			case opRemove:
				if groups[pgid]--; groups[pgid] <= 0 {
					delete(groups, pgid)
				}
			case opBye:
				return true
			}
		}
		have = copy(buf, buf[whole:have])
		if err != nil {
			kill(groups, token)
			return false
		}
		// Records are taken in batches: the pipe holds thousands, and
		// waking for each would cost parmap's CPU as much as its jobs'
		// starts. parmap's end is noticed that much later.
		time.Sleep(batch)
	}
}

// kill sends SIGKILL (and SIGCONT, for a stopped process the kernel has
// yet to wake) to every group and to every process marked with token, then
// waits up to settle for the groups to have no live process left and for
// no marked process to be found.
func kill(groups map[uint32]int, token string) {
	for pgid := range groups {
		if pgid <= 1 {
			delete(groups, pgid) // never the caller's own group or every process
			continue
		}
		syscall.Kill(-int(pgid), syscall.SIGKILL)
		syscall.Kill(-int(pgid), syscall.SIGCONT)
	}
	mark := []byte(RunVar + "=" + token + "\x00")
	deadline := time.Now().Add(settle)
	for {
		// A marked process found on one sweep may have forked before it
		// died: its child carries the mark too, and the next sweep finds it.
		marked := token != "" && killMarked(mark)
		if (!marked && !living(groups)) || !time.Now().Before(deadline) {
			return
		}
		time.Sleep(time.Millisecond)
	}
}

// killMarked kills every live process whose environment holds mark (the
// whole "NAME=value\x00" entry) and reports whether it found one. This
// reaches what the groups miss: a process a job started in the instant
// between its exec and parmap's Add, when parmap died in that instant, and
// one that left its job's group (setsid). A process that cleared or
// replaced its environment is not found this way.
func killMarked(mark []byte) bool {
	entry := append([]byte{0}, mark...) // the mark as a whole entry, not a suffix of one
	self := os.Getpid()
	found := false
	eachLive(func(pid int, _ uint32) bool {
		if pid == self {
			return false
		}
		env, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/environ")
		if err == nil && (bytes.HasPrefix(env, mark) || bytes.Contains(env, entry)) {
			syscall.Kill(pid, syscall.SIGKILL)
			syscall.Kill(pid, syscall.SIGCONT)
			found = true
		}
		return false
	})
	return found
}

// living reports whether a process of the groups is still alive, a zombie
// not counted. A killed job's processes are orphans, reaped by init (or a
// subreaper) in its own time: until then kill(-pgid, 0) still finds them,
// and only /proc tells a zombie from a process that has yet to die. So
// /proc is read only when some group is still found.
func living(groups map[uint32]int) bool {
	found := false
	for pgid := range groups {
		if syscall.Kill(-int(pgid), 0) == nil {
			found = true
			break
		}
	}
	if !found {
		return false
	}
	alive := false
	if err := eachLive(func(_ int, pgid uint32) bool {
		alive = groups[pgid] > 0
		return alive
	}); err != nil {
		return true // cannot tell: still alive, until settle runs out
	}
	return alive
}

// eachLive calls f with the pid and process group of every process in /proc
// that is not a zombie, until f returns true.
func eachLive(f func(pid int, pgid uint32) (stop bool)) error {
	ents, err := os.ReadDir("/proc")
	if err != nil {
		return err
	}
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		stat, err := os.ReadFile("/proc/" + e.Name() + "/stat")
		if err != nil {
			continue
		}
		state, pgid, ok := parseStat(stat)
		if !ok || state == 'Z' || state == 'X' {
			continue
		}
		if f(pid, pgid) {
			break
		}
	}
	return nil
}

// parseStat returns the state and process group of a /proc/PID/stat line:
// "pid (comm) state ppid pgrp ...", where comm may hold spaces and parentheses.
func parseStat(stat []byte) (state byte, pgid uint32, ok bool) {
	i := bytes.LastIndexByte(stat, ')')
	if i < 0 {
		return 0, 0, false
	}
	f := bytes.Fields(stat[i+1:])
	if len(f) < 3 || len(f[0]) != 1 {
		return 0, 0, false
	}
	n, err := strconv.ParseUint(string(f[2]), 10, 32)
	if err != nil {
		return 0, 0, false
	}
	return f[0][0], uint32(n), true
}
