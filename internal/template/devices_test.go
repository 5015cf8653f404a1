package template

import (
	"reflect"
	"testing"
)

// {gpu} is the job slot's devices: Options.Devices[slot-1], in argv words,
// shell lines (quoted as any value) and tag texts.
func TestDevicesString(t *testing.T) {
	opt := Options{Devices: []string{"0,1", "2,3"}}
	tm, err := Parse([]string{"run", "--gpu={gpu}", "{}"}, opt)
	if err != nil {
		t.Fatal(err)
	}
	for slot, want := range map[int][]string{1: {"run", "--gpu=0,1", "x"}, 2: {"run", "--gpu=2,3", "x"}} {
		c, err := tm.Expand(rec("x"), slot)
		if err != nil || !reflect.DeepEqual(c.Argv, want) {
			t.Errorf("slot %d: %q, %v; want %q", slot, c.Argv, err, want)
		}
	}
	sh, err := Parse([]string{"echo {gpu} | cat"}, opt)
	if err != nil {
		t.Fatal(err)
	}
	if c, _ := sh.Expand(rec("x"), 2); c.Argv[len(c.Argv)-1] != "echo 2,3 | cat" {
		t.Errorf("shell line %q", c.Argv)
	}
	tag, err := ParseText("gpu {gpu}", opt)
	if err != nil {
		t.Fatal(err)
	}
	if got := tag.Expand(rec("x"), 1); got != "gpu 0,1" {
		t.Errorf("tag %q", got)
	}
}

// Without devices, {gpu} is a {name} like any other: its own text when no
// --header column has that name (and the record is appended, as with no
// replacement string).
func TestDevicesStringWithoutDevices(t *testing.T) {
	tm, err := Parse([]string{"echo", "{gpu}"}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if c, _ := tm.Expand(rec("x"), 1); !reflect.DeepEqual(c.Argv, []string{"echo", "{gpu}", "x"}) {
		t.Errorf("%q", c.Argv)
	}
}
