package cmd

import (
	"bytes"
	"flag"
	"os"
	"os/exec"
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
	for _, want := range []string{".TH parmap 1", "--keep-order", "--arg-file", "--completion"} {
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
	cmd := exec.Command(groff, "-man", "-Tutf8", "-ww")
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
