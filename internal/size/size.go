// Package size reads sizes in bytes as the command line gives them: a number
// (decimals allowed) with an optional suffix K, M, G or T (powers of 1024)
// or k, m, g or t (powers of 1000, as GNU parallel reads them).
package size

import (
	"errors"
	"strconv"
	"strings"
)

// ErrBad is a size that is not a number of bytes above 0 with an optional
// suffix.
var ErrBad = errors.New("not a size")

// Max is the largest size Parse accepts: 1 PiB.
const Max = 1 << 50

// Parse reads s as a number of bytes, at least 1 and at most Max.
func Parse(s string) (int64, error) {
	mult, num := int64(1), s
	if n := len(num); n > 0 {
		if i := strings.IndexByte("KMGT", num[n-1]); i >= 0 {
			mult, num = int64(1)<<(10*(i+1)), num[:n-1]
		} else if i := strings.IndexByte("kmgt", num[n-1]); i >= 0 {
			mult, num = 1, num[:n-1]
			for range i + 1 {
				mult *= 1000
			}
		}
	}
	f, err := strconv.ParseFloat(num, 64)
	if err != nil || f < 0 || f*float64(mult) > Max || int64(f*float64(mult)) < 1 {
		return 0, ErrBad
	}
	return int64(f * float64(mult)), nil
}
