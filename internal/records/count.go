package records

import (
	"io"
	"os"
)

// countEvery is how many records Count reads between looks at its stop
// channel.
const countEvery = 1024

// Counter prepares to count the jobs that Open(sources, stdin, opt) would
// hand out, without consuming them and without holding them: a second
// pass over the same values with the same splitting and grouping, so that
// a progress display knows the total before the first job. It returns
// ok false when that cannot be done without reading the input itself:
// standard input that is not a regular file (a pipe, a terminal), a file
// source that is not a regular file (a FIFO, /dev/fd/63), or a Feed.
//
// Counter must be called before the records are read (it takes standard
// input's current offset); count may then run in another goroutine while
// they are. count reads until the end, an error or stop is closed, and
// reports whether it counted them all.
func Counter(sources []Source, stdin io.Reader, opt Options) (count func(stop <-chan struct{}) (int64, bool), ok bool) {
	if len(sources) == 0 {
		sources = []Source{Stdin()}
	}
	var in io.Reader // a view of stdin from where it is now, to its end
	for _, s := range sources {
		if s.kind == fromFeed || s.then != nil {
			return nil, false
		}
		switch s.kind {
		case fromFile:
			st, err := os.Stat(s.path)
			if err != nil || !st.Mode().IsRegular() {
				return nil, false
			}
		case fromStdin:
			if in != nil {
				continue
			}
			f, isFile := stdin.(*os.File)
			if !isFile {
				return nil, false
			}
			st, err := f.Stat()
			if err != nil || !st.Mode().IsRegular() {
				return nil, false
			}
			at, err := f.Seek(0, io.SeekCurrent)
			if err != nil {
				return nil, false
			}
			in = io.NewSectionReader(f, at, max(st.Size()-at, 0))
		}
	}
	// The count needs no shuffling nor all of the input at once, and the
	// run's reader checks the names.
	opt.ReadAll, opt.Shuffle, opt.CheckNames = false, false, nil
	return func(stop <-chan struct{}) (int64, bool) {
		r, err := Open(sources, in, opt)
		if err != nil {
			return 0, false
		}
		defer r.Close()
		var n int64
		for {
			if n%countEvery == 0 {
				select {
				case <-stop:
					return n, false
				default:
				}
			}
			if _, err := r.Next(); err == io.EOF {
				return n, true
			} else if err != nil {
				return n, false
			}
			n++
		}
	}, true
}
