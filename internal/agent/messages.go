package agent

import (
	"encoding/json"
	"fmt"
)

// Hello opens a connection, sent first by each end. The coordinator sends
// Version and Slots; the agent answers with Version, Slots (as it will
// run them), and where it runs.
type Hello struct {
	Version int `json:"version"`
	Slots   int `json:"slots"`
	// SlotEnv (coordinator's): the agent sets PARMAP_SLOT and
	// PARALLEL_JOBSLOT of each job to the slot it runs in, numbered from
	// SlotBase+1: the coordinator may send jobs ahead of free slots.
	SlotEnv  bool   `json:"slot_env,omitempty"`
	SlotBase int    `json:"slot_base,omitempty"`
	Node     string `json:"node,omitempty"` // the agent's node (SLURMD_NODENAME, else its host name)
	Pid      int    `json:"pid,omitempty"`  // the agent's process id
	Step     string `json:"step,omitempty"` // the agent's Slurm step (SLURM_JOB_ID.SLURM_STEP_ID), if any
}

// Job asks the agent to run one command. Env is added to the agent's own
// environment (the variables of this job: PARMAP_SEQ, …), overriding
// variables of the same name.
type Job struct {
	Argv []string `json:"argv"`
	Env  []string `json:"env,omitempty"`
	// TimeoutNs, when above 0, stops the job that long after it started
	// (SIGTERM, SIGKILL GraceNs later; JobResult.TimedOut).
	TimeoutNs int64 `json:"timeout_ns,omitempty"`
	GraceNs   int64 `json:"grace_ns,omitempty"`
	// Transfer names the files put for this job before it (as the
	// coordinator gave them: RemotePath finds them); Return, the files
	// sent back after it, before its result. Cleanup removes both once
	// it has ended (and their parent directories left empty).
	Transfer []string `json:"transfer,omitempty"`
	Return   []string `json:"return,omitempty"`
	Cleanup  bool     `json:"cleanup,omitempty"`
}

// JobResult is what a job came to, sent after its last output chunk.
type JobResult struct {
	Exit      int    `json:"exit"`
	Signal    int    `json:"signal,omitempty"`
	StartNs   int64  `json:"start_ns"`   // Unix nanoseconds, the agent's clock
	RuntimeNs int64  `json:"runtime_ns"` // how long it ran
	Err       string `json:"err,omitempty"`
	// StartExit is 127 (not found) or 126 (cannot execute) when the
	// command could not start; Err then says why.
	StartExit int `json:"start_exit,omitempty"`
	// TimedOut: Job.TimeoutNs stopped it. NotStarted: it was stopped or
	// cancelled before a slot was free, and never ran.
	TimedOut   bool `json:"timed_out,omitempty"`
	NotStarted bool `json:"not_started,omitempty"`
	// Resource use (wait4), when the agent has it.
	CPUUserNs int64 `json:"cpu_user_ns,omitempty"`
	CPUSysNs  int64 `json:"cpu_sys_ns,omitempty"`
	MaxRSS    int64 `json:"max_rss,omitempty"`
	// File, when set, is a file of the job that failed it: a transfer
	// file or basefile that could not be put (the job did not run), or
	// a return file that could not be sent back.
	File *FileProblem `json:"file,omitempty"`
}

// FileProblem is a file that failed a job. Op is "transferfile",
// "basefile" or "return"; File is the path as the coordinator gave it.
// Missing: a return file the job did not make.
type FileProblem struct {
	Op      string `json:"op"`
	File    string `json:"file"`
	Err     string `json:"err,omitempty"`
	Missing bool   `json:"missing,omitempty"`
}

// Put heads a file sent in 'D' chunks and ended by a PutEnd. To the
// agent, Path is the path as the coordinator has it (RemotePath says
// where it goes); from the agent (a return file), Index is its place in
// the Job's Return. Mode is its permission bits. Cleanup (basefiles,
// seq 0) removes it when the coordinator says bye.
type Put struct {
	Path    string `json:"path,omitempty"`
	Index   int    `json:"index,omitempty"`
	Mode    uint32 `json:"mode"`
	Cleanup bool   `json:"cleanup,omitempty"`
}

// PutEnd ends a put: with Err empty the file is whole and takes its
// name; otherwise the sender could not read it all, and it is dropped.
type PutEnd struct {
	Err string `json:"err,omitempty"`
}

// Signal asks the agent to signal a job's process group: with Stop, the
// way channel.Child.Stop stops it (the signal, SIGCONT, SIGKILL after
// GraceNs); without, the signal alone.
type Signal struct {
	Signal  int   `json:"signal"`
	Stop    bool  `json:"stop,omitempty"`
	GraceNs int64 `json:"grace_ns,omitempty"`
}

// encode is v's JSON payload.
func encode(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err) // only plain structs of this file are encoded
	}
	return b
}

// decode reads a JSON payload into v.
func decode(f Frame, v any) error {
	if err := json.Unmarshal(f.Payload, v); err != nil {
		return &FrameError{fmt.Sprintf("bad %q payload: %v", f.Kind, err)}
	}
	return nil
}
