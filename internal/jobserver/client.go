package jobserver

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"sync"
	"time"

	"golang.org/x/sys/unix"
)

// ErrClosed is returned by a Client's methods after Close.
var ErrClosed = errors.New("jobserver: client closed")

// ErrNotHeld is returned by Release for a Token this Client does not hold:
// the zero Token, or one released already.
var ErrNotHeld = errors.New("jobserver: token not held")

// errWake interrupts a read so Acquire looks again for the implicit token.
var errWake = errors.New("jobserver: wake")

// Token is one job slot held from a Client: either the Client's implicit
// slot, which costs no byte, or a token byte read from the jobserver, which
// the Client remembers so it can write the same byte back.
type Token struct {
	id       uint64
	implicit bool
}

// Implicit reports whether the token is the slot the process owns by being
// run, rather than one read from the jobserver.
func (t Token) Implicit() bool { return t.implicit }

// Client takes job slots from a jobserver. It owns one implicit slot (the
// one its parent gave this process) and reads a token byte for every slot
// beyond it. Its methods are safe for concurrent use.
//
// A token read from the jobserver belongs to every process sharing it, so a
// Client never loses one: Release writes back exactly the byte that was read,
// and Close writes back every token still held, whoever forgot it.
//
// Design: make's own file descriptors are shared with make and its other
// children, and a read(2) blocked on them cannot be called off. So a Client
// reads and writes through its own open file descriptions of the same pipe
// or FIFO (opened by path, or through /proc/self/fd for an inherited pipe),
// set non-blocking without touching make's, and read through Go's poller,
// where a deadline interrupts a waiting read. One Acquire reads at a time;
// others wait for it or for the implicit slot.
type Client struct {
	r, w *os.File // private, non-blocking ends on the runtime poller

	implicit chan struct{} // holds a value while the implicit slot is free
	reader   chan struct{} // holds a value while an Acquire owns the read end
	done     chan struct{} // closed by Close

	mu         sync.Mutex
	reading    bool            // an Acquire is in read(2); wake it with a past deadline
	closed     bool            // Close has begun
	held       map[uint64]byte // tokens read and not yet given back
	implicitID uint64          // id of the implicit Token while it is out, else 0
	lastID     uint64

	beforeRead, afterRead func() // test hooks around the blocking read
}

// FromEnv returns a Client for the jobserver named in a MAKEFLAGS value, or
// nil and no error when it names none (no make, or make -j1). An error
// wrapping ErrUnavailable means make announced a jobserver this process
// cannot reach; like make, warn and run with one slot.
func FromEnv(makeflags string) (*Client, error) {
	a, err := Parse(makeflags)
	if err != nil || a.Style == StyleNone {
		return nil, err
	}
	return Open(a)
}

// Open returns a Client for the jobserver at a. For StylePipe it checks
// that a.R and a.W are open ends of one pipe; it neither closes them nor
// changes their flags, so children that inherit them still reach make.
func Open(a Auth) (*Client, error) {
	switch a.Style {
	case StyleFifo:
		if err := checkFifo(a.Path); err != nil {
			return nil, err
		}
		return openEnds(a.Path, a.Path)
	case StylePipe:
		if err := checkPipe(a.R, a.W); err != nil {
			return nil, err
		}
		return openEnds("/proc/self/fd/"+strconv.Itoa(a.R), "/proc/self/fd/"+strconv.Itoa(a.W))
	}
	return nil, errors.New("jobserver: no jobserver to open")
}

// checkPipe reports, wrapping ErrUnavailable, whether r and w are not the
// read and write ends of one pipe. Make closes them for recipes that do
// not recurse, and the numbers may since have been reused.
func checkPipe(r, w int) error {
	var ino [2]uint64
	for i, fd := range []int{r, w} {
		fl, err := unix.FcntlInt(uintptr(fd), unix.F_GETFL, 0)
		if err != nil {
			return fmt.Errorf("%w: fd %d from MAKEFLAGS is not open (mark the make rule with '+' or use $(MAKE) in it)", ErrUnavailable, fd)
		}
		var st unix.Stat_t
		if err := unix.Fstat(fd, &st); err != nil || st.Mode&unix.S_IFMT != unix.S_IFIFO {
			return fmt.Errorf("%w: fd %d from MAKEFLAGS is not a pipe (mark the make rule with '+' or use $(MAKE) in it)", ErrUnavailable, fd)
		}
		want := unix.O_RDONLY
		if i == 1 {
			want = unix.O_WRONLY
		}
		if acc := fl & unix.O_ACCMODE; acc != want && acc != unix.O_RDWR {
			return fmt.Errorf("%w: fd %d from MAKEFLAGS is open for the wrong direction", ErrUnavailable, fd)
		}
		ino[i] = st.Ino
	}
	if ino[0] != ino[1] {
		return fmt.Errorf("%w: fds %d,%d from MAKEFLAGS are not one pipe", ErrUnavailable, r, w)
	}
	return nil
}

// openEnds opens new, non-blocking file descriptions for reading rpath and
// writing wpath. The read end comes first, so opening the write end of a
// FIFO finds a reader and cannot fail with ENXIO.
func openEnds(rpath, wpath string) (*Client, error) {
	r, err := openNonblock(rpath, unix.O_RDONLY)
	if err != nil {
		return nil, err
	}
	w, err := openNonblock(wpath, unix.O_WRONLY)
	if err != nil {
		r.Close()
		return nil, err
	}
	c := &Client{
		r:        r,
		w:        w,
		implicit: make(chan struct{}, 1),
		reader:   make(chan struct{}, 1),
		done:     make(chan struct{}),
		held:     make(map[uint64]byte),
	}
	c.implicit <- struct{}{}
	return c, nil
}

func openNonblock(path string, mode int) (*os.File, error) {
	fd, err := unix.Open(path, mode|unix.O_NONBLOCK|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("%w: open %s: %v", ErrUnavailable, path, err)
	}
	f := os.NewFile(uintptr(fd), path) // non-blocking, so on the poller
	if err := f.SetDeadline(time.Time{}); err != nil {
		f.Close()
		return nil, fmt.Errorf("jobserver: %s cannot be polled: %v", path, err)
	}
	return f, nil
}

// Acquire blocks until it has a slot and returns it: the implicit slot when
// it is free, otherwise a token read from the jobserver. When ctx is done
// first it returns ctx's error and holds nothing; a token that arrives as
// ctx ends is written back at once.
func (c *Client) Acquire(ctx context.Context) (Token, error) {
	for {
		if err := ctx.Err(); err != nil {
			return Token{}, err
		}
		select {
		case <-c.implicit:
			return c.grantImplicit()
		default:
		}
		select {
		case <-c.implicit:
			return c.grantImplicit()
		case c.reader <- struct{}{}:
			t, err := c.read(ctx)
			<-c.reader
			if err == errWake {
				continue
			}
			return t, err
		case <-ctx.Done():
			return Token{}, ctx.Err()
		case <-c.done:
			return Token{}, ErrClosed
		}
	}
}

// grantImplicit hands out the implicit slot, just taken from c.implicit.
func (c *Client) grantImplicit() (Token, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		c.implicit <- struct{}{}
		return Token{}, ErrClosed
	}
	c.lastID++
	c.implicitID = c.lastID
	return Token{id: c.lastID, implicit: true}, nil
}

// read waits for one token byte. It returns errWake when woken to look at
// the implicit slot again. The caller holds c.reader.
func (c *Client) read(ctx context.Context) (Token, error) {
	c.mu.Lock()
	switch {
	case c.closed:
		c.mu.Unlock()
		return Token{}, ErrClosed
	case len(c.implicit) > 0:
		c.mu.Unlock()
		return Token{}, errWake
	case ctx.Err() != nil:
		c.mu.Unlock()
		return Token{}, ctx.Err()
	}
	c.reading = true
	c.r.SetReadDeadline(time.Time{})
	c.mu.Unlock()

	stop := context.AfterFunc(ctx, c.wake)
	if c.beforeRead != nil {
		c.beforeRead()
	}
	var b [1]byte
	n, err := c.r.Read(b[:])
	stop()
	if c.afterRead != nil {
		c.afterRead()
	}

	c.mu.Lock()
	defer c.mu.Unlock()
	c.reading = false
	if n == 1 {
		if c.closed || ctx.Err() != nil {
			// Too late: the caller has gone. The byte is not ours to keep.
			if werr := c.writeByte(b[0]); werr != nil {
				return Token{}, werr
			}
			if c.closed {
				return Token{}, ErrClosed
			}
			return Token{}, ctx.Err()
		}
		c.lastID++
		c.held[c.lastID] = b[0]
		return Token{id: c.lastID}, nil
	}
	switch {
	case errors.Is(err, os.ErrDeadlineExceeded):
		if c.closed {
			return Token{}, ErrClosed
		}
		if ctx.Err() != nil {
			return Token{}, ctx.Err()
		}
		return Token{}, errWake
	case err == nil || err == io.EOF:
		return Token{}, errors.New("jobserver: the jobserver closed its pipe")
	}
	return Token{}, fmt.Errorf("jobserver: read token: %w", err)
}

// wake interrupts a read in progress, if any. A wake that comes late only
// makes the next read look around once more.
func (c *Client) wake() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.reading {
		c.r.SetReadDeadline(time.Unix(1, 0))
	}
}

// writeByte gives one token back. The caller holds c.mu.
func (c *Client) writeByte(b byte) error {
	if _, err := c.w.Write([]byte{b}); err != nil {
		return fmt.Errorf("jobserver: return token: %w", err)
	}
	return nil
}

// Release gives a slot back: it frees the implicit slot, or writes back the
// byte the token was read as. Releasing a token twice returns ErrNotHeld and
// writes nothing. After Close, which gave every token back already, it
// returns ErrClosed.
func (c *Client) Release(t Token) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return ErrClosed
	}
	if t.implicit {
		if t.id == 0 || t.id != c.implicitID {
			return ErrNotHeld
		}
		c.implicitID = 0
		c.implicit <- struct{}{}
		if c.reading {
			c.r.SetReadDeadline(time.Unix(1, 0)) // a reader may take it instead
		}
		return nil
	}
	b, ok := c.held[t.id]
	if !ok {
		return ErrNotHeld
	}
	delete(c.held, t.id)
	return c.writeByte(b)
}

// Held returns how many slots are out, the implicit one included.
func (c *Client) Held() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := len(c.held)
	if c.implicitID != 0 {
		n++
	}
	return n
}

// Close gives back every token still held, ends any Acquire in progress and
// closes the Client's own descriptors. Call it on every exit path, after the
// jobs that hold tokens have ended. Closing twice does nothing.
func (c *Client) Close() error {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return nil
	}
	c.closed = true
	close(c.done)
	if c.reading {
		c.r.SetReadDeadline(time.Unix(1, 0))
	}
	c.mu.Unlock()

	c.reader <- struct{}{} // wait out a read in progress; none starts after this

	c.mu.Lock()
	var err error
	for id, b := range c.held {
		delete(c.held, id)
		err = errors.Join(err, c.writeByte(b))
	}
	c.implicitID = 0
	c.mu.Unlock()
	return errors.Join(err, c.r.Close(), c.w.Close())
}
