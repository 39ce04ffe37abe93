package quarantine

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"io"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"mugai/gateway/seglog"
)

var (
	// ErrFull: MaxBytes is reached and nothing old enough can be purged.
	// The caller falls back (policy `original:`); the delivery of the
	// sanitised message must not fail because of it.
	ErrFull = errors.New("quarantine: full")
	// ErrNotFound: no original with that id.
	ErrNotFound = errors.New("no such original")
	// ErrLost: the metadata is there but recovery dropped the original's
	// damaged record.
	ErrLost = errors.New("original record lost to damage")
	// ErrClosed is returned after Close.
	ErrClosed = errors.New("quarantine: closed")
	// ErrReadOnly is returned by changes to a store opened ReadOnly.
	ErrReadOnly = errors.New("quarantine: opened read-only")
)

// Error is an error about one original: the store names itself, what it
// did (Op: get, read, delete, record release of) and the original's id,
// once, before the cause (an Err* above, or a wrapped I/O error), which
// names neither: "quarantine: read ID: original fails its integrity
// check (tampered or corrupted)". A caller that says the id in its own
// words (a release) takes Err, and does not repeat them.
type Error struct {
	Op, ID string
	Err    error
}

func (e *Error) Error() string { return "quarantine: " + e.Op + " " + e.ID + ": " + e.Err.Error() }
func (e *Error) Unwrap() error { return e.Err }

// Release is one delivery of an original that an administrator asked for
// (mugai quarantine release), as the store keeps it beside the original:
// the gateway refuses to deliver the same original to the same recipient
// twice unless asked to, and that must hold after a restart, for as long
// as the original is kept (the audit trail may be rotated away or go to
// the journal).
type Release struct {
	Time    time.Time `json:"time"`
	User    string    `json:"user"`
	To      []string  `json:"to"`
	Policy  string    `json:"policy"` // the policy it was sanitised under, or "original"
	QueueID string    `json:"queue_id"`
	Again   bool      `json:"again,omitempty"` // the administrator asked to deliver it again
}

// Meta describes one quarantined original. It is stored unencrypted.
//
// Get returns it whole, read back from its record on disk. List (and
// OnMaxBytesPurge) return the store's index of it, which stays in memory
// for as long as the original is kept, and so is bounded whatever the
// message was (DESIGN invariant 5): no Report (a message of 500 parts
// has one of a few hundred KB), Removed cut to its first
// IndexRemoved lines (RemovedMore says how many more there are),
// Subject, HeaderFrom, MessageID and each line of Removed cut to
// IndexField bytes. To is kept whole: the route's limits.max_recipients
// bounds it, and a listing filters on it.
type Meta struct {
	ID                       string
	Time                     time.Time
	Route, ClientAddr, From  string
	To                       []string
	Policy, Verdict, Subject string
	Size                     int64
	SHA256                   string // hex, of the original as received
	Removed                  []string
	Report                   json.RawMessage
	// Releases are the deliveries administrators asked for, oldest first.
	Releases []Release

	// HeaderFrom and MessageID are the report's "from" (the decoded
	// From: field) and "message_id", for listings to filter on: set by
	// the store, from Report (Put ignores them).
	HeaderFrom, MessageID string
	// RemovedMore is how many lines of Removed the index left out
	// (List); 0 from Get.
	RemovedMore int
}

// Bounds of what the index keeps of an original (see Meta).
const (
	IndexRemoved = 10
	IndexField   = 512
)

func (m Meta) clone() Meta {
	m.To = slices.Clone(m.To)
	m.Removed = slices.Clone(m.Removed)
	m.Report = slices.Clone(m.Report)
	m.Releases = slices.Clone(m.Releases)
	for i := range m.Releases {
		m.Releases[i].To = slices.Clone(m.Releases[i].To)
	}
	return m
}

// Options tune a Store.
type Options struct {
	// Key, when set (32 bytes), encrypts originals with AES-256-GCM.
	// Metadata stays readable without it.
	Key []byte
	// MaxBytes caps the total size of the originals kept (0: no cap). Past
	// it, Put purges the oldest originals older than MinAge, down to 90%
	// of MaxBytes so that it does not purge on every Put, and returns
	// ErrFull if that is not enough. Disk use can exceed it by up to one
	// segment, as segments go only when all their records are dead.
	MaxBytes int64
	// MinAge protects the newest originals from the MaxBytes purge.
	MinAge time.Duration
	// Now is the clock for Meta.Time and purges; nil → time.Now.
	Now func() time.Time
	// SegmentSize of the log; 0 → seglog.DefaultSegmentSize.
	SegmentSize int64
	// ReadOnly opens a store another process may be writing (listing and
	// reading originals only).
	ReadOnly bool
	// Logger receives recovery reports; nil → discard.
	Logger *slog.Logger
	// OnMaxBytesPurge, when set, is told of the originals Put purged to
	// stay under MaxBytes, after the purge is durable, so the caller can
	// count and audit them. It must not call back into the Store.
	OnMaxBytesPurge func(purged []Meta)
}

const (
	recOriginal uint8 = 1
	recMeta     uint8 = 2
	recPurge    uint8 = 3
	recRelease  uint8 = 4 // a Release of the original with the record's id
)

// MaxReleases bounds the releases kept per original (each is a record
// replayed at Open); past it a release is refused: nobody delivers one
// message that often on purpose.
const MaxReleases = 100

type diskMeta struct {
	ID         string          `json:"id"`
	Time       time.Time       `json:"time"`
	Route      string          `json:"route,omitempty"`
	ClientAddr string          `json:"client,omitempty"`
	From       string          `json:"from"`
	To         []string        `json:"to,omitempty"`
	Policy     string          `json:"policy,omitempty"`
	Verdict    string          `json:"verdict,omitempty"`
	Subject    string          `json:"subject,omitempty"`
	Size       int64           `json:"size"`
	SHA256     string          `json:"sha256"`
	Removed    []string        `json:"removed,omitempty"`
	Report     json.RawMessage `json:"report,omitempty"`
}

func toDiskMeta(m Meta) diskMeta {
	return diskMeta{ID: m.ID, Time: m.Time, Route: m.Route, ClientAddr: m.ClientAddr, From: m.From, To: m.To,
		Policy: m.Policy, Verdict: m.Verdict, Subject: m.Subject, Size: m.Size, SHA256: m.SHA256, Removed: m.Removed, Report: m.Report}
}

func (d diskMeta) meta() Meta {
	return Meta{ID: d.ID, Time: d.Time, Route: d.Route, ClientAddr: d.ClientAddr, From: d.From, To: d.To,
		Policy: d.Policy, Verdict: d.Verdict, Subject: d.Subject, Size: d.Size, SHA256: d.SHA256, Removed: d.Removed, Report: d.Report}
}

// fromReport sets m's HeaderFrom and MessageID from its report.
func (m *Meta) fromReport() {
	m.HeaderFrom, m.MessageID = "", ""
	if len(m.Report) == 0 {
		return
	}
	var r struct {
		From      string `json:"from"`
		MessageID string `json:"message_id"`
	}
	if json.Unmarshal(m.Report, &r) == nil {
		m.HeaderFrom, m.MessageID = r.From, r.MessageID
	}
}

// index returns what the index keeps of the whole m (see Meta). Every
// string cut is copied, so that it does not keep the whole one alive.
func (m Meta) index() Meta {
	m.fromReport()
	m.Report = nil
	m.Subject = clip(m.Subject)
	m.HeaderFrom = clip(m.HeaderFrom)
	m.MessageID = clip(m.MessageID)
	removed := m.Removed
	m.Removed, m.RemovedMore = nil, max(0, len(removed)-IndexRemoved)
	if len(removed) > 0 {
		m.Removed = make([]string, min(len(removed), IndexRemoved))
		for i := range m.Removed {
			m.Removed[i] = clip(removed[i])
		}
	}
	return m
}

// clip cuts s to at most IndexField bytes, on a character boundary, with
// "…" after the cut.
func clip(s string) string {
	if len(s) <= IndexField {
		return s
	}
	cut := IndexField - len("…")
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return strings.Clone(s[:cut]) + "…"
}

type metaRecord struct {
	V    int        `json:"v"`
	Meta diskMeta   `json:"meta"`
	Orig seglog.Pos `json:"orig"` // the original record this describes
}

type entry struct {
	meta    Meta          // the index form (Meta.index)
	metaRec seglog.Record // the whole metadata, for Get
	orig    seglog.Record
	origOK  bool     // false if recovery dropped the original's record
	relSegs []uint64 // segments of its release records, one per release
	purged  bool
}

// Store is an open quarantine directory. All methods are safe for
// concurrent use.
type Store struct {
	log    *seglog.Log
	opt    Options
	now    func() time.Time
	logger *slog.Logger
	ids    seglog.IDSource
	damage []seglog.Damage

	mu       sync.Mutex
	entries  map[string]*entry
	order    []*entry // by Time, then ID: purges take a prefix
	bytes    int64    // sum of Size of the originals kept
	reserved int64    // sizes of Puts in progress under MaxBytes
	putting  map[string]bool
	refs     *seglog.Refs
	closed   bool

	pmu sync.Mutex // serialises purges and segment removal

	replayOrig map[seglog.Pos]seglog.Record // during Open only
	// unread holds, during Open, the metadata records this version
	// cannot read and the segments kept for them (keepUnread), by id.
	unread map[string]*unreadMeta
}

// unreadMeta is a metadata record replay could not read, and the
// segments it keeps: its own, its original's, its releases'.
type unreadMeta struct {
	rec  seglog.Record
	err  error
	segs []uint64
}

// Open opens or creates the store in dir and replays its log.
func Open(dir string, opt Options) (*Store, error) {
	if opt.Key != nil && len(opt.Key) != keyLen {
		return nil, fmt.Errorf("quarantine: open: key is %d bytes, want %d", len(opt.Key), keyLen)
	}
	if opt.MaxBytes < 0 || opt.MinAge < 0 {
		return nil, errors.New("quarantine: open: negative MaxBytes or MinAge")
	}
	s := &Store{
		opt: opt, now: opt.Now, logger: opt.Logger,
		entries: map[string]*entry{}, putting: map[string]bool{},
		refs:       seglog.NewRefs(),
		replayOrig: map[seglog.Pos]seglog.Record{},
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.logger == nil {
		s.logger = slog.New(slog.DiscardHandler)
	}
	l, damage, err := seglog.Open(dir, seglog.Options{SegmentSize: opt.SegmentSize, ReadOnly: opt.ReadOnly}, s.replay)
	if err != nil {
		return nil, fmt.Errorf("quarantine: open: %w", err)
	}
	s.log, s.damage, s.replayOrig = l, damage, nil
	for id, u := range s.unread {
		s.damage = append(s.damage, seglog.Damage{Seg: u.rec.Seg, Off: u.rec.Off, Bytes: u.rec.Len(),
			Reason: fmt.Sprintf("metadata record %s kept unread (%v)", id, u.err)})
		s.logger.Error("quarantine: a metadata record this version cannot read is kept, with its original, for a version that can: the original is not listed",
			"dir", dir, "id", id, "pos", u.rec.Pos.String(), "err", u.err)
	}
	s.unread = nil
	for _, d := range damage {
		s.logger.Error("quarantine: recovery dropped damaged log data", "dir", dir, "segment", d.Seg,
			"offset", d.Off, "bytes", d.Bytes, "truncated", d.Truncated, "reason", d.Reason)
	}
	for _, e := range s.entries {
		s.order = append(s.order, e)
		s.bytes += e.meta.Size
		if !e.origOK {
			s.logger.Error("quarantine: original lost, metadata kept", "id", e.meta.ID)
		}
	}
	slices.SortFunc(s.order, cmpEntry)
	if !opt.ReadOnly {
		s.pmu.Lock()
		err := s.removeDead()
		s.pmu.Unlock()
		if err != nil {
			l.Close()
			return nil, fmt.Errorf("quarantine: open: %w", err)
		}
	}
	return s, nil
}

func cmpEntry(a, b *entry) int {
	if c := a.meta.Time.Compare(b.meta.Time); c != 0 {
		return c
	}
	return strings.Compare(a.meta.ID, b.meta.ID)
}

// Damage is what recovery at Open had to drop or skip (also logged).
func (s *Store) Damage() []seglog.Damage { return slices.Clone(s.damage) }

func (s *Store) replay(rec seglog.Record, p *io.SectionReader) error {
	switch rec.Type {
	case recOriginal:
		s.replayOrig[rec.Pos] = rec
	case recMeta:
		var mr metaRecord
		err := json.NewDecoder(p).Decode(&mr)
		if err == nil && mr.V != 1 {
			err = fmt.Errorf("metadata version %d, want 1", mr.V)
		} else if err == nil && mr.Meta.ID != rec.ID {
			err = fmt.Errorf("metadata of %q in a record of %q", mr.Meta.ID, rec.ID)
		}
		if err != nil {
			s.keepUnread(rec, mr.Orig, err)
			return nil
		}
		s.dropUnread(rec.ID) // a later copy that reads supersedes it
		if old := s.entries[rec.ID]; old != nil {
			s.dropRefs(old)
		}
		orig, ok := s.replayOrig[mr.Orig]
		delete(s.replayOrig, mr.Orig)
		e := &entry{meta: mr.Meta.meta().index(), metaRec: rec, orig: orig, origOK: ok && orig.ID == rec.ID}
		s.addRefs(e)
		s.entries[rec.ID] = e
	case recRelease:
		var r Release
		e := s.entries[rec.ID]
		if u := s.unread[rec.ID]; u != nil && e == nil {
			// A release of an original kept unread: kept with it, or a
			// version that reads it would release it again unwarned.
			s.refs.Ref(rec.Seg)
			u.segs = append(u.segs, rec.Seg)
			return nil
		}
		if err := json.NewDecoder(p).Decode(&r); err != nil || e == nil {
			// A release of an original purged since is of no use: its
			// segment goes with the tombstone.
			if err != nil {
				s.logger.Error("quarantine: skipping unreadable release record", "id", rec.ID, "pos", rec.Pos.String(), "err", err)
			}
			return nil
		}
		s.addRelease(e, r, rec.Seg)
	case recPurge:
		var ids []string
		if err := json.NewDecoder(p).Decode(&ids); err != nil {
			s.logger.Error("quarantine: skipping unreadable purge record", "pos", rec.Pos.String(), "err", err)
			return nil
		}
		for _, id := range ids {
			s.dropUnread(id)
			if e := s.entries[id]; e != nil {
				s.dropRefs(e)
				s.refs.Finish(id, rec.Seg)
				delete(s.entries, id)
			}
		}
	default:
		s.logger.Error("quarantine: skipping record of unknown type", "type", rec.Type, "pos", rec.Pos.String())
	}
	return nil
}

// keepUnread keeps a metadata record whose checksum held but that
// does not decode (a metadata version this mugai does not know, as after
// a downgrade; or a bug), with the original it names: skipped, nothing
// would refer to their segments, and the end of Open would remove them,
// an original gone without a purge or its record. They wait, unlisted,
// for a version that reads them; Open logs each and Damage lists it.
// Replay only (no lock).
func (s *Store) keepUnread(rec seglog.Record, orig seglog.Pos, err error) {
	if s.unread == nil {
		s.unread = map[string]*unreadMeta{}
	}
	u := s.unread[rec.ID]
	if u == nil {
		u = &unreadMeta{}
		s.unread[rec.ID] = u
	}
	u.rec, u.err = rec, err
	s.refs.Ref(rec.Seg)
	u.segs = append(u.segs, rec.Seg)
	if o, ok := s.replayOrig[orig]; ok && o.ID == rec.ID {
		delete(s.replayOrig, orig)
		s.refs.Ref(o.Seg)
		u.segs = append(u.segs, o.Seg)
	}
}

// dropUnread lets go of what keepUnread kept of id: a later record
// superseded it (a copy that reads) or purged the original.
func (s *Store) dropUnread(id string) {
	if u := s.unread[id]; u != nil {
		for _, seg := range u.segs {
			s.refs.Unref(seg)
		}
		delete(s.unread, id)
	}
}

func (s *Store) addRefs(e *entry) {
	if e.origOK {
		s.refs.Ref(e.orig.Seg)
		s.refs.Copy(e.meta.ID, e.orig.Seg)
	}
	s.refs.Ref(e.metaRec.Seg)
	s.refs.Copy(e.meta.ID, e.metaRec.Seg)
}

func (s *Store) dropRefs(e *entry) {
	if e.origOK {
		s.refs.Unref(e.orig.Seg)
	}
	s.refs.Unref(e.metaRec.Seg)
	for _, seg := range e.relSegs {
		s.refs.Unref(seg)
	}
}

// addRelease adds a release to a live entry; its record in seg is kept
// while the entry lives, or the fact would be lost at the next Open.
func (s *Store) addRelease(e *entry, r Release, seg uint64) {
	e.meta.Releases = append(e.meta.Releases, r)
	e.relSegs = append(e.relSegs, seg)
	s.refs.Ref(seg)
	s.refs.Copy(e.meta.ID, seg)
}

func (s *Store) usable() error {
	switch {
	case s.closed:
		return ErrClosed
	case s.opt.ReadOnly:
		return ErrReadOnly
	}
	return nil
}

func (s *Store) beginLocked() uint64 { return s.refs.Begin(s.log) }

func (s *Store) endLocked(seg uint64) { s.refs.End(seg) }

// NewID returns a fresh id, for callers that need it before Put (the
// sanitiser names the original in its notice).
func (s *Store) NewID() string { return s.ids.New(s.now()) }

// NewID returns a fresh id without a store at hand (16 characters,
// time-ordered, no state: 48 bits of milliseconds and 32 random bits). Put
// refuses an id already in use.
func NewID() string { return seglog.NewID(time.Now()) }

// validID: ids appear in file names, URLs and SMTP replies.
func validID(id string) bool {
	if id == "" || len(id) > 64 || id[0] == '.' || id[0] == '-' {
		return false
	}
	for _, c := range []byte(id) {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}

// Put stores an original and its metadata and returns once both are
// durable. meta.ID is used if set (see NewID), else one is made; Time
// defaults to now, Size is size, SHA256 is computed (and checked if set).
// With MaxBytes reached and nothing old enough to purge it returns ErrFull.
func (s *Store) Put(meta Meta, original io.Reader, size int64) (string, error) {
	if size < 0 {
		return "", fmt.Errorf("quarantine: put: invalid size %d", size)
	}
	meta = meta.clone()
	now := s.now()
	s.mu.Lock()
	if err := s.usable(); err != nil {
		s.mu.Unlock()
		return "", err
	}
	id := meta.ID
	if id == "" {
		id = s.ids.New(now)
	}
	if !validID(id) || s.entries[id] != nil || s.putting[id] {
		s.mu.Unlock()
		return "", fmt.Errorf("quarantine: put %q: id invalid or in use", id)
	}
	s.putting[id] = true
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		delete(s.putting, id)
		s.mu.Unlock()
	}()

	if s.opt.MaxBytes > 0 {
		if err := s.reserve(size); err != nil {
			return "", fmt.Errorf("quarantine: put %s: %w", id, err)
		}
		defer func() {
			s.mu.Lock()
			s.reserved -= size
			s.mu.Unlock()
		}()
	}

	h := sha256.New()
	var payload io.Reader
	if s.opt.Key != nil {
		sl, err := newSealer(s.opt.Key, id, original, size, h)
		if err != nil {
			return "", fmt.Errorf("quarantine: put %s: %w", id, err)
		}
		payload = sl
	} else {
		payload = io.MultiReader(bytes.NewReader([]byte{formatVersion, 0}), io.TeeReader(original, h))
	}

	s.mu.Lock()
	tok := s.beginLocked()
	s.mu.Unlock()
	e, err := s.write(id, meta, now, payload, size, h)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.endLocked(tok)
	if err != nil {
		return "", fmt.Errorf("quarantine: put %s: %w", id, err)
	}
	s.addRefs(e)
	s.entries[id] = e
	i, _ := slices.BinarySearchFunc(s.order, e, cmpEntry)
	s.order = slices.Insert(s.order, i, e)
	s.bytes += size
	return id, nil
}

// write appends the original, then its metadata, and waits for both.
func (s *Store) write(id string, meta Meta, now time.Time, payload io.Reader, size int64, h hash.Hash) (*entry, error) {
	orig, err := s.log.Write(recOriginal, id, payload, storedSize(size, s.opt.Key != nil))
	if err != nil {
		return nil, err
	}
	sum := hex.EncodeToString(h.Sum(nil))
	if meta.SHA256 != "" && !strings.EqualFold(meta.SHA256, sum) {
		return nil, fmt.Errorf("SHA-256 given as %s, original has %s", meta.SHA256, sum)
	}
	meta.ID, meta.Size, meta.SHA256, meta.Releases = id, size, sum, nil
	if meta.Time.IsZero() {
		meta.Time = now
	}
	j, err := json.Marshal(metaRecord{V: 1, Meta: toDiskMeta(meta), Orig: orig.Pos})
	if err != nil {
		return nil, err
	}
	mrec, err := s.log.Append(recMeta, id, bytes.NewReader(j), int64(len(j)))
	if err != nil {
		return nil, err
	}
	return &entry{meta: meta.index(), metaRec: mrec, orig: orig, origOK: true}, nil
}

// reserve makes room for size bytes under MaxBytes, purging the oldest
// originals past MinAge if needed.
func (s *Store) reserve(size int64) error {
	max := s.opt.MaxBytes
	s.mu.Lock()
	if s.bytes+s.reserved+size <= max {
		s.reserved += size
		s.mu.Unlock()
		return nil
	}
	s.mu.Unlock()
	if size > max {
		return ErrFull
	}
	s.pmu.Lock()
	defer s.pmu.Unlock()
	s.mu.Lock()
	target := max - max/10
	cutoff := s.now().Add(-s.opt.MinAge)
	need := s.bytes + s.reserved + size
	var victims []*entry
	for _, e := range s.order {
		if need <= target || !e.meta.Time.Before(cutoff) {
			break
		}
		victims = append(victims, e)
		need -= e.meta.Size
	}
	s.mu.Unlock()
	if len(victims) > 0 {
		if _, _, err := s.purge(victims); err != nil {
			return err
		}
		if s.opt.OnMaxBytesPurge != nil {
			metas := make([]Meta, len(victims))
			for i, e := range victims {
				metas[i] = e.meta
			}
			s.opt.OnMaxBytesPurge(metas)
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.bytes+s.reserved+size > max {
		return ErrFull
	}
	s.reserved += size
	return nil
}

// Purge deletes every original whose Time is before olderThan with a
// durable tombstone and removes the segments left with nothing live.
func (s *Store) Purge(olderThan time.Time) (n int, bytes int64, err error) {
	s.pmu.Lock()
	defer s.pmu.Unlock()
	s.mu.Lock()
	if err := s.usable(); err != nil {
		s.mu.Unlock()
		return 0, 0, err
	}
	var victims []*entry
	for _, e := range s.order {
		if !e.meta.Time.Before(olderThan) {
			break
		}
		victims = append(victims, e)
	}
	s.mu.Unlock()
	return s.purge(victims)
}

// Delete removes one original with a durable tombstone: the gateway's way
// back when the message it was kept for was not accepted after all.
func (s *Store) Delete(id string) error {
	s.pmu.Lock()
	defer s.pmu.Unlock()
	s.mu.Lock()
	if err := s.usable(); err != nil {
		s.mu.Unlock()
		return err
	}
	e, ok := s.entries[id]
	s.mu.Unlock()
	if !ok {
		return &Error{Op: "delete", ID: id, Err: ErrNotFound}
	}
	_, _, err := s.purge([]*entry{e})
	return err
}

// purge writes one tombstone record for victims and drops them; the caller
// holds pmu.
func (s *Store) purge(victims []*entry) (n int, freed int64, err error) {
	if len(victims) == 0 {
		return 0, 0, s.removeDead()
	}
	ids := make([]string, len(victims))
	for i, e := range victims {
		ids[i] = e.meta.ID
	}
	j, err := json.Marshal(ids)
	if err != nil {
		return 0, 0, err
	}
	s.mu.Lock()
	tok := s.beginLocked()
	s.mu.Unlock()
	rec, err := s.log.Append(recPurge, "", bytes.NewReader(j), int64(len(j)))
	s.mu.Lock()
	s.endLocked(tok)
	if err != nil {
		s.mu.Unlock()
		return 0, 0, fmt.Errorf("quarantine: purge: %w", err)
	}
	for _, e := range victims {
		s.dropRefs(e)
		s.refs.Finish(e.meta.ID, rec.Seg)
		delete(s.entries, e.meta.ID)
		e.purged = true
		s.bytes -= e.meta.Size
		freed += e.meta.Size
		n++
	}
	s.order = slices.DeleteFunc(s.order, func(e *entry) bool { return e.purged })
	s.mu.Unlock()
	if err := s.removeDead(); err != nil {
		return n, freed, fmt.Errorf("quarantine: purge: %w", err)
	}
	return n, freed, nil
}

// removeDead removes sealed segments nothing references; the caller holds
// pmu.
func (s *Store) removeDead() error {
	return s.log.RemoveDead(&s.mu, s.refs, nil)
}

// RecordRelease adds a release of the original id, durably, before it
// returns. It is ErrNotFound if the original was purged meanwhile.
func (s *Store) RecordRelease(id string, r Release) error {
	r.To = slices.Clone(r.To)
	j, err := json.Marshal(r)
	if err != nil {
		return &Error{Op: "record release of", ID: id, Err: err}
	}
	// pmu: no purge between the check and the append, so the record
	// never outlives its original's tombstone.
	s.pmu.Lock()
	defer s.pmu.Unlock()
	s.mu.Lock()
	if err := s.usable(); err != nil {
		s.mu.Unlock()
		return err
	}
	e := s.entries[id]
	switch {
	case e == nil:
		s.mu.Unlock()
		return &Error{Op: "record release of", ID: id, Err: ErrNotFound}
	case len(e.meta.Releases) >= MaxReleases:
		s.mu.Unlock()
		return &Error{Op: "record release of", ID: id, Err: fmt.Errorf("already released %d times (at most %d)", len(e.meta.Releases), MaxReleases)}
	}
	tok := s.beginLocked()
	s.mu.Unlock()
	rec, err := s.log.Append(recRelease, id, bytes.NewReader(j), int64(len(j)))
	s.mu.Lock()
	defer s.mu.Unlock()
	s.endLocked(tok)
	if err != nil {
		return &Error{Op: "record release of", ID: id, Err: err}
	}
	s.addRelease(e, r, rec.Seg)
	return nil
}

// Get returns the whole metadata of one original, the report included:
// read from its record on disk, as the index keeps only part of it (see
// Meta).
func (s *Store) Get(id string) (Meta, error) {
	s.mu.Lock()
	e := s.entries[id]
	switch {
	case s.closed:
		s.mu.Unlock()
		return Meta{}, ErrClosed
	case e == nil:
		s.mu.Unlock()
		return Meta{}, &Error{Op: "get", ID: id, Err: ErrNotFound}
	}
	rec, releases := e.metaRec, e.meta.clone().Releases
	s.refs.Ref(rec.Seg) // pin: a purge cannot take the segment while we read
	s.mu.Unlock()
	m, err := s.readMeta(rec)
	s.unpin(rec.Seg)
	if err != nil {
		return Meta{}, &Error{Op: "get", ID: id, Err: err}
	}
	m.Releases = releases
	return m, nil
}

// readMeta reads back the metadata record rec.
func (s *Store) readMeta(rec seglog.Record) (Meta, error) {
	p, err := s.log.Payload(rec)
	if err != nil {
		return Meta{}, err
	}
	var mr metaRecord
	if err := json.NewDecoder(p).Decode(&mr); err != nil {
		return Meta{}, fmt.Errorf("metadata record at %s: %w", rec.Pos, err)
	}
	if mr.Meta.ID != rec.ID {
		return Meta{}, fmt.Errorf("metadata record at %s is of %q", rec.Pos, mr.Meta.ID)
	}
	m := mr.Meta.meta()
	m.fromReport()
	return m, nil
}

// unpin drops a reference that kept seg while it was read; a segment left
// with nothing live goes now.
func (s *Store) unpin(seg uint64) {
	s.mu.Lock()
	s.refs.Unref(seg)
	unused := !s.refs.Used(seg) && !s.closed && !s.opt.ReadOnly
	s.mu.Unlock()
	if unused {
		s.pmu.Lock()
		if err := s.removeDead(); err != nil {
			s.logger.Error("quarantine: removing dead segments", "err", err)
		}
		s.pmu.Unlock()
	}
}

// List returns the metadata of every original that filter accepts (all if
// filter is nil), oldest first, in the index form (see Meta: without the
// report; Get has it). It needs no key and reads no disk.
func (s *Store) List(filter func(Meta) bool) []Meta {
	s.mu.Lock()
	all := make([]Meta, len(s.order))
	for i, e := range s.order {
		all[i] = e.meta.clone()
	}
	s.mu.Unlock()
	if filter == nil {
		return all
	}
	return slices.DeleteFunc(all, func(m Meta) bool { return !filter(m) })
}

// Stats returns the number of originals kept and their total size.
func (s *Store) Stats() (messages int, bytes int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.entries), s.bytes
}

// Original returns the original as it was received. The whole stored
// record is verified first (GCM tags when encrypted, the SHA-256 either
// way), so a tampered or wrongly keyed original is an error before any
// byte is returned. The reader keeps the original readable even if it is
// purged meanwhile; Close it.
func (s *Store) Original(id string) (io.ReadCloser, error) {
	s.mu.Lock()
	e := s.entries[id]
	switch {
	case s.closed:
		s.mu.Unlock()
		return nil, ErrClosed
	case e == nil:
		s.mu.Unlock()
		return nil, &Error{Op: "read", ID: id, Err: ErrNotFound}
	case !e.origOK:
		s.mu.Unlock()
		return nil, &Error{Op: "read", ID: id, Err: ErrLost}
	}
	rec, meta := e.orig, e.meta
	s.refs.Ref(rec.Seg) // pin: a purge cannot take the segment while we read
	s.mu.Unlock()
	rc := &originalReader{s: s, seg: rec.Seg}
	fail := func(err error) (io.ReadCloser, error) {
		rc.Close()
		return nil, &Error{Op: "read", ID: id, Err: err}
	}
	p, err := s.log.Payload(rec)
	if err != nil {
		return fail(err)
	}
	var flags [plainHdrLen]byte
	if _, err := p.ReadAt(flags[:], 0); err != nil {
		return fail(err)
	}
	if p.Size() != storedSize(meta.Size, flags[1] == flagEncrypted) {
		return fail(ErrTampered) // e.g. the flags byte of a plain original changed
	}
	r, err := newOriginalReader(p, id, s.opt.Key)
	if err != nil {
		return fail(err)
	}
	h := sha256.New()
	n, err := io.Copy(h, r)
	if err != nil {
		return fail(err)
	}
	if n != meta.Size || !strings.EqualFold(hex.EncodeToString(h.Sum(nil)), meta.SHA256) {
		return fail(ErrTampered)
	}
	if rc.r, err = newOriginalReader(p, id, s.opt.Key); err != nil {
		return fail(err)
	}
	return rc, nil
}

type originalReader struct {
	s    *Store
	seg  uint64
	r    io.Reader
	once sync.Once
}

func (o *originalReader) Read(p []byte) (int, error) {
	if o.r == nil {
		return 0, ErrClosed
	}
	return o.r.Read(p)
}

// Close releases the pin; a segment left with nothing live goes now.
func (o *originalReader) Close() error {
	o.once.Do(func() {
		o.r = nil
		o.s.unpin(o.seg)
	})
	return nil
}

// Err reports why the store's log failed for good (a failed fsync), or
// nil: no original can be kept until the store is opened again, by a
// restart.
func (s *Store) Err() error { return s.log.Err() }

// Close makes everything durable and closes the log.
func (s *Store) Close() error {
	s.pmu.Lock()
	defer s.pmu.Unlock()
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return ErrClosed
	}
	s.closed = true
	s.mu.Unlock()
	if err := s.log.Close(); err != nil {
		return fmt.Errorf("quarantine: close: %w", err)
	}
	return nil
}
