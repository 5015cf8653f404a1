package hosts

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/parmap/parmap/channel"
	"github.com/parmap/parmap/internal/fswait"
)

// killAfter is how long a master or probe has to exit after SIGTERM: the
// grace every process parmap stops gets.
const killAfter = channel.DefaultGrace

// master is one ssh -N -o ControlMaster=yes process, a child of ours in a
// process group of its own. It is up once its control socket exists.
type master struct {
	path   string
	cmd    *exec.Cmd
	stderr *lastLine
	done   chan struct{} // closed once the process has been waited for
	err    error         // Wait's error, set before done is closed
}

// startMaster starts argv as a master whose socket will be path.
func startMaster(argv []string, path string) (*master, error) {
	m := &master{path: path, stderr: &lastLine{}, done: make(chan struct{})}
	m.cmd = exec.Command(argv[0], argv[1:]...)
	m.cmd.Stderr = m.stderr
	m.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGTERM}
	if err := m.cmd.Start(); err != nil {
		return nil, err
	}
	go func() {
		m.err = m.cmd.Wait()
		close(m.done)
	}()
	return m, nil
}

// ready waits until the master listens on its socket (ssh binds a temporary
// name and links it to path once listening), or has exited, or ctx ends, in
// which case the master is stopped.
func (m *master) ready(ctx context.Context, dir string) error {
	err := fswait.Until(ctx, dir, m.done, func() bool {
		_, err := os.Lstat(m.path)
		return err == nil
	})
	switch {
	case err == nil:
		return nil
	case errors.Is(err, fswait.ErrStopped):
		<-m.done
		return failure(m.stderr, m.err)
	default:
		m.stop()
		return err
	}
}

// exited reports whether the master process has ended.
func (m *master) exited() bool {
	select {
	case <-m.done:
		return true
	default:
		return false
	}
}

// stop ends the master's process group: SIGTERM (ssh then closes the
// connection and removes its socket), SIGKILL after killAfter.
func (m *master) stop() {
	stopGroup(m.cmd.Process.Pid, m.done)
}

// stopGroup sends SIGTERM to process group pgid, whose leader's end closes
// done, and SIGKILL after killAfter unless done is closed first; it returns
// once done is closed. It signals nothing once done is closed: the pid may
// have been reused.
func stopGroup(pgid int, done <-chan struct{}) {
	select {
	case <-done:
		return
	default:
	}
	syscall.Kill(-pgid, syscall.SIGTERM)
	t := time.NewTimer(killAfter)
	defer t.Stop()
	select {
	case <-done:
		return
	case <-t.C:
		syscall.Kill(-pgid, syscall.SIGKILL)
		<-done
	}
}

// runOnce runs argv (an ssh) to its end with stdin (nil: none) and its
// standard output going to stdout (nil: discarded), in a process group of
// its own that ctx's end stops; it returns nil for exit status 0, ctx's
// error when it ended first, else a *RunError.
func runOnce(ctx context.Context, argv []string, stdin io.Reader, stdout io.Writer) error {
	stderr := &lastLine{}
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = stdin, stdout, stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGTERM}
	if err := cmd.Start(); err != nil {
		return err
	}
	done := make(chan struct{})
	var err error
	go func() {
		err = cmd.Wait()
		close(done)
	}()
	select {
	case <-done:
	case <-ctx.Done():
		stopGroup(cmd.Process.Pid, done)
		return ctx.Err()
	}
	if err == nil {
		return nil
	}
	return &RunError{Err: failure(stderr, err), Exit: cmd.ProcessState.ExitCode()}
}

// RunError is a command run on a host that failed: Err is one line (see
// failure), Exit its exit status (255: ssh's own failure, see
// IsSSHFailure).
type RunError struct {
	Err  error
	Exit int
}

func (e *RunError) Error() string { return e.Err.Error() }
func (e *RunError) Unwrap() error { return e.Err }

// failure describes a failed ssh in one line: the last line it printed on
// stderr, or else how it ended.
func failure(stderr *lastLine, err error) error {
	if s := stderr.String(); s != "" {
		return errors.New(s)
	}
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return fmt.Errorf("ssh %s without a message", ee.ProcessState)
	}
	if err == nil {
		return errors.New("ssh ended without a message")
	}
	return err
}

// lastLine is an io.Writer that keeps the last non-empty line written to it,
// trimmed, at most maxLine bytes of it.
type lastLine struct {
	mu   sync.Mutex
	last string
	cur  []byte
}

const maxLine = 512

func (l *lastLine) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := len(p)
	for len(p) > 0 {
		i := bytes.IndexByte(p, '\n')
		if i < 0 {
			l.add(p)
			break
		}
		l.add(p[:i])
		l.endLine()
		p = p[i+1:]
	}
	return n, nil
}

func (l *lastLine) add(p []byte) {
	if room := maxLine - len(l.cur); room > 0 {
		l.cur = append(l.cur, p[:min(room, len(p))]...)
	}
}

func (l *lastLine) endLine() {
	if s := strings.TrimSpace(string(l.cur)); s != "" {
		l.last = s
	}
	l.cur = l.cur[:0]
}

// String returns the last non-empty line, counting an unfinished one.
func (l *lastLine) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	if s := strings.TrimSpace(string(l.cur)); s != "" {
		return s
	}
	return l.last
}
