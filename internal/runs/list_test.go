package runs

import (
	"os"
	"path/filepath"
	"testing"
	"time"
)

func TestList(t *testing.T) {
	parent := t.TempDir()
	start := time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC)

	// done, oldest
	d, err := Create(parent, "old", Meta{Command: []string{"a"}, Start: start})
	if err != nil {
		t.Fatal(err)
	}
	d.Finish(1, Status{Done: 5, Total: 5, Failed: 1})
	d.Close()

	// dead: its supervisor killed, its last saved counts
	kill9(t, startChild(t, "create", parent, "dead"))
	dead, _ := Open(parent, "dead")
	// (saved by hand: the child saved none)
	dead.writeJSON(StateFile, Status{State: Running, Done: 31204, Total: 50117})

	// live: counts asked of its supervisor, not the saved ones
	h := newFakeHandler()
	h.st.Done, h.st.Failed = 7, 2
	live := serveRun(t, parent, "live", h)
	live.SaveStatus(Status{State: Running, Done: 1, Total: 10})

	// live, but its supervisor does not listen: the saved counts
	quiet, err := Create(parent, "quiet", Meta{Start: start.Add(time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	defer quiet.Close()
	quiet.SaveStatus(Status{State: Paused, Done: 2, Total: 4})

	// not runs
	os.Mkdir(filepath.Join(parent, ".new-123"), 0o700)
	os.WriteFile(filepath.Join(parent, "file"), nil, 0o600)

	list, err := List(parent)
	if err != nil {
		t.Fatal(err)
	}
	type row struct {
		id          string
		state       State
		done, total int64
		failed      int64
	}
	var got []row
	for _, s := range list {
		got = append(got, row{s.ID, s.State, s.Done, s.Total, s.Failed})
	}
	want := []row{
		{"old", Done, 5, 5, 1},
		{"quiet", Paused, 2, 4, 0},
		{"dead", Dead, 31204, 50117, 0},
		{"live", Running, 7, 10, 2},
	}
	if len(got) != len(want) {
		t.Fatalf("List = %+v; want %+v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("List[%d] = %+v; want %+v", i, got[i], want[i])
		}
	}
	if list[0].Exit == nil || *list[0].Exit != 1 || list[0].Command[0] != "a" || !list[0].Start.Equal(start) {
		t.Errorf("done run listed as %+v", list[0])
	}
	if list[3].Command[1] != "live" {
		t.Errorf("live run's command %q; want meta.json's", list[3].Command)
	}
}

func TestListMissingParent(t *testing.T) {
	list, err := List(filepath.Join(t.TempDir(), "none"))
	if err != nil || len(list) != 0 {
		t.Errorf("List of a missing parent = %v, %v; want nothing", list, err)
	}
}
