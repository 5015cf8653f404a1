package template

import "strings"

// The path replacement strings work on text, never on the file system.

// noExt removes the extension of the last path element: "dir/x.tar.gz" gives
// "dir/x.tar", "a.b/c" stays. Leading dots of the element do not start an
// extension (".bashrc" stays, as in Python's os.path.splitext), and a path that
// ends in "/" is left alone.
func noExt(s string) string {
	base := strings.LastIndexByte(s, '/') + 1
	lead := base
	for lead < len(s) && s[lead] == '.' {
		lead++
	}
	dot := strings.LastIndexByte(s[lead:], '.')
	if dot < 0 {
		return s
	}
	return s[:lead+dot]
}

// basename follows basename(1): trailing slashes are ignored ("dir/" gives
// "dir"), "/" gives "/" and "" gives "".
func basename(s string) string {
	t := strings.TrimRight(s, "/")
	if t == "" {
		if s == "" {
			return ""
		}
		return "/"
	}
	return t[strings.LastIndexByte(t, '/')+1:]
}

// dirname follows dirname(1): a name without a slash gives ".", "/a" gives "/",
// "a/b/" gives "a", "" gives ".".
func dirname(s string) string {
	t := strings.TrimRight(s, "/")
	if t == "" {
		if s == "" {
			return "."
		}
		return "/"
	}
	i := strings.LastIndexByte(t, '/')
	if i < 0 {
		return "."
	}
	if d := strings.TrimRight(t[:i], "/"); d != "" {
		return d
	}
	return "/"
}
