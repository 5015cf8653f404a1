// Package joblog writes and reads GNU parallel's job log: one tab-separated line per finished job.
//
// A line holds nine fields, in the order of [Header]:
//
//	Seq  Host  Starttime  JobRuntime  Send  Receive  Exitval  Signal  Command
//
// printed as GNU parallel prints them: Starttime is Unix seconds with three
// decimals (1732540000.123), JobRuntime seconds with three decimals right-aligned
// in ten columns ("     0.004", GNU's %10.3f), the other numbers plain integers.
//
// Command is the last field, so a tab in it is written as is (as GNU does) and
// readers split a line into at most nine fields. A newline in it is written as
// a NUL byte, again as GNU parallel does, and read back as a newline. A command
// line cannot hold a NUL (execve takes C strings), so the escape loses nothing
// for any command that can be run.
package joblog

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strconv"
	"strings"
	"time"
)

// Header is the first line of every job log, without its newline.
const Header = "Seq\tHost\tStarttime\tJobRuntime\tSend\tReceive\tExitval\tSignal\tCommand"

// ErrNotJobLog is wrapped by the errors of Open and Succeeded for a file whose
// first line is not Header.
var ErrNotJobLog = errors.New("not a job log")

// Entry is one finished job.
type Entry struct {
	Seq     int64
	Host    string // ":" for the local machine; "" is written as ":"
	Start   time.Time
	Runtime time.Duration
	Send    int64 // bytes sent to the job's stdin
	Receive int64 // bytes of output received
	Exitval int
	Signal  int
	Command string // the command line as run; see the package comment for newlines
}

// Format returns e's line in the job log, with the trailing newline.
// Times are rounded to the millisecond; a zero Start is written as 0.000.
func Format(e Entry) string {
	host := e.Host
	if host == "" {
		host = ":"
	}
	// A tab or newline in Host would shift every later field.
	host = strings.NewReplacer("\t", " ", "\n", " ").Replace(host)

	b := make([]byte, 0, 64+len(host)+len(e.Command))
	b = strconv.AppendInt(b, e.Seq, 10)
	b = append(b, '\t')
	b = append(b, host...)
	b = append(b, '\t')
	var start int64
	if !e.Start.IsZero() {
		start = e.Start.Round(time.Millisecond).UnixMilli()
	}
	b = appendMillis(b, start)
	b = append(b, '\t')
	rt := appendMillis(nil, e.Runtime.Round(time.Millisecond).Milliseconds())
	for i := len(rt); i < 10; i++ {
		b = append(b, ' ')
	}
	b = append(b, rt...)
	for _, n := range []int64{e.Send, e.Receive, int64(e.Exitval), int64(e.Signal)} {
		b = append(b, '\t')
		b = strconv.AppendInt(b, n, 10)
	}
	b = append(b, '\t')
	b = append(b, strings.ReplaceAll(e.Command, "\n", "\x00")...)
	b = append(b, '\n')
	return string(b)
}

// appendMillis appends ms milliseconds as seconds with three decimals.
func appendMillis(b []byte, ms int64) []byte {
	if ms < 0 {
		b = append(b, '-')
		ms = -ms
	}
	b = strconv.AppendInt(b, ms/1000, 10)
	frac := ms % 1000
	return append(b, '.', byte('0'+frac/100), byte('0'+frac/10%10), byte('0'+frac%10))
}

// Parse reads one line of a job log, with or without its trailing newline.
// It undoes Format: Parse(Format(e)) equals e with its times rounded to the
// millisecond (and Start in the local time zone).
func Parse(line string) (Entry, error) {
	line = strings.TrimSuffix(line, "\n")
	f := strings.SplitN(line, "\t", 9)
	if len(f) < 9 {
		return Entry{}, fmt.Errorf("job log line has %d fields, want 9: %q", len(f), line)
	}
	var e Entry
	var err error
	bad := func(name string, perr error) (Entry, error) {
		return Entry{}, fmt.Errorf("job log line: bad %s: %w", name, perr)
	}
	if e.Seq, err = strconv.ParseInt(f[0], 10, 64); err != nil {
		return bad("Seq", err)
	}
	e.Host = f[1]
	start, err := parseSeconds(f[2])
	if err != nil {
		return bad("Starttime", err)
	}
	e.Start = time.Unix(0, start)
	rt, err := parseSeconds(f[3])
	if err != nil {
		return bad("JobRuntime", err)
	}
	e.Runtime = time.Duration(rt)
	if e.Send, err = strconv.ParseInt(f[4], 10, 64); err != nil {
		return bad("Send", err)
	}
	if e.Receive, err = strconv.ParseInt(f[5], 10, 64); err != nil {
		return bad("Receive", err)
	}
	if e.Exitval, err = strconv.Atoi(f[6]); err != nil {
		return bad("Exitval", err)
	}
	if e.Signal, err = strconv.Atoi(f[7]); err != nil {
		return bad("Signal", err)
	}
	e.Command = strings.ReplaceAll(f[8], "\x00", "\n")
	return e, nil
}

// parseSeconds reads decimal seconds such as "  12.345" as nanoseconds, exactly.
func parseSeconds(s string) (int64, error) {
	s = strings.TrimLeft(s, " ")
	whole, frac, _ := strings.Cut(s, ".")
	neg := strings.HasPrefix(whole, "-")
	sec, err := strconv.ParseInt(whole, 10, 64)
	if err != nil {
		return 0, err
	}
	if len(frac) > 9 {
		frac = frac[:9]
	}
	var ns int64
	if frac != "" {
		n, err := strconv.ParseUint(frac, 10, 32)
		if err != nil {
			return 0, err
		}
		ns = int64(n)
		for i := len(frac); i < 9; i++ {
			ns *= 10
		}
	}
	if neg {
		ns = -ns
	}
	return sec*1e9 + ns, nil
}

// Succeeded reads the job log at path and returns the set of Command values
// logged as succeeded: with Signal 0 and an Exitval in success (nil means 0
// alone, as for channel.Result.Failed; --success-codes). These are the jobs
// --resume-failed skips.
//
// A command counts as succeeded if any of its lines says so, even when a later
// line of the same command failed: the command was done once, which is what
// resume needs. (Two records that expand to the same command line are
// therefore one job for resume.)
//
// A line that does not parse never counts as a success, so its job runs again;
// this covers a torn last line (no trailing newline, or too few fields). A
// missing or empty file gives an empty set. A file whose first line is not
// Header is an error wrapping ErrNotJobLog.
func Succeeded(path string, success map[int]bool) (map[string]bool, error) {
	return commands(path, func(e Entry) bool {
		return e.Signal == 0 && (success == nil && e.Exitval == 0 || success[e.Exitval])
	})
}

// Logged reads the job log at path and returns the set of every Command
// value logged, whatever its exit value or signal: the jobs --resume skips
// (GNU parallel's meaning). Lines that do not parse, a missing file and a
// file that is not a job log are as for Succeeded.
func Logged(path string) (map[string]bool, error) {
	return commands(path, func(Entry) bool { return true })
}

// commands returns the Command values of the lines of the job log at path
// that parse and that keep accepts.
func commands(path string, keep func(Entry) bool) (map[string]bool, error) {
	ok := map[string]bool{}
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return ok, nil
	}
	if err != nil {
		return nil, err
	}
	defer f.Close()
	r := bufio.NewReaderSize(f, 64<<10)
	first := true
	for {
		line, err := r.ReadString('\n')
		if err == io.EOF {
			if first && line != "" {
				return nil, notJobLog(path)
			}
			return ok, nil // line, if any, is torn: ignored
		}
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", path, err)
		}
		if first {
			if line != Header+"\n" {
				return nil, notJobLog(path)
			}
			first = false
			continue
		}
		if e, perr := Parse(line); perr == nil && keep(e) {
			ok[e.Command] = true
		}
	}
}

func notJobLog(path string) error {
	return fmt.Errorf("%s: %w: its first line is not GNU parallel's joblog header", path, ErrNotJobLog)
}
