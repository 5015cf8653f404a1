package agent

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"time"
)

// Launcher starts the agent for one node; Command is the one parmap uses.
type Launcher interface {
	Launch(node string) (*Process, error)
}

// Command launches an agent as a child process of this one: Argv(node) is
// its command line, such as srun … parmap --agent-serve, or ssh …; the
// process's stdin and stdout are the agent's. It runs in a process group
// of its own (a terminal's Ctrl-C reaches parmap only, which stops the
// jobs over the protocol) and is killed if parmap dies.
type Command struct {
	Argv func(node string) []string
	Env  []string // nil: parmap's own
	Dir  string   // its working directory; "": parmap's own
}

// Launch starts the agent's process.
func (c Command) Launch(node string) (*Process, error) {
	argv := c.Argv(node)
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Env = c.Env
	cmd.Dir = c.Dir
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	p := &Process{cmd: cmd, stderr: &tail{}}
	cmd.Stderr = p.stderr
	var err error
	if p.Stdin, err = cmd.StdinPipe(); err != nil {
		return nil, err
	}
	if p.Stdout, err = cmd.StdoutPipe(); err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	p.exited = make(chan struct{})
	go func() {
		p.waitErr = cmd.Wait()
		close(p.exited)
	}()
	return p, nil
}

// Process is a launched agent's process.
type Process struct {
	Stdin  io.WriteCloser
	Stdout io.ReadCloser

	cmd     *exec.Cmd
	stderr  *tail
	exited  chan struct{}
	waitErr error
}

// Stderr is the last line the process wrote to its stderr ("" for none).
func (p *Process) Stderr() string { return p.stderr.lastLine() }

// End closes the agent's stdin and waits up to grace for the process to
// exit; then it kills its process group.
func (p *Process) End(grace time.Duration) error {
	p.Stdin.Close()
	select {
	case <-p.exited:
	case <-time.After(grace):
		p.Kill()
		<-p.exited
	}
	return p.waitErr
}

// Kill kills the process's group at once.
func (p *Process) Kill() { syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL) }

// StartError is an agent that could not be started on a node or did not
// answer its hello.
type StartError struct {
	Node   string
	Err    error
	Stderr string // the launcher's last line on stderr, if any
	SSH    bool   // the node is an -S host (Options.SSH)
}

func (e *StartError) Error() string {
	node := "node " + e.Node
	switch {
	case e.SSH:
		node = "host " + e.Node
	case e.Node == "":
		node = "the allocation's node"
	}
	return node + ": " + e.Reason()
}

// Reason is the error without the node's name.
func (e *StartError) Reason() string {
	s := fmt.Sprintf("the agent did not start: %v", e.Err)
	if e.Stderr != "" && !strings.Contains(s, e.Stderr) {
		s += " (" + e.Stderr + ")"
	}
	return s
}

func (e *StartError) Unwrap() error { return e.Err }

// Agent is a launched agent and the connection to it.
type Agent struct {
	*Client
	Node string // the node it was launched for (else the one it says it runs on)
	proc *Process
}

// ErrHelloTimeout is an agent that did not say hello in time.
var ErrHelloTimeout = errors.New("no hello in time")

// Open launches the agent for o.Node and says hello; an agent that has
// not answered within timeout is killed. Errors are *StartError.
func Open(l Launcher, o Options, timeout time.Duration) (*Agent, error) {
	node := o.Node
	p, err := l.Launch(node)
	if err != nil {
		return nil, &StartError{Node: node, Err: err, SSH: o.SSH}
	}
	type dialed struct {
		c   *Client
		err error
	}
	ch := make(chan dialed, 1)
	go func() {
		c, err := Dial(p.Stdout, p.Stdin, o)
		ch <- dialed{c, err}
	}()
	var d dialed
	select {
	case d = <-ch:
	case <-time.After(timeout):
		p.Kill()
		d = <-ch
		d.err = ErrHelloTimeout
	}
	if d.err != nil {
		p.Kill()
		<-p.exited
		if d.err != ErrHelloTimeout && p.waitErr != nil {
			d.err = p.waitErr // "exit status 1" says more than a broken pipe
		}
		return nil, &StartError{Node: node, Err: d.err, Stderr: p.Stderr(), SSH: o.SSH}
	}
	if node == "" {
		node = d.c.Hello.Node // launched where the launcher chose
	}
	return &Agent{Client: d.c, Node: node, proc: p}, nil
}

// Pid is the launcher process's id (srun's, ssh's, or the agent's own
// when launched directly).
func (a *Agent) Pid() int { return a.proc.cmd.Process.Pid }

// End says bye, waits up to grace for the agent to finish its jobs and
// exit, and kills it then.
func (a *Agent) End(grace time.Duration) {
	a.Client.Close()
	a.proc.End(grace)
}

// tail keeps the last 4 KiB written to it.
type tail struct {
	mu  sync.Mutex
	buf []byte
}

func (t *tail) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.buf = append(t.buf, p...)
	if len(t.buf) > 4096 {
		t.buf = append([]byte(nil), t.buf[len(t.buf)-4096:]...)
	}
	return len(p), nil
}

func (t *tail) lastLine() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	lines := strings.Split(strings.TrimSpace(string(bytes.ToValidUTF8(t.buf, nil))), "\n")
	return strings.TrimSpace(lines[len(lines)-1])
}
