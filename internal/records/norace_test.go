//go:build !race

package records

// memoryRecords is the length of the flat-memory run.
const memoryRecords = 50_000_000
