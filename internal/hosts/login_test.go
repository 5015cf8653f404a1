package hosts

import (
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
	tests := []struct{ spec, want string }{
		{"", `-S "": empty entry; give [N/][user@]host[:port], or : for this machine`},
		{"3/", `-S "3/": give [N/][user@]host[:port], or : for this machine`},
		{"h1,,h2", `-S "": empty entry;`},
		{"h1,", `-S "": empty entry;`},
		{"0/h1", `-S "0/h1": slots must be from 1 to 100000, as in 4/host`},
		{"x/h1", `-S "x/h1": slots go before the slash as a number, as in 4/host`},
		{"-3/h1", `-S "-3/h1": slots go before the slash`},
		{"a/b/c", `-S "a/b/c": slots go before the slash`},
		{"2/a/b", `-S "2/a/b": the host holds one of / @ [ ]`},
		{"@h1", `-S "@h1": no user before @`},
		{"u@", `-S "u@": no host after @`},
		{"u@:", `-S "u@:": no host after @ (: alone, without user@, is this machine)`},
		{"h1:", `-S "h1:": no port after :`},
		{"h1:x", `-S "h1:x": port "x" is not a number from 1 to 65535`},
		{"h1:70000", `-S "h1:70000": port "70000" is not a number from 1 to 65535`},
		{"h1:+22", `-S "h1:+22": port "+22" is not`},
		{":22", `-S ":22": no host;`},
		{"-oProxyCommand=x", `-S "-oProxyCommand=x": a host cannot start with -; pass ssh options with --ssh 'ssh -o ...'`},
		{"h 1", `-S "h 1": the host holds a space or control character`},
		{"h\x01", "-S \"h\\x01\": the host holds a space or control character"},
		{"[::1", `-S "[::1": no ] after [`},
		{"[::1]x", `-S "[::1]x": only :port may follow ]`},
		{"[::1]:", `-S "[::1]:": no port after :`},
		{"[]", `-S "[]": no host;`},
	}
	for _, tt := range tests {
		_, err := Parse(tt.spec)
		if err == nil {
			t.Errorf("Parse(%q) succeeded, want error %q", tt.spec, tt.want)
			continue
		}
		if !strings.HasPrefix(err.Error(), tt.want) || strings.Contains(err.Error(), "\n") {
			t.Errorf("Parse(%q) error\n  %s\nwant one line starting\n  %s", tt.spec, err, tt.want)
		}
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

	errs := []struct{ name, text, want string }{
		{"bad", "h1\n\n3/\n", `--sshloginfile ` + filepath.Join(dir, "bad") + `:3: "3/": give [N/][user@]host[:port], or : for this machine`},
		{"empty", "# nothing\n\n", `--sshloginfile ` + filepath.Join(dir, "empty") + `: no hosts in it; give [N/][user@]host[:port], or : for this machine, one per line`},
		{"crlf", "h1\r\nh 2\n", `--sshloginfile ` + filepath.Join(dir, "crlf") + `:2: "h 2": the host holds a space`},
	}
	for _, e := range errs {
		_, err := ParseFile(write(e.name, e.text))
		if err == nil || !strings.HasPrefix(err.Error(), e.want) {
			t.Errorf("ParseFile(%s) error\n  %v\nwant\n  %s", e.name, err, e.want)
		}
	}
	if _, err := ParseFile(filepath.Join(dir, "missing")); err == nil || !strings.HasPrefix(err.Error(), "--sshloginfile: open ") {
		t.Errorf("ParseFile(missing) error %v", err)
	}
}

func TestMerge(t *testing.T) {
	in := []Host{{Name: "a"}, {Slots: 2, Name: "b"}, {Slots: 5, Name: "a"}, {Name: "b"}, {Local: true}}
	want := []Host{{Slots: 5, Name: "a"}, {Slots: 2, Name: "b"}, {Local: true}}
	if got := Merge(in); !reflect.DeepEqual(got, want) {
		t.Errorf("Merge = %+v, want %+v", got, want)
	}
}
