package cmd

import (
	"errors"
	"fmt"

	"github.com/parmap/parmap/internal/results"
)

// wordTable words a --results FILE.csv, .tsv or .json that cannot be
// created or written; ok is false when err is no such error.
func wordTable(err error) (s string, ok bool) {
	var t *results.TableError
	if !errors.As(err, &t) {
		return "", false
	}
	why := describeFileErr(t.Err)
	switch {
	case t.Seq == 0:
		return fmt.Sprintf("--results %s: cannot create the file: %s; give a path in a writable directory", t.Path, why), true
	case t.Seq < 0:
		return fmt.Sprintf("--results %s: cannot write the file: %s", t.Path, why), true
	}
	return fmt.Sprintf("--results %s: job %d: cannot write its row: %s", t.Path, t.Seq, why), true
}
