package runs

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
)

// Spool copies src (the detaching parmap's standard input) into the run's
// input file, verbatim, and fsyncs it; it returns once all of src is on
// disk, with the number of bytes copied. The detaching parent starts the
// supervisor, and returns, after this. The copy is written as input.part
// and renamed to input once whole: a run has an input file only when its
// spool is complete (Spooled), whatever killed the parent.
func (r *Run) Spool(src io.Reader) (int64, error) {
	part := r.InputPath() + ".part"
	f, err := os.OpenFile(part, os.O_WRONLY|os.O_TRUNC|os.O_CREATE, 0o600)
	if err != nil {
		return 0, err
	}
	n, err := io.Copy(f, src)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(part, r.InputPath())
	}
	if err != nil {
		os.Remove(part)
		return n, err
	}
	syncDir(r.Dir)
	return n, nil
}

// Spooled reports whether the run's standard input was spooled whole: a
// run whose creator died before that never had all its records, and
// --resume-run cannot complete it. A run whose records are not read from
// standard input is spooled from an empty reader.
func (r *Run) Spooled() (bool, error) {
	_, err := os.Stat(r.InputPath())
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	return err == nil, err
}

// Append adds records to the run's added file durably (--add): every record
// followed by sep, all in one write, then fsynced; it returns once they are
// on disk, and only then may the supervisor answer the add op.
//
// The input file is standard input verbatim, whose last record may lack a
// separator; added records are kept apart from it, each ended by sep, so
// that a record with no sep after it in the added file can only be a torn
// one: its writer died in the middle of the write, before the fsync, before
// answering. Added drops it, and Append cuts it off before writing, so a
// later record is never glued to it. A record that holds sep would read back
// as two: it is refused, nothing written.
func (r *Run) Append(records [][]byte, sep []byte) error {
	if len(sep) == 0 {
		return errors.New("append: empty record separator")
	}
	var buf bytes.Buffer
	for i, rec := range records {
		if bytes.Contains(rec, sep) {
			return fmt.Errorf("append: record %d holds the record separator %q", i+1, sep)
		}
		buf.Write(rec)
		buf.Write(sep)
	}
	f, err := os.OpenFile(r.AddedPath(), os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return err
	}
	whole, err := wholeLen(f, fi.Size(), sep)
	if err != nil {
		return err
	}
	if whole < fi.Size() {
		if err := f.Truncate(whole); err != nil {
			return err
		}
	} else if buf.Len() == 0 {
		return nil
	}
	if _, err := f.WriteAt(buf.Bytes(), whole); err != nil {
		return err
	}
	return f.Sync()
}

// wholeLen returns the length of the first size bytes of f up to and with
// their last sep: the whole records. It reads from the end, so it costs
// the length of a torn last record, not of the file.
func wholeLen(f io.ReaderAt, size int64, sep []byte) (int64, error) {
	const chunk = 64 << 10
	end := size
	for end > 0 {
		start := max(end-chunk, 0)
		// Overlap the next chunk by len(sep)-1 bytes, for a sep that
		// straddles the boundary.
		stop := min(end+int64(len(sep))-1, size)
		b := make([]byte, stop-start)
		if _, err := f.ReadAt(b, start); err != nil && err != io.EOF {
			return 0, err
		}
		if i := bytes.LastIndex(b, sep); i >= 0 {
			return start + int64(i+len(sep)), nil
		}
		end = start
	}
	return 0, nil
}

// WholeAdded returns the length of the whole records of the run's added
// file: a supervisor reads that much of it (through its own record
// reader) and no more; the rest is a torn record (see Append).
func (r *Run) WholeAdded(sep []byte) (int64, error) {
	f, err := os.Open(r.AddedPath())
	if err != nil {
		return 0, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return 0, err
	}
	return wholeLen(f, fi.Size(), sep)
}

// Added reads the records added to the run, without their separator, in the
// order added. torn is the length of a torn last record (see Append),
// which is not among them: 0 when there is none.
func (r *Run) Added(sep []byte) (records [][]byte, torn int, err error) {
	if len(sep) == 0 {
		return nil, 0, errors.New("added: empty record separator")
	}
	b, err := os.ReadFile(r.AddedPath())
	if err != nil {
		return nil, 0, err
	}
	w, err := wholeLen(bytes.NewReader(b), int64(len(b)), sep)
	if err != nil {
		return nil, 0, err
	}
	whole := int(w)
	for rest := b[:whole]; len(rest) > 0; {
		i := bytes.Index(rest, sep)
		records = append(records, rest[:i:i])
		rest = rest[i+len(sep):]
	}
	return records, len(b) - whole, nil
}
