//go:build !(linux || darwin || freebsd)

package metrics

import (
	"errors"
	"fmt"
)

// FreeBytes returns a function for DiskFree.Set; on this platform it
// always fails, so disk_free_bytes has no sample.
func FreeBytes(dir string) func() (float64, error) {
	return func() (float64, error) {
		return 0, fmt.Errorf("metrics: statfs %s: %w", dir, errors.ErrUnsupported)
	}
}
