package slurmtest

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/parmap/parmap/internal/testbed"
)

// supervisorEnv, set to a cluster's directory, makes a process that
// imports this package the supervisor of that cluster (see init).
const supervisorEnv = "PARMAP_SLURMTEST_SUPERVISE"

// init turns the test binary, run again by Start, into the cluster's
// supervisor before any test machinery (TestMain, testscript.Main) runs.
func init() {
	if dir := os.Getenv(supervisorEnv); dir != "" {
		os.Exit(supervise(dir))
	}
}

// supervise runs the cluster in dir. It reports on stdout: "ready" once a
// step runs, or "error" and why; once its stdin ends (or SIGTERM, SIGINT,
// SIGHUP come), it stops the cluster and reports "stopped", or "error" and
// why.
func supervise(dir string) int {
	os.Unsetenv(supervisorEnv) // the daemons' children must not supervise
	signal.Ignore(syscall.SIGPIPE)
	os.WriteFile(filepath.Join(dir, "supervisor.pid"), []byte(strconv.Itoa(os.Getpid())+"\n"), 0o644)
	var once sync.Once
	quit := make(chan struct{})
	end := func() { once.Do(func() { close(quit) }) }
	go func() {
		io.Copy(io.Discard, os.Stdin) // until Close, or the test process's death
		end()
	}()
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGTERM, syscall.SIGINT, syscall.SIGHUP)
	go func() {
		<-sigs
		end()
	}()

	s := &supervisor{dir: dir, conf: filepath.Join(dir, "slurm.conf")}
	err := s.start(quit)
	if err == nil {
		fmt.Println("ready")
		<-quit
	}
	err = errors.Join(err, s.stop())
	os.RemoveAll(dir)
	if err != nil {
		fmt.Printf("error\n%v\n", err)
		return 1
	}
	fmt.Println("stopped")
	return 0
}

// supervisor owns one cluster's daemons.
type supervisor struct {
	dir, conf string
	daemons   []*daemon // in start order
}

// daemon is one of the cluster's server processes, a child of the
// supervisor in a process group of its own.
type daemon struct {
	name string
	cmd  *exec.Cmd
	done chan struct{} // closed once it has exited and been waited for
}

// start starts munged, slurmctld and slurmd and waits until a step runs, at
// most a minute. Taken ports make it try again with others.
func (s *supervisor) start(quit <-chan struct{}) error {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	go func() {
		select {
		case <-quit:
			cancel()
		case <-ctx.Done():
		}
	}()
	for _, d := range []string{"munge", "state", "spool"} {
		if err := os.MkdirAll(filepath.Join(s.dir, d), 0o755); err != nil {
			return err
		}
	}
	if err := s.startMunge(ctx); err != nil {
		return err
	}
	var err error
	for range 3 {
		if err = s.startSlurm(ctx); err == nil || !strings.Contains(err.Error(), "Address already in use") {
			break
		}
		s.stopDaemons("slurmd", "slurmctld")
	}
	return err
}

// startMunge starts a munged of the cluster's own: its own key and socket,
// as root (--force).
func (s *supervisor) startMunge(ctx context.Context) error {
	key := make([]byte, 1024)
	rand.Read(key)
	m := filepath.Join(s.dir, "munge")
	if err := os.WriteFile(filepath.Join(m, "key"), key, 0o400); err != nil {
		return err
	}
	if _, err := s.startDaemon("munged", "munged", "--foreground", "--force", "--socket="+filepath.Join(m, "socket"),
		"--key-file="+filepath.Join(m, "key"), "--pid-file="+filepath.Join(m, "pid"),
		"--log-file="+filepath.Join(m, "log"), "--seed-file="+filepath.Join(m, "seed")); err != nil {
		return err
	}
	return s.poll(ctx, "munge -n", func() error {
		return exec.CommandContext(ctx, "munge", "-n", "--socket="+filepath.Join(m, "socket"), "--output=/dev/null").Run()
	})
}

// startSlurm writes the config with two free ports, starts slurmctld and
// slurmd, and waits until a step runs.
func (s *supervisor) startSlurm(ctx context.Context) error {
	ports, err := freePorts(2)
	if err != nil {
		return err
	}
	if err := os.WriteFile(s.conf, []byte(config(s.dir, ports[0], ports[1])), 0o644); err != nil {
		return err
	}
	if _, err := s.startDaemon("slurmctld", "slurmctld", "-D", "-f", s.conf); err != nil {
		return err
	}
	if _, err := s.startDaemon("slurmd", "slurmd", "-D", "-N", "localhost", "-f", s.conf); err != nil {
		return err
	}
	if err := s.poll(ctx, "node localhost up", func() error { return nodeUp(ctx, s.conf) }); err != nil {
		return err
	}
	// The controller may call the node idle before slurmd has registered
	// (TESTBEDS.md, gotcha 12): only a step proves it.
	return s.poll(ctx, "srun true", func() error {
		probe, cancel := context.WithTimeout(ctx, 20*time.Second)
		defer cancel()
		_, err := clientOutput(probe, s.conf, "srun", "-N1", "-n1", "-Q", "-J", "slurmtest-probe", "true")
		return err
	})
}

// startDaemon starts a daemon in the foreground, its output in
// dir/NAME.out, its environment marked with testbed.Mark(dir).
func (s *supervisor) startDaemon(name string, argv ...string) (*daemon, error) {
	out, err := os.Create(filepath.Join(s.dir, name+".out"))
	if err != nil {
		return nil, err
	}
	defer out.Close()
	d := &daemon{name: name, done: make(chan struct{})}
	d.cmd = exec.Command(argv[0], argv[1:]...)
	d.cmd.Dir = s.dir
	d.cmd.Env = append(clientEnv(s.conf), testbed.Mark(s.dir))
	d.cmd.Stdout, d.cmd.Stderr = out, out
	// Its own group, so that it can be signalled with its helpers
	// (slurmscriptd); killed should the supervisor be.
	d.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := d.cmd.Start(); err != nil {
		return nil, fmt.Errorf("%s: %v", name, err)
	}
	go func() {
		d.cmd.Wait()
		close(d.done)
	}()
	s.daemons = append(s.daemons, d)
	return d, nil
}

// poll calls f every 0.1 s until it succeeds, ctx ends or a daemon exits.
func (s *supervisor) poll(ctx context.Context, what string, f func() error) error {
	for {
		err := f()
		if err == nil {
			return nil
		}
		for _, d := range s.daemons {
			select {
			case <-d.done:
				out, _ := os.ReadFile(filepath.Join(s.dir, d.name+".out"))
				log, _ := os.ReadFile(filepath.Join(s.dir, d.name+".log"))
				return fmt.Errorf("waiting for %s: %s exited (%v): %s %s", what, d.name, d.cmd.ProcessState, tail(out), tail(log))
			default:
			}
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("waiting for %s: %v (%v); see the logs in %s", what, err, ctx.Err(), s.dir)
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// stop cancels every job and waits for the jobs to leave, stops the
// daemons, and makes sure that no process of the cluster is left: slurmd
// and slurmctld leave running jobs and their slurmstepd behind when they
// stop.
func (s *supervisor) stop() error {
	var errs []error
	if s.running("slurmctld") && s.running("slurmd") {
		errs = append(errs, s.cancelJobs())
	}
	s.stopDaemons("slurmd", "slurmctld", "munged")
	if left := testbed.Stop(s.dir, 0, 10*time.Second); left != "" {
		errs = append(errs, fmt.Errorf("processes of the cluster outlived its daemons and were killed: %s", left))
	}
	return errors.Join(errs...)
}

// cancelJobs cancels every job and waits up to a minute for squeue to show
// none.
func (s *supervisor) cancelJobs() error {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if _, err := clientOutput(ctx, s.conf, "scancel", "--partition=debug"); err != nil {
		return err
	}
	var out string
	for {
		var err error
		if out, err = clientOutput(ctx, s.conf, "squeue", "-h", "-o", "%i %T"); err == nil && strings.TrimSpace(out) == "" {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("jobs still queued a minute after scancel: %s", strings.TrimSpace(out))
		case <-time.After(100 * time.Millisecond):
		}
	}
}

func (s *supervisor) running(name string) bool {
	for _, d := range s.daemons {
		if d.name == name {
			select {
			case <-d.done:
				return false
			default:
				return true
			}
		}
	}
	return false
}

// stopDaemons stops the named daemons, in that order: SIGTERM to the
// group, SIGKILL after 10 s. Once a daemon has been waited for, it
// signals nothing (the pid may have been reused).
func (s *supervisor) stopDaemons(names ...string) {
	for _, name := range names {
		for _, d := range s.daemons {
			if d.name != name {
				continue
			}
			select {
			case <-d.done:
				continue
			default:
			}
			syscall.Kill(-d.cmd.Process.Pid, syscall.SIGTERM)
			select {
			case <-d.done:
			case <-time.After(10 * time.Second):
				syscall.Kill(-d.cmd.Process.Pid, syscall.SIGKILL)
				<-d.done
			}
		}
	}
}

// nodeUp checks that the node is in a state that runs jobs. "idle*" (not
// responding), down, drained and unknown are not.
func nodeUp(ctx context.Context, conf string) error {
	out, err := clientOutput(ctx, conf, "sinfo", "-h", "-n", "localhost", "-o", "%T")
	if err != nil {
		return err
	}
	switch state := strings.TrimSpace(out); state {
	case "idle", "mixed", "allocated", "completing":
		return nil
	default:
		return fmt.Errorf("node localhost is %q", state)
	}
}

// freePorts returns n TCP ports free just now.
func freePorts(n int) ([]int, error) {
	var ports []int
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, err
		}
		defer l.Close()
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}

// config is the slurm.conf: the one TESTBEDS.md found to work, with the
// cluster's own paths, ports and munge socket, memory as a consumable (so
// that tests see what sbatch --mem does to steps, as on real clusters), and
// the hardware check off (a smaller machine still has a 2-CPU node).
func config(dir string, ctldPort, slurmdPort int) string {
	return strings.Join([]string{
		"# Written by parmap's internal/testbed/slurmtest.",
		"ClusterName=parmaptest",
		"SlurmctldHost=localhost",
		"SlurmctldPort=" + strconv.Itoa(ctldPort),
		"SlurmdPort=" + strconv.Itoa(slurmdPort),
		"SlurmUser=root",
		"SlurmdUser=root",
		"AuthType=auth/munge",
		"CredType=cred/munge",
		"AuthInfo=socket=" + filepath.Join(dir, "munge", "socket"),
		"StateSaveLocation=" + filepath.Join(dir, "state"),
		"SlurmdSpoolDir=" + filepath.Join(dir, "spool"),
		"SlurmctldPidFile=" + filepath.Join(dir, "slurmctld.pid"),
		"SlurmdPidFile=" + filepath.Join(dir, "slurmd.pid"),
		"SlurmctldLogFile=" + filepath.Join(dir, "slurmctld.log"),
		"SlurmdLogFile=" + filepath.Join(dir, "slurmd.log"),
		"ProctrackType=proctrack/linuxproc",
		"TaskPlugin=task/none",
		"JobAcctGatherType=jobacct_gather/none",
		"AccountingStorageType=accounting_storage/none",
		"JobCompType=jobcomp/none",
		"MpiDefault=none",
		"SwitchType=switch/none",
		"SchedulerType=sched/backfill",
		"SchedulerParameters=batch_sched_delay=0,sched_min_interval=0,default_queue_depth=1000",
		"SelectType=select/cons_tres",
		"SelectTypeParameters=CR_Core_Memory",
		"DefMemPerCPU=100",
		"SlurmdParameters=config_overrides",
		"ReturnToService=2",
		"MinJobAge=300",
		"NodeName=localhost CPUs=2 RealMemory=1000 State=UNKNOWN",
		"PartitionName=debug Nodes=ALL Default=YES MaxTime=INFINITE State=UP",
		"",
	}, "\n")
}
