package pmap

import (
	"bufio"
	"io"
	"os"
	"testing"
	"time"
)

// TestFlushInBackground: after FlushSoon the background goroutine writes
// what Gather gathered, without a call to Flush, and stop writes what is
// left, tagged, once.
func TestFlushInBackground(t *testing.T) {
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	o := NewOutput(w, io.Discard, nil)
	stop := o.FlushInBackground(time.Hour) // the first flush is due at once, the next in an hour
	lines := bufio.NewReader(r)
	readLine := func() string {
		l, err := lines.ReadString('\n')
		if err != nil {
			t.Fatal(err)
		}
		return l
	}

	o.Gather("", []byte("one"), '\n')
	o.FlushSoon()
	if got := readLine(); got != "one\n" {
		t.Fatalf("first flush wrote %q", got)
	}
	o.Gather("t", []byte("two"), '\n')
	o.FlushSoon() // within the interval: left to stop
	stop()
	w.Close()
	if got := readLine(); got != "t\ttwo\n" {
		t.Fatalf("stop wrote %q", got)
	}
	if rest, _ := io.ReadAll(lines); len(rest) != 0 {
		t.Fatalf("more output: %q", rest)
	}
}
