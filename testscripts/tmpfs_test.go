package testscripts

import (
	"os"
	"path/filepath"
	"strconv"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/parmap/parmap/internal/testbed/tmpfs"
)

// canMount reports whether this process may mount a tmpfs (the [tmpfs]
// condition); scripts that need one skip without it: "[!tmpfs] skip".
// The probe mounts one in a temporary directory and unmounts it at once.
func canMount() bool {
	dir, err := os.MkdirTemp("", "pmtmpfs")
	if err != nil {
		return false
	}
	defer os.RemoveAll(dir)
	probe := filepath.Join(dir, "probe")
	if tmpfs.Mount(probe, 4096) != nil {
		return false
	}
	return tmpfs.Unmount(probe) == nil
}

// tmpfs DIR SIZE: mounts a tmpfs of SIZE bytes on DIR (made if missing),
// unmounted when the script ends; on a DIR this script mounted already, it
// changes the size instead. Scripts check [tmpfs] first.
func cmdTmpfs(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 2 || neg {
		ts.Fatalf("usage: tmpfs dir size")
	}
	size, err := strconv.ParseInt(args[1], 10, 64)
	ts.Check(err)
	dir := ts.MkAbs(args[0])
	if ts.Getenv("TMPFS_"+dir) != "" {
		ts.Check(tmpfs.Resize(dir, size))
		return
	}
	ts.Check(tmpfs.Mount(dir, size))
	ts.Setenv("TMPFS_"+dir, "1")
	ts.Defer(func() { ts.Check(tmpfs.Unmount(dir)) })
}
