package cmd

import (
	"fmt"
	"io"
	"strings"

	"github.com/urfave/cli/v2"
)

// manPage renders parmap's man page (section 1) from the app's flags and
// texts. It has no date in it, so the same app always renders the same page.
func manPage() (string, error) {
	app := newApp(io.Discard, io.Discard, nil)
	app.Setup() // adds --help and --version, as a run would
	// The page is made from Markdown, where \\ is one backslash: double
	// them, so that --delimiter's \\ reads \\ on the page too.
	for _, f := range app.Flags {
		switch f := f.(type) {
		case *cli.BoolFlag:
			f.Usage = markdownText(f.Usage)
		case *cli.StringFlag:
			f.Usage = markdownText(f.Usage)
		case *cli.StringSliceFlag:
			f.Usage = markdownText(f.Usage)
		}
	}
	page, err := app.ToManWithSection(1)
	if err != nil {
		return "", err
	}
	return asciiRoff(page), nil
}

// markdownText escapes the backslashes of s for Markdown.
func markdownText(s string) string { return strings.ReplaceAll(s, `\`, `\\`) }

// asciiRoff writes the characters beyond ASCII in page (… in --colsep) as
// troff escapes, which every troff reads whatever its input encoding.
func asciiRoff(page string) string {
	var b strings.Builder
	for _, r := range page {
		if r < 0x80 {
			b.WriteRune(r)
		} else {
			fmt.Fprintf(&b, `\[u%04X]`, r)
		}
	}
	return b.String()
}
