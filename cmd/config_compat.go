package cmd

import (
	"regexp"

	"github.com/parmap/parmap/internal/records"
	"github.com/parmap/parmap/internal/template"
)

// The options GNU parallel users type that change how records are read and
// templates expanded: -m, -E, --trim, --shuf, --plus, -q, --env.

// compatRecords reads -m, -E, -r, --trim and --shuf into o.
func (b *builder) compatRecords(o *records.Options) error {
	c := b.c
	if c.Bool("m") {
		o.XArgs = xargsBudget // Slots: settle
	}
	o.EOF = c.String("eof")
	o.SkipBlank = c.Bool("no-run-if-empty")
	o.Shuffle = c.Bool("shuf")
	if o.Shuffle && b.cfg.Pipe != nil {
		return usagef("--shuf runs records in a random order; --pipe blocks are cut as the input comes, drop one of them")
	}
	switch t := c.String("trim"); t {
	case "":
		if o.ColSep != nil {
			o.Trim = records.TrimBoth // GNU: --colsep trims both sides
		}
	case "n":
	case "l":
		o.Trim = records.TrimLeft
	case "r":
		o.Trim = records.TrimRight
	case "lr", "rl":
		o.Trim = records.TrimBoth
	default:
		return usagef("--trim %q: give l (left), r (right), lr or rl (both sides), or n (none)", t)
	}
	return nil
}

// compatTemplate sets the template options of --plus, -q, -m and GNU's
// --extensionreplace, --basenamereplace, --dirnamereplace,
// --basenameextensionreplace, --seqreplace and --slotreplace.
func (b *builder) compatTemplate(o *template.Options) {
	o.Plus = b.c.Bool("plus")
	o.Jobs = b.cfg.Jobs
	o.Literal = b.c.Bool("quote")
	for _, r := range []struct{ flag, std string }{
		{"extensionreplace", "{.}"}, {"basenamereplace", "{/}"}, {"dirnamereplace", "{//}"},
		{"basenameextensionreplace", "{/.}"}, {"seqreplace", "{#}"}, {"slotreplace", "{%}"},
	} {
		if v := b.c.String(r.flag); v != "" {
			o.Aliases = append(o.Aliases, template.Alias{Text: v, For: r.std})
		}
	}
	if b.c.Bool("m") {
		o.Context = false // -m: the records go into the word, joined
	}
}

// needsTotal makes the records be read to the end first when the template
// or --tagstring uses {##} or {0#}.
func (b *builder) needsTotal() error {
	if !b.cfg.Template.NeedsTotal() && (b.cfg.TagText == nil || !b.cfg.TagText.NeedsTotal()) {
		return nil
	}
	if b.cfg.Pipe != nil {
		return usagef("{##} and {0#} need the number of jobs, which --pipe cannot know before the input ends; use {#}")
	}
	b.cfg.Records.ReadAll = true
	return nil
}

var envName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// envVars reads --env: the variables passed to the jobs on -S hosts.
func (b *builder) envVars() error {
	var names []string
	for _, list := range b.c.StringSlice("env") {
		for _, n := range splitComma(list) {
			switch {
			case n == "_":
			case !envName.MatchString(n):
				return usagef("--env %q: give the names of environment variables, comma-separated, e.g. --env PATH,HOME", n)
			default:
				names = append(names, n)
			}
		}
	}
	if b.cfg.Hosts == nil {
		return nil // jobs here get the whole environment
	}
	if b.cfg.Template.UsesHost() {
		return usagef("{host} and {sshlogin} are known only for jobs run here (:), not on -S hosts; use $(hostname) in a shell command line")
	}
	for _, n := range names {
		if v, ok := lookup(b.env.environ, n); ok {
			b.cfg.Hosts.Env = append(b.cfg.Hosts.Env, n+"="+v)
		}
	}
	return nil
}

func splitComma(s string) []string {
	var out []string
	start := 0
	for i := 0; i <= len(s); i++ {
		if i == len(s) || s[i] == ',' {
			if i > start {
				out = append(out, s[start:i])
			}
			start = i + 1
		}
	}
	return out
}

// lookup finds name in an environment list of NAME=value strings; the last
// entry wins, as getenv's.
func lookup(environ []string, name string) (string, bool) {
	v, ok := "", false
	for _, kv := range environ {
		if len(kv) > len(name) && kv[len(name)] == '=' && kv[:len(name)] == name {
			v, ok = kv[len(name)+1:], true
		}
	}
	return v, ok
}
