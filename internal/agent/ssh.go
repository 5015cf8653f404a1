package agent

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/parmap/parmap/internal/hosts"
	"github.com/parmap/parmap/internal/template"
)

// ProbeEnv, set to 1 in the environment of "parmap --agent-serve", makes
// it print ProbeLine and exit: how SSH asks whether the parmap on a
// host's PATH speaks this protocol and runs there.
const ProbeEnv = "PARMAP_AGENT_PROBE"

// TempEnv names the private directory an agent's binary was copied to;
// the agent removes it as it starts (its binary goes on running).
const TempEnv = "PARMAP_AGENT_TEMP"

// tempPrefix starts the name of every directory SSH copies parmap to; an
// agent removes TempEnv's directory only when its name starts so.
const tempPrefix = "parmap-agent."

// ProbeLine is what an agent answers ProbeEnv: its protocol version and
// the platform it was built for.
func ProbeLine() string {
	return fmt.Sprintf("parmap-agent %d %s/%s", Version, runtime.GOOS, runtime.GOARCH)
}

// removeTemp removes the directory TempEnv names, when it is one SSH made.
func removeTemp(dir string) {
	if filepath.IsAbs(dir) && strings.HasPrefix(filepath.Base(dir), tempPrefix) {
		os.RemoveAll(dir)
	}
}

// SSH launches agents on -S hosts with the system's ssh, over one master
// connection per host (Runner). Each host runs the parmap on its PATH when
// that one answers ProbeEnv with this ProbeLine; otherwise Exe (this
// static binary) is first copied to a private directory there
// (mktemp -d, mode 0700), which the agent removes as it starts. A host of
// another platform gets an *ArchError; a copy cut short, a *CopyError.
// The node names of Launch are Host.String(); a Local host (-S :) runs
// its agent here, as a child process.
type SSH struct {
	Command []string              // the ssh command (--ssh); nil: ssh
	Hosts   map[string]hosts.Host // by Host.String()
	Exe     string
	// Timeout bounds opening the connection, probing and copying; 0 is
	// five minutes.
	Timeout time.Duration

	once    sync.Once
	runner  *hosts.Runner // made by the first Launch of a remote host
	openErr error
}

// Launch readies the host and starts its agent.
func (s *SSH) Launch(node string) (*Process, error) {
	h, ok := s.Hosts[node]
	if !ok {
		return nil, fmt.Errorf("no -S host %q", node)
	}
	if h.Local {
		return Command{Argv: func(string) []string { return []string{s.Exe, ServeArg} }}.Launch(node)
	}
	timeout := s.Timeout
	if timeout <= 0 {
		timeout = 5 * time.Minute
	}
	s.once.Do(func() { s.runner, s.openErr = hosts.New(s.Command, "") })
	if s.openErr != nil {
		return nil, s.openErr
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	one := h
	one.Slots = 1 // the agent's session is the only one on its master
	if err := s.runner.Open(ctx, []hosts.Host{one})[0]; err != nil {
		var he *hosts.HostError
		if errors.As(err, &he) {
			err = he.Err // the host is named by the caller
		}
		return nil, err
	}
	remote, err := s.prepare(ctx, h)
	if err != nil {
		return nil, err
	}
	argv := s.runner.Argv(h, 0, remote, nil)
	return Command{Argv: func(string) []string { return argv }}.Launch(node)
}

// Close closes the master connections. Call it once the agents have
// ended, and only then.
func (s *SSH) Close() error {
	s.once.Do(func() {}) // no Runner is made after Close
	if s.runner == nil {
		return nil
	}
	return s.runner.Close()
}

// probeScript prints the host's uname -sm and, when a parmap is on its
// PATH, that parmap's answer to ProbeEnv (nothing from one that does not
// know it).
var probeScript = "uname -sm; if command -v parmap >/dev/null 2>&1; then " +
	ProbeEnv + "=1 parmap " + ServeArg + " </dev/null 2>/dev/null; fi; true"

// prepare probes h and copies Exe there when needed; it returns the
// remote command that starts the agent.
func (s *SSH) prepare(ctx context.Context, h hosts.Host) (string, error) {
	out, err := s.run(ctx, h, probeScript, nil)
	if err != nil {
		return "", err
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) > 1 && strings.TrimSpace(lines[1]) == ProbeLine() {
		return "exec parmap " + ServeArg, nil
	}
	if err := checkPlatform(strings.TrimSpace(lines[0])); err != nil {
		return "", err
	}
	dir, err := s.copy(ctx, h)
	if err != nil {
		return "", err
	}
	q := template.Quote(dir)
	return fmt.Sprintf("%s=%s %s/parmap %s; s=$?; rm -rf %s; exit $s", TempEnv, q, q, ServeArg, q), nil
}

// copyScript makes a private directory, writes standard input to parmap
// in it, checks that every byte arrived (a connection lost on the way
// ends the input early) and prints the directory. %d is the size.
const copyScript = `umask 077; d=$(mktemp -d "${TMPDIR:-/tmp}/` + tempPrefix + `XXXXXXXX") || exit 3; ` +
	`cat > "$d/parmap"; n=$(wc -c < "$d/parmap"); ` +
	`if [ "$n" -ne %d ]; then rm -rf "$d"; echo "only $n of %d bytes arrived" >&2; exit 3; fi; ` +
	`chmod 700 "$d/parmap" && echo "$d"`

// copy copies Exe to a new private directory on h and returns its path.
func (s *SSH) copy(ctx context.Context, h hosts.Host) (string, error) {
	f, err := os.Open(s.Exe)
	if err != nil {
		return "", err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return "", err
	}
	out, err := s.run(ctx, h, fmt.Sprintf(copyScript, st.Size(), st.Size()), f)
	if err != nil {
		return "", &CopyError{Err: err}
	}
	dir := strings.TrimSpace(out)
	if !filepath.IsAbs(dir) || !strings.HasPrefix(filepath.Base(dir), tempPrefix) || strings.ContainsAny(dir, "\n") {
		return "", &CopyError{Err: fmt.Errorf("the host answered %q, not a directory", dir)}
	}
	return dir, nil
}

// run runs script on h through its master (hosts.Runner.Run).
func (s *SSH) run(ctx context.Context, h hosts.Host, script string, stdin io.Reader) (string, error) {
	out, err := s.runner.Run(ctx, h, script, stdin)
	if errors.Is(err, context.DeadlineExceeded) {
		err = errors.New("the host did not answer in time")
	}
	return out, err
}

// ArchError is a host parmap's binary cannot run on: another system or
// processor (uname -sm), and no parmap of this protocol on its PATH.
type ArchError struct {
	Uname string // the host's uname -sm
}

func (e *ArchError) Error() string {
	return fmt.Sprintf("the host is %s and this parmap is built for %s/%s, and no parmap of agent protocol %d is on the host's PATH; install one there",
		e.Uname, runtime.GOOS, runtime.GOARCH, Version)
}

// CopyError is a copy of parmap to a host that failed; Lost reports ssh's
// own failure (exit 255: the connection was lost).
type CopyError struct {
	Err error
}

func (e *CopyError) Error() string {
	if e.Lost() {
		return "the connection was lost while copying parmap there (" + e.Err.Error() + ")"
	}
	return "copying parmap there failed: " + e.Err.Error()
}

func (e *CopyError) Unwrap() error { return e.Err }

// Lost reports whether the copy failed because ssh did.
func (e *CopyError) Lost() bool {
	var re *hosts.RunError
	return errors.As(e.Err, &re) && hosts.IsSSHFailure(re.Exit)
}

// checkPlatform checks that uname -sm names the platform this binary was
// built for.
func checkPlatform(uname string) error {
	sys, machine, _ := strings.Cut(uname, " ")
	if strings.ToLower(sys) == runtime.GOOS && archOf(machine) == runtime.GOARCH {
		return nil
	}
	return &ArchError{Uname: uname}
}

// archOf is GOARCH's name for uname -m's machine.
func archOf(machine string) string {
	switch machine {
	case "x86_64", "amd64":
		return "amd64"
	case "aarch64", "arm64", "aarch64_be":
		return "arm64"
	case "i386", "i486", "i586", "i686":
		return "386"
	case "ppc64le", "ppc64", "s390x", "riscv64", "mips64", "mips64le", "loong64":
		return machine
	case "loongarch64":
		return "loong64"
	}
	if strings.HasPrefix(machine, "armv") {
		return "arm"
	}
	return machine + "?" // matches no GOARCH
}
