package seglog

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"testing/iotest"
	"time"
)

type rec struct {
	Type    uint8
	ID      string
	Payload string
}

// openCollect opens dir and returns the log, the replayed records and the
// damage report.
func openCollect(t *testing.T, dir string, opt Options) (*Log, []rec, []Damage) {
	t.Helper()
	var got []rec
	l, dmg, err := Open(dir, opt, func(r Record, p *io.SectionReader) error {
		b, err := io.ReadAll(p)
		if err != nil {
			return err
		}
		if int64(len(b)) != r.Size {
			return fmt.Errorf("payload %d bytes, record says %d", len(b), r.Size)
		}
		got = append(got, rec{r.Type, r.ID, string(b)})
		return nil
	})
	if err != nil {
		t.Fatalf("Open(%s): %v", dir, err)
	}
	return l, got, dmg
}

func appendStr(t *testing.T, l *Log, typ uint8, id, payload string) Record {
	t.Helper()
	r, err := l.Append(typ, id, strings.NewReader(payload), int64(len(payload)))
	if err != nil {
		t.Fatalf("Append(%s): %v", id, err)
	}
	return r
}

func sameRecs(t *testing.T, got, want []rec) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("replayed %d records, want %d", len(got), len(want))
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("record %d = {%d %q %d bytes}, want {%d %q %d bytes}", i,
				got[i].Type, got[i].ID, len(got[i].Payload), want[i].Type, want[i].ID, len(want[i].Payload))
		}
	}
}

func TestRoundTripAndRotation(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "log")
	l, got, dmg := openCollect(t, dir, Options{SegmentSize: 4096})
	if len(got) != 0 || len(dmg) != 0 {
		t.Fatalf("fresh log replayed %d records, damage %v", len(got), dmg)
	}
	big := strings.Repeat("x", 10000) // larger than a segment: gets one of its own
	want := []rec{
		{1, "a", "hello"},
		{2, "", ""},
		{3, "b", strings.Repeat("y", 3000)},
		{1, "big", big},
		{4, strings.Repeat("i", MaxIDLen), "after big"},
	}
	var recs []Record
	for _, w := range want {
		recs = append(recs, appendStr(t, l, w.Type, w.ID, w.Payload))
	}
	if recs[3].Seg == recs[2].Seg || recs[4].Seg == recs[3].Seg {
		t.Errorf("record larger than a segment shares a segment: %v %v %v", recs[2].Pos, recs[3].Pos, recs[4].Pos)
	}
	for i, r := range recs {
		p, err := l.Payload(r)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(p)
		if string(b) != want[i].Payload {
			t.Errorf("Payload(%s) = %d bytes, want %d", r.ID, len(b), len(want[i].Payload))
		}
		r2, p2, err := l.Read(r.Pos)
		if err != nil || r2.ID != r.ID || r2.Type != r.Type || r2.Size != r.Size {
			t.Errorf("Read(%s) = %+v, %v; want %+v", r.Pos, r2, err, r)
		} else if b, _ := io.ReadAll(p2); string(b) != want[i].Payload {
			t.Errorf("Read(%s) payload differs", r.Pos)
		}
	}
	if _, err := l.Append(1, strings.Repeat("i", MaxIDLen+1), strings.NewReader(""), 0); err == nil {
		t.Error("Append with a too long id succeeded")
	}
	if _, err := l.Append(0, "zero", strings.NewReader(""), 0); err == nil {
		t.Error("Append of type 0 succeeded")
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}

	fi, err := os.Stat(dir)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o700 {
		t.Errorf("directory mode %v, want 0700", fi.Mode().Perm())
	}
	segs, _ := filepath.Glob(filepath.Join(dir, "*.seg"))
	if len(segs) < 3 {
		t.Errorf("%d segment files, want at least 3", len(segs))
	}
	for _, s := range segs {
		fi, err := os.Stat(s)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm() != 0o600 {
			t.Errorf("%s mode %v, want 0600", s, fi.Mode().Perm())
		}
	}

	l, got, dmg = openCollect(t, dir, Options{SegmentSize: 4096})
	defer l.Close()
	if len(dmg) != 0 {
		t.Errorf("clean reopen reported damage %v", dmg)
	}
	sameRecs(t, got, want)
	r := appendStr(t, l, 5, "more", "after reopen")
	if r.Seg != l.Current() {
		t.Errorf("append after reopen went to segment %d, current is %d", r.Seg, l.Current())
	}
}

// TestTornTailEveryOffset cuts and corrupts the last record at every byte
// offset and checks that recovery keeps exactly the earlier records,
// reports the damage, and leaves a log that takes new appends.
func TestTornTailEveryOffset(t *testing.T) {
	for _, tc := range []struct {
		name    string
		segSize int64
	}{
		{"same segment", 1 << 20},
		{"own segment", 128}, // every record starts a new segment
	} {
		t.Run(tc.name, func(t *testing.T) {
			src := t.TempDir()
			l, _, _ := openCollect(t, src, Options{SegmentSize: tc.segSize})
			want := []rec{{1, "first", "one"}, {2, "second", strings.Repeat("2", 70)}}
			for _, w := range want {
				appendStr(t, l, w.Type, w.ID, w.Payload)
			}
			last := appendStr(t, l, 3, "last", "the last record, torn or corrupted at every offset")
			if err := l.Close(); err != nil {
				t.Fatal(err)
			}
			lastFile := filepath.Join(src, segName(last.Seg))
			full, err := os.ReadFile(lastFile)
			if err != nil {
				t.Fatal(err)
			}
			start, end := last.Off, last.Off+last.Len()
			if end != int64(len(full)) {
				t.Fatalf("last record ends at %d, file has %d bytes", end, len(full))
			}
			for _, mode := range []string{"truncate", "corrupt"} {
				for off := start; off < end; off++ {
					dir := t.TempDir()
					copyDir(t, src, dir)
					var content []byte
					if mode == "truncate" {
						content = full[:off]
					} else {
						content = bytes.Clone(full)
						content[off] ^= 0x5a
					}
					if err := os.WriteFile(filepath.Join(dir, segName(last.Seg)), content, 0o600); err != nil {
						t.Fatal(err)
					}
					l, got, dmg := openCollect(t, dir, Options{SegmentSize: tc.segSize})
					sameRecs(t, got, want)
					if mode == "corrupt" || off > start {
						if len(dmg) != 1 || !dmg[0].Truncated || dmg[0].Off != start || dmg[0].Seg != last.Seg {
							t.Fatalf("%s at %d: damage %v, want one truncation at %d:%d", mode, off, dmg, last.Seg, start)
						}
					} else if len(dmg) != 0 {
						t.Fatalf("cut at record start: damage %v, want none", dmg)
					}
					fi, err := os.Stat(filepath.Join(dir, segName(last.Seg)))
					if err != nil || fi.Size() != start {
						t.Fatalf("%s at %d: segment is %v bytes after recovery, want %d (%v)", mode, off, fi.Size(), start, err)
					}
					appendStr(t, l, 4, "new", "appended after recovery")
					l.Close()
					l, got, dmg = openCollect(t, dir, Options{SegmentSize: tc.segSize})
					sameRecs(t, got, append(want[:len(want):len(want)], rec{4, "new", "appended after recovery"}))
					if len(dmg) != 0 {
						t.Fatalf("%s at %d: second reopen reported %v", mode, off, dmg)
					}
					l.Close()
				}
			}
		})
	}
}

func copyDir(t *testing.T, from, to string) {
	t.Helper()
	ents, err := os.ReadDir(from)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ents {
		if !strings.HasSuffix(e.Name(), segSuffix) {
			continue
		}
		b, err := os.ReadFile(filepath.Join(from, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(to, e.Name()), b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
}

// TestCorruptMiddle: a record whose header is intact but whose payload
// fails its checksum, followed by good records, is skipped and reported;
// the records after it survive.
func TestCorruptMiddle(t *testing.T) {
	dir := t.TempDir()
	l, _, _ := openCollect(t, dir, Options{})
	appendStr(t, l, 1, "a", "alpha")
	bad := appendStr(t, l, 1, "b", "bravo payload")
	appendStr(t, l, 1, "c", "charlie")
	l.Close()
	name := filepath.Join(dir, segName(bad.Seg))
	b, _ := os.ReadFile(name)
	b[bad.Off+headerLen+int64(len(bad.ID))+2] ^= 1
	os.WriteFile(name, b, 0o600)
	l, got, dmg := openCollect(t, dir, Options{})
	defer l.Close()
	sameRecs(t, got, []rec{{1, "a", "alpha"}, {1, "c", "charlie"}})
	if len(dmg) != 1 || dmg[0].Truncated || dmg[0].Off != bad.Off || dmg[0].Bytes != bad.Len() {
		t.Fatalf("damage %v, want one skipped record at %d", dmg, bad.Off)
	}
}

func TestCorruptEarlierSegment(t *testing.T) {
	dir := t.TempDir()
	l, _, _ := openCollect(t, dir, Options{SegmentSize: 100})
	r1 := appendStr(t, l, 1, "a", strings.Repeat("a", 90))
	appendStr(t, l, 1, "b", strings.Repeat("b", 90))
	l.Close()
	name := filepath.Join(dir, segName(r1.Seg))
	b, _ := os.ReadFile(name)
	b[2] ^= 1 // magic
	os.WriteFile(name, b, 0o600)
	l, got, dmg := openCollect(t, dir, Options{SegmentSize: 100})
	defer l.Close()
	sameRecs(t, got, []rec{{1, "b", strings.Repeat("b", 90)}})
	if len(dmg) != 1 || dmg[0].Truncated || dmg[0].Seg != r1.Seg {
		t.Fatalf("damage %v, want one report for segment %d, not truncated", dmg, r1.Seg)
	}
	if fi, _ := os.Stat(name); fi.Size() != int64(len(b)) {
		t.Errorf("earlier segment was modified")
	}
}

func TestBadPayloadLength(t *testing.T) {
	dir := t.TempDir()
	l, _, _ := openCollect(t, dir, Options{})
	appendStr(t, l, 1, "ok", "fine")
	for _, tc := range []struct {
		name string
		r    io.Reader
		size int64
	}{
		{"short", strings.NewReader("abc"), 10},
		{"long", strings.NewReader("abcdef"), 3},
		{"error", iotest.ErrReader(errors.New("disk on fire")), 3},
		{"short big", io.LimitReader(zeros{}, bufSize*2), bufSize * 3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := l.Append(1, tc.name, tc.r, tc.size); err == nil {
				t.Fatal("Append succeeded")
			}
		})
	}
	appendStr(t, l, 1, "after", "still works")
	l.Close()
	l, got, dmg := openCollect(t, dir, Options{})
	defer l.Close()
	if len(dmg) != 0 {
		t.Errorf("damage after failed appends: %v", dmg)
	}
	sameRecs(t, got, []rec{{1, "ok", "fine"}, {1, "after", "still works"}})
}

type zeros struct{}

func (zeros) Read(p []byte) (int, error) { clear(p); return len(p), nil }

func TestLargeStreamedRecord(t *testing.T) {
	dir := t.TempDir()
	l, _, _ := openCollect(t, dir, Options{SegmentSize: 1 << 20})
	const size = 3<<20 + 12345
	rng := rand.New(rand.NewPCG(1, 2))
	data := make([]byte, size)
	for i := range data {
		data[i] = byte(rng.Uint32())
	}
	r, err := l.Append(7, "large", bytes.NewReader(data), size)
	if err != nil {
		t.Fatal(err)
	}
	p, _ := l.Payload(r)
	got, _ := io.ReadAll(p)
	if !bytes.Equal(got, data) {
		t.Fatal("large payload differs")
	}
	l.Close()
	l, recs, dmg := openCollect(t, dir, Options{SegmentSize: 1 << 20})
	defer l.Close()
	if len(dmg) != 0 || len(recs) != 1 || recs[0].Payload != string(data) {
		t.Fatalf("reopen: %d records, damage %v", len(recs), dmg)
	}
}

// TestGroupCommit: concurrent writers share fsyncs, every record is
// readable while others append, and all are there after reopen.
func TestGroupCommit(t *testing.T) {
	dir := t.TempDir()
	l, _, _ := openCollect(t, dir, Options{SegmentSize: 64 << 10})
	const writers, each = 16, 50
	var wg sync.WaitGroup
	errs := make(chan error, writers)
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				id := fmt.Sprintf("w%d-%d", w, i)
				payload := strings.Repeat(id, 40)
				r, err := l.Append(1, id, strings.NewReader(payload), int64(len(payload)))
				if err != nil {
					errs <- err
					return
				}
				p, err := l.Payload(r)
				if err != nil {
					errs <- err
					return
				}
				if b, _ := io.ReadAll(p); string(b) != payload {
					errs <- fmt.Errorf("%s read back wrong", id)
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	st := l.Stats()
	if st.Appends != writers*each {
		t.Errorf("Stats.Appends = %d, want %d", st.Appends, writers*each)
	}
	if st.Syncs >= st.Appends {
		t.Errorf("%d syncs for %d appends: no group commit", st.Syncs, st.Appends)
	}
	t.Logf("%d appends, %d syncs, %d segments", st.Appends, st.Syncs, st.Segments)
	l.Close()
	l, got, dmg := openCollect(t, dir, Options{SegmentSize: 64 << 10})
	defer l.Close()
	if len(got) != writers*each || len(dmg) != 0 {
		t.Fatalf("reopen: %d records (want %d), damage %v", len(got), writers*each, dmg)
	}
}

func TestRemove(t *testing.T) {
	dir := t.TempDir()
	l, _, _ := openCollect(t, dir, Options{SegmentSize: 100})
	r1 := appendStr(t, l, 1, "a", strings.Repeat("a", 90))
	r2 := appendStr(t, l, 1, "b", strings.Repeat("b", 90))
	if err := l.Remove(r2.Seg); err == nil {
		t.Error("removing the current segment succeeded")
	}
	if err := l.Remove(r1.Seg); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, segName(r1.Seg))); !os.IsNotExist(err) {
		t.Errorf("segment file still there: %v", err)
	}
	if _, err := l.Payload(r1); !errors.Is(err, ErrNoSegment) {
		t.Errorf("Payload of removed segment: %v, want ErrNoSegment", err)
	}
	if err := l.Remove(r1.Seg); !errors.Is(err, ErrNoSegment) {
		t.Errorf("second Remove: %v", err)
	}
	l.Close()
	l, got, _ := openCollect(t, dir, Options{SegmentSize: 100})
	defer l.Close()
	sameRecs(t, got, []rec{{1, "b", strings.Repeat("b", 90)}})
}

func TestLockAndReadOnly(t *testing.T) {
	dir := t.TempDir()
	l, _, _ := openCollect(t, dir, Options{})
	defer l.Close()
	appendStr(t, l, 1, "a", "alpha")
	if _, _, err := Open(dir, Options{}, nil); err == nil {
		t.Fatal("second writer Open succeeded")
	}
	ro, got, dmg := openCollect(t, dir, Options{ReadOnly: true})
	sameRecs(t, got, []rec{{1, "a", "alpha"}})
	if len(dmg) != 0 {
		t.Errorf("damage %v", dmg)
	}
	if _, err := ro.Append(1, "x", strings.NewReader(""), 0); !errors.Is(err, ErrReadOnly) {
		t.Errorf("read-only Append: %v", err)
	}
	ro.Close()
	if _, _, err := Open(filepath.Join(dir, "missing"), Options{ReadOnly: true}, nil); err == nil {
		t.Error("read-only Open of a missing directory succeeded")
	}
}

func TestClosed(t *testing.T) {
	l, _, _ := openCollect(t, t.TempDir(), Options{})
	l.Close()
	if _, err := l.Append(1, "a", strings.NewReader(""), 0); !errors.Is(err, ErrClosed) {
		t.Errorf("Append after Close: %v", err)
	}
	if err := l.Close(); !errors.Is(err, ErrClosed) {
		t.Errorf("second Close: %v", err)
	}
}

func TestRefs(t *testing.T) {
	r := NewRefs()
	// Item x: data in 1, a state record in 2, finished by a record in 3.
	r.Copy("x", 1)
	r.Ref(1)
	r.Ref(2)
	r.Unref(1)
	r.Unref(2)
	r.Finish("x", 3)
	if r.Used(1) || r.Used(2) || !r.Used(3) {
		t.Fatalf("after finish: used 1=%v 2=%v 3=%v, want only 3", r.Used(1), r.Used(2), r.Used(3))
	}
	r.Removed(1)
	if r.Used(3) {
		t.Error("final record still pinned after its data segment went")
	}
	// Item y: data and final record in the same segment: no pin.
	r.Copy("y", 5)
	r.Finish("y", 5)
	if r.Used(5) {
		t.Error("segment pinned by its own final record")
	}
	// Item z: copied forward from 6 to 8, finished in 9.
	r.Copy("z", 6)
	r.Copy("z", 8)
	r.Finish("z", 9)
	r.Removed(8)
	if !r.Used(9) {
		t.Error("final record unpinned while segment 6 still has a copy")
	}
	r.Removed(6)
	if r.Used(9) {
		t.Error("final record pinned after all copies went")
	}
	if len(r.copies) != 0 || len(r.bySeg) != 0 || len(r.final) != 0 {
		t.Errorf("bookkeeping left over: %v %v %v", r.copies, r.bySeg, r.final)
	}
}

func TestIDs(t *testing.T) {
	var g IDSource
	seen := map[string]bool{}
	prev := ""
	now := time.Now()
	for i := range 20000 {
		id := g.New(now.Add(-time.Duration(i%3) * time.Millisecond)) // clock jitter, even backwards
		if !ValidID(id) || len(id) != IDLen {
			t.Fatalf("invalid id %q", id)
		}
		if seen[id] {
			t.Fatalf("duplicate id %q", id)
		}
		if id <= prev {
			t.Fatalf("id %q not after %q", id, prev)
		}
		seen[id], prev = true, id
	}
	if got := IDTime(prev); got.Sub(now).Abs() > 2*time.Millisecond {
		t.Errorf("IDTime = %v, want about %v", got, now)
	}
	stateless := NewID(now)
	if !ValidID(stateless) || IDTime(stateless).UnixMilli() != now.UnixMilli() || NewID(now) == stateless {
		t.Errorf("NewID(now) = %q (time %v)", stateless, IDTime(stateless))
	}
	for _, bad := range []string{"", "0123456789ABCDE", "0123456789ABCDEI", "0123456789abcdef", "../../etc/passwd"} {
		if ValidID(bad) {
			t.Errorf("ValidID(%q) = true", bad)
		}
	}
}
