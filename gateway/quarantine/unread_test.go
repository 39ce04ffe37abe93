package quarantine

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"mugai/gateway/seglog"
)

// TestUnreadableMetaKept: a metadata record whose checksum holds but
// that this version cannot read (here a newer metadata version, as
// after a downgrade) was skipped at Open; nothing then referred to its
// original, and both segments were removed: an original gone with no
// purge and no record of one. They are now kept, listed in Damage, at
// every Open, until a later record (a purge of the id) ends them.
func TestUnreadableMetaKept(t *testing.T) {
	dir := t.TempDir()
	opt := Options{SegmentSize: 4096}
	s := openStore(t, dir, opt)
	id := NewID()
	orig, err := s.log.Append(recOriginal, id, bytes.NewReader(bytes.Repeat([]byte("o"), 3000)), 3000)
	if err != nil {
		t.Fatal(err)
	}
	j, _ := json.Marshal(map[string]any{"v": 2, "meta": map[string]any{"id": id}, "orig": orig.Pos})
	meta, err := s.log.Append(recMeta, id, bytes.NewReader(j), int64(len(j)))
	if err != nil {
		t.Fatal(err)
	}
	for range 10 { // later segments: those of the records are sealed
		putBytes(t, s, sampleMeta(), bytes.Repeat([]byte("r"), 1000))
	}
	s.Close()
	segs := []string{filepath.Join(dir, fmt.Sprintf("%016x.seg", orig.Seg)), filepath.Join(dir, fmt.Sprintf("%016x.seg", meta.Seg))}
	for i := range 2 {
		s = openStore(t, dir, opt)
		for _, f := range segs {
			if _, err := os.Stat(f); err != nil {
				t.Fatalf("open %d: a segment of the unreadable original was removed: %v", i+1, err)
			}
		}
		if !slices.ContainsFunc(s.Damage(), func(d seglog.Damage) bool { return d.Seg == meta.Seg && strings.Contains(d.Reason, id) }) {
			t.Errorf("open %d: Damage %v does not list %s", i+1, s.Damage(), id)
		}
		if _, err := s.Get(id); err == nil {
			t.Errorf("open %d: the unreadable original is listed", i+1)
		}
		s.Close()
	}

	// A purge of it (by the version that wrote it, say) ends it.
	s = openStore(t, dir, opt)
	pj, _ := json.Marshal([]string{id})
	if _, err := s.log.Append(recPurge, "", bytes.NewReader(pj), int64(len(pj))); err != nil {
		t.Fatal(err)
	}
	for range 5 {
		putBytes(t, s, sampleMeta(), bytes.Repeat([]byte("r"), 1000))
	}
	s.Close()
	s = openStore(t, dir, opt)
	defer s.Close()
	if _, err := os.Stat(segs[0]); err == nil {
		t.Errorf("the original's segment is still there after its purge")
	}
	if len(s.Damage()) != 0 {
		t.Errorf("Damage after the purge: %v", s.Damage())
	}
}
