package cmd

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// parseBytes reads a size: a number, whole or not, and an optional K, M, G
// or T (either case; powers of 1024), as SPEC's sizes are; it must come to
// at least one byte. It reports false for anything else. (--block has its
// own, GNU's, where k, m and g are powers of 1000.)
func parseBytes(s string) (int64, bool) {
	num, mult := s, 1.0
	if n := len(num); n > 0 {
		if i := strings.IndexByte("KMGT", num[n-1]&^0x20); i >= 0 && num[n-1] >= 'A' {
			num, mult = num[:n-1], math.Pow(1024, float64(i+1))
		}
	}
	f, err := strconv.ParseFloat(num, 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) || num == "" || num[0] == '+' || num[0] == '-' {
		return 0, false
	}
	v := f * mult
	if v < 1 || v > 1<<62 {
		return 0, false
	}
	return int64(v), true
}

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
