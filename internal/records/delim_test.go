package records

import (
	"errors"
	"strings"
	"testing"
)

func TestParseDelim(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want byte
	}{
		{",", ','}, {"\t", '\t'}, {`\t`, '\t'}, {`\n`, '\n'}, {`\r`, '\r'}, {`\0`, 0},
		{`\\`, '\\'}, {`\x1f`, 0x1f}, {`\xFF`, 0xff}, {`\x00`, 0}, {"\xff", 0xff}, {`\`, '\\'},
	} {
		got, err := ParseDelim(tt.in)
		if err != nil || got != tt.want {
			t.Errorf("ParseDelim(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
	for _, in := range []string{"", "ab", `\q`, `\x`, `\x1`, `\xg0`, `\x123`, "é", `\00`} {
		_, err := ParseDelim(in)
		if err == nil {
			t.Errorf("ParseDelim(%q) succeeded", in)
			continue
		}
		var de *DelimError
		if !errors.As(err, &de) || de.Value != in {
			t.Errorf("ParseDelim(%q) error %v, want a *DelimError for %q", in, err, in)
		}
		if msg := err.Error(); strings.Contains(msg, "-d") || strings.Contains(msg, "\n") {
			t.Errorf("ParseDelim(%q) error %q names the option or is not one line", in, msg)
		}
	}
	if _, err := ParseDelim("ab"); err.Error() != `delimiter "ab": not one character or an escape like \t, \n, \0, \x1f` {
		t.Errorf("error %q", err)
	}
}
