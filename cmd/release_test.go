package cmd

import (
	"debug/elf"
	"os/exec"
	"path/filepath"
	"regexp"
	"testing"
)

// make release builds a static binary with the version and commit stamped
// in, and its SHA-256 sum (one architecture here; the release builds
// amd64 and arm64).
func TestReleaseBuild(t *testing.T) {
	if testing.Short() {
		t.Skip("builds parmap; skipped with -short")
	}
	if _, err := exec.LookPath("make"); err != nil {
		t.Skip("make is not installed")
	}
	dist := t.TempDir()
	c := exec.Command("make", "-C", "..", "release", "ARCHES=amd64", "DIST="+dist, "VERSION=9.8.7", "COMMIT=0123456789abcdef0123")
	if out, err := c.CombinedOutput(); err != nil {
		t.Fatalf("make release: %v\n%s", err, out)
	}
	bin := filepath.Join(dist, "parmap-9.8.7-linux-amd64")
	out, err := exec.Command(bin, "--version").Output()
	if err != nil {
		t.Fatal(err)
	}
	if !regexp.MustCompile(`^parmap version 9\.8\.7 \(commit 0123456789ab, go[0-9.]+\)\n$`).Match(out) {
		t.Errorf("--version: %q", out)
	}
	f, err := elf.Open(bin)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP || p.Type == elf.PT_DYNAMIC {
			t.Errorf("the binary is not static: it has a %v program header", p.Type)
		}
	}
	sums := exec.Command("sha256sum", "-c", "SHA256SUMS")
	sums.Dir = dist
	if out, err := sums.CombinedOutput(); err != nil || string(out) != "parmap-9.8.7-linux-amd64: OK\n" {
		t.Errorf("sha256sum -c: %v\n%s", err, out)
	}
}
