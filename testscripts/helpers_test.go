package testscripts

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/rogpeppe/go-internal/testscript"
)

// notePid records the calling process in $PIDS, so that noprocs can check
// that it is gone.
func notePid() {
	if dir := os.Getenv("PIDS"); dir != "" {
		os.WriteFile(filepath.Join(dir, strconv.Itoa(os.Getpid())), nil, 0o644)
	}
}

// writeAtomic creates path with its content in one step (a rename), so
// that a test waiting for the file never reads it half written.
func writeAtomic(path, content string) {
	tmp := path + ".tmp"
	os.WriteFile(tmp, []byte(content), 0o644)
	os.Rename(tmp, path)
}

// sleeper SECONDS [FILE]: records its pid, creates FILE (if given) once it
// runs, and sleeps.
func sleeper() {
	notePid()
	d, err := time.ParseDuration(os.Args[1] + "s")
	if err != nil {
		fmt.Fprintln(os.Stderr, "sleeper: bad duration", os.Args[1])
		os.Exit(2)
	}
	if len(os.Args) > 2 {
		writeAtomic(os.Args[2], strconv.Itoa(os.Getpid())+"\n")
	}
	time.Sleep(d)
}

// spawner FILE: starts a background sleeper grandchild that outlives it, then
// creates FILE and sleeps. Used to check that whole process groups are killed.
func spawner() {
	notePid()
	c := exec.Command("sleeper", "600")
	c.Start()
	writeAtomic(os.Args[1], strconv.Itoa(c.Process.Pid)+"\n")
	time.Sleep(600 * time.Second)
}

// catcher FILE [ignore]: records every INT, TERM, HUP or CONT it gets in FILE,
// one name a line; exits on INT or TERM unless told to ignore them. It
// creates FILE.ready, holding its pid, once it is listening.
func catcher() {
	notePid()
	file := os.Args[1]
	ignore := len(os.Args) > 2 && os.Args[2] == "ignore"
	c := make(chan os.Signal, 8)
	signal.Notify(c, syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP, syscall.SIGCONT)
	writeAtomic(file+".ready", strconv.Itoa(os.Getpid())+"\n")
	for s := range c {
		f, _ := os.OpenFile(file, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
		fmt.Fprintln(f, s.(syscall.Signal).String())
		f.Close()
		if !ignore && (s == syscall.SIGINT || s == syscall.SIGTERM) {
			os.Exit(3)
		}
	}
}

// emit ID BYTES: writes BYTES bytes of 100-byte lines, each naming ID, in
// small writes so that a careless runner would interleave them.
func emit() {
	id := os.Args[1]
	n, _ := strconv.Atoi(os.Args[2])
	w := bufio.NewWriterSize(os.Stdout, 4096)
	line := fmt.Sprintf("job %s ", id)
	for n > 0 {
		l := line + strings.Repeat("x", max(0, 99-len(line))) + "\n"
		if len(l) > n {
			l = l[:n]
		}
		w.WriteString(l)
		n -= len(l)
	}
	w.Flush()
}

// slowcat FILE...: writes each line of its input, then waits for FILE
// (one per line written, in order) to exist before the next line. Lets a
// test see what parmap does before its input has ended. A FILE that does
// not appear within a minute ends it with status 1 and a message.
func slowcat() {
	sc := bufio.NewScanner(os.Stdin)
	gates := os.Args[1:]
	for sc.Scan() {
		fmt.Println(sc.Text())
		if len(gates) > 0 {
			if !waitFor(gates[0], 60*time.Second) {
				fmt.Fprintf(os.Stderr, "slowcat: %s did not appear within a minute\n", gates[0])
				os.Exit(1)
			}
			gates = gates[1:]
		}
	}
}

func waitFor(path string, limit time.Duration) bool {
	deadline := time.Now().Add(limit)
	for time.Now().Before(deadline) {
		if _, err := os.Stat(path); err == nil {
			return true
		}
		time.Sleep(5 * time.Millisecond)
	}
	return false
}

// waitfile FILE...: waits until every FILE exists (at most a minute).
func cmdWaitFile(ts *testscript.TestScript, neg bool, args []string) {
	for _, a := range args {
		if !waitFor(ts.MkAbs(a), 60*time.Second) {
			ts.Fatalf("waitfile: %s did not appear within a minute", a)
		}
	}
}

// noprocs: every process recorded in $PIDS is gone (zombies count as gone);
// waits up to a minute for them to die (a bound on failure only: it returns
// as soon as they are gone).
func cmdNoProcs(ts *testscript.TestScript, neg bool, args []string) {
	dir := ts.Getenv("PIDS")
	entries, err := os.ReadDir(dir)
	ts.Check(err)
	if len(entries) == 0 && !neg {
		ts.Fatalf("noprocs: no process was recorded in %s", dir)
	}
	deadline := time.Now().Add(time.Minute)
	for _, e := range entries {
		pid, _ := strconv.Atoi(e.Name())
		for alive(pid) {
			if time.Now().After(deadline) {
				ts.Fatalf("noprocs: process %d is still running", pid)
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
}

// alive reports whether pid is a running (not zombie) process.
func alive(pid int) bool {
	s := procState(pid)
	return s != "" && s != "Z"
}

// lines FILE N: FILE has exactly N lines.
func cmdLines(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 2 {
		ts.Fatalf("usage: lines FILE N")
	}
	data := ts.ReadFile(args[0])
	n := strings.Count(data, "\n")
	want, _ := strconv.Atoi(args[1])
	if (n == want) == neg {
		ts.Fatalf("%s has %d lines, want %d", args[0], n, want)
	}
}

// waitfor FILE...: the waitfile command as a program, for shell scripts:
// waits until every FILE exists, exits 1 after a minute.
func waitfor() {
	for _, f := range os.Args[1:] {
		if !waitFor(f, 60*time.Second) {
			fmt.Fprintf(os.Stderr, "waitfor: %s did not appear within a minute\n", f)
			os.Exit(1)
		}
	}
}

// procstate PIDFILE STATE: the process whose pid PIDFILE holds reaches
// STATE (a letter of /proc/PID/stat: S, T, R…) within a minute. S also accepts
// R, as a running process is not stopped either.
func cmdProcState(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 2 {
		ts.Fatalf("usage: procstate PIDFILE STATE")
	}
	pid, err := strconv.Atoi(strings.TrimSpace(ts.ReadFile(args[0])))
	ts.Check(err)
	want := args[1]
	var got string
	for deadline := time.Now().Add(time.Minute); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		got = procState(pid)
		if got == want || (want == "S" && got == "R") {
			return
		}
	}
	ts.Fatalf("procstate: process %d is in state %q, want %q", pid, got, want)
}

// procState returns the state letter of pid, "" when it is gone.
func procState(pid int) string {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return ""
	}
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	if i < 0 || i+2 >= len(s) {
		return ""
	}
	return s[i+2 : i+3]
}

// watchdog PID SECONDS: SIGKILLs PID should it still run after SECONDS, and
// says so on stderr; exits as soon as PID is gone. Shell scripts start it
// in the background next to a parmap they signal, so that a parmap that
// fails to exit fails the test instead of hanging it.
func watchdog() {
	pid, _ := strconv.Atoi(os.Args[1])
	secs, _ := strconv.Atoi(os.Args[2])
	deadline := time.Now().Add(time.Duration(secs) * time.Second)
	for alive(pid) {
		if time.Now().After(deadline) {
			fmt.Fprintf(os.Stderr, "watchdog: process %d still running after %ds; killed\n", pid, secs)
			syscall.Kill(pid, syscall.SIGKILL)
			os.Exit(1)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// status N PROGRAM [ARG...]: runs PROGRAM like exec does and checks that its
// exit status is N; a death by signal S counts as 128+S, as in the shell.
func cmdStatus(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) < 2 || neg {
		ts.Fatalf("usage: status N program [args...]")
	}
	want, err := strconv.Atoi(args[0])
	ts.Check(err)
	err = ts.Exec(args[1], args[2:]...)
	got := 0
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee):
		got = ee.ExitCode()
		if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			got = 128 + int(ws.Signal())
		}
	case err != nil:
		ts.Fatalf("status: %v", err)
	}
	if got != want {
		ts.Fatalf("exit status %d, want %d", got, want)
	}
}

// waitmatch FILE REGEXP: waits until FILE exists and its content matches
// REGEXP (multi-line mode, at most a minute).
func cmdWaitMatch(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 2 || neg {
		ts.Fatalf("usage: waitmatch file regexp")
	}
	re, err := regexp.Compile("(?m)" + args[1])
	ts.Check(err)
	path := ts.MkAbs(args[0])
	for deadline := time.Now().Add(60 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		if b, err := os.ReadFile(path); err == nil && re.Match(b) {
			return
		}
	}
	ts.Fatalf("waitmatch: %s did not match %q within a minute", args[0], args[1])
}

// killRecorded SIGKILLs every process recorded in dir that still runs.
func killRecorded(dir string) {
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if pid, err := strconv.Atoi(e.Name()); err == nil && alive(pid) {
			syscall.Kill(pid, syscall.SIGKILL)
		}
	}
}

// worker [-0|-json] [-name NAME] [-pid] [-count FILE] [-cont FILE] [-exit N] [-hold K]:
// a long-lived worker for --reuse. It reads records (lines, NUL-terminated
// with -0, JSON requests with -json) and answers each with the record itself,
// led by "NAME:" and "PID " when asked; JSON answers carry the input upper-
// cased, with the fields joined by "|" when there are fields. It appends its
// pid to FILE at start (-count), creates FILE when it gets SIGCONT (-cont), exits at once with status N (-exit), or
// holds K records before answering them all, in reverse order under -json
// (-hold). Some records make it misbehave:
//
//	die:N       exit with status N without answering
//	dieonce:F   the same (status 3), unless F exists; it creates F
//	kill        SIGKILL itself
//	hang        never answer (a background grandchild shares its group)
//	wait:F      answer once F exists
//	extra       answer twice
//	stderr:T    write T to stderr in two pieces, then answer
//	bad         (-json) answer with a line that is not JSON
//	unknown     (-json) answer for a record number never sent
//	err:M       (-json) answer {"error":M}
func worker() {
	notePid()
	args := os.Args[1:]
	var sep byte = '\n'
	var jsonMode, withPid bool
	var name, countFile string
	hold := 1
	for len(args) > 0 {
		switch args[0] {
		case "-0":
			sep = 0
		case "-json":
			jsonMode = true
		case "-pid":
			withPid = true
		case "-name":
			name, args = args[1], args[1:]
		case "-count":
			countFile, args = args[1], args[1:]
		case "-exit":
			n, _ := strconv.Atoi(args[1])
			os.Exit(n)
		case "-cont":
			c := make(chan os.Signal, 1)
			signal.Notify(c, syscall.SIGCONT)
			go func(file string) {
				<-c
				writeAtomic(file, "cont\n")
			}(args[1])
			args = args[1:]
		case "-hold":
			hold, _ = strconv.Atoi(args[1])
			args = args[1:]
		}
		args = args[1:]
	}
	if countFile != "" {
		// Only once every option is in place (-cont's handler): a test
		// that waits for this line may signal the worker at once.
		f, _ := os.OpenFile(countFile, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
		fmt.Fprintln(f, os.Getpid())
		f.Close()
	}
	in := bufio.NewReaderSize(os.Stdin, 1<<16)
	out := bufio.NewWriter(os.Stdout)
	type req struct {
		Seq    int64    `json:"seq"`
		Input  string   `json:"input"`
		Fields []string `json:"fields"`
	}
	var held []req
	answer := func(r req) {
		in := r.Input
		switch {
		case strings.HasPrefix(in, "die:"):
			n, _ := strconv.Atoi(in[4:])
			out.Flush()
			os.Exit(n)
		case strings.HasPrefix(in, "dieonce:"):
			if _, err := os.Stat(in[8:]); err != nil {
				os.WriteFile(in[8:], nil, 0o644)
				out.Flush()
				os.Exit(3)
			}
		case in == "kill":
			out.Flush()
			syscall.Kill(os.Getpid(), syscall.SIGKILL)
		case in == "hang":
			out.Flush()
			c := exec.Command("sleeper", "600")
			c.Start()
			time.Sleep(600 * time.Second)
		case strings.HasPrefix(in, "wait:"):
			out.Flush()
			waitFor(in[5:], 60*time.Second)
		case strings.HasPrefix(in, "stderr:"):
			os.Stderr.WriteString(in[7:] + " part")
			os.Stderr.WriteString(" two\n")
		}
		prefix := ""
		if name != "" {
			prefix = name + ":"
		}
		if withPid {
			prefix += strconv.Itoa(os.Getpid()) + " "
		}
		if !jsonMode {
			out.WriteString(prefix + in)
			out.WriteByte(sep)
			if in == "extra" {
				out.WriteString(prefix + in)
				out.WriteByte(sep)
			}
			return
		}
		var a map[string]any
		switch {
		case in == "bad":
			out.WriteString("this is not json\n")
			return
		case in == "unknown":
			a = map[string]any{"seq": r.Seq + 1000, "output": in}
		case strings.HasPrefix(in, "err:"):
			a = map[string]any{"seq": r.Seq, "error": in[4:]}
		case r.Fields != nil:
			a = map[string]any{"seq": r.Seq, "output": prefix + strings.Join(r.Fields, "|")}
		default:
			a = map[string]any{"seq": r.Seq, "output": prefix + strings.ToUpper(in)}
		}
		b, _ := json.Marshal(a)
		out.Write(append(b, '\n'))
	}
	flush := func() {
		if jsonMode {
			for i := len(held) - 1; i >= 0; i-- {
				answer(held[i])
			}
		} else {
			for _, r := range held {
				answer(r)
			}
		}
		held = held[:0]
		out.Flush()
	}
	for {
		line, err := in.ReadString(sep)
		if len(line) > 0 && line[len(line)-1] == sep {
			line = line[:len(line)-1]
		} else if err != nil && line == "" {
			flush()
			return
		}
		var r req
		if jsonMode {
			if json.Unmarshal([]byte(line), &r) != nil {
				fmt.Fprintf(os.Stderr, "worker: bad request %q\n", line)
				os.Exit(2)
			}
		} else {
			r.Input = line
		}
		held = append(held, r)
		if len(held) >= hold {
			flush()
		}
		if err != nil {
			flush()
			return
		}
	}
}

// gone PIDFILE: the process whose pid PIDFILE holds is gone (or a zombie)
// within a minute.
func cmdGone(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 1 || neg {
		ts.Fatalf("usage: gone PIDFILE")
	}
	pid, err := strconv.Atoi(strings.TrimSpace(ts.ReadFile(args[0])))
	ts.Check(err)
	for deadline := time.Now().Add(time.Minute); alive(pid); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			ts.Fatalf("gone: process %d is still running", pid)
		}
	}
}

// slurmwait [-s] NAME: no job named NAME is in Slurm's queue (with -s: no
// job step of one), within 3 minutes (Slurm schedules array tasks about
// one wave a second, slower on a loaded machine).
func cmdSlurmWait(ts *testscript.TestScript, neg bool, args []string) {
	steps := len(args) == 2 && args[0] == "-s"
	if neg || len(args) != 1 && !steps {
		ts.Fatalf("usage: slurmwait [-s] NAME")
	}
	q := []string{"-h", "-n", args[len(args)-1]}
	if steps {
		q = append(q, "-s")
	}
	var out []byte
	for deadline := time.Now().Add(3 * time.Minute); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		c := exec.Command("squeue", q...)
		c.Env = append(os.Environ(), "SLURM_CONF="+ts.Getenv("SLURM_CONF"))
		var err error
		if out, err = c.Output(); err == nil && strings.TrimSpace(string(out)) == "" {
			return
		}
	}
	ts.Fatalf("slurmwait: still queued after 3 minutes: %s", out)
}

// alloc MB: touches MB mebibytes, every page, then says so and what its
// own peak resident set was, in bytes, as the kernel tells it (VmHWM).
// The memory is mapped, not Go's heap, so that the race detector shadows
// none of it.
func alloc() {
	n, err := strconv.Atoi(os.Args[1])
	if err != nil {
		fmt.Fprintln(os.Stderr, "alloc: bad size", os.Args[1])
		os.Exit(2)
	}
	b, err := syscall.Mmap(-1, 0, n<<20, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_PRIVATE|syscall.MAP_ANONYMOUS)
	if err != nil {
		fmt.Fprintln(os.Stderr, "alloc:", err)
		os.Exit(1)
	}
	for i := 0; i < len(b); i += 4096 {
		b[i] = 1
	}
	hwm := 0
	status, _ := os.ReadFile("/proc/self/status")
	for _, line := range strings.Split(string(status), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			hwm, _ = strconv.Atoi(strings.TrimSuffix(strings.TrimSpace(v), " kB"))
		}
	}
	fmt.Println("allocated", n, "peak", hwm*1024)
}
