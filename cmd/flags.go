package cmd

import (
	"github.com/urfave/cli/v2"

	"github.com/parmap/parmap/channel"
	"github.com/parmap/parmap/exchange"
	"github.com/parmap/parmap/internal/pressure"
	"github.com/parmap/parmap/reuse"
)

// Flag categories, as the help and the man page group them. helpGroups
// orders them as the data flows: records in, the command, how the jobs run,
// what they get, their output and what is told about it, and the modes
// and places that change how jobs are run.
const (
	catInput    = "Records"
	catCommand  = "Command"
	catRun      = "Running"
	catRes      = "Resources"
	catOutput   = "Output"
	catProgress = "Progress"
	catJoblog   = "Job log"
	catReuse    = "Reuse"
	catPipe     = "Pipe"
	catCluster  = "Clusters"
	catRuns     = "Background runs"
	catInfo     = "Information"
)

// helpGroups is the order of the categories in --help and the man page.
var helpGroups = []string{catInput, catCommand, catRun, catRes, catOutput, catProgress, catJoblog, catReuse, catPipe, catCluster, catRuns, catInfo}

// The committed man page, man/parmap.1, is rendered from the command line's
// definition (the options in helpGroups' order, the texts of help_text.go)
// as plain roff; TestManPage fails when it is out of date. The rendering
// lives in a test file (manpage_test.go): the binary does not carry it.
//go:generate go test -run TestManPage . -args -update-man

// flags is the whole command line, in the order --help shows it. Every
// call makes new values, so each run parses into its own.
func flags() []cli.Flag {
	return []cli.Flag{
		&cli.StringSliceFlag{Name: "arg-file", Aliases: []string{"a"}, Category: catInput, Usage: "read records from `FILE` (- is standard input); repeat for more sources"},
		&cli.BoolFlag{Name: "null", Aliases: []string{"0"}, Category: catInput, Usage: "records end with NUL, not newline (find -print0)"},
		typed(cli.GenericFlag{Name: "delimiter", Aliases: []string{"d"}, Category: catInput, Usage: "records end with the byte `C` (escapes \\t \\n \\0 \\\\ \\xHH accepted)"}, parseDelim, '\n', ""),
		typed(cli.GenericFlag{Name: "colsep", Aliases: []string{"C"}, Category: catInput, Usage: "split each record into fields {1} {2} … at matches of `REGEX`"}, parseColsep, nil, ""),
		typed(cli.GenericFlag{Name: "max-args", Aliases: []string{"n"}, Category: catInput, Usage: "put `N` records in each job; {} expands to all of them (-n0 is -N0, as in GNU parallel)"}, count("-n", 0, "a whole number of records per job, 1 or more (0: one, inserted nowhere)"), 0, ""),
		typed(cli.GenericFlag{Name: "max-chars", Aliases: []string{"s"}, Category: catInput, Usage: "with -X or -m: command lines of at most `N` characters, the command and each record quoted as a shell would (GNU parallel's -s)"}, count("-s", 1, "a number of characters, 1 or more"), 0, ""),
		&cli.BoolFlag{Name: "xargs", Aliases: []string{"X"}, Category: catInput, Usage: "put as many records in each job as fit on a command line (-n caps it)"},
		typed(cli.GenericFlag{Name: "header", Category: catInput, Usage: "with `:`, the first record names the fields: {name}; with --pipe or --pipepart, a number N: the first N lines head every block"}, parseHeader, header{}, ""),
		&cli.BoolFlag{Name: "strip-cr", Category: catInput, Usage: "drop a trailing carriage return from each record"},
		&cli.BoolFlag{Name: "pipe", Category: catPipe, Usage: "cut standard input (or -a FILE) into blocks of whole records and feed each block to one job's stdin; {#} numbers the blocks"},
		&cli.BoolFlag{Name: "pipepart", Aliases: []string{"pipe-part"}, Category: catPipe, Usage: "as --pipe for a regular file given with -a: each job reads its own byte range of the file, which never passes through parmap"},
		typed(cli.GenericFlag{Name: "block", Aliases: []string{"block-size"}, Category: catPipe, Usage: "with --pipe or --pipepart: blocks of about `SIZE` bytes (K, M, G powers of 1024; k, m, g of 1000; default 1M)"}, parseSize, defaultBlock, ""),
		&cli.StringFlag{Name: "arg-sep", Category: catInput, Usage: "separate record values with `SEP` instead of ::: (and link them with SEP+), so that ::: can be a word of the command (GNU parallel)"},
		&cli.StringFlag{Name: "arg-file-sep", Category: catInput, Usage: "name record files after `SEP` instead of :::: (and SEP+), so that :::: can be a word of the command (GNU parallel)"},
		typed(cli.GenericFlag{Name: "max-replace-args", Aliases: []string{"N", "maxreplaceargs"}, Category: catInput, Usage: "put `N` records in each job, {1}..{N} each (empty when fewer), {} all of them with a word around it repeated (GNU); -N0 reads one record and inserts none; with --pipe, N records per block"}, count("-N", 0, "a whole number of records per job, 0 or more"), 0, ""),
		typed(cli.GenericFlag{Name: "max-lines", Aliases: []string{"L", "maxlines"}, Category: catInput, Usage: "put `N` input lines in each job, each one argument (a line ending in a blank continues on the next; -l is -L 1, -lN -L N); with --pipe, a record is N lines"}, count("-L", 0, "a whole number of lines (0 is 1, as GNU's -l 0)"), 0, ""),
		&cli.StringFlag{Name: "recend", Category: catPipe, Usage: "with --pipe or --pipepart: records end with `STR` (default \\n; escapes \\n \\t \\r \\0 \\\\ read as GNU does)"},
		&cli.StringFlag{Name: "recstart", Category: catPipe, Usage: "with --pipe or --pipepart: records start with `STR` (escapes as --recend); with --recend, a record boundary is where both match"},
		&cli.BoolFlag{Name: "regexp", Aliases: []string{"regex"}, Category: catPipe, Usage: "--recend and --recstart are regular expressions (Go's syntax), not strings"},
		&cli.BoolFlag{Name: "round-robin", Aliases: []string{"round", "roundrobin"}, Category: catPipe, Usage: "with --pipe: start -j jobs once and deal the blocks to their stdin in turn, instead of a job per block"},
		&cli.BoolFlag{Name: "link", Category: catInput, Usage: "pair the sources up instead of combining every value with every other (shortest wins)"},
		&cli.BoolFlag{Name: "m", Category: catInput, Usage: "as -X, but a word with {} among other text is not repeated: the records go in it joined by spaces (GNU parallel's -m)"},
		&cli.StringFlag{Name: "eof", Aliases: []string{"E"}, Category: catInput, Usage: "a record equal to `STR` ends its source: it and what follows are not read (GNU xargs and parallel -E)"},
		&cli.StringFlag{Name: "trim", Category: catInput, Usage: "remove blanks around each value and field: `SIDES` is l (left), r (right), lr or rl (both), or n (none; the default, but lr with --colsep, as GNU)"},
		&cli.BoolFlag{Name: "shuf", Category: catInput, Usage: "read all the records, then run the jobs in a random order; {#} numbers them in that order (GNU parallel)"},
		&cli.BoolFlag{Name: "plus", Category: catCommand, Usage: "add GNU parallel's --plus replacement strings: {..} {...} {/..} {/...} {+/} {+.} {+..} {+...} {##} {0#} {0%} {slot} {host} {sshlogin} {hgrp} {agrp}, and {:-X} {:N} {:N:M} {#RE} {##RE} {%RE} {%%RE} {/RE/S} {//RE/S} {/#RE/S} {/%RE/S} {^RE} {^^RE} {,RE} {,,RE} as bash's ${…}"},
		&cli.BoolFlag{Name: "quote", Aliases: []string{"q"}, Category: catCommand, Usage: "run the command's words as they are, without a shell, even a single word: shell syntax in them is literal text"},

		&cli.StringFlag{Name: "replace", Aliases: []string{"I"}, Category: catCommand, Usage: "use `STR` instead of {} for the record (--replace alone and -i are -I {}; --replace=STR and -iSTR are -I STR, as in GNU xargs)"},
		&cli.StringFlag{Name: "extensionreplace", Aliases: []string{"er"}, Category: catCommand, Usage: "use `STR` instead of {.} (GNU parallel)"},
		&cli.StringFlag{Name: "basenamereplace", Aliases: []string{"bnr"}, Category: catCommand, Usage: "use `STR` instead of {/} (GNU parallel)"},
		&cli.StringFlag{Name: "dirnamereplace", Aliases: []string{"dnr"}, Category: catCommand, Usage: "use `STR` instead of {//} (GNU parallel)"},
		&cli.StringFlag{Name: "basenameextensionreplace", Aliases: []string{"bner"}, Category: catCommand, Usage: "use `STR` instead of {/.} (GNU parallel)"},
		&cli.StringFlag{Name: "seqreplace", Category: catCommand, Usage: "use `STR` instead of {#} (GNU parallel)"},
		&cli.StringFlag{Name: "slotreplace", Category: catCommand, Usage: "use `STR` instead of {%} (GNU parallel)"},
		&cli.StringFlag{Name: "shell", Category: catCommand, Usage: "run command lines with shell syntax under `PATH` instead of /bin/sh"},

		typed(cli.GenericFlag{Name: "jobs", Aliases: []string{"j", "P", "max-procs"}, Category: catRun, Usage: "run `N` jobs at once; N% of the CPUs; +N or -N: N more or fewer than the CPUs (at least 1); 0 for as many as there are records (default: the CPUs parmap may use)"}, parseJobs, jobsSpec{percent: 100}, ""),
		&cli.StringSliceFlag{Name: "sshlogin", Aliases: []string{"S"}, Category: catCluster, Usage: "run jobs on ssh `HOSTS`: comma-separated [N/][user@]host[:port] (N jobs at once there, default -j), : for this machine; repeatable"},
		&cli.StringSliceFlag{Name: "sshloginfile", Aliases: []string{"slf"}, Category: catCluster, Usage: "read -S hosts from `FILE`, one or more a line, # comments"},
		&cli.StringSliceFlag{Name: "env", Category: catCluster, Usage: "pass the variable `VAR` (comma-separated names; repeatable) to the jobs on -S hosts; jobs here have the whole environment anyway. _ names none (GNU's list of variables to skip is not read)"},
		&cli.BoolFlag{Name: "agent", Category: catCluster, Usage: "run the jobs of each -S host through one parmap agent there, over one ssh connection for all of them (this binary is copied to a host whose PATH has no parmap of its protocol); implied by --transferfile, --return and --basefile"},
		&cli.StringFlag{Name: "ssh", Category: catCluster, Usage: "run `CMD` instead of ssh for -S hosts, e.g. 'ssh -F cluster.conf'"},
		&cli.StringSliceFlag{Name: "transferfile", Aliases: []string{"tf"}, Category: catCluster, Usage: "put `FILE` (a template: {} and the other replacement strings) on the job's -S host before it runs, relative to the login directory; /./ in it keeps only what follows, absolute stays absolute (GNU); repeatable"},
		&cli.BoolFlag{Name: "transfer", Category: catCluster, Usage: "--transferfile {}: the record is a file to put on the host"},
		&cli.StringSliceFlag{Name: "return", Category: catCluster, Usage: "bring `FILE` (a template) back from the job's -S host after it ends, to FILE here; the job fails if it did not make it; repeatable"},
		&cli.BoolFlag{Name: "cleanup", Category: catCluster, Usage: "remove the job's --transferfile and --return files from its -S host after it, and the directories they leave empty; --basefile files at the end"},
		&cli.StringSliceFlag{Name: "basefile", Aliases: []string{"bf"}, Category: catCluster, Usage: "put `FILE` on each -S host once, before its first job (as --transferfile); repeatable"},
		&cli.StringSliceFlag{Name: "trc", Category: catCluster, Usage: "--transfer --return `FILE` --cleanup"},
		&cli.BoolFlag{Name: "slurm", Category: catCluster, Usage: "inside a Slurm allocation, run the jobs through one parmap agent per node (one job step per node, started by srun), each running its node's share of the allocation at once (-j N deals N slots over the nodes); in a job array --shard defaults to the array task's share"},
		&cli.BoolFlag{Name: "slurm-steps", Category: catCluster, Usage: "as --slurm, but run each job as a job step of its own (srun --exclusive -N1 -n1); -j defaults to SLURM_NTASKS"},
		typed(cli.GenericFlag{Name: "shard", Category: catCluster, Usage: "run only the jobs whose number n has (n-1) mod N = K, for `K/N` (0 ≤ K < N): one share of the input"}, parseShard, shard{}, ""),
		&cli.BoolFlag{Name: "jobserver", Category: catRun, Usage: "serve a GNU make jobserver of -j slots to the jobs, so that a make or parmap they run shares the budget (under make -jN parmap always takes its slots from make)"},
		&cli.BoolFlag{Name: "dry-run", Aliases: []string{"dryrun"}, Category: catRun, Usage: "print the commands instead of running them"},
		&cli.BoolFlag{Name: "no-run-if-empty", Aliases: []string{"r"}, Category: catRun, Usage: "skip input lines that are empty or all blanks, as GNU parallel does (with no records parmap runs nothing anyway)"},
		typed(cli.GenericFlag{Name: "success-codes", Category: catRun, Usage: "exit values in `LIST` count as success, e.g. 0,1 for grep (default: 0)"}, parseSuccessCodes, nil, ""),
		typed(cli.GenericFlag{Name: "kill-after", Category: catRun, Usage: "after SIGINT, SIGTERM or --timeout, give jobs `DURATION` before SIGKILL"}, duration("--kill-after"), channel.DefaultGrace, channel.DefaultGrace.String()),
		typed(cli.GenericFlag{Name: "timeout", Category: catRun, Usage: "stop a job running longer than `DURATION` (SIGTERM to its process group, SIGKILL after --kill-after); it fails"}, duration("--timeout"), 0, ""),
		typed(cli.GenericFlag{Name: "retries", Category: catRun, Usage: "run a failed job up to `N` more times; only the last run is printed and counted"}, count("--retries", 0, "a number of reruns, 0 or more"), 0, ""),
		typed(cli.GenericFlag{Name: "retry-delay", Category: catRun, Usage: "wait `DURATION` before the first rerun of a failed job, twice as long before each next"}, duration("--retry-delay"), 0, ""),
		typed(cli.GenericFlag{Name: "delay", Category: catRun, Usage: "start jobs at least `DURATION` apart"}, duration("--delay"), 0, ""),
		typed(cli.GenericFlag{Name: "halt", Aliases: []string{"halt-on-error"}, Category: catRun, Usage: "stop early: `POLICY` is never, or now|soon,fail|success|done=N (N a count or N%); now kills running jobs, soon lets them finish; GNU's 0, 1, 2, -1, -2 and N% mean never, soon,fail=1, now,fail=1, soon,success=1, now,success=1 and soon,fail=N%"}, parseHalt, exchange.Halt{}, ""),
		&cli.StringFlag{Name: "joblog", Aliases: []string{"jl"}, Category: catJoblog, Usage: "log each finished job to `FILE` in GNU parallel's format (tab-separated: Seq Host Starttime JobRuntime Send Receive Exitval Signal Command); - for standard output"},
		&cli.BoolFlag{Name: "resume", Category: catJoblog, Usage: "with --joblog: skip every job the log shows (by command line), whatever its exit; run the rest, append to the log"},
		&cli.BoolFlag{Name: "resume-failed", Category: catJoblog, Usage: "as --resume, but also run again the logged jobs that failed"},
		&cli.BoolFlag{Name: "reuse", Category: catReuse, Usage: "start -j worker processes once each and send every record to a free worker's stdin; each answers it with one line on stdout"},
		typed(cli.GenericFlag{Name: "reuse-protocol", Category: catReuse, Usage: "how records and answers are framed for --reuse workers: `PROTO` is line (the default), null (NUL-terminated) or json"}, parseProtocol, reuse.Line, ""),
		typed(cli.GenericFlag{Name: "window", Category: catReuse, Usage: "with --reuse: up to `K` records in flight per worker (default 1)"}, count("--window", 1, "the number of records in flight per worker, 1 or more"), 1, ""),
		typed(cli.GenericFlag{Name: "max-records", Category: catReuse, Usage: "with --reuse: replace each worker by a new one after `N` records"}, count("--max-records", 1, "the number of records per worker before it is replaced, 1 or more"), 0, ""),
		typed(cli.GenericFlag{Name: "load", Category: catRes, Usage: "start a job only while the load is below `N`: N% is the CPU pressure (the share of the last 10 s some task waited for a CPU, /proc/pressure/cpu) where the kernel has it, else the load average as N% of the CPUs; a plain N is the load average (GNU parallel). Checked as jobs end and every second; running jobs grow by one a second at most"}, parseLoad, pressure.Load{}, ""),
		typed(cli.GenericFlag{Name: "memfree", Category: catRes, Usage: "start a job only while more than `SIZE` of memory is available (K, M, G, T: powers of 1024; MemAvailable, or a memory-limited cgroup's headroom where smaller); below half of it, stop the youngest job (GNU parallel; --retries runs it again). Checked as --load is"}, parseMemfree, int64(0), ""),
		typed(cli.GenericFlag{Name: "nice", Category: catRes, Usage: "run the jobs at niceness `N`, -20 (first) to 19 (last), from their first instruction"}, parseNice, niceness{}, ""),
		&cli.StringFlag{Name: "tmpdir", Category: catRun, Usage: "capture jobs' output and spill waiting output in unnamed files in `DIR` (default $TMPDIR or /tmp)"},

		typed(cli.GenericFlag{Name: "gpus", Category: catRes, Usage: "give each job devices of its own from `LIST` (comma-separated ids or UUIDs; a number N is devices 0 to N-1), in CUDA_VISIBLE_DEVICES, ROCR_VISIBLE_DEVICES, HIP_VISIBLE_DEVICES and {gpu}; -j defaults to the devices divided by --gpus-per-job. Inside a Slurm job, --gpus-per-job alone takes the job's GPUs"}, parseGPUs, nil, ""),
		typed(cli.GenericFlag{Name: "gpus-per-job", Category: catRes, Usage: "with --gpus (or inside a Slurm job with GPUs): `K` devices per job (default 1); no two running jobs share one"}, count("--gpus-per-job", 1, "a number of devices per job, 1 or more"), 1, ""),
		typed(cli.GenericFlag{Name: "cpus-per-job", Category: catRes, Usage: "pin each job to `K` CPUs of its own, from those parmap may use (no two running jobs share one); -j defaults to the CPUs divided by K"}, count("--cpus-per-job", 1, "a number of CPUs per job, 1 or more"), 0, ""),
		typed(cli.GenericFlag{Name: "mem-limit", Category: catRes, Usage: "run each job in a cgroup of its own limited to `SIZE` of memory (K, M, G, T: powers of 1024); else under RLIMIT_AS (its address space), as parmap says at the start; a job the OOM killer kills fails, \"killed: out of memory\""}, parseMemLimit, 0, ""),
		typed(cli.GenericFlag{Name: "cpu-limit", Category: catRes, Usage: "run each job in a cgroup of its own with `N` CPUs' worth of CPU time (1.5: one and a half), a quota (cpu.max, cpu.cfs_quota_us); an error where no cgroup can be used"}, parseCPULimit, 0, ""),

		&cli.BoolFlag{Name: "keep-order", Aliases: []string{"k"}, Category: catOutput, Usage: "write outputs in input order, not as jobs finish"},
		&cli.BoolFlag{Name: "group", Category: catOutput, Usage: "write each job's output whole when it ends (the default)"},
		&cli.BoolFlag{Name: "line-buffer", Aliases: []string{"lb"}, Category: catOutput, Usage: "pass output on as it comes, a whole line at a time"},
		&cli.BoolFlag{Name: "ungroup", Aliases: []string{"u"}, Category: catOutput, Usage: "let jobs write to parmap's output directly, unmanaged"},
		&cli.BoolFlag{Name: "tag", Category: catOutput, Usage: "prefix each output line with the record and a TAB"},
		&cli.StringFlag{Name: "tagstring", Category: catOutput, Usage: "prefix each output line with `STR` (replacement strings expanded) and a TAB"},
		&cli.StringFlag{Name: "results", Category: catOutput, Usage: "also save each job's output in `DIR`/<job number>/{stdout,stderr,exitval,input,resources} (resources: its CPU time, peak memory and oom, as --json); a name ending in .csv, .tsv or .json is instead one file of GNU parallel's columns, a row per job, in place of the output (-.csv and the like: on stdout)"},
		&cli.BoolFlag{Name: "files", Category: catOutput, Usage: "save each job's stdout in a new file in --tmpdir (parXXXXX.par, kept after the run) and print its name instead; stderr is written as usual"},
		&cli.BoolFlag{Name: "json", Category: catOutput, Usage: "print one JSON object per job instead of its output: seq, input, command, exit, signal, start, runtime, cpu_user, cpu_sys (seconds), max_rss (bytes), oom, stdout, stderr"},
		&cli.BoolFlag{Name: "bar", Category: catProgress, Usage: "show a progress bar on stderr (a plain status line every 5 s, or every $PARMAP_BAR_INTERVAL, when stderr is not a terminal), and at the end what the jobs used: CPU time and the highest peak memory"},
		&cli.BoolFlag{Name: "progress", Category: catProgress, Usage: "show GNU parallel's progress display on stderr: jobs running/completed and average seconds per job"},
		&cli.BoolFlag{Name: "eta", Category: catProgress, Usage: "as --progress, led by the estimated time left, jobs left and average seconds per job; at the end, what the jobs used (as --bar)"},
		&cli.BoolFlag{Name: "no-bar", Category: catProgress, Usage: "never show the progress bar"},
		&cli.BoolFlag{Name: "v", Category: catOutput, Usage: "print each job's command line on stdout before its output (GNU parallel's -v)"},
		&cli.BoolFlag{Name: "verbose", Aliases: []string{"t"}, Category: catOutput, Usage: "print each job's command line on stderr as it starts (GNU xargs and parallel -t, --verbose)"},

		&cli.BoolFlag{Name: "detach", Category: catRuns, Usage: "run in the background, in a session of its own: print the run's id and return at once (after copying standard input into the run's directory when records come from it)"},
		&cli.StringFlag{Name: "id", Category: catRuns, Usage: "with --detach: name the run `NAME` (letters, digits, . _ -) instead of a random id"},
		&cli.StringFlag{Name: "run-dir", Category: catRuns, Usage: "keep runs in `DIR` instead of $XDG_STATE_HOME/parmap/runs"},
		&cli.BoolFlag{Name: "runs", Category: catRuns, Usage: "list the runs: id, state, done/total, failed, start, command"},
		&cli.StringFlag{Name: "status", Category: catRuns, Usage: "print the status of the run `ID` (with --json, as a JSON object)"},
		&cli.StringFlag{Name: "wait", Category: catRuns, Usage: "wait for the run `ID` to end and exit with its exit status (with --semaphore: the run --id names)"},
		&cli.StringFlag{Name: "stop", Category: catRuns, Usage: "stop the run `ID`: no new job starts, running ones finish (with --now, they are stopped too)"},
		&cli.BoolFlag{Name: "now", Category: catRuns, Usage: "with --stop: stop the running jobs too (SIGTERM, SIGKILL after --kill-after)"},
		&cli.StringFlag{Name: "pause", Category: catRuns, Usage: "start no new job in the run `ID` until --continue; running jobs go on"},
		&cli.StringFlag{Name: "continue", Category: catRuns, Usage: "let the paused run `ID` start jobs again"},
		&cli.StringFlag{Name: "set-jobs", Category: catRuns, Usage: "--set-jobs `ID` N: run N jobs at once in the run ID from now on"},
		&cli.StringFlag{Name: "add", Category: catRuns, Usage: "--add `ID` RECORD...: add records (or standard input's, when none is given) to the running run ID"},
		&cli.StringFlag{Name: "attach", Category: catRuns, Usage: "show the output of the run `ID` from now on, and its progress; Ctrl-C detaches, the run goes on"},
		&cli.BoolFlag{Name: "semaphore", Category: catRuns, Usage: "GNU sem: queue the command line into the background run --id names (default: default), at most -j at once, starting the run when there is none; with --wait, wait for it to empty"},
		&cli.StringFlag{Name: "resume-run", Category: catRuns, Usage: "complete the dead run `ID` (its supervisor was killed) in the background, from its job log, as --resume would"},

		&cli.BoolFlag{Name: "version", Aliases: []string{"V"}, Category: catInfo, Usage: "print the version"},
		&cli.BoolFlag{Name: "will-cite", Category: catInfo, Usage: "does nothing: parmap asks for no citation (accepted for GNU parallel, as is --no-notice)"},
		&cli.BoolFlag{Name: "use-cpus-instead-of-cores", Aliases: []string{"use-cores-instead-of-threads", "use-sockets-instead-of-threads"}, Category: catRun, Hidden: true, Usage: "does nothing: -j counts the CPUs parmap may use (accepted for GNU parallel)"},
		&cli.BoolFlag{Name: "no-notice", Category: catInfo, Hidden: true, Usage: "does nothing (accepted for GNU parallel)"},
		&cli.StringFlag{Name: "completion", Category: catInfo, Usage: "print the shell completion script for `SHELL` (bash, zsh or fish)"},
	}
}
