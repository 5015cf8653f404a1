package cmd

import (
	"errors"
	"os"
	"syscall"

	"github.com/mattn/go-shellwords"

	"github.com/parmap/parmap/internal/engine"
	"github.com/parmap/parmap/internal/hosts"
	"github.com/parmap/parmap/internal/jobserver"
	"github.com/parmap/parmap/internal/records"
	"github.com/parmap/parmap/internal/slurm"
	"github.com/parmap/parmap/reuse"
)

// pipe reads --pipe, --pipepart, --block and a numeric --header.
func (b *builder) pipe(tail []string) error {
	c := b.c
	if !c.Bool("pipe") && !c.Bool("pipepart") {
		if c.IsSet("block") {
			return usagef("--block sets the block size of --pipe and --pipepart; add one of them")
		}
		return nil
	}
	o := &engine.Pipe{Ranges: c.Bool("pipepart")}
	mode := "--pipe"
	if o.Ranges {
		mode = "--pipepart"
	}
	var err error
	if o.Block, _, err = get[int64](c, "block"); err != nil {
		return err
	}
	h, set, _ := get[header](c, "header")
	if set && !h.names {
		if h.lines < 0 {
			return usagef("--header %q: give the number of header lines to repeat at the head of every block, e.g. --header 1", h.text)
		}
		o.Header = h.lines
	}
	for _, a := range tail {
		if isSourceSep(a) {
			return usagef("%s reads standard input or one -a FILE; %s does not apply", mode, a)
		}
	}
	files := c.StringSlice("arg-file")
	switch {
	case len(files) > 1:
		return usagef("%s reads one input; give a single -a FILE", mode)
	case len(files) == 1 && files[0] != "-":
		o.File = files[0]
	}
	switch {
	case c.Bool("reuse"):
		return usagef("%s and --reuse exclude each other: blocks go to a new job each", mode)
	case c.IsSet("max-args") || c.Bool("xargs") || c.Bool("m") || c.IsSet("colsep") || c.Bool("link") || h.names:
		return usagef("%s feeds blocks of records to each job's stdin; -n, -X, -m, --colsep, --link and --header : do not apply", mode)
	case c.Bool("resume") || c.Bool("resume-failed"):
		return usagef("%s cannot be used with --resume: blocks are not matched across runs", mode)
	}
	b.cfg.Pipe = o
	if !o.Ranges {
		return nil
	}
	if o.File == "" {
		return usagef("--pipepart needs -a FILE, a regular file: each job reads its own byte range, which standard input cannot give")
	}
	st, err := os.Stat(o.File)
	switch {
	case err != nil:
		return usagef("-a %s: %v", o.File, describeFileErr(err))
	case !st.Mode().IsRegular():
		return usagef("--pipepart -a %s: not a regular file; use --pipe for pipes and devices", o.File)
	}
	return nil
}

// describeFileErr words an error opening a file without Go's op and path.
func describeFileErr(err error) string {
	var pe *os.PathError
	if errors.As(err, &pe) {
		err = pe.Err
	}
	return err.Error()
}

// reuse reads --reuse, --reuse-protocol, --window and --max-records and
// checks that the rest of the configuration suits workers.
func (b *builder) reuse() error {
	c, cfg := b.c, b.cfg
	if !c.Bool("reuse") {
		for _, f := range []string{"reuse-protocol", "window", "max-records"} {
			if c.IsSet(f) {
				return usagef("--%s only applies to --reuse workers; add --reuse", f)
			}
		}
		return nil
	}
	o := &engine.Reuse{}
	var err error
	if o.Protocol, _, err = get[reuse.Protocol](c, "reuse-protocol"); err != nil {
		return err
	}
	if o.Window, _, err = get[int](c, "window"); err != nil {
		return err
	}
	if o.MaxRecords, _, err = get[int](c, "max-records"); err != nil {
		return err
	}
	switch {
	case len(b.command) == 0:
		return usagef("--reuse needs a worker command that reads records on stdin and answers each, e.g. parmap --reuse python3 -u worker.py")
	case cfg.Jobs == 0:
		return usagef("--reuse needs a number of workers; give -j N (1 or more), not -j 0")
	case cfg.Records.MaxArgs > 1 || cfg.Records.XArgs > 0:
		return usagef("--reuse sends one record at a time; drop -n and -X")
	case cfg.DryRun || cfg.Results != "" || cfg.JSON || cfg.Verbose || cfg.Trace:
		return usagef("--reuse cannot be used with --dry-run, --results, --json, -v or -t")
	case perRecordCommand(cfg):
		return usagef("--reuse starts the command once per worker, so only {%%} can be replaced in it; the records come on the worker's stdin")
	}
	cmd, err := cfg.Template.Expand(&records.Record{}, 1)
	if err != nil {
		return usagef("%s", wordError(err))
	}
	o.Line = cmd.Line
	cfg.Reuse = o
	return nil
}

// perRecordCommand reports whether the command template changes from record
// to record (it uses {}, {#}, {1}, …).
func perRecordCommand(cfg *engine.Config) bool {
	if !cfg.Template.HasReplacement() {
		return false // the records would only be appended, which --reuse does not do
	}
	a := records.Record{Seq: 1, Values: []string{"a", "a"}, Args: []string{"a"}}
	b := records.Record{Seq: 2, Values: []string{"b", "b"}, Args: []string{"b"}}
	ca, errA := cfg.Template.Expand(&a, 1)
	cb, errB := cfg.Template.Expand(&b, 1)
	return errA != nil || errB != nil || ca.Line != cb.Line
}

// hosts reads -S, --sshloginfile and --ssh; settle gives each host its
// slots.
func (b *builder) hosts() error {
	c := b.c
	var all []hosts.Host
	for _, spec := range c.StringSlice("sshlogin") {
		hs, err := hosts.Parse(spec)
		if err != nil {
			return usagef("%s", wordError(err))
		}
		all = append(all, hs...)
	}
	for _, f := range c.StringSlice("sshloginfile") {
		hs, err := hosts.ParseFile(f)
		if err != nil {
			return usagef("%s", wordError(err))
		}
		all = append(all, hs...)
	}
	var ssh []string
	if c.IsSet("ssh") {
		words, err := shellwords.Parse(c.String("ssh"))
		if err != nil || len(words) == 0 {
			return usagef("--ssh %q: give the ssh command to run, e.g. --ssh 'ssh -F ~/.ssh/cluster.conf'", c.String("ssh"))
		}
		if len(all) == 0 {
			return usagef("--ssh applies to jobs run on -S hosts; add -S or --sshloginfile")
		}
		ssh = words
	}
	if len(all) == 0 {
		return nil
	}
	switch {
	case b.cfg.Reuse != nil:
		return usagef("--reuse runs its workers on this machine; drop -S or --sshloginfile")
	case b.cfg.Jobs == 0:
		return usagef("-S needs a number of jobs per host: give N/host, or -j N (not -j 0)")
	}
	b.cfg.Hosts = &engine.Hosts{List: hosts.Merge(all), SSH: ssh}
	return nil
}

// cluster reads --slurm, --slurm-steps and --shard. Under --slurm, the
// jobs run through one agent per node of the allocation, each running its
// node's share at once; under --slurm-steps, each job is a job step and -j
// defaults to the allocation's tasks. In a job array --shard defaults to
// the array task's share.
func (b *builder) cluster() error {
	c, cfg := b.c, b.cfg
	s, shardSet, err := get[shard](c, "shard")
	if err != nil {
		return err
	}
	cfg.Shard = engine.Shard{K: s.k, N: s.n}
	steps := c.Bool("slurm-steps")
	if !c.Bool("slurm") && !steps {
		return nil
	}
	flag := "--slurm"
	if steps {
		flag = "--slurm-steps"
	}
	switch {
	case cfg.Hosts != nil:
		return usagef("%s runs jobs as Slurm job steps; drop -S or --sshloginfile", flag)
	case cfg.Reuse != nil:
		return usagef("--reuse runs its workers on this machine; drop %s", flag)
	case !steps && cfg.Pipe != nil:
		return usagef("--slurm's agents do not feed --pipe blocks to jobs yet; use --slurm-steps")
	case !steps && cfg.Template.UsesHost():
		return usagef("{host} and {sshlogin} are known only for jobs run here (:), not on --slurm's nodes; use $(hostname) in a shell command line")
	}
	alloc, err := slurm.FromEnv(b.env.getenv)
	if err != nil {
		return usagef("%s", wordSlurmError(err, flag))
	}
	if !shardSet {
		k, n, err := alloc.ArrayShard()
		if err != nil {
			return usagef("%s", wordSlurmError(err, flag))
		}
		cfg.Shard = engine.Shard{K: k, N: n}
	}
	if steps {
		cfg.Slurm = alloc
		if !b.jobsSet {
			cfg.Jobs = alloc.Tasks
		}
		return nil
	}
	nodes, err := slurm.NodesFromEnv(b.env.getenv)
	if err != nil {
		return usagef("--slurm: %v", err)
	}
	cfg.Agents, err = slurmAgents(nodes, b.jobsSet, cfg.Jobs)
	if err != nil {
		return err
	}
	cfg.Jobs = 0
	for _, n := range cfg.Agents.Nodes {
		cfg.Jobs += n.Slots
	}
	return nil
}

// makeJobs settles parmap's part in GNU make's jobserver: under make -jN
// the jobs take their slots from make, whose N caps -j; a jobserver make
// announced but did not pass leaves one slot, with a warning, as make does;
// --jobserver serves one of -j slots.
func (b *builder) makeJobs() error {
	cfg := b.cfg
	flags := b.env.getenv("MAKEFLAGS")
	auth, err := jobserver.Parse(flags)
	if err != nil {
		return usagef("MAKEFLAGS: %v", err)
	}
	if auth.Style != jobserver.StyleNone {
		err := jobserver.Check(auth)
		switch {
		case errors.Is(err, jobserver.ErrUnavailable):
			b.warn = append(b.warn, "make's jobserver is not open to parmap (mark the recipe's line with + to pass it); running one job at a time")
			cfg.Jobs = 1
			return nil
		case err != nil:
			return usagef("MAKEFLAGS: %v", err)
		}
		cfg.Make.Join = auth
		if n := jobserver.Jobs(flags); n > 0 && (!b.jobsSet || cfg.Jobs == 0 || cfg.Jobs > n) {
			cfg.Jobs = n
		} else if !b.jobsSet || cfg.Jobs == 0 {
			cfg.Jobs = 64
		}
		return nil
	}
	if !b.c.Bool("jobserver") {
		return nil
	}
	if cfg.Jobs == 0 {
		return usagef("--jobserver needs a number of slots to serve; give -j N, not -j 0")
	}
	cfg.Make = engine.Make{Serve: true, Makeflags: flags}
	return nil
}

// settle computes what follows from the job count once Slurm and make have
// set it: each host's slots (its N/, else -j) and their sum, and the slots
// -X spreads its last records over.
func (b *builder) settle() error {
	cfg := b.cfg
	if cfg.Hosts != nil {
		list := make([]hosts.Host, len(cfg.Hosts.List))
		total := 0
		for i, h := range cfg.Hosts.List {
			if h.Slots == 0 {
				h.Slots = cfg.Jobs
			}
			list[i] = h
			total += h.Slots
		}
		cfg.Hosts.List, cfg.Jobs = list, total
	}
	if cfg.Records.XArgs > 0 {
		cfg.Records.Slots = cfg.Jobs
		if cfg.Jobs == 0 {
			cfg.Records.Slots = 1
		}
		if t := cfg.Template; t != nil {
			line := false // the command goes to a remote shell as one line
			if cfg.Hosts != nil {
				for _, h := range cfg.Hosts.List {
					line = line || !h.Local
				}
			}
			room := t.ArgRoom(argLimit(), envSize(cfg.Env), line)
			cfg.Records.XArgs = min(cfg.Records.XArgs, room)
			cfg.Records.XArgsCost = func(a string) int { return t.ArgCost(a, line) }
			if b.maxChars > 0 {
				// -s: the command line as one line of text, records quoted.
				cfg.Records.XArgs = min(cfg.Records.XArgs, max(b.maxChars-t.LineLen(), 1))
				cfg.Records.XArgsCost = func(a string) int { return t.ArgCost(a, true) }
			}
		}
	}
	return nil
}

// argLimit returns what Linux passes to a new program in its arguments and
// environment together (each string with its NUL and its pointer): a
// quarter of the stack's soft limit, at most 6 MiB (¾ of _STK_LIM) and at
// least 128 KiB (ARG_MAX); GNU xargs --show-limits gives the same figure
// less 2048. The jobs inherit parmap's stack limit.
func argLimit() int {
	const most, least = 6 << 20, 128 << 10
	var rl syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_STACK, &rl); err != nil {
		return least
	}
	if rl.Cur == ^uint64(0) { // RLIM_INFINITY
		return most
	}
	return int(max(min(rl.Cur/4, most), least))
}

// envSize returns what env takes of argLimit: each string, its NUL and its
// pointer.
func envSize(env []string) int {
	n := 0
	for _, kv := range env {
		n += len(kv) + 1 + 8
	}
	return n
}
