package template

import (
	"os/exec"
	"strings"
	"testing"
)

var paths = []string{
	"", "a", "a/", "/a", "/", "//", "a/b", "a/b/", "a//b", "a/b//", "/a/b", "dir/x.tar.gz",
	".bashrc", "dir/.bashrc", "..", "...", "a.", "a.b/c", "x.d/", "./a.b", "..a.b",
}

func TestNoExt(t *testing.T) {
	for s, want := range map[string]string{
		"": "", "a": "a", "a.txt": "a", "dir/x.tar.gz": "dir/x.tar", "a.b/c": "a.b/c",
		".bashrc": ".bashrc", "dir/.bashrc": "dir/.bashrc", "..a.b": "..a", "...": "...",
		"a.": "a", "x.d/": "x.d/", "./a": "./a",
	} {
		if got := noExt(s); got != want {
			t.Errorf("noExt(%q) = %q, want %q", s, got, want)
		}
	}
}

// {/} and {//} follow basename(1) and dirname(1).
func TestBasenameDirname(t *testing.T) {
	for _, tool := range []struct {
		name string
		f    func(string) string
	}{{"basename", basename}, {"dirname", dirname}} {
		if _, err := exec.LookPath(tool.name); err != nil {
			t.Skip(err)
		}
		for _, p := range paths {
			out, err := exec.Command(tool.name, "--", p).Output()
			if err != nil {
				t.Fatalf("%s %q: %v", tool.name, p, err)
			}
			if got, want := tool.f(p), strings.TrimSuffix(string(out), "\n"); got != want {
				t.Errorf("%s(%q) = %q, %s(1) says %q", tool.name, p, got, tool.name, want)
			}
		}
	}
}
