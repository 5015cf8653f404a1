package template

import (
	"strconv"
	"strings"

	"github.com/parmap/parmap/internal/records"
)

// source says where a replacement string takes its value from.
type source uint8

const (
	srcArgs    source = iota // {} (or the -I string): the record's Args
	srcValue                 // {n}: Values[n-1]
	srcName                  // {name}: the field named so by --header; its own text when there is none
	srcSeq                   // {#}: the job number
	srcSlot                  // {%}: the job slot
	srcTotal                 // --plus {##}: the number of jobs
	srcSeqPad                // --plus {0#}: the job number, zero-padded to the width of the total
	srcSlotPad               // --plus {0%}: the job slot, zero-padded to the width of -j (field)
	srcNone                  // --plus {hgrp}, {agrp}: the host groups, which parmap has none of
	srcHost                  // --plus {host}, {sshlogin}: ":", this machine
	srcInvalid               // a --plus string that cannot be used; arg says why
	srcDevices               // {gpu}: the devices of the job's slot (Options.Devices)
)

// op is what a replacement string does to the value it picks.
type op uint8

const (
	opNone      op = iota
	opNoExt        // {.}: without extension
	opBase         // {/}: basename
	opDir          // {//}: dirname
	opBaseNoExt    // {/.}: basename without extension
	opTrim         // {^SUFFIX}: SUFFIX removed
	opPlus         // --plus {..}, {+.}…: arg names it
	opEdit         // --plus {:-x}, {#pat}, {/a/b}…: edit does it
)

// token is one replacement string of a template.
type token struct {
	src   source
	op    op
	field int      // srcValue: index into Values, from its end when negative ({-1})
	name  string   // srcName: the text between the braces
	arg   string   // opTrim: the suffix; srcName with an op: the name without the op's suffix
	raw   string   // the replacement string as written, e.g. "{1/.}"
	edit  *edit    // opEdit
	devs  []string // srcDevices: each slot's devices
}

// matcher finds replacement strings in template text.
type matcher struct {
	replace string // the -I string; "" when {} stands for the record
	// aliases are strings that stand for a brace group instead of it (GNU parallel's
	// --extensionreplace and the like: "STR" for "{.}"), longest first.
	aliases []Alias
	off     bool // recognize nothing (a record run as a command)
	only    bool // recognize replace only
	plus    bool // --plus: GNU's extra replacement strings
	jobs    int  // --plus: -j, the width of {0%}
	// devices are each slot's devices, for {gpu}; nil when there are none.
	devices []string
}

// at reports the replacement string that starts at s[i:], if one does.
func (m matcher) at(s string, i int) (token, bool) {
	if m.off {
		return token{}, false
	}
	if m.replace != "" && strings.HasPrefix(s[i:], m.replace) {
		return token{src: srcArgs, raw: m.replace}, true
	}
	if m.only {
		return token{}, false
	}
	for _, a := range m.aliases {
		if strings.HasPrefix(s[i:], a.Text) {
			t, ok := m.classify(a.For)
			t.raw = a.Text
			return t, ok
		}
	}
	if s[i] != '{' {
		return token{}, false
	}
	j := strings.IndexAny(s[i+1:], "{}")
	if j < 0 || s[i+1+j] != '}' {
		return token{}, false
	}
	raw := s[i : i+j+2]
	for _, a := range m.aliases {
		if raw == a.For {
			return token{}, false // renamed: GNU takes the old spelling literally
		}
	}
	return m.classify(raw)
}

// classify parses one brace group, braces included.
func (m matcher) classify(raw string) (token, bool) {
	in := raw[1 : len(raw)-1]
	t := token{raw: raw}
	if m.plus && in != "" {
		pt, ok, err := m.classifyPlus(t, in)
		if err != nil {
			pt.src, pt.arg = srcInvalid, err.Error()
			return pt, true
		}
		if ok {
			return pt, true
		}
	}
	switch in {
	case "":
		return t, m.replace == ""
	case "#":
		t.src = srcSeq
		return t, true
	case "%":
		t.src = srcSlot
		return t, true
	case "gpu":
		if m.devices != nil {
			t.src, t.devs = srcDevices, m.devices
			return t, true
		}
	}
	if suffix, ok := strings.CutPrefix(in, "^"); ok {
		t.op, t.arg = opTrim, suffix
		return t, true
	}
	rest, o := cutOp(in)
	if rest == "" {
		t.op = o
		return t, true
	}
	if n, err := strconv.Atoi(rest); err == nil && n >= 1 && rest[0] != '+' {
		t.src, t.op, t.field = srcValue, o, n-1
		return t, true
	}
	if n, err := strconv.Atoi(rest); err == nil && n <= -1 {
		// {-1}: the last value, {-2} the one before (GNU parallel).
		t.src, t.op, t.field = srcValue, o, n
		return t, true
	}
	t.src, t.name = srcName, in
	if o != opNone {
		t.op, t.arg = o, rest
	}
	return t, true
}

// cutOp splits a path operator off the end of a brace group's text.
func cutOp(s string) (string, op) {
	switch {
	case strings.HasSuffix(s, "/."):
		return s[:len(s)-2], opBaseNoExt
	case strings.HasSuffix(s, "//"):
		return s[:len(s)-2], opDir
	case strings.HasSuffix(s, "/"):
		return s[:len(s)-1], opBase
	case strings.HasSuffix(s, "."):
		return s[:len(s)-1], opNoExt
	}
	return s, opNone
}

// apply transforms one value.
func (t *token) apply(s string) string {
	switch t.op {
	case opNoExt:
		return noExt(s)
	case opBase:
		return basename(s)
	case opDir:
		return dirname(s)
	case opBaseNoExt:
		return noExt(basename(s))
	case opTrim:
		return strings.TrimSuffix(s, t.arg)
	case opPlus:
		return plusPath(t.arg, s)
	case opEdit:
		return t.edit.apply(s)
	}
	return s
}

// value returns the value of a token other than srcArgs. ok is false for a
// {name} that names no field: the token then stands for its own text.
func (t *token) value(rec *records.Record, slot int) (v string, ok bool) {
	switch t.src {
	case srcSeq:
		return strconv.FormatInt(rec.Seq, 10), true
	case srcSlot:
		return strconv.Itoa(slot), true
	case srcTotal:
		return strconv.FormatInt(rec.Total, 10), true
	case srcSeqPad:
		return padded(rec.Seq, digits(rec.Total)), true
	case srcSlotPad:
		return padded(int64(slot), t.field), true
	case srcNone:
		return "", true
	case srcHost:
		return ":", true
	case srcDevices:
		if slot >= 1 && slot <= len(t.devs) {
			return t.devs[slot-1], true
		}
		return "", true
	case srcValue:
		i := t.field
		if i < 0 {
			i += len(rec.Values) // {-n}: counted from the last
		}
		if i >= 0 && i < len(rec.Values) {
			return t.apply(rec.Values[i]), true
		}
		return "", true
	case srcName:
		if i := index(rec.Names, t.name); i >= 0 {
			return field(rec, i), true
		}
		if t.arg != "" {
			if i := index(rec.Names, t.arg); i >= 0 {
				return t.apply(field(rec, i)), true
			}
		}
		return t.raw, false
	}
	panic("template: value of {}")
}

// field returns Values[i], or "" when the record has fewer values.
func field(rec *records.Record, i int) string {
	if i < len(rec.Values) {
		return rec.Values[i]
	}
	return ""
}

func index(names []string, name string) int {
	for i, n := range names {
		if n == name {
			return i
		}
	}
	return -1
}

// joinArgs returns args (a record's Args) transformed by t and joined by single spaces.
func (t *token) joinArgs(args []string) string {
	switch len(args) {
	case 0:
		return ""
	case 1:
		return t.apply(args[0])
	}
	n := len(args) - 1
	for _, a := range args {
		n += len(a)
	}
	var b strings.Builder
	b.Grow(n)
	for i, a := range args {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(t.apply(a))
	}
	return b.String()
}
