package agent

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/parmap/parmap/channel"
	"github.com/parmap/parmap/internal/guard"
)

// ServeArg is the argument that makes parmap an agent: "parmap
// --agent-serve", alone.
const ServeArg = "--agent-serve"

// Invoked reports whether this process was started as an agent.
func Invoked() bool { return len(os.Args) == 2 && os.Args[1] == ServeArg }

// Main serves the coordinator on stdin and stdout and returns the exit
// status: 0 after a bye, 1 when the connection broke (said on stderr).
func Main() int {
	if os.Getenv(ProbeEnv) == "1" {
		fmt.Println(ProbeLine())
		return 0
	}
	if dir := os.Getenv(TempEnv); dir != "" {
		// A copy of parmap made for this run: it goes on running once
		// its directory is gone, and nothing is left on the host.
		removeTemp(dir)
		os.Unsetenv(TempEnv)
	}
	// The jobs' process groups go to a guard, which kills them should the
	// agent be killed (kill -9, its node's OOM killer), as a run's own.
	g := guard.New(nil)
	defer g.Close()
	err := serve(os.Stdin, os.Stdout, append(os.Environ(), g.Env()), g)
	if err != nil {
		fmt.Fprintf(os.Stderr, "parmap agent: %v\n", err)
		return 1
	}
	return 0
}

// Serve is an agent: it reads the coordinator's frames from r and writes
// its own to w until the coordinator says bye and every job has ended
// (nil), or r ends or breaks (an error, once the jobs it stopped have
// ended). env is the jobs' environment, to which each job adds its own.
func Serve(r io.Reader, w io.Writer, env []string) error { return serve(r, w, env, nil) }

// serve is Serve, whose jobs' process groups go to g (nil: none).
func serve(r io.Reader, w io.Writer, env []string, g *guard.Guard) error {
	s := &server{w: newWriter(w), env: env, jobs: make(map[uint64]*served), paths: make(map[string]string),
		puts: make(map[uint64]*put), problems: make(map[uint64]*FileProblem), guard: g}
	s.wd, _ = os.Getwd()
	r = bufio.NewReaderSize(r, 64<<10)
	f, err := ReadFrame(r)
	if err != nil {
		return fmt.Errorf("no hello: %w", err)
	}
	var h Hello
	if f.Kind != KindHello {
		return &FrameError{fmt.Sprintf("first frame %q, want hello", f.Kind)}
	}
	if err := decode(f, &h); err != nil {
		return err
	}
	if h.Version != Version {
		return fmt.Errorf("protocol version %d, this agent speaks %d", h.Version, Version)
	}
	if h.Slots < 1 {
		h.Slots = 1
	}
	s.slots = make(chan int, h.Slots)
	for i := 1; i <= h.Slots; i++ {
		s.slots <- i
	}
	s.slotEnv, s.slotBase = h.SlotEnv, h.SlotBase
	me := Hello{Version: Version, Slots: h.Slots, Node: nodeName(), Pid: os.Getpid()}
	if id, step := os.Getenv("SLURM_JOB_ID"), os.Getenv("SLURM_STEP_ID"); step != "" {
		me.Step = id + "." + step
	}
	if err := s.w.write(Frame{Kind: KindHello, Payload: encode(me)}); err != nil {
		return err
	}
	for {
		f, err := ReadFrame(r)
		if err != nil {
			// The coordinator is gone: nobody wants the jobs' results.
			s.dropPuts()
			s.stopAll()
			s.wg.Wait()
			if err == io.EOF {
				err = errors.New("the coordinator went away without bye")
			}
			return err
		}
		switch f.Kind {
		case KindJob:
			var j Job
			if err := decode(f, &j); err != nil || len(j.Argv) == 0 || f.Seq == 0 {
				s.fail(f.Seq, "bad job frame")
				continue
			}
			s.start(f.Seq, j, s.problem(f.Seq))
		case KindPut:
			s.putStart(f)
		case KindData:
			if p := s.puts[f.Seq]; p != nil {
				p.in.write(f.Payload)
			}
		case KindPutEnd:
			s.putEnd(f)
		case KindSignal:
			var sig Signal
			if decode(f, &sig) == nil {
				s.signal(f.Seq, sig)
			}
		case KindCancel:
			s.cancelWaiting()
		case KindBye:
			s.dropPuts()
			s.wg.Wait()
			s.removeBasefiles()
			return s.w.write(Frame{Kind: KindBye})
		}
	}
}

// nodeName is the node the agent runs on.
func nodeName() string {
	if n := os.Getenv("SLURMD_NODENAME"); n != "" {
		return n
	}
	n, _ := os.Hostname()
	return n
}

// server is one agent's state.
type server struct {
	w        *writer
	env      []string
	slots    chan int // the free slots' numbers, 1..Slots
	slotEnv  bool     // Hello.SlotEnv
	slotBase int
	wg       sync.WaitGroup

	mu    sync.Mutex
	jobs  map[uint64]*served
	paths map[string]string // PATH lookups
	guard *guard.Guard      // nil: none
	// cancelled: the coordinator said cancel; jobs that come after it
	// (their files were still on the way) are answered not started.
	cancelled bool

	// The files being put, and what failed a job's files; only the
	// frame reader uses them (serve_files.go).
	wd        string                  // the working directory, where cleanup stops
	puts      map[uint64]*put         // the file being put, by seq (0: a basefile)
	problems  map[uint64]*FileProblem // the first file that failed, by seq
	basefiles []string                // to remove at bye (--cleanup)
	baseErr   *FileProblem            // a basefile that failed: every job fails
}

// served is one job of the agent.
type served struct {
	child  *channel.Child // nil until started
	cancel chan struct{}  // closed when it is not to start after all
	gone   bool           // cancel is closed
}

// start runs a job in a goroutine of its own, once a slot is free; a job
// cancelled or stopped while it waits is answered not started.
//
// A job one of whose files failed (problem) does not run: its result
// names the file. Once it has ended, its return files are sent back, and
// with Cleanup its files are removed, before its result.
func (s *server) start(seq uint64, j Job, problem *FileProblem) {
	sv := &served{cancel: make(chan struct{})}
	s.mu.Lock()
	s.jobs[seq] = sv
	if s.cancelled {
		sv.drop()
	}
	s.mu.Unlock()
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		var res JobResult
		switch {
		case problem != nil:
			res = JobResult{Exit: 1, File: problem, StartNs: time.Now().UnixNano()}
		default:
			select {
			case <-sv.cancel:
				res = JobResult{NotStarted: true}
			default:
				select {
				case slot := <-s.slots:
					res = s.run(seq, sv, j, slot)
					s.slots <- slot
				case <-sv.cancel:
					res = JobResult{NotStarted: true}
				}
			}
		}
		s.mu.Lock()
		delete(s.jobs, seq)
		s.mu.Unlock()
		if problem == nil && !res.NotStarted {
			s.sendReturns(seq, j, &res)
		}
		if j.Cleanup {
			s.cleanup(j)
		}
		s.w.write(Frame{Kind: KindResult, Seq: seq, Payload: encode(res)})
	}()
}

// run runs one job in slot and waits for it.
func (s *server) run(seq uint64, sv *served, j Job, slot int) JobResult {
	env := j.Env
	if s.slotEnv {
		n := strconv.Itoa(s.slotBase + slot)
		env = append(env[:len(env):len(env)], "PARMAP_SLOT="+n, "PARALLEL_JOBSLOT="+n)
	}
	spec := channel.Spec{
		Path:   s.lookPath(j.Argv[0]),
		Argv:   j.Argv,
		Env:    mergeEnv(s.env, env),
		Stdout: &chunks{w: s.w, kind: KindStdout, seq: seq},
		Stderr: &chunks{w: s.w, kind: KindStderr, seq: seq},
	}
	if s.guard != nil && s.guard.Start() == nil {
		spec.Guard = s.guard
	}
	s.mu.Lock()
	if sv.gone {
		s.mu.Unlock()
		return JobResult{NotStarted: true}
	}
	child, err := channel.Start(spec)
	if err == nil {
		sv.child = child
	}
	s.mu.Unlock()
	if err != nil {
		res := JobResult{Exit: channel.ExitNotExecutable, StartExit: channel.ExitNotExecutable, Err: err.Error(), StartNs: time.Now().UnixNano()}
		var se *channel.StartError
		if errors.As(err, &se) {
			res.Exit, res.StartExit, res.Err = se.Exit, se.Exit, se.Err.Error()
		}
		return res
	}
	var timedOut atomic.Bool
	if j.TimeoutNs > 0 {
		t := time.AfterFunc(time.Duration(j.TimeoutNs), func() {
			timedOut.Store(true)
			child.Stop(syscall.SIGTERM, time.Duration(j.GraceNs))
		})
		defer t.Stop()
	}
	r := child.Wait()
	if r.Lingering {
		channel.KillGroup(r.Pgid)
	}
	res := JobResult{Exit: r.Exit, Signal: int(r.Signal), StartNs: r.Start.UnixNano(), RuntimeNs: int64(r.Runtime), TimedOut: timedOut.Load(),
		CPUUserNs: int64(r.Usage.User), CPUSysNs: int64(r.Usage.Sys), MaxRSS: r.Usage.MaxRSS}
	if r.Err != nil {
		res.Err = r.Err.Error()
	}
	return res
}

// lookPath finds a program in PATH once per name ("" when it is not
// found: starting it then fails as it should).
func (s *server) lookPath(name string) string {
	if strings.Contains(name, "/") {
		return name
	}
	s.mu.Lock()
	p, ok := s.paths[name]
	s.mu.Unlock()
	if ok {
		return p
	}
	p, err := exec.LookPath(name)
	if err != nil {
		return ""
	}
	s.mu.Lock()
	s.paths[name] = p
	s.mu.Unlock()
	return p
}

// signal passes a signal frame on to its job.
func (s *server) signal(seq uint64, sig Signal) {
	s.mu.Lock()
	defer s.mu.Unlock()
	sv := s.jobs[seq]
	switch {
	case sv == nil:
	case sv.child == nil:
		if sig.Stop {
			sv.drop()
		}
	case sig.Stop:
		sv.child.Stop(syscall.Signal(sig.Signal), time.Duration(sig.GraceNs))
	default:
		sv.child.Signal(syscall.Signal(sig.Signal))
	}
}

// stopAll stops every job, the coordinator being gone.
func (s *server) stopAll() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, sv := range s.jobs {
		if sv.child != nil {
			sv.child.Stop(syscall.SIGTERM, 0)
		} else {
			sv.drop()
		}
	}
}

// cancelWaiting answers every job waiting for a slot not started.
func (s *server) cancelWaiting() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.cancelled = true
	for _, sv := range s.jobs {
		if sv.child == nil {
			sv.drop()
		}
	}
}

// drop makes a job that has not started never start. s.mu is held.
func (sv *served) drop() {
	if !sv.gone {
		sv.gone = true
		close(sv.cancel)
	}
}

// fail answers a job frame that cannot be run.
func (s *server) fail(seq uint64, why string) {
	res := JobResult{Exit: channel.ExitNotExecutable, StartExit: channel.ExitNotExecutable, Err: why, StartNs: time.Now().UnixNano()}
	s.w.write(Frame{Kind: KindResult, Seq: seq, Payload: encode(res)})
}

// mergeEnv is base with extra's variables added, replacing those of the
// same name.
func mergeEnv(base, extra []string) []string {
	if len(extra) == 0 {
		return base
	}
	names := make(map[string]bool, len(extra))
	for _, kv := range extra {
		name, _, _ := strings.Cut(kv, "=")
		names[name] = true
	}
	out := make([]string, 0, len(base)+len(extra))
	for _, kv := range base {
		name, _, _ := strings.Cut(kv, "=")
		if !names[name] {
			out = append(out, kv)
		}
	}
	return append(out, extra...)
}

// chunks sends a job's output as frames of at most ChunkSize.
type chunks struct {
	w    *writer
	kind byte
	seq  uint64
}

func (c *chunks) Write(p []byte) (int, error) {
	n := 0
	for len(p) > 0 {
		k := min(len(p), ChunkSize)
		if err := c.w.write(Frame{Kind: c.kind, Seq: c.seq, Payload: p[:k]}); err != nil {
			return n, err
		}
		n += k
		p = p[k:]
	}
	return n, nil
}
