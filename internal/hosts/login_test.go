package hosts

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func TestParse(t *testing.T) {
	tests := []struct {
		spec string
		want []Host
	}{
		{"h1", []Host{{Name: "h1"}}},
		{":", []Host{{Local: true}}},
		{"4/:", []Host{{Slots: 4, Local: true}}},
		{"3/alice@h1:2222", []Host{{Slots: 3, User: "alice", Name: "h1", Port: 2222}}},
		{"h1, 2/h2 ,:", []Host{{Name: "h1"}, {Slots: 2, Name: "h2"}, {Local: true}}},
		{"10.0.0.1:22", []Host{{Name: "10.0.0.1", Port: 22}}},
		{"::1", []Host{{Name: "::1"}}},
		{"[::1]:2222", []Host{{Name: "::1", Port: 2222}}},
		{"u@[fe80::1]", []Host{{User: "u", Name: "fe80::1"}}},
		{"a@b@h1", []Host{{User: "a@b", Name: "h1"}}},
		{"h-1.example.org", []Host{{Name: "h-1.example.org"}}},
		// Duplicates: first place kept, a later N/ sets the slots (GNU parallel).
		{"h1,h2,4/h1", []Host{{Slots: 4, Name: "h1"}, {Name: "h2"}}},
		{"2/h1,3/h1,h1", []Host{{Slots: 3, Name: "h1"}}},
		{":,2/:", []Host{{Slots: 2, Local: true}}},
		{"h1,u@h1,h1:22", []Host{{Name: "h1"}, {User: "u", Name: "h1"}, {Name: "h1", Port: 22}}},
	}
	for _, tt := range tests {
		got, err := Parse(tt.spec)
		if err != nil {
			t.Errorf("Parse(%q): %v", tt.spec, err)
			continue
		}
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("Parse(%q) = %+v, want %+v", tt.spec, got, tt.want)
		}
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct{ spec, entry, want string }{
		{"", "", `empty entry; give [N/][user@]host[:port], or : for this machine`},
		{"3/", "3/", `give [N/][user@]host[:port], or : for this machine`},
		{"h1,,h2", "", `empty entry;`},
		{"h1,", "", `empty entry;`},
		{"0/h1", "0/h1", `slots must be from 1 to 100000, as in 4/host`},
		{"x/h1", "x/h1", `slots go before the slash as a number, as in 4/host`},
		{"-3/h1", "-3/h1", `slots go before the slash`},
		{"a/b/c", "a/b/c", `slots go before the slash`},
		{"2/a/b", "2/a/b", `the host holds one of / @ [ ]`},
		{"@h1", "@h1", `no user before @`},
		{"u@", "u@", `no host after @`},
		{"u@:", "u@:", `no host after @ (: alone, without user@, is this machine)`},
		{"h1:", "h1:", `no port after :`},
		{"h1:x", "h1:x", `port "x" is not a number from 1 to 65535`},
		{"h1:70000", "h1:70000", `port "70000" is not a number from 1 to 65535`},
		{"h1:+22", "h1:+22", `port "+22" is not`},
		{":22", ":22", `no host;`},
		{"-oProxyCommand=x", "-oProxyCommand=x", `a host cannot start with -`},
		{"h 1", "h 1", `the host holds a space or control character`},
		{"h\x01", "h\x01", "the host holds a space or control character"},
		{"[::1", "[::1", `no ] after [`},
		{"[::1]x", "[::1]x", `only :port may follow ]`},
		{"[::1]:", "[::1]:", `no port after :`},
		{"[]", "[]", `no host;`},
	}
	for _, tt := range tests {
		_, err := Parse(tt.spec)
		if err == nil {
			t.Errorf("Parse(%q) succeeded, want error %q", tt.spec, tt.want)
			continue
		}
		var ee *EntryError
		if !errors.As(err, &ee) || ee.Entry != tt.entry || ee.File != "" || ee.Line != 0 {
			t.Errorf("Parse(%q) error %#v, want an *EntryError for %q", tt.spec, err, tt.entry)
			continue
		}
		if !strings.HasPrefix(ee.Err.Error(), tt.want) || strings.ContainsAny(err.Error(), "\n") || strings.Contains(err.Error(), "--") {
			t.Errorf("Parse(%q) error\n  %s\nwant one line, naming no option, with a reason starting\n  %s", tt.spec, err, tt.want)
		}
		if want := fmt.Sprintf("login %q: %s", tt.entry, ee.Err); err.Error() != want {
			t.Errorf("Parse(%q) error %q, want %q", tt.spec, err, want)
		}
	}
	if _, err := Parse("-oProxyCommand=x"); !errors.Is(err, ErrDashHost) {
		t.Errorf("Parse(-oProxyCommand=x) error %v, want ErrDashHost", err)
	}
}

func TestHostString(t *testing.T) {
	for _, s := range []string{"h1", "u@h1", "h1:2222", "u@h1:2222", ":", "::1", "[::1]:22", "u@[::1]:22", "10.0.0.1:22"} {
		hs, err := Parse("7/" + s)
		if err != nil {
			t.Fatal(err)
		}
		if got := hs[0].String(); got != s {
			t.Errorf("Parse(7/%s).String() = %q", s, got)
		}
	}
}

func TestParseFile(t *testing.T) {
	dir := t.TempDir()
	write := func(name, text string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	p := write("ok", "# cluster\n\n  4/h1  \nu@h2:2222 # the big one\n:\n\th3, h4\nh1\n2/h1\n")
	got, err := ParseFile(p)
	if err != nil {
		t.Fatal(err)
	}
	want := []Host{{Slots: 2, Name: "h1"}, {User: "u", Name: "h2", Port: 2222}, {Local: true}, {Name: "h3"}, {Name: "h4"}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("ParseFile = %+v, want %+v", got, want)
	}

	bad := []struct {
		name, text string
		line       int
		entry      string
		want       string
	}{
		{"bad", "h1\n\n3/\n", 3, "3/", "give [N/][user@]host[:port], or : for this machine"},
		{"crlf", "h1\r\nh 2\n", 2, "h 2", "the host holds a space"},
	}
	for _, e := range bad {
		p := write(e.name, e.text)
		_, err := ParseFile(p)
		var ee *EntryError
		if !errors.As(err, &ee) || ee.File != p || ee.Line != e.line || ee.Entry != e.entry || !strings.HasPrefix(ee.Err.Error(), e.want) {
			t.Errorf("ParseFile(%s) error %#v, want an *EntryError for %s:%d: %q: %s", e.name, err, p, e.line, e.entry, e.want)
			continue
		}
		if want := fmt.Sprintf("%s:%d: login %q: %s", p, e.line, e.entry, ee.Err); err.Error() != want {
			t.Errorf("ParseFile(%s) error %q, want %q", e.name, err, want)
		}
	}
	empty := write("empty", "# nothing\n\n")
	_, err = ParseFile(empty)
	var fe *FileError
	if !errors.As(err, &fe) || fe.Path != empty || !errors.Is(err, ErrNoHosts) {
		t.Errorf("ParseFile(empty) error %#v, want a *FileError with ErrNoHosts", err)
	} else if want := "login file " + empty + ": no hosts in it; give [N/][user@]host[:port], or : for this machine, one per line"; err.Error() != want {
		t.Errorf("ParseFile(empty) error %q, want %q", err, want)
	}
	missing := filepath.Join(dir, "missing")
	_, err = ParseFile(missing)
	if !errors.As(err, &fe) || fe.Path != missing || !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("ParseFile(missing) error %#v, want a *FileError wrapping fs.ErrNotExist", err)
	} else if want := "login file: open " + missing + ": no such file or directory"; err.Error() != want {
		t.Errorf("ParseFile(missing) error %q, want %q", err, want)
	}
}

func TestMerge(t *testing.T) {
	in := []Host{{Name: "a"}, {Slots: 2, Name: "b"}, {Slots: 5, Name: "a"}, {Name: "b"}, {Local: true}}
	want := []Host{{Slots: 5, Name: "a"}, {Slots: 2, Name: "b"}, {Local: true}}
	if got := Merge(in); !reflect.DeepEqual(got, want) {
		t.Errorf("Merge = %+v, want %+v", got, want)
	}
}
