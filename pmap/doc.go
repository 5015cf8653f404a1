// Package pmap puts finished jobs' outputs in order and writes them: a Map
// emits results in input order (-k), a Queue as they arrive. Outputs waiting
// for their turn are held in Buffers, in memory up to a shared byte budget and
// in one unlinked temporary file beyond it, so memory stays bounded whatever
// the sizes. It also owns the output modes (--group, --line-buffer, -u) and
// tags. It knows nothing of how jobs are started.
package pmap
