package channel

import (
	"strconv"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

// A child started with Nice runs at that niceness from the start, and so
// does what it forks; children started without it keep parmap's.
func TestNice(t *testing.T) {
	prio, err := unix.Getpriority(unix.PRIO_PROCESS, 0)
	if err != nil {
		t.Fatal(err)
	}
	own := 20 - prio // the raw system call's value is 20 - nice
	n := min(own+7, 19)
	_, out, _ := run(t, Spec{Argv: []string{"sh", "-c", "nice; sh -c nice"}, Nice: Niceness{Set: true, Value: n}})
	if want := strings.Repeat(strconv.Itoa(n)+"\n", 2); out != want {
		t.Errorf("niced child and grandchild say %q, want %q", out, want)
	}
	_, out, _ = run(t, Spec{Argv: []string{"nice"}})
	if want := strconv.Itoa(own) + "\n"; out != want {
		t.Errorf("a child without Nice says %q, want parmap's %q", out, want)
	}
	if err := CheckNice(n); err != nil {
		t.Errorf("CheckNice(%d): %v", n, err)
	}
	if unix.Geteuid() != 0 && own > -20 {
		if err := CheckNice(-20); err == nil {
			t.Error("CheckNice(-20) without privilege: no error")
		}
	}
}
