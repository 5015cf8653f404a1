package results

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/parmap/parmap/internal/fswait"
)

// deadPid returns the pid of a process that has ended.
func deadPid(t *testing.T) int {
	t.Helper()
	c := exec.Command("true")
	if err := c.Run(); err != nil {
		t.Fatal(err)
	}
	return c.Process.Pid
}

func names(t *testing.T, dir string) []string {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var ns []string
	for _, e := range ents {
		ns = append(ns, e.Name())
	}
	return ns
}

// TestOpenDirRemovesStaleTemps plants the temporary files that killed runs
// leave and a live run's: OpenDir removes only those of dead runs on this
// host written before it began.
func TestOpenDirRemovesStaleTemps(t *testing.T) {
	root := t.TempDir()
	host, err := os.Hostname()
	if err != nil {
		t.Fatal(err)
	}
	dead := strconv.Itoa(deadPid(t))
	live := strconv.Itoa(os.Getpid())
	past, future := time.Now().Add(-time.Hour), time.Now().Add(time.Hour)
	files := []struct {
		name  string
		mtime time.Time
		stays bool
	}{
		{".parmap-tmp-" + dead + "-" + host + "-1x2y", past, false},    // a killed run's
		{".parmap-tmp-" + dead + "-" + host + "-3z", past, false},      // another of it
		{".parmap-tmp-" + live + "-" + host + "-4a", past, true},       // a live run's
		{".parmap-tmp-" + dead + "-" + host + "-5b", future, true},     // written after this run began
		{".parmap-tmp-" + dead + "-other-host.example-6c", past, true}, // another host's
		{".parmap-tmp-notapid-" + host + "-7d", past, true},            // not our name
		{"stdout", past, true}, // not a temporary file
	}
	for _, f := range files {
		p := filepath.Join(root, f.name)
		if err := os.WriteFile(p, []byte("partial"), 0o666); err != nil {
			t.Fatal(err)
		}
		if err := os.Chtimes(p, f.mtime, f.mtime); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := OpenDir(root); err != nil {
		t.Fatal(err)
	}
	var want []string
	for _, f := range files {
		if f.stays {
			want = append(want, f.name)
		}
	}
	slices.Sort(want)
	if got := names(t, root); !slices.Equal(got, want) {
		t.Errorf("after OpenDir:\n got %q\nwant %q", got, want)
	}
}

// TestKilledWriteLeavesNothing SIGKILLs a process in the middle of writing a
// job's stdout into DIR, once its temporary file holds part of it: the next
// OpenDir of DIR removes the file, and DIR holds no trace of it.
func TestKilledWriteLeavesNothing(t *testing.T) {
	if os.Getenv("RESULTS_HELPER_DIR") != "" {
		writeForever(os.Getenv("RESULTS_HELPER_DIR"))
		return
	}
	root := t.TempDir()
	c := exec.Command(os.Args[0], "-test.run=^TestKilledWriteLeavesNothing$")
	c.Env = append(os.Environ(), "RESULTS_HELPER_DIR="+root)
	c.Stderr = os.Stderr
	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	go func() { c.Wait(); close(exited) }()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	// The temporary file is in DIR or in DIR/1/: wait for either to hold
	// part of the output.
	if err := os.MkdirAll(filepath.Join(root, "1"), 0o777); err != nil {
		t.Fatal(err)
	}
	partial := func() bool { return len(files(t, root)) > 0 }
	stop := make(chan struct{})
	found := make(chan error, 2)
	for _, dir := range []string{root, filepath.Join(root, "1")} {
		go func() { found <- fswait.Until(ctx, dir, stop, partial) }()
	}
	err := <-found
	close(stop)
	<-found
	if err != nil || !partial() {
		c.Process.Kill()
		t.Fatalf("waiting for the helper's temporary file: %v", err)
	}
	c.Process.Signal(syscall.SIGKILL)
	<-exited
	if _, err := OpenDir(root); err != nil {
		t.Fatal(err)
	}
	if got := files(t, root); len(got) != 0 {
		t.Errorf("after the next OpenDir, DIR holds %q; want no file (none was finished)", got)
	}
}

// files returns the regular files under root that hold something.
func files(t *testing.T, root string) []string {
	var fs []string
	filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() {
			if fi, err := d.Info(); err == nil && fi.Size() > 0 {
				fs = append(fs, p)
			}
		}
		return nil
	})
	return fs
}

// writeForever writes job 1 into dir with a stdout that never ends.
func writeForever(dir string) {
	d, err := OpenDir(dir)
	if err != nil {
		panic(err)
	}
	d.Write(Job{Seq: 1, Stdout: &endless{}})
}

// endless gives 100 bytes, then blocks for ever.
type endless struct{ n int }

func (e *endless) Read(p []byte) (int, error) {
	if e.n > 0 {
		time.Sleep(time.Hour)
	}
	e.n = copy(p, strings.Repeat("x", 100))
	return e.n, nil
}
