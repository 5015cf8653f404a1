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
//	            Version (2 since files: 'P', 'D', 'F') ends the connection.
//	'J' job     to the agent; JSON Job {argv, env, timeout_ns, grace_ns,
//	            transfer, return, cleanup}; seq is new and > 0. The agent
//	            runs at most slots jobs at once; the others wait, in no
//	            promised order, for a slot. A job one of whose files failed
//	            (a put of its seq, or a basefile) does not run: its result
//	            has exit 1 and file {op, file, err}.
//	'P' put     both ways; JSON Put {path, index, mode, cleanup}: a file
//	            follows in 'D' frames, ended by 'F'. To the agent, before
//	            the 'J' of its seq, a --transferfile of that job; with seq
//	            0, right after hello and before any job, a --basefile
//	            (cleanup: removed at bye). path is as the coordinator has
//	            it; the agent writes the file where RemotePath says, to a
//	            temporary name beside it (parent directories made), renamed
//	            once whole; a path it refuses, or a write that fails (disk
//	            full), fails the put. From the agent, after the job has
//	            ended and before its 'R', the --return file Job.return[index];
//	            the coordinator writes it at the path as given, the same
//	            way. Frames of puts of different seqs may interleave.
//	'D' data    both ways; raw bytes of the file being put for that seq,
//	            at most ChunkSize per frame (memory stays bounded whatever
//	            the file's size).
//	'F' put end both ways; JSON PutEnd {err}: the file is whole (err
//	            empty), or the sender could not read it all and it is
//	            dropped (err says why).
//	'S' signal  to the agent; JSON Signal {signal, stop, grace_ns}, for a
//	            job (Ctrl-C, halt). A stop of a job still waiting for a
//	            slot answers it not_started. Unknown seqs are ignored.
//	'C' cancel  to the agent; no payload: every job waiting for a slot,
//	            and every job whose frame comes after it (its files were on
//	            the way), is answered not_started (the run starts no more
//	            jobs).
//	'O' stdout  from the agent; raw bytes, at most ChunkSize per frame,
//	'E' stderr  sent as the job writes them (memory stays bounded whatever
//	            the job's output).
//	'R' result  from the agent; JSON JobResult {exit, signal, start_ns,
//	            runtime_ns, err, start_exit, timed_out, not_started,
//	            cpu_user_ns, cpu_sys_ns, max_rss, file}; the job's last
//	            frame.
//	'B' bye     to the agent: no more jobs; the agent finishes those it has,
//	            removes the basefiles put with cleanup, answers bye and
//	            exits. Its input ending without bye (the coordinator
//	            died) makes it stop its jobs and exit.
//
// After a job has ended (not a job that did not start) the agent sends
// back its return files; the first it cannot (the job did not make it:
// file.missing) fails the job, whose exit 0 becomes 1; the coordinator
// fails it the same way when it cannot write one here (disk full). With
// Job.cleanup, it then removes the job's transfer and return files and
// their parent directories left empty, up to its working directory. A
// job answered not started still has its files removed.
//
// Paths (RemotePath, GNU parallel's rsync -R rule): a relative path is
// relative to the agent's working directory; an absolute one stays
// absolute; one containing /./ keeps what follows it, relative to the
// working directory. A path with a .. component there is refused, and
// the agent writes nowhere but where the rule says.
//
// A reader refuses a length outside its bounds or an unknown kind before
// it allocates anything for the payload (FrameError), so garbage on the
// pipe costs at most MaxPayload bytes.
//
// An agent whose connection breaks (the agent, its node or srun died)
// fails every job in flight with a *LostError; the coordinator runs them
// again on another agent.
package agent
