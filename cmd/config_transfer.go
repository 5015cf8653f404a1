package cmd

import (
	"errors"
	"io/fs"
	"os"

	"github.com/parmap/parmap/internal/engine"
	"github.com/parmap/parmap/internal/template"
)

// transfer reads GNU parallel's file options for -S hosts: --transferfile
// (--tf), --transfer, --return, --cleanup, --basefile (--bf) and --trc.
// The engine carries them over the agents' connections and ignores them
// elsewhere. Under --slurm they are accepted and do nothing: the nodes
// share the file system.
func (b *builder) transfer() error {
	c := b.c
	if c.Bool("slurm") {
		return nil
	}
	t := engine.Transfer{Cleanup: c.Bool("cleanup") || c.IsSet("trc"), Basefiles: c.StringSlice("basefile")}
	files := c.StringSlice("transferfile")
	record := "{}" // what --transfer and --trc put: the record, by -I's string if any
	if b.topt.Replace != "" {
		record = b.topt.Replace
	}
	if c.Bool("transfer") {
		files = append([]string{record}, files...)
	}
	returns := append(c.StringSlice("return"), c.StringSlice("trc")...)
	if c.IsSet("trc") && len(files) == 0 {
		files = []string{record} // GNU: --trc transfers {} unless told what
	}
	var err error
	if t.Files, err = b.fileTemplates("--transferfile", files); err != nil {
		return err
	}
	if t.Return, err = b.fileTemplates("--return", returns); err != nil {
		return err
	}
	for _, f := range t.Basefiles {
		if _, err := os.Stat(f); err != nil {
			var pe *fs.PathError
			if errors.As(err, &pe) {
				err = pe.Err // the message names the file already
			}
			return usagef("--basefile %s: %s", f, wordError(err))
		}
	}
	b.cfg.Transfer = t
	if b.cfg.Records.Header && len(t.Files)+len(t.Return) > 0 {
		// With --header :, a {name} that names no column is an error
		// here too.
		check := b.cfg.Records.CheckNames
		all := append(t.Files[:len(t.Files):len(t.Files)], t.Return...)
		b.cfg.Records.CheckNames = func(names []string) error {
			if check != nil {
				if err := check(names); err != nil {
					return err
				}
			}
			for _, tt := range all {
				if err := tt.CheckNames(names); err != nil {
					return err
				}
			}
			return nil
		}
	}
	return nil
}

// fileTemplates reads the file templates of flag.
func (b *builder) fileTemplates(flag string, ss []string) ([]*template.Text, error) {
	var out []*template.Text
	for _, s := range ss {
		if s == "" {
			return nil, usagef("%s: give a file name", flag)
		}
		t, err := template.ParseText(s, b.topt)
		if err != nil {
			return nil, usagef("%s %s: %s", flag, s, wordError(err))
		}
		out = append(out, t)
	}
	return out, nil
}
