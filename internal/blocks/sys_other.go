//go:build !linux

package blocks

import (
	"errors"
	"os"
)

// GrowPipe would set the size of the pipe f; only Linux can.
func GrowPipe(f *os.File, n int) (int, error) {
	return 0, errors.ErrUnsupported
}

// spliceRange says there is no splice here, so FeedRange copies.
func spliceRange(dst, src *os.File, off, end int64) (int64, error) {
	return off, errNoKernelCopy
}
