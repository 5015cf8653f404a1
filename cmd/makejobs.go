package cmd

import (
	"context"
	"errors"
	"fmt"
	"os"

	"github.com/parmap/parmap/internal/jobserver"
)

// makeJobs is parmap's part in GNU make's jobserver: the slots it takes
// from make when run in a recipe under make -jN, and the jobserver it
// serves its own jobs with --jobserver.
type makeJobs struct {
	client *jobserver.Client // the slots parmap's jobs take; nil for none
	server *jobserver.Server // --jobserver, when parmap serves one
	env    string            // MAKEFLAGS=… for the jobs; "" to leave it
	files  []*os.File        // the jobserver's ends for the jobs (fds 3 and 4)
}

// setupMakeJobs joins make's jobserver named in MAKEFLAGS, if any, and
// serves one with --jobserver. It may lower p.jobs: make's -jN caps it, and
// a jobserver that make announced but parmap cannot reach leaves one slot.
func (p *plan) setupMakeJobs(warn func(string)) (*makeJobs, error) {
	m := &makeJobs{}
	flags := os.Getenv("MAKEFLAGS")
	client, err := jobserver.FromEnv(flags)
	switch {
	case errors.Is(err, jobserver.ErrUnavailable):
		warn("parmap: make's jobserver is not open to parmap (mark the recipe's line with + to pass it); running one job at a time")
		p.jobs = 1
		return m, nil
	case err != nil:
		return nil, fmt.Errorf("MAKEFLAGS: %v", err)
	case client != nil:
		m.client = client
		if n := jobserver.Jobs(flags); n > 0 && (!p.jobsSet || p.jobs == 0 || p.jobs > n) {
			p.jobs = n
		} else if !p.jobsSet || p.jobs == 0 {
			p.jobs = 64
		}
		// The jobs inherit MAKEFLAGS, and make's descriptors with it:
		// a nested make or parmap shares make's budget as it is.
		return m, nil
	}
	if !p.serveJobs {
		return m, nil
	}
	if p.jobs == 0 {
		return nil, usagef("--jobserver needs a number of slots to serve; give -j N, not -j 0")
	}
	dir := p.tmpdir
	if dir == "" {
		dir = os.TempDir()
	}
	if m.server, err = jobserver.Serve(p.jobs, dir); err != nil {
		return nil, fmt.Errorf("--jobserver: %v", err)
	}
	if m.client, err = m.server.Client(); err != nil {
		m.server.Close()
		return nil, fmt.Errorf("--jobserver: %v", err)
	}
	r, w := m.server.Files()
	m.files = []*os.File{r, w}
	m.env = "MAKEFLAGS=" + m.server.PipeMakeflags(flags, 3, 4)
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
