package agent

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
)

// put is a file the agent is receiving for a job (or a basefile, seq 0).
type put struct {
	path string // as the coordinator gave it
	in   *incoming
}

// op names what a put of seq is, for its FileProblem.
func op(seq uint64) string {
	if seq == 0 {
		return "basefile"
	}
	return "transferfile"
}

// putStart starts receiving a file at the place RemotePath gives it; a
// path it refuses fails the put (and its job), and nothing is written.
func (s *server) putStart(f Frame) {
	if p := s.puts[f.Seq]; p != nil {
		s.putFailed(f.Seq, p, errors.New("incomplete"))
	}
	var h Put
	if err := decode(f, &h); err != nil {
		s.putFailed(f.Seq, &put{in: &incoming{}}, err)
		return
	}
	p := &put{path: h.Path}
	remote, err := RemotePath(h.Path)
	if err != nil {
		p.in = &incoming{err: err}
	} else {
		p.in = receive(remote, h.Mode)
		if f.Seq == 0 && h.Cleanup {
			s.basefiles = append(s.basefiles, remote)
		}
	}
	s.puts[f.Seq] = p
}

// putEnd finishes the file of f.Seq being received.
func (s *server) putEnd(f Frame) {
	p := s.puts[f.Seq]
	if p == nil {
		return
	}
	delete(s.puts, f.Seq)
	var e PutEnd
	if err := decode(f, &e); err != nil {
		e.Err = err.Error()
	}
	if err := p.in.end(e.Err); err != nil {
		s.problemOf(f.Seq, p.path, err)
	}
}

// putFailed drops a put that did not end.
func (s *server) putFailed(seq uint64, p *put, err error) {
	delete(s.puts, seq)
	p.in.fail(err)
	s.problemOf(seq, p.path, err)
}

// dropPuts drops the files not whole when the connection ends (their
// temporary files go).
func (s *server) dropPuts() {
	for seq, p := range s.puts {
		delete(s.puts, seq)
		p.in.fail(errors.New("incomplete"))
	}
}

// problemOf records the first file that failed seq's job (or, for seq 0,
// every job).
func (s *server) problemOf(seq uint64, path string, err error) {
	fp := &FileProblem{Op: op(seq), File: path, Err: errText(err)}
	switch {
	case seq == 0 && s.baseErr == nil:
		s.baseErr = fp
	case seq != 0 && s.problems[seq] == nil:
		s.problems[seq] = fp
	}
}

// problem is what failed the files of job seq, whose frame has come: a
// basefile, one of its own files, or one still not whole.
func (s *server) problem(seq uint64) *FileProblem {
	if p := s.puts[seq]; p != nil {
		s.putFailed(seq, p, errors.New("incomplete"))
	}
	fp := s.problems[seq]
	delete(s.problems, seq)
	if s.baseErr != nil {
		return s.baseErr
	}
	return fp
}

// sendReturns sends the job's return files back, each in a put whose
// Index is its place in j.Return. The first that cannot be sent (the job
// did not make it) fails the job: res.File says which, and an exit value
// of 0 becomes 1.
func (s *server) sendReturns(seq uint64, j Job, res *JobResult) {
	if len(j.Return) == 0 {
		return
	}
	buf := make([]byte, ChunkSize)
	for i, path := range j.Return {
		err := s.sendReturn(seq, i, path, buf)
		if err == nil || res.File != nil {
			continue
		}
		res.File = &FileProblem{Op: "return", File: path, Err: errText(err), Missing: errors.Is(err, fs.ErrNotExist)}
		if res.Exit == 0 {
			res.Exit = 1
		}
	}
}

func (s *server) sendReturn(seq uint64, i int, path string, buf []byte) error {
	remote, err := RemotePath(path)
	if err != nil {
		return err
	}
	st, err := regular(remote)
	if err != nil {
		return err
	}
	f, err := os.Open(remote)
	if err != nil {
		return err
	}
	defer f.Close()
	return sendFile(s.w, seq, f, Put{Index: i, Mode: uint32(st.Mode().Perm())}, buf)
}

// cleanup removes the job's transferred and returned files, and their
// parent directories left empty, up to the working directory.
func (s *server) cleanup(j Job) {
	for _, list := range [][]string{j.Transfer, j.Return} {
		for _, path := range list {
			if remote, err := RemotePath(path); err == nil {
				removeWithParents(remote, s.stop(remote))
			}
		}
	}
}

// removeBasefiles removes the basefiles put with Cleanup (at bye).
func (s *server) removeBasefiles() {
	for _, remote := range s.basefiles {
		removeWithParents(remote, s.stop(remote))
	}
}

// stop is where removing remote's empty parents stops: the working
// directory ("." for a relative path).
func (s *server) stop(remote string) string {
	if filepath.IsAbs(remote) {
		return s.wd
	}
	return "."
}
