package jobserver

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// Server is a jobserver for a process's own children: a named FIFO in a
// private directory, holding one token byte per free slot.
//
// Of n slots, the FIFO holds n-1 tokens: the serving process keeps the
// implicit one, as make does, because its first job runs on it. So parmap
// under --jobserver -j4 runs its own jobs through Client (one implicit slot
// plus three tokens), and a nested make or parmap in a job runs on that
// job's slot and reads further tokens from the same FIFO.
//
// Children reach the FIFO by path (Makeflags, make ≥ 4.4) or through two
// inherited descriptors (PipeMakeflags and Files, any make since 4.2; make
// 4.3 rejects "fifo:" as invalid and stops, so StylePipe is the safe
// default). Attach sets either up on an exec.Cmd.
//
// A child must run make without a job count: "make -j" or "make -j4" in a
// job starts a new jobserver ("-jN forced in submake") outside the budget.
type Server struct {
	dir, path string
	n         int
	keep      int      // fd open read-write, so the FIFO keeps its tokens between users; -1 once closed
	r, w      *os.File // blocking ends handed to children in the pipe style
}

// pipeTokenByte is the token make writes; clients give back what they read.
const pipeTokenByte = '+'

// Serve creates a jobserver with n slots in a new directory, mode 0700,
// inside dir (os.TempDir() when dir is ""). Close removes it.
func Serve(n int, dir string) (*Server, error) {
	if n < 1 {
		return nil, fmt.Errorf("jobserver: %d slots; need at least 1", n)
	}
	if dir == "" {
		dir = os.TempDir()
	}
	d, err := os.MkdirTemp(dir, "parmap-jobserver-")
	if err != nil {
		return nil, fmt.Errorf("jobserver: %w", err)
	}
	s := &Server{dir: d, path: filepath.Join(d, "fifo"), n: n, keep: -1}
	fail := func(err error) (*Server, error) {
		s.Close() // its token count is beside the point
		return nil, err
	}
	if err := unix.Mkfifo(s.path, 0o600); err != nil {
		return fail(fmt.Errorf("jobserver: mkfifo %s: %w", s.path, err))
	}
	// O_RDWR opens a FIFO without waiting for a peer, and this writer keeps
	// readers from ever seeing end of file.
	if s.keep, err = unix.Open(s.path, unix.O_RDWR|unix.O_NONBLOCK|unix.O_CLOEXEC, 0); err != nil {
		return fail(fmt.Errorf("jobserver: open %s: %w", s.path, err))
	}
	tokens := []byte(strings.Repeat(string(rune(pipeTokenByte)), n-1))
	for len(tokens) > 0 {
		// A raw write, not the poller's: a full FIFO must fail, not wait.
		m, err := unix.Write(s.keep, tokens)
		if err == unix.EAGAIN {
			return fail(fmt.Errorf("jobserver: %d slots do not fit in a pipe; use fewer", n))
		}
		if err != nil {
			return fail(fmt.Errorf("jobserver: fill %s: %w", s.path, err))
		}
		tokens = tokens[m:]
	}
	if s.r, err = openBlocking(s.path, unix.O_RDONLY); err != nil {
		return fail(err)
	}
	if s.w, err = openBlocking(s.path, unix.O_WRONLY); err != nil {
		return fail(err)
	}
	return s, nil
}

// openBlocking opens a FIFO end for children, who may expect blocking
// reads. The FIFO has a reader and a writer already, so open does not wait.
func openBlocking(path string, mode int) (*os.File, error) {
	fd, err := unix.Open(path, mode|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("jobserver: open %s: %w", path, err)
	}
	return os.NewFile(uintptr(fd), path), nil
}

// Path returns the FIFO's path.
func (s *Server) Path() string { return s.path }

// Slots returns n, the number of slots Serve was given.
func (s *Server) Slots() int { return s.n }

// Client returns a Client on this server, holding the serving process's
// implicit slot; its Acquire and Release share the budget with the
// children. Close it before closing the Server.
func (s *Server) Client() (*Client, error) { return openEnds(s.path, s.path) }

// Makeflags returns makeflags with this server as the jobserver, in the
// fifo style: its -j and jobserver flags are replaced by
// " -jN --jobserver-auth=fifo:PATH", and every other flag is kept.
func (s *Server) Makeflags(makeflags string) string {
	return withJobserver(makeflags, s.n, "fifo:"+s.path)
}

// PipeMakeflags is Makeflags in the pipe style, for a child that has the
// ends from Files as descriptors r and w.
func (s *Server) PipeMakeflags(makeflags string, r, w int) string {
	return withJobserver(makeflags, s.n, strconv.Itoa(r)+","+strconv.Itoa(w))
}

// Files returns the read and write ends to pass to children for the pipe
// style, as in exec.Cmd.ExtraFiles. They stay the Server's: do not close.
func (s *Server) Files() (r, w *os.File) { return s.r, s.w }

// Attach makes cmd a client of s: it sets MAKEFLAGS in cmd.Env (starting
// from os.Environ() when cmd.Env is nil), and for StylePipe appends the
// ends to cmd.ExtraFiles. Call it once per Cmd, before Start.
func (s *Server) Attach(cmd *exec.Cmd, style Style) error {
	env := cmd.Env
	if env == nil {
		env = os.Environ()
	}
	var old string
	kept := make([]string, 0, len(env)+1)
	for _, kv := range env {
		if v, ok := strings.CutPrefix(kv, "MAKEFLAGS="); ok {
			old = v
			continue
		}
		kept = append(kept, kv)
	}
	var flags string
	switch style {
	case StyleFifo:
		flags = s.Makeflags(old)
	case StylePipe:
		r := 3 + len(cmd.ExtraFiles)
		cmd.ExtraFiles = append(cmd.ExtraFiles, s.r, s.w)
		flags = s.PipeMakeflags(old, r, r+1)
	default:
		return fmt.Errorf("jobserver: cannot attach in style %v", style)
	}
	cmd.Env = append(kept, "MAKEFLAGS="+flags)
	return nil
}

// TokenCountError reports a jobserver that does not hold all its tokens
// at the end: some client kept tokens (or was killed holding them), or
// gave back more than it took.
type TokenCountError struct {
	Have, Want int
}

func (e *TokenCountError) Error() string {
	return fmt.Sprintf("jobserver: %d tokens left at exit; should be %d", e.Have, e.Want)
}

// Close counts the tokens, removes the FIFO and its directory, and closes
// the Server's descriptors. A count other than n-1 is returned as a
// *TokenCountError after cleaning up. Children still holding the pipe-style
// descriptors keep working until they exit.
func (s *Server) Close() error {
	var err error
	if s.keep >= 0 {
		if have, ierr := unix.IoctlGetInt(s.keep, unix.TIOCINQ); ierr == nil && have != s.n-1 {
			err = &TokenCountError{Have: have, Want: s.n - 1}
		}
		err = errors.Join(err, unix.Close(s.keep))
		s.keep = -1
	}
	for _, f := range []*os.File{s.r, s.w} {
		if f != nil {
			err = errors.Join(err, f.Close())
		}
	}
	s.r, s.w = nil, nil
	if s.dir != "" {
		err = errors.Join(err, os.RemoveAll(s.dir))
		s.dir = ""
	}
	return err
}
