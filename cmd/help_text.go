package cmd

// The texts of --help and the man page beyond the options: both render
// these, so they say the same.

// summary is what parmap is, in one line: --help's first line and the man
// page's NAME.
const summary = "run a command once per input record, many at a time"

// usageLine is --help's second line and the man page's SYNOPSIS.
const usageLine = "parmap [OPTIONS] [COMMAND [ARG...]] [::: RECORD...] [:::: FILE...]"

// about is how parmap runs, a paragraph each: after the options in --help,
// the DESCRIPTION of the man page.
var about = []string{
	"parmap reads records (lines of standard input, -a files, ::: lists, :::: files) and runs COMMAND " +
		"once per record, at most -j at a time, each job in its own process group: " +
		"SOURCE | parmap COMMAND, or parmap COMMAND ::: A B C. Each job's output is written " +
		"whole, as jobs finish or in input order (-k).",
	"Replacement strings in COMMAND: {} the record, {.} without " +
		"extension, {/} basename, {//} dirname, {/.} basename without extension, {#} job number, {%} job slot, " +
		"{n} field or source n, {^SUFFIX} the record without SUFFIX, {gpu} the job's devices (--gpus). " +
		"Without any, the record is appended. " +
		"Several words are run directly (no shell); one command line with shell syntax runs under sh -c with every " +
		"value quoted for where it lands.",
	"With --pipe, standard input is cut into blocks of about --block bytes of whole records, each fed to one job's stdin; " +
		"--pipepart does the same for a regular file (-a FILE), each job reading its own byte range.",
	"With --reuse, COMMAND runs as -j long-lived workers instead: each record is written to a free worker's stdin " +
		"(a line; NUL-terminated with --reuse-protocol null; a JSON request {\"seq\":N,\"input\":...} with json) and the worker " +
		"answers it with one line on stdout (json: {\"seq\":N,\"output\":...} or {\"seq\":N,\"error\":...}, in any order), " +
		"flushing after each answer. A worker that dies, breaks the protocol or stays silent past --timeout is restarted; " +
		"the records in flight to it fail.",
	"SIGINT and SIGTERM go to every job's process group (SIGKILL after --kill-after); SIGHUP drains " +
		"(no new job starts; jobs never started are not logged); Ctrl-Z stops the jobs too. " +
		"If parmap dies, even by SIGKILL, a guard process kills every job's group and every process carrying the run's " +
		"PARMAP_RUN mark, and holds the --joblog lock until then, so --resume never runs beside a survivor. " +
		"Out of file descriptors or processes, a job waits for a running one to end and -j is lowered, with one warning.",
	"Long options may be shortened to any unique beginning, and an option given twice takes its last value, as in GNU parallel. " +
		"Two options that cannot work together (--json and --tag, -k and -u, --pipe and -n, ...) are an error, never one of them dropped.",
	"Run under the name parallel (a symlink), parmap is GNU parallel: the command's words make one shell command line, " +
		"$PARALLEL holds more options, and messages start with parallel:. " +
		"Run under the name xargs, it is GNU xargs 4.9: its options, blank and quote splitting of the input, " +
		"-L, -s, -x, -E, -t, -p and exit statuses 123-127 (see xargs --help).",
}

// An entry is one item of a list: a value and what it means.
type entry struct{ name, text string }

// exitStatuses are parmap's exit statuses (GNU parallel's).
var exitStatuses = []entry{
	{"0", "every job succeeded"},
	{"1-100", "that many jobs failed; a job whose program is missing fails with 127, one that is not executable with 126"},
	{"101", "more than 100 jobs failed"},
	{"255", "a usage error, or an error that is not a job's (an input that cannot be read, output that cannot be " +
		"written: standard output, --tmpdir, --results, --joblog), with one line parmap: ... naming it"},
	{"--halt", "when a halt triggers, the exit status of the job that triggered it"},
	{"signal", "stopped by SIGINT or SIGTERM, parmap dies of the same signal once its jobs are gone " +
		"(a shell sees 128+N: 130 for Ctrl-C)"},
	{"--wait ID", "the exit status of the background run ID"},
	{"xargs", "under the name xargs, GNU xargs' statuses: 0, 123 (a command failed), 124 (a command exited 255), " +
		"125 (killed by a signal), 126 (not executable), 127 (not found), 1 (other errors)"},
}

// environment lists the variables parmap reads.
var environment = []entry{
	{"TMPDIR", "where jobs' output is captured and waiting output spilled, in unnamed files (--tmpdir overrides; default /tmp)"},
	{"XDG_STATE_HOME", "background runs are kept in $XDG_STATE_HOME/parmap/runs ($HOME/.local/state/parmap/runs when unset; --run-dir overrides)"},
	{"PARMAP_BAR_INTERVAL", "how often --bar writes its status line when stderr is not a terminal (a duration; default 5s)"},
	{"MAKEFLAGS", "under make -jN, parmap's jobs take their slots from make's jobserver, whose N caps -j"},
	{"SLURM_JOB_ID, SLURM_NTASKS, SLURM_JOB_NODELIST, SLURM_TASKS_PER_NODE, SLURM_JOB_CPUS_PER_NODE, SLURM_CPUS_PER_TASK",
		"--slurm's allocation: its nodes and each node's share (an agent each), and -j's default"},
	{"SLURM_ARRAY_TASK_ID, SLURM_ARRAY_TASK_MIN, SLURM_ARRAY_TASK_MAX, SLURM_ARRAY_TASK_STEP, SLURM_ARRAY_TASK_COUNT", "in a job array, --slurm's default --shard: the array task's share of the input"},
	{"CUDA_VISIBLE_DEVICES, SLURM_STEP_GPUS, SLURM_JOB_GPUS", "inside a Slurm job, the GPUs --gpus-per-job shares out"},
	{"PARALLEL, PARALLEL_SHELL, SHELL", "under the name parallel: more options, and the shell that runs the command lines (GNU parallel's)"},
}

// jobEnvironment lists the variables every job gets.
var jobEnvironment = []entry{
	{"PARMAP_SEQ, PARALLEL_SEQ", "the job's number, {#}"},
	{"PARMAP_SLOT, PARALLEL_JOBSLOT", "the job's slot, {%}: 1 to -j, reused as jobs end"},
	{"PARMAP_RUN", "the run's mark, by which the guard finds the run's processes if parmap dies"},
	{"CUDA_VISIBLE_DEVICES, ROCR_VISIBLE_DEVICES, HIP_VISIBLE_DEVICES", "with --gpus, the job's own devices"},
	{"MAKEFLAGS", "with --jobserver (or under make -jN), the jobserver the jobs share"},
}

// examples are run as shown; each with what it does.
var examples = []entry{
	{"seq 1000 | parmap -j4 -k echo {}", "1 to 1000, four jobs at a time, in input order"},
	{"find . -name '*.log' -print0 | parmap -0 gzip -9", "NUL-separated records"},
	{"parmap --tag wc -l ::: *.txt", "each output line led by its record"},
	{`parmap 'grep -c ERROR {} | sed "s/^/{}: /"' ::: a.log b.log`, "a shell command line; the values are quoted"},
	{"parmap convert {} {.}.png ::: *.jpg", "{.}: the record without its extension"},
	{"parmap echo {1}-{2} ::: a b ::: 1 2", "every combination: a-1 a-2 b-1 b-2 (--link pairs them: a-1 b-2)"},
	{"cat urls.txt | parmap --bar -j 8 curl -fsSO {}", "a progress bar on stderr"},
	{"parmap --joblog jobs.log --resume ./step {} ::: *.in", "run again after a failure: the logged jobs are skipped"},
	{"zcat access.log.gz | parmap --pipe --block 20M grep -c ' 500 '", "blocks of standard input to each job's stdin"},
	{"seq 1000 | parmap --reuse -k awk -W interactive '{print $1*2; fflush()}'", "long-lived workers: a record a line on their stdin, an answer a line"},
	{"find . -name '*.tmp' | parmap -X rm", "as many records per job as fit (the xargs habit)"},
}

// seeAlso names the related pages.
var seeAlso = []string{"parallel(1)", "xargs(1)", "sem(1)", "make(1)", "srun(1)", "ssh(1)", "nice(1)"}
