//go:build linux || darwin || freebsd

package metrics

import (
	"fmt"
	"syscall"
)

// FreeBytes returns a function for DiskFree.Set that reports the bytes
// available to an unprivileged user (f_bavail, not f_bfree: the gateway
// does not run as root) on the file system holding dir.
func FreeBytes(dir string) func() (float64, error) {
	return func() (float64, error) {
		var st syscall.Statfs_t
		if err := syscall.Statfs(dir, &st); err != nil {
			return 0, fmt.Errorf("metrics: statfs %s: %w", dir, err)
		}
		return float64(uint64(st.Bavail) * uint64(st.Bsize)), nil
	}
}
