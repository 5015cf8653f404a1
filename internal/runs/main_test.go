package runs

import (
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"strconv"
	"testing"
	"time"
)

// The test binary doubles as a process that drives a run: with
// RUNS_TEST_CHILD set, TestMain does that instead of the tests.
//
//	create PARENT ID: Create the run, say "ready", and sleep holding its lock.
//	adopt PARENT ID:  Adopt the run from the locked file on descriptor 3,
//	                  save it running, (with a third argument, start a job,
//	                  "sleep 3600", and say "job PID"), say "ready", sleep.
//	rawdial SOCKET:   send a status request, print what comes back.
func TestMain(m *testing.M) {
	switch os.Getenv("RUNS_TEST_CHILD") {
	case "":
		os.Exit(m.Run())
	case "create":
		if _, err := Create(os.Args[1], os.Args[2], Meta{Command: []string{"sleep"}}); err != nil {
			fmt.Println(err)
			os.Exit(1)
		}
	case "adopt":
		r, err := Adopt(os.Args[1], os.Args[2], os.NewFile(3, "lock"))
		if err == nil {
			err = r.SaveStatus(Status{State: Running, Done: 3, Total: 9})
		}
		if err == nil {
			err = r.SetPID(os.Getpid())
		}
		if err == nil && len(os.Args) > 3 {
			// A job that outlives the supervisor.
			job := exec.Command("sleep", "3600")
			err = job.Start()
			if err == nil {
				fmt.Printf("job %d\n", job.Process.Pid)
			}
		}
		if err != nil {
			fmt.Println(err)
			os.Exit(1)
		}
	case "rawdial":
		// Ask the status on socket os.Args[1] without the Client's checks,
		// and print the answer.
		conn, err := net.Dial("unix", os.Args[1])
		if err != nil {
			fmt.Println(err)
			os.Exit(1)
		}
		fmt.Fprintln(conn, `{"op":"status"}`)
		io.Copy(os.Stdout, conn)
		os.Exit(0)
	default:
		os.Exit(2)
	}
	fmt.Println("ready " + strconv.Itoa(os.Getpid()))
	time.Sleep(time.Hour)
}
