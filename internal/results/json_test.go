package results

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"
)

// keys returns the top-level keys of one JSON object, in order.
func keys(t testing.TB, line []byte) []string {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(line))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		t.Fatalf("%s: not an object: %v %v", line, tok, err)
	}
	var ks []string
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			t.Fatalf("%s: %v", line, err)
		}
		ks = append(ks, tok.(string))
		var skip json.RawMessage
		if err := dec.Decode(&skip); err != nil {
			t.Fatalf("%s: %v", line, err)
		}
	}
	return ks
}

func mustJSON(t testing.TB, j Job) []byte {
	t.Helper()
	line, err := JSON(j)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasSuffix(line, []byte("\n")) || bytes.Count(line, []byte("\n")) != 1 {
		t.Fatalf("%q: want exactly one line ending in a newline", line)
	}
	if !json.Valid(line) {
		t.Fatalf("%q: not valid JSON", line)
	}
	return line
}

func TestJSONExact(t *testing.T) {
	start := time.Date(2025, 1, 2, 3, 4, 5, 123456789, time.FixedZone("", 3600))
	j := Job{
		Seq: 3, Input: []string{"x"}, Command: `echo "x" <&>`, Exit: 1, Signal: 0,
		Start: start, Runtime: 1234 * time.Millisecond,
		Stdout: strings.NewReader("x\n"), Stderr: strings.NewReader("tab\there\x01\x1b[0m"),
		Resources: Resources{CPUUser: 250 * time.Millisecond, CPUSys: 1500 * time.Microsecond, MaxRSS: 209715200, OOM: true},
	}
	want := `{"seq":3,"input":"x","command":"echo \"x\" <&>","exit":1,"signal":0,` +
		`"start":"2025-01-02T03:04:05.123456789+01:00","runtime":1.234,` +
		`"cpu_user":0.25,"cpu_sys":0.0015,"max_rss":209715200,"oom":true,` +
		`"stdout":"x\n","stderr":"tab\there\u0001\u001b[0m"}` + "\n"
	if got := string(mustJSON(t, j)); got != want {
		t.Errorf("JSON:\n got %s\nwant %s", got, want)
	}
}

func TestJSONFieldsAndShapes(t *testing.T) {
	for _, tc := range []struct {
		name      string
		job       Job
		keys      []string
		input     any
		stdout    string
		stdoutKey string
	}{
		{
			name:  "one value is a string",
			job:   Job{Seq: 1, Input: []string{"a b"}, Stdout: strings.NewReader("out")},
			keys:  []string{"seq", "input", "command", "exit", "signal", "start", "runtime", "cpu_user", "cpu_sys", "max_rss", "oom", "stdout", "stderr"},
			input: "a b", stdout: "out", stdoutKey: "stdout",
		},
		{
			name:  "several values are an array",
			job:   Job{Seq: 2, Input: []string{"a", "b"}},
			keys:  []string{"seq", "input", "command", "exit", "signal", "start", "runtime", "cpu_user", "cpu_sys", "max_rss", "oom", "stdout", "stderr"},
			input: []any{"a", "b"}, stdout: "", stdoutKey: "stdout",
		},
		{
			name:  "no values are an empty array",
			job:   Job{Seq: 3},
			keys:  []string{"seq", "input", "command", "exit", "signal", "start", "runtime", "cpu_user", "cpu_sys", "max_rss", "oom", "stdout", "stderr"},
			input: []any{}, stdout: "", stdoutKey: "stdout",
		},
		{
			name:  "invalid UTF-8 output goes to base64",
			job:   Job{Seq: 4, Input: []string{"é"}, Stdout: strings.NewReader("\xff\xfe"), Stderr: strings.NewReader("\xc3")},
			keys:  []string{"seq", "input", "command", "exit", "signal", "start", "runtime", "cpu_user", "cpu_sys", "max_rss", "oom", "stdout_base64", "stderr_base64"},
			input: "é", stdout: "//4=", stdoutKey: "stdout_base64",
		},
		{
			name:  "invalid UTF-8 input and command go to base64",
			job:   Job{Seq: 5, Input: []string{"ok", "\x80"}, Command: "echo \x80", Stdout: strings.NewReader("\x00\n")},
			keys:  []string{"seq", "input_base64", "command_base64", "exit", "signal", "start", "runtime", "cpu_user", "cpu_sys", "max_rss", "oom", "stdout", "stderr"},
			input: []any{"b2s=", "gA=="}, stdout: "\x00\n", stdoutKey: "stdout",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			line := mustJSON(t, tc.job)
			if got := keys(t, line); !slices.Equal(got, tc.keys) {
				t.Errorf("%s: keys %q, want %q", line, got, tc.keys)
			}
			var m map[string]any
			if err := json.Unmarshal(line, &m); err != nil {
				t.Fatal(err)
			}
			inKey := tc.keys[1]
			if got, _ := json.Marshal(m[inKey]); string(got) != string(must(json.Marshal(tc.input))) {
				t.Errorf("%s: %s = %s, want %v", line, inKey, got, tc.input)
			}
			if m[tc.stdoutKey] != tc.stdout {
				t.Errorf("%s: %s = %q, want %q", line, tc.stdoutKey, m[tc.stdoutKey], tc.stdout)
			}
		})
	}
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

func TestJSONEveryLineDecodes(t *testing.T) {
	var stream bytes.Buffer
	samples := []string{"", "plain", "\x00\x01\x7f", "\xff", "a\"b\\c", "\u2028\u2029", "😀", "\xed\xa0\x80", "line\nline\r\n"}
	for i, s := range samples {
		stream.Write(mustJSON(t, Job{Seq: int64(i + 1), Input: []string{s, s}, Command: s,
			Stdout: strings.NewReader(s), Stderr: strings.NewReader(s)}))
	}
	dec := json.NewDecoder(&stream)
	n := 0
	for ; dec.More(); n++ {
		var v map[string]any
		if err := dec.Decode(&v); err != nil {
			t.Fatalf("line %d: %v", n+1, err)
		}
	}
	if n != len(samples) {
		t.Errorf("decoded %d lines, want %d", n, len(samples))
	}
}

func TestJSONReadError(t *testing.T) {
	_, err := JSON(Job{Seq: 1, Stdout: errReader{}})
	if err == nil || !errors.Is(err, errBroken) {
		t.Errorf("JSON with failing stdout: %v", err)
	}
}

// decodeText returns the bytes of field name from m, from name or name_base64.
func decodeText(t *testing.T, m map[string]json.RawMessage, name string) []byte {
	t.Helper()
	if raw, ok := m[name]; ok {
		if _, both := m[name+"_base64"]; both {
			t.Fatalf("both %s and %s_base64", name, name)
		}
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			t.Fatal(err)
		}
		return []byte(s)
	}
	var s string
	if err := json.Unmarshal(m[name+"_base64"], &s); err != nil {
		t.Fatalf("%s_base64: %v", name, err)
	}
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func FuzzJSON(f *testing.F) {
	f.Add([]byte("hello\n"), []byte("x"), "y", "echo {}")
	f.Add([]byte("\xff\x00"), []byte("\x80"), "", "\xc3")
	f.Add([]byte("\x1b[31mred\x1b[0m\t<&>"), []byte("../../x"), "/etc/passwd", "a/b")
	f.Fuzz(func(t *testing.T, out, in []byte, in2, cmd string) {
		for _, input := range [][]string{{string(in)}, {string(in), in2}} {
			line := mustJSON(t, Job{Seq: 1, Input: input, Command: cmd,
				Stdout: bytes.NewReader(out), Stderr: strings.NewReader(in2)})
			var m map[string]json.RawMessage
			if err := json.Unmarshal(line, &m); err != nil {
				t.Fatalf("%q: %v", line, err)
			}
			if got := decodeText(t, m, "stdout"); !bytes.Equal(got, out) {
				t.Errorf("stdout %q, want %q", got, out)
			}
			if got := decodeText(t, m, "stderr"); string(got) != in2 {
				t.Errorf("stderr %q, want %q", got, in2)
			}
			if got := decodeText(t, m, "command"); string(got) != cmd {
				t.Errorf("command %q, want %q", got, cmd)
			}
			key, raw := "input", m["input"]
			if raw == nil {
				key, raw = "input_base64", m["input_base64"]
			}
			var vals []string
			if len(input) == 1 {
				var s string
				if err := json.Unmarshal(raw, &s); err != nil {
					t.Fatalf("%s: %s: want a string: %v", key, raw, err)
				}
				vals = []string{s}
			} else if err := json.Unmarshal(raw, &vals); err != nil {
				t.Fatalf("%s: %s: want an array: %v", key, raw, err)
			}
			if key == "input_base64" {
				for i, v := range vals {
					vals[i] = string(must(base64.StdEncoding.DecodeString(v)))
				}
			}
			if !slices.Equal(vals, input) {
				t.Errorf("%s: %q, want %q", key, vals, input)
			}
		}
	})
}
