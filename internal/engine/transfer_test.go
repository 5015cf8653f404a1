package engine

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/parmap/parmap/internal/agent"
	"github.com/parmap/parmap/internal/template"
)

// texts parses file templates.
func texts(t *testing.T, ss ...string) []*template.Text {
	t.Helper()
	var out []*template.Text
	for _, s := range ss {
		tt, err := template.ParseText(s, template.Options{})
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, tt)
	}
	return out
}

// transferDirs makes this test's working directory (the coordinator's)
// and the agents' apart, with an input file for each of recs.
func transferDirs(t *testing.T, recs ...string) (local, remote string) {
	local, remote = filepath.Join(t.TempDir(), "local"), filepath.Join(t.TempDir(), "remote")
	for _, d := range []string{local + "/in", remote} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	t.Chdir(local)
	for _, r := range recs {
		os.WriteFile("in/"+r+".txt", []byte(r+"\n"), 0o644)
	}
	os.WriteFile("base.txt", []byte("base\n"), 0o644)
	return local, remote
}

// A job's --transferfile and --return templates are expanded with its
// values: its files go to its agent, come back, and are cleaned up there.
func TestAgentsTransferFiles(t *testing.T) {
	local, remote := transferDirs(t, "a", "b", "c")
	cfg := config(t, []string{"sh", "-c", `tr a-z A-Z < in/$0.txt > in/$0.out && cat base.txt`, "{}"}, "a", "b", "c")
	cfg.Agents = localAgents(t, 2, "n1")
	cfg.Agents.Launcher = agent.Command{Argv: cfg.Agents.Launcher.(agent.Command).Argv, Dir: remote}
	cfg.Transfer = Transfer{Files: texts(t, "in/{}.txt"), Return: texts(t, "out/./in/{}.out"), Cleanup: true, Basefiles: []string{"base.txt"}}
	res := runConfig(t, cfg)
	if res.sum.Done != 3 || res.sum.Failed != 0 || res.stdout != "base\nbase\nbase\n" {
		t.Fatalf("summary %+v, stdout %q, notices %+v", res.sum, res.stdout, res.notices)
	}
	for _, r := range []string{"a", "b", "c"} {
		b, err := os.ReadFile(filepath.Join(local, "out/in", r+".out"))
		if err != nil || string(b) != strings.ToUpper(r)+"\n" {
			t.Errorf("%s: %q %v", r, b, err)
		}
	}
	if es, _ := os.ReadDir(remote); len(es) != 0 {
		t.Fatalf("the agent's directory kept %v", es)
	}
}

// A return file the job did not make fails it (a JobError notice with
// the typed error); on a node marked Local nothing is transferred,
// returned or removed.
func TestAgentsTransferLocalNode(t *testing.T) {
	local, remote := transferDirs(t, "a")
	cfg := config(t, []string{"true", "{}"}, "a")
	cfg.Agents = localAgents(t, 1, "n1")
	cfg.Agents.Launcher = agent.Command{Argv: cfg.Agents.Launcher.(agent.Command).Argv, Dir: remote}
	cfg.Transfer = Transfer{Return: texts(t, "{}.out"), Cleanup: true}
	res := runConfig(t, cfg)
	var re *agent.ReturnError
	if res.sum.Failed != 1 || len(res.notices) != 1 || res.notices[0].Kind != JobError || !errors.As(res.notices[0].Err, &re) || re.File != "a.out" {
		t.Fatalf("summary %+v, notices %+v", res.sum, res.notices)
	}

	cfg = config(t, []string{"sh", "-c", `test -f in/$0.txt`, "{}"}, "a")
	cfg.Agents = localAgents(t, 1, "n1")
	cfg.Agents.Nodes[0].Local = true
	cfg.Agents.Launcher = agent.Command{Argv: cfg.Agents.Launcher.(agent.Command).Argv, Dir: local}
	cfg.Transfer = Transfer{Files: texts(t, "in/{}.txt"), Return: texts(t, "{}.out"), Cleanup: true, Basefiles: []string{"base.txt"}}
	res = runConfig(t, cfg)
	if res.sum.Done != 1 || res.sum.Failed != 0 || len(res.notices) != 0 {
		t.Fatalf("local node: summary %+v, notices %+v", res.sum, res.notices)
	}
	for _, f := range []string{"in/a.txt", "base.txt"} {
		if _, err := os.Stat(filepath.Join(local, f)); err != nil {
			t.Errorf("the local node's cleanup removed %s", f)
		}
	}
}
