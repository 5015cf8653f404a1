package cmd

import (
	"bytes"
	"flag"
	"io"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"testing"
)

var updateMan = flag.Bool("update-man", false, "rewrite man/parmap.1 from the command line's definition")

// manFile is the committed man page, from this package's directory.
const manFile = "../man/parmap.1"

// regenerate is the command that rewrites manFile, from the module's root.
const regenerate = "go generate ./cmd   (or: go test ./cmd -run TestManPage -update-man)"

func TestManPage(t *testing.T) {
	page, err := manPage()
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{".TH PARMAP 1", `\-\-keep\-order`, `\-\-arg\-file`, `\-\-completion`,
		".SH EXIT STATUS", ".SH ENVIRONMENT", ".SH EXAMPLES", ".SH SEE ALSO"} {
		if !strings.Contains(page, want) {
			t.Errorf("man page lacks %q", want)
		}
	}
	if *updateMan {
		if err := os.WriteFile(manFile, []byte(page), 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("wrote %s", manFile)
		return
	}
	committed, err := os.ReadFile(manFile)
	if err != nil {
		t.Fatalf("%v; create it with: %s", err, regenerate)
	}
	if string(committed) != page {
		t.Errorf("man/parmap.1 differs from the command line's definition; regenerate it with: %s", regenerate)
	}
}

// The page is valid troff: groff renders it without a warning. Skipped
// where groff is not installed.
func TestManPageRenders(t *testing.T) {
	groff, err := exec.LookPath("groff")
	if err != nil {
		t.Skip("groff is not installed")
	}
	page, err := manPage()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(groff, "-man", "-Tutf8", "-ww", "-P", "-cbou")
	cmd.Stdin = strings.NewReader(page)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil || stderr.Len() > 0 {
		t.Fatalf("groff: %v\n%s", err, stderr.String())
	}
	if !strings.Contains(stdout.String(), "keep-order") {
		t.Errorf("rendered page lacks keep-order:\n%s", stdout.String())
	}
}

// The committed page, as man shows it, has every character the help has:
// the --results layout with its braces and <job number>, every option's
// every name, the sections after the options, in order. Skipped where man
// is not installed (CI's .ci/run installs man-db).
func TestManPageShowsEverything(t *testing.T) {
	man, err := exec.LookPath("man")
	if err != nil {
		t.Skip("man is not installed")
	}
	cmd := exec.Command(man, "-l", manFile)
	cmd.Env = append(os.Environ(), "MANWIDTH=80", "MANPAGER=cat", "PAGER=cat", "LC_ALL=C.UTF-8")
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("man -l %s: %v", manFile, err)
	}
	// One space for each run of blanks: the page is filled and adjusted.
	page := strings.Join(strings.Fields(string(out)), " ")
	if n := strings.Count(page, "{stdout"); n < 1 {
		t.Errorf("the rendered page has no {stdout (--results' layout):\n%s", page)
	}
	for _, want := range []string{"DIR/<job number>/{stdout,stderr,exitval,input,resources}", "{/RE/S} {//RE/S}",
		"\\t \\n \\0 \\\\ \\xHH", `{"seq":N,"input":...}`, "${\u2026}", "'{print $1*2; fflush()}'", "{^SUFFIX}"} {
		if !strings.Contains(page, want) {
			t.Errorf("the rendered page lacks %q", want)
		}
	}
	app := newApp(io.Discard, io.Discard, nil)
	app.Setup()
	for _, group := range optionGroups(app) {
		for _, o := range group {
			for _, n := range o.names {
				if !regexp.MustCompile(`(^|[\s,(])` + regexp.QuoteMeta(n) + `($|[\s,)])`).MatchString(page) {
					t.Errorf("the rendered page lacks the option %s", n)
				}
			}
		}
	}
	at := 0
	for _, section := range []string{"NAME", "SYNOPSIS", "DESCRIPTION", "OPTIONS", "EXIT STATUS", "ENVIRONMENT", "EXAMPLES", "SEE ALSO"} {
		i := strings.Index(page, " "+section+" ")
		if i < at {
			t.Errorf("section %s missing or out of order", section)
		}
		at = max(i, at)
	}
}
