package reuse

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/parmap/parmap/channel"
)

// catCommand runs cat(1) as the worker: it writes back what it reads at
// once, so it answers every line or NUL-terminated record with itself.
func catCommand(t *testing.T) func(int) (channel.Spec, error) {
	path, err := exec.LookPath("cat")
	if err != nil {
		t.Skip("no cat")
	}
	return func(int) (channel.Spec, error) {
		return channel.Spec{Path: path, Argv: []string{"cat"}, Env: os.Environ()}, nil
	}
}

// feed queues n records, "1".."n", and closes the input.
func feed(n int) *Input {
	in := NewInput(64, 1<<20)
	go func() {
		defer in.Close()
		for i := 1; i <= n; i++ {
			in.Put(context.Background(), &Request{Seq: int64(i), Input: strconv.Itoa(i)})
		}
	}()
	return in
}

// TestEveryRecordAnsweredOnce runs many records through cat workers with
// different windows and checks each is answered exactly once, with its own
// answer.
func TestEveryRecordAnsweredOnce(t *testing.T) {
	for _, c := range []struct{ workers, window, n int }{{1, 1, 2000}, {2, 1, 2000}, {2, 64, 50000}, {3, 7, 20000}, {4, 1000, 20000}} {
		t.Run(fmt.Sprintf("j%d-w%d", c.workers, c.window), func(t *testing.T) {
			var mu sync.Mutex
			seen := make([]int, c.n+1)
			opt := Options{Workers: c.workers, Window: c.window, Command: catCommand(t)}
			sum := Run(context.Background(), opt, feed(c.n), func(a Answer) {
				mu.Lock()
				defer mu.Unlock()
				if a.Err != nil {
					t.Errorf("record %d failed: %v", a.Req.Seq, a.Err)
				}
				if string(a.Output) != a.Req.Input {
					t.Errorf("record %d answered %q", a.Req.Seq, a.Output)
				}
				seen[a.Req.Seq]++
			})
			if sum.Done != int64(c.n) || sum.Failed != 0 || sum.Err != nil {
				t.Fatalf("summary %+v, want %d done", sum, c.n)
			}
			for i := 1; i <= c.n; i++ {
				if seen[i] != 1 {
					t.Fatalf("record %d answered %d times", i, seen[i])
				}
			}
		})
	}
}

// TestEmptyInputStartsNoWorker: no record, no worker process.
func TestEmptyInputStartsNoWorker(t *testing.T) {
	started := false
	opt := Options{Workers: 2, Command: func(int) (channel.Spec, error) {
		started = true
		return catCommand(t)(1)
	}}
	sum := Run(context.Background(), opt, feed(0), func(Answer) { t.Error("an answer without records") })
	if started || sum.Done != 0 {
		t.Fatalf("started %v, summary %+v", started, sum)
	}
}

// TestRetriedRecordsAreCountedOnce: a worker that dies on its first record
// (sh exits at once) makes the records fail; with Retries each is tried
// again and delivered exactly once, as failed.
func TestRetriedRecordsAreCountedOnce(t *testing.T) {
	starts := 0
	var mu sync.Mutex
	opt := Options{Workers: 1, Retries: 2, Command: func(int) (channel.Spec, error) {
		mu.Lock()
		starts++
		mu.Unlock()
		// Answers records until it reads "x", then exits.
		return channel.Spec{Path: "/bin/sh", Argv: []string{"sh", "-c", `while read l; do [ "$l" = x ] && exit 4; echo "$l"; done`}}, nil
	}}
	in := NewInput(3, 1<<20)
	for i, s := range []string{"a", "x", "b"} {
		in.Put(context.Background(), &Request{Seq: int64(i + 1), Input: s})
	}
	in.Close()
	var got []string
	sum := Run(context.Background(), opt, in, func(a Answer) {
		got = append(got, fmt.Sprintf("%d:%s:%v", a.Req.Seq, a.Output, a.Err != nil))
	})
	if sum.Done != 3 || sum.Failed != 1 {
		t.Fatalf("summary %+v, want 3 done, 1 failed", sum)
	}
	if strings.Join(got, " ") != "1:a:false 2::true 3:b:false" {
		t.Fatalf("answers %q", got)
	}
	if starts != 4 { // the first, and one after each of the three deaths on x
		t.Fatalf("%d workers started, want 4", starts)
	}
}

// TestStartFailureStopsTheRun: a program that is not there is one error.
func TestStartFailureStopsTheRun(t *testing.T) {
	opt := Options{Workers: 2, Command: func(int) (channel.Spec, error) {
		return channel.Spec{Argv: []string{"/no/such/worker"}}, nil
	}}
	sum := Run(context.Background(), opt, feed(10), func(Answer) {})
	if sum.Err == nil || !strings.Contains(sum.Err.Error(), "/no/such/worker") {
		t.Fatalf("summary %+v, want a start error", sum)
	}
}

func TestJSONRequestRoundTrip(t *testing.T) {
	for _, r := range []Request{
		{Seq: 1, Input: "plain"},
		{Seq: 2, Input: "quote \" backslash \\ tab \t newline \n nul \x00 bell \x07 é ☃"},
		{Seq: 3, Input: "a,b", Fields: []string{"a", "b"}},
		{Seq: 4, Input: "bad \xff utf8", Fields: []string{"bad \xff", "utf8"}},
	} {
		line := JSON.appendRequest(nil, &r)
		if line[len(line)-1] != '\n' || strings.Count(string(line), "\n") != 1 {
			t.Fatalf("request %q is not one line", line)
		}
		var got struct {
			Seq          int64
			Input        *string
			InputBase64  []byte `json:"input_base64"`
			Fields       []string
			FieldsBase64 [][]byte `json:"fields_base64"`
		}
		if err := json.Unmarshal(line, &got); err != nil {
			t.Fatalf("request %q: %v", line, err)
		}
		input := string(got.InputBase64)
		if got.Input != nil {
			input = *got.Input
		}
		fields := got.Fields
		for _, f := range got.FieldsBase64 {
			fields = append(fields, string(f))
		}
		if got.Seq != r.Seq || input != r.Input || fmt.Sprint(fields) != fmt.Sprint(r.Fields) {
			t.Fatalf("request %q decodes to %+v, want %+v", line, got, r)
		}
	}
}

func TestParseAnswer(t *testing.T) {
	for _, c := range []struct {
		line, out, msg string
		seq            int64
		failed, bad    bool
	}{
		{line: `{"seq":3,"output":"x\ny"}`, seq: 3, out: "x\ny"},
		{line: `{"output":"x","seq":4}`, seq: 4, out: "x"},
		{line: `{"seq":5,"output":12.5}`, seq: 5, out: "12.5"},
		{line: `{"seq":6,"output":null}`, seq: 6, out: ""},
		{line: `{"seq":7,"output_base64":"/wA="}`, seq: 7, out: "\xff\x00"},
		{line: `{"seq":8,"error":"no such id"}`, seq: 8, failed: true, msg: "no such id"},
		{line: `{"seq":9,"error":{"code":2}}`, seq: 9, failed: true, msg: `{"code":2}`},
		{line: `{"seq":10}`, bad: true},
		{line: `{"output":"x"}`, bad: true},
		{line: `not json`, bad: true},
		{line: `{"seq":"1","output":"x"}`, bad: true},
	} {
		seq, out, failed, msg, err := parseAnswer([]byte(c.line))
		if (err != nil) != c.bad {
			t.Errorf("%s: error %v", c.line, err)
			continue
		}
		if c.bad {
			continue
		}
		if seq != c.seq || string(out) != c.out || failed != c.failed || msg != c.msg {
			t.Errorf("%s: got %d %q %v %q", c.line, seq, out, failed, msg)
		}
	}
}

func FuzzJSONRequest(f *testing.F) {
	f.Add("x", "a", "b")
	f.Add("\x00\xff\"\\", "\n", "")
	f.Fuzz(func(t *testing.T, input, f1, f2 string) {
		r := Request{Seq: 7, Input: input, Fields: []string{f1, f2}}
		line := JSON.appendRequest(nil, &r)
		if strings.IndexByte(string(line[:len(line)-1]), '\n') >= 0 {
			t.Fatalf("request %q holds a newline", line)
		}
		var got map[string]any
		if err := json.Unmarshal(line, &got); err != nil {
			t.Fatalf("request %q: %v", line, err)
		}
		if s, ok := got["input"].(string); ok && s != input {
			t.Fatalf("input %q came back as %q", input, s)
		}
	})
}
