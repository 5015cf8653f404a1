// Package runs keeps background runs: the directory of each run and the
// control socket its supervisor listens on. It knows nothing of flags or of
// the engine; the supervisor plugs its run into a [Handler], and the CLI
// commands (--runs, --status, --attach, --wait, --stop, --pause, --continue,
// --set-jobs, --add, --resume-run) are [Client] calls or reads of the
// directory.
//
// # Where runs live
//
// Every run is a directory under one parent: [DefaultParent] is
// $XDG_STATE_HOME/parmap/runs ($HOME/.local/state/parmap/runs when
// XDG_STATE_HOME is unset or not absolute, as the XDG base directory spec
// says), or the caller's (--run-dir). [EnsureParent] creates it, mode 0700.
//
// # A run's directory
//
//	ID/            mode 0700, made whole by Create (built as .new-*, renamed;
//	               a .new-* left by a Create killed halfway is removed by a
//	               later Create once it is 10 minutes old and unlocked)
//	  meta.json    id, command, working directory, start time, pid, uid
//	  lock         flock(2)ed exclusively by whoever drives the run
//	  state.json   the last status the supervisor saved; final: state "done"
//	               and the exit status (written to a temporary file, fsynced,
//	               renamed)
//	  joblog       the job log (always kept; --resume-run reads it)
//	  input        standard input, spooled verbatim before the run starts
//	               (as input.part, renamed once whole: no input, no start)
//	  added        records added later (--add), each ended by the separator
//	  output       the run's output
//	  ctl          the control socket, mode 0600, while the supervisor lives
//
// # States
//
// [Run.Status] tells a run's state from two things: state.json, and whether
// the lock is held. A final state.json ("done", with the exit status) is
// done. Otherwise, when the lock is held, the state is the one the
// supervisor last saved (running, paused or draining; starting before its
// first save), and when the lock is free the run is dead: its supervisor was
// killed, or the machine rebooted. The lock is taken by [Create] and held
// without a gap until the supervisor exits: the creator passes the locked
// file to the supervisor it starts ([Run.LockFile], as an inherited
// descriptor), which keeps it with [Adopt]. Only the holder of the lock
// writes state.json.
//
// # The control protocol
//
// The supervisor listens on ctl ([Run.Listen], [Serve]); a client
// ([Dial]) sends requests and reads answers, one JSON object per line:
//
//	{"op":"status"}               → {"ok":true,"status":{...}}
//	{"op":"pause"}                → {"ok":true}
//	{"op":"continue"}             → {"ok":true}
//	{"op":"set-jobs","n":2}       → {"ok":true}
//	{"op":"add","records":[B64…]} → {"ok":true}
//	{"op":"stop","now":true}      → {"ok":true}
//	{"op":"wait"}                 → {"ok":true,"exit":N} once the run ends
//	{"op":"attach"}               → {"ok":true}, then {"ok":true,"data":B64}
//	                                and {"ok":true,"status":{...}} lines,
//	                                then {"ok":true,"end":true,"exit":N}
//	anything refused              → {"ok":false,"code":C,"error":"..."}
//
// Records and output are bytes, not text (a file name need not be UTF-8),
// so they travel base64-encoded (encoding/json's []byte). A connection
// takes any number of requests in turn; wait and attach are the last one of
// their connection (the Client opens a connection of its own for each).
// Several clients may be connected at once. The supervisor refuses a peer
// of another uid (SO_PEERCRED: code "refused"), and a client refuses a ctl
// socket owned by another user ([ForeignSocketError]).
//
// A ctl path longer than a sockaddr_un holds (107 bytes and the NUL) is
// reached through /proc/self/fd/N/ctl, N a descriptor of the run's
// directory, so a --run-dir of any length works where /proc is mounted;
// without /proc it is a [PathTooLongError].
package runs
