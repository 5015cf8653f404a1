package reuse

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Protocol is how records and answers are framed on a worker's stdin and
// stdout.
type Protocol int

const (
	// Line sends each record followed by a newline and reads one line back.
	Line Protocol = iota
	// Null is Line with NUL bytes instead of newlines.
	Null
	// JSON sends one JSON object per line, {"seq":N,"input":"…"}, and reads
	// one object per line back, {"seq":N,"output":…} or {"seq":N,"error":…},
	// in any order.
	JSON
)

// ParseProtocol reads a protocol's name: line, null (or nul, 0) or json.
// Any other name is an *UnknownProtocolError.
func ParseProtocol(s string) (Protocol, error) {
	switch s {
	case "line":
		return Line, nil
	case "null", "nul", "0":
		return Null, nil
	case "json":
		return JSON, nil
	}
	return 0, &UnknownProtocolError{Name: s}
}

func (p Protocol) String() string {
	switch p {
	case Line:
		return "line"
	case Null:
		return "null"
	case JSON:
		return "json"
	}
	return "Protocol(" + strconv.Itoa(int(p)) + ")"
}

// sep is the byte that ends each request and answer.
func (p Protocol) sep() byte {
	if p == Null {
		return 0
	}
	return '\n'
}

// check returns why a record cannot be sent under the protocol (an
// *UnsendableError), or nil.
func (p Protocol) check(r *Request) error {
	if p == JSON {
		return nil
	}
	if sep := p.sep(); strings.IndexByte(r.Input, sep) >= 0 {
		return &UnsendableError{Protocol: p, Byte: sep}
	}
	return nil
}

// appendRequest appends the framed request for r to b.
func (p Protocol) appendRequest(b []byte, r *Request) []byte {
	if p != JSON {
		b = append(b, r.Input...)
		return append(b, p.sep())
	}
	b = append(b, `{"seq":`...)
	b = strconv.AppendInt(b, r.Seq, 10)
	b = appendField(b, "input", r.Input)
	if r.Fields != nil {
		if allUTF8(r.Fields) {
			b = append(b, `,"fields":[`...)
			for i, f := range r.Fields {
				if i > 0 {
					b = append(b, ',')
				}
				b = appendString(b, f)
			}
		} else {
			b = append(b, `,"fields_base64":[`...)
			for i, f := range r.Fields {
				if i > 0 {
					b = append(b, ',')
				}
				b = append(b, '"')
				b = base64.StdEncoding.AppendEncode(b, []byte(f))
				b = append(b, '"')
			}
		}
		b = append(b, ']')
	}
	return append(b, "}\n"...)
}

// appendField appends ,"name":"value", or ,"name_base64":"…" when value
// is not valid UTF-8 (JSON strings cannot carry arbitrary bytes).
func appendField(b []byte, name, value string) []byte {
	b = append(b, ',', '"')
	b = append(b, name...)
	if utf8.ValidString(value) {
		b = append(b, `":`...)
		return appendString(b, value)
	}
	b = append(b, `_base64":"`...)
	b = base64.StdEncoding.AppendEncode(b, []byte(value))
	return append(b, '"')
}

func allUTF8(ss []string) bool {
	for _, s := range ss {
		if !utf8.ValidString(s) {
			return false
		}
	}
	return true
}

const hexDigits = "0123456789abcdef"

// appendString appends s, valid UTF-8, as a JSON string.
func appendString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 0x20 && c != '"' && c != '\\' {
			continue
		}
		b = append(b, s[start:i]...)
		switch c {
		case '"', '\\':
			b = append(b, '\\', c)
		case '\n':
			b = append(b, '\\', 'n')
		case '\r':
			b = append(b, '\\', 'r')
		case '\t':
			b = append(b, '\\', 't')
		default:
			b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
		}
		start = i + 1
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

// jsonAnswer is one answer line of the JSON protocol.
type jsonAnswer struct {
	Seq          *int64          `json:"seq"`
	Output       json.RawMessage `json:"output"`
	OutputBase64 *string         `json:"output_base64"`
	Error        json.RawMessage `json:"error"`
}

// parseAnswer reads one JSON answer line: the record number, its output,
// or the error the worker reported for it (failed true).
func parseAnswer(line []byte) (seq int64, output []byte, failed bool, msg string, err error) {
	var a jsonAnswer
	if err := json.Unmarshal(line, &a); err != nil {
		return 0, nil, false, "", fmt.Errorf("answer is not a JSON object: %v", err)
	}
	if a.Seq == nil {
		return 0, nil, false, "", errors.New(`answer has no "seq"`)
	}
	switch {
	case a.Error != nil && string(a.Error) != "null":
		var s string
		if json.Unmarshal(a.Error, &s) != nil {
			s = string(a.Error) // not a string: its JSON text
		}
		return *a.Seq, nil, true, s, nil
	case a.OutputBase64 != nil:
		out, err := base64.StdEncoding.DecodeString(*a.OutputBase64)
		if err != nil {
			return 0, nil, false, "", fmt.Errorf(`answer's "output_base64" is not base64: %v`, err)
		}
		return *a.Seq, out, false, "", nil
	case a.Output != nil:
		if string(a.Output) == "null" {
			return *a.Seq, nil, false, "", nil
		}
		var s string
		if a.Output[0] == '"' && json.Unmarshal(a.Output, &s) == nil {
			return *a.Seq, []byte(s), false, "", nil
		}
		return *a.Seq, a.Output, false, "", nil // a number, object…: its JSON text
	}
	return 0, nil, false, "", errors.New(`answer has neither "output" nor "error"`)
}
