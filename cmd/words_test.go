package cmd

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/parmap/parmap/internal/hosts"
	"github.com/parmap/parmap/internal/records"
	"github.com/parmap/parmap/internal/results"
	"github.com/parmap/parmap/internal/slurm"
	"github.com/parmap/parmap/internal/template"
)

// Each typed error of the packages below cmd gets the message parmap
// printed when the packages worded their errors themselves.
func TestWordError(t *testing.T) {
	flags := []string{"-a", "", "::::"}
	for _, tt := range []struct {
		name string
		err  error
		want string
	}{
		// records
		{"-a missing", withSources(&records.SourceError{Index: 0, Path: "data.txt", Problem: records.SourceMissing, Err: syscall.ENOENT}, flags),
			"-a data.txt: no such file"},
		{":::: missing", withSources(&records.SourceError{Index: 2, Path: "data.txt", Problem: records.SourceMissing, Err: syscall.ENOENT}, flags),
			":::: data.txt: no such file"},
		{"no flags", &records.SourceError{Index: 0, Path: "data.txt", Problem: records.SourceMissing, Err: syscall.ENOENT},
			"data.txt: no such file"},
		{"index past the flags", withSources(&records.SourceError{Index: 7, Path: "d", Problem: records.SourceMissing}, flags),
			"d: no such file"},
		{"quoted path", withSources(&records.SourceError{Index: 0, Path: "my file", Problem: records.SourceMissing}, flags),
			`-a "my file": no such file`},
		{"denied", withSources(&records.SourceError{Index: 0, Path: "secret", Problem: records.SourceDenied, Err: syscall.EACCES}, flags),
			"-a secret: permission denied, make it readable or give another file"},
		{"directory", withSources(&records.SourceError{Index: 2, Path: "dir", Problem: records.SourceIsDir}, flags),
			":::: dir: is a directory, give a file"},
		{"cannot open", withSources(&records.SourceError{Index: 0, Path: "f", Problem: records.SourceOpenFailed, Err: syscall.EMFILE}, flags),
			"-a f: cannot open: too many open files"},
		{"read failed", withSources(&records.SourceError{Index: 2, Path: "f", Problem: records.SourceReadFailed, Err: syscall.EIO}, flags),
			":::: f: read failed: input/output error"},
		{"stdin read failed", withSources(&records.SourceError{Index: 0, Problem: records.SourceReadFailed, Err: syscall.EIO}, flags),
			"standard input: read failed: input/output error"},
		{"delimiter", &records.DelimError{Value: "ab"},
			`-d "ab": give one character or an escape like \t, \n, \0, \x1f`},

		// hosts
		{"-S entry", &hosts.EntryError{Entry: "3/", Err: errors.New("give [N/][user@]host[:port], or : for this machine")},
			`-S "3/": give [N/][user@]host[:port], or : for this machine`},
		{"-S dash", &hosts.EntryError{Entry: "-oX=y", Err: hosts.ErrDashHost},
			`-S "-oX=y": a host cannot start with -; pass ssh options with --ssh 'ssh -o ...'`},
		{"login file entry", &hosts.EntryError{Entry: "x/h", File: "hosts.bad", Line: 2, Err: errors.New("slots go before the slash")},
			`--sshloginfile hosts.bad:2: "x/h": slots go before the slash`},
		{"login file dash", &hosts.EntryError{Entry: "-p", File: "h", Line: 1, Err: hosts.ErrDashHost},
			`--sshloginfile h:1: "-p": a host cannot start with -; pass ssh options with --ssh 'ssh -o ...'`},
		{"login file unreadable", &hosts.FileError{Path: "h.txt", Err: &os.PathError{Op: "open", Path: "h.txt", Err: syscall.ENOENT}},
			"--sshloginfile: open h.txt: no such file or directory"},
		{"login file empty", &hosts.FileError{Path: "h.txt", Err: hosts.ErrNoHosts},
			"--sshloginfile h.txt: no hosts in it; give [N/][user@]host[:port], or : for this machine, one per line"},
		{"host down", &hosts.HostError{Host: hosts.Host{User: "u", Name: "h3", Port: 2222}, Err: errors.New("ssh: connect to host h3 port 2222: Connection refused")},
			"-S u@h3:2222: ssh: connect to host h3 port 2222: Connection refused"},

		// results
		{"results empty name", &results.DirError{Problem: results.NameEmpty},
			"--results: the directory name is empty"},
		{"results not a directory", &results.DirError{Path: "out", Problem: results.NotDir},
			"--results out: not a directory, give a directory"},
		{"results not writable", &results.DirError{Path: "out", Problem: results.NotWritable, Err: syscall.EACCES},
			"--results out: permission denied, give a directory you can write"},
		{"results parent", &results.DirError{Path: "f/out", Problem: results.ParentNotDir, Err: syscall.ENOTDIR},
			"--results f/out: a parent is not a directory"},
		{"results cannot create", &results.DirError{Path: "out", Problem: results.CreateFailed, Err: syscall.EROFS},
			"--results out: cannot create: read-only file system"},
		{"results cannot open", &results.DirError{Path: "out", Problem: results.OpenFailed, Err: syscall.ENOENT},
			"--results out: cannot open: no such file or directory"},
		{"results bad seq", &results.DirError{Path: "out", Problem: results.BadSeq, Seq: 0},
			"--results out: job number 0: must be 1 or more"},
		{"results job dir", &results.DirError{Path: "out", Problem: results.WriteFailed, Seq: 3, Err: syscall.ENOSPC},
			"--results out: job 3: cannot create out/3: no space left on device"},
		{"results job file", &results.DirError{Path: "out", Problem: results.WriteFailed, Seq: 3, File: "stdout", Err: syscall.ENOSPC},
			"--results out: job 3: cannot write out/3/stdout: no space left on device"},

		// slurm
		{"shard", &slurm.ShardError{Value: "3/2"},
			"--shard 3/2: give K/N with 0 ≤ K < N, e.g. --shard 0/4"},
		{"shard empty", &slurm.ShardError{Value: ""},
			`--shard "": give K/N with 0 ≤ K < N, e.g. --shard 0/4`},
		{"shard space", &slurm.ShardError{Value: "1 /2"},
			`--shard "1 /2": give K/N with 0 ≤ K < N, e.g. --shard 0/4`},
		{"no allocation", slurm.ErrNoAllocation,
			"--slurm needs a Slurm allocation (SLURM_JOB_ID is not set): run parmap inside sbatch or salloc"},
		{"old Slurm", &slurm.ArrayVarError{Task: "2", Var: "SLURM_ARRAY_TASK_MIN"},
			"job array task 2 without SLURM_ARRAY_TASK_MIN: this Slurm is too old for --slurm in job arrays"},
		{"array with gaps", &slurm.ArrayGapError{Task: 4, Count: 3, Min: 1, Max: 9},
			"job array task 4 of 3 tasks from 1 to 9: its position is unknown because the array is a list with gaps; submit a range (--array=0-2 or A-B:STEP) or give --shard K/N"},

		// template
		{"empty -I", template.ErrEmptyReplace,
			"-I needs a non-empty string to replace, e.g. -I %"},
		{"too long", &template.TooLongError{Seq: 7, Index: 2, Len: 131072},
			"record 7: argument 2 is 131072 bytes; Linux passes at most 131071 bytes in one argument (use --pipe or a template that does not pass the record)"},
		{"too long shell", &template.TooLongError{Seq: 2, Index: 2, Len: 200000, Shell: true},
			"record 2: the shell command line is 200000 bytes; Linux passes at most 131071 bytes in one argument (use --pipe or a template that does not pass the record)"},

		{"NUL", &template.NULError{Seq: 1, Index: 1},
			"argument 1 contains a NUL byte, which no command argument can carry (use --pipe or --reuse to pass such data on stdin)"},
		{"NUL shell", &template.NULError{Seq: 3, Index: 2, Shell: true},
			"the shell command line contains a NUL byte, which no command argument can carry (use --pipe or --reuse to pass such data on stdin)"},

		// anything else keeps its text
		{"other", errors.New("no host of -S can be reached"), "no host of -S can be reached"},
		{"other with sources", withSources(io.ErrUnexpectedEOF, flags), "unexpected EOF"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := wordError(tt.err); got != tt.want {
				t.Errorf("wordError(%#v)\n got %q\nwant %q", tt.err, got, tt.want)
			}
		})
	}
}

// The packages' own errors, as they return them, get the same messages.
func TestWordPackageErrors(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "file")
	if err := os.WriteFile(file, []byte("x\n"), 0o666); err != nil {
		t.Fatal(err)
	}
	empty := filepath.Join(dir, "empty")
	if err := os.WriteFile(empty, []byte("# none\n"), 0o666); err != nil {
		t.Fatal(err)
	}
	missing := filepath.Join(dir, "missing")
	second := func(_ any, err error) error { return err }
	third := func(_, _ any, err error) error { return err }
	open := func(sources ...records.Source) error {
		r, err := records.Open(sources, strings.NewReader(""), records.DefaultOptions())
		if err == nil {
			r.Close()
		}
		return err
	}
	for _, tt := range []struct {
		name string
		err  error
		want string
	}{
		{"-a", withSources(open(records.File(file), records.File(missing)), []string{"-a", "-a"}), "-a " + missing + ": no such file"},
		{"::::", withSources(open(records.List([]string{"x"}), records.File(dir)), []string{"", "::::"}), ":::: " + dir + ": is a directory, give a file"},
		{"-d", second(records.ParseDelim(`\q`)), `-d "\\q": give one character or an escape like \t, \n, \0, \x1f`},
		{"-S", second(hosts.Parse("h1,-oProxyCommand=x")), `-S "-oProxyCommand=x": a host cannot start with -; pass ssh options with --ssh 'ssh -o ...'`},
		{"-S empty", second(hosts.Parse("")), `-S "": empty entry; give [N/][user@]host[:port], or : for this machine`},
		{"--sshloginfile missing", second(hosts.ParseFile(missing)), "--sshloginfile: open " + missing + ": no such file or directory"},
		{"--sshloginfile empty", second(hosts.ParseFile(empty)), "--sshloginfile " + empty + ": no hosts in it; give [N/][user@]host[:port], or : for this machine, one per line"},
		{"--results file", second(results.OpenDir(file)), "--results " + file + ": not a directory, give a directory"},
		{"--results parent", second(results.OpenDir(filepath.Join(file, "sub"))), "--results " + filepath.Join(file, "sub") + ": a parent is not a directory"},
		{"--results empty", second(results.OpenDir("")), "--results: the directory name is empty"},
		{"--shard", third(slurm.ParseShard("2/2")), "--shard 2/2: give K/N with 0 ≤ K < N, e.g. --shard 0/4"},
		{"--slurm", second(slurm.FromEnv(func(string) string { return "" })), "--slurm needs a Slurm allocation (SLURM_JOB_ID is not set): run parmap inside sbatch or salloc"},
		{"-I", template.CheckReplace(""), "-I needs a non-empty string to replace, e.g. -I %"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if tt.err == nil {
				t.Fatal("no error")
			}
			if got := wordError(tt.err); got != tt.want {
				t.Errorf("wordError(%v)\n got %q\nwant %q", tt.err, got, tt.want)
			}
		})
	}
}

// parmap names a record source by the option that gave it.
func TestSourceMessages(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good")
	if err := os.WriteFile(good, []byte("a\n"), 0o666); err != nil {
		t.Fatal(err)
	}
	missing := filepath.Join(dir, "missing")
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"-a", missing, "echo"}, "-a " + missing + ": no such file"},
		{[]string{"-a", good, "echo", ":::", "x", "::::", good, missing}, ":::: " + missing + ": no such file"},
		{[]string{"echo", ":::", "x", "::::", dir}, ":::: " + dir + ": is a directory, give a file"},
		{[]string{"-a", good, "-a", dir, "echo", "::::", good}, "-a " + dir + ": is a directory, give a file"},
		{[]string{"-d", "ab", "echo"}, `-d "ab": give one character or an escape like \t, \n, \0, \x1f`},
	} {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			status, stderr := runCaptured(t, tt.args...)
			if want := "parmap: " + tt.want + "\n"; status != exitError || stderr != want {
				t.Errorf("status %d, stderr %q; want %d, %q", status, stderr, exitError, want)
			}
		})
	}
}

// runCaptured runs parmap with args and empty stdin and returns its exit
// status and stderr.
func runCaptured(t *testing.T, args ...string) (int, string) {
	t.Helper()
	dir := t.TempDir()
	files := make([]*os.File, 3)
	for i, name := range []string{"stdin", "stdout", "stderr"} {
		f, err := os.Create(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		files[i] = f
	}
	status := run(append([]string{"parmap"}, args...), files[0], files[1], files[2])
	stderr, err := os.ReadFile(files[2].Name())
	if err != nil {
		t.Fatal(err)
	}
	if out, _ := os.ReadFile(files[1].Name()); len(out) != 0 {
		t.Errorf("stdout %q", out)
	}
	return status, string(stderr)
}
