package spool

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"mugai/gateway/seglog"
)

// TestUnreadableRecordKept: a message record whose checksum holds but
// whose envelope this version cannot read (here a newer envelope
// version, as after a downgrade) was skipped at Open and, nothing
// referring to its segment, the segment was removed: a message answered
// 250 was gone for good (DESIGN invariant 2), with one log line. It is
// now kept with its segment, listed in Damage, at every Open, until a
// later record of the message (its delete) supersedes it.
func TestUnreadableRecordKept(t *testing.T) {
	dir := t.TempDir()
	s := openSpool(t, dir, Options{SegmentSize: 4096})
	j := []byte(`{"v":2,"env":{"route":"inbound","from":"a@b.example","to":["u@lgwan.example"]},"rcpts":[{"addr":"u@lgwan.example"}],"size":3000}`)
	var p bytes.Buffer
	binary.Write(&p, binary.LittleEndian, uint32(len(j)))
	p.Write(j)
	p.WriteString(strings.Repeat("x", 3000))
	id := NewID()
	rec, err := s.log.Append(recMessage, id, bytes.NewReader(p.Bytes()), int64(p.Len()))
	if err != nil {
		t.Fatal(err)
	}
	seg := filepath.Join(dir, fmt.Sprintf("%016x.seg", rec.Seg))
	for range 10 { // later segments: the record's is sealed
		put(t, s, strings.Repeat("r", 1000))
	}
	s.Close()
	for i := range 2 {
		s = openSpool(t, dir, Options{SegmentSize: 4096})
		if _, err := os.Stat(seg); err != nil {
			t.Fatalf("open %d: the segment of the unreadable record was removed: %v", i+1, err)
		}
		if !slices.ContainsFunc(s.Damage(), func(d seglog.Damage) bool { return d.Seg == rec.Seg && strings.Contains(d.Reason, id) }) {
			t.Errorf("open %d: Damage %v does not list record %s", i+1, s.Damage(), id)
		}
		if _, err := s.Get(id); err == nil {
			t.Errorf("open %d: the unreadable record is listed as a message", i+1)
		}
		s.Close()
	}

	// Its delete (by the version that wrote it, say) ends it.
	s = openSpool(t, dir, Options{SegmentSize: 4096})
	if _, err := s.log.Append(recDelete, id, bytes.NewReader(nil), 0); err != nil {
		t.Fatal(err)
	}
	for range 5 {
		put(t, s, strings.Repeat("r", 1000))
	}
	s.Close()
	s = openSpool(t, dir, Options{SegmentSize: 4096})
	defer s.Close()
	if _, err := os.Stat(seg); err == nil {
		t.Errorf("the segment is still there after the message's delete")
	}
	if len(s.Damage()) != 0 {
		t.Errorf("Damage after the delete: %v", s.Damage())
	}
}
