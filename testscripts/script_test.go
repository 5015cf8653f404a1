// Package testscripts holds parmap's end-to-end tests: each *.txtar file in
// testdata is a script run by rogpeppe/go-internal/testscript, with parmap and
// small helper programs (a sleeper, a signal catcher, an output generator)
// built into the test binary, so the scripts need nothing but sh.
package testscripts

import (
	"os"
	"strings"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/parmap/parmap/cmd"
)

func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){
		"parmap":   func() { os.Exit(cmd.Main()) },
		"sleeper":  sleeper,
		"spawner":  spawner,
		"catcher":  catcher,
		"emit":     emit,
		"slowcat":  slowcat,
		"waitfor":  waitfor,
		"watchdog": watchdog,
		"worker":   worker,
	})
}

func TestScripts(t *testing.T) {
	testscript.Run(t, testscript.Params{
		Dir:                 "testdata",
		RequireExplicitExec: true,
		UpdateScripts:       os.Getenv("UPDATE_SCRIPTS") != "",
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
			"waitfile":  cmdWaitFile,
			"noprocs":   cmdNoProcs,
			"lines":     cmdLines,
			"procstate": cmdProcState,
			"status":    cmdStatus,
			"waitmatch": cmdWaitMatch,
		},
		Setup: func(e *testscript.Env) error {
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
			return os.Mkdir(pids, 0o755)
		},
	})
}
