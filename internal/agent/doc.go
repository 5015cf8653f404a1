// Package agent runs parmap's jobs on another node through one long-lived
// agent process per node: the coordinator (the parmap the user started)
// streams jobs to it and reads their output and results back, all over one
// pair of pipes. What starts the agent and carries its pipes (srun on a
// Slurm node, ssh to a host, or a plain child process in tests) is a
// Launcher; the protocol does not depend on it.
//
// The agent is parmap itself, run as "parmap --agent-serve" (Invoked,
// Main). It runs each job through channel (its own process group, stop,
// SIGKILL after a grace), at most Slots at once, and ends when the
// coordinator says bye (after its jobs) or goes away (stopping its jobs).
//
// # Protocol
//
// Every message is a frame:
//
//	uint32 length (big-endian) of what follows: 9 + len(payload), at most 9 + MaxPayload
//	byte   kind
//	uint64 seq (big-endian): the job the frame is about; 0 for hello and bye
//	payload
//
// Kinds and payloads:
//
//	'H' hello   both ways, first; JSON Hello {version, slots, slot_env,
//	            slot_base, node, pid, step}. The coordinator sends its
//	            hello, the agent answers with its own; a version other than
//	            Version ends the connection.
//	'J' job     to the agent; JSON Job {argv, env, timeout_ns, grace_ns};
//	            seq is new and > 0. The agent runs at most slots jobs at
//	            once; the others wait, in no promised order, for a slot.
//	'S' signal  to the agent; JSON Signal {signal, stop, grace_ns}, for a
//	            job (Ctrl-C, halt). A stop of a job still waiting for a
//	            slot answers it not_started. Unknown seqs are ignored.
//	'C' cancel  to the agent; no payload: every job waiting for a slot is
//	            answered not_started (the run starts no more jobs).
//	'O' stdout  from the agent; raw bytes, at most ChunkSize per frame,
//	'E' stderr  sent as the job writes them (memory stays bounded whatever
//	            the job's output).
//	'R' result  from the agent; JSON JobResult {exit, signal, start_ns,
//	            runtime_ns, err, start_exit, timed_out, not_started,
//	            cpu_user_ns, cpu_sys_ns, max_rss}; the job's last frame.
//	'B' bye     to the agent: no more jobs; the agent finishes those it has,
//	            answers bye and exits. Its input ending without bye (the
//	            coordinator died) makes it stop its jobs and exit.
//
// A reader refuses a length outside its bounds or an unknown kind before
// it allocates anything for the payload (FrameError), so garbage on the
// pipe costs at most MaxPayload bytes.
//
// An agent whose connection breaks (the agent, its node or srun died)
// fails every job in flight with a *LostError; the coordinator runs them
// again on another agent.
package agent
