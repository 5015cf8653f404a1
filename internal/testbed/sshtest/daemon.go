package sshtest

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"time"

	"github.com/parmap/parmap/internal/fswait"
)

// daemon is a server process of the Bed, a child of the test process in a
// process group of its own, killed with the test process if it dies. The
// per-connection processes sshd starts leave its group; they are known by
// the log file in the Bed's directory they hold open (testbed.Marked).
type daemon struct {
	name string
	cmd  *exec.Cmd
	done chan struct{} // closed once the process has been waited for
}

func startDaemon(name string, argv []string) (*daemon, error) {
	d := &daemon{name: name, done: make(chan struct{})}
	d.cmd = exec.Command(argv[0], argv[1:]...)
	d.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := d.cmd.Start(); err != nil {
		return nil, err
	}
	go func() {
		d.cmd.Wait()
		close(d.done)
	}()
	return d, nil
}

// waitFile waits until the daemon has written file, a line ending in a
// newline (a pid file), and fails if the daemon exits first.
func (d *daemon) waitFile(dir, file string, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	err := fswait.Until(ctx, dir, d.done, func() bool {
		data, err := os.ReadFile(file)
		return err == nil && strings.HasSuffix(string(data), "\n")
	})
	if errors.Is(err, fswait.ErrStopped) {
		return errors.New("exited at start")
	}
	return err
}

// stop sends SIGTERM to the daemon's group, SIGKILL after 5 s, and waits.
// Once the daemon has been waited for, it signals nothing (the pid may have
// been reused).
func (d *daemon) stop() {
	select {
	case <-d.done:
		return
	default:
	}
	syscall.Kill(-d.cmd.Process.Pid, syscall.SIGTERM)
	t := time.NewTimer(5 * time.Second)
	defer t.Stop()
	select {
	case <-d.done:
	case <-t.C:
		syscall.Kill(-d.cmd.Process.Pid, syscall.SIGKILL)
		<-d.done
	}
}
