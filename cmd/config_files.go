package cmd

import (
	"github.com/parmap/parmap/internal/results"
	"github.com/parmap/parmap/pmap"
)

// outputFiles reads --files and checks --results FILE.csv, .tsv and .json
// (GNU parallel's) against the other outputs; after structured.
func (b *builder) outputFiles() error {
	c, cfg := b.c, b.cfg
	cfg.Files = c.Bool("files")
	table := cfg.Results != "" && results.FormatOf(cfg.Results) != results.NoTable
	switch {
	case cfg.Files && cfg.Mode != pmap.Group:
		return usagef("--files saves each job's whole output; drop -u and --line-buffer")
	case cfg.Files && (cfg.JSON || table):
		return usagef("--files, --json and --results FILE.%s each replace the output; pick one", ext(cfg.Results))
	case table && cfg.JSON:
		return usagef("--json and --results %s each replace the output; pick one", cfg.Results)
	case (cfg.Files || table) && c.Bool("reuse"):
		return usagef("--reuse workers answer on one stream; --files and --results FILE cannot be used with it")
	}
	return nil
}

// ext is the suffix of a --results name, or csv when it has none of
// results' own.
func ext(name string) string {
	switch results.FormatOf(name) {
	case results.TSV:
		return "tsv"
	case results.JSONLines:
		return "json"
	}
	return "csv"
}
