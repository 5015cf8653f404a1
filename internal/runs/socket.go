package runs

import (
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"time"

	"golang.org/x/sys/unix"
)

// maxSunPath is the longest socket path a sockaddr_un holds, without the
// NUL that ends it.
const maxSunPath = len(unix.RawSockaddrUnix{}.Path) - 1

// shortPath calls fn with a path to dir/name short enough for a
// sockaddr_un: itself when it fits, else /proc/self/fd/N/name with N a
// descriptor of dir, open for the call.
func shortPath(dir, name string, fn func(path string) error) error {
	path := filepath.Join(dir, name)
	if len(path) <= maxSunPath {
		return fn(path)
	}
	fd, err := unix.Open(dir, unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return &fs.PathError{Op: "open", Path: dir, Err: err}
	}
	defer unix.Close(fd)
	if _, err := os.Stat(procFD); err != nil {
		return &PathTooLongError{Path: path, Err: err}
	}
	return fn(fmt.Sprintf("%s/%d/%s", procFD, fd, name))
}

// procFD is where a process's descriptors are files (a variable for the
// tests of a system without /proc).
var procFD = "/proc/self/fd"

// Listener is a run's control socket listening; Close removes the socket.
type Listener struct {
	*net.UnixListener
	path string
}

// Close stops listening and removes the socket file.
func (l *Listener) Close() error {
	err := l.UnixListener.Close()
	os.Remove(l.path)
	return err
}

// Listen makes the run's control socket, mode 0600, and listens on it. A
// socket left by a dead supervisor is removed first: call it holding the
// run's lock.
func (r *Run) Listen() (*Listener, error) {
	path := r.SocketPath()
	if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	var l *net.UnixListener
	err := shortPath(r.Dir, SocketName, func(p string) error {
		var err error
		l, err = net.ListenUnix("unix", &net.UnixAddr{Name: p, Net: "unix"})
		return err
	})
	if err != nil {
		return nil, err
	}
	// Go would unlink the name it bound on Close: a /proc/self/fd path
	// means another thing once the descriptor is closed. Listener.Close
	// removes the real path.
	l.SetUnlinkOnClose(false)
	// The directory is 0700 already; the socket is owner-only too, before
	// anyone is accepted.
	if err := os.Chmod(path, 0o600); err != nil {
		l.Close()
		os.Remove(path)
		return nil, err
	}
	return &Listener{UnixListener: l, path: path}, nil
}

// dialUnix connects to the control socket in dir, refusing one whose
// socket file or directory is owned by another user (*ForeignSocketError),
// and a server of another uid.
func dialUnix(dir string, timeout time.Duration) (*net.UnixConn, error) {
	path := filepath.Join(dir, SocketName)
	uid := os.Getuid()
	for _, p := range []string{dir, path} {
		var st unix.Stat_t
		if err := unix.Lstat(p, &st); err != nil {
			if errors.Is(err, unix.ENOENT) {
				return nil, &NotLiveError{Dir: dir, Err: err}
			}
			return nil, &fs.PathError{Op: "lstat", Path: p, Err: err}
		}
		if int(st.Uid) != uid {
			return nil, &ForeignSocketError{Path: p, UID: int(st.Uid)}
		}
	}
	var conn net.Conn
	err := shortPath(dir, SocketName, func(p string) error {
		var err error
		conn, err = net.DialTimeout("unix", p, timeout)
		return err
	})
	if err != nil {
		var tl *PathTooLongError
		if errors.As(err, &tl) {
			return nil, err
		}
		return nil, &NotLiveError{Dir: dir, Err: unwrapOp(err)}
	}
	uc := conn.(*net.UnixConn)
	if peer, err := peerUID(uc); err == nil && peer != uid {
		uc.Close()
		return nil, &ForeignSocketError{Path: path, UID: peer}
	}
	return uc, nil
}

// unwrapOp returns the cause inside a *net.OpError and *os.SyscallError.
func unwrapOp(err error) error {
	var oe *net.OpError
	if errors.As(err, &oe) {
		err = oe.Err
	}
	var se *os.SyscallError
	if errors.As(err, &se) {
		err = se.Err
	}
	return err
}

// peerUID returns the uid of the process at the other end of c
// (SO_PEERCRED: the one that connected, or listened).
func peerUID(c *net.UnixConn) (int, error) {
	rc, err := c.SyscallConn()
	if err != nil {
		return -1, err
	}
	var cred *unix.Ucred
	var cerr error
	err = rc.Control(func(fd uintptr) {
		cred, cerr = unix.GetsockoptUcred(int(fd), unix.SOL_SOCKET, unix.SO_PEERCRED)
	})
	if err == nil {
		err = cerr
	}
	if err != nil {
		return -1, err
	}
	return int(cred.Uid), nil
}
