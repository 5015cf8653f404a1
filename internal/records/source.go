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
)

// Source is one input source: standard input, a file, or a list of values.
// The zero Source is standard input.
type Source struct {
	kind   sourceKind
	path   string   // fromFile
	values []string // fromList
	flag   string   // option that gave it, for error messages ("-a", "::::")
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

// WithFlag returns s with its error messages naming the option that gave it,
// e.g. File("data.txt").WithFlag("-a") fails with `-a data.txt: no such file`.
func (s Source) WithFlag(flag string) Source {
	s.flag = flag
	return s
}

// label names s in error messages.
func (s Source) label() string {
	switch {
	case s.kind == fromStdin:
		return "standard input"
	case s.kind == fromList:
		return "list"
	case s.flag == "":
		return quotePath(s.path)
	}
	return s.flag + " " + quotePath(s.path)
}

// check reports, in one line, why a file source cannot be read. It does not open
// the file: a named pipe must not be opened and closed before its turn.
func (s Source) check() error {
	if s.kind != fromFile {
		return nil
	}
	fi, err := os.Stat(s.path)
	if err != nil {
		return s.openError(err)
	}
	if fi.IsDir() {
		return fmt.Errorf("%s: is a directory, give a file", s.label())
	}
	const readable = 4 // R_OK
	if err := syscall.Access(s.path, readable); err != nil {
		return s.openError(err)
	}
	return nil
}

// openError turns an error from stat, access or open into a one-line message
// that names the source and the fix.
func (s Source) openError(err error) error {
	switch {
	case errors.Is(err, fs.ErrNotExist), errors.Is(err, syscall.ENOTDIR):
		return fmt.Errorf("%s: no such file", s.label())
	case errors.Is(err, fs.ErrPermission):
		return fmt.Errorf("%s: permission denied, make it readable or give another file", s.label())
	case errors.Is(err, syscall.EISDIR):
		return fmt.Errorf("%s: is a directory, give a file", s.label())
	}
	var pe *fs.PathError
	if errors.As(err, &pe) {
		err = pe.Err
	}
	return fmt.Errorf("%s: cannot open: %v", s.label(), err)
}

// readError turns an error met while reading s into a one-line message.
func (s Source) readError(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		err = pe.Err
	}
	return fmt.Errorf("%s: read failed: %v", s.label(), err)
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
