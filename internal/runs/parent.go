package runs

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"

	"golang.org/x/sys/unix"
)

// DefaultParent returns the parent directory of all runs when the caller
// names none: $XDG_STATE_HOME/parmap/runs, or $HOME/.local/state/parmap/runs
// when XDG_STATE_HOME is unset or relative (the XDG base directory spec
// ignores a relative one). It creates nothing.
func DefaultParent() (string, error) {
	if x := os.Getenv("XDG_STATE_HOME"); filepath.IsAbs(x) {
		return filepath.Join(x, "parmap", "runs"), nil
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return "", err
	}
	return filepath.Join(home, ".local", "state", "parmap", "runs"), nil
}

// EnsureParent creates dir (and its missing parents) with mode 0700 unless
// it exists, and checks that the caller can create runs in it. The error is
// a *ParentError.
func EnsureParent(dir string) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return &ParentError{Path: dir, Op: "create", Err: unwrapPath(err)}
	}
	// access(2) answers for root too (as root a 0500 directory is
	// writable), and sees a read-only mount.
	if err := unix.Access(dir, unix.W_OK|unix.X_OK); err != nil {
		return &ParentError{Path: dir, Op: "write", Err: err}
	}
	return nil
}

// unwrapPath returns the cause inside a *fs.PathError, so a ParentError
// does not name a path twice.
func unwrapPath(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}
