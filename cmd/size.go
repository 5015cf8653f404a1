package cmd

import (
	"fmt"
	"strconv"
	"strings"
)

// formatBytes says a size as briefly as exactly: 2G, 1536M, 1000 (bytes).
func formatBytes(n int64) string {
	for i := 4; i >= 1; i-- {
		unit := int64(1) << (10 * i)
		if n%unit == 0 {
			return strconv.FormatInt(n/unit, 10) + string("KMGT"[i-1])
		}
	}
	return strconv.FormatInt(n, 10)
}

// formatBytesAbout says a size to one decimal in the largest unit that
// keeps it at 1 or more: 200.4M, 512K, 100B.
func formatBytesAbout(n int64) string {
	for i := 4; i >= 1; i-- {
		unit := float64(int64(1) << (10 * i))
		if float64(n) >= unit {
			return strings.TrimSuffix(fmt.Sprintf("%.1f", float64(n)/unit), ".0") + string("KMGT"[i-1])
		}
	}
	return strconv.FormatInt(n, 10) + "B"
}
