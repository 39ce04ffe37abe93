package seglog

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/sys/unix"
)

// DefaultSegmentSize is the size at which a new segment is started.
const DefaultSegmentSize int64 = 64 << 20

const (
	segSuffix = ".seg"
	lockName  = "LOCK"
	bufSize   = 256 << 10
)

var (
	// ErrClosed is returned by operations on a closed log.
	ErrClosed = errors.New("seglog: log closed")
	// ErrReadOnly is returned by writes to a log opened with ReadOnly.
	ErrReadOnly = errors.New("seglog: log opened read-only")
	// ErrNoSegment is returned when a position names a removed segment.
	ErrNoSegment = errors.New("seglog: no such segment")
)

// Options tune a Log.
type Options struct {
	// SegmentSize is the size at which a new segment is started; 0 means
	// DefaultSegmentSize. A record larger than that gets a segment of its own.
	SegmentSize int64
	// ReadOnly opens the log for reading while another process may be
	// appending to it: no lock, no truncation, no writes. A damaged tail is
	// reported but left alone (it may be a record being written).
	ReadOnly bool
}

// Pos is where a record starts: segment sequence number and byte offset.
type Pos struct {
	Seg uint64
	Off int64
}

func (p Pos) String() string { return fmt.Sprintf("%d:%d", p.Seg, p.Off) }

// Record describes one record of the log.
type Record struct {
	Pos
	Type uint8
	ID   string
	Size int64 // payload length

	end uint64 // log sequence number after this record; 0 for replayed (already durable) records
}

// Len is the number of bytes the record takes on disk.
func (r Record) Len() int64 { return recordLen(len(r.ID), r.Size) }

// ReplayFunc is called by Open for each good record in log order. The
// payload reader is valid while the log is open and the segment exists.
type ReplayFunc func(rec Record, payload *io.SectionReader) error

// Segment describes one segment file.
type Segment struct {
	Seq     uint64
	Size    int64
	ModTime time.Time // last append (or file mtime for segments from before Open)
	Current bool      // being appended to; never removable
}

// Stats are counters since Open.
type Stats struct {
	Appends  uint64 // records written
	Bytes    uint64 // bytes written
	Syncs    uint64 // fdatasync calls by the committer and at segment rotation
	Segments int    // segment files now
}

type segment struct {
	seq     uint64
	f       *os.File
	size    int64
	mod     time.Time
	refs    int  // held by the committer while it syncs this file
	removed bool // unlinked; close when refs drops to 0
}

// Log is an open segment log. All methods are safe for concurrent use.
type Log struct {
	dir  string
	opt  Options
	lock *os.File

	mu      sync.Mutex // the append lock; guards the fields below
	segs    map[uint64]*segment
	cur     *segment
	lsn     uint64 // bytes appended since Open
	closed  bool
	failed  error // sticky: a failed fsync or truncate makes the log unusable
	buf     []byte
	appends uint64

	smu    sync.Mutex // guards synced, serr, syncs; scond waits on it
	scond  *sync.Cond
	synced uint64
	serr   error
	syncs  uint64

	rmu  sync.Mutex // serialises Remove so directory syncs happen in order
	kick chan struct{}
	quit chan struct{}
	done chan struct{}
}

func segName(seq uint64) string { return fmt.Sprintf("%016x%s", seq, segSuffix) }

func parseSegName(name string) (uint64, bool) {
	hex, ok := strings.CutSuffix(name, segSuffix)
	if !ok || len(hex) != 16 {
		return 0, false
	}
	seq, err := strconv.ParseUint(hex, 16, 64)
	return seq, err == nil && seq > 0
}

// Open opens or creates the log in dir, replays every good record through
// replay (which may be nil) and returns what recovery had to drop. A torn or
// corrupt tail of the last segment is truncated; damage in an earlier
// segment is reported and left in place.
func Open(dir string, opt Options, replay ReplayFunc) (*Log, []Damage, error) {
	if opt.SegmentSize <= 0 {
		opt.SegmentSize = DefaultSegmentSize
	}
	l := &Log{dir: dir, opt: opt, segs: map[uint64]*segment{}}
	l.scond = sync.NewCond(&l.smu)
	if !opt.ReadOnly {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return nil, nil, fmt.Errorf("seglog: open %s: %w", dir, err)
		}
		lf, err := lockDir(dir, os.O_CREATE)
		if err != nil {
			return nil, nil, fmt.Errorf("seglog: open %s: %w", dir, err)
		}
		l.lock = lf
	}
	damage, err := l.recover(replay)
	if err != nil {
		l.closeFiles()
		return nil, damage, fmt.Errorf("seglog: open %s: %w", dir, err)
	}
	if !opt.ReadOnly {
		l.buf = make([]byte, bufSize)
		l.kick = make(chan struct{}, 1)
		l.quit = make(chan struct{})
		l.done = make(chan struct{})
		go l.commitLoop()
	}
	return l, damage, nil
}

func (l *Log) recover(replay ReplayFunc) ([]Damage, error) {
	ents, err := os.ReadDir(l.dir)
	if err != nil {
		return nil, err
	}
	var seqs []uint64
	for _, e := range ents {
		// A file named like a segment but not as this log names them
		// (upper-case hex, as a restore or a case-insensitive copy may
		// leave it), or not a regular file (a symbolic link), is not
		// replayed: passed over, its records would be lost in silence,
		// and the log would go on at a number it may hold; opened by
		// the name it should have, it fails naming a file that does
		// not exist. Open refuses, naming it.
		seq, ok := parseSegName(strings.ToLower(e.Name()))
		if !ok {
			continue
		}
		if e.Name() != segName(seq) || !e.Type().IsRegular() {
			return nil, fmt.Errorf("%s is named like a segment but is not one as this log writes them (a regular file named %s): move it out of the directory, or give it that name",
				e.Name(), segName(seq))
		}
		seqs = append(seqs, seq)
	}
	slices.Sort(seqs)
	flag := os.O_RDWR
	if l.opt.ReadOnly {
		flag = os.O_RDONLY
	}
	var damage []Damage
	br := bufio.NewReaderSize(nil, 1<<20) // one read buffer for the whole scan
	for i, seq := range seqs {
		f, err := os.OpenFile(filepath.Join(l.dir, segName(seq)), flag, 0)
		if err != nil {
			return damage, err
		}
		fi, err := f.Stat()
		if err != nil {
			f.Close()
			return damage, err
		}
		seg := &segment{seq: seq, f: f, size: fi.Size(), mod: fi.ModTime()}
		l.segs[seq] = seg
		end, d, err := scanSegment(f, seq, fi.Size(), replay, br)
		if err != nil {
			return damage, err
		}
		last := i == len(seqs)-1
		if last && end < fi.Size() && !l.opt.ReadOnly {
			for j := range d {
				if d[j].Off >= end {
					d[j].Truncated = true
				}
			}
			if err := f.Truncate(end); err != nil {
				return damage, fmt.Errorf("truncate %s: %w", segName(seq), err)
			}
			if err := fdatasync(f); err != nil {
				return damage, fmt.Errorf("sync %s: %w", segName(seq), err)
			}
			seg.size = end
		}
		damage = append(damage, d...)
		l.cur = seg
	}
	if l.cur == nil && !l.opt.ReadOnly {
		seg, err := l.createSegment(1)
		if err != nil {
			return damage, err
		}
		l.cur = seg
	}
	return damage, nil
}

func (l *Log) createSegment(seq uint64) (*segment, error) {
	name := filepath.Join(l.dir, segName(seq))
	f, err := os.OpenFile(name, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return nil, err
	}
	if err := syncDir(l.dir); err != nil {
		// Not made durable, and empty: taken away, so that the next
		// attempt (O_EXCL) can make it.
		f.Close()
		os.Remove(name)
		return nil, err
	}
	seg := &segment{seq: seq, f: f, mod: time.Now()}
	l.segs[seq] = seg
	return seg, nil
}

func fdatasync(f *os.File) error { return unix.Fdatasync(int(f.Fd())) }

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	return err
}

// lockDir takes the lock a writing Log holds on dir, without waiting.
func lockDir(dir string, create int) (*os.File, error) {
	lf, err := os.OpenFile(filepath.Join(dir, lockName), os.O_RDWR|create, 0o600)
	if err != nil {
		return nil, err
	}
	if err := unix.Flock(int(lf.Fd()), unix.LOCK_EX|unix.LOCK_NB); err != nil {
		lf.Close()
		return nil, fmt.Errorf("in use by another process: %w", err)
	}
	return lf, nil
}

// LockDir takes the lock a writing Log holds on dir, for a process that
// must know that no writer has the log open while it holds it. It fails
// at once, wrapping syscall.EWOULDBLOCK, while a writer holds it, and it
// creates nothing (a lock file made by root would keep the owner's
// writer out). Close releases it.
func LockDir(dir string) (io.Closer, error) {
	lf, err := lockDir(dir, 0)
	if err != nil {
		return nil, fmt.Errorf("seglog: lock %s: %w", dir, err)
	}
	return lf, nil
}

// Append writes a record and returns once it is durable (covered by a
// group-committed fdatasync). payload must yield exactly size bytes; it is
// streamed, not buffered whole.
func (l *Log) Append(typ uint8, id string, payload io.Reader, size int64) (Record, error) {
	rec, err := l.Write(typ, id, payload, size)
	if err != nil {
		return rec, err
	}
	return rec, l.Commit(rec)
}

// Write appends a record without waiting for it to be durable; Commit waits.
// Writing several records and committing the last one makes all of them
// durable with one wait (records become durable in log order).
func (l *Log) Write(typ uint8, id string, payload io.Reader, size int64) (Record, error) {
	if typ == 0 {
		return Record{}, fmt.Errorf("seglog: write %q: record type 0 is reserved", id)
	}
	if len(id) > MaxIDLen {
		return Record{}, fmt.Errorf("seglog: write: id of %d bytes longer than %d", len(id), MaxIDLen)
	}
	if size < 0 || size > maxPayload {
		return Record{}, fmt.Errorf("seglog: write %s: invalid size %d", id, size)
	}
	if l.opt.ReadOnly {
		return Record{}, ErrReadOnly
	}
	n := recordLen(len(id), size)
	l.mu.Lock()
	if l.closed {
		l.mu.Unlock()
		return Record{}, ErrClosed
	}
	if l.failed != nil {
		l.mu.Unlock()
		return Record{}, fmt.Errorf("seglog: write %s: log failed earlier: %w", id, l.failed)
	}
	if l.cur.size > 0 && l.cur.size+n > l.opt.SegmentSize {
		if err := l.rotateLocked(); err != nil {
			l.mu.Unlock()
			return Record{}, fmt.Errorf("seglog: write %s: new segment: %w", id, err)
		}
	}
	seg := l.cur
	start := seg.size
	if err := l.writeLocked(seg.f, start, typ, id, payload, size); err != nil {
		// Nobody else wrote after start (we hold the lock): cut the partial
		// record off so the segment stays well formed.
		if terr := seg.f.Truncate(start); terr != nil {
			l.failed = fmt.Errorf("truncate after failed write: %w", terr)
		}
		l.mu.Unlock()
		return Record{}, fmt.Errorf("seglog: write %s: %w", id, err)
	}
	seg.size += n
	seg.mod = time.Now()
	l.lsn += uint64(n)
	l.appends++
	rec := Record{Pos: Pos{Seg: seg.seq, Off: start}, Type: typ, ID: id, Size: size, end: l.lsn}
	l.mu.Unlock()
	select {
	case l.kick <- struct{}{}:
	default: // a sync is already requested; it will cover this record
	}
	return rec, nil
}

// writeLocked streams one framed record to f at off through l.buf.
func (l *Log) writeLocked(f *os.File, off int64, typ uint8, id string, r io.Reader, size int64) error {
	buf := l.buf
	putHeader(buf, typ, len(id), size)
	fill := headerLen + copy(buf[headerLen:], id)
	var sum uint32
	remaining := size
	for {
		for remaining > 0 && fill < len(buf) {
			want := int(min(int64(len(buf)-fill), remaining))
			m, err := io.ReadFull(r, buf[fill:fill+want])
			fill += m
			remaining -= int64(m)
			if err == io.EOF || err == io.ErrUnexpectedEOF {
				return fmt.Errorf("payload ended %d bytes short of %d", remaining, size)
			}
			if err != nil {
				return fmt.Errorf("read payload: %w", err)
			}
		}
		if remaining == 0 && fill+trailerLen <= len(buf) {
			sum = crc32.Update(sum, castagnoli, buf[:fill])
			binary.LittleEndian.PutUint32(buf[fill:], sum)
			fill += trailerLen
			if _, err := f.WriteAt(buf[:fill], off); err != nil {
				return err
			}
			break
		}
		sum = crc32.Update(sum, castagnoli, buf[:fill])
		if _, err := f.WriteAt(buf[:fill], off); err != nil {
			return err
		}
		off += int64(fill)
		fill = 0
	}
	var one [1]byte
	if m, _ := io.ReadFull(r, one[:]); m > 0 {
		return fmt.Errorf("payload longer than %d bytes", size)
	}
	return nil
}

// rotateLocked makes everything in the current segment durable and starts
// the next one. Syncing the old file here means the committer only ever has
// to sync the current segment.
func (l *Log) rotateLocked() error {
	old := l.cur
	if err := fdatasync(old.f); err != nil {
		l.failed = fmt.Errorf("sync %s: %w", segName(old.seq), err)
		return l.failed
	}
	l.smu.Lock()
	l.syncs++
	if l.synced < l.lsn {
		l.synced = l.lsn
	}
	l.scond.Broadcast()
	l.smu.Unlock()
	seg, err := l.createSegment(old.seq + 1)
	if err != nil {
		return err
	}
	l.cur = seg
	return nil
}

// Rotate seals the current segment, when it holds anything, and starts
// the next one: an owner whose current segment holds nothing live any
// more (a queue that emptied) rotates it so that it can be removed,
// rather than waiting for it to fill, on a disk that may not have the
// room.
func (l *Log) Rotate() error {
	if l.opt.ReadOnly {
		return ErrReadOnly
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	switch {
	case l.closed:
		return ErrClosed
	case l.failed != nil:
		return fmt.Errorf("seglog: rotate: log failed earlier: %w", l.failed)
	case l.cur.size == 0:
		return nil
	}
	if err := l.rotateLocked(); err != nil {
		return fmt.Errorf("seglog: rotate: %w", err)
	}
	return nil
}

// Commit waits until rec (and everything written before it) is durable.
func (l *Log) Commit(rec Record) error {
	if rec.end == 0 {
		return nil
	}
	l.smu.Lock()
	defer l.smu.Unlock()
	for l.synced < rec.end {
		if l.serr != nil {
			return fmt.Errorf("seglog: commit %s: %w", rec.ID, l.serr)
		}
		l.scond.Wait()
	}
	return nil
}

// commitLoop is the group committer: each round syncs whatever has been
// written when it starts and wakes every writer it covered. There is no
// wait window: writers that arrive during an fdatasync are covered by the
// next round, which starts as soon as the current one ends.
func (l *Log) commitLoop() {
	defer close(l.done)
	for {
		select {
		case <-l.kick:
			l.syncOnce()
		case <-l.quit:
			l.syncOnce()
			return
		}
	}
}

func (l *Log) syncOnce() {
	l.mu.Lock()
	target, seg := l.lsn, l.cur
	seg.refs++
	l.mu.Unlock()

	l.smu.Lock()
	need := target > l.synced && l.serr == nil
	l.smu.Unlock()
	var err error
	if need {
		err = fdatasync(seg.f)
	}

	l.mu.Lock()
	seg.refs--
	if seg.removed && seg.refs == 0 {
		seg.f.Close()
	}
	if err != nil && l.failed == nil {
		l.failed = fmt.Errorf("sync %s: %w", segName(seg.seq), err)
	}
	l.mu.Unlock()

	l.smu.Lock()
	if need {
		l.syncs++
	}
	switch {
	case err != nil:
		// After a failed fsync the kernel may have dropped the dirty pages;
		// retrying could report success for lost data. Fail for good.
		l.serr = err
	case target > l.synced:
		l.synced = target
	}
	l.scond.Broadcast()
	l.smu.Unlock()
}

// Payload returns a reader over the payload of rec (pread on the segment
// file, safe concurrently with appends). It stops working once the
// segment is removed.
func (l *Log) Payload(rec Record) (*io.SectionReader, error) {
	l.mu.Lock()
	seg := l.segs[rec.Seg]
	l.mu.Unlock()
	if seg == nil {
		return nil, fmt.Errorf("seglog: payload of %s at %s: %w", rec.ID, rec.Pos, ErrNoSegment)
	}
	return io.NewSectionReader(seg.f, rec.Off+headerLen+int64(len(rec.ID)), rec.Size), nil
}

// Read returns the record starting at p and a reader over its payload. The
// header is verified; the payload checksum is not (Open verified it).
func (l *Log) Read(p Pos) (Record, *io.SectionReader, error) {
	l.mu.Lock()
	seg := l.segs[p.Seg]
	var size int64
	if seg != nil {
		size = seg.size
	}
	l.mu.Unlock()
	if seg == nil {
		return Record{}, nil, fmt.Errorf("seglog: read %s: %w", p, ErrNoSegment)
	}
	var h [headerLen + MaxIDLen]byte
	if p.Off < 0 || size-p.Off < headerLen+trailerLen {
		return Record{}, nil, fmt.Errorf("seglog: read %s: offset outside segment", p)
	}
	m, err := seg.f.ReadAt(h[:min(int64(len(h)), size-p.Off)], p.Off)
	if m < headerLen {
		return Record{}, nil, fmt.Errorf("seglog: read %s: %w", p, err)
	}
	typ, idLen, psize, err := parseHeader(h[:headerLen])
	if err != nil {
		return Record{}, nil, fmt.Errorf("seglog: read %s: %w", p, err)
	}
	if recordLen(idLen, psize) > size-p.Off {
		return Record{}, nil, fmt.Errorf("seglog: read %s: record extends past the segment", p)
	}
	rec := Record{Pos: p, Type: typ, ID: string(h[headerLen : headerLen+idLen]), Size: psize}
	return rec, io.NewSectionReader(seg.f, p.Off+headerLen+int64(idLen), psize), nil
}

// Segments lists the segment files in sequence order.
func (l *Log) Segments() []Segment {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := make([]Segment, 0, len(l.segs))
	for _, s := range l.segs {
		out = append(out, Segment{Seq: s.seq, Size: s.size, ModTime: s.mod, Current: s == l.cur})
	}
	slices.SortFunc(out, func(a, b Segment) int {
		switch {
		case a.Seq < b.Seq:
			return -1
		case a.Seq > b.Seq:
			return 1
		}
		return 0
	})
	return out
}

// Current is the sequence number of the segment being appended to (0 for an
// empty read-only log).
func (l *Log) Current() uint64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.cur == nil {
		return 0
	}
	return l.cur.seq
}

// Remove deletes a segment whose records the owner no longer needs. The
// current segment cannot be removed. The directory is synced before Remove
// returns, so removals become durable in the order they were made.
func (l *Log) Remove(seq uint64) error {
	if l.opt.ReadOnly {
		return ErrReadOnly
	}
	l.rmu.Lock()
	defer l.rmu.Unlock()
	l.mu.Lock()
	seg := l.segs[seq]
	switch {
	case l.closed:
		l.mu.Unlock()
		return ErrClosed
	case seg == nil:
		l.mu.Unlock()
		return fmt.Errorf("seglog: remove segment %d: %w", seq, ErrNoSegment)
	case seg == l.cur:
		l.mu.Unlock()
		return fmt.Errorf("seglog: remove segment %d: it is the current segment", seq)
	}
	if err := os.Remove(filepath.Join(l.dir, segName(seq))); err != nil {
		l.mu.Unlock()
		return fmt.Errorf("seglog: remove segment %d: %w", seq, err)
	}
	delete(l.segs, seq)
	seg.removed = true
	closeNow := seg.refs == 0
	l.mu.Unlock()
	if closeNow {
		seg.f.Close()
	}
	if err := syncDir(l.dir); err != nil {
		return fmt.Errorf("seglog: remove segment %d: sync directory: %w", seq, err)
	}
	return nil
}

// Stats returns counters since Open.
func (l *Log) Stats() Stats {
	l.mu.Lock()
	st := Stats{Appends: l.appends, Bytes: l.lsn, Segments: len(l.segs)}
	l.mu.Unlock()
	l.smu.Lock()
	st.Syncs = l.syncs
	l.smu.Unlock()
	return st
}

// Dir is the directory of the log.
func (l *Log) Dir() string { return l.dir }

// Err reports why the log failed for good (a failed fsync or truncate),
// or nil. A failed log takes no more writes until it is opened again.
func (l *Log) Err() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.failed
}

// Close makes everything written durable, stops the committer and closes the
// files. Writers waiting in Commit are released.
func (l *Log) Close() error {
	l.mu.Lock()
	if l.closed {
		l.mu.Unlock()
		return ErrClosed
	}
	l.closed = true
	l.mu.Unlock()
	var err error
	if !l.opt.ReadOnly {
		close(l.quit)
		<-l.done
		l.smu.Lock()
		err = l.serr
		if l.serr == nil {
			l.serr = ErrClosed // anyone still waiting would wait forever
		}
		l.scond.Broadcast()
		l.smu.Unlock()
	}
	l.closeFiles()
	if err != nil {
		return fmt.Errorf("seglog: close: %w", err)
	}
	return nil
}

func (l *Log) closeFiles() {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, s := range l.segs {
		s.f.Close()
	}
	if l.lock != nil {
		l.lock.Close()
		l.lock = nil
	}
}
