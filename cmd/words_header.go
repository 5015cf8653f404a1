package cmd

import (
	"strings"

	"github.com/parmap/parmap/internal/template"
)

// wordName words a {name} that names no column of --header :, listing the
// replacement strings of the columns there are.
func wordName(e *template.NameError) string {
	cols := make([]string, len(e.Names))
	for i, n := range e.Names {
		cols[i] = "{" + n + "}"
	}
	return "--header: " + e.Token + " names no column; the columns are " + strings.Join(cols, ", ")
}
