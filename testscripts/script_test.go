// Package testscripts holds parmap's end-to-end tests: each *.txtar file in
// testdata is a script run by rogpeppe/go-internal/testscript, with parmap and
// small helper programs (a sleeper, a signal catcher, an output generator)
// built into the test binary, so the scripts need nothing but sh.
package testscripts

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/parmap/parmap/cmd"
	"github.com/parmap/parmap/internal/cgroup"
	"github.com/parmap/parmap/internal/testbed/slurmtest"
	"github.com/parmap/parmap/internal/testbed/sshtest"
)

func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){
		"parmap":             func() { os.Exit(cmd.Main()) },
		"parallel":           func() { os.Exit(cmd.Main()) }, // the GNU parallel personality
		"parmap-rlimit-shim": func() { os.Exit(cmd.Main()) }, // a job under --mem-limit's RLIMIT_AS
		"xargs":              func() { os.Exit(cmd.Main()) }, // parmap under the name xargs
		"sleeper":            sleeper,
		"spawner":            spawner,
		"catcher":            catcher,
		"emit":               emit,
		"slowcat":            slowcat,
		"waitfor":            waitfor,
		"watchdog":           watchdog,
		"worker":             worker,
		"alloc":              alloc,
	})
}

func TestScripts(t *testing.T) {
	// Real sshd hosts for the -S scripts: on loopback, and in network
	// namespaces where the machine allows them. Without root they are
	// skipped (the scripts check $PMSSH).
	var bed *sshtest.Bed
	if !testing.Short() {
		var err error
		if bed, err = sshtest.Start(); err != nil && !errors.Is(err, sshtest.ErrUnavailable) {
			t.Fatal(err)
		}
		if bed != nil {
			// Cleanup, not defer: the scripts run in parallel subtests,
			// after this function has returned.
			t.Cleanup(func() {
				if err := bed.Close(); err != nil {
					t.Error(err)
				}
			})
		}
	}
	// A real single-node Slurm for the --slurm scripts, this test's own,
	// stopped once they have run.
	var cluster *slurmtest.Cluster
	if !testing.Short() {
		var err error
		if cluster, err = slurmtest.Start(); err != nil && !errors.Is(err, slurmtest.ErrUnavailable) {
			t.Fatal(err)
		}
		if cluster != nil {
			t.Cleanup(func() {
				if err := cluster.Close(); err != nil {
					t.Error(err)
				}
			})
		}
	}
	mountable := canMount()
	// [memcg]: jobs can be put in memory cgroups (root, cgroup v1 or a
	// delegated v2); $MEMCG is the group parmap makes its own in.
	memcg := memoryCgroups()
	testscript.Run(t, testscript.Params{
		Dir:                 "testdata",
		RequireExplicitExec: true,
		// [ssh]: the ssh test bed runs; [netns]: with its namespace hosts;
		// [tmpfs]: small file systems can be mounted (root); [root]: the
		// tests run as root (to run parmap as another user); [memcg]: a
		// memory-limited cgroup v1 can be made below this process's.
		Condition: func(cond string) (bool, error) {
			switch cond {
			case "tmpfs":
				return mountable, nil
			case "ssh":
				return bed != nil, nil
			case "netns":
				return bed != nil && bed.NetnsSSH != nil, nil
			case "slurm":
				return cluster != nil, nil
			case "root":
				return os.Geteuid() == 0, nil
			case "memcg":
				return memcg != "", nil
			}
			return false, fmt.Errorf("unknown condition %q", cond)
		},
		UpdateScripts: os.Getenv("UPDATE_SCRIPTS") != "",
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
			"waitfile":  cmdWaitFile,
			"noprocs":   cmdNoProcs,
			"lines":     cmdLines,
			"procstate": cmdProcState,
			"status":    cmdStatus,
			"waitmatch": cmdWaitMatch,
			"gone":      cmdGone,
			"slurmwait": cmdSlurmWait,
			"tmpfs":     cmdTmpfs,
			"sshkill": func(ts *testscript.TestScript, neg bool, args []string) {
				if len(args) != 1 || bed == nil {
					ts.Fatalf("usage: sshkill h1|h2 (with the ssh test bed)")
				}
				ts.Check(bed.Kill(args[0]))
			},
		},
		Setup: func(e *testscript.Env) error {
			e.Setenv("MEMCG", memcg)
			pids := e.WorkDir + "/pids"
			e.Setenv("PIDS", pids)
			// Under -race, every helper and parmap run would otherwise
			// sleep a second on exit.
			e.Setenv("GORACE", strings.TrimSpace(os.Getenv("GORACE")+" atexit_sleep_ms=0"))
			// A failed script must not leave its helpers behind, nor a
			// parmap it recorded in $PIDS (a stopped one would hang the
			// test; once it is killed, Pdeathsig ends its jobs). On
			// failure this runs before testscript waits for background
			// commands.
			e.Defer(func() { killRecorded(pids) })
			if cluster != nil {
				e.Setenv("SLURM_CONF", cluster.Conf)
			}
			if bed != nil {
				e.Setenv("PMSSH", strings.Join(bed.SSH, " "))
				if bed.NetnsSSH != nil {
					e.Setenv("PMSSH_NETNS", strings.Join(bed.NetnsSSH, " "))
				}
				// A directory the remote jobs (another user) can write.
				shared, err := os.MkdirTemp("/tmp", "pmshared")
				if err != nil {
					return err
				}
				os.Chmod(shared, 0o777)
				e.Setenv("SHARED", shared)
				e.Defer(func() { os.RemoveAll(shared) })
			}
			return os.Mkdir(pids, 0o755)
		},
	})
}

// memoryCgroups returns the memory cgroup parmap makes its groups in, ""
// when it cannot make any.
func memoryCgroups() string {
	t, err := cgroup.Open(cgroup.Limits{Memory: 1 << 30})
	if err != nil {
		return ""
	}
	defer t.Close()
	if k := t.Kind(); k != cgroup.V1 && k != cgroup.V2 {
		return ""
	}
	return filepath.Dir(t.Parents()[0])
}
