package engine

import (
	"errors"
	"io"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
)

// FilesError is a job whose stdout could not be saved to its --files file;
// its output is written as without --files instead.
type FilesError struct {
	Path string // the file, or the directory when none could be created
	Err  error
}

func (e *FilesError) Error() string { return "--files " + e.Path + ": " + e.Err.Error() }
func (e *FilesError) Unwrap() error { return e.Err }

// saveFiles moves the stdout of job j, captured, into a new file in the
// temporary directory, kept after the run, and puts the file's name and a
// newline in its place, to be written as its output (GNU parallel's
// --files, with its names: parXXXXX.par). Its stderr is left as it is.
func (r *run) saveFiles(j *job) {
	dir := r.cfg.TmpDir
	if dir == "" {
		dir = os.TempDir()
	}
	c := j.out.pair.Stdout
	f, err := createPar(dir)
	if err == nil {
		var rd io.Reader
		if rd, err = c.Reader(); err == nil {
			_, err = io.Copy(f, rd)
		}
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			os.Remove(f.Name())
		}
	}
	if err == nil {
		if err = c.Reset(); err == nil {
			_, err = c.File().Write([]byte(f.Name() + "\n"))
		}
	}
	if err != nil {
		path := dir
		if f != nil {
			path = f.Name()
		}
		var pe *fs.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		r.notify(Notice{Kind: JobOutputLost, Seq: j.rec.Seq, Err: &FilesError{Path: path, Err: err}})
	}
}

// parChars are the characters of a --files name's random part.
const parChars = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"

// createPar creates a new file dir/parXXXXX.par, mode 0600, as GNU parallel
// names its --files.
func createPar(dir string) (*os.File, error) {
	for {
		b := []byte("parXXXXX.par")
		for i := 3; i < 8; i++ {
			b[i] = parChars[rand.IntN(len(parChars))]
		}
		f, err := os.OpenFile(filepath.Join(dir, string(b)), os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
		if !errors.Is(err, fs.ErrExist) {
			return f, err
		}
	}
}
