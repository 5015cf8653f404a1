// Package sshtest starts real OpenSSH servers for tests: one on 127.0.0.1 and
// 127.0.0.2, and, when network namespaces are allowed, two "remote hosts" in
// namespaces of their own, with hostnames of their own, reachable from a
// client namespace. It needs root; it installs openssh-server with apt-get
// when sshd is missing. Nothing it starts outlives the test process: the sshd
// processes are its children (Pdeathsig); Close stops them, kills whatever
// still runs in the namespaces and the per-connection sshd processes (they
// leave the daemon's group, but hold its log file in Dir open: see
// testbed.Marked), and deletes the namespaces and files; a reaper process does
// the same when the test process dies first (a panic, go test -timeout);
// the next Start also sweeps what a dead test process left.
//
// Only tests import it; parmap's binary does not.
package sshtest

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/parmap/parmap/internal/testbed"
)

// The host aliases of the Bed's ssh_config.
const (
	Local  = "local"  // sshd on 127.0.0.1, through Bed.SSH
	Local2 = "local2" // the same sshd on 127.0.0.2: a second loopback host
	Down   = "down"   // 127.0.0.1 on a port reserved and not listening: refused
	H1     = "h1"     // sshd in namespace pmt-h1-<id>, hostname pm-h1, through Bed.NetnsSSH
	H2     = "h2"     // sshd in namespace pmt-h2-<id>, hostname pm-h2, through Bed.NetnsSSH
)

// ErrUnavailable marks errors of Start that come from the machine, not from
// the code under test: not root, or openssh-server cannot be installed.
// Tests skip on it.
var ErrUnavailable = errors.New("ssh test bed unavailable")

// Bed is a set of running sshd servers and the client files to reach them.
type Bed struct {
	// Dir is the Bed's private directory (keys, configs, logs, pid files),
	// /tmp/pmbed-<pid>-<random>: short enough to hold a Runner's control
	// sockets (hosts.New(ssh, bed.Dir)), and removed by Close, or by the
	// next Start once this process has died.
	Dir string
	// Config is the ssh_config: the aliases above, the host key pinned,
	// BatchMode yes, LogLevel ERROR, User set to User.
	Config string
	// User is the login user on every host: pmssh (shell /bin/sh, made by
	// Start when missing), or root when it cannot be made.
	User string
	// SSH is the ssh command for Local, Local2 and Down: ssh -F Config.
	SSH []string
	// NetnsSSH is the ssh command for H1, H2 and Down: ip netns exec
	// pmt-cli-<id> ssh -F Config. It is nil when namespaces are refused,
	// and NetnsErr says why.
	NetnsSSH []string
	NetnsErr error
	// Setup is how long Start took.
	Setup time.Duration

	id         string
	daemons    []*daemon
	namespaces []string
	reserved   int // a bound, non-listening socket holding Down's port
	reaper     *exec.Cmd
	reaperPipe *os.File
	closeOnce  sync.Once
	closeErr   error
}

var seq struct {
	mu sync.Mutex
	n  int
}

// Start installs OpenSSH if needed and starts the servers. Errors wrapping
// ErrUnavailable mean the machine cannot run them; a failure of the namespace
// part alone is not an error but NetnsErr. On error nothing is left running.
func Start() (b *Bed, err error) {
	t0 := time.Now()
	if os.Geteuid() != 0 {
		return nil, fmt.Errorf("%w: sshd test servers need root", ErrUnavailable)
	}
	if err := ensureOpenSSH(); err != nil {
		return nil, err
	}
	seq.mu.Lock()
	seq.n++
	id := strconv.Itoa(os.Getpid()) + "-" + strconv.Itoa(seq.n)
	seq.mu.Unlock()
	sweepNamespaces()

	sweepDirs()
	dir, err := os.MkdirTemp("/tmp", "pmbed-"+strconv.Itoa(os.Getpid())+"-")
	if err != nil {
		return nil, err
	}
	b = &Bed{Dir: dir, Config: filepath.Join(dir, "ssh_config"), id: id, reserved: -1}
	defer func() {
		if err != nil {
			b.Close()
			b = nil
		}
	}()
	// The login user reads authorized_keys from here.
	if err := os.Chmod(dir, 0o755); err != nil {
		return nil, err
	}
	b.User = ensureUser("pmssh")
	if err := b.keys(); err != nil {
		return nil, err
	}
	downPort, err := b.reservePort()
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll("/run/sshd", 0o755); err != nil {
		return nil, err
	}
	port, err := b.startLocal()
	if err != nil {
		return nil, err
	}
	if err := b.writeClientConfig(port, downPort); err != nil {
		return nil, err
	}
	b.SSH = []string{"ssh", "-F", b.Config}
	if err := b.startNetns(); err != nil {
		b.NetnsErr = err
	} else {
		b.NetnsSSH = []string{"ip", "netns", "exec", b.ns("cli"), "ssh", "-F", b.Config}
	}
	if err := b.check(); err != nil {
		return nil, err
	}
	if err := b.startReaper(); err != nil {
		return nil, err
	}
	b.Setup = time.Since(t0)
	return b, nil
}

// Log returns the log of the sshd of host Local, H1 or H2.
func (b *Bed) Log(host string) string {
	data, _ := os.ReadFile(filepath.Join(b.Dir, "sshd-"+host+".log"))
	return string(data)
}

// Close stops every sshd by its process group, kills whatever else runs in
// the namespaces (the hosts' sessions, clients in the client namespace),
// ends the per-connection sshd processes of Local (connections still open)
// with SIGTERM, then deletes the namespaces (and with them their veths and
// bridge) and the Bed's directory. Later calls return the first call's
// result.
func (b *Bed) Close() error {
	b.closeOnce.Do(func() {
		var errs []error
		for _, d := range b.daemons {
			d.stop()
		}
		for _, ns := range b.namespaces {
			errs = append(errs, killNamespace(ns))
		}
		// Connections still open (an ssh master that has not exited yet):
		// sshd ends one on SIGTERM.
		testbed.Stop(b.Dir, syscall.SIGTERM, 10*time.Second)
		for i := len(b.namespaces) - 1; i >= 0; i-- {
			if out, err := exec.Command("ip", "netns", "del", b.namespaces[i]).CombinedOutput(); err != nil {
				errs = append(errs, fmt.Errorf("ip netns del %s: %v: %s", b.namespaces[i], err, strings.TrimSpace(string(out))))
			}
		}
		if b.reserved >= 0 {
			syscall.Close(b.reserved)
		}
		errs = append(errs, os.RemoveAll(b.Dir))
		if b.reaper != nil {
			b.reaperPipe.Close()
			b.reaper.Wait()
		}
		b.closeErr = errors.Join(errs...)
	})
	return b.closeErr
}

// startReaper starts a dead man's switch: a shell in a session of its own
// that waits for the end of a pipe whose other end only this process holds,
// then kills what runs in the namespaces and the processes of the Bed (see
// testbed.Marked), and deletes the namespaces and the directory. So a test
// process that dies without Close (a panic, go test's -timeout) leaves
// nothing behind: its sshd processes die with it (Pdeathsig), and the
// reaper does the rest. Close does the same work itself, then ends the
// reaper.
func (b *Bed) startReaper() error {
	r, w, err := os.Pipe()
	if err != nil {
		return err
	}
	defer r.Close()
	// sshd processes hold their log file in the directory open (see
	// testbed.Marked).
	script := `read _
for ns do ip netns pids "$ns" 2>/dev/null | xargs -r kill -KILL; ip netns del "$ns" 2>/dev/null; done
for p in /proc/[0-9]*; do ls -l "$p/fd" 2>/dev/null | grep -qF -- "-> $0/" && kill -KILL "${p#/proc/}"; done
rm -rf "$0"`
	cmd := exec.Command("sh", append([]string{"-c", script, b.Dir}, b.namespaces...)...)
	cmd.Stdin = r
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := cmd.Start(); err != nil {
		w.Close()
		return err
	}
	b.reaper, b.reaperPipe = cmd, w
	return nil
}

// keys makes the host key, the user key, authorized_keys and known_hosts.
func (b *Bed) keys() error {
	for _, name := range []string{"host_ed25519", "id_ed25519"} {
		out, err := exec.Command("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "pmbed", "-f", filepath.Join(b.Dir, name)).CombinedOutput()
		if err != nil {
			return fmt.Errorf("ssh-keygen: %v: %s", err, strings.TrimSpace(string(out)))
		}
	}
	hostPub, err := os.ReadFile(filepath.Join(b.Dir, "host_ed25519.pub"))
	if err != nil {
		return err
	}
	userPub, err := os.ReadFile(filepath.Join(b.Dir, "id_ed25519.pub"))
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(b.Dir, "authorized_keys"), userPub, 0o644); err != nil {
		return err
	}
	// Every server has the same host key, pinned under one alias.
	return os.WriteFile(filepath.Join(b.Dir, "known_hosts"), append([]byte("pmbed "), hostPub...), 0o644)
}

// reservePort binds a TCP socket on 127.0.0.1 without listening: connections
// to its port are refused for as long as the Bed lives.
func (b *Bed) reservePort() (int, error) {
	fd, err := syscall.Socket(syscall.AF_INET, syscall.SOCK_STREAM|syscall.SOCK_CLOEXEC, 0)
	if err != nil {
		return 0, err
	}
	b.reserved = fd
	if err := syscall.Bind(fd, &syscall.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}}); err != nil {
		return 0, err
	}
	sa, err := syscall.Getsockname(fd)
	if err != nil {
		return 0, err
	}
	return sa.(*syscall.SockaddrInet4).Port, nil
}

// startLocal starts the sshd of Local and Local2 on a free port, trying
// again with another port if one was taken meanwhile.
func (b *Bed) startLocal() (int, error) {
	var err error
	for range 5 {
		var port int
		if port, err = freePort(); err != nil {
			return 0, err
		}
		listen := fmt.Sprintf("127.0.0.1:%d\nListenAddress 127.0.0.2:%d", port, port)
		if err = b.startSSHD(Local, listen, nil); err == nil {
			return port, nil
		}
		if !strings.Contains(err.Error(), "Address already in use") && !strings.Contains(err.Error(), "Cannot bind") {
			break
		}
	}
	return 0, err
}

// freePort returns a TCP port free on 127.0.0.1 and 127.0.0.2 just now.
func freePort() (int, error) {
	fd, err := syscall.Socket(syscall.AF_INET, syscall.SOCK_STREAM|syscall.SOCK_CLOEXEC, 0)
	if err != nil {
		return 0, err
	}
	defer syscall.Close(fd)
	if err := syscall.Bind(fd, &syscall.SockaddrInet4{Addr: [4]byte{127, 0, 0, 2}}); err != nil {
		return 0, err
	}
	sa, err := syscall.Getsockname(fd)
	if err != nil {
		return 0, err
	}
	return sa.(*syscall.SockaddrInet4).Port, nil
}

// startSSHD writes sshd-NAME.conf and starts sshd with it under prefix
// (a namespace wrapper, or nil), listening on listen.
func (b *Bed) startSSHD(name, listen string, prefix []string) error {
	conf := filepath.Join(b.Dir, "sshd-"+name+".conf")
	pid := filepath.Join(b.Dir, "sshd-"+name+".pid")
	log := filepath.Join(b.Dir, "sshd-"+name+".log")
	text := fmt.Sprintf(`ListenAddress %s
HostKey %s
PidFile %s
AuthorizedKeysFile %s
StrictModes no
UsePAM no
PermitRootLogin prohibit-password
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
PrintMotd no
PrintLastLog no
X11Forwarding no
UseDNS no
LogLevel INFO
SetEnv PM_HOST=%s
`, listen, filepath.Join(b.Dir, "host_ed25519"), pid, filepath.Join(b.Dir, "authorized_keys"), name)
	if err := os.WriteFile(conf, []byte(text), 0o644); err != nil {
		return err
	}
	os.Remove(pid)
	os.Remove(log)
	argv := append(append([]string(nil), prefix...), "/usr/sbin/sshd", "-D", "-f", conf, "-E", log)
	d, err := startDaemon(name, argv)
	if err != nil {
		return err
	}
	b.daemons = append(b.daemons, d)
	// sshd writes its pid file once it listens.
	if err := d.waitFile(b.Dir, pid, 10*time.Second); err != nil {
		return fmt.Errorf("sshd %s: %v: %s", name, err, lastLine(b.Log(name)))
	}
	return nil
}

// writeClientConfig writes the ssh_config. Host blocks come before Host *
// because ssh keeps the first value it reads.
func (b *Bed) writeClientConfig(port, downPort int) error {
	text := fmt.Sprintf(`Host %s
  HostName 127.0.0.1
  Port %d
Host %s
  HostName 127.0.0.2
  Port %d
Host %s
  HostName 127.0.0.1
  Port %d
Host %s
  HostName 10.200.0.11
Host %s
  HostName 10.200.0.12
Host *
  Port 22
  User %s
  IdentityFile %s
  IdentitiesOnly yes
  UserKnownHostsFile %s
  GlobalKnownHostsFile /dev/null
  HostKeyAlias pmbed
  StrictHostKeyChecking yes
  UpdateHostKeys no
  CheckHostIP no
  BatchMode yes
  LogLevel ERROR
  KexAlgorithms curve25519-sha256
  PasswordAuthentication no
  KbdInteractiveAuthentication no
  AddressFamily inet
  ConnectTimeout 10
`, Local, port, Local2, port, Down, downPort, H1, H2, b.User,
		filepath.Join(b.Dir, "id_ed25519"), filepath.Join(b.Dir, "known_hosts"))
	return os.WriteFile(b.Config, []byte(text), 0o644)
}

// check logs in once on every host the Bed offers, all at once. A failure on
// Local or Local2 is an error; one on H1 or H2 turns the namespaces off.
func (b *Bed) check() error {
	hosts := []string{Local, Local2, H1, H2}
	errs := make([]error, len(hosts))
	var wg sync.WaitGroup
	for i, host := range hosts {
		ssh := b.SSH
		if host == H1 || host == H2 {
			if ssh = b.NetnsSSH; ssh == nil {
				continue
			}
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			argv := append(append([]string(nil), ssh...), host, "true")
			out, err := exec.CommandContext(ctx, argv[0], argv[1:]...).CombinedOutput()
			if err != nil {
				errs[i] = fmt.Errorf("ssh %s true: %v: %s", host, err, strings.TrimSpace(string(out)))
			}
		}()
	}
	wg.Wait()
	if err := errors.Join(errs[2:]...); err != nil {
		b.NetnsSSH, b.NetnsErr = nil, err
	}
	return errors.Join(errs[:2]...)
}

// lastLine returns the last non-empty line of s.
func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return strings.TrimSpace(lines[len(lines)-1])
}
