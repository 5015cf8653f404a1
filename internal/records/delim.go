package records

import "fmt"

// ParseDelim parses the value of -d / --delimiter: a single byte, or one of the
// escapes \t \n \r \0 \\ \a \b \f \v \xHH. The error is a *DelimError.
func ParseDelim(s string) (byte, error) {
	if len(s) == 1 {
		return s[0], nil
	}
	if len(s) == 2 && s[0] == '\\' {
		switch s[1] {
		case 't':
			return '\t', nil
		case 'n':
			return '\n', nil
		case 'r':
			return '\r', nil
		case '0':
			return 0, nil
		case '\\':
			return '\\', nil
		case 'a':
			return '\a', nil
		case 'b':
			return '\b', nil
		case 'f':
			return '\f', nil
		case 'v':
			return '\v', nil
		}
	}
	if len(s) == 4 && s[0] == '\\' && (s[1] == 'x' || s[1] == 'X') {
		hi, ok1 := unhex(s[2])
		lo, ok2 := unhex(s[3])
		if ok1 && ok2 {
			return hi<<4 | lo, nil
		}
	}
	return 0, &DelimError{Value: s}
}

// DelimError is a record separator that ParseDelim cannot read.
type DelimError struct {
	Value string // as given
}

func (e *DelimError) Error() string {
	return fmt.Sprintf(`delimiter %q: not one character or an escape like \t, \n, \0, \x1f`, e.Value)
}

// unhex returns the value of the hexadecimal digit c.
func unhex(c byte) (byte, bool) {
	switch {
	case '0' <= c && c <= '9':
		return c - '0', true
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10, true
	case 'A' <= c && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}
