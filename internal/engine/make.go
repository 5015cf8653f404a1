package engine

import (
	"context"
	"os"

	"github.com/parmap/parmap/internal/jobserver"
)

// makeJobs is the run's part in GNU make's jobserver: the slots its jobs
// take from make's jobserver (Make.Join), or from the one it serves its own
// jobs (Make.Serve).
type makeJobs struct {
	client *jobserver.Client // the slots the jobs take; nil for none
	server *jobserver.Server // when the run serves one
	env    string            // MAKEFLAGS=… for the jobs; "" to leave theirs
	files  []*os.File        // the served jobserver's ends for the jobs (fds 3 and 4)
}

// openMakeJobs joins make's jobserver, or serves one of Jobs slots.
func openMakeJobs(cfg *Config) (*makeJobs, error) {
	m := &makeJobs{}
	var err error
	if cfg.Make.Join.Style != jobserver.StyleNone {
		// The jobs inherit MAKEFLAGS, and make's descriptors with it: a
		// nested make or parmap shares make's budget as it is.
		if m.client, err = jobserver.Open(cfg.Make.Join); err != nil {
			return nil, &JobserverError{Err: err}
		}
		return m, nil
	}
	if !cfg.Make.Serve {
		return m, nil
	}
	dir := cfg.TmpDir
	if dir == "" {
		dir = os.TempDir()
	}
	if m.server, err = jobserver.Serve(cfg.Jobs, dir); err != nil {
		return nil, &JobserverError{Serve: true, Err: err}
	}
	if m.client, err = m.server.Client(); err != nil {
		m.server.Close()
		return nil, &JobserverError{Serve: true, Err: err}
	}
	r, w := m.server.Files()
	m.files = []*os.File{r, w}
	m.env = "MAKEFLAGS=" + m.server.PipeMakeflags(cfg.Make.Makeflags, 3, 4)
	return m, nil
}

// close gives back every slot still held and removes a served jobserver.
func (m *makeJobs) close() {
	if m.client != nil {
		m.client.Close()
	}
	if m.server != nil {
		m.server.Close()
	}
}

// Acquire waits for one of make's slots (exchange.Tokens).
func (m *makeJobs) Acquire(ctx context.Context) (func(), error) {
	t, err := m.client.Acquire(ctx)
	if err != nil {
		return nil, err
	}
	return func() { m.client.Release(t) }, nil
}
