package cmd

import (
	"github.com/urfave/cli/v2"

	"github.com/parmap/parmap/internal/joblog"
	"github.com/parmap/parmap/internal/results"
)

// Options that cannot work together are an error, one line naming both,
// never one of them quietly dropped. The checks that belong to one option's
// reading stay with it (-0 and -d in records, --pipe and -n in pipe,
// --reuse and --dry-run in reuse, ...); conflicts holds the pairs that
// no single step owns. The README's "Options that do not go together"
// lists every pair checked, these and the others.

// spelling is how the help spells the options whose short name users type.
var spelling = map[string]string{
	"ungroup": "-u", "keep-order": "-k", "v": "-v", "verbose": "-t", "xargs": "-X", "m": "-m",
	"max-args": "-n", "max-replace-args": "-N", "max-lines": "-L", "eof": "-E",
	"no-run-if-empty": "-r", "max-chars": "-s", "quote": "-q", "jobs": "-j", "sshlogin": "-S",
	"arg-file": "-a", "null": "-0", "delimiter": "-d", "colsep": "-C", "replace": "-I",
}

// optName is the option called name as the help spells it.
func optName(name string) string {
	if s, ok := spelling[name]; ok {
		return s
	}
	return "--" + name
}

// given returns the first of names that is set, as the help spells it, or
// "".
func given(c *cli.Context, names ...string) string {
	for _, n := range names {
		if c.IsSet(n) {
			return optName(n)
		}
	}
	return ""
}

// conflicts checks the pairs of options no other step owns; after every
// other step, so that the configuration is settled.
func (b *builder) conflicts() error {
	for _, check := range []func() error{b.outputConflicts, b.dryRunConflicts, b.pipeConflicts, b.reuseConflicts,
		b.recordConflicts, b.progressConflicts, b.clusterConflicts} {
		if err := check(); err != nil {
			return err
		}
	}
	return nil
}

// outputConflicts: the output modes and what decorates the output.
func (b *builder) outputConflicts() error {
	c, cfg := b.c, b.cfg
	tag := given(c, "tagstring", "tag")
	table := cfg.Results != "" && results.FormatOf(cfg.Results) != results.NoTable
	switch {
	case cfg.JSON && tag != "":
		return usagef("--json prints one JSON object per job, with no output lines to tag (its \"input\" is the record); drop %s", tag)
	case cfg.JSON && cfg.Verbose:
		return usagef("--json prints one JSON object per job, which holds its \"command\" already; drop -v")
	case table && tag != "":
		return usagef("--results %s writes a table in place of the output, with no lines to tag; drop %s", cfg.Results, tag)
	case table && cfg.Verbose:
		return usagef("--results %s writes a table in place of the output, with each job's command in it; drop -v", cfg.Results)
	case cfg.Joblog == joblog.Stdout && cfg.JSON:
		return usagef("--joblog - and --json would mix their lines on standard output; give --joblog FILE")
	case cfg.Joblog == joblog.Stdout && table && results.OnStdout(cfg.Results):
		return usagef("--joblog - and --results %s would mix their lines on standard output; give --joblog FILE", cfg.Results)
	case c.Bool("group") && (c.Bool("ungroup") || c.Bool("line-buffer")):
		return usagef("--group and %s exclude each other; pick one", given(c, "ungroup", "line-buffer"))
	case c.Bool("keep-order") && c.Bool("ungroup"):
		return usagef("-k and -u exclude each other: ungrouped output goes out as the jobs write it; drop one (-k --line-buffer writes each job's output whole, in order)")
	}
	return nil
}

// dryRunConflicts: a dry run prints the commands in place of the output,
// so the options that replace the output with something else cannot go
// with it. What only happens when jobs run (--joblog, --results DIR,
// --timeout, --retries, --halt, limits) is simply not done.
func (b *builder) dryRunConflicts() error {
	cfg := b.cfg
	if !cfg.DryRun {
		return nil
	}
	other := ""
	switch {
	case cfg.JSON:
		other = "--json"
	case cfg.Files:
		other = "--files"
	case cfg.Results != "" && results.FormatOf(cfg.Results) != results.NoTable:
		other = "--results " + cfg.Results
	default:
		return nil
	}
	return usagef("--dry-run prints the commands in place of the output, and %s replaces the output too; pick one", other)
}

// pipeConflicts: --pipe and --pipepart pass blocks through unchanged, so
// what works on records given as arguments does not apply.
func (b *builder) pipeConflicts() error {
	c, cfg := b.c, b.cfg
	if cfg.Pipe == nil {
		return nil
	}
	mode := "--pipe"
	if cfg.Pipe.Ranges {
		mode = "--pipepart"
	}
	if c.Bool("tag") && !c.IsSet("tagstring") {
		return usagef("%s blocks have no record to tag the output with; use --tagstring, e.g. --tagstring 'block {#}'", mode)
	}
	if o := given(c, "eof", "no-run-if-empty", "trim", "strip-cr", "max-chars"); o != "" {
		return usagef("%s works on records given as arguments; %s passes blocks to the jobs unchanged, drop one of them", o, mode)
	}
	if cfg.Pipe.RoundRobin && c.IsSet("shard") {
		return usagef("--shard runs one share of the jobs, but --round-robin's -j jobs share every block between them; drop one of them")
	}
	return nil
}

// reuseConflicts: workers answer each record with one line, and a record
// fails by its answer, not by an exit value.
func (b *builder) reuseConflicts() error {
	c := b.c
	if b.cfg.Reuse == nil {
		return nil
	}
	if o := given(c, "ungroup", "line-buffer"); o != "" {
		return usagef("--reuse writes each answer as one whole line; %s does not apply, drop it", o)
	}
	if c.IsSet("success-codes") {
		return usagef("--reuse workers fail a record by their answer (or by dying), not by an exit value; drop --success-codes")
	}
	return nil
}

// recordConflicts: options that each say how many records a job gets, or
// how the command is run.
func (b *builder) recordConflicts() error {
	c, cfg := b.c, b.cfg
	packs := c.Bool("xargs") || c.Bool("m")
	switch {
	case c.Bool("xargs") && c.Bool("m"):
		return usagef("-X and -m exclude each other (-m joins the records inside a word, -X repeats the word); pick one")
	case packs && cfg.Records.NoArgs:
		return usagef("%s inserts no record in the command, and %s packs as many as fit; drop one of them", given(c, "max-args", "max-replace-args")+"0", given(c, "xargs", "m"))
	case c.IsSet("max-chars") && !packs && cfg.Pipe == nil:
		return usagef("-s bounds the command lines -X and -m make; add one of them (or use -n for a number of records per job)")
	case c.Bool("quote") && c.IsSet("shell"):
		return usagef("-q runs the command without a shell, so --shell does not apply; drop one of them")
	case argSep(c, "arg-sep", ":::") == argSep(c, "arg-file-sep", "::::"):
		return usagef("--arg-sep and --arg-file-sep are both %q; give two different separators", argSep(c, "arg-sep", ":::"))
	case c.IsSet("retry-delay") && cfg.Retries == 0:
		return usagef("--retry-delay is the wait before a rerun; add --retries N")
	}
	return nil
}

// argSep is the separator option name sets, or def.
func argSep(c *cli.Context, name, def string) string {
	if s := c.String(name); s != "" {
		return s
	}
	return def
}

// progressConflicts: one display of progress at a time. --no-bar wins
// over --bar (an alias's or $PARALLEL's), but not over GNU's displays,
// which show anyway.
func (b *builder) progressConflicts() error {
	c := b.c
	gnu := given(c, "eta", "progress")
	switch {
	case c.Bool("no-bar") && gnu != "":
		return usagef("--no-bar and %s contradict each other (%s shows GNU parallel's progress display); pick one", gnu, gnu)
	case c.Bool("bar") && gnu != "":
		return usagef("--bar and %s are two displays of progress; pick one", gnu)
	}
	return nil
}

// clusterConflicts: what acts on this machine cannot reach jobs run on -S
// hosts or on the nodes of a Slurm allocation (agents or job steps).
func (b *builder) clusterConflicts() error {
	c, cfg := b.c, b.cfg
	where := ""
	switch {
	case cfg.Hosts != nil || cfg.Agents != nil && cfg.Agents.SSH:
		where = "-S hosts"
	case cfg.Slurm != nil || cfg.Agents != nil:
		where = "--slurm jobs (they run on the allocation's nodes)"
	default:
		return nil
	}
	switch {
	case cfg.Nice.Set:
		return usagef("--nice sets the niceness of jobs run on this machine, not of %s; drop it (or run nice -n N in the command)", where)
	case cfg.Make.Serve:
		return usagef("--jobserver hands its slots to jobs run on this machine, not to %s; drop it", where)
	case cfg.Pressure.Any():
		return usagef("%s reads this machine's load and memory, not that of %s; drop it", given(c, "load", "memfree"), where)
	}
	return nil
}

// runCommandOptions checks that the background-run command op (--status,
// --stop, ...) is given only the options it reads: it acts on a run that
// exists, so the options that shape a run do not apply to it.
func runCommandOptions(c *cli.Context, op string) error {
	if c.Bool("semaphore") {
		if op == "wait" {
			return nil // sem --wait: wait for the semaphore's run
		}
		return usagef("--semaphore queues a command; --%s cannot go with it", op)
	}
	allowed := map[string]bool{op: true, "run-dir": true}
	switch op {
	case "status":
		allowed["json"] = true
	case "stop":
		allowed["now"] = true
	}
	for _, f := range c.App.Flags {
		name := f.Names()[0]
		if !allowed[name] && name != "help" && c.IsSet(name) {
			return usagef("--%s acts on background runs, not on a new one; %s does not apply to it", op, optName(name))
		}
	}
	return nil
}
