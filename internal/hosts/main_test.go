package hosts

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/parmap/parmap/internal/testbed/sshtest"
)

// The test bed is started by the first test that needs it and closed by
// TestMain, after all tests (and their Runner cleanups) have run. If the
// process dies first, the sshd processes die with it (Pdeathsig) and the
// next sshtest.Start deletes the namespaces left behind.
var shared struct {
	once sync.Once
	bed  *sshtest.Bed
	err  error
}

func TestMain(m *testing.M) {
	code := m.Run()
	if shared.bed != nil {
		if err := shared.bed.Close(); err != nil {
			os.Stderr.WriteString("sshtest: " + err.Error() + "\n")
			code = 1
		}
	}
	os.Exit(code)
}

// testBed returns the shared Bed, skipping t when the machine cannot run one.
func testBed(t testing.TB) *sshtest.Bed {
	t.Helper()
	shared.once.Do(func() {
		shared.bed, shared.err = sshtest.Start()
		if shared.err == nil {
			t.Logf("test bed up in %v (user %s)", shared.bed.Setup, shared.bed.User)
		}
	})
	if errors.Is(shared.err, sshtest.ErrUnavailable) {
		t.Skip(shared.err)
	}
	if shared.err != nil {
		t.Fatal(shared.err)
	}
	return shared.bed
}

// netnsBed returns the shared Bed, skipping t when it has no namespace hosts.
func netnsBed(t testing.TB) *sshtest.Bed {
	b := testBed(t)
	if b.NetnsSSH == nil {
		t.Skipf("no namespace hosts: %v (loopback hosts still tested)", b.NetnsErr)
	}
	return b
}

// newRunner returns a Runner closed at the end of t, with its directory
// under dir ("" for /tmp; a Bed's Dir, so that a crashed test leaves nothing).
func newRunner(t testing.TB, ssh []string, dir string) *Runner {
	t.Helper()
	r, err := New(ssh, dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	return r
}

// open opens hosts on r and fails t if any cannot be reached.
func open(t testing.TB, r *Runner, hosts ...Host) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for _, err := range r.Open(ctx, hosts) {
		if err != nil {
			t.Fatal(err)
		}
	}
}

// result is what one job came to.
type result struct {
	exit           int
	stdout, stderr string
}

// run runs argv with stdin (nil: /dev/null), bounded by two minutes (longer
// than runBarrier's jobs wait for each other).
func run(t testing.TB, argv []string, stdin *os.File) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if stdin != nil {
		cmd.Stdin = stdin
	}
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	err := cmd.Run()
	var ee *exec.ExitError
	if err != nil && !errors.As(err, &ee) {
		t.Fatalf("%q: %v", argv, err)
	}
	return result{cmd.ProcessState.ExitCode(), out.String(), errb.String()}
}

// sharedDir returns a directory under /tmp that the bed's login user may
// write to (the hosts share this machine's filesystem), removed after t.
func sharedDir(t testing.TB) string {
	t.Helper()
	dir, err := os.MkdirTemp("/tmp", "pmt")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o777); err != nil {
		t.Fatal(err)
	}
	return dir
}
