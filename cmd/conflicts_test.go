package cmd

import (
	"strings"
	"testing"
)

// Every pair of options that cannot work together is one line naming both,
// exit 255, and nothing run: never one of them quietly dropped. The pairs
// checked where one option is read (-0 and -d, --pipe and -n, --reuse and
// --dry-run, ...) are here too, so that this table is the whole list.
func TestOptionConflicts(t *testing.T) {
	slurm := map[string]string{"SLURM_JOB_ID": "7", "SLURM_NTASKS": "2", "SLURM_JOB_NUM_NODES": "1"}
	for _, tc := range []struct {
		args []string
		env  map[string]string
		want string // the message, after "parmap: "
	}{
		// Output modes.
		{args: []string{"--json", "--tag", "echo", ":::", "a"}, want: `--json prints one JSON object per job, with no output lines to tag (its "input" is the record); drop --tag`},
		{args: []string{"--json", "--tagstring", "{#}", "echo", ":::", "a"}, want: `--json prints one JSON object per job, with no output lines to tag (its "input" is the record); drop --tagstring`},
		{args: []string{"--json", "-v", "echo", ":::", "a"}, want: `--json prints one JSON object per job, which holds its "command" already; drop -v`},
		{args: []string{"--json", "-u", "echo", ":::", "a"}, want: "--results and --json need each job's whole output; drop -u and --line-buffer"},
		{args: []string{"--json", "--line-buffer", "echo", ":::", "a"}, want: "--results and --json need each job's whole output; drop -u and --line-buffer"},
		{args: []string{"--json", "--files", "echo", ":::", "a"}, want: "--files, --json and --results FILE.csv each replace the output; pick one"},
		{args: []string{"--json", "--results", "r.tsv", "echo", ":::", "a"}, want: "--json and --results r.tsv each replace the output; pick one"},
		{args: []string{"--results", "r.csv", "--tag", "echo", ":::", "a"}, want: "--results r.csv writes a table in place of the output, with no lines to tag; drop --tag"},
		{args: []string{"--results", "r.csv", "-v", "echo", ":::", "a"}, want: "--results r.csv writes a table in place of the output, with each job's command in it; drop -v"},
		{args: []string{"--results", "r.csv", "--files", "echo", ":::", "a"}, want: "--files, --json and --results FILE.csv each replace the output; pick one"},
		{args: []string{"--results", "dir", "-u", "echo", ":::", "a"}, want: "--results and --json need each job's whole output; drop -u and --line-buffer"},
		{args: []string{"--files", "-u", "echo", ":::", "a"}, want: "--files saves each job's whole output; drop -u and --line-buffer"},
		{args: []string{"--files", "--line-buffer", "echo", ":::", "a"}, want: "--files saves each job's whole output; drop -u and --line-buffer"},
		{args: []string{"--joblog", "-", "--json", "echo", ":::", "a"}, want: "--joblog - and --json would mix their lines on standard output; give --joblog FILE"},
		{args: []string{"--joblog", "-", "--results", "-.csv", "echo", ":::", "a"}, want: "--joblog - and --results -.csv would mix their lines on standard output; give --joblog FILE"},
		{args: []string{"-u", "--line-buffer", "echo", ":::", "a"}, want: "-u and --line-buffer exclude each other; pick one"},
		{args: []string{"--group", "-u", "echo", ":::", "a"}, want: "--group and -u exclude each other; pick one"},
		{args: []string{"--group", "--line-buffer", "echo", ":::", "a"}, want: "--group and --line-buffer exclude each other; pick one"},
		{args: []string{"-k", "-u", "echo", ":::", "a"}, want: "-k and -u exclude each other: ungrouped output goes out as the jobs write it; drop one (-k --line-buffer writes each job's output whole, in order)"},

		// Dry runs.
		{args: []string{"--dry-run", "--json", "echo", ":::", "a"}, want: "--dry-run prints the commands in place of the output, and --json replaces the output too; pick one"},
		{args: []string{"--dry-run", "--files", "echo", ":::", "a"}, want: "--dry-run prints the commands in place of the output, and --files replaces the output too; pick one"},
		{args: []string{"--dry-run", "--results", "r.json", "echo", ":::", "a"}, want: "--dry-run prints the commands in place of the output, and --results r.json replaces the output too; pick one"},
		{args: []string{"--dry-run", "--reuse", "cat", ":::", "a"}, want: "--reuse cannot be used with --dry-run, --results, --json, -v or -t"},

		// Records.
		{args: []string{"-0", "-d", ",", "echo"}, want: "-0 and -d exclude each other; pick one"},
		{args: []string{"-n", "2", "-N", "2", "echo"}, want: "-n and -N both set the records per job; pick one"},
		{args: []string{"-X", "-m", "echo", ":::", "a"}, want: "-X and -m exclude each other (-m joins the records inside a word, -X repeats the word); pick one"},
		{args: []string{"-X", "-N0", "echo", ":::", "a"}, want: "-N0 inserts no record in the command, and -X packs as many as fit; drop one of them"},
		{args: []string{"-m", "-n0", "echo", ":::", "a"}, want: "-n0 inserts no record in the command, and -m packs as many as fit; drop one of them"},
		{args: []string{"-s", "100", "echo", ":::", "a"}, want: "-s bounds the command lines -X and -m make; add one of them (or use -n for a number of records per job)"},
		{args: []string{"-q", "--shell", "/bin/sh", "echo", ":::", "a"}, want: "-q runs the command without a shell, so --shell does not apply; drop one of them"},
		{args: []string{"--retry-delay", "1s", "echo", ":::", "a"}, want: "--retry-delay is the wait before a rerun; add --retries N"},
		{args: []string{"--arg-sep", "X", "--arg-file-sep", "X", "echo", "X", "a"}, want: `--arg-sep and --arg-file-sep are both "X"; give two different separators`},
		{args: []string{"--arg-sep", "::::", "echo", "::::", "a"}, want: `--arg-sep and --arg-file-sep are both "::::"; give two different separators`},
		{args: []string{"--header", "1", "echo", ":::", "a"}, want: `--header "1": give --header : (the first record names the fields), or a number of lines with --pipe or --pipepart`},
		{args: []string{"--block", "1M", "echo", ":::", "a"}, want: "--block sets the block size of --pipe and --pipepart; add one of them"},
		{args: []string{"--recend", "x", "echo", ":::", "a"}, want: "--recend only applies to --pipe and --pipepart blocks; add --pipe"},
		{args: []string{"--round-robin", "echo", ":::", "a"}, want: "--round-robin only applies to --pipe and --pipepart blocks; add --pipe"},
		{args: []string{"--resume", "echo", ":::", "a"}, want: "--resume needs --joblog FILE: the log says which jobs already ran"},
		{args: []string{"--resume", "--joblog", "-", "echo", ":::", "a"}, want: "--resume cannot read --joblog -: a log written to standard output cannot be resumed from; give a file"},

		// Pipe mode.
		{args: []string{"--pipe", "-X", "wc"}, want: "--pipe feeds blocks of records to each job's stdin; -n, -X, -m, --colsep, --link and --header : do not apply"},
		{args: []string{"--pipe", "-n", "2", "wc"}, want: "--pipe feeds blocks of records to each job's stdin; -n, -X, -m, --colsep, --link and --header : do not apply"},
		{args: []string{"--pipe", "--colsep", ",", "wc"}, want: "--pipe feeds blocks of records to each job's stdin; -n, -X, -m, --colsep, --link and --header : do not apply"},
		{args: []string{"--pipe", "--header", ":", "wc"}, want: "--pipe feeds blocks of records to each job's stdin; -n, -X, -m, --colsep, --link and --header : do not apply"},
		{args: []string{"--pipe", "--reuse", "wc"}, want: "--pipe and --reuse exclude each other: blocks go to a new job each"},
		{args: []string{"--pipe", "--shuf", "wc"}, want: "--shuf runs records in a random order; --pipe blocks are cut as the input comes, drop one of them"},
		{args: []string{"--pipe", "--resume", "--joblog", "jl", "wc"}, want: "--pipe cannot be used with --resume: blocks are not matched across runs"},
		{args: []string{"--pipe", "wc", ":::", "a"}, want: "--pipe reads standard input or one -a FILE; ::: does not apply"},
		{args: []string{"--pipe", "--tag", "wc"}, want: "--pipe blocks have no record to tag the output with; use --tagstring, e.g. --tagstring 'block {#}'"},
		{args: []string{"--pipe", "-E", "x", "wc"}, want: "-E works on records given as arguments; --pipe passes blocks to the jobs unchanged, drop one of them"},
		{args: []string{"--pipe", "-r", "wc"}, want: "-r works on records given as arguments; --pipe passes blocks to the jobs unchanged, drop one of them"},
		{args: []string{"--pipe", "--trim", "lr", "wc"}, want: "--trim works on records given as arguments; --pipe passes blocks to the jobs unchanged, drop one of them"},
		{args: []string{"--pipe", "--strip-cr", "wc"}, want: "--strip-cr works on records given as arguments; --pipe passes blocks to the jobs unchanged, drop one of them"},
		{args: []string{"--pipe", "-s", "10", "wc"}, want: "-s works on records given as arguments; --pipe passes blocks to the jobs unchanged, drop one of them"},
		{args: []string{"--pipe", "--recend", "x", "-0", "wc"}, want: "--recend and -d/-0 both say where records end; pick one"},
		{args: []string{"--pipepart", "wc"}, want: "--pipepart needs -a FILE, a regular file: each job reads its own byte range, which standard input cannot give"},
		{args: []string{"--pipepart", "-a", "conflicts.go", "--round-robin", "wc"}, want: "--round-robin deals --pipe blocks to running jobs; use --pipe, not --pipepart"},
		{args: []string{"--pipepart", "-a", "conflicts.go", "-N", "2", "wc"}, want: "--pipepart cuts blocks at fixed strings by size; --regexp, -N and -L need --pipe"},
		{args: []string{"--pipe", "--round-robin", "--shard", "0/2", "wc"}, want: "--shard runs one share of the jobs, but --round-robin's -j jobs share every block between them; drop one of them"},
		{args: []string{"--pipe", "--round-robin", "--retries", "1", "wc"}, want: "--round-robin and --retries exclude each other: a job's blocks cannot be sent again"},

		// Workers (--reuse).
		{args: []string{"--reuse", "-X", "cat"}, want: "--reuse sends one record at a time; drop -n and -X"},
		{args: []string{"--reuse", "-N", "2", "cat"}, want: "--reuse sends one record at a time; drop -N and -L"},
		{args: []string{"--reuse", "--json", "cat"}, want: "--reuse cannot be used with --dry-run, --results, --json, -v or -t"},
		{args: []string{"--reuse", "--files", "cat"}, want: "--reuse workers answer on one stream; --files and --results FILE cannot be used with it"},
		{args: []string{"--reuse", "-u", "cat"}, want: "--reuse writes each answer as one whole line; -u does not apply, drop it"},
		{args: []string{"--reuse", "--line-buffer", "cat"}, want: "--reuse writes each answer as one whole line; --line-buffer does not apply, drop it"},
		{args: []string{"--reuse", "--success-codes", "0,1", "cat"}, want: "--reuse workers fail a record by their answer (or by dying), not by an exit value; drop --success-codes"},
		{args: []string{"--reuse", "--mem-limit", "1G", "cat"}, want: "--mem-limit limits one job each; drop --reuse"},
		{args: []string{"--reuse", "-S", "1/h.invalid", "cat"}, want: "--reuse runs its workers on this machine; drop -S or --sshloginfile"},
		{args: []string{"--window", "2", "cat"}, want: "--window only applies to --reuse workers; add --reuse"},

		// Progress.
		{args: []string{"--bar", "--eta", "true", ":::", "a"}, want: "--bar and --eta are two displays of progress; pick one"},
		{args: []string{"--bar", "--progress", "true", ":::", "a"}, want: "--bar and --progress are two displays of progress; pick one"},
		{args: []string{"--no-bar", "--eta", "true", ":::", "a"}, want: "--no-bar and --eta contradict each other (--eta shows GNU parallel's progress display); pick one"},
		{args: []string{"--no-bar", "--progress", "true", ":::", "a"}, want: "--no-bar and --progress contradict each other (--progress shows GNU parallel's progress display); pick one"},

		// Clusters.
		{args: []string{"-S", "1/h.invalid", "--nice", "5", "echo", ":::", "a"}, want: "--nice sets the niceness of jobs run on this machine, not of -S hosts; drop it (or run nice -n N in the command)"},
		{args: []string{"-S", "1/h.invalid", "--jobserver", "echo", ":::", "a"}, want: "--jobserver hands its slots to jobs run on this machine, not to -S hosts; drop it"},
		{args: []string{"-S", "1/h.invalid", "--load", "4", "echo", ":::", "a"}, want: "--load and --memfree read this machine's load and memory, not that of -S hosts; drop one of them"},
		{args: []string{"-S", "1/h.invalid", "--gpus", "1", "echo", ":::", "a"}, want: "--gpus gives jobs on this machine their own resources; it cannot be used with -S or --sshloginfile"},
		{args: []string{"-S", "1/h.invalid", "--mem-limit", "1G", "echo", ":::", "a"}, want: "--mem-limit limits jobs run on this machine; drop -S or --sshloginfile"},
		{args: []string{"-S", "1/h.invalid", "-j0", "echo", ":::", "a"}, want: "-S needs a number of jobs per host: give N/host, or -j N (not -j 0)"},
		{args: []string{"-S", "1/h.invalid", "--slurm", "echo", ":::", "a"}, env: slurm, want: "--slurm runs jobs as Slurm job steps; drop -S or --sshloginfile"},
		{args: []string{"--slurm", "--nice", "5", "echo", ":::", "a"}, env: slurm, want: "--nice sets the niceness of jobs run on this machine, not of --slurm jobs (they run on the allocation's nodes); drop it (or run nice -n N in the command)"},
		{args: []string{"--slurm", "--jobserver", "echo", ":::", "a"}, env: slurm, want: "--jobserver hands its slots to jobs run on this machine, not to --slurm jobs (they run on the allocation's nodes); drop it"},
		{args: []string{"--slurm", "--memfree", "1G", "echo", ":::", "a"}, env: slurm, want: "--memfree reads this machine's load and memory, not that of --slurm jobs (they run on the allocation's nodes); drop it"},
		{args: []string{"--slurm", "--cpu-limit", "1", "echo", ":::", "a"}, env: slurm, want: "--cpu-limit limits jobs run on this machine; under --slurm use srun's --mem and --cpus-per-task"},
		{args: []string{"--slurm", "--reuse", "cat"}, env: slurm, want: "--reuse runs its workers on this machine; drop --slurm"},
		{args: []string{"--ssh", "ssh -p 2", "echo", ":::", "a"}, want: "--ssh applies to jobs run on -S hosts; add -S or --sshloginfile"},
		{args: []string{"--agent", "echo", ":::", "a"}, want: "--agent runs the jobs of -S hosts through an agent on each; give -S HOSTS (or --sshloginfile), or drop it"},
		{args: []string{"-S", "1/h.invalid", "--agent", "--pipe", "cat"}, want: "-S --agent does not feed --pipe blocks to jobs yet; drop --agent"},
		{args: []string{"-S", "1/h.invalid", "--agent", "--nice", "5", "echo", ":::", "a"}, want: "--nice sets the niceness of jobs run on this machine, not of -S hosts; drop it (or run nice -n N in the command)"},

		// Background runs.
		{args: []string{"--detach", "--status", "r1"}, want: "--status acts on background runs, not on a new one; --detach does not apply to it"},
		{args: []string{"--status", "r1", "-j", "4"}, want: "--status acts on background runs, not on a new one; -j does not apply to it"},
		{args: []string{"--runs", "--json"}, want: "--runs acts on background runs, not on a new one; --json does not apply to it"},
		{args: []string{"--attach", "r1", "--tag"}, want: "--attach acts on background runs, not on a new one; --tag does not apply to it"},
		{args: []string{"--wait", "r1", "--now"}, want: "--wait acts on background runs, not on a new one; --now does not apply to it"},
		{args: []string{"--status", "r1", "--stop", "r1"}, want: "--status and --stop cannot be given together; give one"},
		{args: []string{"--semaphore", "--status", "r1", "echo"}, want: "--semaphore queues a command; --status cannot go with it"},
		{args: []string{"--now", "echo", ":::", "a"}, want: "--now goes with --stop ID"},
		{args: []string{"--id", "x", "echo", ":::", "a"}, want: "--id names a background run: give --detach too"},
		{args: []string{"--detach", "--joblog", "-", "echo", ":::", "a"}, want: "--detach cannot write --joblog - (a detached run has no terminal); the run's directory keeps its job log"},
	} {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			for k, v := range tc.env {
				t.Setenv(k, v)
			}
			t.Setenv("XDG_STATE_HOME", t.TempDir())
			status, stderr := runCaptured(t, tc.args...)
			if status != exitError || stderr != "parmap: "+tc.want+"\n" {
				t.Errorf("status %d, stderr %q\nwant 255, %q", status, stderr, "parmap: "+tc.want+"\n")
			}
		})
	}
}

// The pairs that work together, each as the README says: a dry run tags
// its lines and honours --resume; -n with -L counts records as -N does;
// --no-bar wins over --bar; --tag with -u tags whole lines.
func TestOptionPairsThatWork(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want func(*testing.T, *invocation)
	}{
		{[]string{"--dry-run", "--tag", "echo", ":::", "a"}, func(t *testing.T, inv *invocation) {
			if !inv.cfg.DryRun || !inv.cfg.Tag {
				t.Errorf("DryRun %v Tag %v", inv.cfg.DryRun, inv.cfg.Tag)
			}
		}},
		{[]string{"-n", "2", "-L", "3", "echo"}, func(t *testing.T, inv *invocation) {
			if r := inv.cfg.Records; r.MaxArgs != 2 || !r.Continue {
				t.Errorf("MaxArgs %d Continue %v, want 2 and true", r.MaxArgs, r.Continue)
			}
		}},
		{[]string{"--bar", "--no-bar", "echo"}, func(t *testing.T, inv *invocation) {
			if inv.cfg.Progress.Mode != 0 || inv.cfg.Totals {
				t.Errorf("Progress %+v Totals %v, want none", inv.cfg.Progress, inv.cfg.Totals)
			}
		}},
		{[]string{"--eta", "--progress", "echo"}, func(t *testing.T, inv *invocation) {
			if !inv.cfg.Progress.ETA {
				t.Errorf("Progress %+v, want GNU's with the ETA", inv.cfg.Progress)
			}
		}},
	} {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			inv, err := parseInvocation(tc.args)
			if err != nil {
				t.Fatal(oneLine(describe(err)))
			}
			tc.want(t, inv)
		})
	}
}
