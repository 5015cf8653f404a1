package jobserver

import (
	"fmt"

	"golang.org/x/sys/unix"
)

// Check reports whether the jobserver at a can be reached, without opening
// it or holding anything: nil, or an error wrapping ErrUnavailable when make
// announced a jobserver this process cannot reach (make closes its pipe for
// recipes not marked +). The command line checks before a run is set up;
// Open checks again as it opens.
func Check(a Auth) error {
	switch a.Style {
	case StyleFifo:
		return checkFifo(a.Path)
	case StylePipe:
		return checkPipe(a.R, a.W)
	}
	return nil
}

// checkFifo reports, wrapping ErrUnavailable, whether path is not a FIFO.
func checkFifo(path string) error {
	var st unix.Stat_t
	if err := unix.Stat(path, &st); err != nil {
		return fmt.Errorf("%w: fifo %s: %v", ErrUnavailable, path, err)
	}
	if st.Mode&unix.S_IFMT != unix.S_IFIFO {
		return fmt.Errorf("%w: %s is not a fifo", ErrUnavailable, path)
	}
	return nil
}
