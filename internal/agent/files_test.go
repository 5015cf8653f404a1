package agent

import (
	"bytes"
	"crypto/rand"
	"errors"
	"github.com/parmap/parmap/internal/guard"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/parmap/parmap/channel"
	"github.com/parmap/parmap/exchange"
	"github.com/parmap/parmap/internal/testbed/tmpfs"
)

// serveEnv makes this test binary an agent (TestMain): the file tests
// need one whose working directory is not the test's.
const serveEnv = "PARMAP_AGENT_TEST_SERVE"

func TestMain(m *testing.M) {
	// An agent started from here (Main) starts a guard: a re-execution
	// of this test binary, which must then be the guard.
	if guard.Invoked() {
		os.Exit(guard.Main())
	}
	if os.Getenv(serveEnv) == "1" {
		os.Exit(Main())
	}
	os.Exit(m.Run())
}

// childAgent starts this test binary as an agent working in dir.
func childAgent(t *testing.T, dir string, o Options) *Agent {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	l := Command{Argv: func(string) []string { return []string{exe} }, Dir: dir,
		Env: append(os.Environ(), serveEnv+"=1", "GORACE=atexit_sleep_ms=0")}
	if o.Slots == 0 {
		o.Slots = 1
	}
	a, err := Open(l, o, 20*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.End(5 * time.Second) })
	return a
}

// runFiles runs a shell script on the agent with files.
func runFiles(t *testing.T, a *Agent, f Files, script string) (channel.Result, string) {
	t.Helper()
	var out, errb lockedBuf
	p, err := channel.Start(channel.Spec{Remote: a.With(f), Argv: []string{"sh", "-c", script}, Stdout: &out, Stderr: &errb})
	if err != nil {
		t.Fatal(err)
	}
	res := p.Wait()
	if errb.String() != "" {
		t.Logf("job's stderr: %s", errb.String())
	}
	return res, out.String()
}

// dirs makes the coordinator's working directory (the test's, for
// relative paths) and the agent's, apart.
func dirs(t *testing.T) (local, remote string) {
	local, remote = filepath.Join(t.TempDir(), "local"), filepath.Join(t.TempDir(), "remote")
	os.Mkdir(local, 0o755)
	os.Mkdir(remote, 0o755)
	t.Chdir(local)
	return local, remote
}

func write(t *testing.T, path, content string, mode os.FileMode) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), mode); err != nil {
		t.Fatal(err)
	}
}

func read(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func exists(path string) bool {
	_, err := os.Lstat(path)
	return err == nil
}

// entries lists dir's names (temporary files left behind show here).
func entries(t *testing.T, dir string) []string {
	t.Helper()
	es, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range es {
		names = append(names, e.Name())
	}
	return names
}

func TestRemotePath(t *testing.T) {
	for p, want := range map[string]string{
		"tmp/foo/bar":     "tmp/foo/bar",
		"/tmp/foo/bar":    "/tmp/foo/bar",
		"/tmp/./foo/bar":  "foo/bar",
		"tmp/./foo/bar":   "foo/bar",
		"./foo":           "foo",
		"a//b/":           "a/b",
		"a/.//etc/passwd": "etc/passwd",
		"/x/../y/./z":     "z", // the .. is in the local part only
		"../x":            "error " + ErrDotDot.Error(),
		"a/../b":          "error " + ErrDotDot.Error(),
		"/tmp/../etc/x":   "error " + ErrDotDot.Error(),
		"/x/./../y":       "error " + ErrDotDot.Error(),
		"dir/./":          "error " + ErrNoFile.Error(),
		"":                "error " + ErrNoFile.Error(),
		"/":               "error " + ErrNoFile.Error(),
	} {
		got, err := RemotePath(p)
		if err != nil {
			got = "error " + err.Error()
		}
		if got != want {
			t.Errorf("RemotePath(%q) = %q, want %q", p, got, want)
		}
	}
	if LocalPath("out/./in/file.out") != "out/in/file.out" {
		t.Error(LocalPath("out/./in/file.out"))
	}
}

// A job's files go to the agent's directory before it, come back after
// it, and --cleanup removes them and the directories they left empty.
func TestTransferReturnCleanup(t *testing.T) {
	local, remote := dirs(t)
	write(t, "in/sub/a.txt", "hello\n", 0o750)
	a := childAgent(t, remote, Options{})
	f := Files{Transfer: []string{"in/sub/a.txt"}, Return: []string{"in/sub/a.out"}, Cleanup: true}
	res, out := runFiles(t, a, f, `test -x in/sub/a.txt && pwd && tr a-z A-Z < in/sub/a.txt > in/sub/a.out`)
	if res.Exit != 0 || res.Err != nil || out != remote+"\n" {
		t.Fatalf("res %+v out %q", res, out)
	}
	if got := read(t, filepath.Join(local, "in/sub/a.out")); got != "HELLO\n" {
		t.Fatalf("returned %q", got)
	}
	if names := entries(t, remote); len(names) != 0 {
		t.Fatalf("--cleanup left %v on the agent", names)
	}
	// Without --cleanup, they stay.
	f.Cleanup = false
	if res, _ = runFiles(t, a, f, `tr a-z A-Z < in/sub/a.txt > in/sub/a.out`); res.Exit != 0 || res.Err != nil {
		t.Fatalf("res %+v", res)
	}
	if read(t, filepath.Join(remote, "in/sub/a.txt")) != "hello\n" || read(t, filepath.Join(remote, "in/sub/a.out")) != "HELLO\n" {
		t.Fatal("the files are not on the agent")
	}
	if names := entries(t, filepath.Join(remote, "in/sub")); strings.Join(names, " ") != "a.out a.txt" {
		t.Fatalf("the agent's directory has %v (a temporary file left?)", names)
	}
}

// The /./ rule, both ways, and absolute paths.
func TestTransferPathRules(t *testing.T) {
	local, remote := dirs(t)
	write(t, "deep/dir/x/y.txt", "y\n", 0o644)
	write(t, "rel/z/w.txt", "w\n", 0o644)
	abs := filepath.Join(t.TempDir(), "abs", "sub", "f.txt")
	write(t, abs, "abs\n", 0o644)
	f := Files{
		Transfer: []string{local + "/deep/dir/./x/y.txt", "rel/./z/w.txt", abs},
		Return:   []string{"out/./in/file.out"},
		Cleanup:  true,
	}
	a := childAgent(t, remote, Options{})
	res, out := runFiles(t, a, f, `cat x/y.txt z/w.txt `+abs+` && test ! -e deep && test ! -e rel && mkdir -p in && echo made > in/file.out`)
	if res.Exit != 0 || res.Err != nil || out != "y\nw\nabs\n" {
		t.Fatalf("res %+v out %q", res, out)
	}
	if got := read(t, filepath.Join(local, "out/in/file.out")); got != "made\n" {
		t.Fatalf("returned %q", got)
	}
	if exists(filepath.Join(remote, "in")) || exists(filepath.Join(remote, "x")) || exists(filepath.Join(remote, "z")) {
		t.Fatalf("--cleanup left %v", entries(t, remote))
	}
	// The absolute file was the agent's: cleanup removed it there, and
	// its directories left empty.
	if exists(abs) || exists(filepath.Dir(filepath.Dir(abs))) {
		t.Fatal("the absolute transfer file was not cleaned up")
	}
}

// A return file the job did not make fails it, in one line; a nonzero
// exit value is kept.
func TestReturnMissing(t *testing.T) {
	_, remote := dirs(t)
	a := childAgent(t, remote, Options{})
	res, _ := runFiles(t, a, Files{Return: []string{"made.out", "nope.out"}}, "echo x > made.out")
	var re *ReturnError
	if res.Exit != 1 || !errors.As(res.Err, &re) || re.File != "nope.out" || !errors.Is(res.Err, ErrNotMade) ||
		res.Err.Error() != "--return nope.out: the job did not make it" {
		t.Fatalf("res %+v", res)
	}
	if read(t, "made.out") != "x\n" {
		t.Fatal("the file made did not come back")
	}
	res, _ = runFiles(t, a, Files{Return: []string{"nope.out"}}, "exit 3")
	if res.Exit != 3 || !errors.As(res.Err, &re) {
		t.Fatalf("res %+v", res)
	}
}

// Paths with .. are refused: the job fails and does not run, nothing is
// written.
func TestTransferDotDotRefused(t *testing.T) {
	local, remote := dirs(t)
	write(t, "x.txt", "x\n", 0o644)
	a := childAgent(t, remote, Options{})
	for _, f := range []Files{
		{Transfer: []string{"../local/x.txt"}},
		{Transfer: []string{"x.txt"}, Return: []string{"a/../../escaped"}},
	} {
		res, _ := runFiles(t, a, f, "touch ran")
		var te *TransferError
		var re *ReturnError
		if res.Exit != 1 || !errors.Is(res.Err, ErrDotDot) || !errors.As(res.Err, &te) && !errors.As(res.Err, &re) {
			t.Fatalf("%+v: res %+v", f, res)
		}
		if want := "a path with a .. component is refused"; !strings.HasSuffix(res.Err.Error(), ": "+want) {
			t.Fatalf("error %q", res.Err)
		}
	}
	if names := entries(t, remote); len(names) != 0 {
		t.Fatalf("the agent wrote %v", names)
	}
	if exists(filepath.Join(local, "escaped")) {
		t.Fatal("written outside")
	}
}

// The agent itself refuses a put with .. (a coordinator that did not
// check): it writes nothing, and the job fails.
func TestServerRefusesDotDot(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(filepath.Join(dir))
	os.Mkdir("wd", 0o755)
	t.Chdir("wd")
	s := &server{puts: make(map[uint64]*put), problems: make(map[uint64]*FileProblem)}
	s.putStart(Frame{Kind: KindPut, Seq: 5, Payload: encode(Put{Path: "../evil", Mode: 0o644})})
	if p := s.puts[5]; p != nil {
		p.in.write([]byte("evil"))
	}
	s.putEnd(Frame{Kind: KindPutEnd, Seq: 5, Payload: encode(PutEnd{})})
	if fp := s.problem(5); fp == nil || fp.Op != "transferfile" || fp.File != "../evil" || fp.Err != ErrDotDot.Error() {
		t.Fatalf("problem %+v", fp)
	}
	if names := entries(t, dir); strings.Join(names, " ") != "wd" {
		t.Fatalf("written: %v", names)
	}
}

// A basefile is sent once to each agent, before any job, and removed at
// bye with --cleanup; kept without.
func TestBasefile(t *testing.T) {
	_, remote := dirs(t)
	write(t, "base/b.txt", "base\n", 0o644)
	a := childAgent(t, remote, Options{Basefiles: []string{"base/b.txt"}, Cleanup: true})
	if res, out := runFiles(t, a, Files{}, "cat base/b.txt && echo more >> base/b.txt"); res.Exit != 0 || out != "base\n" {
		t.Fatalf("res %+v out %q", res, out)
	}
	// Not sent again: the second job sees what the first did to it.
	if res, out := runFiles(t, a, Files{}, "cat base/b.txt"); res.Exit != 0 || out != "base\nmore\n" {
		t.Fatalf("res %+v out %q", res, out)
	}
	if read(t, "base/b.txt") != "base\n" {
		t.Fatal("the local basefile changed")
	}
	a.End(5 * time.Second)
	if names := entries(t, remote); len(names) != 0 {
		t.Fatalf("--cleanup left %v", names)
	}

	remote2 := filepath.Join(t.TempDir(), "remote2")
	os.Mkdir(remote2, 0o755)
	b := childAgent(t, remote2, Options{Basefiles: []string{"base/b.txt"}})
	if res, out := runFiles(t, b, Files{}, "cat base/b.txt"); res.Exit != 0 || out != "base\n" {
		t.Fatalf("res %+v out %q", res, out)
	}
	b.End(5 * time.Second)
	if read(t, filepath.Join(remote2, "base/b.txt")) != "base\n" {
		t.Fatal("the basefile was removed without --cleanup")
	}
}

// A file of several chunks goes and comes back whole.
func TestTransferBigFile(t *testing.T) {
	_, remote := dirs(t)
	data := make([]byte, 5*ChunkSize+123)
	rand.Read(data)
	write(t, "big.bin", string(data), 0o644)
	a := childAgent(t, remote, Options{})
	res, _ := runFiles(t, a, Files{Transfer: []string{"big.bin"}, Return: []string{"back/big.out"}}, "mkdir back && cp big.bin back/big.out")
	if res.Exit != 0 || res.Err != nil {
		t.Fatalf("res %+v", res)
	}
	if !bytes.Equal([]byte(read(t, filepath.Join(remote, "big.bin"))), data) || !bytes.Equal([]byte(read(t, "back/big.out")), data) {
		t.Fatal("the big file changed on the way")
	}
}

// A transfer file the agent cannot write (its disk is full) fails the
// job, which does not run, and leaves no temporary file; a return file
// that cannot be written here fails the job too.
func TestTransferDiskFull(t *testing.T) {
	full := tmpfs.Dir(t, 64<<10)
	_, remote := dirs(t)
	data := make([]byte, 4*ChunkSize)
	write(t, "big.bin", string(data), 0o644)
	a := childAgent(t, full, Options{})
	res, _ := runFiles(t, a, Files{Transfer: []string{"big.bin"}}, "touch ran")
	var te *TransferError
	if res.Exit != 1 || !errors.As(res.Err, &te) || res.Err.Error() != "--transferfile big.bin: no space left on device" {
		t.Fatalf("res %+v", res)
	}
	if names := entries(t, full); len(names) != 0 {
		t.Fatalf("left on the agent: %v", names)
	}

	b := childAgent(t, remote, Options{})
	back := full + "/./big.out"
	res, _ = runFiles(t, b, Files{Return: []string{back}}, "head -c 300000 /dev/zero > big.out")
	var re *ReturnError
	if res.Exit != 1 || !errors.As(res.Err, &re) || res.Err.Error() != "--return "+back+": no space left on device" {
		t.Fatalf("res %+v", res)
	}
	if names := entries(t, full); len(names) != 0 {
		t.Fatalf("left here: %v", names)
	}
}

// A transfer file missing here fails the job, naming it.
func TestTransferMissingLocal(t *testing.T) {
	_, remote := dirs(t)
	a := childAgent(t, remote, Options{})
	res, _ := runFiles(t, a, Files{Transfer: []string{"nope.txt"}, Cleanup: true}, "touch ran")
	if res.Exit != 1 || res.Err == nil || res.Err.Error() != "--transferfile nope.txt: no such file or directory" {
		t.Fatalf("res %+v", res)
	}
	if names := entries(t, remote); len(names) != 0 {
		t.Fatalf("the job ran, or left %v", names)
	}
}

// A job whose files are still on the way when the run cancels is not
// started when its frame comes (cancel holds for later jobs); a stop
// sent meanwhile waits for the job's frame and stops it.
func TestSignalsWaitForFiles(t *testing.T) {
	c, _, _ := pair(t, 1)
	<-c.based
	c.based = make(chan struct{}) // as if basefiles held the jobs back
	start := func() *channel.Child {
		p, err := channel.Start(channel.Spec{Remote: c.With(Files{Return: []string{"x"}}), Argv: []string{"sh", "-c", "exec sleep 60"}})
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	stopped := start()
	stopped.Stop(syscall.SIGTERM, time.Second)
	c.Cancel()
	cancelled := start()
	close(c.based)
	if res := cancelled.Wait(); res.Err != exchange.ErrNotStarted {
		t.Fatalf("cancelled: %+v", res)
	}
	if res := stopped.Wait(); res.Err != exchange.ErrNotStarted && res.Signal != syscall.SIGTERM {
		t.Fatalf("stopped: %+v", res)
	}
}

// A basefile the agent cannot write fails every job, naming it.
func TestBasefileDiskFull(t *testing.T) {
	full := tmpfs.Dir(t, 64<<10)
	dirs(t)
	write(t, "big.bin", string(make([]byte, 4*ChunkSize)), 0o644)
	a := childAgent(t, full, Options{Basefiles: []string{"big.bin"}, Cleanup: true})
	for range 2 {
		res, _ := runFiles(t, a, Files{}, "touch ran")
		var te *TransferError
		if res.Exit != 1 || !errors.As(res.Err, &te) || !te.Basefile || res.Err.Error() != "--basefile big.bin: no space left on device" {
			t.Fatalf("res %+v", res)
		}
	}
	if names := entries(t, full); len(names) != 0 {
		t.Fatalf("left on the agent: %v", names)
	}
}

// A FIFO (whose open would block) or a directory is refused, either way,
// and nothing hangs.
func TestFilesNotRegular(t *testing.T) {
	_, remote := dirs(t)
	if err := syscall.Mkfifo("fifo", 0o644); err != nil {
		t.Fatal(err)
	}
	a := childAgent(t, remote, Options{})
	res, _ := runFiles(t, a, Files{Transfer: []string{"fifo"}}, "touch ran")
	if res.Exit != 1 || res.Err == nil || res.Err.Error() != "--transferfile fifo: is not a regular file" {
		t.Fatalf("res %+v", res)
	}
	res, _ = runFiles(t, a, Files{Return: []string{"p", "d"}}, "mkfifo p && mkdir d")
	if res.Exit != 1 || res.Err == nil || res.Err.Error() != "--return p: is not a regular file" {
		t.Fatalf("res %+v", res)
	}
	res, _ = runFiles(t, a, Files{Return: []string{"d"}}, "true")
	if res.Exit != 1 || res.Err == nil || res.Err.Error() != "--return d: is a directory" {
		t.Fatalf("res %+v", res)
	}
}

// A put not ended when the coordinator says bye, or goes away, leaves no
// temporary file.
func TestServeDropsUnfinishedPuts(t *testing.T) {
	for _, bye := range []bool{true, false} {
		dir := t.TempDir()
		t.Chdir(dir)
		var in []byte
		in = AppendFrame(in, Frame{Kind: KindHello, Payload: encode(Hello{Version: Version, Slots: 1})})
		in = AppendFrame(in, Frame{Kind: KindPut, Payload: encode(Put{Path: "sub/base.bin", Cleanup: true})})
		in = AppendFrame(in, Frame{Kind: KindData, Payload: []byte("part")})
		if bye {
			in = AppendFrame(in, Frame{Kind: KindBye})
		}
		err := Serve(bytes.NewReader(in), io.Discard, nil)
		if (err == nil) != bye {
			t.Fatalf("bye %v: Serve: %v", bye, err)
		}
		filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
			if err == nil && !d.IsDir() {
				t.Errorf("bye %v: left %s", bye, path)
			}
			return nil
		})
	}
}
