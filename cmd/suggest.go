package cmd

// unknownOption is the error for an option parmap does not know (opt with
// its dashes, without a value). It names the long option closest to it
// when one is close enough to be what was meant.
func unknownOption(opt string) error {
	if long, ok := closestOption(opt[2:]); ok && len(opt) > 2 && opt[1] == '-' {
		return usagef("unknown option %s; did you mean --%s?", opt, long)
	}
	return usagef("unknown option %s (see parmap --help)", opt)
}

// closestOption finds the long option name meant by name: the only one
// name begins, else the one fewest edits away (a transposition counts as
// one edit), when there are at most a third as many edits as letters
// (at least 1, at most 2). The first in --help's order wins a tie.
func closestOption(name string) (string, bool) {
	longs := []string{"help"}
	for _, f := range flags() {
		for _, n := range f.Names() {
			if len(n) > 1 {
				longs = append(longs, n)
			}
		}
	}
	var prefixed []string
	for _, l := range longs {
		if len(name) > 1 && len(l) > len(name) && l[:len(name)] == name {
			prefixed = append(prefixed, l)
		}
	}
	if len(prefixed) == 1 {
		return prefixed[0], true
	}
	best, bestD := "", min(2, max(1, len(name)/3))+1
	for _, l := range longs {
		if d := editDistance(name, l); d < bestD {
			best, bestD = l, d
		}
	}
	return best, best != ""
}

// editDistance is the optimal string alignment distance between a and b:
// the insertions, deletions, substitutions and transpositions of adjacent
// bytes that turn one into the other.
func editDistance(a, b string) int {
	// d[i][j] is the distance between a[:i] and b[:j].
	d := make([][]int, len(a)+1)
	for i := range d {
		d[i] = make([]int, len(b)+1)
		d[i][0] = i
	}
	for j := range d[0] {
		d[0][j] = j
	}
	for i := 1; i <= len(a); i++ {
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			d[i][j] = min(d[i-1][j]+1, d[i][j-1]+1, d[i-1][j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				d[i][j] = min(d[i][j], d[i-2][j-2]+1)
			}
		}
	}
	return d[len(a)][len(b)]
}
