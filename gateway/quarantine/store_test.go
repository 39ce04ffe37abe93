package quarantine

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

var testKey = bytes.Repeat([]byte{0x42}, 32)

// clock is a fake clock for purge tests.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func openStore(t testing.TB, dir string, opt Options) *Store {
	t.Helper()
	s, err := Open(dir, opt)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	return s
}

func sampleMeta() Meta {
	return Meta{
		Route: "inbound", ClientAddr: "192.0.2.7:2525", From: "citizen@example.jp",
		To: []string{"kikaku@city.example.lg.jp"}, Policy: "default", Verdict: "rebuilt",
		Subject: "申請書の送付", Removed: []string{"申請書.pdf"}, Report: json.RawMessage(`{"actions":["attachment-stripped"]}`),
	}
}

func putBytes(t testing.TB, s *Store, m Meta, b []byte) string {
	t.Helper()
	id, err := s.Put(m, bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatalf("Put: %v", err)
	}
	return id
}

func readOriginal(s *Store, id string) ([]byte, error) {
	r, err := s.Original(id)
	if err != nil {
		if r != nil {
			return nil, errors.New("Original returned a reader with its error")
		}
		return nil, err
	}
	defer r.Close()
	return io.ReadAll(r)
}

func randomBytes(n int, seed uint64) []byte {
	rng := rand.New(rand.NewPCG(seed, 7))
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(rng.Uint32())
	}
	return b
}

func hexSum(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

func TestRoundTrip(t *testing.T) {
	for _, mode := range []struct {
		name string
		key  []byte
	}{{"plain", nil}, {"encrypted", testKey}} {
		t.Run(mode.name, func(t *testing.T) {
			dir := t.TempDir()
			s := openStore(t, dir, Options{Key: mode.key, SegmentSize: 256 << 10})
			want := map[string][]byte{}
			for i, size := range []int{0, 1, 1000, chunkSize - 1, chunkSize, chunkSize + 1, 3*chunkSize + 17, 1 << 20} {
				b := randomBytes(size, uint64(i))
				id := putBytes(t, s, sampleMeta(), b)
				want[id] = b
				got, err := readOriginal(s, id)
				if err != nil || !bytes.Equal(got, b) {
					t.Fatalf("size %d: Original = %d bytes, %v", size, len(got), err)
				}
				m, err := s.Get(id)
				if err != nil {
					t.Fatal(err)
				}
				if m.ID != id || m.Size != int64(size) || m.SHA256 != hexSum(b) || m.Subject != "申請書の送付" ||
					m.Removed[0] != "申請書.pdf" || string(m.Report) != `{"actions":["attachment-stripped"]}` || m.Time.IsZero() {
					t.Fatalf("size %d: Get = %+v", size, m)
				}
			}
			if n, total := s.Stats(); n != len(want) {
				t.Errorf("Stats = %d, %d", n, total)
			}
			s.Close()

			s = openStore(t, dir, Options{Key: mode.key, SegmentSize: 256 << 10})
			defer s.Close()
			if d := s.Damage(); len(d) != 0 {
				t.Errorf("damage after clean close: %v", d)
			}
			list := s.List(nil)
			if len(list) != len(want) {
				t.Fatalf("List after reopen: %d, want %d", len(list), len(want))
			}
			for id, b := range want {
				got, err := readOriginal(s, id)
				if err != nil || !bytes.Equal(got, b) {
					t.Errorf("after reopen %s: %d bytes, %v", id, len(got), err)
				}
			}
		})
	}
}

func TestPutChecks(t *testing.T) {
	s := openStore(t, t.TempDir(), Options{})
	defer s.Close()
	b := []byte("original bytes")
	m := sampleMeta()
	m.SHA256 = hexSum(b)
	m.ID = s.NewID()
	if id := putBytes(t, s, m, b); id != m.ID {
		t.Errorf("Put used id %s, want the given %s", id, m.ID)
	}
	for _, tc := range []struct {
		name string
		meta func(*Meta)
		body string
		size int64
	}{
		{"duplicate id", func(x *Meta) { x.ID = m.ID }, "x", 1},
		{"unsafe id", func(x *Meta) { x.ID = "../etc" }, "x", 1},
		{"wrong sha256", func(x *Meta) { x.SHA256 = hexSum([]byte("other")) }, "x", 1},
		{"short", func(*Meta) {}, "x", 2},
		{"long", func(*Meta) {}, "xyz", 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			mm := sampleMeta()
			tc.meta(&mm)
			if _, err := s.Put(mm, strings.NewReader(tc.body), tc.size); err == nil {
				t.Fatal("Put succeeded")
			}
		})
	}
	if n, _ := s.Stats(); n != 1 {
		t.Errorf("%d originals after failed Puts, want 1", n)
	}
}

func TestEncryptedAtRest(t *testing.T) {
	marker := []byte("CONFIDENTIAL-CITIZEN-RECORD-4711 ")
	original := bytes.Repeat(marker, 5000) // 165 KB, several chunks
	for _, tc := range []struct {
		name      string
		key       []byte
		plainSeen bool
	}{{"plain", nil, true}, {"encrypted", testKey, false}} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			s := openStore(t, dir, Options{Key: tc.key})
			putBytes(t, s, sampleMeta(), original)
			s.Close()
			seen := false
			filepath.Walk(dir, func(p string, fi os.FileInfo, err error) error {
				if err == nil && fi.Mode().IsRegular() {
					b, _ := os.ReadFile(p)
					seen = seen || bytes.Contains(b, marker[:20])
				}
				return nil
			})
			if seen != tc.plainSeen {
				t.Errorf("plain text found on disk: %v, want %v", seen, tc.plainSeen)
			}
		})
	}
}

func TestWrongKeyAndNoKey(t *testing.T) {
	dir := t.TempDir()
	s := openStore(t, dir, Options{Key: testKey})
	id := putBytes(t, s, sampleMeta(), []byte("secret original"))
	s.Close()

	other := bytes.Repeat([]byte{7}, 32)
	for _, tc := range []struct {
		name string
		key  []byte
		want error
	}{{"wrong key", other, ErrWrongKey}, {"no key", nil, ErrNoKey}} {
		t.Run(tc.name, func(t *testing.T) {
			s := openStore(t, dir, Options{Key: tc.key})
			defer s.Close()
			if l := s.List(func(m Meta) bool { return m.From == "citizen@example.jp" }); len(l) != 1 || l[0].Subject != "申請書の送付" {
				t.Fatalf("listing: %+v", l)
			}
			b, err := readOriginal(s, id)
			if !errors.Is(err, tc.want) || b != nil {
				t.Fatalf("Original = %q, %v; want %v and no bytes", b, err, tc.want)
			}
		})
	}
	if _, err := Open(dir, Options{Key: []byte("short")}); err == nil {
		t.Error("Open with a 5-byte key succeeded")
	}
}

// TestTamper flips one byte of a stored original while the store is open:
// Original refuses with an error and returns no bytes. After a reopen the
// log's checksum catches it and the original is reported lost.
func TestTamper(t *testing.T) {
	original := randomBytes(2*chunkSize+100, 1)
	for _, mode := range []struct {
		name string
		key  []byte
	}{{"plain", nil}, {"encrypted", testKey}} {
		hdr := int64(plainHdrLen)
		if mode.key != nil {
			hdr = encHdrLen
		}
		stored := storedSize(int64(len(original)), mode.key != nil)
		for _, where := range []struct {
			name string
			off  int64 // within the payload
		}{
			{"first data byte", hdr},
			{"middle", stored / 2},
			{"last byte", stored - 1},
			{"format byte", 1},
		} {
			t.Run(mode.name+"/"+where.name, func(t *testing.T) {
				dir := t.TempDir()
				s := openStore(t, dir, Options{Key: mode.key})
				id := putBytes(t, s, sampleMeta(), original)
				putBytes(t, s, sampleMeta(), []byte("a later original"))
				rec := s.entries[id].orig
				seg := filepath.Join(dir, fmt.Sprintf("%016x.seg", rec.Seg))
				pos := rec.Off + 20 + int64(len(rec.ID)) + where.off
				f, err := os.OpenFile(seg, os.O_RDWR, 0)
				if err != nil {
					t.Fatal(err)
				}
				var b [1]byte
				f.ReadAt(b[:], pos)
				b[0] ^= 0x01
				f.WriteAt(b[:], pos)
				f.Close()

				got, err := readOriginal(s, id)
				if err == nil || got != nil {
					t.Fatalf("tampered original read: %d bytes, err %v", len(got), err)
				}
				if !errors.Is(err, ErrTampered) {
					t.Errorf("error %v, want ErrTampered", err)
				}
				s.Close()

				s = openStore(t, dir, Options{Key: mode.key})
				defer s.Close()
				if _, err := s.Get(id); err != nil {
					t.Errorf("metadata gone after reopen: %v", err)
				}
				if _, err := readOriginal(s, id); !errors.Is(err, ErrLost) {
					t.Errorf("after reopen: %v, want ErrLost", err)
				}
				if len(s.Damage()) != 1 {
					t.Errorf("damage %v, want one skipped record", s.Damage())
				}
				if l := s.List(nil); len(l) != 2 {
					t.Errorf("%d originals listed after reopen, want 2", len(l))
				}
			})
		}
	}
}

func TestPurgeByAge(t *testing.T) {
	dir := t.TempDir()
	clk := &clock{t: time.Date(2025, 4, 1, 0, 0, 0, 0, time.UTC)}
	opt := Options{Now: clk.Now, SegmentSize: 8 << 10}
	s := openStore(t, dir, opt)
	var ids []string
	for i := range 10 {
		ids = append(ids, putBytes(t, s, sampleMeta(), randomBytes(3000, uint64(i))))
		clk.Add(time.Hour)
	}
	before := len(segFiles(t, dir))
	n, freed, err := s.Purge(clk.Now().Add(-5*time.Hour - time.Minute)) // the first five
	if err != nil {
		t.Fatal(err)
	}
	if n != 5 || freed != 5*3000 {
		t.Errorf("Purge = %d originals, %d bytes; want 5, 15000", n, freed)
	}
	if c, b := s.Stats(); c != 5 || b != 5*3000 {
		t.Errorf("Stats after purge = %d, %d", c, b)
	}
	for i, id := range ids {
		_, err := s.Get(id)
		if (i < 5) != errors.Is(err, ErrNotFound) {
			t.Errorf("original %d after purge: %v", i, err)
		}
	}
	after := len(segFiles(t, dir))
	if after >= before {
		t.Errorf("segments %d before purge, %d after: none removed", before, after)
	}
	s.Close()
	s = openStore(t, dir, opt)
	defer s.Close()
	if l := s.List(nil); len(l) != 5 || l[0].ID != ids[5] {
		t.Fatalf("after reopen %d originals, first %v", len(l), l)
	}
	n, _, _ = s.Purge(clk.Now().Add(time.Hour))
	if n != 5 || len(segFiles(t, dir)) != 1 {
		t.Errorf("purging all: %d purged, %d segments left (want 5, 1)", n, len(segFiles(t, dir)))
	}
}

func segFiles(t testing.TB, dir string) []string {
	m, err := filepath.Glob(filepath.Join(dir, "*.seg"))
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestMaxBytes(t *testing.T) {
	clk := &clock{t: time.Date(2025, 4, 1, 0, 0, 0, 0, time.UTC)}
	s := openStore(t, t.TempDir(), Options{Now: clk.Now, MaxBytes: 10000, MinAge: 2 * time.Hour})
	defer s.Close()
	var ids []string
	for i := range 3 { // 9000 bytes, at t, t+1h, t+2h
		ids = append(ids, putBytes(t, s, sampleMeta(), randomBytes(3000, uint64(i))))
		clk.Add(time.Hour)
	}
	// now t+3h: only the first is older than MinAge. 9000+3000 > 10000:
	// the oldest goes.
	ids = append(ids, putBytes(t, s, sampleMeta(), randomBytes(3000, 9)))
	if _, err := s.Get(ids[0]); !errors.Is(err, ErrNotFound) {
		t.Errorf("oldest original not purged: %v", err)
	}
	for _, id := range ids[1:] {
		if _, err := s.Get(id); err != nil {
			t.Errorf("%s purged too: %v", id, err)
		}
	}
	// A minute later ids[1] (t+1h) is past MinAge: another 3000 bytes
	// purge it. Then nothing is old enough: ErrFull.
	clk.Add(time.Minute)
	putBytes(t, s, sampleMeta(), randomBytes(3000, 10))
	if _, err := s.Get(ids[1]); !errors.Is(err, ErrNotFound) {
		t.Errorf("second oldest not purged: %v", err)
	}
	if _, err := s.Put(sampleMeta(), bytes.NewReader(make([]byte, 3000)), 3000); !errors.Is(err, ErrFull) {
		t.Fatalf("Put past MaxBytes with nothing old enough: %v, want ErrFull", err)
	}
	if _, err := s.Put(sampleMeta(), bytes.NewReader(make([]byte, 10001)), 10001); !errors.Is(err, ErrFull) {
		t.Errorf("Put larger than MaxBytes: %v, want ErrFull", err)
	}
	if _, b := s.Stats(); b > 10000 {
		t.Errorf("%d bytes kept, over MaxBytes", b)
	}
	// Time passes: the purge can make room again.
	clk.Add(3 * time.Hour)
	putBytes(t, s, sampleMeta(), randomBytes(3000, 11))
}

func TestPurgeWhileReading(t *testing.T) {
	dir := t.TempDir()
	clk := &clock{t: time.Date(2025, 4, 1, 0, 0, 0, 0, time.UTC)}
	s := openStore(t, dir, Options{Now: clk.Now, SegmentSize: 4096, Key: testKey})
	defer s.Close()
	b := randomBytes(20000, 3)
	id := putBytes(t, s, sampleMeta(), b)
	clk.Add(time.Hour)
	putBytes(t, s, sampleMeta(), []byte("newer"))
	r, err := s.Original(id)
	if err != nil {
		t.Fatal(err)
	}
	first := segFiles(t, dir)[0]
	if n, _, _ := s.Purge(clk.Now()); n != 1 {
		t.Fatalf("purged %d", n)
	}
	if _, err := os.Stat(first); err != nil {
		t.Errorf("segment removed while a reader holds it: %v", err)
	}
	got, err := io.ReadAll(r)
	if err != nil || !bytes.Equal(got, b) {
		t.Fatalf("reader after purge: %d bytes, %v", len(got), err)
	}
	r.Close()
	if _, err := os.Stat(first); !os.IsNotExist(err) {
		t.Errorf("segment still there after the reader closed: %v", err)
	}
}

func TestConcurrentPut(t *testing.T) {
	dir := t.TempDir()
	s := openStore(t, dir, Options{Key: testKey, SegmentSize: 128 << 10})
	var wg sync.WaitGroup
	var mu sync.Mutex
	want := map[string][]byte{}
	for w := range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 20 {
				b := randomBytes(500+w*1000+i, uint64(w*100+i))
				id, err := s.Put(sampleMeta(), bytes.NewReader(b), int64(len(b)))
				if err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				want[id] = b
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	st := s.log.Stats()
	if st.Syncs >= st.Appends/2 {
		t.Errorf("%d fsyncs for %d records: no group commit", st.Syncs, st.Appends)
	}
	s.Close()
	s = openStore(t, dir, Options{Key: testKey, SegmentSize: 128 << 10})
	defer s.Close()
	for id, b := range want {
		if got, err := readOriginal(s, id); err != nil || !bytes.Equal(got, b) {
			t.Errorf("%s: %v", id, err)
		}
	}
}

func TestReadOnly(t *testing.T) {
	dir := t.TempDir()
	s := openStore(t, dir, Options{Key: testKey})
	defer s.Close()
	id := putBytes(t, s, sampleMeta(), []byte("x"))
	ro := openStore(t, dir, Options{ReadOnly: true})
	defer ro.Close()
	if _, err := ro.Get(id); err != nil {
		t.Error(err)
	}
	if _, err := ro.Put(sampleMeta(), strings.NewReader(""), 0); !errors.Is(err, ErrReadOnly) {
		t.Errorf("read-only Put: %v", err)
	}
	if _, _, err := ro.Purge(time.Now()); !errors.Is(err, ErrReadOnly) {
		t.Errorf("read-only Purge: %v", err)
	}
}

// TestDelete: one original goes, durably; the others stay.
func TestDelete(t *testing.T) {
	dir := t.TempDir()
	s := openStore(t, dir, Options{})
	keep := putBytes(t, s, sampleMeta(), []byte("Subject: keep\r\n\r\nkeep\r\n"))
	gone := putBytes(t, s, sampleMeta(), []byte("Subject: gone\r\n\r\ngone\r\n"))
	if err := s.Delete(gone); err != nil {
		t.Fatal(err)
	}
	if err := s.Delete(gone); !errors.Is(err, ErrNotFound) {
		t.Errorf("second Delete: %v, want ErrNotFound", err)
	}
	check := func(s *Store, when string) {
		t.Helper()
		if _, err := s.Get(gone); !errors.Is(err, ErrNotFound) {
			t.Errorf("%s: Get of the deleted original: %v, want ErrNotFound", when, err)
		}
		if n, _ := s.Stats(); n != 1 {
			t.Errorf("%s: %d originals, want 1", when, n)
		}
		rc, err := s.Original(keep)
		if err != nil {
			t.Fatalf("%s: the other original: %v", when, err)
		}
		b, _ := io.ReadAll(rc)
		rc.Close()
		if string(b) != "Subject: keep\r\n\r\nkeep\r\n" {
			t.Errorf("%s: the other original reads %q", when, b)
		}
	}
	check(s, "after Delete")
	s.Close()
	s = openStore(t, dir, Options{})
	defer s.Close()
	check(s, "after reopening")
}

// TestReleaseRecords: the releases of an original are kept with it, survive
// a reopen (the gateway refuses a second release from them), keep their
// segments while the original lives, and go with it when it is purged.
func TestReleaseRecords(t *testing.T) {
	dir := t.TempDir()
	clk := &clock{t: time.Date(2025, 4, 1, 0, 0, 0, 0, time.UTC)}
	opt := Options{Now: clk.Now, SegmentSize: 8 << 10}
	s := openStore(t, dir, opt)
	id := putBytes(t, s, sampleMeta(), randomBytes(3000, 1))
	// The release records sit among originals deleted later, so that
	// their segments would go if nothing held them.
	var fillers []string
	fill := func() {
		for i := range 4 {
			clk.Add(time.Minute)
			fillers = append(fillers, putBytes(t, s, sampleMeta(), randomBytes(3000, uint64(10+len(fillers)+i))))
		}
	}
	fill()
	r1 := Release{Time: clk.Now(), User: "tanaka", To: []string{"kikaku@city.example.lg.jp"}, Policy: "relaxed", QueueID: "Q1"}
	if err := s.RecordRelease(id, r1); err != nil {
		t.Fatal(err)
	}
	fill()
	r2 := Release{Time: clk.Now(), User: "suzuki", To: []string{"soumu@city.example.lg.jp"}, Policy: "original", QueueID: "Q2", Again: true}
	if err := s.RecordRelease(id, r2); err != nil {
		t.Fatal(err)
	}
	if err := s.RecordRelease("0000000000000000", r1); !errors.Is(err, ErrNotFound) {
		t.Errorf("release of an unknown original: %v, want ErrNotFound", err)
	}
	fill()
	other := putBytes(t, s, sampleMeta(), randomBytes(3000, 2))
	for _, id := range fillers {
		if err := s.Delete(id); err != nil {
			t.Fatal(err)
		}
	}
	check := func(s *Store, when string) {
		t.Helper()
		m, err := s.Get(id)
		if err != nil {
			t.Fatalf("%s: %v", when, err)
		}
		want := []Release{r1, r2}
		if len(m.Releases) != 2 || fmt.Sprint(m.Releases) != fmt.Sprint(want) {
			t.Errorf("%s: releases %+v, want %+v", when, m.Releases, want)
		}
		if o, _ := s.Get(other); len(o.Releases) != 0 {
			t.Errorf("%s: the other original has releases %+v", when, o.Releases)
		}
	}
	check(s, "before reopening")
	s.Close()
	s = openStore(t, dir, opt)
	check(s, "after reopening")
	ro := openStore(t, dir, Options{ReadOnly: true})
	check(ro, "read-only")
	if err := ro.RecordRelease(id, r1); !errors.Is(err, ErrReadOnly) {
		t.Errorf("release recorded in a read-only store: %v", err)
	}
	ro.Close()

	if err := s.Delete(id); err != nil {
		t.Fatal(err)
	}
	s.Close()
	s = openStore(t, dir, opt)
	defer s.Close()
	if _, err := s.Get(id); !errors.Is(err, ErrNotFound) {
		t.Errorf("purged original back after reopening: %v", err)
	}
	if err := s.Delete(other); err != nil {
		t.Fatal(err)
	}
	if n := len(segFiles(t, dir)); n != 1 {
		t.Errorf("%d segments left with nothing live, want 1 (the current)", n)
	}
}
