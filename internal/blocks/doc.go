// Package blocks cuts input into blocks of whole records for pipe mode and
// moves them into jobs' stdin pipes: a Cutter cuts a stream (--pipe) into
// Blocks held in recycled buffers, Ranges cuts a regular file (--pipepart) into
// byte ranges by reading only small windows, and FeedRange splices a range
// from the file into a pipe without the bytes passing through user space.
//
// One rule decides where a block ends, for a stream and for a file alike, so
// both modes give a job the same bytes:
//
//   - the first N records of the input are its header, in no block's data;
//   - if what remains fits in size bytes, it is the last block;
//   - otherwise the block ends just after the last delimiter within its first
//     size bytes; failing that (a record longer than a block), just after the
//     first delimiter past them; failing that, at the end of the input.
//
// So a record is never split, every block but the last ends with the
// delimiter, and the last keeps an unterminated final record as it is.
//
// The package knows nothing of the command line or of processes.
package blocks
