// Package ttyscreen plays what a program wrote to a terminal, for tests of
// the progress bar: only tests import it.
package ttyscreen

import "strings"

// Screen plays s on a one-line-at-a-time terminal (carriage return, erase
// to the end of the line "\x1b[K", newline; "\r\n" as a terminal turns "\n"
// into it) and returns the lines left on it, the cursor's line last.
func Screen(s string) []string {
	var lines []string
	var cur []rune
	col := 0
	for i := 0; i < len(s); {
		switch {
		case strings.HasPrefix(s[i:], "\x1b[K"):
			cur = cur[:min(col, len(cur))]
			i += 3
			continue
		case s[i] == '\r':
			col = 0
		case s[i] == '\n':
			lines = append(lines, string(cur))
			cur, col = nil, 0
		default:
			r := []rune(s[i:])[0]
			if col < len(cur) {
				cur[col] = r
			} else {
				cur = append(cur, r)
			}
			col++
			i += len(string(r))
			continue
		}
		i++
	}
	return append(lines, string(cur))
}
