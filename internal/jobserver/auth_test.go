package jobserver

import (
	"errors"
	"testing"
)

func TestParse(t *testing.T) {
	tests := []struct {
		name, flags string
		want        Auth
	}{
		{"empty", "", Auth{Style: StyleNone}},
		{"no jobserver, -j1", " -j1", Auth{Style: StyleNone}},
		{"no jobserver, letters", "ks -j4 --no-print-directory", Auth{Style: StyleNone}},
		{"fifo, make 4.4", " -j8 --jobserver-auth=fifo:/tmp/GMfifo1234", Auth{Style: StyleFifo, Path: "/tmp/GMfifo1234"}},
		{"pipe, make 4.3", "k -j2 --jobserver-auth=3,4", Auth{Style: StylePipe, R: 3, W: 4}},
		{"pipe, make < 4.2", " --jobserver-fds=5,6 -j", Auth{Style: StylePipe, R: 5, W: 6}},
		{"last wins", "--jobserver-fds=3,4 --jobserver-auth=fifo:/a -j3 --jobserver-auth=7,8", Auth{Style: StylePipe, R: 7, W: 8}},
		{"last wins, fifo", " -j2 --jobserver-auth=3,4 --jobserver-auth=fifo:/b", Auth{Style: StyleFifo, Path: "/b"}},
		{"escaped space in path", `s -j2 --jobserver-auth=fifo:/tmp/my\ dir/fifo --warn-undefined-variables`, Auth{Style: StyleFifo, Path: "/tmp/my dir/fifo"}},
		{"tabs between flags", "\t-j2\t--jobserver-auth=9,10\t", Auth{Style: StylePipe, R: 9, W: 10}},
		{"variables after -- ignored", " -j2 --jobserver-auth=3,4 -- X=--jobserver-auth=fifo:/evil", Auth{Style: StylePipe, R: 3, W: 4}},
		{"only a variable looks like one", " -j2 -- X=--jobserver-auth=3,4", Auth{Style: StyleNone}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Parse(tt.flags)
			if err != nil {
				t.Fatalf("Parse(%q): %v", tt.flags, err)
			}
			if got != tt.want {
				t.Errorf("Parse(%q) = %+v, want %+v", tt.flags, got, tt.want)
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name, flags string
		unavailable bool
	}{
		{"make 4.4 withheld the pipe", " -j2 --jobserver-auth=3,4 --jobserver-auth=-2,-2", true},
		{"negative fd", "--jobserver-fds=-1,4", true},
		{"garbage", "--jobserver-auth=foo", false},
		{"one fd", "--jobserver-auth=3", false},
		{"empty fifo path", "--jobserver-auth=fifo:", false},
		{"windows semaphore name", "--jobserver-auth=gmake_semaphore_1234", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse(tt.flags)
			if err == nil {
				t.Fatalf("Parse(%q): no error", tt.flags)
			}
			if got := errors.Is(err, ErrUnavailable); got != tt.unavailable {
				t.Errorf("Parse(%q) = %v; Is(ErrUnavailable) = %v, want %v", tt.flags, err, got, tt.unavailable)
			}
		})
	}
}

func TestWithJobserver(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", " -j3 --jobserver-auth=fifo:/t/fifo"},
		{"k", "k -j3 --jobserver-auth=fifo:/t/fifo"},
		{"ks -j8 --jobserver-auth=3,4 --no-print-directory", "ks --no-print-directory -j3 --jobserver-auth=fifo:/t/fifo"},
		{" -j --jobs=5 --jobs --jobserver-fds=1,2 -l4", " -l4 -j3 --jobserver-auth=fifo:/t/fifo"},
		{`k -j2 -- CC=gcc CFLAGS=-O2\ -g -j9`, `k -j3 --jobserver-auth=fifo:/t/fifo -- CC=gcc CFLAGS=-O2\ -g -j9`},
		{" -jx", " -jx -j3 --jobserver-auth=fifo:/t/fifo"},
	}
	for _, tt := range tests {
		if got := withJobserver(tt.in, 3, "fifo:/t/fifo"); got != tt.want {
			t.Errorf("withJobserver(%q)\n got %q\nwant %q", tt.in, got, tt.want)
		}
	}
	// A path with blanks survives the round trip through MAKEFLAGS.
	flags := withJobserver("k -- V=a\\ b", 2, `fifo:/tmp/a b\c/fifo`)
	a, err := Parse(flags)
	if err != nil || a.Path != `/tmp/a b\c/fifo` {
		t.Errorf("Parse(%q) = %+v, %v; want path %q", flags, a, err, `/tmp/a b\c/fifo`)
	}
}

func TestJobs(t *testing.T) {
	for flags, want := range map[string]int{
		"":                                  0,
		" -j8 --jobserver-auth=3,4":         8,
		"k -j2 -j5 --jobserver-auth=3,4":    5,
		"-j --jobserver-auth=3,4":           0,
		" -j4 -- CFLAGS=-j9":                4,
		"s --jobserver-auth=fifo:/tmp/f -j": 0,
	} {
		if got := Jobs(flags); got != want {
			t.Errorf("Jobs(%q) = %d, want %d", flags, got, want)
		}
	}
}
