package seglog

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// validSegment returns the bytes of a segment holding a few records, as a
// fuzzing seed.
func validSegment(t testing.TB) []byte {
	dir := t.TempDir()
	l, _, err := Open(dir, Options{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i, p := range []string{"a", "", strings.Repeat("payload ", 20)} {
		if _, err := l.Append(uint8(i+1), "id"+p[:min(len(p), 3)], strings.NewReader(p), int64(len(p))); err != nil {
			t.Fatal(err)
		}
	}
	l.Close()
	b, err := os.ReadFile(filepath.Join(dir, segName(1)))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// FuzzOpen feeds arbitrary bytes as the last segment. Recovery must not
// fail or panic, must leave a log that reopens without new damage and with the
// same records, and must take new appends.
func FuzzOpen(f *testing.F) {
	seg := validSegment(f)
	f.Add(seg)
	f.Add(seg[:len(seg)-3])
	f.Add([]byte{})
	f.Add(bytes.Repeat([]byte{0}, 64))
	f.Fuzz(func(t *testing.T, data []byte) {
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, segName(1)), data, 0o600); err != nil {
			t.Fatal(err)
		}
		l, first, dmg1 := openCollect(t, dir, Options{})
		var skipped []Damage // corrupt records in the middle stay and are reported again
		for _, d := range dmg1 {
			if !d.Truncated {
				skipped = append(skipped, d)
			}
		}
		if _, err := l.Append(9, "new", strings.NewReader("x"), 1); err != nil {
			t.Fatal(err)
		}
		l.Close()
		l, second, dmg := openCollect(t, dir, Options{})
		defer l.Close()
		if len(dmg) != len(skipped) {
			t.Fatalf("second open reported %v, want %v", dmg, skipped)
		}
		for i := range dmg {
			if dmg[i] != skipped[i] {
				t.Fatalf("second open reported %v, want %v", dmg, skipped)
			}
		}
		sameRecs(t, second, append(first, rec{9, "new", "x"}))
	})
}
