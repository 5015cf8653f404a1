package cmd

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strconv"
	"strings"

	"github.com/parmap/parmap/internal/engine"
	"github.com/parmap/parmap/pmap"
)

// wordOutputLost words why a job's output did not reach parmap's output
// whole (engine.JobOutputLost).
func wordOutputLost(err error) string {
	var tmp *pmap.TmpError
	var files *engine.FilesError
	switch {
	case errors.As(err, &files):
		return fmt.Sprintf("--files: cannot save its output in %s: %s; it is written here instead", files.Path, describeFileErr(files.Err))
	case errors.As(err, &tmp) && tmp.Spill:
		return "output lost: " + tmp.Error()
	case errors.As(err, &tmp):
		// Jobs write their capture files themselves: parmap saw the disk
		// full, not their writes fail.
		return "output may be cut short: " + tmp.Error()
	}
	return "reading its output: " + wordError(err)
}

// wordJoblogFailed words job seq's job log line that could not be written
// (engine.JoblogFailed).
func wordJoblogFailed(seq int64, err error) string {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return fmt.Sprintf("--joblog %s: job %d: its line could not be written: %v; --resume runs it again", pe.Path, seq, pe.Err)
	}
	return fmt.Sprintf("--joblog: job %d: %v", seq, err)
}

// wordOutputErr words the error that stopped parmap's standard output,
// naming the file it goes to when it is one (/dev/full, out.txt).
func wordOutputErr(err error, stdout *os.File) string {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		err = pe.Err
	}
	name := "standard output"
	if stdout != nil {
		if target, lerr := os.Readlink("/proc/self/fd/" + strconv.Itoa(int(stdout.Fd()))); lerr == nil && strings.HasPrefix(target, "/") {
			name += " (" + target + ")"
		}
	}
	return fmt.Sprintf("writing %s: %v", name, err)
}

// wordLost words the jobs whose output could not all be written, as the
// line that says the run's output is incomplete.
func wordLost(l engine.Lost) string {
	jobs := func(n int64) string {
		if n == 1 {
			return "1 job"
		}
		return strconv.FormatInt(n, 10) + " jobs"
	}
	var parts []string
	if l.Output > 0 {
		parts = append(parts, "the output of "+jobs(l.Output))
	}
	if l.Results > 0 {
		parts = append(parts, "the --results files of "+jobs(l.Results))
	}
	if l.Joblog > 0 {
		parts = append(parts, "the --joblog lines of "+jobs(l.Joblog))
	}
	if len(parts) == 0 {
		return "output is incomplete"
	}
	s := parts[0]
	if k := len(parts); k > 1 {
		s = strings.Join(parts[:k-1], ", ") + " and " + parts[k-1]
	}
	s = "output is incomplete: " + s + " could not be written"
	if l.Joblog > 0 {
		s += " (--resume runs those jobs again)"
	}
	return s
}
