package cmd

import (
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"regexp/syntax"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/urfave/cli/v2"
	"golang.org/x/term"

	"github.com/parmap/parmap/exchange"
	"github.com/parmap/parmap/internal/records"
	"github.com/parmap/parmap/internal/template"
	"github.com/parmap/parmap/pmap"
)

// plan is everything the command line asked for, checked and parsed.
type plan struct {
	command   []string
	sources   []records.Source
	recordOpt records.Options
	tmpl      *template.Template
	tagText   *template.Text // --tagstring
	tag       bool           // --tag
	jobs      int
	keepOrder bool
	mode      pmap.Mode
	dryRun    bool
	success   map[int]bool
	killAfter time.Duration
	control   exchange.Options // --timeout, --retries, --retry-delay, --delay, --halt
	tmpdir    string
	bar       barMode
	joblog    string // --joblog FILE, "" for none
	resume    bool
	results   string // --results DIR, "" for none
	json      bool   // --json
	reuse     reuseOptions
	pipe      pipeOptions
	remote    remoteOptions
	cluster   clusterOptions
	jobsSet   bool // -j was given
	serveJobs bool // --jobserver

	// sourceFlags is the option that gave each of sources, for wordError:
	// "-a", "::::", or "" (standard input, a ::: list).
	sourceFlags []string
}

// barMode says whether and how progress is shown.
type barMode int

const (
	barOff      barMode = iota
	barTerminal         // redrawn on a terminal
	barLines            // a plain status line every few seconds
	barGNU              // GNU parallel's --progress display
	barGNUETA           // the same with --eta
)

// xargsBudget is the bytes of records one -X job may carry: GNU xargs's
// default command-line size, less room for the template and environment.
const xargsBudget = 128*1024 - 4096

// newPlan checks the options and the command line after them.
func newPlan(c *cli.Context, tail []string) (*plan, error) {
	p := &plan{killAfter: 2 * time.Second}
	command, sources, flags, err := splitTail(tail)
	if err != nil {
		return nil, err
	}
	p.command = command
	for _, f := range c.StringSlice("arg-file") {
		p.sources = append(p.sources, records.File(f))
		p.sourceFlags = append(p.sourceFlags, "-a")
	}
	p.sources = append(p.sources, sources...)
	p.sourceFlags = append(p.sourceFlags, flags...)
	if len(p.sources) == 0 {
		p.sources = []records.Source{records.Stdin()}
	}

	if p.jobs, err = parseJobs(c.String("jobs"), c.IsSet("jobs")); err != nil {
		return nil, err
	}
	p.jobsSet, p.serveJobs = c.IsSet("jobs"), c.Bool("jobserver")
	if err := p.parsePipe(c, tail); err != nil {
		return nil, err
	}
	if err := p.parseRecordOptions(c); err != nil {
		return nil, err
	}
	topt := template.Options{Replace: c.String("replace"), Shell: c.String("shell")}
	if c.IsSet("replace") {
		if err := template.CheckReplace(topt.Replace); err != nil {
			return nil, usagef("%s", wordError(err))
		}
	}
	if p.tmpl, err = template.Parse(p.command, topt); err != nil {
		return nil, usagef("%v", err)
	}
	if c.IsSet("tagstring") {
		if p.tagText, err = template.ParseText(c.String("tagstring"), topt); err != nil {
			return nil, usagef("--tagstring: %v", err)
		}
	}
	p.tag = c.Bool("tag")

	p.keepOrder = c.Bool("keep-order")
	p.dryRun = c.Bool("dry-run")
	switch {
	case c.Bool("ungroup") && c.Bool("line-buffer"):
		return nil, usagef("-u and --line-buffer exclude each other; pick one")
	case c.Bool("ungroup") && (p.tag || p.tagText != nil):
		// Tags need whole lines; ungrouped output has none.
		p.mode = pmap.LineBuffer
	case c.Bool("ungroup"):
		p.mode = pmap.Ungroup
	case c.Bool("line-buffer"):
		p.mode = pmap.LineBuffer
	}
	if p.keepOrder && p.mode == pmap.LineBuffer {
		// Lines of later jobs cannot be passed on before earlier jobs end;
		// in input order, every job's output is written whole.
		p.mode = pmap.Group
	}
	if p.success, err = parseSuccessCodes(c.String("success-codes")); err != nil {
		return nil, err
	}
	if p.killAfter, err = parseDuration("--kill-after", c.String("kill-after")); err != nil {
		return nil, err
	}
	if err := p.parseControl(c); err != nil {
		return nil, err
	}
	p.results, p.json = c.String("results"), c.Bool("json")
	if (p.results != "" || p.json) && p.mode != pmap.Group {
		return nil, usagef("--results and --json need each job's whole output; drop -u and --line-buffer")
	}
	p.joblog, p.resume = c.String("joblog"), c.Bool("resume")
	if p.resume && p.joblog == "" {
		return nil, usagef("--resume needs --joblog FILE: the log says which jobs already succeeded")
	}
	if err := p.parseReuse(c); err != nil {
		return nil, err
	}
	if err := p.parseRemote(c); err != nil {
		return nil, err
	}
	if err := p.parseCluster(c); err != nil {
		return nil, err
	}
	p.tmpdir = c.String("tmpdir")
	if p.tmpdir != "" {
		if st, err := os.Stat(p.tmpdir); err != nil || !st.IsDir() {
			return nil, usagef("--tmpdir %s: not a directory; give an existing directory", p.tmpdir)
		}
	}
	p.bar = chooseBar(c.Bool("bar"), c.Bool("no-bar"), c.App.Writer, c.App.ErrWriter)
	switch {
	case c.Bool("eta"):
		p.bar = barGNUETA
	case c.Bool("progress"):
		p.bar = barGNU
	}
	return p, nil
}

// splitTail separates the command from the ::: and :::: record lists; flags
// says which of ::: and :::: gave each source ("" and "::::").
func splitTail(tail []string) (command []string, sources []records.Source, flags []string, err error) {
	i := 0
	for i < len(tail) && tail[i] != ":::" && tail[i] != "::::" {
		i++
	}
	command = tail[:i]
	for i < len(tail) {
		sep := tail[i]
		j := i + 1
		for j < len(tail) && tail[j] != ":::" && tail[j] != "::::" {
			j++
		}
		group := tail[i+1 : j]
		if sep == ":::" {
			if len(group) == 0 {
				return nil, nil, nil, usagef("::: needs at least one value after it")
			}
			sources = append(sources, records.List(group))
			flags = append(flags, "")
		} else {
			if len(group) == 0 {
				return nil, nil, nil, usagef(":::: needs at least one file after it")
			}
			for _, f := range group {
				sources = append(sources, records.File(f))
				flags = append(flags, "::::")
			}
		}
		i = j
	}
	return command, sources, flags, nil
}

func (p *plan) parseRecordOptions(c *cli.Context) error {
	o := records.Options{Delim: '\n', StripCR: c.Bool("strip-cr"), Link: c.Bool("link")}
	if c.Bool("null") {
		o.Delim = 0
	}
	if c.IsSet("delimiter") {
		if c.Bool("null") {
			return usagef("-0 and -d exclude each other; pick one")
		}
		d, err := records.ParseDelim(c.String("delimiter"))
		if err != nil {
			return usagef("%s", wordError(err))
		}
		o.Delim = d
	}
	if c.IsSet("colsep") {
		re, err := regexp.Compile(c.String("colsep"))
		if err != nil {
			return usagef("--colsep %q is not a valid regular expression: %v", c.String("colsep"), unwrapRegexp(err))
		}
		if re.MatchString("") {
			return usagef("--colsep %q matches the empty string; give a separator that matches at least one character", c.String("colsep"))
		}
		o.ColSep = re
	}
	if c.IsSet("max-args") {
		n, err := strconv.Atoi(c.String("max-args"))
		if err != nil || n < 1 {
			return usagef("-n %q: give a whole number of records per job, 1 or more", c.String("max-args"))
		}
		o.MaxArgs = n
	}
	if c.Bool("xargs") {
		o.XArgs = xargsBudget
		o.Slots = p.jobs
		if o.Slots == 0 {
			o.Slots = 1
		}
	}
	switch h := c.String("header"); {
	case !c.IsSet("header"):
	case h == ":":
		o.Header = true
	case p.pipe.on: // --header N, read by parsePipe
	default:
		return usagef("--header %q: give --header : (the first record names the fields), or a number of lines with --pipe or --pipepart", h)
	}
	p.recordOpt = o
	return nil
}

// unwrapRegexp says what is wrong with a regular expression without the
// package's "error parsing regexp" preamble.
func unwrapRegexp(err error) string {
	var se *syntax.Error
	if errors.As(err, &se) {
		return fmt.Sprintf("%s: `%s`", se.Code, se.Expr)
	}
	return err.Error()
}

// parseJobs reads -j: N, N% of the usable CPUs, or 0 for no limit.
func parseJobs(s string, set bool) (int, error) {
	cpus := runtime.GOMAXPROCS(0)
	if !set {
		return cpus, nil
	}
	bad := usagef("-j %q: give a number of jobs (4), a share of the CPUs (50%%), or 0 for no limit", s)
	if pct, ok := strings.CutSuffix(s, "%"); ok {
		n, err := strconv.ParseFloat(pct, 64)
		if err != nil || n <= 0 {
			return 0, bad
		}
		return max(1, int(float64(cpus)*n/100)), nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 {
		return 0, bad
	}
	return n, nil
}

// parseSuccessCodes reads --success-codes: exit values separated by commas.
func parseSuccessCodes(s string) (map[int]bool, error) {
	if s == "" {
		return nil, nil
	}
	codes := map[int]bool{}
	for _, f := range strings.Split(s, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n < 0 || n > 255 {
			return nil, usagef("--success-codes %q: give exit values from 0 to 255 separated by commas, e.g. 0,1", s)
		}
		codes[n] = true
	}
	return codes, nil
}

// parseDuration reads a Go duration (1.5s, 300ms, 2m) or a plain number of
// seconds.
func parseDuration(flag, s string) (time.Duration, error) {
	if f, err := strconv.ParseFloat(s, 64); err == nil && f >= 0 {
		return time.Duration(f * float64(time.Second)), nil
	}
	d, err := time.ParseDuration(s)
	if err != nil || d < 0 {
		return 0, usagef("%s %q: give a duration like 30s, 1.5m or 500ms, or a number of seconds", flag, s)
	}
	return d, nil
}

// chooseBar decides how progress is shown: --bar forces it (redrawn on a
// terminal, plain lines elsewhere); without it the bar appears by itself when
// stderr is a terminal and stdout is not.
func chooseBar(bar, noBar bool, stdout, stderr io.Writer) barMode {
	if noBar {
		return barOff
	}
	errTTY := isTerminal(stderr)
	switch {
	case bar && errTTY:
		return barTerminal
	case bar:
		return barLines
	case errTTY && !isTerminal(stdout):
		return barTerminal
	}
	return barOff
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// parseControl reads the options that bound and repeat jobs.
func (p *plan) parseControl(c *cli.Context) error {
	var err error
	for _, d := range []struct {
		flag string
		dst  *time.Duration
	}{{"timeout", &p.control.Timeout}, {"retry-delay", &p.control.RetryDelay}, {"delay", &p.control.Delay}} {
		if c.IsSet(d.flag) {
			if *d.dst, err = parseDuration("--"+d.flag, c.String(d.flag)); err != nil {
				return err
			}
		}
	}
	if c.IsSet("retries") {
		n, err := strconv.Atoi(c.String("retries"))
		if err != nil || n < 0 {
			return usagef("--retries %q: give a number of reruns, 0 or more", c.String("retries"))
		}
		p.control.Retries = n
	}
	if c.IsSet("halt") {
		if p.control.Halt, err = exchange.ParseHalt(c.String("halt")); err != nil {
			return usagef("%v", err)
		}
	}
	return nil
}
