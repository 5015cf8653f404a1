// Package records reads argument records from their sources (standard input,
// -a files, ::: lists, :::: files), splits and combines them, and hands them out
// one job's worth at a time. A Feed is a source of values added while the
// run reads it (a detached run's --add).
package records

// Record is the input of one job.
//
// For a single source without --colsep, Values and Args both hold the one record.
// With several sources, Values and Args hold one value per source. With --colsep,
// Values holds the fields and Args the whole record(s). With -n N or -X, Values
// and Args hold one element per record read (fields, with --colsep, concatenated).
//
// Values and Args are new slices for every Record; Names is one slice shared by
// all Records of a Reader and must not be modified.
type Record struct {
	Seq    int64    // job number, 1-based, in input order
	Values []string // what {1}, {2}, … pick
	Args   []string // what {} expands to: one word each
	Names  []string // field names from --header :, shared by all records; nil without it
	Total  int64    // the number of jobs, with Options.ReadAll ({##}); 0 when not known
}
