package cmd

import (
	"errors"
	"fmt"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/parmap/parmap/internal/engine"
	"github.com/parmap/parmap/internal/hosts"
	"github.com/parmap/parmap/internal/records"
	"github.com/parmap/parmap/internal/results"
	"github.com/parmap/parmap/internal/slurm"
	"github.com/parmap/parmap/internal/template"
)

// wordError words an error for parmap's one-line messages. The packages
// below cmd return facts and name no option; here each of their typed
// errors gets the option it came from and the fix. It recognises them with
// errors.Is and errors.As, never by their text, and gives any other error
// its own text.
//
// Pass the error the package returned (or one wrapped by withSources): the
// text of a wrapper made with fmt.Errorf("…: %w") would be dropped.
func wordError(err error) string {
	var (
		source *records.SourceError
		delim  *records.DelimError
		entry  *hosts.EntryError
		file   *hosts.FileError
		host   *hosts.HostError
		dir    *results.DirError
		shard  *slurm.ShardError
		gap    *slurm.ArrayGapError
		old    *slurm.ArrayVarError
		long   *template.TooLongError
		nul    *template.NULError
		name   *template.NameError
		input  *engine.InputError
		joblog *engine.JoblogError
		jobsrv *engine.JobserverError
	)
	if s, ok := wordTable(err); ok {
		return s
	}
	if s, ok := wordLimitError(err); ok {
		return s
	}
	var perl *template.PerlError
	switch {
	case errors.As(err, &perl):
		return perl.Error() + `; use a shell command line instead, e.g. 'v={}; echo "${v/x/y}"'`
	case errors.Is(err, engine.ErrNoHosts):
		return "no host of -S can be reached"
	case errors.Is(err, engine.ErrNoAgents):
		return "--slurm: no node's agent could start (see above); check that srun works in this allocation, or use --slurm-steps"
	case errors.As(err, &input):
		flag := "-a"
		if input.Ranges {
			flag = "--pipepart -a"
		}
		what := ""
		if input.Header {
			what = "reading its header: "
		}
		return fmt.Sprintf("%s %s: %s%s", flag, input.Path, what, describeFileErr(input.Err))
	case errors.As(err, &joblog):
		return "--joblog " + joblog.Err.Error()
	case errors.As(err, &jobsrv) && jobsrv.Serve:
		return "--jobserver: " + jobsrv.Err.Error()
	case errors.As(err, &jobsrv):
		return "MAKEFLAGS: " + jobsrv.Err.Error()

	case errors.As(err, &source):
		return wordSource(source, sourceFlag(err, source.Index))
	case errors.As(err, &delim):
		return fmt.Sprintf(`-d %q: give one character or an escape like \t, \n, \0, \x1f`, delim.Value)

	case errors.As(err, &entry):
		why := entry.Err.Error()
		if errors.Is(entry.Err, hosts.ErrDashHost) {
			why = "a host cannot start with -; pass ssh options with --ssh 'ssh -o ...'"
		}
		if entry.File == "" {
			return fmt.Sprintf("-S %q: %s", entry.Entry, why)
		}
		return fmt.Sprintf("--sshloginfile %s:%d: %q: %s", entry.File, entry.Line, entry.Entry, why)
	case errors.As(err, &file):
		if errors.Is(file.Err, hosts.ErrNoHosts) {
			return "--sshloginfile " + file.Path + ": no hosts in it; give [N/][user@]host[:port], or : for this machine, one per line"
		}
		return "--sshloginfile: " + file.Err.Error()
	case errors.As(err, &host):
		return "-S " + host.Host.String() + ": " + host.Err.Error()

	case errors.As(err, &dir):
		return wordResults(dir)

	case errors.As(err, &shard):
		shown := shard.Value
		if shown == "" || strings.ContainsAny(shown, " \t") {
			shown = strconv.Quote(shown)
		}
		return "--shard " + shown + ": give K/N with 0 ≤ K < N, e.g. --shard 0/4"
	case errors.Is(err, slurm.ErrNoAllocation):
		return "--slurm needs a Slurm allocation (SLURM_JOB_ID is not set): run parmap inside sbatch or salloc"
	case errors.As(err, &old):
		return fmt.Sprintf("job array task %s without %s: this Slurm is too old for --slurm in job arrays", old.Task, old.Var)
	case errors.As(err, &gap):
		return fmt.Sprintf("job array task %d of %d tasks from %d to %d: its position is unknown because the array is a list with gaps; submit a range (--array=0-%d or A-B:STEP) or give --shard K/N",
			gap.Task, gap.Count, gap.Min, gap.Max, max(gap.Count, 1)-1)

	case errors.As(err, &name):
		return wordName(name)
	case errors.Is(err, template.ErrEmptyReplace):
		return "-I needs a non-empty string to replace, e.g. -I %"
	case errors.As(err, &long):
		what := fmt.Sprintf("argument %d", long.Index)
		if long.Shell {
			what = "the shell command line"
		}
		return fmt.Sprintf("record %d: %s is %d bytes; Linux passes at most %d bytes in one argument (use --pipe or a template that does not pass the record)",
			long.Seq, what, long.Len, template.MaxArg)
	case errors.As(err, &nul):
		what := fmt.Sprintf("argument %d", nul.Index)
		if nul.Shell {
			what = "the shell command line"
		}
		return what + " contains a NUL byte, which no command argument can carry (use --pipe or --reuse to pass such data on stdin)"
	}
	return wordReuse(err)
}

// wordSource words a record source that cannot be read; flag is the option
// that gave it ("-a", "::::"), or "" when unknown.
func wordSource(e *records.SourceError, flag string) string {
	name := e.Name()
	if flag != "" && e.Path != "" {
		name = flag + " " + name
	}
	switch e.Problem {
	case records.SourceMissing:
		return name + ": no such file"
	case records.SourceDenied:
		return name + ": permission denied, make it readable or give another file"
	case records.SourceIsDir:
		return name + ": is a directory, give a file"
	case records.SourceOpenFailed:
		return fmt.Sprintf("%s: cannot open: %v", name, e.Err)
	case records.SourceReadFailed:
		return fmt.Sprintf("%s: read failed: %v", name, e.Err)
	}
	return e.Error()
}

// wordResults words a --results directory that cannot be used or written.
func wordResults(e *results.DirError) string {
	switch e.Problem {
	case results.NameEmpty:
		return "--results: the directory name is empty"
	case results.NotDir:
		return "--results " + e.Path + ": not a directory, give a directory"
	case results.NotWritable:
		return "--results " + e.Path + ": permission denied, give a directory you can write"
	case results.ParentNotDir:
		return "--results " + e.Path + ": a parent is not a directory"
	case results.CreateFailed:
		return fmt.Sprintf("--results %s: cannot create: %v", e.Path, e.Err)
	case results.OpenFailed:
		return fmt.Sprintf("--results %s: cannot open: %v", e.Path, e.Err)
	case results.BadSeq:
		return fmt.Sprintf("--results %s: job number %d: must be 1 or more", e.Path, e.Seq)
	case results.WriteFailed:
		job := filepath.Join(e.Path, strconv.FormatInt(e.Seq, 10))
		if e.File == "" {
			return fmt.Sprintf("--results %s: job %d: cannot create %s: %v", e.Path, e.Seq, job, e.Err)
		}
		return fmt.Sprintf("--results %s: job %d: cannot write %s: %v", e.Path, e.Seq, filepath.Join(job, e.File), e.Err)
	}
	return e.Error()
}

// sourcesError is an error met opening or reading the record sources,
// with the option that gave each source, so that wordError can name a
// source as the command line gave it: "-a data.txt", ":::: data.txt".
type sourcesError struct {
	err   error
	flags []string // by source index: "-a" or "::::" for a file; "" for standard input and ::: lists
}

func (e *sourcesError) Error() string { return e.err.Error() }
func (e *sourcesError) Unwrap() error { return e.err }

// withSources returns err, when not nil, with flags, the option that gave
// each record source (see sourcesError), for wordError.
func withSources(err error, flags []string) error {
	if err == nil {
		return nil
	}
	return &sourcesError{err: err, flags: flags}
}

// sourceFlag is the option that gave source i, from the flags withSources
// put in err; "" when err has none for it.
func sourceFlag(err error, i int) string {
	var se *sourcesError
	if errors.As(err, &se) && 0 <= i && i < len(se.flags) {
		return se.flags[i]
	}
	return ""
}
