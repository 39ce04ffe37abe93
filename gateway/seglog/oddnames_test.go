package seglog

import (
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestOddSegmentNames: a file in the log's directory named like a
// segment but not as the log names one (upper-case hex, an upper-case
// suffix, as a restore or a copy through a case-insensitive file system
// may leave it) or not a regular file (a symbolic link to one) makes
// Open fail naming that file. Before, an upper-case name was read as the
// segment of that number and opened by its lower-case name, failing on
// a file that does not exist ("open …/000000000000000c.seg: no such
// file"), and a symbolic link was passed over, its records lost in
// silence. Other files are left alone.
func TestOddSegmentNames(t *testing.T) {
	for _, tc := range []struct {
		name string
		make func(dir, seg string) error
	}{
		{"000000000000000C.seg", func(dir, seg string) error { return copyFile(seg, filepath.Join(dir, "000000000000000C.seg")) }},
		{"0000000000000009.SEG", func(dir, seg string) error { return copyFile(seg, filepath.Join(dir, "0000000000000009.SEG")) }},
		{"0000000000000009.seg", func(dir, seg string) error { return os.Symlink(seg, filepath.Join(dir, "0000000000000009.seg")) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			l, _, _ := openCollect(t, dir, Options{})
			appendStr(t, l, 1, "a", "payload")
			l.Close()
			seg := filepath.Join(dir, segName(1))
			if err := tc.make(dir, seg); err != nil {
				t.Fatal(err)
			}
			l, _, err := Open(dir, Options{}, func(Record, *io.SectionReader) error { return nil })
			if err == nil {
				l.Close()
				t.Fatalf("Open took a directory holding %s", tc.name)
			}
			if !strings.Contains(err.Error(), tc.name+" is named like a segment") {
				t.Errorf("Open: %v; want it to name %s", err, tc.name)
			}
		})
	}

	// Files that are no segment's are none of its business.
	dir := t.TempDir()
	l, _, _ := openCollect(t, dir, Options{})
	appendStr(t, l, 1, "a", "payload")
	l.Close()
	for _, n := range []string{"notes.txt", "0000000000000001.seg.bak", "1.seg", "00000000000000001.seg"} {
		if err := os.WriteFile(filepath.Join(dir, n), []byte("x"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	l, got, _ := openCollect(t, dir, Options{})
	l.Close()
	if len(got) != 1 {
		t.Errorf("replayed %d records, want 1", len(got))
	}
}

func copyFile(from, to string) error {
	b, err := os.ReadFile(from)
	if err != nil {
		return err
	}
	return os.WriteFile(to, b, 0o600)
}
