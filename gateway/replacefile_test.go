package gateway

import (
	"os"
	"path/filepath"
	"testing"
)

// TestReplaceFile: the lockdown marker and the control token are
// replaced whole, mode 0600, over a file .new left by a crash, and
// nothing is left beside them.
func TestReplaceFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "lockdown")
	if err := os.WriteFile(path+".new", []byte("on since 2026-11-28T07:25:06Z by ro"), 0o644); err != nil {
		t.Fatal(err) // what a crash in the middle of a write left
	}
	for _, data := range []string{"on since 2026-11-28T07:25:06Z by root: incident 1\n", "on since 2026-11-28T08:00:00Z by sato: incident 2\n"} {
		if err := replaceFile(path, []byte(data)); err != nil {
			t.Fatal(err)
		}
		b, err := os.ReadFile(path)
		if err != nil || string(b) != data {
			t.Errorf("file holds %q (%v), want %q", b, err, data)
		}
		if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o600 {
			t.Errorf("mode %v (%v), want 0600", fi.Mode().Perm(), err)
		}
		if _, err := os.Stat(path + ".new"); !os.IsNotExist(err) {
			t.Errorf("%s.new left behind: %v", path, err)
		}
	}
	// A directory it cannot write in: an error, the old file untouched.
	if os.Geteuid() != 0 {
		os.Chmod(dir, 0o500)
		defer os.Chmod(dir, 0o700)
		if err := replaceFile(path, []byte("x")); err == nil {
			t.Error("replaceFile in a read-only directory: no error")
		}
	}
}
