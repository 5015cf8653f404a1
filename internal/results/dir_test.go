package results

import (
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

func readTree(t *testing.T, root string) map[string]string {
	t.Helper()
	got := map[string]string{}
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		if d.IsDir() {
			got[rel+"/"] = ""
			return nil
		}
		b, err := os.ReadFile(p)
		got[rel] = string(b)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return got
}

func job(seq int64, out, errOut string, exit int, input ...string) Job {
	return Job{
		Seq: seq, Input: input, Command: "cmd", Exit: exit,
		Start: time.Unix(0, 0), Runtime: time.Second,
		Stdout: strings.NewReader(out), Stderr: strings.NewReader(errOut),
	}
}

func TestDirLayout(t *testing.T) {
	root := filepath.Join(t.TempDir(), "a", "out")
	d, err := OpenDir(root)
	if err != nil {
		t.Fatal(err)
	}
	if err := d.Write(job(1, "hello\n", "warn\n", 0, "x")); err != nil {
		t.Fatal(err)
	}
	if err := d.Write(job(12, "", "", 3, "a", "b c")); err != nil {
		t.Fatal(err)
	}
	if err := d.Write(Job{Seq: 2, Resources: Resources{CPUUser: 1500 * time.Millisecond, CPUSys: 20 * time.Millisecond, MaxRSS: 1 << 20, OOM: true}}); err != nil { // nil readers, no input
		t.Fatal(err)
	}
	want := map[string]string{
		"./": "",
		"1/": "", "1/stdout": "hello\n", "1/stderr": "warn\n", "1/exitval": "0\n", "1/input": "x\n", "1/resources": noUse,
		"12/": "", "12/stdout": "", "12/stderr": "", "12/exitval": "3\n", "12/input": "a\nb c\n", "12/resources": noUse,
		"2/": "", "2/stdout": "", "2/stderr": "", "2/exitval": "0\n", "2/input": "",
		"2/resources": `{"cpu_user":1.5,"cpu_sys":0.02,"max_rss":1048576,"oom":true}` + "\n",
	}
	got := readTree(t, root)
	if !mapsEqual(got, want) {
		t.Errorf("tree:\n got %q\nwant %q", got, want)
	}
}

// noUse is the resources file of a job that used nothing.
const noUse = `{"cpu_user":0,"cpu_sys":0,"max_rss":0,"oom":false}` + "\n"

func mapsEqual(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

func TestDirRerunOverwrites(t *testing.T) {
	root := t.TempDir()
	d, err := OpenDir(root)
	if err != nil {
		t.Fatal(err)
	}
	long := strings.Repeat("old output line\n", 1000)
	if err := d.Write(job(5, long, long, 127, "first record", "second")); err != nil {
		t.Fatal(err)
	}
	if err := d.Write(job(5, "new\n", "", 0, "n")); err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"./": "", "5/": "", "5/stdout": "new\n", "5/stderr": "", "5/exitval": "0\n", "5/input": "n\n", "5/resources": noUse,
	}
	if got := readTree(t, root); !mapsEqual(got, want) {
		t.Errorf("tree after rerun:\n got %q\nwant %q", got, want)
	}
}

func TestDirLargeOutputStreams(t *testing.T) {
	root := t.TempDir()
	d, err := OpenDir(root)
	if err != nil {
		t.Fatal(err)
	}
	const size = 64 << 20
	if err := d.Write(Job{Seq: 1, Stdout: &zeros{n: size}}); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(filepath.Join(root, "1", "stdout"))
	if err != nil || fi.Size() != size {
		t.Fatalf("stdout: %v, %v; want %d bytes", fi, err, size)
	}
}

// zeros yields n zero bytes without holding them.
type zeros struct{ n int }

func (z *zeros) Read(p []byte) (int, error) {
	if z.n == 0 {
		return 0, io.EOF
	}
	k := min(len(p), z.n)
	clear(p[:k])
	z.n -= k
	return k, nil
}

func TestDirRecordsNeverNamePaths(t *testing.T) {
	parent := t.TempDir()
	root := filepath.Join(parent, "deep", "out")
	d, err := OpenDir(root)
	if err != nil {
		t.Fatal(err)
	}
	before := readTree(t, parent)
	evil := []string{"../../x", "/etc/passwd", "a/b", "..", ".", "", "x\x00y", "../../../../../../tmp/evil"}
	for i, rec := range evil {
		if err := d.Write(job(int64(i+1), rec, rec, 0, rec, rec)); err != nil {
			t.Fatalf("record %q: %v", rec, err)
		}
	}
	after := readTree(t, parent)
	var added []string
	for k := range after {
		if _, ok := before[k]; !ok {
			added = append(added, k)
		}
	}
	slices.Sort(added)
	for _, p := range added {
		if !strings.HasPrefix(p, filepath.Join("deep", "out")+"/") {
			t.Errorf("created outside DIR: %s", p)
			continue
		}
		rel := strings.TrimPrefix(p, filepath.Join("deep", "out")+"/")
		seq, file, _ := strings.Cut(strings.TrimSuffix(rel, "/"), "/")
		if strings.ContainsAny(seq, "./") || !slices.Contains([]string{"", "stdout", "stderr", "exitval", "input", "resources"}, file) {
			t.Errorf("unexpected path in DIR: %s", p)
		}
	}
	if len(added) != len(evil)*6 {
		t.Errorf("added %d paths, want %d: %q", len(added), len(evil)*6, added)
	}
	for i, rec := range evil {
		b, err := os.ReadFile(filepath.Join(root, strconv.Itoa(i+1), "input"))
		if err != nil || string(b) != rec+"\n"+rec+"\n" {
			t.Errorf("record %q: input = %q, %v", rec, b, err)
		}
	}
}

func TestDirSymlinkInsideCannotLeadOut(t *testing.T) {
	parent := t.TempDir()
	root := filepath.Join(parent, "out")
	outside := filepath.Join(parent, "outside")
	if err := os.Mkdir(outside, 0o777); err != nil {
		t.Fatal(err)
	}
	d, err := OpenDir(root)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(outside, filepath.Join(root, "7")); err != nil {
		t.Skip("no symlinks:", err)
	}
	if err := d.Write(job(7, "x", "", 0, "r")); err == nil {
		t.Error("Write through a symlink leading out of DIR succeeded")
	}
	if ents, _ := os.ReadDir(outside); len(ents) != 0 {
		t.Errorf("wrote outside DIR: %v", ents)
	}
}

func TestDirReadErrorKeepsOldFile(t *testing.T) {
	root := t.TempDir()
	d, err := OpenDir(root)
	if err != nil {
		t.Fatal(err)
	}
	if err := d.Write(job(1, "old", "", 0, "r")); err != nil {
		t.Fatal(err)
	}
	j := job(1, "", "", 0, "r")
	j.Stdout = io.MultiReader(strings.NewReader("partial"), errReader{})
	err = d.Write(j)
	var de *DirError
	if !errors.As(err, &de) || de.Problem != WriteFailed || de.Seq != 1 || de.File != "stdout" || !errors.Is(err, errBroken) {
		t.Fatalf("Write with a failing reader: error %#v, want a *DirError for job 1's stdout wrapping the reader's error", err)
	}
	if want := "results directory " + strconv.Quote(root) + ": job 1: stdout: broken reader"; err.Error() != want {
		t.Errorf("error %q, want %q", err, want)
	}
	want := map[string]string{"./": "", "1/": "", "1/stdout": "old", "1/stderr": "", "1/exitval": "0\n", "1/input": "r\n", "1/resources": noUse}
	if got := readTree(t, root); !mapsEqual(got, want) {
		t.Errorf("tree:\n got %q\nwant %q", got, want)
	}
}

type errReader struct{}

var errBroken = errors.New("broken reader")

func (errReader) Read([]byte) (int, error) { return 0, errBroken }

func TestOpenDirErrors(t *testing.T) {
	tmp := t.TempDir()
	file := filepath.Join(tmp, "file")
	if err := os.WriteFile(file, []byte("x"), 0o666); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		path    string
		problem DirProblem
		want    string
	}{
		{file, NotDir, "results directory " + strconv.Quote(file) + ": not a directory"},
		{filepath.Join(file, "sub"), ParentNotDir, "results directory " + strconv.Quote(filepath.Join(file, "sub")) + ": a parent is not a directory"},
		{"", NameEmpty, "results directory: the name is empty"},
	} {
		d, err := OpenDir(tc.path)
		if err == nil {
			t.Errorf("OpenDir(%q) = %v, want error", tc.path, d)
			continue
		}
		var de *DirError
		if !errors.As(err, &de) || de.Path != tc.path || de.Problem != tc.problem {
			t.Errorf("OpenDir(%q) error %#v, want a *DirError with problem %d", tc.path, err, tc.problem)
		}
		if tc.problem == ParentNotDir && !errors.Is(err, syscall.ENOTDIR) {
			t.Errorf("OpenDir(%q) error %v does not wrap ENOTDIR", tc.path, err)
		}
		if err.Error() != tc.want {
			t.Errorf("OpenDir(%q) error %q, want %q", tc.path, err, tc.want)
		}
		if strings.Contains(err.Error(), "\n") || strings.Contains(err.Error(), "parmap:") || strings.Contains(err.Error(), "--") {
			t.Errorf("error %q: want one line without a parmap: prefix or an option", err)
		}
	}
	if b, _ := os.ReadFile(file); string(b) != "x" {
		t.Errorf("file changed to %q", b)
	}
}

func TestDirBadSeq(t *testing.T) {
	d, err := OpenDir(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	for _, seq := range []int64{0, -1} {
		err := d.Write(Job{Seq: seq})
		var de *DirError
		if !errors.As(err, &de) || de.Problem != BadSeq || de.Seq != seq || de.Path != d.Path() {
			t.Errorf("Write(seq %d) error %#v, want a *DirError with BadSeq", seq, err)
		}
	}
}

func TestDirConcurrentWrites(t *testing.T) {
	root := t.TempDir()
	d, err := OpenDir(root)
	if err != nil {
		t.Fatal(err)
	}
	errs := make(chan error, 50)
	for i := range 50 {
		go func() { errs <- d.Write(job(int64(i+1), strconv.Itoa(i), "", i, strconv.Itoa(i))) }()
	}
	for range 50 {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
	for i := range 50 {
		b, err := os.ReadFile(filepath.Join(root, strconv.Itoa(i+1), "exitval"))
		if err != nil || string(b) != strconv.Itoa(i)+"\n" {
			t.Errorf("job %d exitval %q, %v", i+1, b, err)
		}
	}
}
