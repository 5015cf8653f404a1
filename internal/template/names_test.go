package template

import (
	"errors"
	"reflect"
	"testing"
)

// With --header :, every {name} of the template must name a field: a typo
// is an error that names it and lists the fields, never a literal.
func TestCheckNames(t *testing.T) {
	names := []string{"file", "size"}
	tests := []struct {
		name  string
		words []string
		bad   string // the *NameError's Token; "" for none
	}{
		{"known names", []string{"echo", "{file}", "{size}"}, ""},
		{"known names with operators", []string{"echo", "{file.}", "{file/}", "{file//}", "{file/.}"}, ""},
		{"other replacement strings", []string{"echo", "{}", "{1}", "{#}", "{%}", "{^.gz}", "{.}"}, ""},
		{"a typo", []string{"echo", "{file}", "{fiel}"}, "{fiel}"},
		{"a typo with an operator", []string{"echo", "{fiel/}"}, "{fiel/}"},
		{"inside a word", []string{"cp", "{file}", "out/{siez}.bak"}, "{siez}"},
		{"line without shell syntax", []string{"echo {nmae}"}, "{nmae}"},
		{"shell line", []string{"echo {file} | tr a b > {out}"}, "{out}"},
		{"shell line, known", []string{"echo {file} | tr a b > {size}"}, ""},
		{"record is the command", nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tm, err := Parse(tt.words, Options{})
			if err != nil {
				t.Fatal(err)
			}
			err = tm.CheckNames(names)
			var ne *NameError
			switch {
			case tt.bad == "" && err != nil:
				t.Fatalf("CheckNames: %v, want nil", err)
			case tt.bad == "":
			case !errors.As(err, &ne):
				t.Fatalf("CheckNames: %v, want a *NameError", err)
			case ne.Token != tt.bad || !reflect.DeepEqual(ne.Names, names):
				t.Fatalf("NameError = %+v, want Token %q, Names %q", ne, tt.bad, names)
			}
		})
	}
}

func TestTextCheckNames(t *testing.T) {
	tx, err := ParseText("{file}:{szie}", Options{})
	if err != nil {
		t.Fatal(err)
	}
	err = tx.CheckNames([]string{"file", "size"})
	if want := "{szie} names no field; the fields are {file}, {size}"; err == nil || err.Error() != want {
		t.Fatalf("CheckNames: %v, want %q", err, want)
	}
	if err := tx.CheckNames([]string{"file", "szie"}); err != nil {
		t.Fatalf("CheckNames: %v, want nil", err)
	}
}
