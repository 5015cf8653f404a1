package channel

import (
	"syscall"
	"time"
)

// Remote runs a Spec's command somewhere other than here: on a node's agent
// (internal/agent). When Spec.Remote is set, Start hands the spec to it
// instead of starting a process, and the Child's Signal, Stop and Wait
// act on what it returns. Path, Argv, Env, Stdout and Stderr keep their
// meaning; what a Remote cannot carry it refuses in Start.
type Remote interface {
	Start(spec Spec) (RemoteProcess, error)
}

// RemoteProcess is a command a Remote started. Its methods have the
// meaning of Child's; Wait returns once the output has been written to
// the Spec's writers.
type RemoteProcess interface {
	Started() time.Time
	Signal(sig syscall.Signal) error
	Stop(sig syscall.Signal, grace time.Duration)
	Wait() Result
}

// startRemote is Start for a Spec with a Remote.
func startRemote(spec Spec) (*Child, error) {
	p, err := spec.Remote.Start(spec)
	if err != nil {
		return nil, err
	}
	return &Child{remote: p, start: p.Started()}, nil
}
