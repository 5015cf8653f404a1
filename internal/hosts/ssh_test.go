package hosts

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/parmap/parmap/internal/template"
	"github.com/parmap/parmap/internal/testbed/sshtest"
)

// records must reach the remote shell byte for byte.
func records() []string {
	big := make([]byte, 10<<10)
	for i := range big {
		big[i] = byte(1 + i%255) // every byte but NUL
	}
	return []string{
		"a b", "it's", `"q"`, "$HOME", "`id`", "$(id)", "${X:-y}", "x;y", "a|b&c",
		"line1\nline2", "\n", "", "-n", `\`, `\n`, "*", "~", "#c", " a  b\t", "'", `'"'"'`,
		"!", "é ü 漢", "<x >y", "=ls", "a==ls", "a=~", "^x", "x#", "{a,b}", "%1", "\x83\xff",
		string(big),
	}
}

// quotingHosts returns a Runner and the hosts to check quoting on: this
// machine, the bed's login user (/bin/sh), and root, whose shell is bash.
func quotingHosts(t *testing.T) (*Runner, []Host) {
	b := testBed(t)
	hs := []Host{{Local: true}, {Name: sshtest.Local}, {User: "root", Name: sshtest.Local2}}
	r := newRunner(t, b.SSH, b.Dir)
	open(t, r, hs...)
	return r, hs
}

func TestRecordsArriveLiteral(t *testing.T) {
	r, hs := quotingHosts(t)
	for _, h := range hs {
		recs := records()
		if h.User == "root" { // root's ~/.bashrc may be slow: the hardest few
			recs = []string{"it's", "`id`\n$(id)", "line1\nline2", "=ls", recs[len(recs)-1]}
		}
		checkRecords(t, r, h, recs)
	}
}

// A login shell of zsh gets the records literally too: =ls stays =ls
// (zsh's =command expansion), and the guard works there.
func TestRecordsArriveLiteralZsh(t *testing.T) {
	b := testBed(t)
	h := Host{User: zshUser(t), Name: sshtest.Local}
	r := newRunner(t, b.SSH, b.Dir)
	open(t, r, h)
	res := run(t, r.Argv(h, 0, `printf %s "$ZSH_VERSION"`, nil), nil)
	if res.exit != 0 || res.stdout == "" {
		t.Fatalf("the login shell of %s is not zsh: exit %d, stdout %q, stderr %q", h, res.exit, res.stdout, res.stderr)
	}
	checkRecords(t, r, h, records())
}

// checkRecords runs printf of each record on h, with Argv and ArgvGuarded,
// and fails t for each that does not arrive byte for byte.
func checkRecords(t *testing.T, r *Runner, h Host, recs []string) {
	t.Helper()
	for i, rec := range recs {
		line := template.QuoteLine([]string{"printf", `%s\n`, rec})
		plain := r.Argv(h, 0, line, []string{"PARMAP_SEQ=" + strconv.Itoa(i+1)})
		guarded, stdin := r.ArgvGuarded(h, 0, line, []string{"PARMAP_SEQ=" + strconv.Itoa(i+1)})
		for mode, res := range map[string]result{"Argv": run(t, plain, nil), "ArgvGuarded": run(t, guarded, stdin)} {
			if res.exit != 0 || res.stdout != rec+"\n" || res.stderr != "" {
				t.Errorf("%s on %s, record %d %.40q: exit %d, stderr %q, stdout %.60q", mode, h, i, rec, res.exit, res.stderr, res.stdout)
			}
		}
	}
}

// zshUser returns pmzsh, a login user whose shell is zsh, made when missing
// (the test bed's sshd takes the bed's key for any user). It skips t when
// zsh is not installed (CI installs it: .ci/run) or the user cannot be made.
func zshUser(t *testing.T) string {
	zsh, err := exec.LookPath("zsh")
	if err != nil {
		t.Skip("zsh is not installed (CI installs it: .ci/run)")
	}
	const name = "pmzsh"
	if exec.Command("id", "-u", name).Run() != nil {
		// useradd fails while another process holds /etc/passwd's lock.
		for i := 0; i < 20; i++ {
			out, err := exec.Command("useradd", "-m", "-s", zsh, "-p", "*", name).CombinedOutput()
			if err == nil || exec.Command("id", "-u", name).Run() == nil {
				break
			}
			if !strings.Contains(string(out), "lock") || i == 19 {
				t.Skipf("cannot make a user with shell zsh: useradd: %v: %s", err, out)
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
	if out, err := exec.Command("usermod", "-s", zsh, "-p", "*", name).CombinedOutput(); err != nil {
		t.Skipf("usermod -s %s %s: %v: %s", zsh, name, err, out)
	}
	return name
}

func TestEnvIsExported(t *testing.T) {
	r, hs := quotingHosts(t)
	weird := "it's $HOME `id`\n\"x\""
	env := []string{"PARMAP_SEQ=12", "PARMAP_SLOT=3", "X=" + weird}
	line := `printf '%s|%s|' "$PARMAP_SEQ" "$PARMAP_SLOT"; sh -c 'printf %s "$X"'`
	for _, h := range hs {
		if res := run(t, r.Argv(h, 0, line, env), nil); res.stdout != "12|3|"+weird || res.exit != 0 {
			t.Errorf("on %s: exit %d, stdout %q, stderr %q", h, res.exit, res.stdout, res.stderr)
		}
	}
}

// TestExitValues shows what comes back: the job's exit status, 128+n for a
// job killed by a signal, and 255 when the remote login shell itself is
// killed (sshd then sends exit-signal, which ssh turns into 255).
func TestExitValues(t *testing.T) {
	b := testBed(t)
	r := newRunner(t, b.SSH, b.Dir)
	h := Host{Name: sshtest.Local}
	open(t, r, h)
	tests := []struct {
		line string
		exit int
	}{
		{"true", 0},
		{"exit 7", 7},
		{"exit 255", 255},
		{"sleep 60 & kill -9 $!; wait $!", 137},
		{`sh -c 'kill -9 $$'`, 137},
		{"exec kill -9 0", 255}, // the whole session, login shell included
		{"kill -9 $$", 255},
		{"kill -TERM $$", 255},
		{"nosuchcommand-pm", 127},
	}
	for _, tt := range tests {
		plain := run(t, r.Argv(h, 0, tt.line, []string{"PARMAP_SEQ=1"}), nil)
		argv, stdin := r.ArgvGuarded(h, 0, tt.line, []string{"PARMAP_SEQ=1"})
		guarded := run(t, argv, stdin)
		if plain.exit != tt.exit || guarded.exit != tt.exit {
			t.Errorf("%q: exit %d (Argv), %d (ArgvGuarded), want %d; stderr %q, %q", tt.line, plain.exit, guarded.exit, tt.exit, plain.stderr, guarded.stderr)
		}
	}
	if !IsSSHFailure(255) || IsSSHFailure(137) || IsSSHFailure(0) {
		t.Error("IsSSHFailure: only 255 is ssh's")
	}
	// A 255 of the job's own: the host still answers.
	if err := r.Probe(context.Background(), h); err != nil {
		t.Errorf("Probe(%s) after the job's own 255: %v", h, err)
	}
}

func TestNamespaceHostsDiffer(t *testing.T) {
	b := netnsBed(t)
	r := newRunner(t, b.NetnsSSH, b.Dir)
	hs := []Host{{Slots: 2, Name: sshtest.H1}, {Slots: 2, Name: sshtest.H2}}
	open(t, r, hs...)
	for _, h := range hs {
		res := run(t, r.Argv(h, 1, `echo "$(hostname) $PM_HOST"`, nil), nil)
		if want := "pm-" + h.Name + " " + h.Name + "\n"; res.stdout != want || res.exit != 0 {
			t.Errorf("%s: exit %d, stdout %q, stderr %q; want %q", h, res.exit, res.stdout, res.stderr, want)
		}
	}
}

// TestUnreachable: Open says per host, in one line, why it cannot be reached;
// jobs there end in 255, and Probe confirms that ssh is at fault.
func TestUnreachable(t *testing.T) {
	b := testBed(t)
	type hostCase struct {
		ssh  []string
		host Host
		want string // in the error; "" for a host that works
	}
	cases := []hostCase{
		{b.SSH, Host{Name: sshtest.Local}, ""},
		{b.SSH, Host{Name: sshtest.Down}, "ssh: connect to host 127.0.0.1 port "},
		{b.SSH, Host{User: "nosuchuser", Name: sshtest.Local2}, "nosuchuser@127.0.0.2: Permission denied (publickey)."},
	}
	if b.NetnsSSH != nil {
		cases = append(cases, hostCase{b.NetnsSSH, Host{Name: sshtest.Down}, "Connection refused"})
	}
	for _, c := range cases {
		r := newRunner(t, c.ssh, b.Dir)
		errs := r.Open(context.Background(), []Host{c.host, {Local: true}})
		if errs[1] != nil {
			t.Errorf("Open(:) = %v", errs[1])
		}
		err := errs[0]
		if c.want == "" {
			if err != nil {
				t.Errorf("Open(%s) = %v", c.host, err)
			}
			continue
		}
		var he *HostError
		if !errors.As(err, &he) || he.Host != c.host {
			t.Fatalf("Open(%s) = %v, want a *HostError", c.host, err)
		}
		msg := err.Error()
		t.Logf("%s", msg)
		if !strings.HasPrefix(msg, "host "+c.host.String()+": ") || !strings.Contains(msg, c.want) || strings.Contains(msg, "\n") {
			t.Errorf("Open(%s) = %q, want one line with %q", c.host, msg, c.want)
		}
		res := run(t, r.Argv(c.host, 0, "echo hi", nil), nil)
		if !IsSSHFailure(res.exit) || res.stdout != "" {
			t.Errorf("job on %s: exit %d, stdout %q; want 255", c.host, res.exit, res.stdout)
		}
		if err := r.Probe(context.Background(), c.host); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("Probe(%s) = %v, want %q", c.host, err, c.want)
		}
	}
}

// runBarrier runs n jobs at once on h, each waiting until all n have
// started, so that n sessions are open at the same time, and returns their
// results. A job gives up (exit 99) after 6000 rounds, a minute at least: a
// bound on failure only, as the sessions refused by sshd start on
// connections of their own, which takes a while on a loaded machine.
func runBarrier(t *testing.T, r *Runner, h Host, n int) []result {
	dir := sharedDir(t)
	line := fmt.Sprintf(`touch %s/s.$PARMAP_SLOT; i=0
while [ "$(ls %s | wc -l)" -lt %d ]; do i=$((i+1)); [ $i -lt 6000 ] || exit 99; sleep 0.01; done`, dir, dir, n)
	res := make([]result, n)
	var wg sync.WaitGroup
	for slot := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			argv, stdin := r.ArgvGuarded(h, slot, line, []string{"PARMAP_SLOT=" + strconv.Itoa(slot)})
			res[slot] = run(t, argv, stdin)
		}()
	}
	wg.Wait()
	return res
}

// TestMoreSlotsThanMaxSessions: 12 jobs at once on one host run through two
// masters without any "Session open refused by peer" (sshd's MaxSessions is
// 10), while on one master the same jobs get that message.
func TestMoreSlotsThanMaxSessions(t *testing.T) {
	b := testBed(t)
	h := Host{Slots: 12, Name: sshtest.Local}
	r := newRunner(t, b.SSH, b.Dir)
	open(t, r, h)
	if n := len(r.masters[h.String()]); n != 2 {
		t.Fatalf("%d masters for 12 slots, want 2", n)
	}
	for slot, res := range runBarrier(t, r, h, 12) {
		if res.exit != 0 || res.stderr != "" {
			t.Errorf("slot %d: exit %d, stderr %q", slot, res.exit, res.stderr)
		}
	}

	// The control: one master for all 12 slots.
	one := newRunner(t, b.SSH, b.Dir)
	one.perMaster = 12
	open(t, one, h)
	refused := 0
	for _, res := range runBarrier(t, one, h, 12) {
		if strings.Contains(res.stderr, "Session open refused by peer") {
			refused++
		}
	}
	if refused == 0 {
		t.Error("12 sessions on one master: no job was refused; the test cannot see MaxSessions")
	}
	t.Logf("12 sessions on one master: %d refused by sshd (each fell back to a connection of its own)", refused)
}

// pidfd opens a pidfd for pid, for waiting for its end without polling.
func pidfd(t *testing.T, pid int) int {
	fd, err := unix.PidfdOpen(pid, 0)
	if err != nil {
		t.Fatalf("pidfd_open %d: %v", pid, err)
	}
	t.Cleanup(func() { unix.Close(fd) })
	return fd
}

// exits reports whether the process of pidfd fd ends within d.
func exits(fd int, d time.Duration) bool {
	n, err := unix.Poll([]unix.PollFd{{Fd: int32(fd), Events: unix.POLLIN}}, int(d.Milliseconds()))
	for errors.Is(err, unix.EINTR) {
		n, err = unix.Poll([]unix.PollFd{{Fd: int32(fd), Events: unix.POLLIN}}, int(d.Milliseconds()))
	}
	return err == nil && n == 1
}

// startRemoteSleep starts a guarded job on h that prints the pid of a remote
// sleep (the hosts share this machine's pid space) and returns the local
// ssh process and a pidfd of the remote sleep.
func startRemoteSleep(t *testing.T, r *Runner, h Host) (*exec.Cmd, <-chan struct{}, int) {
	argv, stdin := r.ArgvGuarded(h, 0, `sh -c 'echo $$; exec sleep 300'`, nil)
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Stdin = stdin
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	line, err := bufio.NewReader(out).ReadString('\n')
	go func() {
		cmd.Wait()
		close(done)
	}()
	t.Cleanup(func() {
		syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		<-done
	})
	pid, perr := strconv.Atoi(strings.TrimSpace(line))
	if err != nil || perr != nil {
		t.Fatalf("remote pid %q: %v %v", line, err, perr)
	}
	return cmd, done, pidfd(t, pid)
}

// TestGuardStopsRemoteJob: when a guarded job's ssh is killed (as parmap does
// on --timeout or Ctrl-C), or its master goes (Close), the job is stopped on
// the remote host too.
func TestGuardStopsRemoteJob(t *testing.T) {
	b := testBed(t)
	h := Host{Name: sshtest.Local}
	r := newRunner(t, b.SSH, b.Dir)
	open(t, r, h)

	cmd, done, fd := startRemoteSleep(t, r, h)
	syscall.Kill(-cmd.Process.Pid, syscall.SIGTERM)
	<-done
	if !exits(fd, time.Minute) { // a bound on failure: it returns once the job has gone
		t.Error("remote job still runs a minute after its ssh was killed")
	}

	_, done, fd = startRemoteSleep(t, r, h)
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	<-done
	if !exits(fd, time.Minute) {
		t.Error("remote job still runs a minute after Close")
	}
}

// TestClose: no master process and no directory outlive Close.
func TestClose(t *testing.T) {
	b := testBed(t)
	hs := []Host{{Slots: 15, Name: sshtest.Local}, {Name: sshtest.Local2}}
	r := newRunner(t, b.SSH, b.Dir)
	open(t, r, hs...)
	if res := run(t, r.Argv(hs[0], 14, "echo ok", nil), nil); res.stdout != "ok\n" {
		t.Fatalf("job: %+v", res)
	}
	var pids []int
	for _, ms := range r.masters {
		for _, m := range ms {
			pids = append(pids, m.cmd.Process.Pid)
		}
	}
	if len(pids) != 3 {
		t.Errorf("%d masters, want 3", len(pids))
	}
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	for _, pid := range pids {
		if err := syscall.Kill(-pid, 0); err != syscall.ESRCH {
			t.Errorf("master group %d after Close: %v", pid, err)
		}
	}
	if _, err := os.Stat(r.Dir()); !os.IsNotExist(err) {
		t.Errorf("%s after Close: %v", r.Dir(), err)
	}
	if err := r.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	if err := r.Open(context.Background(), hs)[0]; !errors.Is(err, ErrClosed) {
		t.Errorf("Open after Close = %v, want ErrClosed", err)
	}
}

// TestOpenCancelled: an Open whose context ends stops its masters.
func TestOpenCancelled(t *testing.T) {
	b := testBed(t)
	r := newRunner(t, b.SSH, b.Dir)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	err := r.Open(ctx, []Host{{Name: sshtest.Local}})[0]
	if !errors.Is(err, context.Canceled) {
		t.Errorf("Open with a cancelled context = %v", err)
	}
	for _, m := range r.masters[sshtest.Local] {
		if !m.exited() {
			t.Error("master still running after a cancelled Open")
		}
	}
	// Open again brings the host up.
	open(t, r, Host{Name: sshtest.Local})
}

// TestHostGoesAway: when a host dies, jobs there end in 255 and Probe says
// why, while the other host works on; once it is back, Open reopens it.
func TestHostGoesAway(t *testing.T) {
	b := netnsBed(t)
	r := newRunner(t, b.NetnsSSH, b.Dir)
	h1, h2 := Host{Slots: 2, Name: sshtest.H1}, Host{Slots: 2, Name: sshtest.H2}
	open(t, r, h1, h2)
	down := true
	t.Cleanup(func() {
		if down {
			if err := b.Restart(sshtest.H2); err != nil {
				t.Error(err)
			}
		}
	})
	if err := b.Kill(sshtest.H2); err != nil {
		t.Fatal(err)
	}
	if res := run(t, r.Argv(h2, 0, "echo hi", nil), nil); !IsSSHFailure(res.exit) {
		t.Errorf("job on a dead host: %+v, want exit 255", res)
	}
	if err := r.Probe(context.Background(), h2); err == nil || !strings.Contains(err.Error(), "Connection refused") {
		t.Errorf("Probe(dead host) = %v", err)
	} else {
		t.Logf("parmap: %v", err)
	}
	if res := run(t, r.Argv(h1, 1, "hostname", nil), nil); res.exit != 0 || res.stdout != "pm-h1\n" {
		t.Errorf("job on the other host: %+v", res)
	}
	if err := b.Restart(sshtest.H2); err != nil {
		t.Fatal(err)
	}
	down = false
	open(t, r, h2)
	if res := run(t, r.Argv(h2, 1, "hostname", nil), nil); res.exit != 0 || res.stdout != "pm-h2\n" {
		t.Errorf("job on the host back up: %+v", res)
	}
}
