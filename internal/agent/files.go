package agent

import (
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// Files are the files of one job on an agent, as GNU parallel's
// --transferfile, --return and --cleanup name them: paths as the
// coordinator has them, RemotePath saying where each is on the agent.
type Files struct {
	Transfer []string // put on the agent before the job
	Return   []string // sent back after it, written here at the path as given
	Cleanup  bool     // removed on the agent after, with their parents left empty
}

// TransferError fails a job whose transfer file (or a basefile of its
// agent) did not reach the agent: the job did not run.
type TransferError struct {
	File     string // the path as given
	Basefile bool   // a --basefile rather than a --transferfile
	Err      error
}

func (e *TransferError) Error() string {
	flag := "--transferfile"
	if e.Basefile {
		flag = "--basefile"
	}
	return flag + " " + e.File + ": " + e.Err.Error()
}

func (e *TransferError) Unwrap() error { return e.Err }

// ReturnError fails a job one of whose return files did not come back:
// Err is ErrNotMade when the job did not make it.
type ReturnError struct {
	File string // the path as given
	Err  error
}

func (e *ReturnError) Error() string { return "--return " + e.File + ": " + e.Err.Error() }
func (e *ReturnError) Unwrap() error { return e.Err }

// ErrNotMade is a return file the job did not make.
var ErrNotMade = errors.New("the job did not make it")

// Path errors: a transfer or return path that RemotePath refuses.
var (
	ErrDotDot = errors.New("a path with a .. component is refused")
	ErrNoFile = errors.New("the path names no file")
)

// RemotePath is where the file a transfer or return path p names is on
// the agent, by rsync -R's rule as GNU parallel uses it: a relative path
// is relative to the agent's working directory, an absolute one stays
// absolute, and a path containing /./ keeps only what follows its first
// /./, relative to the working directory. A remote part with a ..
// component is refused (ErrDotDot), as is one naming no file.
func RemotePath(p string) (string, error) {
	rest, rel := p, !strings.HasPrefix(p, "/")
	if i := strings.Index(p, "/./"); i >= 0 {
		rest, rel = strings.TrimLeft(p[i+3:], "/"), true
	}
	for _, c := range strings.Split(rest, "/") {
		if c == ".." {
			return "", ErrDotDot
		}
	}
	q := filepath.Clean(rest)
	if q == "." || q == "/" || rel && filepath.IsAbs(q) {
		return "", ErrNoFile
	}
	return q, nil
}

// LocalPath is where a return path p is written on the coordinator: at
// the path as given (GNU's --trc out/./{}.out writes out/in/file.out for
// the remote in/file.out).
func LocalPath(p string) string { return filepath.Clean(p) }

// errText is err without the operation and path an *fs.PathError adds:
// the message names the file already.
func errText(err error) string {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err.Error()
	}
	return err.Error()
}

// Errors of a path that names no regular file: a directory, a FIFO
// (whose open would block), a device.
var (
	errIsDir      = errors.New("is a directory")
	errNotRegular = errors.New("is not a regular file")
)

// regular stats path, a file to send, which must be a regular file.
func regular(path string) (fs.FileInfo, error) {
	st, err := os.Stat(path)
	switch {
	case err != nil:
		return nil, err
	case st.IsDir():
		return nil, errIsDir
	case !st.Mode().IsRegular():
		return nil, errNotRegular
	}
	return st, nil
}

// sendFile puts f as a file of seq: a Put header h, its data in chunks
// of at most ChunkSize read into buf, and a PutEnd saying whether it was
// read whole. Only a write (the connection) error is returned.
func sendFile(w *writer, seq uint64, f *os.File, h Put, buf []byte) error {
	if err := w.write(Frame{Kind: KindPut, Seq: seq, Payload: encode(h)}); err != nil {
		return err
	}
	var end PutEnd
	for {
		n, err := f.Read(buf)
		if n > 0 {
			if werr := w.write(Frame{Kind: KindData, Seq: seq, Payload: buf[:n]}); werr != nil {
				return werr
			}
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			end.Err = errText(err)
			break
		}
	}
	return w.write(Frame{Kind: KindPutEnd, Seq: seq, Payload: encode(end)})
}

// incoming is a file being received: written to a temporary name beside
// its destination (parent directories made), renamed once whole. The
// first error drops it; the rest of its data is discarded.
type incoming struct {
	dst  string
	mode fs.FileMode
	f    *os.File
	err  error
}

// receive starts a file for dst.
func receive(dst string, mode uint32) *incoming {
	in := &incoming{dst: dst, mode: fs.FileMode(mode) & fs.ModePerm}
	if in.mode == 0 {
		in.mode = 0o644
	}
	dir := filepath.Dir(dst)
	if in.err = os.MkdirAll(dir, 0o755); in.err != nil {
		return in
	}
	in.f, in.err = os.CreateTemp(dir, "."+filepath.Base(dst)+".parmap-*")
	return in
}

func (in *incoming) write(p []byte) {
	if in.err != nil {
		return
	}
	if _, err := in.f.Write(p); err != nil {
		in.fail(err)
	}
}

// fail drops the file for err.
func (in *incoming) fail(err error) {
	if in.err == nil {
		in.err = err
	}
	if in.f != nil {
		in.f.Close()
		os.Remove(in.f.Name())
		in.f = nil
	}
}

// end finishes the file: the sender's error (senderErr, "" for none)
// or one of writing it drops it; else it takes its name. It returns the
// first error.
func (in *incoming) end(senderErr string) error {
	if senderErr != "" {
		in.fail(errors.New(senderErr))
	}
	if in.err != nil {
		in.fail(in.err)
		return in.err
	}
	f := in.f
	in.f = nil
	err := f.Chmod(in.mode)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(f.Name(), in.dst)
	}
	if err != nil {
		os.Remove(f.Name())
		in.err = err
	}
	return err
}

// removeWithParents removes path, then its parent directories while they
// are empty, up to but not including stop (the agent's working
// directory) or the root.
func removeWithParents(path, stop string) {
	os.Remove(path)
	for dir := filepath.Dir(path); dir != "." && dir != "/" && dir != stop; dir = filepath.Dir(dir) {
		if os.Remove(dir) != nil {
			return
		}
	}
}
