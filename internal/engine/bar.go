package engine

import (
	"io"
	"os"

	"github.com/parmap/parmap/channel"
	"golang.org/x/sys/unix"
)

// aboveBar returns the writers the run's output goes to: its Stdout and
// Stderr, or, for those on the progress bar's terminal, writers that print
// above the bar (progress.Progress.Above) instead of through it. The bar is
// on Stderr; Stdout goes above it too when it is the same terminal. Those
// writers are kept in r.live for the jobs of -u, which would otherwise
// write straight through the bar.
func (r *run) aboveBar() (stdout, stderr io.Writer) {
	stdout, stderr = r.st.Stdout, r.st.Stderr
	if r.bar == nil || r.st.Stderr == nil {
		return stdout, stderr
	}
	if a := r.bar.Above(stderr); a != io.Writer(r.st.Stderr) {
		stderr, r.live[1] = a, a
		if r.st.Stdout != nil && sameTerminal(r.st.Stdout, r.st.Stderr) {
			stdout = r.bar.Above(stdout)
			r.live[0] = stdout
		}
	}
	return stdout, stderr
}

// sameTerminal reports whether a and b are the same terminal device.
func sameTerminal(a, b *os.File) bool {
	var sa, sb unix.Stat_t
	if unix.Fstat(int(a.Fd()), &sa) != nil || unix.Fstat(int(b.Fd()), &sb) != nil {
		return false
	}
	if sa.Mode&unix.S_IFMT != unix.S_IFCHR || sb.Mode&unix.S_IFMT != unix.S_IFCHR {
		return false
	}
	if _, err := unix.IoctlGetTermios(int(a.Fd()), unix.TCGETS); err != nil {
		return false
	}
	return sa.Rdev == sb.Rdev
}

// finished counts a job that ended on the progress bar: a job that failed
// once the run had begun stopping its jobs (a signal, Control.Stop(true),
// a halt now) was interrupted, not failed on its own.
func (r *run) finished(res channel.Result) {
	failed := res.Failed(r.cfg.Success)
	if failed && r.x != nil && r.x.StoppingJobs() {
		r.bar.Interrupted()
		return
	}
	r.bar.Done(failed)
}
