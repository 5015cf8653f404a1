package cmd

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"sync"
	"syscall"
	"time"

	"github.com/parmap/parmap/internal/engine"
	"github.com/parmap/parmap/internal/records"
	"github.com/parmap/parmap/internal/runs"
)

// supervisor drives a detached run: it answers the run's control socket
// (runs.Handler) through the engine's Control and a Feed of added records,
// and saves the run's status.
type supervisor struct {
	run  *runs.Run
	meta runs.Meta
	ctl  *engine.Control

	feed *records.Feed // added records; nil when the run takes none
	sep  []byte

	mu     sync.Mutex
	queue  []string // added records not yet in feed
	closed bool     // no more records are taken; feed is closed once queue is in
	wake   chan struct{}

	ended chan struct{} // closed once the run has ended and its state is saved
	exit  int

	streams int           // Wait and Attach handlers running (under mu)
	idle    chan struct{} // closed when streams falls to 0, once asked for
}

// codedError is an error the control socket answers with a code.
type codedError struct{ code, msg string }

func (e *codedError) Error() string { return e.msg }
func (e *codedError) Code() string  { return e.code }

// supervise is this process as the supervisor of the run in dir (started
// by --detach or --resume-run): it runs inv there and returns its exit
// status (saved in the run's state.json).
func supervise(inv *invocation, dir string, resume bool, stderr io.Writer) int {
	say := func(format string, a ...any) int {
		fmt.Fprintf(stderr, "%s: %s\n", inv.prog, oneLine(fmt.Sprintf(format, a...)))
		return exitError
	}
	r, err := runs.Adopt(filepath.Dir(dir), filepath.Base(dir), os.NewFile(lockFD, "lock"))
	if err != nil {
		return say("supervisor: %v", err)
	}
	defer r.Close()
	r.SetPID(os.Getpid())
	meta, _ := r.Meta()
	cfg := *inv.cfg
	sv := &supervisor{run: r, meta: meta, ctl: engine.NewControl(),
		sep: []byte{cfg.Records.Delim}, wake: make(chan struct{}, 1), ended: make(chan struct{})}

	var stdin io.Reader = eofReader{}
	if cfg.Pipe != nil {
		f, err := os.Open(r.InputPath())
		if err != nil {
			return sv.finish(say("supervisor: %v", err))
		}
		defer f.Close()
		stdin = f
	} else {
		cfg.Sources = append([]records.Source(nil), cfg.Sources...)
		for i, s := range cfg.Sources {
			if s.ReadsStdin() {
				cfg.Sources[i] = records.File(r.InputPath())
			}
		}
		if len(cfg.Sources) == 1 {
			sv.feed = records.NewFeed()
			cfg.Sources[0] = cfg.Sources[0].Then(sv.feed)
		}
	}
	if cfg.Joblog == "" {
		cfg.Joblog = r.JobLogPath()
	}
	if resume {
		cfg.Resume = true
		if sv.feed != nil {
			added, _, err := r.Added(sv.sep)
			if err != nil {
				return sv.finish(say("supervisor: %v", err))
			}
			for _, rec := range added {
				sv.queue = append(sv.queue, string(rec))
			}
		}
	}
	l, err := r.Listen()
	if err != nil {
		return sv.finish(say("supervisor: %v", err))
	}
	served := make(chan struct{})
	go func() { runs.Serve(l, sv); close(served) }()
	if sv.feed != nil {
		go sv.pump()
		sv.wakeUp()
	}
	stopWatch, watched := make(chan struct{}), make(chan struct{})
	go func() { sv.watch(stopWatch); close(watched) }()

	sigs := make(chan os.Signal, 4)
	signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP)
	sum := engine.Run(context.Background(), &cfg, engine.Streams{
		Stdin: stdin, Stdout: os.Stdout, Stderr: os.Stderr, Signals: sigs, Control: sv.ctl,
		Word: func(n engine.Notice) string { return renamed(inv.prog, wordNotice(n)) },
	})
	signal.Stop(sigs)
	exit := 128 + int(sum.Signal)
	if sum.Signal == 0 {
		exit = outcome(inv.prog, sum, inv.sourceFlags, os.Stdout, os.Stderr)
	}
	// Only this goroutine writes state.json from now on: a save of the
	// watch after Finish would undo it.
	close(stopWatch)
	<-watched
	sv.finish(exit)
	// Wait and Attach answer the end before Serve stops: it cancels
	// what still runs.
	<-sv.streamsDone()
	l.Close()
	<-served
	return exit
}

// eofReader is an empty standard input.
type eofReader struct{}

func (eofReader) Read([]byte) (int, error) { return 0, io.EOF }

// finish saves the run's final state and lets waiting clients go.
func (sv *supervisor) finish(exit int) int {
	sv.exit = exit
	sv.run.Finish(exit, sv.Status())
	sv.closeFeed()
	close(sv.ended)
	return exit
}

// watch saves the run's status when its state changes, and its counts
// when they changed, at most ten times a second; and it closes the feed of
// added records once the run is idle (every record read and every job
// ended), checked every 20 ms, so that the run ends.
func (sv *supervisor) watch(stop <-chan struct{}) {
	t := time.NewTicker(20 * time.Millisecond)
	defer t.Stop()
	var last runs.Status
	var saved time.Time
	for {
		select {
		case <-stop:
			return
		case <-t.C:
		}
		es := sv.ctl.Status()
		st := sv.statusOf(es)
		changed := st.Done != last.Done || st.Total != last.Total || st.Failed != last.Failed || st.Jobs != last.Jobs
		if st.State != last.State || changed && time.Since(saved) >= 100*time.Millisecond {
			sv.run.SaveStatus(st)
			last, saved = st, time.Now()
		}
		// Idle: the reader waits for added records, and every record it
		// read has its job finished (Total counts records read for jobs,
		// Done their jobs ended: a record read but not yet started is not
		// idle).
		if sv.feed != nil && es.State == engine.Running && es.Running == 0 && sv.feed.Waiting() &&
			es.Done >= es.Total {
			sv.mu.Lock()
			if len(sv.queue) == 0 {
				sv.closeLocked()
			}
			sv.mu.Unlock()
		}
	}
}

// pump moves added records from the queue into the feed, in order, and
// closes the feed once closed and the queue is in.
func (sv *supervisor) pump() {
	for range sv.wake {
		sv.mu.Lock()
		q, closed := sv.queue, sv.closed
		sv.mu.Unlock()
		if len(q) > 0 {
			if sv.feed.Add(q...) != nil {
				return // the run has ended
			}
			sv.mu.Lock()
			sv.queue = sv.queue[len(q):]
			closed = sv.closed && len(sv.queue) == 0
			sv.mu.Unlock()
		}
		if closed {
			sv.feed.Close()
			return
		}
	}
}

func (sv *supervisor) wakeUp() {
	select {
	case sv.wake <- struct{}{}:
	default:
	}
}

func (sv *supervisor) closeFeed() {
	sv.mu.Lock()
	sv.closeLocked()
	sv.mu.Unlock()
}

func (sv *supervisor) closeLocked() {
	if sv.feed != nil && !sv.closed {
		sv.closed = true
		sv.wakeUp()
	}
}

// Status is the run's status as the control socket tells it.
func (sv *supervisor) Status() runs.Status { return sv.statusOf(sv.ctl.Status()) }

// statusOf is the run's status for the socket and state.json from the
// engine's.
func (sv *supervisor) statusOf(s engine.Status) runs.Status {
	state := runs.Running
	switch s.State {
	case engine.Paused:
		state = runs.Paused
	case engine.Draining:
		state = runs.Draining
	}
	return runs.Status{ID: sv.run.ID, State: state, Done: s.Done, Total: s.Total, Failed: s.Failed,
		Jobs: s.Jobs, Command: sv.meta.Command, Start: sv.meta.Start}
}

// Pause stops starting jobs.
func (sv *supervisor) Pause() error { return sv.ctl.Pause() }

// Continue starts jobs again.
func (sv *supervisor) Continue() error { return sv.ctl.Continue() }

// SetJobs resizes the run.
func (sv *supervisor) SetJobs(n int) error { return sv.ctl.SetJobs(n) }

// Stop drains the run (now: stops its jobs too); it takes no more records.
func (sv *supervisor) Stop(now bool) error {
	sv.closeFeed()
	return sv.ctl.Stop(now)
}

// Add appends records to the run, on disk first (for --resume-run): recs
// as they are, then input cut at the run's record separator.
func (sv *supervisor) Add(recs [][]byte, input []byte) error {
	recs = append(recs, splitRecords(input, sv.sep)...)
	if sv.feed == nil {
		return &codedError{"unsupported", "this run takes no added records (it reads several sources, or --pipe)"}
	}
	sv.mu.Lock()
	defer sv.mu.Unlock()
	if sv.closed {
		return &codedError{"ended", "the run has read all its records and is ending; it takes no more"}
	}
	if err := sv.run.Append(recs, sv.sep); err != nil {
		return err
	}
	for _, rec := range recs {
		sv.queue = append(sv.queue, string(rec))
	}
	sv.wakeUp()
	return nil
}

// splitRecords cuts input into records ending in sep; the last may lack
// it. Empty records are kept but for the piece after a final sep.
func splitRecords(input, sep []byte) [][]byte {
	var recs [][]byte
	for len(input) > 0 {
		i := bytes.Index(input, sep)
		if i < 0 {
			return append(recs, input)
		}
		recs = append(recs, input[:i])
		input = input[i+len(sep):]
	}
	return recs
}

// enterStream and leaveStream count the Wait and Attach handlers running.
func (sv *supervisor) enterStream() {
	sv.mu.Lock()
	sv.streams++
	sv.mu.Unlock()
}

func (sv *supervisor) leaveStream() {
	sv.mu.Lock()
	sv.streams--
	if sv.streams == 0 && sv.idle != nil {
		close(sv.idle)
		sv.idle = nil
	}
	sv.mu.Unlock()
}

// streamsDone is closed once no Wait or Attach handler runs.
func (sv *supervisor) streamsDone() <-chan struct{} {
	sv.mu.Lock()
	defer sv.mu.Unlock()
	ch := make(chan struct{})
	if sv.streams == 0 {
		close(ch)
	} else {
		sv.idle = ch
	}
	return ch
}

// Wait returns the run's exit status once it has ended.
func (sv *supervisor) Wait(ctx context.Context) (int, error) {
	sv.enterStream()
	defer sv.leaveStream()
	select {
	case <-sv.ended:
		return sv.exit, nil
	case <-ctx.Done():
		return 0, ctx.Err()
	}
}

// Attach sends the run's output from now on, and its status each second,
// until the run ends or the client detaches.
func (sv *supervisor) Attach(ctx context.Context, send func(runs.Event) error) (int, error) {
	sv.enterStream()
	defer sv.leaveStream()
	f, err := os.Open(sv.run.OutputPath())
	if err != nil {
		return 0, err
	}
	defer f.Close()
	if _, err := f.Seek(0, io.SeekEnd); err != nil {
		return 0, err
	}
	buf := make([]byte, 64<<10)
	drain := func() error {
		for {
			n, err := f.Read(buf)
			if n > 0 {
				if err := send(runs.Event{Data: append([]byte(nil), buf[:n]...)}); err != nil {
					return err
				}
			}
			if err != nil || n == 0 {
				return nil
			}
		}
	}
	t := time.NewTicker(100 * time.Millisecond)
	defer t.Stop()
	var sent time.Time
	for {
		select {
		case <-sv.ended:
			if err := drain(); err != nil {
				return 0, err
			}
			return sv.exit, nil
		case <-ctx.Done():
			return 0, ctx.Err()
		case <-t.C:
		}
		if err := drain(); err != nil {
			return 0, err
		}
		if time.Since(sent) >= time.Second {
			st := sv.Status()
			if err := send(runs.Event{Status: &st}); err != nil {
				return 0, err
			}
			sent = time.Now()
		}
	}
}
