package engine

import (
	"github.com/parmap/parmap/internal/agent"
	"github.com/parmap/parmap/internal/records"
	"github.com/parmap/parmap/internal/template"
)

// Transfer is the files an agent's jobs carry, as GNU parallel's options
// for -S hosts: each job's Files are put on its agent before it runs
// (--transferfile), its Return files come back after it (--return), and
// with Cleanup both are removed there after (--cleanup). Basefiles are
// put on every agent once, before any job, and removed at the end with
// Cleanup (--basefile). Paths follow agent.RemotePath's rule.
type Transfer struct {
	Files     []*template.Text // expanded for each job
	Return    []*template.Text // expanded for each job
	Cleanup   bool
	Basefiles []string // plain local paths
}

// carries reports whether jobs carry files of their own.
func (t *Transfer) carries() bool { return len(t.Files) > 0 || len(t.Return) > 0 }

// files is the files of the job of rec, run in slot: the templates
// expanded with its values.
func (t *Transfer) files(rec *records.Record, slot int) agent.Files {
	f := agent.Files{Cleanup: t.Cleanup}
	for _, tt := range t.Files {
		f.Transfer = append(f.Transfer, tt.Expand(rec, slot))
	}
	for _, tt := range t.Return {
		f.Return = append(f.Return, tt.Expand(rec, slot))
	}
	return f
}
