package records

import "io"

// readJoined is read, and with continued (GNU's -L), a value ending in a
// blank is joined with the values after it until one does not, as GNU
// parallel and xargs read lines: "a \nb\n" is the one value "a b".
func (in *input) readJoined() (string, error) {
	v, err := in.read()
	if err != nil || !in.continued {
		return v, err
	}
	for endsInBlank(v) {
		w, err := in.read()
		if err == io.EOF {
			return v, nil // an unterminated continuation is a value as it is
		}
		if err != nil {
			return "", err
		}
		v += w
	}
	return v, nil
}

// endsInBlank reports whether v ends in white space as Perl's \s counts it
// (GNU parallel's test for a continued line).
func endsInBlank(v string) bool {
	if v == "" {
		return false
	}
	switch v[len(v)-1] {
	case ' ', '\t', '\n', '\r', '\f', '\v':
		return true
	}
	return false
}
