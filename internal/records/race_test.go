//go:build race

package records

// memoryRecords is the length of the flat-memory run; the race detector makes
// each record some ten times slower.
const memoryRecords = 2_000_000
