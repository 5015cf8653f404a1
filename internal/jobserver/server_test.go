package jobserver

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
)

// serveWithSlots starts a Server with n slots and a Client on it that
// holds `hold` of them, as parmap would for jobs it runs. Cleanup checks
// that every token came back.
func serveWithSlots(t *testing.T, n, hold int) *Server {
	t.Helper()
	srv, err := Serve(n, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	c, err := srv.Client()
	if err != nil {
		t.Fatal(err)
	}
	var held []Token
	for range hold {
		tok, err := c.Acquire(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		held = append(held, tok)
	}
	t.Cleanup(func() {
		for _, tok := range held {
			if err := c.Release(tok); err != nil {
				t.Error(err)
			}
		}
		if err := c.Close(); err != nil {
			t.Error(err)
		}
		if err := srv.Close(); err != nil {
			t.Errorf("jobserver not whole at the end: %v", err)
		}
	})
	return srv
}

// A child of the server, running on the server's implicit slot, gets the
// other two slots of Serve(3) and no more, in either style.
func TestServeClientChild(t *testing.T) {
	for _, style := range []Style{StylePipe, StyleFifo} {
		t.Run(style.String(), func(t *testing.T) {
			srv := serveWithSlots(t, 3, 1)
			log := filepath.Join(t.TempDir(), "log")
			cmd := helperCmd(t, context.Background(), "jobs", "HELPER_LOG="+log, "HELPER_ID=c", "HELPER_N=8", "HELPER_BARRIER=3",
				"MAKEFLAGS=k -j9 --jobserver-auth=1,2 -- V=1")
			if err := srv.Attach(cmd, style); err != nil {
				t.Fatal(err)
			}
			if got := cmd.Env[len(cmd.Env)-1]; !strings.HasPrefix(got, "MAKEFLAGS=k -j3 --jobserver-auth=") || !strings.HasSuffix(got, " -- V=1") {
				t.Errorf("child's %s", got)
			}
			if out, err := cmd.CombinedOutput(); err != nil {
				t.Fatalf("helper: %v\n%s", err, out)
			}
			s := readStats(t, log)
			if s.jobs != 8 || s.max != 3 {
				t.Errorf("%d jobs, %d at once; want 8 jobs, 3 at once", s.jobs, s.max)
			}
		})
	}
}

// Real make run by a job under Serve(3) (plain make: "make -j" would
// start a new, unlimited jobserver) runs 6 targets 3 at a time.
func TestServeMake(t *testing.T) {
	g := requireMake(t)
	for _, style := range g.styles {
		t.Run(style.String(), func(t *testing.T) {
			srv := serveWithSlots(t, 3, 1) // the slot make runs on
			mr := newRun(t, recipes(6, "", "slot", "HELPER_BARRIER=3"))
			cmd := makeCmd(t, g, mr, nil, nil)
			if err := srv.Attach(cmd, style); err != nil {
				t.Fatal(err)
			}
			runCmd(t, cmd, mr)
			assertQuiet(t, mr)
			s := readStats(t, mr.log)
			if s.jobs != 6 || s.max != 3 {
				t.Errorf("%d jobs, %d at once; want 6 jobs, 3 at once", s.jobs, s.max)
			}
		})
	}
}

// The server's own jobs and a nested make share one budget: with two of
// Serve(3)'s slots held by parmap's jobs (one of them running make), make
// runs two recipes at once; the recipes are themselves jobserver clients
// through make, and all of them together stay within the two slots.
func TestServeSharedBudget(t *testing.T) {
	g := requireMake(t)
	for _, style := range g.styles {
		t.Run(style.String(), func(t *testing.T) {
			srv := serveWithSlots(t, 3, 2)
			mr := newRun(t, recipes(3, "+", "jobs", "HELPER_N=4 HELPER_BARRIER=1"))
			cmd := makeCmd(t, g, mr, nil, nil)
			if err := srv.Attach(cmd, style); err != nil {
				t.Fatal(err)
			}
			runCmd(t, cmd, mr)
			assertQuiet(t, mr)
			s := readStats(t, mr.log)
			if s.jobs != 12 || s.max > 2 {
				t.Errorf("%d jobs, %d at once; want 12 jobs, at most 2 at once", s.jobs, s.max)
			}
		})
	}
}
