package sshtest

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
)

// ns returns the Bed's namespace for role cli, h1 or h2: pmt-<role>-<pid>-<n>.
func (b *Bed) ns(role string) string { return "pmt-" + role + "-" + b.id }

// startNetns makes the topology of TESTBEDS.md: a client namespace with
// bridge br0 (10.200.0.1/24, no default route) and two host namespaces with
// eth0 at 10.200.0.11 and .12, each joined to the bridge by a veth pair
// created directly inside the namespaces, so nothing is added to the root
// namespace. Then it starts an sshd in each host namespace, in a UTS
// namespace of its own with hostname pm-h1 or pm-h2.
func (b *Bed) startNetns() error {
	cli := b.ns("cli")
	for _, role := range []string{"cli", "h1", "h2"} {
		if err := ip("netns", "add", b.ns(role)); err != nil {
			return err
		}
		b.namespaces = append(b.namespaces, b.ns(role))
		if err := ip("-n", b.ns(role), "link", "set", "lo", "up"); err != nil {
			return err
		}
	}
	steps := [][]string{
		{"-n", cli, "link", "add", "br0", "type", "bridge"},
		{"-n", cli, "addr", "add", "10.200.0.1/24", "dev", "br0"},
		{"-n", cli, "link", "set", "br0", "up"},
	}
	for i, role := range []string{"h1", "h2"} {
		host, peer := b.ns(role), "v"+role
		addr := fmt.Sprintf("10.200.0.%d/24", 11+i)
		steps = append(steps,
			[]string{"link", "add", "eth0", "netns", host, "type", "veth", "peer", "name", peer, "netns", cli},
			[]string{"-n", cli, "link", "set", peer, "master", "br0", "up"},
			[]string{"-n", host, "addr", "add", addr, "dev", "eth0"},
			[]string{"-n", host, "link", "set", "eth0", "up"},
		)
	}
	for _, s := range steps {
		if err := ip(s...); err != nil {
			return err
		}
	}
	// The hosts must be reached through the bridge, and nothing else.
	for _, addr := range []string{"10.200.0.11", "10.200.0.12"} {
		out, err := exec.Command("ip", "-n", cli, "route", "get", addr).CombinedOutput()
		if err != nil || !strings.Contains(string(out), "dev br0") {
			return fmt.Errorf("ip -n %s route get %s: %v: %s", cli, addr, err, strings.TrimSpace(string(out)))
		}
	}
	if out, _ := exec.Command("ip", "-n", cli, "route", "show", "default").Output(); len(strings.TrimSpace(string(out))) > 0 {
		return fmt.Errorf("namespace %s has a default route: %s", cli, out)
	}
	for _, host := range []string{H1, H2} {
		if err := b.startHost(host); err != nil {
			return err
		}
	}
	return nil
}

// startHost starts the sshd of H1 or H2 in its namespace, in a UTS namespace
// of its own with hostname pm-h1 or pm-h2.
func (b *Bed) startHost(host string) error {
	prefix := []string{"ip", "netns", "exec", b.ns(host), "unshare", "--uts", "sh", "-c", `hostname "$0" && exec "$@"`, "pm-" + host}
	return b.startSSHD(host, "0.0.0.0:22", prefix)
}

// Kill kills every process of host H1 or H2, its sshd and the sessions of
// its clients, as if the machine had crashed: the hosts' connections are
// closed and new ones refused until Restart.
func (b *Bed) Kill(host string) error {
	if b.NetnsSSH == nil || host != H1 && host != H2 {
		return fmt.Errorf("sshtest: Kill takes %s or %s, with namespaces", H1, H2)
	}
	for _, d := range b.daemons {
		if d.name == host {
			d.stop()
		}
	}
	return killNamespace(b.ns(host))
}

// killNamespace SIGKILLs every process in network namespace ns until none is
// left (a session may fork while it is being killed).
func killNamespace(ns string) error {
	for range 100 {
		out, err := exec.Command("ip", "netns", "pids", ns).Output()
		if err != nil {
			return fmt.Errorf("ip netns pids %s: %v", ns, err)
		}
		pids := strings.Fields(string(out))
		if len(pids) == 0 {
			return nil
		}
		for _, p := range pids {
			if pid, err := strconv.Atoi(p); err == nil {
				syscall.Kill(pid, syscall.SIGKILL)
			}
		}
	}
	return fmt.Errorf("sshtest: processes in namespace %s keep coming back", ns)
}

// Restart starts the sshd of host H1 or H2 again after Kill.
func (b *Bed) Restart(host string) error {
	if b.NetnsSSH == nil || host != H1 && host != H2 {
		return fmt.Errorf("sshtest: Restart takes %s or %s, with namespaces", H1, H2)
	}
	return b.startHost(host)
}

func ip(args ...string) error {
	out, err := exec.Command("ip", args...).CombinedOutput()
	if err != nil {
		return fmt.Errorf("ip %s: %v: %s", strings.Join(args, " "), err, strings.TrimSpace(string(out)))
	}
	return nil
}

var bedNamespace = regexp.MustCompile(`^pmt-(cli|h1|h2)-([0-9]+)-[0-9]+$`)

// sweepNamespaces deletes the namespaces of Beds whose test process has died
// without closing them (killed, or timed out).
func sweepNamespaces() {
	entries, err := os.ReadDir("/run/netns")
	if err != nil {
		return
	}
	for _, e := range entries {
		m := bedNamespace.FindStringSubmatch(e.Name())
		if m == nil {
			continue
		}
		pid, _ := strconv.Atoi(m[2])
		if pid == os.Getpid() || syscall.Kill(pid, 0) != syscall.ESRCH {
			continue
		}
		exec.Command("ip", "netns", "del", e.Name()).Run()
	}
}

var bedDir = regexp.MustCompile(`^pmbed-([0-9]+)-[0-9]+$`)

// sweepDirs removes the directories of Beds whose test process has died.
func sweepDirs() {
	entries, err := os.ReadDir("/tmp")
	if err != nil {
		return
	}
	for _, e := range entries {
		m := bedDir.FindStringSubmatch(e.Name())
		if m == nil {
			continue
		}
		if pid, _ := strconv.Atoi(m[1]); pid != os.Getpid() && syscall.Kill(pid, 0) == syscall.ESRCH {
			os.RemoveAll(filepath.Join("/tmp", e.Name()))
		}
	}
}
