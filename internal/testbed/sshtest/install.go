package sshtest

import (
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"
	"time"
)

var installOnce struct {
	sync.Once
	err error
}

// ensureOpenSSH installs openssh-server and openssh-client with apt-get when
// sshd, ssh or ssh-keygen is missing, running apt-get update only if the
// first attempt fails. It waits for a dpkg lock held by a concurrent install.
func ensureOpenSSH() error {
	installOnce.Do(func() { installOnce.err = install() })
	return installOnce.err
}

func install() error {
	if have("/usr/sbin/sshd") && haveCmd("ssh") && haveCmd("ssh-keygen") && haveCmd("ip") {
		return nil
	}
	if !haveCmd("apt-get") {
		return fmt.Errorf("%w: /usr/sbin/sshd is missing and there is no apt-get to install openssh-server", ErrUnavailable)
	}
	get := []string{"apt-get", "-o", "DPkg::Lock::Timeout=120", "install", "-y", "--no-install-recommends", "openssh-server", "openssh-client", "iproute2"}
	out, err := apt(get...)
	if err != nil {
		if _, uerr := apt("apt-get", "-o", "DPkg::Lock::Timeout=120", "update"); uerr == nil {
			out, err = apt(get...)
		}
	}
	if err != nil {
		return fmt.Errorf("%w: apt-get install openssh-server: %v: %s", ErrUnavailable, err, lastLine(out))
	}
	if !have("/usr/sbin/sshd") {
		return fmt.Errorf("%w: apt-get installed openssh-server but /usr/sbin/sshd is missing", ErrUnavailable)
	}
	return nil
}

func apt(argv ...string) (string, error) {
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Env = append(os.Environ(), "DEBIAN_FRONTEND=noninteractive")
	out, err := cmd.CombinedOutput()
	return string(out), err
}

func have(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

func haveCmd(name string) bool {
	_, err := exec.LookPath(name)
	return err == nil
}

// ensureUser returns name after making it, when missing, a user with shell
// /bin/sh and a home of its own whose password is "*" rather than locked
// (sshd refuses locked accounts without PAM). A /bin/sh user logs in in a few
// milliseconds where root's bash runs ~/.bashrc on every command. It returns
// root when the user cannot be made.
func ensureUser(name string) string {
	if exec.Command("id", "-u", name).Run() == nil {
		out, err := exec.Command("getent", "shadow", name).Output()
		if f := strings.Split(string(out), ":"); err == nil && len(f) > 1 && strings.HasPrefix(f[1], "!") {
			exec.Command("usermod", "-p", "*", name).Run()
		}
		return name
	}
	// useradd fails while another process holds /etc/passwd's lock.
	for i := 0; i < 20; i++ {
		out, err := exec.Command("useradd", "-m", "-s", "/bin/sh", "-p", "*", name).CombinedOutput()
		if err == nil || exec.Command("id", "-u", name).Run() == nil {
			return name
		}
		if !strings.Contains(string(out), "lock") {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	return "root"
}
