package results

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math/rand/v2"
	"os"
	"path"
	"strconv"
	"strings"
	"syscall"
)

// Dir is a results directory (--results DIR). Each job gets DIR/<seq>/ with four
// files:
//
//	stdout   the job's stdout, byte for byte
//	stderr   the job's stderr, byte for byte
//	exitval  the exit value and a newline, e.g. "0\n"
//	input    the record's values, each followed by a newline, e.g. "a\n" or "a\nb\n"
//	         (the format of an input file with one value a line, as GNU parallel's
//	         -a reads it; a value that itself holds a newline is ambiguous there too)
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
	File    string // WriteFailed: "stdout", "stderr", "exitval" or "input"; "" for the job's directory
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

// OpenDir checks DIR, creating it and its parents when missing. The error is
// a *DirError: an existing path that is not a directory, for one.
func OpenDir(dir string) (*Dir, error) {
	if dir == "" {
		return nil, &DirError{Problem: NameEmpty}
	}
	err := os.MkdirAll(dir, 0o777)
	if err == nil {
		return &Dir{path: dir}, nil
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

// Write writes job j's four files under DIR/<seq>/, replacing whatever an earlier
// run left there. Each file is written under a temporary name in the same
// directory and then renamed over the final name, so a crash leaves either the old
// file or the new one under the final name, never a half-written one (a leftover
// ".tmp-" file at worst). Stdout and Stderr are streamed, not held in memory.
//
// Write does not fsync: it protects against parmap dying, not the machine.
// Two calls for the same job number at once may mix their files. The error
// is a *DirError.
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
	}
	for _, f := range files {
		if err := replace(root, path.Join(seq, f.name), f.r); err != nil {
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

// replace writes r to a fresh temporary file next to name and renames it over
// name. On failure the temporary file is removed and name is left as it was.
func replace(root *os.Root, name string, r io.Reader) error {
	tmp, f, err := createTemp(root, name)
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

// createTemp creates a new file named like name with a random suffix, in the same
// directory, with the usual mode (0666 less the umask) that os.CreateTemp would
// not give.
func createTemp(root *os.Root, name string) (string, *os.File, error) {
	dir, base := path.Split(name)
	for range 100 {
		tmp := dir + ".tmp-" + base + "-" + strconv.FormatUint(rand.Uint64(), 36)
		f, err := root.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o666)
		if errors.Is(err, fs.ErrExist) {
			continue
		}
		return tmp, f, err
	}
	return "", nil, errors.New("cannot find a free temporary name")
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
