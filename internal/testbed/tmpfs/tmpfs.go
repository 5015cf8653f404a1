// Package tmpfs mounts small tmpfs file systems for tests that need a disk
// to fill up: a full --tmpdir, --results directory or job log. Mounting
// needs root (CAP_SYS_ADMIN); where it is refused, the test is skipped with
// the reason.
//
// Only tests import it; parmap's binary does not.
package tmpfs

import (
	"fmt"
	"os"
	"path/filepath"

	"golang.org/x/sys/unix"
)

// Mount mounts a tmpfs of size bytes (rounded up to pages by the kernel) on
// dir, creating dir if needed. The error says why the mount was refused.
func Mount(dir string, size int64) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	opts := fmt.Sprintf("size=%d,mode=0777", size)
	if err := unix.Mount("tmpfs", dir, "tmpfs", unix.MS_NOSUID|unix.MS_NODEV, opts); err != nil {
		return fmt.Errorf("mount -t tmpfs -o %s tmpfs %s: %w", opts, dir, err)
	}
	return nil
}

// Resize changes the size of the tmpfs mounted on dir.
func Resize(dir string, size int64) error {
	opts := fmt.Sprintf("size=%d", size)
	if err := unix.Mount("tmpfs", dir, "tmpfs", unix.MS_REMOUNT|unix.MS_NOSUID|unix.MS_NODEV, opts); err != nil {
		return fmt.Errorf("mount -o remount,%s %s: %w", opts, dir, err)
	}
	return nil
}

// Unmount detaches the tmpfs on dir (lazily, should a file in it still be
// open) and removes dir.
func Unmount(dir string) error {
	if err := unix.Unmount(dir, unix.MNT_DETACH); err != nil {
		return fmt.Errorf("umount %s: %w", dir, err)
	}
	return os.Remove(dir)
}

// TB is the part of testing.TB that Dir uses.
type TB interface {
	Helper()
	TempDir() string
	Cleanup(func())
	Skipf(format string, args ...any)
	Errorf(format string, args ...any)
}

// Dir mounts a tmpfs of size bytes on a new directory for the test and
// returns it; the test's cleanup unmounts it. Where mounting is refused (not
// root, no CAP_SYS_ADMIN), the test is skipped, saying why.
func Dir(t TB, size int64) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "tmpfs")
	if err := Mount(dir, size); err != nil {
		t.Skipf("a small full file system is needed and cannot be made: %v", err)
	}
	t.Cleanup(func() {
		if err := Unmount(dir); err != nil {
			t.Errorf("%v", err)
		}
	})
	return dir
}
