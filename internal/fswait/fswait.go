// Package fswait waits for something to appear in a directory, woken by inotify
// instead of polling.
package fswait

import (
	"context"
	"errors"
	"fmt"
	"os"

	"golang.org/x/sys/unix"
)

// ErrStopped is returned by Until when stop was closed before cond held.
var ErrStopped = errors.New("stopped before the condition held")

// Until returns nil as soon as cond() reports true. cond is called once at the
// start and again after every change to an entry of dir (created, linked,
// moved in, written, closed after writing). Until returns ErrStopped when stop
// is closed first (typically: the process that was to create the file has
// exited), and ctx.Err() when ctx ends first. cond is called one last time
// after stop, so a file written just before its writer exited still counts.
func Until(ctx context.Context, dir string, stop <-chan struct{}, cond func() bool) error {
	fd, err := unix.InotifyInit1(unix.IN_CLOEXEC | unix.IN_NONBLOCK)
	if err != nil {
		return fmt.Errorf("inotify: %w", err)
	}
	// A non-blocking descriptor gives a pollable *os.File, whose Read returns
	// once the file is closed: the reader below always ends.
	f := os.NewFile(uintptr(fd), "inotify")
	const mask = unix.IN_CREATE | unix.IN_MOVED_TO | unix.IN_CLOSE_WRITE | unix.IN_MODIFY | unix.IN_ATTRIB
	if _, err := unix.InotifyAddWatch(fd, dir, mask); err != nil {
		f.Close()
		return fmt.Errorf("inotify watch %s: %w", dir, err)
	}
	changed := make(chan struct{}, 1)
	readerDone := make(chan struct{})
	go func() {
		defer close(readerDone)
		buf := make([]byte, 4096)
		for {
			if _, err := f.Read(buf); err != nil {
				return
			}
			select {
			case changed <- struct{}{}:
			default:
			}
		}
	}()
	defer func() {
		f.Close()
		<-readerDone
	}()
	for {
		if cond() {
			return nil
		}
		select {
		case <-changed:
		case <-stop:
			if cond() {
				return nil
			}
			return ErrStopped
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}
