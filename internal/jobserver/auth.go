// Package jobserver speaks both sides of GNU make's jobserver protocol: a
// Client takes job slots from the make that runs parmap, and a Server hands
// slots to parmap's own jobs so nested make and parmap runs share one budget.
//
// The protocol: a pipe or named FIFO holds one byte per free slot beyond the
// one every participant owns implicitly. To run an extra job, read a byte;
// when the job ends, write the same byte back. MAKEFLAGS names the channel:
//
//	--jobserver-auth=fifo:PATH   named FIFO (make ≥ 4.4 default)
//	--jobserver-auth=R,W         inherited pipe fds (make 4.2, 4.3; 4.4 with --jobserver-style=pipe)
//	--jobserver-fds=R,W          the same, make < 4.2
//
// A token that is taken and not given back is lost for the whole make run,
// so a Client records every token it hands out and Close returns them all.
package jobserver

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// Style is the kind of channel a jobserver uses.
type Style int

const (
	// StyleNone means MAKEFLAGS names no jobserver.
	StyleNone Style = iota
	// StylePipe is a pair of inherited file descriptors, "R,W".
	StylePipe
	// StyleFifo is a named FIFO, "fifo:PATH".
	StyleFifo
)

func (s Style) String() string {
	switch s {
	case StylePipe:
		return "pipe"
	case StyleFifo:
		return "fifo"
	}
	return "none"
}

// Auth is where a jobserver's tokens are, as MAKEFLAGS tells it.
type Auth struct {
	Style Style
	Path  string // StyleFifo: the FIFO's path
	R, W  int    // StylePipe: the read and write file descriptors
}

// ErrUnavailable is wrapped by errors for a jobserver that MAKEFLAGS names
// but this process cannot use: make did not pass the pipe (the recipe lacks
// '+' and does not mention $(MAKE)), or the FIFO is gone. Make itself warns
// and runs with one slot in that case; a caller should do the same.
var ErrUnavailable = errors.New("jobserver unavailable")

// Parse finds the jobserver in a MAKEFLAGS value. When several are given the
// last one wins. Without one, as under plain make or make -j1, it returns an
// Auth of StyleNone. Make 4.4 marks the pipe as withheld from a recipe with
// "-2,-2"; Parse reports negative fds as ErrUnavailable.
func Parse(makeflags string) (Auth, error) {
	var val string
	found := false
	for _, w := range fields(makeflags) {
		if w == "--" {
			break // command-line variable definitions follow
		}
		w = unescape(w)
		for _, opt := range []string{"--jobserver-auth=", "--jobserver-fds="} {
			if v, ok := strings.CutPrefix(w, opt); ok {
				val, found = v, true
			}
		}
	}
	if !found {
		return Auth{Style: StyleNone}, nil
	}
	if path, ok := strings.CutPrefix(val, "fifo:"); ok {
		if path == "" {
			return Auth{}, fmt.Errorf("jobserver: MAKEFLAGS has --jobserver-auth=fifo: with no path")
		}
		return Auth{Style: StyleFifo, Path: path}, nil
	}
	rs, ws, ok := strings.Cut(val, ",")
	r, rerr := strconv.Atoi(rs)
	w, werr := strconv.Atoi(ws)
	if !ok || rerr != nil || werr != nil {
		return Auth{}, fmt.Errorf("jobserver: MAKEFLAGS has invalid --jobserver-auth value %q (want R,W or fifo:PATH)", val)
	}
	if r < 0 || w < 0 {
		return Auth{}, fmt.Errorf("%w: make did not pass its jobserver to this command (fds %d,%d); mark the make rule with '+'", ErrUnavailable, r, w)
	}
	return Auth{Style: StylePipe, R: r, W: w}, nil
}

// fields splits MAKEFLAGS at blanks that are not escaped by a backslash,
// keeping each word's escapes so it can be written back unchanged.
func fields(s string) []string {
	var words []string
	start := -1
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == ' ' || c == '\t' {
			if start >= 0 {
				words = append(words, s[start:i])
				start = -1
			}
			continue
		}
		if start < 0 {
			start = i
		}
		if c == '\\' && i+1 < len(s) {
			i++
		}
	}
	if start >= 0 {
		words = append(words, s[start:])
	}
	return words
}

// unescape removes make's backslash escapes from one MAKEFLAGS word.
func unescape(w string) string {
	if !strings.Contains(w, `\`) {
		return w
	}
	var b strings.Builder
	for i := 0; i < len(w); i++ {
		if w[i] == '\\' && i+1 < len(w) {
			i++
		}
		b.WriteByte(w[i])
	}
	return b.String()
}

// escape quotes blanks and backslashes the way make does in MAKEFLAGS.
func escape(v string) string {
	var b strings.Builder
	for i := 0; i < len(v); i++ {
		switch v[i] {
		case ' ', '\t', '\\':
			b.WriteByte('\\')
		}
		b.WriteByte(v[i])
	}
	return b.String()
}

// withJobserver returns makeflags with its job count and jobserver replaced
// by -jN and --jobserver-auth=auth, keeping every other flag and the
// variable definitions after "--".
func withJobserver(makeflags string, n int, auth string) string {
	words := fields(makeflags)
	var letters string
	var flags, vars []string
	for i, w := range words {
		if w == "--" {
			vars = words[i+1:]
			break
		}
		if i == 0 && !strings.HasPrefix(w, "-") {
			letters = w // single-letter flags without a dash, as make writes them
			continue
		}
		if isJobsFlag(w) {
			continue
		}
		flags = append(flags, w)
	}
	flags = append(flags, "-j"+strconv.Itoa(n), "--jobserver-auth="+escape(auth))
	out := letters + " " + strings.Join(flags, " ")
	if len(vars) > 0 {
		out += " -- " + strings.Join(vars, " ")
	}
	return out
}

// Jobs returns N of the -jN in a MAKEFLAGS value, 0 when it gives none.
func Jobs(makeflags string) int {
	n := 0
	for _, w := range fields(makeflags) {
		if w == "--" {
			break
		}
		if v, ok := strings.CutPrefix(w, "-j"); ok {
			if k, err := strconv.Atoi(v); err == nil {
				n = k
			}
		}
	}
	return n
}

// isJobsFlag reports whether a MAKEFLAGS word sets the job count or names a
// jobserver.
func isJobsFlag(w string) bool {
	if strings.HasPrefix(w, "--jobserver-auth=") || strings.HasPrefix(w, "--jobserver-fds=") ||
		w == "--jobs" || strings.HasPrefix(w, "--jobs=") {
		return true
	}
	if n, ok := strings.CutPrefix(w, "-j"); ok {
		_, err := strconv.Atoi(n)
		return n == "" || err == nil
	}
	return false
}
