package records

import (
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
		msg := err.Error()
		if !strings.HasPrefix(msg, "-d ") || !strings.Contains(msg, `give one character or an escape like \t, \n, \0`) || strings.Contains(msg, "\n") {
			t.Errorf("ParseDelim(%q) error %q", in, msg)
		}
	}
	if _, err := ParseDelim("ab"); err.Error() != `-d "ab": give one character or an escape like \t, \n, \0, \x1f` {
		t.Errorf("error %q", err)
	}
}
