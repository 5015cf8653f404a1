package hosts

import (
	"os"
	"reflect"
	"strings"
	"testing"
)

func TestArgv(t *testing.T) {
	r := newRunner(t, []string{"ip", "netns", "exec", "cli", "ssh", "-F", "cfg"}, "")
	h := Host{Slots: 25, User: "u", Name: "h1", Port: 2222}
	got := r.Argv(h, 23, "echo hi", []string{"PARMAP_SEQ=5", "PARMAP_SLOT=24"})
	want := []string{"ip", "netns", "exec", "cli", "ssh", "-F", "cfg",
		"-T", "-o", "ControlMaster=no", "-o", "ControlPath=" + r.Dir() + "/0-2", "-o", "BatchMode=yes",
		"-p", "2222", "-l", "u", "--", "h1",
		"export PARMAP_SEQ=5 PARMAP_SLOT=24\n(\necho hi\n)"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Argv =\n  %q\nwant\n  %q", got, want)
	}
	// Slots share masters SessionsPerMaster (8) at a time; hosts have
	// masters of their own.
	for _, c := range []struct {
		h    Host
		slot int
		want string
	}{{h, 0, "/0-0"}, {h, 7, "/0-0"}, {h, 8, "/0-1"}, {h, 17, "/0-2"}, {Host{Name: "h2"}, 3, "/1-0"}, {Host{User: "v", Name: "h1"}, 0, "/2-0"}} {
		if p := r.controlPath(c.h, c.slot); p != r.Dir()+c.want || len(p) >= controlPathMax {
			t.Errorf("controlPath(%s, %d) = %s, want DIR%s", c.h, c.slot, p, c.want)
		}
	}
	if got := r.Argv(Host{Local: true}, 0, "echo hi", nil); !reflect.DeepEqual(got, []string{"/bin/sh", "-c", "(\necho hi\n)"}) {
		t.Errorf("Argv(:) = %q", got)
	}
	if argv, stdin := r.ArgvGuarded(h, 0, "echo hi", nil); stdin == nil || !strings.HasPrefix(argv[len(argv)-1], "exec 3<&0 </dev/null; ") {
		t.Errorf("ArgvGuarded = %q, %v", argv, stdin)
	}
}

func TestArgvRefusesBadEnvNames(t *testing.T) {
	r := newRunner(t, nil, "")
	for _, kv := range []string{"1X=a", "A-B=c", "=d", "A B=e"} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("Argv with env %q did not panic", kv)
				}
			}()
			r.Argv(Host{Name: "h"}, 0, "true", []string{kv})
		}()
	}
}

func TestNewRefusesLongDir(t *testing.T) {
	dir := t.TempDir() + "/" + strings.Repeat("d", 80)
	if err := mkdir(dir); err != nil {
		t.Fatal(err)
	}
	if _, err := New(nil, dir); err == nil || !strings.Contains(err.Error(), "too long for a socket path") {
		t.Errorf("New(long dir) = %v", err)
	}
}

func TestLastLine(t *testing.T) {
	var l lastLine
	l.Write([]byte("Warning: x\r\n\nssh: connect to host 10.0.0.3 port 22: Conn"))
	l.Write([]byte("ection refused\r\n\n"))
	if got := l.String(); got != "ssh: connect to host 10.0.0.3 port 22: Connection refused" {
		t.Errorf("lastLine = %q", got)
	}
}

func mkdir(dir string) error { return os.MkdirAll(dir, 0o755) }
