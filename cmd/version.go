package cmd

import (
	"fmt"
	"runtime/debug"
)

// Version is parmap's version, and Commit the commit it was built from:
// set by the release build (-ldflags "-X github.com/parmap/parmap/cmd.Version=…
// -X github.com/parmap/parmap/cmd.Commit=…"). A plain go build in a git
// checkout leaves Commit empty; the commit Go stamped into the binary is
// used then.
var (
	Version = "0.1.0-dev"
	Commit  = ""
)

// versionLine is what --version prints: the version, the commit (with
// "+modified" when the tree had changes) and the Go version.
func versionLine() string {
	commit, modified, goVersion := Commit, false, ""
	if info, ok := debug.ReadBuildInfo(); ok {
		goVersion = info.GoVersion
		for _, s := range info.Settings {
			switch {
			case s.Key == "vcs.revision" && commit == "":
				commit = s.Value
			case s.Key == "vcs.modified" && Commit == "":
				modified = s.Value == "true"
			}
		}
	}
	if commit == "" {
		commit = "unknown"
	} else if len(commit) > 12 {
		commit = commit[:12]
	}
	if modified {
		commit += "+modified"
	}
	line := fmt.Sprintf("parmap version %s (commit %s", Version, commit)
	if goVersion != "" {
		line += ", " + goVersion
	}
	return line + ")"
}
