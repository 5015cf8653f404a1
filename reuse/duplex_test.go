package reuse

import (
	"bufio"
	"context"
	"crypto/sha256"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/parmap/parmap/channel"
)

// streamWorker is the test binary as a JSON worker that answers while it
// reads ($REUSE_TEST_WORKER=jsonstream): for a request {"seq":N,"input":"…"}
// it writes {"seq":N,"output":" at once, then the input as it arrives, 64 KiB
// at a time, then "}. (Inputs must hold no escaped quote; the test's are
// letters.)
func streamWorker() int {
	in := bufio.NewReaderSize(os.Stdin, 64<<10)
	out := bufio.NewWriterSize(os.Stdout, 64<<10)
	defer out.Flush()
	for {
		// {"seq":N,"input":"
		if _, err := in.ReadString(':'); err != nil {
			return 0
		}
		seq, err := in.ReadString(',')
		if err != nil {
			return 2
		}
		if _, err := in.ReadString('"'); err != nil { // "
			return 2
		}
		if _, err := in.ReadString('"'); err != nil { // input"
			return 2
		}
		if _, err := in.ReadString('"'); err != nil { // :"
			return 2
		}
		out.WriteString(`{"seq":` + seq + `"output":"`)
		for {
			chunk, err := in.ReadSlice('"')
			out.Write(chunk)
			if err == bufio.ErrBufferFull {
				out.Flush()
				continue
			}
			if err != nil {
				return 2
			}
			break
		}
		if _, err := in.ReadString('\n'); err != nil { // }
			return 2
		}
		out.WriteString("}\n")
		out.Flush()
	}
}

// TestLargeRecordsToStreamingWorkers sends records of 20 MiB, between small
// ones, to workers that answer while they read (cat and sed -u in the line
// and NUL protocols, streamWorker in JSON), one worker with windows of 1
// and 4 records: every answer comes back whole. Such a worker stops
// reading while its answer is not read; a pool that wrote a whole record
// before reading waited on it for ever.
func TestLargeRecordsToStreamingWorkers(t *testing.T) {
	const big = 20 << 20
	exe, err := os.Executable()
	if err != nil {
		t.Skip(err)
	}
	look := func(name string) string {
		path, err := exec.LookPath(name)
		if err != nil {
			t.Skipf("no %s", name)
		}
		return path
	}
	cat, sed := look("cat"), look("sed")
	identity := func(s string) string { return s }
	dot := func(s string) string { return s + "." }
	// Three large records for cat; one for sed -u, which reads a byte per
	// system call; for JSON, which the race detector makes slow to frame
	// and parse, one of 4 MiB (64 times a pipe's buffer).
	three := []string{"small", strings.Repeat("a", big), "b", strings.Repeat("c", big), strings.Repeat("d", big+1), "e"}
	one := []string{"small", strings.Repeat("a", big), "b", "c"}
	json := []string{"small", strings.Repeat("a", 4<<20), "b", "c"}
	for _, c := range []struct {
		name     string
		protocol Protocol
		argv     []string
		env      []string
		records  []string
		answer   func(string) string
	}{
		{"cat-line", Line, []string{cat}, nil, three, identity},
		{"cat-null", Null, []string{cat}, nil, three, identity},
		{"sed-line", Line, []string{sed, "-u", "s/$/./"}, nil, one, dot},
		{"sed-null", Null, []string{sed, "-u", "-z", "s/$/./"}, nil, one, dot},
		{"json", JSON, []string{exe}, []string{workerEnv + "=jsonstream"}, json, identity},
	} {
		for _, window := range []int{1, 4} {
			t.Run(fmt.Sprintf("%s-w%d", c.name, window), func(t *testing.T) {
				opt := Options{Workers: 1, Window: window, Protocol: c.protocol,
					Command: func(int) (channel.Spec, error) {
						return channel.Spec{Path: c.argv[0], Argv: c.argv, Env: append(os.Environ(), c.env...)}, nil
					}}
				runLarge(t, opt, c.records, c.answer)
			})
		}
	}
}

// runLarge runs records through a pool and checks that each is answered
// once, with answer(record), by its size and checksum. A run that does not
// end within five minutes fails the test.
func runLarge(t *testing.T, opt Options, records []string, answer func(string) string) {
	in := NewInput(16, 1<<20)
	go func() {
		defer in.Close()
		for i, r := range records {
			in.Put(context.Background(), &Request{Seq: int64(i + 1), Input: r})
		}
	}()
	type got struct {
		size int
		sum  [32]byte
		err  error
	}
	var mu sync.Mutex
	answers := make(map[int64][]got)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan Summary, 1)
	go func() {
		done <- Run(ctx, opt, in, func(a Answer) {
			g := got{size: len(a.Output), sum: sha256.Sum256(a.Output), err: a.Err}
			mu.Lock()
			answers[a.Req.Seq] = append(answers[a.Req.Seq], g)
			mu.Unlock()
		})
	}()
	var sum Summary
	select {
	case sum = <-done:
	case <-time.After(5 * time.Minute):
		cancel()
		<-done
		t.Fatalf("the run did not end within five minutes; %d of %d records answered", len(answers), len(records))
	}
	if sum.Done != int64(len(records)) || sum.Failed != 0 || sum.Err != nil {
		t.Errorf("summary %+v, want %d done, none failed", sum, len(records))
	}
	for i, r := range records {
		want := answer(r)
		gs := answers[int64(i+1)]
		if len(gs) != 1 {
			t.Errorf("record %d answered %d times", i+1, len(gs))
			continue
		}
		if g := gs[0]; g.err != nil || g.size != len(want) || g.sum != sha256.Sum256([]byte(want)) {
			t.Errorf("record %d (%d bytes): answer of %d bytes, error %v; want %d bytes, sha256 %x", i+1, len(r), g.size, g.err, len(want), sha256.Sum256([]byte(want)))
		}
	}
}
