package agent

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"testing"
)

func TestFrameRoundTrip(t *testing.T) {
	var b []byte
	b = AppendFrame(b, Frame{Kind: KindHello, Payload: encode(Hello{Version: 1, Slots: 4})})
	b = AppendFrame(b, Frame{Kind: KindStdout, Seq: 7, Payload: []byte("abc")})
	b = AppendFrame(b, Frame{Kind: KindBye})
	for _, k := range []byte{KindPut, KindData, KindPutEnd} {
		b = AppendFrame(b, Frame{Kind: k, Seq: 9, Payload: []byte("{}")})
	}
	r := bytes.NewReader(b)
	f, err := ReadFrame(r)
	var h Hello
	if err != nil || f.Kind != KindHello || decode(f, &h) != nil || h.Slots != 4 {
		t.Fatalf("%+v %v %+v", f, err, h)
	}
	if f, err = ReadFrame(r); err != nil || f.Seq != 7 || string(f.Payload) != "abc" {
		t.Fatalf("%+v %v", f, err)
	}
	if f, err = ReadFrame(r); err != nil || f.Kind != KindBye || f.Payload != nil {
		t.Fatalf("%+v %v", f, err)
	}
	for _, k := range []byte{KindPut, KindData, KindPutEnd} {
		if f, err = ReadFrame(r); err != nil || f.Kind != k || f.Seq != 9 || string(f.Payload) != "{}" {
			t.Fatalf("%q: %+v %v", k, f, err)
		}
	}
	if _, err = ReadFrame(r); err != io.EOF {
		t.Fatalf("at the end: %v", err)
	}
}

func TestFrameBad(t *testing.T) {
	good := AppendFrame(nil, Frame{Kind: KindJob, Seq: 1, Payload: []byte(`{"argv":["x"]}`)})
	for i := 1; i < len(good); i++ {
		if _, err := ReadFrame(bytes.NewReader(good[:i])); err != io.ErrUnexpectedEOF {
			t.Errorf("truncated at %d: %v", i, err)
		}
	}
	huge := binary.BigEndian.AppendUint32(nil, 0xffffffff)
	var fe *FrameError
	if _, err := ReadFrame(bytes.NewReader(huge)); !errors.As(err, &fe) {
		t.Errorf("huge length: %v", err)
	}
	unknown := AppendFrame(nil, Frame{Kind: 'Z'})
	if _, err := ReadFrame(bytes.NewReader(unknown)); !errors.As(err, &fe) {
		t.Errorf("unknown kind: %v", err)
	}
	if err := newWriter(io.Discard).write(Frame{Kind: KindStdout, Payload: make([]byte, MaxPayload+1)}); err == nil {
		t.Error("a payload over MaxPayload was written")
	}
}

// FuzzDecode feeds the decoder garbage and truncated frames: it must not
// panic, nor allocate more than a frame's bound.
func FuzzDecode(f *testing.F) {
	f.Add(AppendFrame(nil, Frame{Kind: KindHello, Payload: encode(Hello{Version: 1, Slots: 2})}))
	f.Add(AppendFrame(nil, Frame{Kind: KindResult, Seq: 3, Payload: encode(JobResult{Exit: 1, Signal: 9})}))
	f.Add(AppendFrame(nil, Frame{Kind: KindJob, Seq: 1, Payload: encode(Job{Argv: []string{"true"}})})[:11])
	f.Add([]byte{0xff, 0xff, 0xff, 0xff, 'J'})
	f.Add(AppendFrame(nil, Frame{Kind: KindPut, Seq: 2, Payload: encode(Put{Path: "a/./b", Mode: 0o644, Cleanup: true})}))
	f.Add(AppendFrame(AppendFrame(nil, Frame{Kind: KindData, Seq: 2, Payload: []byte("data")}), Frame{Kind: KindPutEnd, Seq: 2, Payload: encode(PutEnd{Err: "x"})}))
	f.Add(AppendFrame(nil, Frame{Kind: KindResult, Seq: 3, Payload: encode(JobResult{Exit: 1, File: &FileProblem{Op: "return", File: "f", Missing: true}})}))
	f.Fuzz(func(t *testing.T, data []byte) {
		r := bytes.NewReader(data)
		for {
			fr, err := ReadFrame(r)
			if err != nil {
				return
			}
			if len(fr.Payload) > MaxPayload {
				t.Fatalf("payload of %d bytes", len(fr.Payload))
			}
			var h Hello
			var j Job
			var res JobResult
			var s Signal
			var p Put
			var e PutEnd
			decode(fr, &h)
			decode(fr, &j)
			decode(fr, &res)
			decode(fr, &s)
			decode(fr, &p)
			decode(fr, &e)
		}
	})
}

// An agent fed garbage, or a wrong hello, ends with an error and starts
// nothing.
func TestServeRefusesGarbage(t *testing.T) {
	for name, in := range map[string][]byte{
		"garbage":   []byte("GET / HTTP/1.1\r\n\r\n"),
		"not hello": AppendFrame(nil, Frame{Kind: KindJob, Seq: 1, Payload: encode(Job{Argv: []string{"true"}})}),
		"version":   AppendFrame(nil, Frame{Kind: KindHello, Payload: encode(Hello{Version: 99})}),
		"bad json":  AppendFrame(nil, Frame{Kind: KindHello, Payload: []byte("{")}),
		"empty":     nil,
	} {
		var out bytes.Buffer
		if err := Serve(bytes.NewReader(in), &out, nil); err == nil {
			t.Errorf("%s: no error", name)
		}
		if out.Len() != 0 {
			t.Errorf("%s: the agent answered %q", name, out.Bytes())
		}
	}
}
