package channel

import (
	"bytes"
	"errors"
	"os"
	"syscall"
	"testing"
)

// openFDs counts this process's open file descriptors.
func openFDs(t *testing.T) int {
	t.Helper()
	entries, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Skip("no /proc/self/fd:", err)
	}
	return len(entries)
}

// failing replaces one of Start's system calls so that its n-th call (from
// 1) fails with errno, and as many after it as times asks (0 is 1); the
// others do the real thing. restore puts the real calls back.
type failing struct {
	call  string // "pipe", "open", "start"
	n     int
	errno syscall.Errno
	times int
}

func (f failing) install() (restore func()) {
	pipe, open, start := osPipe, osOpenFile, osStartProcess
	calls := 0
	fail := func() bool { calls++; return calls >= f.n && calls < f.n+max(f.times, 1) }
	switch f.call {
	case "pipe":
		osPipe = func() (*os.File, *os.File, error) {
			if fail() {
				return nil, nil, os.NewSyscallError("pipe2", f.errno)
			}
			return pipe()
		}
	case "open":
		osOpenFile = func(name string, flag int, perm os.FileMode) (*os.File, error) {
			if fail() {
				return nil, &os.PathError{Op: "open", Path: name, Err: f.errno}
			}
			return open(name, flag, perm)
		}
	case "start":
		osStartProcess = func(name string, argv []string, attr *os.ProcAttr) (*os.Process, error) {
			if fail() {
				return nil, &os.PathError{Op: "fork/exec", Path: name, Err: f.errno}
			}
			return start(name, argv, attr)
		}
	}
	return func() { osPipe, osOpenFile, osStartProcess = pipe, open, start }
}

// Every system call Start makes, failing for want of a resource, makes
// Start return a *ResourceError with that errno, leave no descriptor open
// and no copier running, and never panic; the same Start then succeeds once
// the call works again.
func TestStartOutOfResources(t *testing.T) {
	exe := self(t)
	devNullFile() // opened once for good; not a leak
	feed := func(w *os.File) (int64, error) { n, err := w.WriteString("in"); return int64(n), err }
	cases := []struct {
		name string
		fail failing
		spec func(stdout, stderr *bytes.Buffer) Spec
		want syscall.Errno
	}{
		{"stdin pipe", failing{"pipe", 1, syscall.EMFILE, 1}, func(o, e *bytes.Buffer) Spec {
			return Spec{Feed: feed, Stdout: o, Stderr: e}
		}, syscall.EMFILE},
		{"stdout pipe", failing{"pipe", 1, syscall.ENFILE, 1}, func(o, e *bytes.Buffer) Spec {
			return Spec{Stdout: o, Stderr: e}
		}, syscall.ENFILE},
		{"stderr pipe, stdout's copier running", failing{"pipe", 2, syscall.EMFILE, 1}, func(o, e *bytes.Buffer) Spec {
			return Spec{Stdout: o, Stderr: e}
		}, syscall.EMFILE},
		{"stderr pipe after the stdin pipe", failing{"pipe", 3, syscall.EMFILE, 1}, func(o, e *bytes.Buffer) Spec {
			return Spec{Feed: feed, Stdout: o, Stderr: e}
		}, syscall.EMFILE},
		{"/dev/null for stdout", failing{"open", 1, syscall.EMFILE, 1}, func(o, e *bytes.Buffer) Spec {
			return Spec{Stderr: e}
		}, syscall.EMFILE},
		{"/dev/null for stderr", failing{"open", 2, syscall.ENFILE, 1}, func(o, e *bytes.Buffer) Spec {
			return Spec{}
		}, syscall.ENFILE},
		{"fork, out of processes", failing{"start", 1, syscall.EAGAIN, 1}, func(o, e *bytes.Buffer) Spec {
			return Spec{Stdout: o, Stderr: e}
		}, syscall.EAGAIN},
		{"fork, out of memory", failing{"start", 1, syscall.ENOMEM, 1}, func(o, e *bytes.Buffer) Spec {
			return Spec{Feed: feed, Stdout: o}
		}, syscall.ENOMEM},
		{"fork, out of descriptors", failing{"start", 1, syscall.EMFILE, 1}, func(o, e *bytes.Buffer) Spec {
			return Spec{Stdout: o, Stderr: e}
		}, syscall.EMFILE},
		{"EBADF twice: a descriptor at the hard limit", failing{"start", 1, syscall.EBADF, 2}, func(o, e *bytes.Buffer) Spec {
			return Spec{Stdout: o, Stderr: e}
		}, syscall.EMFILE},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			spec := tc.spec(&stdout, &stderr)
			spec.Path, spec.Argv, spec.Env = exe, []string{exe, "a"}, childEnv("echo")
			before := openFDs(t)
			restore := tc.fail.install()
			c, err := Start(spec)
			restore()
			var re *ResourceError
			if c != nil || !errors.As(err, &re) || re.Err != tc.want {
				t.Fatalf("Start = %v, %v (%T); want a *ResourceError for %v", c, err, err, tc.want)
			}
			if errno, ok := Resource(err); !ok || errno != tc.want {
				t.Errorf("Resource = %v, %v", errno, ok)
			}
			if after := openFDs(t); after != before {
				t.Errorf("%d descriptors open after the failure, %d before", after, before)
			}
			if stdout.Len() > 0 || stderr.Len() > 0 {
				t.Errorf("output from a child that never started: %q %q", stdout.String(), stderr.String())
			}
			// Tried again, the same Spec starts (the exchange's retry).
			c, err = Start(spec)
			if err != nil {
				t.Fatalf("Start again: %v", err)
			}
			if res := c.Wait(); res.Exit != 7 {
				t.Errorf("exit %d, want 7", res.Exit)
			}
			if spec.Stdout != nil && stdout.String() != "a" {
				t.Errorf("stdout %q after the retry", stdout.String())
			}
			if after := openFDs(t); after != before {
				t.Errorf("%d descriptors open after the retry, %d before", after, before)
			}
		})
	}
}

// A start that fails with EBADF once (the child could not move a
// descriptor numbered at the hard limit) is made again with the files
// copied to low descriptors, and runs.
func TestStartRetriesLowOnEBADF(t *testing.T) {
	restore := failing{"start", 1, syscall.EBADF, 1}.install()
	defer restore()
	exe := self(t)
	var stdout bytes.Buffer
	before := openFDs(t)
	c, err := Start(Spec{Path: exe, Argv: []string{exe, "low"}, Env: childEnv("echo"), Stdout: &stdout})
	if err != nil {
		t.Fatal(err)
	}
	if res := c.Wait(); res.Exit != 7 || stdout.String() != "low" {
		t.Errorf("exit %d, stdout %q", res.Exit, stdout.String())
	}
	if after := openFDs(t); after != before {
		t.Errorf("%d descriptors open after, %d before", after, before)
	}
}

// An open of /dev/null that failed is not remembered: the next Start opens
// it again (it used to be a sync.OnceValues that kept the error).
func TestDevNullOpenFailureIsNotKept(t *testing.T) {
	devNull.mu.Lock()
	kept := devNull.f
	devNull.f = nil
	devNull.mu.Unlock()
	defer func() {
		devNull.mu.Lock()
		if devNull.f != nil && devNull.f != kept {
			devNull.f.Close()
		}
		devNull.f = kept
		devNull.mu.Unlock()
	}()
	exe := self(t)
	spec := Spec{Path: exe, Argv: []string{exe}, Env: childEnv("stdin"), Stdout: &bytes.Buffer{}}
	restore := failing{"open", 1, syscall.EMFILE, 1}.install()
	_, err := Start(spec)
	restore()
	if errno, ok := Resource(err); !ok || errno != syscall.EMFILE {
		t.Fatalf("Start = %v, want EMFILE", err)
	}
	c, err := Start(spec)
	if err != nil {
		t.Fatalf("Start again: %v", err)
	}
	if res := c.Wait(); res.Exit != 0 || spec.Stdout.(*bytes.Buffer).String() != "0" {
		t.Errorf("exit %d, stdout %q", res.Exit, spec.Stdout.(*bytes.Buffer).String())
	}
}

func TestResource(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want syscall.Errno
		ok   bool
	}{
		{nil, 0, false},
		{syscall.EMFILE, syscall.EMFILE, true},
		{&os.PathError{Op: "open", Path: "/tmp/x", Err: syscall.ENFILE}, syscall.ENFILE, true},
		{&StartError{Program: "x", Exit: ExitNotExecutable, Err: syscall.EACCES}, 0, false},
		{&ResourceError{Op: "pipe", Err: syscall.EAGAIN}, syscall.EAGAIN, true},
		{errors.New("too many open files"), 0, false}, // never by the text
	} {
		if got, ok := Resource(tc.err); got != tc.want || ok != tc.ok {
			t.Errorf("Resource(%v) = %v, %v; want %v, %v", tc.err, got, ok, tc.want, tc.ok)
		}
	}
}
