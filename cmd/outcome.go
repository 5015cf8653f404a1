package cmd

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"

	"github.com/parmap/parmap/internal/engine"
)

// Exit statuses beyond the count of failed jobs.
const (
	exitManyFailed = 101
	exitError      = 255
)

// handledSignals are the signals a run acts on.
var handledSignals = []os.Signal{syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP, syscall.SIGTSTP, syscall.SIGCONT,
	syscall.SIGUSR1, syscall.SIGUSR2}

// execute runs cfg with this process's signals and streams and returns
// parmap's exit status (or dies of the signal that stopped the run).
func execute(inv *invocation, stdin, stdout, stderr *os.File) int {
	cfg := inv.cfg
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(gcPercent(cfg))
	}
	sigs := make(chan os.Signal, 4)
	signal.Notify(sigs, handledSignals...)
	// Asking for SIGPIPE turns a write to a closed pipe into an EPIPE error
	// instead of an abrupt death, so jobs can be stopped first.
	pipes := make(chan os.Signal, 1)
	signal.Notify(pipes, syscall.SIGPIPE)
	if readsTerminal(cfg, stdin, stderr) {
		sayReadingTerminal(inv.prog, stderr)
	}
	sum := engine.Run(context.Background(), cfg, engine.Streams{
		Stdin: stdin, Stdout: stdout, Stderr: stderr, Signals: sigs,
		Word: func(n engine.Notice) string { return renamed(inv.prog, wordNotice(n)) },
	})
	signal.Stop(sigs)
	signal.Stop(pipes)
	return outcome(inv.prog, sum, inv.sourceFlags, stdout, stderr)
}

// gcPercent is the Go collector's goal for a run. parmap's live heap is
// tiny (records and results in flight), so the collector's default 4 MiB
// minimum heap would be most of its memory and a small goal costs little
// CPU; but records streamed to reused workers (up to a million a second)
// would then be collected after every few thousand.
func gcPercent(cfg *engine.Config) int {
	if cfg.Reuse != nil {
		return 100
	}
	return 25
}

// outcome words how a run ended (its messages start with prog) and returns the exit status: it dies of
// the signal that stopped the run, reports an error (255), the exit status
// a halt calls for, or the count of failed jobs. Output that could not be
// written makes it 255 whatever the jobs did, after a line saying so.
func outcome(prog string, sum engine.Summary, sourceFlags []string, stdout, stderr *os.File) int {
	say := func(msg string) int {
		fmt.Fprintf(stderr, "%s: %s\n", prog, oneLine(msg))
		return exitError
	}
	if errors.Is(sum.Err, engine.ErrHostsDown) {
		return say("every host of -S failed; the jobs left were not run")
	}
	if errors.Is(sum.Err, engine.ErrAgentsDown) {
		return say("--slurm: the agent of every node was lost; the jobs left were not run")
	}
	pipe := errors.Is(sum.OutputErr, syscall.EPIPE) // ends the run quietly
	incomplete := sum.Lost.Any() || sum.OutputErr != nil && !pipe
	if sum.OutputErr != nil && !pipe {
		say(wordOutputErr(sum.OutputErr, stdout))
	}
	if incomplete {
		say(wordLost(sum.Lost))
	}
	switch {
	case sum.Signal != 0:
		return dieOf(sum.Signal)
	case sum.Err != nil:
		return say(wordError(withSources(sum.Err, sourceFlags)))
	case pipe:
		return dieOf(syscall.SIGPIPE)
	case sum.InputErr != nil:
		return say(wordError(withSources(sum.InputErr, sourceFlags)))
	case incomplete:
		return exitError
	case sum.Halted:
		// GNU parallel's: the exit value of the job that triggered
		// fail=1 or done=1, the percentage of jobs that failed for N%,
		// the count of failed jobs for N, 0 for success.
		return sum.HaltExit
	}
	return exitStatus(sum.Failed)
}

// exitStatus maps the count of failed jobs to parmap's exit status.
func exitStatus(failed int64) int {
	if failed > 100 {
		return exitManyFailed
	}
	return int(failed)
}

// dieOf makes parmap die of sig, as a program killed by it would; it returns
// the conventional 128+sig should the signal not end the process.
func dieOf(sig syscall.Signal) int {
	signal.Reset(sig)
	syscall.Kill(syscall.Getpid(), sig)
	return 128 + int(sig)
}
