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

// OpenDir checks DIR, creating it and its parents when missing. An existing path
// that is not a directory is an error naming it.
func OpenDir(dir string) (*Dir, error) {
	if dir == "" {
		return nil, errors.New("--results: the directory name is empty")
	}
	err := os.MkdirAll(dir, 0o777)
	if err == nil {
		return &Dir{path: dir}, nil
	}
	if fi, serr := os.Stat(dir); serr == nil && !fi.IsDir() {
		return nil, fmt.Errorf("--results %s: not a directory, give a directory", dir)
	}
	if errors.Is(err, fs.ErrPermission) {
		return nil, fmt.Errorf("--results %s: permission denied, give a directory you can write", dir)
	}
	if errors.Is(err, syscall.ENOTDIR) {
		return nil, fmt.Errorf("--results %s: a parent is not a directory", dir)
	}
	return nil, fmt.Errorf("--results %s: cannot create: %v", dir, unwrapPath(err))
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
// Two calls for the same job number at once may mix their files.
func (d *Dir) Write(j Job) error {
	if j.Seq < 1 {
		return fmt.Errorf("--results %s: job number %d: must be 1 or more", d.path, j.Seq)
	}
	root, err := os.OpenRoot(d.path)
	if err != nil {
		return fmt.Errorf("--results %s: cannot open: %v", d.path, unwrapPath(err))
	}
	defer root.Close()

	seq := strconv.FormatInt(j.Seq, 10)
	if err := root.MkdirAll(seq, 0o777); err != nil {
		return fmt.Errorf("--results %s: job %s: %v", d.path, seq, unwrapPath(err))
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
			return fmt.Errorf("--results %s: job %s: %s: %v", d.path, seq, f.name, unwrapPath(err))
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
