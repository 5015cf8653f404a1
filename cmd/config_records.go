package cmd

import (
	"regexp"
	"strings"

	"github.com/parmap/parmap/internal/blocks"
	"github.com/parmap/parmap/internal/jobserver"
)

// recordCounts reads GNU parallel's -N and -L (and --recend, --recstart,
// --round-robin) after records: without --pipe, records per job; with it,
// what a block's records are.
func (b *builder) recordCounts() error {
	c := b.c
	n, nSet, err := get[int](c, "max-replace-args")
	if err != nil {
		return err
	}
	l, lSet, err := get[int](c, "max-lines")
	if err != nil {
		return err
	}
	if lSet {
		l = max(l, 1) // GNU: -l 0 is -l 1
	}
	if nSet && c.IsSet("max-args") {
		return usagef("-n and -N both set the records per job; pick one")
	}
	if b.cfg.Pipe != nil {
		return b.pipeBounds(n, nSet, l)
	}
	for _, f := range []string{"recend", "recstart", "regexp", "round-robin"} {
		if c.IsSet(f) {
			return usagef("--%s only applies to --pipe and --pipepart blocks; add --pipe", f)
		}
	}
	o := &b.cfg.Records
	switch {
	case nSet && n == 0:
		o.MaxArgs, o.NoArgs = 1, true
	case nSet:
		o.MaxArgs = n
	case c.IsSet("max-args"):
		// -n counts the records, as -N does; -L's continued lines stay
		// (GNU parallel).
	case lSet:
		o.MaxArgs = l
	}
	o.Continue = lSet
	if (nSet || lSet) && c.Bool("reuse") {
		return usagef("--reuse sends one record at a time; drop -N and -L")
	}
	return nil
}

// contextReplace reports whether a word around {} repeats once per record
// of a job (GNU's context replace): with -X, -N and -L.
func contextReplace(b *builder) bool {
	c := b.c
	return c.Bool("xargs") || b.cfg.Pipe == nil && (c.IsSet("max-replace-args") || c.IsSet("max-lines"))
}

// pipeBounds settles the record boundaries of --pipe and --pipepart:
// --recend (default the record separator), --recstart, -L N (a record is N
// lines) and -N N (N records a block, whatever --block says).
func (b *builder) pipeBounds(n int, nSet bool, l int) error {
	c, p := b.c, b.cfg.Pipe
	end, start := string([]byte{b.cfg.Records.Delim}), c.String("recstart")
	switch {
	case c.IsSet("recend") && (c.IsSet("delimiter") || c.Bool("null")):
		return usagef("--recend and -d/-0 both say where records end; pick one")
	case c.IsSet("recend"):
		end = c.String("recend")
	case c.IsSet("recstart"):
		end = "" // GNU: --recstart alone is a record's start only
	}
	if !c.Bool("regexp") {
		end, start = unescapeRecord(end), unescapeRecord(start)
	}
	if end == "" && start == "" {
		// GNU: no records at all; blocks of exactly --block bytes.
		switch {
		case p.Ranges:
			return usagef("--pipepart cuts its file at record ends; with --recend '' (no records) use --pipe")
		case nSet || l > 0:
			return usagef("with --recend '' there are no records to count; drop -N and -L")
		}
	}
	if c.Bool("round-robin") {
		switch {
		case p.Ranges:
			return usagef("--round-robin deals --pipe blocks to running jobs; use --pipe, not --pipepart")
		case b.cfg.Jobs == 0:
			return usagef("--round-robin needs a number of jobs; give -j N (1 or more), not -j 0")
		case c.IsSet("retries"):
			return usagef("--round-robin and --retries exclude each other: a job's blocks cannot be sent again")
		}
		p.RoundRobin = true
	}
	bounds := blocks.Bounds{End: end, Start: start, Group: l, Regexp: c.Bool("regexp")}
	if bounds.Regexp {
		for _, re := range []struct{ flag, expr string }{{"--recend", end}, {"--recstart", start}} {
			x, err := regexp.Compile(re.expr)
			switch {
			case err != nil:
				return usagef("%s %q is not a valid regular expression: %v", re.flag, re.expr, unwrapRegexp(err))
			case re.expr != "" && x.MatchString(""):
				return usagef("%s %q matches the empty string; give one that matches at least one character", re.flag, re.expr)
			}
		}
	}
	if nSet {
		bounds.Count = n // -N0: by size, as GNU
	}
	if len(end) == 1 && start == "" && bounds.Group <= 1 && bounds.Count == 0 && !bounds.Regexp {
		b.cfg.Records.Delim = end[0] // one byte: the plain, faster cut
		return nil
	}
	if p.Ranges && (bounds.Regexp || bounds.Group > 1 || bounds.Count > 0) {
		return usagef("--pipepart cuts blocks at fixed strings by size; --regexp, -N and -L need --pipe")
	}
	p.Bounds = &bounds
	return nil
}

// roundRobinSlots checks, once the slots are settled, that --round-robin's
// jobs can all run at once: its jobs end only when the input does, so one
// that waits for a slot would wait for ever. Hosts, Slurm and make's
// jobserver may give fewer slots than -j.
func (b *builder) roundRobinSlots() error {
	cfg := b.cfg
	if cfg.Pipe == nil || !cfg.Pipe.RoundRobin {
		return nil
	}
	switch {
	case cfg.Hosts != nil, cfg.Slurm != nil:
		return usagef("--round-robin runs its -j jobs on this machine, all at once; drop -S, --sshloginfile or --slurm")
	case cfg.Make.Join.Style != jobserver.StyleNone:
		return usagef("--round-robin needs its -j jobs running all at once, which make's jobserver does not promise; run it outside make -j, or from a recipe line without +")
	}
	return nil
}

// unescapeRecord reads the printf escapes GNU parallel reads in a fixed
// --recend or --recstart: \0 \r \n \t \' \" and \\; any other
// backslash stays as it is.
func unescapeRecord(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+1 < len(s) {
			if r, ok := map[byte]byte{'0': 0, 'r': '\r', 'n': '\n', 't': '\t', '\'': '\'', '"': '"', '\\': '\\'}[s[i+1]]; ok {
				b.WriteByte(r)
				i++
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}
