package cmd

import (
	"fmt"
	"io"
	"os"
	"regexp"
	"runtime"
	"strings"
	"time"

	"github.com/urfave/cli/v2"
	"golang.org/x/term"

	"github.com/parmap/parmap/exchange"
	"github.com/parmap/parmap/internal/engine"
	"github.com/parmap/parmap/internal/joblog"
	"github.com/parmap/parmap/internal/progress"
	"github.com/parmap/parmap/internal/records"
	"github.com/parmap/parmap/internal/template"
	"github.com/parmap/parmap/pmap"
)

// xargsBudget caps what the records of one -X job may cost (as
// template.ArgCost counts: bytes, NULs, pointers): GNU xargs's default
// command-line size less 4 KiB. What the environment leaves of the kernel's
// limit may lower it (settle).
const xargsBudget = 128*1024 - 4096

// tabSep is the --colsep of --header : when none is given.
var tabSep = regexp.MustCompile("\t")

// defaultBlock is --block's default, as GNU parallel's.
const defaultBlock = 1 << 20

// barIntervalEnv, when set to a duration (as --kill-after takes it), is how
// often the plain status line of --bar is printed when stderr is not a
// terminal (5s by default). The README documents it.
const barIntervalEnv = "PARMAP_BAR_INTERVAL"

// surroundings is what a configuration reads besides the options: the
// environment, the CPUs, and whether the streams are terminals.
type surroundings struct {
	getenv  func(string) string
	environ []string
	cpus    int
	// maxJobs is the most jobs the system can run at once, and where
	// that bound comes from; nil for no bound.
	maxJobs func() (int, string)
	// cpuList lists the CPUs parmap may use (--cpus-per-job); nil for
	// this process's affinity mask.
	cpuList func() ([]int, error)
	stdout  io.Writer
	stderr  io.Writer
}

func thisProcess(stdout, stderr io.Writer) surroundings {
	return surroundings{getenv: os.Getenv, environ: os.Environ(), cpus: runtime.GOMAXPROCS(0), maxJobs: maxJobs, stdout: stdout, stderr: stderr}
}

// builder reads the options into a Config, checking each once.
type builder struct {
	c    *cli.Context
	env  surroundings
	cfg  *engine.Config
	warn []string // lines to print before the run, without "parmap: "

	command []string
	flagOf  []string // the option that gave each source ("-a", "::::"; "" for stdin and :::), for its errors
	jobsSet bool     // -j was given
	// topt is how the command template was read: --tagstring and the
	// --transferfile and --return templates are read the same way.
	topt template.Options
	// maxChars is -s (--max-chars): the longest command line -X and -m
	// make, as text; 0 for none.
	maxChars int
}

// invocation is what the command line asks for: the run's configuration,
// and what cmd needs to word it.
type invocation struct {
	cfg *engine.Config
	// warnings are said before the run starts.
	warnings []string
	// sourceFlags is the option that gave each record source (see
	// withSources).
	sourceFlags []string
	// prog is the name messages start with: parmap, or parallel under
	// that name (programName).
	prog string
	// detach is --detach: start the run in the background, as runID
	// (--id; "" for a new one) under runParent.
	detach    bool
	runID     string
	runParent string
}

// newInvocation checks the options and the command line after them and
// settles the run's configuration.
func newInvocation(c *cli.Context, tail []string, env surroundings) (*invocation, error) {
	b := &builder{c: c, env: env, cfg: &engine.Config{Env: env.environ}}
	steps := []func() error{
		func() error { return b.sources(tail) },
		b.jobs,
		b.devices,
		func() error { return b.pipe(tail) },
		b.records,
		b.recordCounts,
		b.template,
		b.output,
		b.control,
		b.structured,
		b.outputFiles,
		b.joblog,
		b.reuse,
		b.hosts,
		b.resources,
		b.envVars,
		b.cluster,
		b.transfer,
		b.limits,
		b.tmpdir,
		b.makeJobs,
		b.settle,
		b.sshAgents,
		b.roundRobinSlots,
		b.conflicts,
	}
	for _, step := range steps {
		if err := step(); err != nil {
			return nil, err
		}
	}
	b.progress()
	return &invocation{cfg: b.cfg, warnings: b.warn, sourceFlags: b.flagOf, prog: c.App.Name}, nil
}

// sources reads -a, ::: and :::: (standard input when none is given).
func (b *builder) sources(tail []string) error {
	command, sources, flagOf, err := splitTail(tail, sourceSeps(b.c.String("arg-sep"), b.c.String("arg-file-sep")))
	if err != nil {
		return err
	}
	b.command = command
	for _, f := range b.c.StringSlice("arg-file") {
		b.cfg.Sources = append(b.cfg.Sources, records.File(f))
		b.flagOf = append(b.flagOf, "-a")
	}
	b.cfg.Sources = append(b.cfg.Sources, sources...)
	b.flagOf = append(b.flagOf, flagOf...)
	if len(b.cfg.Sources) == 0 {
		b.cfg.Sources = []records.Source{records.Stdin()}
		b.flagOf = []string{""}
	}
	return nil
}

// splitTail separates the command from the record lists: ::: values, ::::
// files, and :::+ and ::::+, whose sources are linked to the one before.
// sepOf gives the separator a word is, as one of those four, or "".
func splitTail(tail []string, sepOf func(string) string) (command []string, sources []records.Source, flagOf []string, err error) {
	i := 0
	for i < len(tail) && sepOf(tail[i]) == "" {
		i++
	}
	command = tail[:i]
	for i < len(tail) {
		sep := sepOf(tail[i])
		j := i + 1
		for j < len(tail) && sepOf(tail[j]) == "" {
			j++
		}
		group := tail[i+1 : j]
		linked := strings.HasSuffix(sep, "+")
		if sep == ":::" || sep == ":::+" {
			if len(group) == 0 {
				return nil, nil, nil, usagef("%s needs at least one value after it", sep)
			}
			s := records.List(group)
			if linked {
				s = s.Linked()
			}
			sources = append(sources, s)
			flagOf = append(flagOf, "")
		} else {
			if len(group) == 0 {
				return nil, nil, nil, usagef("%s needs at least one file after it", sep)
			}
			for _, f := range group {
				s := records.File(f)
				if linked {
					s = s.Linked()
				}
				sources = append(sources, s)
				flagOf = append(flagOf, sep)
			}
		}
		i = j
	}
	return command, sources, flagOf, nil
}

// jobs reads -j; settle adjusts it for Slurm, the hosts and make.
func (b *builder) jobs() error {
	j, set, err := get[jobsSpec](b.c, "jobs")
	if err != nil {
		return err
	}
	b.cfg.Jobs, b.jobsSet = j.of(b.env.cpus), set
	if b.env.maxJobs == nil {
		return nil
	}
	if most, from := b.env.maxJobs(); b.cfg.Jobs > most {
		b.warn = append(b.warn, fmt.Sprintf("warning: -j %s is more jobs than this system can run at once; running at most %d (%s)", j.text, most, from))
		b.cfg.Jobs = most
	}
	return nil
}

// records reads how records are read.
func (b *builder) records() error {
	c := b.c
	o := records.Options{Delim: '\n', StripCR: c.Bool("strip-cr"), Link: c.Bool("link")}
	if c.Bool("null") {
		o.Delim = 0
	}
	if c.IsSet("delimiter") {
		if c.Bool("null") {
			return usagef("-0 and -d exclude each other; pick one")
		}
		d, _, err := get[byte](c, "delimiter")
		if err != nil {
			return err
		}
		o.Delim = d
	}
	var err error
	if o.ColSep, _, err = get[*regexp.Regexp](c, "colsep"); err != nil {
		return err
	}
	if b.maxChars, _, err = get[int](c, "max-chars"); err != nil {
		return err
	}
	n, nSet, err := get[int](c, "max-args")
	if err != nil {
		return err
	}
	o.MaxArgs = n
	if nSet && n == 0 {
		o.MaxArgs, o.NoArgs = 1, true // GNU parallel: -n0 is -N0
	}
	if c.Bool("xargs") {
		o.XArgs = xargsBudget // Slots: settle
	}
	if err := b.compatRecords(&o); err != nil {
		return err
	}
	h, set, _ := get[header](c, "header")
	switch {
	case !set:
	case h.names:
		o.Header = true
		if o.ColSep == nil {
			// GNU parallel: --header without --colsep splits on tabs.
			o.ColSep = tabSep
		}
	case b.cfg.Pipe != nil: // --header N, read by pipe
	default:
		return usagef("--header %q: give --header : (the first record names the fields), or a number of lines with --pipe or --pipepart", h.text)
	}
	b.cfg.Records = o
	return nil
}

// template parses the command and --tagstring.
func (b *builder) template() error {
	c := b.c
	topt := template.Options{Replace: c.String("replace"), Shell: c.String("shell")}
	topt.Context = contextReplace(b) // GNU's context replace
	topt.Devices = b.cfg.Devices     // {gpu}
	b.compatTemplate(&topt)
	if c.IsSet("replace") {
		if err := template.CheckReplace(topt.Replace); err != nil {
			return usagef("%s", wordError(err))
		}
	}
	command := b.command
	if c.App.Name == parallelName && !topt.Literal {
		// GNU parallel: one shell line, always run by the shell (-X
		// repeats the words around {} there too); with -q the words are
		// taken literally, which parmap does without a shell.
		command = shellCommand(command)
		topt.ForceShell = true
		if !c.IsSet("shell") {
			topt.Shell = parallelShell(b.env.getenv)
		}
	}
	b.topt = topt
	var err error
	if b.cfg.Template, err = template.Parse(command, topt); err != nil {
		return usagef("%s", wordError(err))
	}
	if c.IsSet("tagstring") {
		if b.cfg.TagText, err = template.ParseText(c.String("tagstring"), topt); err != nil {
			return usagef("--tagstring: %s", wordError(err))
		}
	}
	b.cfg.Tag = c.Bool("tag") || b.cfg.TagText != nil
	if err := b.needsTotal(); err != nil {
		return err
	}
	if b.cfg.Records.Header {
		// With --header :, a {name} that names no column is an error.
		tmpl, tag := b.cfg.Template, b.cfg.TagText
		b.cfg.Records.CheckNames = func(names []string) error {
			if err := tmpl.CheckNames(names); err != nil || tag == nil {
				return err
			}
			return tag.CheckNames(names)
		}
	}
	return nil
}

// output reads the output mode and order.
func (b *builder) output() error {
	c, cfg := b.c, b.cfg
	cfg.KeepOrder = c.Bool("keep-order")
	cfg.DryRun = c.Bool("dry-run")
	cfg.Verbose, cfg.Trace = c.Bool("v"), c.Bool("verbose")
	switch {
	case c.Bool("ungroup") && c.Bool("line-buffer"):
		return usagef("-u and --line-buffer exclude each other; pick one")
	case c.Bool("ungroup") && cfg.Tag:
		// Tags need whole lines; ungrouped output has none.
		cfg.Mode = pmap.LineBuffer
	case c.Bool("ungroup"):
		cfg.Mode = pmap.Ungroup
	case c.Bool("line-buffer"):
		cfg.Mode = pmap.LineBuffer
	}
	if cfg.KeepOrder && cfg.Mode == pmap.LineBuffer {
		// Lines of later jobs cannot be passed on before earlier jobs end;
		// in input order, every job's output is written whole.
		cfg.Mode = pmap.Group
	}
	return nil
}

// control reads what bounds and repeats jobs.
func (b *builder) control() error {
	c, cfg := b.c, b.cfg
	var err error
	if cfg.Success, _, err = get[map[int]bool](c, "success-codes"); err != nil {
		return err
	}
	for _, d := range []struct {
		flag string
		dst  *time.Duration
	}{{"kill-after", &cfg.KillAfter}, {"timeout", &cfg.Timeout}, {"retry-delay", &cfg.RetryDelay}, {"delay", &cfg.Delay}} {
		if *d.dst, _, err = get[time.Duration](c, d.flag); err != nil {
			return err
		}
	}
	if cfg.Retries, _, err = get[int](c, "retries"); err != nil {
		return err
	}
	cfg.Halt, _, err = get[exchange.Halt](c, "halt")
	return err
}

// structured reads --results and --json.
func (b *builder) structured() error {
	cfg := b.cfg
	cfg.Results, cfg.JSON = b.c.String("results"), b.c.Bool("json")
	if (cfg.Results != "" || cfg.JSON) && cfg.Mode != pmap.Group {
		return usagef("--results and --json need each job's whole output; drop -u and --line-buffer")
	}
	return nil
}

// joblog reads --joblog and --resume.
func (b *builder) joblog() error {
	cfg := b.cfg
	cfg.Joblog, cfg.ResumeFailed = b.c.String("joblog"), b.c.Bool("resume-failed")
	cfg.Resume = b.c.Bool("resume") || cfg.ResumeFailed
	opt := "--resume"
	if cfg.ResumeFailed {
		opt = "--resume-failed"
	}
	switch {
	case cfg.Resume && cfg.Joblog == "":
		return usagef("%s needs --joblog FILE: the log says which jobs already ran", opt)
	case cfg.Resume && cfg.Joblog == joblog.Stdout:
		return usagef("%s cannot read --joblog -: a log written to standard output cannot be resumed from; give a file", opt)
	}
	return nil
}

// tmpdir reads --tmpdir.
func (b *builder) tmpdir() error {
	b.cfg.TmpDir = b.c.String("tmpdir")
	if d := b.cfg.TmpDir; d != "" {
		if st, err := os.Stat(d); err != nil || !st.IsDir() {
			return usagef("--tmpdir %s: not a directory; give an existing directory", d)
		}
	}
	return nil
}

// progress decides how progress is shown: --eta and --progress as GNU
// parallel; --bar forces the bar (redrawn on a terminal, plain lines
// elsewhere); without it the bar appears by itself when stderr is a
// terminal and stdout is not.
func (b *builder) progress() {
	c := b.c
	opt := progress.Options{}
	errTTY := isTerminal(b.env.stderr)
	switch {
	case c.Bool("eta"), c.Bool("progress"):
		opt = progress.Options{Mode: progress.GNU, Jobs: b.cfg.Jobs, CPUs: b.env.cpus, ETA: c.Bool("eta")}
	case c.Bool("no-bar"):
	case c.Bool("bar") && errTTY, errTTY && !isTerminal(b.env.stdout):
		opt.Mode = progress.Terminal
	case c.Bool("bar"):
		opt.Mode = progress.Lines
		if s := b.env.getenv(barIntervalEnv); s != "" {
			if d, err := parseDuration(barIntervalEnv, s); err == nil && d > 0 {
				opt.Interval = d
			}
		}
	}
	b.cfg.Progress = opt
	// What the jobs used, in a last line: under --bar and --eta, asked
	// for (not the bar that shows by itself, nor --progress, whose
	// display GNU parallel ends with).
	b.cfg.Totals = c.Bool("eta") || c.Bool("bar") && !c.Bool("no-bar")
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}
