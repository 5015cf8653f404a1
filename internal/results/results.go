// Package results writes finished jobs' outputs as files under a results directory (--results) or as JSON lines (--json).
package results

import (
	"encoding/json"
	"io"
	"time"
)

// Job is one finished job, as the two structured outputs see it.
type Job struct {
	Seq     int64         // the job number, from 1; it alone names the job's directory
	Input   []string      // the record's values: one for a single source, several with several sources or fields
	Command string        // the command line that ran
	Exit    int           // the exit value
	Signal  int           // the signal that ended the job, 0 when none
	Start   time.Time     // when the job started
	Runtime time.Duration // how long it ran
	Stdout  io.Reader     // the job's whole stdout; nil means empty
	Stderr  io.Reader     // the job's whole stderr; nil means empty
	// Resources is what the job used.
	Resources Resources
}

// Resources is what a job used, as wait4 tells, and whether the OOM killer
// killed a process of its cgroup (--mem-limit).
type Resources struct {
	CPUUser, CPUSys time.Duration // CPU time in user and kernel mode
	MaxRSS          int64         // peak resident set size, in bytes
	OOM             bool
}

// resourcesJSON is Resources as JSON: "cpu_user" and "cpu_sys" in seconds,
// "max_rss" in bytes, "oom".
type resourcesJSON struct {
	CPUUser float64 `json:"cpu_user"`
	CPUSys  float64 `json:"cpu_sys"`
	MaxRSS  int64   `json:"max_rss"`
	OOM     bool    `json:"oom"`
}

func (r Resources) json() resourcesJSON {
	return resourcesJSON{CPUUser: r.CPUUser.Seconds(), CPUSys: r.CPUSys.Seconds(), MaxRSS: r.MaxRSS, OOM: r.OOM}
}

// ResourcesJSON returns r as one JSON object and a newline, the content
// of DIR/<seq>/resources:
//
//	{"cpu_user":0.012,"cpu_sys":0.004,"max_rss":3735552,"oom":false}
func ResourcesJSON(r Resources) []byte {
	b, _ := json.Marshal(r.json()) // numbers and a bool: cannot fail
	return append(b, '\n')
}
