package agent

import (
	"errors"
	"os"

	"github.com/parmap/parmap/channel"
)

// With is the agent as a channel.Remote whose jobs carry files: each job
// started through it gets f's files put before it, returned after it,
// and cleaned up (the paths already expanded for the job).
func (c *Client) With(f Files) channel.Remote { return withFiles{c, f} }

type withFiles struct {
	c *Client
	f Files
}

func (w withFiles) Start(spec channel.Spec) (channel.RemoteProcess, error) {
	return w.c.start(spec, w.f)
}

// checkPaths refuses files whose path RemotePath refuses (a ..
// component): the job fails before anything is sent.
func checkPaths(f Files) error {
	for _, p := range f.Transfer {
		if _, err := RemotePath(p); err != nil {
			return &TransferError{File: p, Err: err}
		}
	}
	for _, p := range f.Return {
		if _, err := RemotePath(p); err != nil {
			return &ReturnError{File: p, Err: err}
		}
	}
	return nil
}

// fileError is the coordinator's error for a file that failed a job on
// the agent.
func fileError(p *FileProblem) error {
	err := errors.New(p.Err)
	switch {
	case p.Op == "return" && p.Missing:
		return &ReturnError{File: p.File, Err: ErrNotMade}
	case p.Op == "return":
		return &ReturnError{File: p.File, Err: err}
	}
	return &TransferError{File: p.File, Basefile: p.Op == "basefile", Err: err}
}

// basefilesSent reports whether the basefiles have gone.
func (c *Client) basefilesSent() bool {
	select {
	case <-c.based:
		return true
	default:
		return false
	}
}

// sendBasefiles puts the basefiles on the agent, as files of seq 0.
func (c *Client) sendBasefiles() {
	defer close(c.based)
	if len(c.opt.Basefiles) == 0 {
		return
	}
	buf := make([]byte, ChunkSize)
	for _, p := range c.opt.Basefiles {
		if err := c.sendLocal(0, p, Put{Path: p, Cleanup: c.opt.Cleanup}, buf); err != nil {
			if !c.bid.Load() { // after bye, the agent may be gone: no loss
				c.lose(err, nil)
			}
			return
		}
	}
}

// send puts the job's transfer files, after the basefiles, then sends
// its frame and the signals that waited for it.
func (c *Client) send(j *Remote, job Job) {
	<-c.based
	if len(job.Transfer) > 0 {
		buf := make([]byte, ChunkSize)
		for _, p := range job.Transfer {
			if err := c.sendLocal(j.seq, p, Put{Path: p}, buf); err != nil {
				c.lose(err, nil)
				return
			}
		}
	}
	if err := c.w.write(Frame{Kind: KindJob, Seq: j.seq, Payload: encode(job)}); err != nil {
		c.lose(err, nil)
		return
	}
	j.smu.Lock()
	j.sent = true
	pending := j.pending
	j.pending = nil
	j.smu.Unlock()
	for _, s := range pending {
		c.w.write(Frame{Kind: KindSignal, Seq: j.seq, Payload: encode(s)})
	}
}

// sendLocal puts the local file path as a file of seq. One that cannot
// be read is still announced, and ended with the reason: the put fails
// on the agent, and so does the job that needs it. Only a connection
// error is returned.
func (c *Client) sendLocal(seq uint64, path string, h Put, buf []byte) error {
	st, err := regular(path)
	var f *os.File
	if err == nil {
		f, err = os.Open(path)
	}
	if err != nil {
		if werr := c.w.write(Frame{Kind: KindPut, Seq: seq, Payload: encode(h)}); werr != nil {
			return werr
		}
		return c.w.write(Frame{Kind: KindPutEnd, Seq: seq, Payload: encode(PutEnd{Err: errText(err)})})
	}
	defer f.Close()
	h.Mode = uint32(st.Mode().Perm())
	return sendFile(c.w, seq, f, h, buf)
}

// errBadIndex is a return put naming no return file of its job.
var errBadIndex = errors.New("agent protocol: a return file the job does not have")

// recvPut starts writing a return file to its local path.
func (j *Remote) recvPut(f Frame) {
	j.dropIncoming()
	var h Put
	if err := decode(f, &h); err != nil || h.Index < 0 || h.Index >= len(j.returns) {
		j.in, j.inPath = &incoming{err: errBadIndex}, ""
		return
	}
	j.inPath = j.returns[h.Index]
	j.in = receive(LocalPath(j.inPath), h.Mode)
}

func (j *Remote) recvData(p []byte) {
	if j.in != nil {
		j.in.write(p)
	}
}

// recvEnd finishes the return file being received; one that cannot be
// written here fails the job.
func (j *Remote) recvEnd(f Frame) {
	if j.in == nil {
		return
	}
	var e PutEnd
	if err := decode(f, &e); err != nil {
		e.Err = err.Error()
	}
	if err := j.in.end(e.Err); err != nil && j.fileErr == nil && j.inPath != "" {
		j.fileErr = &ReturnError{File: j.inPath, Err: errors.New(errText(err))}
	}
	j.in = nil
}

// dropIncoming drops a return file not ended (before the next, or the
// result).
func (j *Remote) dropIncoming() {
	if j.in == nil {
		return
	}
	j.in.fail(errors.New("incomplete"))
	if j.fileErr == nil && j.inPath != "" {
		j.fileErr = &ReturnError{File: j.inPath, Err: errors.New("incomplete")}
	}
	j.in = nil
}
