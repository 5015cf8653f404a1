package results

import (
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"sync"
)

// Format is the format of a results file (--results FILE.csv, .tsv, .json),
// as GNU parallel 20221122 writes them.
type Format int

const (
	// NoTable: the name is a directory's (--results DIR).
	NoTable Format = iota
	// CSV: comma-separated, a header row first.
	CSV
	// TSV: TAB-separated, a header row first.
	TSV
	// JSONLines: one JSON object per job and line.
	JSONLines
)

// FormatOf returns the format a results name asks for by its suffix, .csv,
// .tsv or .json in any case, and NoTable for any other name.
func FormatOf(name string) Format {
	lower := strings.ToLower(name)
	switch {
	case strings.HasSuffix(lower, ".csv"):
		return CSV
	case strings.HasSuffix(lower, ".tsv"):
		return TSV
	case strings.HasSuffix(lower, ".json"):
		return JSONLines
	}
	return NoTable
}

// Row is one job as a results file records it, GNU parallel's columns: Seq,
// Host, Starttime, JobRuntime, Send, Receive, Exitval, Signal, Command, one
// column a value (V1, V2… or the --header names), Stdout, Stderr.
type Row struct {
	Job
	Host          string   // ":" for this machine
	Send, Receive int64    // bytes sent to the job's stdin; bytes of its stdout
	Names         []string // --header's names of the values; nil for V1, V2…
}

// Header returns the header row of a CSV or TSV file whose first row is r;
// nil for JSONLines.
func (r Row) Header(f Format) []byte {
	if f == JSONLines || f == NoTable {
		return nil
	}
	cols := []string{"Seq", "Host", "Starttime", "JobRuntime", "Send", "Receive", "Exitval", "Signal", "Command"}
	for i := range r.Input {
		if i < len(r.Names) {
			cols = append(cols, r.Names[i])
		} else {
			cols = append(cols, "V"+strconv.Itoa(i+1))
		}
	}
	var b strings.Builder
	writeCSV(&b, separator(f), append(cols, "Stdout", "Stderr"))
	return []byte(b.String())
}

func separator(f Format) string {
	if f == TSV {
		return "\t"
	}
	return ","
}

// Format returns the row's line in format f (not NoTable). Stdout and Stderr
// are read whole; an error reading them is returned.
func (r Row) Format(f Format) ([]byte, error) {
	stdout, err := readAll(r.Stdout)
	if err != nil {
		return nil, fmt.Errorf("job %d: reading stdout: %w", r.Seq, err)
	}
	stderr, err := readAll(r.Stderr)
	if err != nil {
		return nil, fmt.Errorf("job %d: reading stderr: %w", r.Seq, err)
	}
	start := fmt.Sprintf("%d.%03d", r.Start.Unix(), r.Start.Nanosecond()/1e6)
	runtime := fmt.Sprintf("%.3f", r.Runtime.Seconds())
	host := r.Host
	if host == "" {
		host = ":"
	}
	if f == JSONLines {
		var b strings.Builder
		fmt.Fprintf(&b, `{ "Seq": %d, "Host": "%s", "Starttime": %s, "JobRuntime": %s, "Send": %d, "Receive": %d, "Exitval": %d, "Signal": %d, "Command": "%s", "V": [ `,
			r.Seq, jsonQuote(host), start, runtime, r.Send, r.Receive, r.Exit, r.Signal, jsonQuote(r.Command))
		for i, v := range r.Input {
			if i > 0 {
				b.WriteString(",")
			}
			b.WriteString(`"` + jsonQuote(v) + `"`)
		}
		fmt.Fprintf(&b, ` ], "Stdout": "%s", "Stderr": "%s" }`+"\n", jsonQuote(string(stdout)), jsonQuote(string(stderr)))
		return []byte(b.String()), nil
	}
	var b strings.Builder
	cols := []string{strconv.FormatInt(r.Seq, 10), host, start, runtime,
		strconv.FormatInt(r.Send, 10), strconv.FormatInt(r.Receive, 10),
		strconv.Itoa(r.Exit), strconv.Itoa(r.Signal), r.Command}
	cols = append(cols, r.Input...)
	writeCSV(&b, separator(f), append(cols, string(stdout), string(stderr)))
	return []byte(b.String()), nil
}

// writeCSV writes one row as GNU parallel does (its combine_ref): a column
// holding a quote, white space, the separator or a NUL is put in quotes,
// its quotes doubled; others go as they are.
func writeCSV(b *strings.Builder, sep string, cols []string) {
	for i, c := range cols {
		if i > 0 {
			b.WriteString(sep)
		}
		if strings.ContainsAny(c, "\" \t\n\r\f\v\x00"+sep) {
			b.WriteString(`"` + strings.ReplaceAll(c, `"`, `""`) + `"`)
		} else {
			b.WriteString(c)
		}
	}
	b.WriteString("\n")
}

// jsonQuote escapes s as GNU parallel's jsonquote does: backslash, quote and
// the control characters below 0x20 (as \u00XX); every other byte, invalid
// UTF-8 included, is kept.
func jsonQuote(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '\\' || c == '"':
			b.WriteByte('\\')
			b.WriteByte(c)
		case c < 0x20:
			fmt.Fprintf(&b, `\u%04x`, c)
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

// Table is a results file: rows appended as jobs are written out. Write is
// safe for concurrent use.
type Table struct {
	Path   string // as given; "-.csv" and the like for standard output
	Format Format

	mu     sync.Mutex
	w      io.Writer
	f      *os.File // nil for standard output
	header bool     // the header row is written
	err    error    // the first write error: sticky
}

// TableError is a results file that cannot be created or written.
type TableError struct {
	Path string
	Seq  int64 // the job whose row failed; 0 when creating the file, -1 closing it
	Err  error
}

func (e *TableError) Error() string {
	switch {
	case e.Seq == 0:
		return fmt.Sprintf("results file %s: cannot create: %v", e.Path, e.Err)
	case e.Seq < 0:
		return fmt.Sprintf("results file %s: cannot write: %v", e.Path, e.Err)
	}
	return fmt.Sprintf("results file %s: job %d: %v", e.Path, e.Seq, e.Err)
}

func (e *TableError) Unwrap() error { return e.Err }

// OnStdout reports whether the results name is GNU's "-.csv", "-.tsv" or
// "-.json": the rows go to standard output instead of a file.
func OnStdout(path string) bool {
	return path == "-.csv" || path == "-.tsv" || path == "-.json"
}

// OpenTable creates (truncates) the results file path, of the format its
// suffix gives. The error is a *TableError.
func OpenTable(path string) (*Table, error) {
	t := &Table{Path: path, Format: FormatOf(path)}
	if t.Format == NoTable {
		return nil, &TableError{Path: path, Err: fmt.Errorf("not a .csv, .tsv or .json name")}
	}
	f, err := os.Create(path)
	if err != nil {
		return nil, &TableError{Path: path, Err: unwrapPath(err)}
	}
	t.f, t.w = f, f
	return t, nil
}

// Write appends job seq's row, line (Row.Format), after header (Row.Header)
// if it is the first. A failure is a *TableError; after one, every Write
// fails alike.
func (t *Table) Write(seq int64, header, line []byte) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.err != nil {
		return &TableError{Path: t.Path, Seq: seq, Err: t.err}
	}
	if !t.header {
		line = append(header[:len(header):len(header)], line...)
	}
	if _, err := t.w.Write(line); err != nil {
		t.err = unwrapPath(err)
		return &TableError{Path: t.Path, Seq: seq, Err: t.err}
	}
	t.header = true
	return nil
}

// Close closes the file; a failure to (a full disk found late) is a
// *TableError.
func (t *Table) Close() error {
	if t.f == nil {
		return nil
	}
	err := t.f.Close()
	t.f = nil
	if err != nil && t.err == nil {
		return &TableError{Path: t.Path, Seq: -1, Err: unwrapPath(err)}
	}
	return nil
}
