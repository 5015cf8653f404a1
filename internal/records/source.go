package records

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strconv"
	"syscall"
	"unicode"
)

// sourceKind says where a Source's values come from.
type sourceKind int

const (
	fromStdin sourceKind = iota // standard input
	fromFile                    // a named file, read record by record
	fromList                    // values given on the command line
	fromFeed                    // values added while the run goes on (Feed)
)

// Source is one input source: standard input, a file, or a list of values.
// The zero Source is standard input.
type Source struct {
	kind   sourceKind
	path   string   // fromFile
	values []string // fromList
	feed   *Feed    // fromFeed
	then   *Feed    // read after the source's own values (Then)
	linked bool     // paired with the source before it (:::+, ::::+)
}

// Stdin returns the standard-input source (the default when no source is given).
func Stdin() Source { return Source{kind: fromStdin} }

// File returns the source that reads records from the file at path (-a FILE,
// :::: FILE). The path "-" means standard input.
func File(path string) Source {
	if path == "-" {
		return Source{kind: fromStdin, path: path}
	}
	return Source{kind: fromFile, path: path}
}

// List returns the source whose records are values (::: a b c). The slice is not
// copied and must not change while it is read.
func List(values []string) Source { return Source{kind: fromList, values: values} }

// Linked returns s paired with the source before it instead of multiplied
// (GNU parallel's :::+ and ::::+): a run of linked sources gives one value of
// each in step, and ends with its shortest source, and such runs combine with
// the other sources as one source would. The first source has none before it:
// linking it changes nothing.
func (s Source) Linked() Source {
	s.linked = true
	return s
}

// Then returns s followed by f's values: once s's own values end, the
// source goes on with those added to f, until f is closed (a detached run
// whose records come from a file, and more are added later).
func (s Source) Then(f *Feed) Source {
	s.then = f
	return s
}

// ReadsStdin reports whether s is standard input (Stdin, or File("-")).
func (s Source) ReadsStdin() bool { return s.kind == fromStdin }

// Feeds returns the feeds s reads (Source, Then), for closing them when
// the run ends.
func (s Source) Feeds() []*Feed {
	var fs []*Feed
	for _, f := range []*Feed{s.feed, s.then} {
		if f != nil {
			fs = append(fs, f)
		}
	}
	return fs
}

// SourceProblem says what went wrong with a source.
type SourceProblem int

const (
	// SourceMissing: the file does not exist, or a directory on its path does not.
	SourceMissing SourceProblem = iota + 1
	// SourceDenied: the file may not be read.
	SourceDenied
	// SourceIsDir: the file is a directory.
	SourceIsDir
	// SourceOpenFailed: the file cannot be opened for another reason, in Err.
	SourceOpenFailed
	// SourceReadFailed: reading the source failed, as Err says.
	SourceReadFailed
)

// SourceError is a source that cannot be read: which source, and what
// happened. It names no option: the caller knows which one gave source Index.
type SourceError struct {
	Index   int    // the source's place among those given to Open, from 0 (no sources: 0, standard input)
	Path    string // the file; "" for standard input
	Problem SourceProblem
	Err     error // the system's error, without the path; nil for a directory found by stat
}

// sourceProblems says what each SourceProblem is; the last two are followed
// by the system's error.
var sourceProblems = map[SourceProblem]string{
	SourceMissing:    "no such file",
	SourceDenied:     "permission denied",
	SourceIsDir:      "is a directory",
	SourceOpenFailed: "cannot open",
	SourceReadFailed: "read failed",
}

func (e *SourceError) Error() string {
	what := sourceProblems[e.Problem]
	if e.Problem == SourceOpenFailed || e.Problem == SourceReadFailed {
		what += fmt.Sprintf(": %v", e.Err)
	}
	return e.Name() + ": " + what
}

func (e *SourceError) Unwrap() error { return e.Err }

// Name names the source as a message shows it: its path, quoted when bare it
// would be ambiguous or unreadable, or "standard input".
func (e *SourceError) Name() string {
	if e.Path == "" {
		return "standard input"
	}
	return quotePath(e.Path)
}

// check reports why source i, a file, cannot be read. It does not open the
// file: a named pipe must not be opened and closed before its turn.
func (s Source) check(i int) error {
	if s.kind != fromFile {
		return nil
	}
	fi, err := os.Stat(s.path)
	if err != nil {
		return s.openError(i, err)
	}
	if fi.IsDir() {
		return &SourceError{Index: i, Path: s.path, Problem: SourceIsDir}
	}
	const readable = 4 // R_OK
	if err := syscall.Access(s.path, readable); err != nil {
		return s.openError(i, err)
	}
	return nil
}

// openError turns an error from stat, access or open of source i into a
// *SourceError.
func (s Source) openError(i int, err error) error {
	p := SourceOpenFailed
	switch {
	case errors.Is(err, fs.ErrNotExist), errors.Is(err, syscall.ENOTDIR):
		p = SourceMissing
	case errors.Is(err, fs.ErrPermission):
		p = SourceDenied
	case errors.Is(err, syscall.EISDIR):
		p = SourceIsDir
	}
	return &SourceError{Index: i, Path: s.errPath(), Problem: p, Err: unwrapPath(err)}
}

// readError turns an error met while reading source i into a *SourceError.
func (s Source) readError(i int, err error) error {
	return &SourceError{Index: i, Path: s.errPath(), Problem: SourceReadFailed, Err: unwrapPath(err)}
}

// errPath is the path a SourceError gives: "" for standard input.
func (s Source) errPath() string {
	if s.kind != fromFile {
		return ""
	}
	return s.path
}

// unwrapPath drops the operation and path that *fs.PathError repeats.
func unwrapPath(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// quotePath quotes p only when printed bare it would be ambiguous or unreadable.
func quotePath(p string) string {
	if p == "" {
		return `""`
	}
	for _, r := range p {
		if r == unicode.ReplacementChar || unicode.IsSpace(r) || !unicode.IsPrint(r) || r == '"' {
			return strconv.Quote(p)
		}
	}
	return p
}
