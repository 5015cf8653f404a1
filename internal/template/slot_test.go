package template

import "testing"

func TestUsesSlot(t *testing.T) {
	for _, tc := range []struct {
		words []string
		want  bool
	}{
		{[]string{"echo", "{}"}, false},
		{[]string{"echo", "{%}"}, true},
		{[]string{"echo {%} {}"}, true},
		{[]string{"echo {#}"}, false},
	} {
		tmpl, err := Parse(tc.words, Options{})
		if err != nil {
			t.Fatal(err)
		}
		if got := tmpl.UsesSlot(); got != tc.want {
			t.Errorf("%q: UsesSlot %v", tc.words, got)
		}
	}
	txt, _ := ParseText("job {%}", Options{})
	if !txt.UsesSlot() {
		t.Error("text job {%}: UsesSlot false")
	}
}
