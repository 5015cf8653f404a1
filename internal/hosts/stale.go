package hosts

import (
	"errors"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// controlDirPrefix starts the name of a Runner's private directory; the
// pid of the parmap that made it follows, then a dash.
const controlDirPrefix = "pmssh"

// staleAge is how old a control directory must be before another run may
// take it for the leftover of a parmap that was killed.
const staleAge = time.Minute

// sweepStale removes the control directories in dir that a parmap killed
// with SIGKILL left behind (Close never ran; its masters died with it). A
// directory is removed only when it is this user's, older than staleAge, its
// pid is gone, and every entry in it is a socket that nothing listens on any
// more, so that a live run is never touched, even one in another pid
// namespace sharing dir.
func sweepStale(dir string) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return
	}
	for _, e := range entries {
		name := e.Name()
		rest, ok := strings.CutPrefix(name, controlDirPrefix)
		if !ok || !e.IsDir() {
			continue
		}
		pidText, _, ok := strings.Cut(rest, "-")
		pid, err := strconv.Atoi(pidText)
		if !ok || err != nil || pid <= 0 {
			continue
		}
		path := filepath.Join(dir, name)
		if isStale(path, pid) {
			os.RemoveAll(path)
		}
	}
}

func isStale(path string, pid int) bool {
	fi, err := os.Lstat(path)
	if err != nil || !fi.IsDir() || time.Since(fi.ModTime()) < staleAge {
		return false
	}
	if st, ok := fi.Sys().(*syscall.Stat_t); !ok || int(st.Uid) != os.Getuid() {
		return false
	}
	if err := syscall.Kill(pid, 0); !errors.Is(err, syscall.ESRCH) {
		return false // alive (or not ours to signal): leave it
	}
	entries, err := os.ReadDir(path)
	if err != nil {
		return false
	}
	for _, e := range entries {
		if e.Type()&os.ModeSocket == 0 {
			return false
		}
		c, err := net.DialTimeout("unix", filepath.Join(path, e.Name()), time.Second)
		if err == nil {
			c.Close()
			return false // a master still answers there
		}
		if !errors.Is(err, syscall.ECONNREFUSED) {
			return false
		}
	}
	return true
}
