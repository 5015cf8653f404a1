package cmd

import (
	"io"
	"regexp"
	"slices"
	"strings"
	texttemplate "text/template"

	"github.com/urfave/cli/v2"
)

// writeCompletion writes the completion script for shell (bash, zsh or fish)
// to w. The scripts are made from the app's flags, so they never fall behind
// the command line.
//
// A parmap command line is: options, then COMMAND and its arguments, then
// record lists after ::: and files after ::::. So every script completes
// option names, file names for options taking a FILE, DIR or PATH, command
// names for the first word that is not an option, and file names after it.
func writeCompletion(app *cli.App, shell string, w io.Writer) error {
	app.Setup() // adds --help and --version, as a run would
	switch shell {
	case "bash":
		return bashTemplate.Execute(w, completionFlags(app))
	case "zsh":
		return zshTemplate.Execute(w, completionFlags(app))
	case "fish":
		script, err := fishApp(app).ToFishCompletion()
		if err != nil {
			return err
		}
		_, err = io.WriteString(w, fishNames(script)+fishRuns(completionFlags(app)))
		return err
	}
	return usagef("--completion %q: give bash, zsh or fish", shell)
}

// valueKind is what an option's value is, as far as completion goes.
type valueKind int

const (
	noValue   valueKind = iota // a switch
	someValue                  // a value that cannot be completed (N, REGEX…)
	fileValue                  // a file name (FILE, PATH)
	dirValue                   // a directory (DIR)
	shellName                  // bash, zsh or fish (SHELL)
	runID                      // the id of a background run (ID): completed from the default run directory
)

// complFlag is one option as the completion scripts see it.
type complFlag struct {
	Long     []string // --long spellings, with the dashes
	Short    []string // -s spellings, with the dash
	Usage    string   // the help text, placeholders unquoted
	Arg      string   // the placeholder of its value: FILE, N… ("" for a switch)
	Value    valueKind
	Repeated bool // may be given more than once
}

// Names is every spelling of f.
func (f complFlag) Names() []string { return append(slices.Clone(f.Long), f.Short...) }

// completionFlags lists the app's visible options.
func completionFlags(app *cli.App) []complFlag {
	var out []complFlag
	for _, f := range app.VisibleFlags() {
		d, ok := f.(cli.DocGenerationFlag)
		if !ok {
			continue
		}
		arg, usage := placeholder(d.GetUsage())
		cf := complFlag{Usage: usage}
		for _, name := range f.Names() {
			if len(name) == 1 {
				cf.Short = append(cf.Short, "-"+name)
			} else {
				cf.Long = append(cf.Long, "--"+name)
			}
		}
		if d.TakesValue() {
			cf.Arg = cmpOr(arg, "VALUE")
			cf.Value = kindOf(arg)
		}
		_, cf.Repeated = f.(*cli.StringSliceFlag)
		out = append(out, cf)
	}
	return out
}

func cmpOr(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// placeholder finds the name of a flag's value, written `LIKE THIS` in its
// usage text, as the help does; it returns the name ("" when the quoted
// text is not a name in capitals, like --header's `:`) and the usage
// without the backquotes.
func placeholder(usage string) (name, text string) {
	before, rest, ok := strings.Cut(usage, "`")
	if !ok {
		return "", usage
	}
	name, after, ok := strings.Cut(rest, "`")
	if !ok {
		return "", usage
	}
	text = before + name + after
	if name == "" || strings.Trim(name, "ABCDEFGHIJKLMNOPQRSTUVWXYZ_") != "" {
		return "", text
	}
	return name, text
}

// kindOf tells what a value named by placeholder is.
func kindOf(placeholder string) valueKind {
	switch placeholder {
	case "FILE", "PATH":
		return fileValue
	case "DIR":
		return dirValue
	case "SHELL":
		return shellName
	case "ID":
		return runID
	}
	return someValue
}

// fishRuns is the part of the fish script that completes run ids after
// the options that take one.
func fishRuns(flags []complFlag) string {
	var b strings.Builder
	b.WriteString(`
# __parmap_runs: the ids of the runs in the default run directory.
function __parmap_runs
	set -l d $XDG_STATE_HOME
	string match -q -- '/*' "$d"; or set d $HOME/.local/state
	command ls -- $d/parmap/runs 2>/dev/null
end
`)
	for _, f := range flags {
		if f.Value != runID {
			continue
		}
		b.WriteString("complete -c parmap")
		for _, n := range f.Names() {
			if strings.HasPrefix(n, "--") {
				b.WriteString(" -l " + n[2:])
			} else {
				b.WriteString(" -s " + n[1:])
			}
		}
		b.WriteString(" -x -a '(__parmap_runs)'\n")
	}
	return b.String()
}

// fishApp is app as ToFishCompletion wants it: without --help and --version,
// which it adds itself, with the options taking files marked so, and with
// the placeholders' backquotes taken out of the descriptions.
func fishApp(app *cli.App) *cli.App {
	a := *app
	a.Flags = nil
	for _, f := range app.Flags {
		if f == cli.HelpFlag || f == cli.VersionFlag {
			continue
		}
		a.Flags = append(a.Flags, fishFlag(f))
	}
	return &a
}

// fishOption is an option name as ToFishCompletion writes it: the first
// name of a flag after -l, the others after -s, whatever their length.
var fishOption = regexp.MustCompile(` -[ls] ([^ ']+)`)

// fishNames gives each option name in a fish script the switch its length
// calls for: -s for one letter (-v, -k), -l for longer (--max-procs, --lb).
// Descriptions (after -d) are left as they are.
func fishNames(script string) string {
	lines := strings.Split(script, "\n")
	for i, line := range lines {
		if !strings.HasPrefix(line, "complete ") {
			continue
		}
		head, desc, _ := strings.Cut(line, " -d '")
		head = fishOption.ReplaceAllStringFunc(head, func(m string) string {
			name := m[4:]
			if len(name) == 1 {
				return " -s " + name
			}
			return " -l " + name
		})
		if desc != "" {
			head += " -d '" + desc
		}
		lines[i] = head
	}
	return strings.Join(lines, "\n")
}

// fishFlag returns f, or a copy of f as fishApp wants it.
func fishFlag(f cli.Flag) cli.Flag {
	switch f := f.(type) {
	case *cli.StringFlag:
		c := *f
		c.TakesFile, c.Usage = fishUsage(f.Usage)
		return &c
	case *cli.StringSliceFlag:
		c := *f
		c.TakesFile, c.Usage = fishUsage(f.Usage)
		return &c
	case *cli.GenericFlag:
		c := *f
		c.TakesFile, c.Usage = fishUsage(f.Usage)
		return &c
	}
	return f
}

// fishUsage tells whether a flag with this usage text takes a file name,
// and returns the text without backquotes.
func fishUsage(usage string) (takesFile bool, text string) {
	arg, text := placeholder(usage)
	k := kindOf(arg)
	return k == fileValue || k == dirValue, text
}

var completionFuncs = texttemplate.FuncMap{
	"join": strings.Join,
	// bashCase is a case pattern matching every spelling of the flag.
	"bashCase": func(f complFlag) string { return strings.Join(f.Names(), "|") },
	// zshSpecs are _arguments specifications, one per spelling, each
	// single-quoted.
	"zshSpecs": func(f complFlag) []string {
		var specs []string
		exclude := ""
		if !f.Repeated {
			exclude = "(" + strings.Join(f.Names(), " ") + ")"
		} else {
			exclude = "*"
		}
		desc := "[" + zshEscape(f.Usage) + "]"
		action := ""
		switch f.Value {
		case someValue:
			action = ":" + zshEscape(strings.ToLower(f.Arg)) + ": "
		case runID:
			action = ":run id:_parmap_runs"
		case fileValue:
			action = ":" + zshEscape(strings.ToLower(f.Arg)) + ":_files"
		case dirValue:
			action = ":" + zshEscape(strings.ToLower(f.Arg)) + ":_files -/"
		case shellName:
			action = ":shell:(bash zsh fish)"
		}
		for _, name := range f.Names() {
			spec := name
			switch {
			case f.Value == noValue:
			case len(name) == 2:
				spec += "+" // -jN or -j N
			default:
				spec += "=" // --jobs=N or --jobs N
			}
			specs = append(specs, shellQuote(exclude+spec+desc+action))
		}
		return specs
	},
}

// zshEscape escapes the characters _arguments gives a meaning to in
// descriptions and messages.
func zshEscape(s string) string {
	return strings.NewReplacer(`\`, `\\`, `[`, `\[`, `]`, `\]`, `:`, `\:`).Replace(s)
}

// shellQuote single-quotes s for sh, bash and zsh.
func shellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

var bashTemplate = texttemplate.Must(texttemplate.New("bash").Funcs(completionFuncs).Parse(`# bash completion for parmap.
# Load it with: source <(parmap --completion bash)
# or save it as /usr/share/bash-completion/completions/parmap.

# _parmap_runs: the ids of the runs in the default run directory.
_parmap_runs() {
	local d=$XDG_STATE_HOME
	[[ $d == /* ]] || d=$HOME/.local/state
	command ls -- "$d/parmap/runs" 2>/dev/null
}

_parmap_options='{{range $i, $f := .}}{{if $i}} {{end}}{{join $f.Names " "}}{{end}}'

# _parmap_value OPTION VALUE: complete the value of OPTION. An empty reply
# falls back to file names (complete -o default).
_parmap_value() {
	case $1 in
{{- range .}}{{if eq .Value 2}}
	{{bashCase .}}) ;;
{{- else if eq .Value 3}}
	{{bashCase .}})
		compopt -o filenames 2>/dev/null
		COMPREPLY=($(compgen -d -- "$2")) ;;
{{- else if eq .Value 4}}
	{{bashCase .}}) COMPREPLY=($(compgen -W 'bash zsh fish' -- "$2")) ;;
{{- else if eq .Value 5}}
	{{bashCase .}}) COMPREPLY=($(compgen -W "$(_parmap_runs)" -- "$2")) ;;
{{- end}}{{end}}
	*) compopt +o default 2>/dev/null ;;
	esac
}

_parmap() {
	COMPREPLY=()
	# The words are split here, from the line, because bash splits
	# COMP_WORDS at = and : too, which would break up ::: and --opt=value.
	local line=${COMP_LINE:0:COMP_POINT} cur=
	local -a words
	read -ra words <<<"$line"
	if [[ $line != *[[:space:]] && ${#words[@]} -gt 0 ]]; then
		cur=${words[${#words[@]}-1]}
		unset 'words[${#words[@]}-1]'
	fi

	# state: options until the command, then args; files after ::: or ::::.
	local i j w state=options expect=
	for ((i = 1; i < ${#words[@]}; i++)); do
		w=${words[i]}
		if [[ -n $expect ]]; then
			expect=
			continue
		fi
		case $state,$w in
		*,::: | *,::::) state=files ;;
		options,--) state=command ;;
		options,--*=*) ;;
		options,--?*)
			case $w in
{{- range .}}{{if .Value}}
			{{bashCase .}}) expect=$w ;;
{{- end}}{{end}}
			esac ;;
		options,-?*)
			# Short options run together: -kv, -j4, -kj 4.
			for ((j = 1; j < ${#w}; j++)); do
				case ${w:j:1} in
{{- range .}}{{if .Value}}{{range .Short}}
				{{slice . 1}})
					((j + 1 == ${#w})) && expect=-{{slice . 1}}
					break ;;
{{- end}}{{end}}{{end}}
				esac
			done ;;
		options,* | command,*) state=args ;;
		esac
	done

	if [[ -n $expect ]]; then
		_parmap_value "$expect" "$cur"
		return
	fi
	case $state in
	files | args) return ;; # file names
	command)
		COMPREPLY=($(compgen -c -- "$cur"))
		return ;;
	esac
	case $cur in
	--*=*)
		local value=${cur#*=}
		# Bash completes the text after the = by itself, unless = was taken
		# out of COMP_WORDBREAKS.
		_parmap_value "${cur%%=*}" "$value"
		if [[ $COMP_WORDBREAKS != *=* ]]; then
			COMPREPLY=("${COMPREPLY[@]/#/${cur%%=*}=}")
		fi ;;
	-*) COMPREPLY=($(compgen -W "$_parmap_options" -- "$cur")) ;;
	*) COMPREPLY=($(compgen -c -- "$cur")) ;;
	esac
}

complete -o default -F _parmap parmap
`))

var zshTemplate = texttemplate.Must(texttemplate.New("zsh").Funcs(completionFuncs).Parse(`#compdef parmap
# zsh completion for parmap.
# Load it with: source <(parmap --completion zsh)
# or save it as _parmap in a directory of $fpath.

# _parmap_run_ids: the ids of the runs in the default run directory.
_parmap_run_ids() {
	local d=$XDG_STATE_HOME
	[[ $d == /* ]] || d=$HOME/.local/state
	command ls -- "$d/parmap/runs" 2>/dev/null
}

_parmap_runs() {
	local -a ids
	ids=(${(f)"$(_parmap_run_ids)"})
	compadd -a ids
}

_parmap() {
	local curcontext=$curcontext state state_descr line ret=1
	local -A opt_args
	_arguments -s -S -C \
{{- range .}}{{range zshSpecs .}}
		{{.}} \
{{- end}}{{end}}
		'*:: :->rest' && ret=0
	case $state in
	rest)
		# The first word is the command; then its arguments, ::: values
		# and :::: files are completed as file names.
		if (( CURRENT == 1 )); then
			_command_names -e && ret=0
		else
			_files && ret=0
		fi ;;
	esac
	return ret
}

# Autoloaded from $fpath, this file is the body of _parmap: run it.
# Sourced, it registers the function.
if [[ $funcstack[1] == _parmap ]]; then
	_parmap "$@"
else
	compdef _parmap parmap
fi
`))
