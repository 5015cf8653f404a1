package results

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"time"
	"unicode/utf8"
)

// jsonJob is the --json line. Field order is the declaration order. Each text
// field has a "_base64" twin in the same place; exactly one of the two is set.
type jsonJob struct {
	Seq           int64   `json:"seq"`
	Input         any     `json:"input,omitempty"`
	InputBase64   any     `json:"input_base64,omitempty"`
	Command       *string `json:"command,omitempty"`
	CommandBase64 *string `json:"command_base64,omitempty"`
	Exit          int     `json:"exit"`
	Signal        int     `json:"signal"`
	Start         string  `json:"start"`
	Runtime       float64 `json:"runtime"`
	resourcesJSON
	Stdout       *string `json:"stdout,omitempty"`
	StdoutBase64 *string `json:"stdout_base64,omitempty"`
	Stderr       *string `json:"stderr,omitempty"`
	StderrBase64 *string `json:"stderr_base64,omitempty"`
}

// JSON returns job j as one JSON object followed by a newline, its fields in this
// order:
//
//	{"seq":1,"input":"x","command":"echo x","exit":0,"signal":0,
//	 "start":"2025-01-02T03:04:05.123456789+01:00","runtime":0.012,
//	 "cpu_user":0.001,"cpu_sys":0.002,"max_rss":1523712,"oom":false,
//	 "stdout":"x\n","stderr":""}
//
// "input" is a string for one value and an array of strings otherwise (several
// sources or fields; [] for none). "start" is RFC 3339 with nanoseconds
// (time.RFC3339Nano, in Start's own zone); "runtime" is in seconds; "signal" is 0
// when none. "cpu_user" and "cpu_sys" are the job's CPU time in seconds,
// "max_rss" its peak resident set size in bytes, "oom" whether the OOM
// killer killed a process of its cgroup (Resources).
//
// JSON strings hold Unicode text, so a value that is not valid UTF-8 would be
// altered by encoding. Instead such a field is replaced, in the same place, by its
// "_base64" twin holding the bytes in standard base64: "stdout_base64",
// "stderr_base64", "command_base64", and "input_base64" (the whole input, with the
// same string-or-array shape, when any value is not valid UTF-8). Valid UTF-8,
// control characters included, stays text. So every field decodes back to exactly
// the bytes the job had. "<", ">" and "&" are not escaped.
//
// Stdout and Stderr are read whole into memory. An error reading them is returned.
func JSON(j Job) ([]byte, error) {
	stdout, err := readAll(j.Stdout)
	if err != nil {
		return nil, fmt.Errorf("job %d: reading stdout: %w", j.Seq, err)
	}
	stderr, err := readAll(j.Stderr)
	if err != nil {
		return nil, fmt.Errorf("job %d: reading stderr: %w", j.Seq, err)
	}
	v := jsonJob{
		Seq:     j.Seq,
		Exit:    j.Exit,
		Signal:  j.Signal,
		Start:   j.Start.Format(time.RFC3339Nano),
		Runtime: j.Runtime.Seconds(),
	}
	v.resourcesJSON = j.Resources.json()
	v.Input, v.InputBase64 = inputField(j.Input)
	v.Command, v.CommandBase64 = textField([]byte(j.Command))
	v.Stdout, v.StdoutBase64 = textField(stdout)
	v.Stderr, v.StderrBase64 = textField(stderr)

	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil { // Encode ends the line with "\n"
		return nil, fmt.Errorf("job %d: %w", j.Seq, err)
	}
	return buf.Bytes(), nil
}

func readAll(r io.Reader) ([]byte, error) {
	if r == nil {
		return nil, nil
	}
	return io.ReadAll(r)
}

// textField returns b as text when it is valid UTF-8, else as base64; the other
// result is nil.
func textField(b []byte) (text, b64 *string) {
	s := string(b)
	if utf8.Valid(b) {
		return &s, nil
	}
	s = base64.StdEncoding.EncodeToString(b)
	return nil, &s
}

// inputField returns the input as text when every value is valid UTF-8, else as
// base64, each as a string for one value and an array otherwise; the other
// result is nil.
func inputField(values []string) (text, b64 any) {
	valid := true
	for _, v := range values {
		if !utf8.ValidString(v) {
			valid = false
			break
		}
	}
	out := make([]string, len(values))
	for i, v := range values {
		if valid {
			out[i] = v
		} else {
			out[i] = base64.StdEncoding.EncodeToString([]byte(v))
		}
	}
	var field any = out
	if len(out) == 1 {
		field = out[0]
	}
	if valid {
		return field, nil
	}
	return nil, field
}
