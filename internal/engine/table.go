package engine

import (
	"bytes"
	"io"

	"github.com/parmap/parmap/channel"
	"github.com/parmap/parmap/internal/results"
	"github.com/parmap/parmap/pmap"
)

// resultsTable is --results FILE.csv, .tsv or .json (GNU parallel): one row
// per job, in output order, instead of the job's output.
type resultsTable struct {
	format results.Format
	file   *results.Table // nil for -.csv and the like: the rows go to stdout
	headed bool           // stdout: the header row is out
	failed bool           // a row could not be written: said once
}

// openTable opens the results file of cfg.Results, if it names one.
func (r *run) openTable() error {
	f := results.FormatOf(r.cfg.Results)
	if f == results.NoTable {
		return nil
	}
	r.table = &resultsTable{format: f}
	if results.OnStdout(r.cfg.Results) {
		return nil
	}
	t, err := results.OpenTable(r.cfg.Results)
	if err != nil {
		return err
	}
	r.table.file = t
	r.closers = append(r.closers, func() {
		if err := t.Close(); err != nil {
			r.notify(Notice{Kind: JobResultsFailed, Seq: -1, Err: err})
		}
	})
	return nil
}

// tableRow makes job j's row of the results file from its captured output,
// which it empties: the row then stands in for the output.
func (r *run) tableRow(j *job, res channel.Result) {
	row := results.Row{Job: results.Job{Seq: j.rec.Seq, Input: j.rec.Values, Command: j.cmd.Line,
		Exit: res.Exit, Signal: int(res.Signal), Start: res.Start, Runtime: res.Runtime},
		Host: j.host, Send: res.Sent, Names: j.rec.Names}
	if res.Signal != 0 {
		row.Exit = 0 // as the job log (GNU)
	}
	if res.TimedOut && row.Exit == 0 {
		row.Exit = -1
	}
	fail := func(err error) {
		r.notify(Notice{Kind: JobResultsFailed, Seq: j.rec.Seq, Err: &results.TableError{Path: r.cfg.Results, Seq: j.rec.Seq, Err: err}})
	}
	if pair := j.out.pair; pair.Stdout != nil {
		stdout, err := readCapture(pair.Stdout)
		if err != nil {
			fail(err)
		}
		stderr, err := readCapture(pair.Stderr)
		if err != nil {
			fail(err)
		}
		row.Stdout, row.Stderr, row.Receive = bytes.NewReader(stdout), bytes.NewReader(stderr), int64(len(stdout))
		pair.Reset()
	}
	line, err := row.Format(r.table.format)
	if err != nil {
		fail(err)
	}
	j.out = output{form: tableLine, json: line, header: row.Header(r.table.format)}
}

// writeRow writes job j's row, in output order.
func (r *run) writeRow(j *job) {
	t, o := r.table, &j.out
	if t.file != nil {
		switch err := t.file.Write(j.rec.Seq, o.header, o.json); {
		case err == nil:
		case t.failed: // said already; counted for the summary
			r.lost.add(toResults, j.rec.Seq)
		default:
			t.failed = true
			r.notify(Notice{Kind: JobResultsFailed, Seq: j.rec.Seq, Err: err})
		}
		return
	}
	if !t.headed && len(o.header) > 0 {
		t.headed = true
		r.wrote(j, r.out.Stdout(o.header))
	}
	r.wrote(j, r.out.Stdout(o.json))
}

// readCapture reads a capture file whole.
func readCapture(c *pmap.Capture) ([]byte, error) {
	rd, err := c.Reader()
	if err != nil {
		return nil, err
	}
	return io.ReadAll(rd)
}
