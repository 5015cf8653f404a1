package results

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math/rand/v2"
	"os"
	"path"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Dir is a results directory (--results DIR). Each job gets DIR/<seq>/ with five
// files:
//
//	stdout   the job's stdout, byte for byte
//	stderr   the job's stderr, byte for byte
//	exitval  the exit value and a newline, e.g. "0\n"
//	input    the record's values, each followed by a newline, e.g. "a\n" or "a\nb\n"
//	         (the format of an input file with one value a line, as GNU parallel's
//	         -a reads it; a value that itself holds a newline is ambiguous there too)
//	resources  what the job used, one JSON object (ResourcesJSON): cpu_user,
//	         cpu_sys, max_rss, oom
//
// Only the job number names a path: the record is content of "input", never part
// of a file name, so no record can write outside DIR. All access goes through an
// [os.Root] opened on DIR, so a symbolic link left inside DIR cannot lead out of it
// either.
//
// Write may be called from several goroutines at once for different jobs. Dir holds
// no open file between calls and needs no Close.
type Dir struct {
	path string
	tmp  string // the temporary files' prefix: tempPrefix, then this process's pid and host
}

// DirProblem says what went wrong with a results directory.
type DirProblem int

const (
	// NameEmpty: the directory name is "".
	NameEmpty DirProblem = iota + 1
	// NotDir: the path exists and is not a directory.
	NotDir
	// NotWritable: the directory, or a missing parent, may not be created.
	NotWritable
	// ParentNotDir: a parent on the path is not a directory.
	ParentNotDir
	// CreateFailed: the directory cannot be created for another reason, in Err.
	CreateFailed
	// OpenFailed: Write cannot open the directory, as Err says.
	OpenFailed
	// BadSeq: Write got a job number below 1, in Seq.
	BadSeq
	// WriteFailed: Write could not write job Seq's directory or its file File, as Err says.
	WriteFailed
)

// DirError is a results directory that cannot be used, or a job's files that
// cannot be written in it.
type DirError struct {
	Path    string // the directory as given to OpenDir
	Problem DirProblem
	Seq     int64  // BadSeq, WriteFailed: the job number
	File    string // WriteFailed: "stdout", "stderr", "exitval", "input" or "resources"; "" for the job's directory
	Err     error  // the cause, without the path; nil for NameEmpty, NotDir and BadSeq
}

func (e *DirError) Error() string {
	if e.Problem == NameEmpty {
		return "results directory: the name is empty"
	}
	var what string
	switch e.Problem {
	case NotDir:
		what = "not a directory"
	case NotWritable:
		what = "permission denied"
	case ParentNotDir:
		what = "a parent is not a directory"
	case CreateFailed:
		what = fmt.Sprintf("cannot create: %v", e.Err)
	case OpenFailed:
		what = fmt.Sprintf("cannot open: %v", e.Err)
	case BadSeq:
		what = fmt.Sprintf("job number %d: must be 1 or more", e.Seq)
	default:
		what = fmt.Sprintf("job %d: %v", e.Seq, e.Err)
		if e.File != "" {
			what = fmt.Sprintf("job %d: %s: %v", e.Seq, e.File, e.Err)
		}
	}
	return fmt.Sprintf("results directory %q: %s", e.Path, what)
}

func (e *DirError) Unwrap() error { return e.Err }

// OpenDir checks DIR, creating it and its parents when missing, and removes
// the temporary files that a run killed while writing (SIGKILL, a crash)
// left in it (see Write). The error is a *DirError: an existing path that is
// not a directory, for one.
func OpenDir(dir string) (*Dir, error) {
	if dir == "" {
		return nil, &DirError{Problem: NameEmpty}
	}
	start := time.Now()
	err := os.MkdirAll(dir, 0o777)
	if err == nil {
		host := hostname()
		d := &Dir{path: dir, tmp: tempPrefix + strconv.Itoa(os.Getpid()) + "-" + host + "-"}
		removeStale(dir, host, start)
		return d, nil
	}
	if fi, serr := os.Stat(dir); serr == nil && !fi.IsDir() {
		return nil, &DirError{Path: dir, Problem: NotDir}
	}
	p := CreateFailed
	switch {
	case errors.Is(err, fs.ErrPermission):
		p = NotWritable
	case errors.Is(err, syscall.ENOTDIR):
		p = ParentNotDir
	}
	return nil, &DirError{Path: dir, Problem: p, Err: unwrapPath(err)}
}

// Path returns the directory as given to OpenDir.
func (d *Dir) Path() string { return d.path }

// Write writes job j's five files under DIR/<seq>/, replacing whatever an earlier
// run left there. Each file is written under a temporary name in DIR,
// ".parmap-tmp-<pid>-<host>-<random>", and then renamed over the final name,
// so a crash leaves either the old file or the new one under the final name,
// never a half-written one, and runs writing into one DIR at once never write
// into each other's files. A temporary file left by a run that was killed
// is removed by the next OpenDir of DIR on that host. Stdout and Stderr are
// streamed, not held in memory.
//
// Write does not fsync: it protects against parmap dying, not the machine.
// Two calls for the same job number at once (in one run or two) may mix
// their files, each file whole. The error is a *DirError; when one file
// fails, the job's files after it are not written.
func (d *Dir) Write(j Job) error {
	if j.Seq < 1 {
		return &DirError{Path: d.path, Problem: BadSeq, Seq: j.Seq}
	}
	root, err := os.OpenRoot(d.path)
	if err != nil {
		return &DirError{Path: d.path, Problem: OpenFailed, Err: unwrapPath(err)}
	}
	defer root.Close()

	seq := strconv.FormatInt(j.Seq, 10)
	if err := root.MkdirAll(seq, 0o777); err != nil {
		return &DirError{Path: d.path, Problem: WriteFailed, Seq: j.Seq, Err: unwrapPath(err)}
	}
	files := []struct {
		name string
		r    io.Reader
	}{
		{"stdout", j.Stdout},
		{"stderr", j.Stderr},
		{"exitval", strings.NewReader(strconv.Itoa(j.Exit) + "\n")},
		{"input", strings.NewReader(inputText(j.Input))},
		{"resources", bytes.NewReader(ResourcesJSON(j.Resources))},
	}
	for _, f := range files {
		if err := d.replace(root, path.Join(seq, f.name), f.r); err != nil {
			return &DirError{Path: d.path, Problem: WriteFailed, Seq: j.Seq, File: f.name, Err: unwrapPath(err)}
		}
	}
	return nil
}

// inputText is the content of the "input" file: each value followed by a newline.
func inputText(values []string) string {
	var b strings.Builder
	for _, v := range values {
		b.WriteString(v)
		b.WriteByte('\n')
	}
	return b.String()
}

// replace writes r to a fresh temporary file and renames it over name. On
// failure the temporary file is removed and name is left as it was.
func (d *Dir) replace(root *os.Root, name string, r io.Reader) error {
	tmp, f, err := d.createTemp(root)
	if err != nil {
		return err
	}
	if r != nil {
		_, err = io.Copy(f, r)
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = root.Rename(tmp, name)
	}
	if err != nil {
		root.Remove(tmp)
	}
	return err
}

// tempPrefix begins the name of every temporary file in DIR.
const tempPrefix = ".parmap-tmp-"

// createTemp creates a new temporary file in DIR, named d.tmp and a random
// suffix, with the usual mode (0666 less the umask) that os.CreateTemp would
// not give.
func (d *Dir) createTemp(root *os.Root) (string, *os.File, error) {
	for range 100 {
		tmp := d.tmp + strconv.FormatUint(rand.Uint64(), 36)
		f, err := root.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o666)
		if errors.Is(err, fs.ErrExist) {
			continue
		}
		return tmp, f, err
	}
	return "", nil, errors.New("cannot find a free temporary name")
}

// removeStale removes the temporary files in dir of the runs on this host
// that have died: the pid in the name is no process's, and the file was
// last written before start, when this run began. A live run's files are
// never touched, whatever its pid namespace; a dead run's files on another
// host (a shared file system) are left for a run on that host to remove.
// It is best effort: what cannot be read or removed stays.
func removeStale(dir, host string, start time.Time) {
	f, err := os.Open(dir)
	if err != nil {
		return
	}
	defer f.Close()
	for {
		names, err := f.Readdirnames(1024)
		for _, name := range names {
			pid, h, ok := parseTemp(name)
			if !ok || h != host || syscall.Kill(pid, 0) != syscall.ESRCH {
				continue
			}
			p := filepath.Join(dir, name)
			if fi, err := os.Lstat(p); err == nil && fi.Mode().IsRegular() && fi.ModTime().Before(start) {
				os.Remove(p)
			}
		}
		if err != nil {
			return
		}
	}
}

// parseTemp reads the pid and host out of a temporary file's name,
// tempPrefix + "<pid>-<host>-<random>".
func parseTemp(name string) (pid int, host string, ok bool) {
	rest, ok := strings.CutPrefix(name, tempPrefix)
	if !ok {
		return 0, "", false
	}
	p, rest, ok := strings.Cut(rest, "-")
	i := strings.LastIndexByte(rest, '-')
	if !ok || i < 0 {
		return 0, "", false
	}
	pid, err := strconv.Atoi(p)
	if err != nil || pid <= 0 {
		return 0, "", false
	}
	return pid, rest[:i], true
}

// hostname is this machine's name, as a file name may hold it.
func hostname() string {
	h, err := os.Hostname()
	if err != nil || h == "" {
		return "localhost"
	}
	return strings.ReplaceAll(h, "/", "_")
}

// unwrapPath drops the operation and path that *fs.PathError and *os.LinkError
// repeat, since the caller's message already names the file.
func unwrapPath(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	var le *os.LinkError
	if errors.As(err, &le) {
		return le.Err
	}
	return err
}
