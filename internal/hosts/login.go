package hosts

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
)

// Host is one entry of -S / --sshloginfile: a machine that runs jobs.
type Host struct {
	// Slots is N of N/host: how many jobs run on the host at once.
	// 0 means none was given and the caller decides (parmap uses its -j).
	Slots int
	// User is the login user of user@host; "" leaves it to ssh (ssh_config,
	// else the local user name).
	User string
	// Name is the host name, address or ssh_config alias; "" for Local.
	Name string
	// Port is the port of host:port; 0 leaves it to ssh.
	Port int
	// Local is true for ":", this machine, where jobs run without ssh.
	Local bool
}

// String returns the login as written, without the N/ prefix: "user@h1",
// "h1:2222", "[::1]:2222" or ":". The job log's Host column shows it.
func (h Host) String() string {
	if h.Local {
		return ":"
	}
	var b strings.Builder
	if h.User != "" {
		b.WriteString(h.User)
		b.WriteByte('@')
	}
	if h.Port != 0 && strings.IndexByte(h.Name, ':') >= 0 {
		b.WriteString("[" + h.Name + "]")
	} else {
		b.WriteString(h.Name)
	}
	if h.Port != 0 {
		b.WriteString(":" + strconv.Itoa(h.Port))
	}
	return b.String()
}

// usage is what every Parse error asks for.
const usage = "give [N/][user@]host[:port], or : for this machine"

// ErrDashHost is the reason of an EntryError for a host name that starts
// with -, which ssh would read as an option.
var ErrDashHost = errors.New("a host cannot start with -")

// ErrNoHosts is the reason of a FileError for a login file without entries.
var ErrNoHosts = errors.New("no hosts in it; " + usage + ", one per line")

// EntryError is an entry of a login list that cannot be read.
type EntryError struct {
	Entry string // the entry, without the spaces around it
	File  string // the login file it is in; "" for an entry given to Parse
	Line  int    // its line in File, from 1; 0 for Parse
	Err   error  // what is wrong and what to write instead; ErrDashHost for a name that starts with -
}

func (e *EntryError) Error() string {
	if e.File == "" {
		return fmt.Sprintf("login %q: %v", e.Entry, e.Err)
	}
	return fmt.Sprintf("%s:%d: login %q: %v", e.File, e.Line, e.Entry, e.Err)
}

func (e *EntryError) Unwrap() error { return e.Err }

// FileError is a login file that cannot be read, or that has no entries
// (Err is ErrNoHosts).
type FileError struct {
	Path string // the file as given to ParseFile
	Err  error  // the system's error, or ErrNoHosts
}

func (e *FileError) Error() string {
	if errors.Is(e.Err, ErrNoHosts) {
		return "login file " + e.Path + ": " + e.Err.Error()
	}
	return "login file: " + e.Err.Error()
}

func (e *FileError) Unwrap() error { return e.Err }

// Parse reads the value of -S / --sshlogin: comma-separated entries
// [N/][user@]host[:port], where host may be an ssh_config alias or an address
// ([v6addr] with a port), and ":" (or N/:) is this machine. Spaces around an
// entry are ignored; an empty entry is an error. Duplicates are merged as
// Merge does. An error is an *EntryError naming the entry and saying what to
// write instead: login "3/": give [N/][user@]host[:port], or : for this machine.
func Parse(spec string) ([]Host, error) {
	var hs []Host
	for _, e := range strings.Split(spec, ",") {
		h, err := parseEntry(e)
		if err != nil {
			return nil, &EntryError{Entry: strings.TrimSpace(e), Err: err}
		}
		hs = append(hs, h)
	}
	return Merge(hs), nil
}

// ParseFile reads a login file (--sshloginfile): entries as for Parse, one or
// more per line (commas allowed). Blank lines are skipped, and so is
// everything from a # to the end of its line. Duplicates are merged as Merge
// does. An entry that cannot be read is an *EntryError naming the file and
// line; a file that cannot be read, or that has no entries, a *FileError.
func ParseFile(path string) ([]Host, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, &FileError{Path: path, Err: err}
	}
	var hs []Host
	for n, line := range strings.Split(string(data), "\n") {
		if i := strings.IndexByte(line, '#'); i >= 0 {
			line = line[:i]
		}
		if strings.TrimSpace(line) == "" {
			continue
		}
		for _, e := range strings.Split(line, ",") {
			h, err := parseEntry(e)
			if err != nil {
				return nil, &EntryError{Entry: strings.TrimSpace(e), File: path, Line: n + 1, Err: err}
			}
			hs = append(hs, h)
		}
	}
	if len(hs) == 0 {
		return nil, &FileError{Path: path, Err: ErrNoHosts}
	}
	return Merge(hs), nil
}

// Merge returns hs with each login (String) kept once, at its first place,
// as GNU parallel does: a later entry for the same login only sets its slots,
// when it gives N/. So "h1,4/h1" is h1 with 4 slots, and "2/h1,3/h1" is h1
// with 3. Use it on the hosts of -S and --sshloginfile together.
func Merge(hs []Host) []Host {
	var out []Host
	at := make(map[string]int, len(hs))
	for _, h := range hs {
		k := h.String()
		if i, ok := at[k]; ok {
			if h.Slots != 0 {
				out[i].Slots = h.Slots
			}
			continue
		}
		at[k] = len(out)
		out = append(out, h)
	}
	return out
}

// maxSlots bounds N/ so that a typo does not ask for a million processes.
const maxSlots = 100000

// parseEntry parses one [N/][user@]host[:port] or [N/]:, returning an error
// that says what to fix (without the entry, which the caller adds).
func parseEntry(e string) (Host, error) {
	e = strings.TrimSpace(e)
	if e == "" {
		return Host{}, fmt.Errorf("empty entry; %s", usage)
	}
	var h Host
	if i := strings.IndexByte(e, '/'); i >= 0 {
		n, err := strconv.Atoi(e[:i])
		if err != nil || !allDigits(e[:i]) {
			return Host{}, fmt.Errorf("slots go before the slash as a number, as in 4/host; %s", usage)
		}
		if n < 1 || n > maxSlots {
			return Host{}, fmt.Errorf("slots must be from 1 to %d, as in 4/host", maxSlots)
		}
		h.Slots = n
		e = strings.TrimSpace(e[i+1:])
	}
	if e == ":" {
		h.Local = true
		return h, nil
	}
	if e == "" {
		return Host{}, fmt.Errorf("%s", usage)
	}
	if at := strings.LastIndexByte(e, '@'); at >= 0 {
		h.User, e = e[:at], e[at+1:]
		if h.User == "" {
			return Host{}, fmt.Errorf("no user before @; %s", usage)
		}
		if !printable(h.User) {
			return Host{}, fmt.Errorf("the user holds a space or control character; %s", usage)
		}
		if e == "" || e == ":" {
			return Host{}, fmt.Errorf("no host after @ (: alone, without user@, is this machine); %s", usage)
		}
	}
	port := ""
	switch {
	case strings.HasPrefix(e, "["):
		end := strings.IndexByte(e, ']')
		if end < 0 {
			return Host{}, fmt.Errorf("no ] after [; write an IPv6 address as [addr] or [addr]:port")
		}
		h.Name, port = e[1:end], e[end+1:]
		if port != "" {
			if port[0] != ':' {
				return Host{}, fmt.Errorf("only :port may follow ]; write [addr]:port")
			}
			port = port[1:]
			if port == "" {
				return Host{}, fmt.Errorf("no port after :; write [addr]:port")
			}
		}
	case strings.Count(e, ":") == 1:
		i := strings.IndexByte(e, ':')
		h.Name, port = e[:i], e[i+1:]
		if port == "" {
			return Host{}, fmt.Errorf("no port after :; write host:port, or : alone for this machine")
		}
	default: // no colon, or a bare IPv6 address
		h.Name = e
	}
	if h.Name == "" {
		return Host{}, fmt.Errorf("no host; %s", usage)
	}
	if err := checkName(h.Name); err != nil {
		return Host{}, err
	}
	if port != "" {
		p, err := strconv.Atoi(port)
		if err != nil || !allDigits(port) || p < 1 || p > 65535 {
			return Host{}, fmt.Errorf("port %q is not a number from 1 to 65535", port)
		}
		h.Port = p
	}
	return h, nil
}

// checkName refuses host names that ssh would read as an option or that
// cannot be a host: a leading -, spaces, control characters, / and @.
func checkName(name string) error {
	if name[0] == '-' {
		return ErrDashHost
	}
	if !printable(name) {
		return fmt.Errorf("the host holds a space or control character; %s", usage)
	}
	if strings.ContainsAny(name, "/@[]") {
		return fmt.Errorf("the host holds one of / @ [ ]; %s", usage)
	}
	return nil
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

// printable reports whether s has no ASCII space or control character.
func printable(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] <= ' ' || s[i] == 0x7f {
			return false
		}
	}
	return true
}
