package cmd

import (
	"fmt"
	"io"
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/urfave/cli/v2"
)

// helpWidth is the widest line --help writes.
const helpWidth = 80

// usageColumn is where an option's text starts in --help, after its names.
const usageColumn = 30

// helpTemplate makes urfave/cli print parmap's own help (writeHelp), given
// as the app's ExtraInfo: urfave sorts the option groups by name, and wraps
// nothing.
const helpTemplate = `{{index ExtraInfo "help"}}`

// helpInfo is the app's ExtraInfo: the help text, made when it is asked for.
func helpInfo(app *cli.App) func() map[string]string {
	return func() map[string]string {
		var b strings.Builder
		writeHelp(&b, app)
		return map[string]string{"help": b.String()}
	}
}

// A helpOption is one option as the help and the man page show it.
type helpOption struct {
	names       []string // as typed: -a, --arg-file
	placeholder string   // FILE, or "" for a switch
	usage       string   // with its default, if the help should say it
}

// optionGroups returns the visible options by group, in helpGroups' order,
// each group's options in the order flags() gives them.
func optionGroups(app *cli.App) [][]helpOption {
	index := map[string]int{}
	for i, g := range helpGroups {
		index[g] = i
	}
	groups := make([][]helpOption, len(helpGroups))
	for _, f := range app.VisibleFlags() {
		cat := catInfo // --help, which urfave adds without a category
		if cf, ok := f.(cli.VisibleFlag); ok {
			if c, ok := cf.(interface{ GetCategory() string }); ok && c.GetCategory() != "" {
				cat = c.GetCategory()
			}
		}
		i, ok := index[cat]
		if !ok {
			panic("flag category " + cat + " is not in helpGroups")
		}
		groups[i] = append(groups[i], describeFlag(f))
	}
	return groups
}

// describeFlag is f as the help shows it: one-letter names first.
func describeFlag(f cli.Flag) helpOption {
	var o helpOption
	names := append([]string(nil), f.Names()...)
	sort.SliceStable(names, func(i, j int) bool { return len(names[i]) == 1 && len(names[j]) > 1 })
	for _, n := range names {
		if len(n) == 1 {
			o.names = append(o.names, "-"+n)
		} else {
			o.names = append(o.names, "--"+n)
		}
	}
	usage := ""
	if u, ok := f.(interface{ GetUsage() string }); ok {
		usage = u.GetUsage()
	}
	o.placeholder, o.usage = placeholder(usage)
	if d, ok := f.(cli.DocGenerationFlag); ok && d.TakesValue() {
		if o.placeholder == "" {
			o.placeholder = "VALUE"
		}
		if def := d.GetDefaultText(); def != "" {
			o.usage += " (default: " + def + ")"
		}
	} else {
		o.placeholder = ""
	}
	return o
}

// label is the option's names and placeholder: -a, --arg-file FILE.
func (o helpOption) label() string {
	s := strings.Join(o.names, ", ")
	if o.placeholder != "" {
		s += " " + o.placeholder
	}
	return s
}

// writeHelp writes --help: what parmap is and its usage, the options by
// group in the order of the data flow, then how it runs, its exit statuses,
// environment and examples; no line wider than helpWidth.
func writeHelp(w io.Writer, app *cli.App) {
	fmt.Fprintf(w, "parmap: %s.\nUsage: %s\n", summary, usageLine)
	for i, group := range optionGroups(app) {
		if len(group) == 0 {
			continue
		}
		fmt.Fprintf(w, "\n%s:\n", helpGroups[i])
		for _, o := range group {
			writeOption(w, o)
		}
	}
	fmt.Fprintf(w, "\nHow it runs:\n")
	for i, p := range about {
		if i > 0 {
			fmt.Fprintln(w)
		}
		writeWrapped(w, p, "  ", "  ")
	}
	writeTerms(w, "Exit status", exitStatuses)
	writeTerms(w, "Environment read", environment)
	writeTerms(w, "Environment of each job", jobEnvironment)
	fmt.Fprintf(w, "\nExamples:\n")
	for _, e := range examples {
		writeWrapped(w, "# "+e.text, "  ", "  # ")
		writeWrapped(w, e.name, "  ", "      ")
	}
	fmt.Fprintln(w)
	writeWrapped(w, "See also: man parmap; "+strings.Join(seeAlso, ", ")+".", "", "  ")
}

// writeOption writes one option: its label, then its text from
// usageColumn, wrapped with a hanging indent; a label too wide for the
// column has a line of its own.
func writeOption(w io.Writer, o helpOption) {
	label := "  " + o.label()
	pad := strings.Repeat(" ", usageColumn)
	if utf8.RuneCountInString(label) > usageColumn-2 {
		fmt.Fprintln(w, label)
		writeWrapped(w, o.usage, pad, pad)
		return
	}
	first := label + strings.Repeat(" ", usageColumn-utf8.RuneCountInString(label))
	writeWrapped(w, o.usage, first, pad)
}

// writeTerms writes a titled list of terms, each with its text indented.
func writeTerms(w io.Writer, title string, terms []entry) {
	fmt.Fprintf(w, "\n%s:\n", title)
	for _, t := range terms {
		writeWrapped(w, t.name, "  ", "  ")
		writeWrapped(w, t.text, "      ", "      ")
	}
}

// writeWrapped writes text in lines of at most helpWidth characters, the
// first led by first, the others by rest. A word longer than a line has a
// line of its own.
func writeWrapped(w io.Writer, text, first, rest string) {
	line, lead := first, first
	for _, word := range strings.Fields(text) {
		n := utf8.RuneCountInString(line)
		switch {
		case line == lead:
			line += word
		case n+1+utf8.RuneCountInString(word) <= helpWidth:
			line += " " + word
		default:
			fmt.Fprintln(w, line)
			line, lead = rest+word, rest
		}
	}
	fmt.Fprintln(w, line)
}
