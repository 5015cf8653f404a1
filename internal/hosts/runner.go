// Package hosts runs parmap's jobs on other machines through the system's
// OpenSSH client: it parses -S / --sshloginfile, opens one shared connection
// (ControlMaster) per host and per SessionsPerMaster slots before the jobs fan out, and
// builds each job's ssh command line.
//
// The flow for one run:
//
//	Parse/ParseFile → New → Open(hosts) → per job: ArgvGuarded(h, slot, line, env) → exec
//	                                      (Argv for a job fed on stdin, --pipe)
//	                                      on exit 255: Probe(h) → host out, job elsewhere
//	                → Close (on every exit path)
//
// Jobs never start a master themselves (ControlMaster=no): the masters are
// child processes of parmap, made by Open, in their own process groups, killed
// by Close, and by the kernel (Pdeathsig) if parmap dies. A job whose master
// is missing simply makes a connection of its own.
package hosts

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/parmap/parmap/channel"
	"github.com/parmap/parmap/internal/template"
)

// SessionsPerMaster is how many jobs at once share one master connection.
// sshd's default MaxSessions is 10: a master asked for more sessions gets
// "Session open refused by peer" and the job falls back, with that message on
// its stderr, to a connection of its own. sshd frees a session a little after
// its job has ended, so a new job in the same slot may find the old session
// still counted: two sessions of headroom keep that from happening on a busy
// machine (seen at 10). A host with more slots gets more masters, slots 0–7
// on the first, 8–15 on the second, and so on.
const SessionsPerMaster = 8

// controlPathMax is the length of sun_path: a ControlPath must be shorter.
// ssh also binds a temporary name 17 bytes longer before linking the real one.
const controlPathMax = 108 - 18

// Runner runs jobs on ssh hosts for one parmap run. Its methods may be called
// from many goroutines at once.
type Runner struct {
	ssh       []string
	dir       string
	perMaster int

	stdin, keep *os.File // the guard pipe: ArgvGuarded's stdin, its write end

	mu      sync.Mutex
	index   map[string]int       // login → its number in control paths
	masters map[string][]*master // login → its masters, by slot/perMaster
	closed  bool
}

// New returns a Runner that runs ssh as sshCommand (nil or empty: ssh),
// which may be a wrapper or carry options, e.g. ssh -F cfg, or ip netns exec
// NS ssh. The control sockets live in a private directory made under dir
// ("" means /tmp, short enough for the 108-byte socket path limit); Close
// removes it. The directories a killed parmap left in dir are removed
// first (see sweepStale).
func New(sshCommand []string, dir string) (*Runner, error) {
	if len(sshCommand) == 0 {
		sshCommand = []string{"ssh"}
	}
	if dir == "" {
		dir = "/tmp"
	}
	sweepStale(dir)
	private, err := os.MkdirTemp(dir, controlDirPrefix+strconv.Itoa(os.Getpid())+"-")
	if err != nil {
		return nil, fmt.Errorf("ssh control directory: %w", err)
	}
	// Room for 9999 hosts with 100 masters each.
	if n := len(private) + len("/9999-99"); n > controlPathMax {
		os.Remove(private)
		return nil, fmt.Errorf("ssh control directory %s is too long for a socket path (%d > %d bytes); use a shorter one", private, n, controlPathMax)
	}
	stdin, keep, err := os.Pipe()
	if err != nil {
		os.Remove(private)
		return nil, err
	}
	return &Runner{
		ssh:       append([]string(nil), sshCommand...),
		dir:       private,
		stdin:     stdin,
		keep:      keep,
		perMaster: SessionsPerMaster,
		index:     make(map[string]int),
		masters:   make(map[string][]*master),
	}, nil
}

// Dir returns the Runner's private directory of control sockets.
func (r *Runner) Dir() string { return r.dir }

// Argv returns the command that runs one job on h: the ssh command, options
// that use h's master for this slot (-o ControlMaster=no -o ControlPath=…,
// BatchMode, -T), -p and -l when h gives them, -- h's name, and one last
// argument, the line for the remote login shell: env exported, then line in a
// subshell, so that a job killed by a signal comes back as 128+n, not as
// ssh's 255. The job's stdin is ssh's: give it the job's input (--pipe) or
// /dev/null. Prefer ArgvGuarded for jobs that take no input.
//
// line is the job's command line for sh, every record in it already quoted
// (template.QuoteLine, or parmap's template expansion); it reaches the remote
// shell byte for byte. The remote login shell must be a POSIX shell (sh,
// bash, dash, ksh, zsh); csh and fish are not supported. env holds NAME=value
// pairs such as PARMAP_SEQ=3; each value is quoted, each NAME must be a shell
// name ([A-Za-z_][A-Za-z0-9_]*) and Argv panics otherwise, as that is the
// caller's bug. The whole line must stay under 128 KiB, Linux's limit for one
// argument (locally for ssh, remotely for sh -c).
//
// slot is the job's slot on h counting from 0: jobs running at the same time
// on h must have different slots, and those below h.Slots (rounded up to
// SessionsPerMaster) use the masters Open made. For a Local host Argv
// returns sh -c with the same line.
func (r *Runner) Argv(h Host, slot int, line string, env []string) []string {
	return r.argv(h, slot, exports(env)+"(\n"+line+"\n)")
}

// ArgvGuarded is Argv for a job that reads no input, with a guard: ssh's
// stdin must be the returned file, which stays open, without data, until
// Close. On the remote side the job's stdin is /dev/null, and a watcher
// reads ssh's stdin: when it ends, because this ssh was killed (--timeout,
// Ctrl-C, --halt), or its master, or parmap died, the watcher sends SIGTERM to
// the remote session's process group (the job and everything it started),
// and SIGKILL after channel.DefaultGrace (2 s). Without it a remote job whose ssh is killed runs on
// until it ends or writes to its lost output, as ssh forwards no signal
// (without a pty). A guarded job costs one more fork remotely. For a Local
// host it returns Argv's command and a nil stdin (/dev/null).
func (r *Runner) ArgvGuarded(h Host, slot int, line string, env []string) (argv []string, stdin *os.File) {
	if h.Local {
		return r.Argv(h, slot, line, env), nil
	}
	return r.argv(h, slot, exports(env)+guard+"(\n"+line+"\n) & wait $!; exit $?"), r.stdin
}

// guard is the remote shell code before a guarded job: fd 3 takes ssh's
// stdin, the shell's becomes /dev/null (so does the job's, run in the
// background), and a watcher in the background reads fd 3 until it ends,
// then stops the session's process group, which sshd made for this session.
// An exit trap kills the watcher once the job has ended. The watcher holds no
// output open, so that ssh ends with the shell even when the shell is killed.
var guard = `exec 3<&0 </dev/null; ` +
	`{ while read -r _pm_; do :; done <&3; trap '' TERM; kill -TERM 0; sleep ` + strconv.Itoa(int(channel.DefaultGrace/time.Second)) + `; kill -KILL 0; } >/dev/null 2>&1 & ` +
	`trap "kill -KILL $! 2>/dev/null" EXIT; exec 3<&-; `

func (r *Runner) argv(h Host, slot int, remote string) []string {
	if h.Local {
		return []string{"/bin/sh", "-c", remote}
	}
	argv := r.sshArgs(h, "-T", "-o", "ControlMaster=no", "-o", "ControlPath="+r.controlPath(h, slot))
	return append(argv, remote)
}

// exports returns the shell code that sets and exports each NAME=value of
// env, the values quoted, ending in a newline; "" for no env.
func exports(env []string) string {
	if len(env) == 0 {
		return ""
	}
	var b strings.Builder
	b.WriteString("export")
	for _, kv := range env {
		name, value, _ := strings.Cut(kv, "=")
		if !shellName(name) {
			panic(fmt.Sprintf("hosts: environment name %q is not a shell name", name))
		}
		b.WriteString(" " + name + "=" + template.Quote(value))
	}
	b.WriteString("\n")
	return b.String()
}

// IsSSHFailure reports whether a job's exit value says that ssh itself failed
// (could not connect, authenticate, or lost the connection; sshd dropped it
// past MaxStartups): ssh exits 255 then. But a remote command that exits 255
// looks the same, so 255 only says "maybe": call Probe(h). If it fails, take
// h out of rotation and run the job elsewhere; if h answers, the 255 was the
// job's own, a failed job like any other (GNU parallel has the same
// ambiguity and no such check). A signal on the remote side gives 255 only
// when it kills the remote login shell itself (kill -9 $$, or kill 0): sshd
// then sends exit-signal, which ssh reports as 255. A job killed by a signal
// comes back as 128+n, as Argv runs it in a subshell.
func IsSSHFailure(exit int) bool { return exit == 255 }

// HostError is a host that could not be reached. Err is one line: the last
// line ssh printed ("ssh: connect to host 10.0.0.3 port 22: Connection
// refused"), or how ssh ended when it printed nothing.
type HostError struct {
	Host Host
	Err  error
}

func (e *HostError) Error() string { return "host " + e.Host.String() + ": " + e.Err.Error() }
func (e *HostError) Unwrap() error { return e.Err }

// ErrClosed is the error of Open and Probe after Close.
var ErrClosed = errors.New("ssh runner closed")

// Open opens the master connections of hosts, all hosts at once, before any
// job runs on them: one per SessionsPerMaster slots (a host with Slots 0
// gets one), at most 4 at a time per host so that sshd's MaxStartups
// (10 unauthenticated connections) never drops one. It returns one error per
// host, nil when all its masters are up, else a *HostError. Local hosts and
// masters already up are skipped; a master that has died is opened anew, so
// Open also brings a host back. Give ctx a deadline: an address that drops
// packets makes ssh wait for its ConnectTimeout, by default the system's TCP
// timeout.
func (r *Runner) Open(ctx context.Context, hosts []Host) []error {
	errs := make([]error, len(hosts))
	// One opener per login, with the largest number of slots asked for it.
	want := map[string]Host{}
	var order []string
	for _, h := range hosts {
		if h.Local {
			continue
		}
		k := h.String()
		if w, ok := want[k]; !ok {
			order = append(order, k)
			want[k] = h
		} else if h.Slots > w.Slots {
			want[k] = h
		}
	}
	res := make(map[string]error, len(order))
	var mu sync.Mutex
	var wg sync.WaitGroup
	for _, k := range order {
		wg.Add(1)
		go func(h Host) {
			defer wg.Done()
			err := r.openHost(ctx, h)
			mu.Lock()
			res[k] = err
			mu.Unlock()
		}(want[k])
	}
	wg.Wait()
	for i, h := range hosts {
		if !h.Local {
			errs[i] = res[h.String()]
		}
	}
	return errs
}

// openHost opens h's masters: the first alone (it tells whether h can be
// reached at all), then the others at most 4 at a time.
func (r *Runner) openHost(ctx context.Context, h Host) error {
	n := (max(h.Slots, 1) + r.perMaster - 1) / r.perMaster
	if err := r.openMaster(ctx, h, 0); err != nil {
		return err
	}
	errs := make([]error, n)
	sem := make(chan struct{}, 4)
	var wg sync.WaitGroup
	for k := 1; k < n; k++ {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			errs[k] = r.openMaster(ctx, h, k)
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
}

// openMaster starts master k of h unless it runs already, and waits until it
// listens on its control socket or has failed.
func (r *Runner) openMaster(ctx context.Context, h Host, k int) error {
	path := r.controlPath(h, k*r.perMaster)
	argv := r.sshArgs(h, "-N", "-T", "-o", "ControlMaster=yes", "-o", "ControlPersist=no", "-o", "ControlPath="+path)
	key := h.String()

	r.mu.Lock()
	if r.closed {
		r.mu.Unlock()
		return &HostError{h, ErrClosed}
	}
	ms := r.masters[key]
	if k < len(ms) && ms[k] != nil && !ms[k].exited() {
		r.mu.Unlock()
		return nil
	}
	// A master that was killed leaves its socket behind, and a new master
	// would not replace it.
	os.Remove(path)
	m, err := startMaster(argv, path)
	if err != nil {
		r.mu.Unlock()
		return &HostError{h, err}
	}
	for len(ms) <= k {
		ms = append(ms, nil)
	}
	ms[k] = m
	r.masters[key] = ms
	r.mu.Unlock()

	if err := m.ready(ctx, r.dir); err != nil {
		return &HostError{h, err}
	}
	return nil
}

// Probe checks that h answers now, with a connection of its own (not through
// a master, which may be dying): nil, or a *HostError with ssh's message.
// Call it when a job on h ended in 255 (see IsSSHFailure).
func (r *Runner) Probe(ctx context.Context, h Host) error {
	if h.Local {
		return nil
	}
	r.mu.Lock()
	closed := r.closed
	r.mu.Unlock()
	if closed {
		return &HostError{h, ErrClosed}
	}
	argv := r.sshArgs(h, "-T", "-o", "ControlMaster=no", "-o", "ControlPath=none")
	if err := runOnce(ctx, append(argv, "true"), nil, nil); err != nil {
		return &HostError{h, err}
	}
	return nil
}

// Run runs script on h through the master Open made for its slot 0, with
// stdin (nil: none), and returns what it printed on standard output. An
// error is a *RunError, or ctx's error when ctx ended first.
func (r *Runner) Run(ctx context.Context, h Host, script string, stdin io.Reader) (string, error) {
	var out strings.Builder
	if err := runOnce(ctx, r.Argv(h, 0, script, nil), stdin, &out); err != nil {
		return "", err
	}
	return out.String(), nil
}

// Close stops every master (SIGTERM to its process group, SIGKILL 2s later),
// closes the guard pipe, so that guarded jobs still running are stopped on
// their hosts, and removes the Runner's directory. Jobs still running through
// a master lose their connection and end in 255; stop them first. Close may be called more than once
// and on every exit path; later calls do nothing.
func (r *Runner) Close() error {
	r.mu.Lock()
	if r.closed {
		r.mu.Unlock()
		return nil
	}
	r.closed = true
	var all []*master
	for _, ms := range r.masters {
		for _, m := range ms {
			if m != nil {
				all = append(all, m)
			}
		}
	}
	r.mu.Unlock()
	var wg sync.WaitGroup
	for _, m := range all {
		wg.Add(1)
		go func() {
			defer wg.Done()
			m.stop()
		}()
	}
	wg.Wait()
	r.keep.Close()
	r.stdin.Close()
	return os.RemoveAll(r.dir)
}

// sshArgs returns the ssh command with opts, BatchMode, -p and -l as h
// gives them, then -- and h's name.
func (r *Runner) sshArgs(h Host, opts ...string) []string {
	argv := make([]string, 0, len(r.ssh)+len(opts)+9)
	argv = append(argv, r.ssh...)
	argv = append(argv, opts...)
	argv = append(argv, "-o", "BatchMode=yes")
	if h.Port != 0 {
		argv = append(argv, "-p", strconv.Itoa(h.Port))
	}
	if h.User != "" {
		argv = append(argv, "-l", h.User)
	}
	return append(argv, "--", h.Name)
}

// controlPath returns the socket of the master serving slot on h:
// DIR/<host number>-<slot/perMaster>.
func (r *Runner) controlPath(h Host, slot int) string {
	key := h.String()
	r.mu.Lock()
	i, ok := r.index[key]
	if !ok {
		i = len(r.index)
		r.index[key] = i
	}
	r.mu.Unlock()
	p := filepath.Join(r.dir, strconv.Itoa(i)+"-"+strconv.Itoa(max(slot, 0)/r.perMaster))
	// ssh expands % and a leading ~ in ControlPath.
	return strings.ReplaceAll(p, "%", "%%")
}

// shellName reports whether s is a name a POSIX shell can export.
func shellName(s string) bool {
	if s == "" || s[0] >= '0' && s[0] <= '9' {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c == '_' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9') {
			return false
		}
	}
	return true
}
