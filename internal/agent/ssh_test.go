package agent

import (
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

func TestCheckPlatform(t *testing.T) {
	own := map[string]string{"amd64": "x86_64", "arm64": "aarch64", "386": "i686", "arm": "armv7l"}[runtime.GOARCH]
	if own == "" {
		t.Skipf("no uname -m known for %s", runtime.GOARCH)
	}
	if err := checkPlatform("Linux " + own); runtime.GOOS == "linux" && err != nil {
		t.Errorf("Linux %s: %v", own, err)
	}
	for _, uname := range []string{"Linux sparc64", "Darwin " + own, "FreeBSD " + own, "", "Linux"} {
		var ae *ArchError
		if err := checkPlatform(uname); !errors.As(err, &ae) || ae.Uname != uname {
			t.Errorf("%q: %v, want an ArchError", uname, err)
		}
	}
	msg := (&ArchError{Uname: "Linux aarch64"}).Error()
	if !strings.HasPrefix(msg, "the host is Linux aarch64 and this parmap is built for "+runtime.GOOS+"/"+runtime.GOARCH) {
		t.Errorf("ArchError: %q", msg)
	}
}

// TestRemoveTemp: an agent removes TempEnv's directory only when it is
// one SSH made (absolute, named parmap-agent.*).
func TestRemoveTemp(t *testing.T) {
	dir := t.TempDir()
	mine := filepath.Join(dir, tempPrefix+"abc")
	other := filepath.Join(dir, "data")
	for _, d := range []string{mine, other} {
		if err := os.MkdirAll(filepath.Join(d, "sub"), 0o700); err != nil {
			t.Fatal(err)
		}
	}
	removeTemp(other)
	removeTemp("relative/" + tempPrefix + "x")
	removeTemp(mine)
	if _, err := os.Stat(other); err != nil {
		t.Errorf("%s was removed", other)
	}
	if _, err := os.Stat(mine); !os.IsNotExist(err) {
		t.Errorf("%s is still there: %v", mine, err)
	}
}
