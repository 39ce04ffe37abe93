package spool

import (
	"bytes"
	"container/heap"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"

	"mugai/gateway/seglog"
)

// The errors about one message come wrapped as "spool: OP ID: ERR", so
// that they name the package and the message once; ErrClosed and
// ErrReadOnly come alone.
var (
	// ErrNotFound: no live message has that id.
	ErrNotFound = errors.New("no such message")
	// ErrNotLeased: Update or Release of a message not handed out by Next.
	ErrNotLeased = errors.New("message not leased")
	// ErrBusy: a delivery worker holds the message; try again.
	ErrBusy = errors.New("message is being delivered")
	// ErrClosed is returned after Close.
	ErrClosed = errors.New("spool: closed")
	// ErrReadOnly is returned by changes to a spool opened ReadOnly.
	ErrReadOnly = errors.New("spool: opened read-only")
	// ErrNotWritten: the log could not be written (a full disk, say), so
	// nothing changed; the same call may succeed later. Update keeps the
	// lease then: the caller tries again or calls Release.
	ErrNotWritten = errors.New("log not written")
)

// Options tune a Spool. The zero value is the production setting.
type Options struct {
	// SegmentSize of the log; 0 means seglog.DefaultSegmentSize (64 MiB).
	SegmentSize int64
	// CompactAge: a segment older than this whose live messages take at most
	// a quarter of it has them copied forward so it can be removed. 0 → 1h.
	CompactAge time.Duration
	// CompactInterval is how often the background janitor looks for
	// segments to compact. 0 → 1 minute.
	CompactInterval time.Duration
	// Now is the clock for creation and due times; nil → time.Now.
	Now func() time.Time
	// Logger receives recovery reports and janitor errors; nil → discard.
	Logger *slog.Logger
	// ReadOnly opens a spool another process may be writing (for listing):
	// no changes, no janitor, Next is refused.
	ReadOnly bool
}

// liveFraction: a segment is copied forward when its live bytes are at
// most 1/liveFraction of its size.
const liveFraction = 4

// entry is the index entry of a live message.
type entry struct {
	msg      Message
	rec      seglog.Record // the message record holding the body
	bodyOff  int64         // body offset inside rec's payload
	stateSeg uint64        // segment of the latest state record after rec; 0 if none
	leased   bool          // handed out by Next; the body's segment is pinned
	leaseSeg uint64
	moving   bool // being copied forward; the body's segment is pinned
	deleted  bool // finished while leased or moving; only the pin remains
	kicked   bool // Kick arrived while leased or moving
	failed   bool // kept for the operator: every recipient done or failed
	due      time.Time
	hidx     int  // index in its due heap, -1 if not in one
	retry    bool // the due heap is its route's retry heap, not fresh
	urgent   bool // Kick of this message: with the fresh ones until its next lease
	// notBefore holds the message back past its recipients' due time
	// (Postpone), in memory only: a recorded attempt, a kick or Resume
	// clears it, and a restart forgets it.
	notBefore time.Time
}

// dueHeap orders schedulable messages by due time, then id (time-ordered).
type dueHeap []*entry

func (h dueHeap) Len() int { return len(h) }

func (h dueHeap) Less(i, j int) bool { return dueBefore(h[i], h[j]) }

// dueBefore reports whether a is due before b (the older id first when
// both are due at once).
func dueBefore(a, b *entry) bool {
	if !a.due.Equal(b.due) {
		return a.due.Before(b.due)
	}
	return a.msg.ID < b.msg.ID
}

func (h dueHeap) Swap(i, j int) {
	h[i], h[j] = h[j], h[i]
	h[i].hidx, h[j].hidx = i, j
}
func (h *dueHeap) Push(x any) { e := x.(*entry); e.hidx = len(*h); *h = append(*h, e) }
func (h *dueHeap) Pop() any {
	old := *h
	e := old[len(old)-1]
	old[len(old)-1] = nil
	*h = old[:len(old)-1]
	e.hidx = -1
	return e
}

// routeQueue holds one route's schedulable messages in two due heaps, as
// Postfix's queue manager keeps its incoming and deferred queues apart
// and takes from them in turn. fresh has the messages with a pending
// recipient: never tried yet (new mail, a message released from
// quarantine, a delivery status notification), put back by
// Spool.Requeue, or retried now by Kick (the operator's "retry ID", as
// Postfix's postqueue -i moves a message to the incoming queue). retry
// has those that wait only for retries, KickAll's included: "retry all"
// after an outage makes the backlog due now, not ahead of the mail that
// arrives meanwhile. In one heap,
// ordered by due time, a new message (due when it was queued) came after
// every overdue retry: behind 20,000 of them at 50 messages a second,
// seven minutes late.
//
// When both have a message due, next takes from the one it did not take
// from last, so each gets at least every other message: new mail waits
// behind one retry more than there are new messages ahead of it, at most,
// and a backlog of retries still drains at half the delivery rate or
// more under a steady stream of new mail. When only one has a message
// due, next takes it: neither waits for the other.
type routeQueue struct {
	fresh, retry dueHeap
	lastRetry    bool // the last message next took came from retry
}

func (q *routeQueue) heap(retry bool) *dueHeap {
	if retry {
		return &q.retry
	}
	return &q.fresh
}

func (q *routeQueue) len() int { return len(q.fresh) + len(q.retry) }

// pick returns the message next should take from q at now, or nil and
// how long until one is due (-1: q is empty).
func (q *routeQueue) pick(now time.Time) (*entry, time.Duration) {
	var f, r *entry
	if len(q.fresh) > 0 && !q.fresh[0].due.After(now) {
		f = q.fresh[0]
	}
	if len(q.retry) > 0 && !q.retry[0].due.After(now) {
		r = q.retry[0]
	}
	switch {
	case f != nil && r != nil:
		if q.lastRetry {
			return f, 0
		}
		return r, 0
	case f != nil:
		return f, 0
	case r != nil:
		return r, 0
	}
	wait := time.Duration(-1)
	for _, h := range []dueHeap{q.fresh, q.retry} {
		if len(h) > 0 && (wait < 0 || h[0].due.Sub(now) < wait) {
			wait = h[0].due.Sub(now)
		}
	}
	return nil, wait
}

// Spool is an open spool directory. All methods are safe for concurrent use.
type Spool struct {
	log    *seglog.Log
	opt    Options
	now    func() time.Time
	logger *slog.Logger
	ids    seglog.IDSource
	damage []seglog.Damage
	// unread holds, while Open replays the log, the message records
	// whose checksum held but whose envelope this version cannot read
	// (keepUnread), by id.
	unread map[string][]unreadRecord

	mu      sync.Mutex
	msgs    map[string]*entry
	due     map[string]*routeQueue // by route (Envelope.Route)
	refs    *seglog.Refs
	putting map[string]bool          // ids of Puts in progress
	routeCh map[string]chan struct{} // closed on a change NextFor(route) may care about
	anyCh   chan struct{}            // closed on any change Next may care about
	closed  bool

	rmu         sync.Mutex // serialises compaction and segment removal
	janitorKick chan struct{}
	stop        chan struct{}
	wg          sync.WaitGroup
}

// Open opens or creates the spool in dir and replays its log: every message
// Put and not finished comes back with its latest recipient states.
func Open(dir string, opt Options) (*Spool, error) {
	if opt.CompactAge <= 0 {
		opt.CompactAge = time.Hour
	}
	if opt.CompactInterval <= 0 {
		opt.CompactInterval = time.Minute
	}
	s := &Spool{
		opt:         opt,
		now:         opt.Now,
		logger:      opt.Logger,
		msgs:        map[string]*entry{},
		refs:        seglog.NewRefs(),
		putting:     map[string]bool{},
		due:         map[string]*routeQueue{},
		routeCh:     map[string]chan struct{}{},
		anyCh:       make(chan struct{}),
		janitorKick: make(chan struct{}, 1),
		stop:        make(chan struct{}),
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.logger == nil {
		s.logger = slog.New(slog.DiscardHandler)
	}
	l, damage, err := seglog.Open(dir, seglog.Options{SegmentSize: opt.SegmentSize, ReadOnly: opt.ReadOnly}, s.replay)
	if err != nil {
		return nil, fmt.Errorf("spool: open: %w", err)
	}
	s.log, s.damage = l, damage
	for _, rs := range s.unread {
		for _, u := range rs {
			s.damage = append(s.damage, u.damage())
			s.logger.Error("spool: a message record this version cannot read is kept, with its segment, for a version that can: the message is not delivered",
				"dir", dir, "id", u.rec.ID, "pos", u.rec.Pos.String(), "bytes", u.rec.Len(), "err", u.err)
		}
	}
	s.unread = nil
	for _, d := range damage {
		s.logger.Error("spool: recovery dropped damaged log data", "dir", dir, "segment", d.Seg,
			"offset", d.Off, "bytes", d.Bytes, "truncated", d.Truncated, "reason", d.Reason)
	}
	for _, e := range s.msgs {
		s.scheduleLocked(e)
	}
	if !opt.ReadOnly {
		s.rmu.Lock()
		err := s.removeDead()
		s.rmu.Unlock()
		if err != nil {
			l.Close()
			return nil, fmt.Errorf("spool: open: %w", err)
		}
		s.wg.Add(1)
		go s.janitor()
	}
	return s, nil
}

// Damage is what recovery at Open had to drop or skip (also logged).
func (s *Spool) Damage() []seglog.Damage { return slices.Clone(s.damage) }

// replay applies one record at Open (single-threaded, no lock needed).
func (s *Spool) replay(rec seglog.Record, p *io.SectionReader) error {
	switch rec.Type {
	case recMessage:
		m, bodyOff, err := decodeMeta(p, rec.Size)
		if err != nil {
			s.keepUnread(rec, err)
			return nil
		}
		// A later copy (compaction's) of a record this version could
		// not read supersedes it.
		s.dropUnread(rec.ID)
		m.ID = rec.ID
		e := s.msgs[rec.ID]
		if e != nil { // a copy written by compaction supersedes body and state
			s.refs.Unref(e.rec.Seg)
			if e.stateSeg != 0 {
				s.refs.Unref(e.stateSeg)
			}
		} else {
			e = &entry{hidx: -1}
			s.msgs[rec.ID] = e
		}
		*e = entry{msg: m, rec: rec, bodyOff: bodyOff, hidx: -1}
		s.refs.Ref(rec.Seg)
		s.refs.Copy(rec.ID, rec.Seg)
		s.applyOutcome(e, rec.Seg)
	case recState:
		e := s.msgs[rec.ID]
		if e == nil {
			return nil // the message finished and its segment is gone
		}
		var st diskState
		if err := json.NewDecoder(p).Decode(&st); err != nil {
			s.logger.Error("spool: skipping unreadable state record", "id", rec.ID, "pos", rec.Pos.String(), "err", err)
			return nil
		}
		rc := fromDiskRcpts(st.Rcpts)
		if err := sameRecipients(e.msg.Rcpts, rc); err != nil {
			s.logger.Error("spool: skipping state record", "id", rec.ID, "pos", rec.Pos.String(), "err", err)
			return nil
		}
		s.setState(e, rc, rec.Seg)
		s.applyOutcome(e, rec.Seg)
	case recDelete:
		s.dropUnread(rec.ID)
		if e := s.msgs[rec.ID]; e != nil {
			s.finishLocked(e, rec.Seg)
		}
	default:
		s.logger.Error("spool: skipping record of unknown type", "type", rec.Type, "id", rec.ID, "pos", rec.Pos.String())
	}
	return nil
}

// unreadRecord is a message record replay could not read.
type unreadRecord struct {
	rec seglog.Record
	err error
}

func (u unreadRecord) damage() seglog.Damage {
	return seglog.Damage{Seg: u.rec.Seg, Off: u.rec.Off, Bytes: u.rec.Len(),
		Reason: fmt.Sprintf("message record %s kept unread (%v)", u.rec.ID, u.err)}
}

// keepUnread pins the segment of a message record whose checksum held
// but whose envelope does not decode: written whole, so by a mugai that
// wrote what this one cannot read (a newer envelope version, after a
// downgrade) or by a bug. It is a message that was answered 250:
// skipped and left unreferenced, its segment would be removed at the
// end of Open and the message lost for good (DESIGN invariant 2). Kept,
// it waits, undelivered, for a version that reads it; Open logs it and
// Damage lists it. Replay only (no lock).
func (s *Spool) keepUnread(rec seglog.Record, err error) {
	if s.unread == nil {
		s.unread = map[string][]unreadRecord{}
	}
	s.refs.Ref(rec.Seg)
	s.unread[rec.ID] = append(s.unread[rec.ID], unreadRecord{rec: rec, err: err})
}

// dropUnread unpins what keepUnread kept of id: a later record has
// superseded it (a copy that reads) or finished the message.
func (s *Spool) dropUnread(id string) {
	for _, u := range s.unread[id] {
		s.refs.Unref(u.rec.Seg)
	}
	delete(s.unread, id)
}

func (s *Spool) setState(e *entry, rc []Recipient, seg uint64) {
	if e.stateSeg != 0 {
		s.refs.Unref(e.stateSeg)
	}
	e.stateSeg = seg
	s.refs.Ref(seg)
	e.msg.Rcpts = rc
}

// applyOutcome finishes or marks failed after the recipients changed; the
// record that changed them is in seg.
func (s *Spool) applyOutcome(e *entry, seg uint64) {
	switch outcomeOf(e.msg.Rcpts) {
	case finished:
		s.finishLocked(e, seg)
	case failed:
		e.failed = true
	default:
		e.failed = false
	}
}

// finishLocked drops a message from the index; its final record is in seg.
func (s *Spool) finishLocked(e *entry, seg uint64) {
	s.refs.Unref(e.rec.Seg)
	if e.stateSeg != 0 {
		s.refs.Unref(e.stateSeg)
		e.stateSeg = 0
	}
	s.refs.Finish(e.msg.ID, seg)
	s.unscheduleLocked(e)
	if e.leased || e.moving {
		e.deleted = true // the lease holder or the compactor drops it
	} else {
		delete(s.msgs, e.msg.ID)
	}
}

// scheduleLocked puts e in its route's due heaps if a delivery worker
// may take it: fresh while a recipient is pending, retry otherwise
// (routeQueue).
func (s *Spool) scheduleLocked(e *entry) {
	t, ok := dueTime(&e.msg)
	if !ok || e.leased || e.moving || e.deleted || e.failed {
		s.unscheduleLocked(e)
		return
	}
	retry := !e.urgent && !slices.ContainsFunc(e.msg.Rcpts, func(r Recipient) bool { return r.State == Pending })
	if e.hidx >= 0 && e.retry != retry {
		s.unscheduleLocked(e)
	}
	if e.notBefore.After(t) {
		t = e.notBefore
	}
	e.due = t
	if e.hidx >= 0 {
		heap.Fix(s.due[e.msg.Env.Route].heap(e.retry), e.hidx)
		return
	}
	q := s.due[e.msg.Env.Route]
	if q == nil {
		q = &routeQueue{}
		s.due[e.msg.Env.Route] = q
	}
	e.retry = retry
	heap.Push(q.heap(retry), e)
}

func (s *Spool) unscheduleLocked(e *entry) {
	if e.hidx < 0 {
		return
	}
	q := s.due[e.msg.Env.Route]
	heap.Remove(q.heap(e.retry), e.hidx)
	if q.len() == 0 {
		delete(s.due, e.msg.Env.Route)
	}
}

// notifyLocked wakes Next and NextFor(route) calls waiting for a change.
func (s *Spool) notifyLocked(route string) {
	if ch := s.routeCh[route]; ch != nil {
		close(ch)
		delete(s.routeCh, route)
	}
	close(s.anyCh)
	s.anyCh = make(chan struct{})
}

// notifyAllLocked wakes every waiting Next and NextFor.
func (s *Spool) notifyAllLocked() {
	for r, ch := range s.routeCh {
		close(ch)
		delete(s.routeCh, r)
	}
	close(s.anyCh)
	s.anyCh = make(chan struct{})
}

func (s *Spool) kickJanitor() {
	select {
	case s.janitorKick <- struct{}{}:
	default:
	}
}

// beginLocked notes an append in flight: segments from the current one on
// are not removed until endLocked, so a record written but not yet in the
// index never loses its segment.
func (s *Spool) beginLocked() uint64 { return s.refs.Begin(s.log) }

func (s *Spool) endLocked(seg uint64) { s.refs.End(seg) }

func (s *Spool) usable() error {
	switch {
	case s.closed:
		return ErrClosed
	case s.opt.ReadOnly:
		return ErrReadOnly
	}
	return nil
}

// NewID returns a fresh message id (16 characters, time-ordered, safe in
// file names and SMTP replies) for callers that need it before PutID, for
// example to name the message in its Received: line. It keeps no state: 48
// bits of milliseconds and 32 random bits; PutID refuses an id in use.
func NewID() string { return seglog.NewID(time.Now()) }

// validID: ids appear in file names, log lines and SMTP replies.
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

// Put stores a message for every recipient in env.To and returns its id
// once the record is durable. body must yield exactly size bytes; it is
// streamed into the log.
func (s *Spool) Put(env Envelope, body io.Reader, size int64) (string, error) {
	s.mu.Lock()
	id := s.ids.New(s.now())
	for s.msgs[id] != nil || s.putting[id] { // only if the clock went back past an old id
		id = s.ids.New(s.now())
	}
	s.mu.Unlock()
	if err := s.PutID(id, env, body, size); err != nil {
		return "", err
	}
	return id, nil
}

// Lock takes the lock that an open (writing) Spool holds on dir, without
// opening the spool: while it is held no gateway runs on dir. It fails at
// once, wrapping syscall.EWOULDBLOCK, while a gateway holds it. Close
// releases it.
func Lock(dir string) (io.Closer, error) {
	c, err := seglog.LockDir(dir)
	if err != nil {
		return nil, fmt.Errorf("spool: %w", err)
	}
	return c, nil
}

// PutID is Put with an id the caller chose (see NewID). It fails if the id
// is malformed or already in use.
func (s *Spool) PutID(id string, env Envelope, body io.Reader, size int64) error {
	if len(env.To) == 0 {
		return fmt.Errorf("spool: put %s: no recipients", id)
	}
	if size < 0 {
		return fmt.Errorf("spool: put %s: invalid size %d", id, size)
	}
	if !validID(id) {
		return fmt.Errorf("spool: put %q: invalid id", id)
	}
	now := s.now()
	s.mu.Lock()
	if err := s.usable(); err != nil {
		s.mu.Unlock()
		return err
	}
	if s.msgs[id] != nil || s.putting[id] {
		s.mu.Unlock()
		return fmt.Errorf("spool: put %s: id in use", id)
	}
	s.putting[id] = true
	tok := s.beginLocked()
	s.mu.Unlock()

	m := Message{ID: id, Env: env, Size: size, Created: now}
	m = m.clone()
	m.Rcpts = make([]Recipient, len(env.To))
	for i, a := range env.To {
		m.Rcpts[i] = Recipient{Addr: a, State: Pending}
	}
	prefix, err := encodeMeta(m)
	var rec seglog.Record
	if err == nil {
		rec, err = s.log.Append(recMessage, id, io.MultiReader(bytes.NewReader(prefix), body), int64(len(prefix))+size)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.endLocked(tok)
	delete(s.putting, id)
	if err != nil {
		// A system call that failed (a full disk) may succeed later; a
		// body shorter or longer than its size never does.
		if errors.As(err, new(syscall.Errno)) {
			return fmt.Errorf("spool: put %s: %w: %w", id, ErrNotWritten, err)
		}
		return fmt.Errorf("spool: put %s: %w", id, err)
	}
	e := &entry{msg: m, rec: rec, bodyOff: int64(len(prefix)), hidx: -1}
	s.msgs[id] = e
	s.refs.Ref(rec.Seg)
	s.refs.Copy(id, rec.Seg)
	s.scheduleLocked(e)
	s.notifyLocked(e.msg.Env.Route)
	return nil
}

// Body returns the message body. It stays readable while the message is
// leased, even if the message is deleted meanwhile; without a lease it is
// valid until the message is finished.
func (s *Spool) Body(id string) (*io.SectionReader, error) {
	s.mu.Lock()
	e := s.msgs[id]
	if e == nil || e.deleted {
		s.mu.Unlock()
		return nil, fmt.Errorf("spool: body %s: %w", id, ErrNotFound)
	}
	rec, off, size := e.rec, e.bodyOff, e.msg.Size
	s.mu.Unlock()
	p, err := s.log.Payload(rec)
	if err != nil {
		return nil, fmt.Errorf("spool: body %s: %w", id, err)
	}
	return io.NewSectionReader(p, off, size), nil
}

// Next blocks until a message has a due recipient (pending, or deferred
// with its next attempt reached), leases it and returns a copy. A leased
// message is not handed out again until Update or Release. Put wakes a
// waiting Next at once. Of a route's due messages, new and requeued ones
// and those waiting for a retry are taken in turn, each kind oldest due
// first (routeQueue); of several routes, Next takes the route's choice
// that is due first.
func (s *Spool) Next(ctx context.Context) (*Message, error) { return s.next(ctx, "", true) }

// NextFor is Next restricted to messages whose Envelope.Route is route, so
// that each route's workers deliver only that route's mail.
func (s *Spool) NextFor(ctx context.Context, route string) (*Message, error) {
	return s.next(ctx, route, false)
}

func (s *Spool) next(ctx context.Context, route string, anyRoute bool) (*Message, error) {
	for {
		s.mu.Lock()
		if err := s.usable(); err != nil {
			s.mu.Unlock()
			return nil, err
		}
		now := s.now()
		var e *entry
		var q *routeQueue
		wait := time.Duration(-1)
		if anyRoute {
			// Each route's own choice; of those, the one due first.
			for _, rq := range s.due {
				c, w := rq.pick(now)
				switch {
				case c != nil:
					if e == nil || dueBefore(c, e) {
						e, q = c, rq
					}
				case w >= 0 && (wait < 0 || w < wait):
					wait = w
				}
			}
		} else if q = s.due[route]; q != nil {
			e, wait = q.pick(now)
		}
		if e != nil {
			q.lastRetry = e.retry
			s.unscheduleLocked(e)
			e.urgent = false
			e.leased = true
			e.leaseSeg = e.rec.Seg
			s.refs.Ref(e.leaseSeg)
			m := e.msg.clone()
			s.mu.Unlock()
			return &m, nil
		}
		var ch chan struct{}
		if anyRoute {
			ch = s.anyCh
		} else if ch = s.routeCh[route]; ch == nil {
			ch = make(chan struct{})
			s.routeCh[route] = ch
		}
		s.mu.Unlock()
		var timer *time.Timer
		var tc <-chan time.Time
		if wait >= 0 {
			timer = time.NewTimer(wait)
			tc = timer.C
		}
		select {
		case <-ctx.Done():
			if timer != nil {
				timer.Stop()
			}
			return nil, ctx.Err()
		case <-ch:
		case <-tc:
		}
		if timer != nil {
			timer.Stop()
		}
	}
}

// endLeaseLocked ends e's lease; it reports false if e was deleted
// meanwhile (and is now gone).
func (s *Spool) endLeaseLocked(e *entry) bool {
	e.leased = false
	s.refs.Unref(e.leaseSeg)
	e.leaseSeg = 0
	s.kickJanitor()
	if e.deleted {
		if !e.moving {
			delete(s.msgs, e.msg.ID)
		}
		return false
	}
	return true
}

func (s *Spool) applyKickLocked(e *entry) {
	if !e.kicked {
		return
	}
	e.kicked = false
	e.notBefore = time.Time{}
	now := s.now()
	for i := range e.msg.Rcpts {
		if e.msg.Rcpts[i].State == Deferred {
			e.msg.Rcpts[i].NextAttempt = now
		}
	}
}

func sameRecipients(old, new []Recipient) error {
	if len(old) != len(new) {
		return fmt.Errorf("%d recipients, message has %d", len(new), len(old))
	}
	for i := range old {
		if old[i].Addr != new[i].Addr {
			return fmt.Errorf("recipient %d is %q, message has %q", i, new[i].Addr, old[i].Addr)
		}
	}
	return checkRcpts(new)
}

// Update records the recipients' new states durably and ends the lease.
// rcpts is the whole list, in the order Next returned it. When every
// recipient is Done the message is finished; when every one is Done or
// Failed it is kept as failed until Delete.
//
// If the record cannot be written (ErrNotWritten) the lease is kept, so
// that no other worker sends the message again while the outcome of
// this attempt is not on disk: the caller retries Update, or calls
// Release when it gives up (a restart then sends it again, as after a
// crash).
func (s *Spool) Update(id string, rcpts []Recipient) error {
	s.mu.Lock()
	if err := s.usable(); err != nil {
		s.mu.Unlock()
		return err
	}
	e := s.msgs[id]
	switch {
	case e == nil:
		s.mu.Unlock()
		return fmt.Errorf("spool: update %s: %w", id, ErrNotFound)
	case !e.leased:
		s.mu.Unlock()
		return fmt.Errorf("spool: update %s: %w", id, ErrNotLeased)
	}
	if err := sameRecipients(e.msg.Rcpts, rcpts); err != nil {
		s.mu.Unlock()
		return fmt.Errorf("spool: update %s: %w", id, err)
	}
	err := s.commitLocked(e, slices.Clone(rcpts), "update", true)
	s.mu.Unlock()
	return err
}

// commitLocked records rc as the recipient states of e, which the caller
// holds leased, durably; it ends the lease and applies the states. s.mu
// is held on entry and on return, and released while the record is
// written. op names the caller in errors. If the record cannot be
// written, keep says whether the lease stays with the caller.
func (s *Spool) commitLocked(e *entry, rc []Recipient, op string, keep bool) error {
	id := e.msg.ID
	tok := s.beginLocked()
	s.mu.Unlock()

	payload, err := json.Marshal(diskState{Rcpts: toDiskRcpts(rc)})
	var rec seglog.Record
	if err == nil {
		rec, err = s.log.Append(recState, id, bytes.NewReader(payload), int64(len(payload)))
	}
	s.mu.Lock()
	s.endLocked(tok)
	if err != nil && keep && !e.deleted {
		return fmt.Errorf("spool: %s %s: %w: %w", op, id, ErrNotWritten, err)
	}
	if !s.endLeaseLocked(e) {
		return fmt.Errorf("spool: %s %s: deleted meanwhile: %w", op, id, ErrNotFound)
	}
	defer s.notifyLocked(e.msg.Env.Route)
	if err != nil {
		s.scheduleLocked(e)
		return fmt.Errorf("spool: %s %s: %w: %w", op, id, ErrNotWritten, err)
	}
	s.setState(e, rc, rec.Seg)
	e.notBefore = time.Time{}
	s.applyKickLocked(e)
	s.applyOutcome(e, rec.Seg)
	if !e.deleted && s.msgs[id] == e {
		s.scheduleLocked(e)
	}
	return nil
}

// Release ends a lease without a change.
func (s *Spool) Release(id string) { s.handBack(id, time.Time{}) }

// Postpone ends a lease without a change, as Release does, and holds
// the message back until until: a delivery worker that does not attempt
// it now (its next hop is suspended) hands it back without writing
// anything. The hold is in memory only; Update, Kick, KickAll and Resume
// end it, and after a restart the recorded next attempts apply.
func (s *Spool) Postpone(id string, until time.Time) { s.handBack(id, until) }

// handBack ends a lease without a change, the message held back until
// notBefore (zero: not held).
func (s *Spool) handBack(id string, notBefore time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	e := s.msgs[id]
	if e == nil || !e.leased {
		return
	}
	if s.endLeaseLocked(e) {
		if !notBefore.IsZero() {
			e.notBefore = notBefore
		}
		s.applyKickLocked(e) // a kick during the lease wins
		s.scheduleLocked(e)
		s.notifyLocked(e.msg.Env.Route)
	}
}

// Resume ends the holds (Postpone) of every message whose
// Envelope.Route is route: they are due again at their recorded next
// attempts. It reports how many were held.
func (s *Spool) Resume(route string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, e := range s.msgs {
		if e.notBefore.IsZero() || e.msg.Env.Route != route {
			continue
		}
		n++
		e.notBefore = time.Time{}
		if !e.leased && !e.moving && !e.deleted {
			s.scheduleLocked(e)
		}
	}
	if n > 0 {
		s.notifyLocked(route)
	}
	return n
}

// Kick makes the deferred recipients of a message due now, taken in turn
// with new mail rather than after the retries already due (routeQueue),
// for its next attempt. It changes only the in-memory schedule: after a
// restart the recorded next attempt applies again.
func (s *Spool) Kick(id string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	e := s.msgs[id]
	if e == nil || e.deleted {
		return fmt.Errorf("spool: kick %s: %w", id, ErrNotFound)
	}
	e.urgent = true
	s.kickLocked(e)
	s.notifyLocked(e.msg.Env.Route)
	return nil
}

// KickAll makes every deferred recipient due now. They stay retries:
// taken in turn with new mail (routeQueue), not all before it.
func (s *Spool) KickAll() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, e := range s.msgs {
		if !e.deleted {
			s.kickLocked(e)
		}
	}
	s.notifyAllLocked()
}

func (s *Spool) kickLocked(e *entry) {
	e.kicked = true
	if !e.leased && !e.moving {
		s.applyKickLocked(e)
		s.scheduleLocked(e)
	}
}

// Delete removes a message (pending, deferred or failed) with a durable
// tombstone. A delivery worker holding it keeps reading its body until it
// calls Update (which then reports ErrNotFound) or Release.
func (s *Spool) Delete(id string) error {
	s.mu.Lock()
	if err := s.usable(); err != nil {
		s.mu.Unlock()
		return err
	}
	e := s.msgs[id]
	if e == nil || e.deleted {
		s.mu.Unlock()
		return fmt.Errorf("spool: delete %s: %w", id, ErrNotFound)
	}
	defer s.mu.Unlock()
	rec, err := s.tombstoneLocked(id)
	if err != nil {
		return fmt.Errorf("spool: delete %s: %w", id, err)
	}
	if s.msgs[id] == e && !e.deleted {
		s.finishLocked(e, rec.Seg)
		s.kickJanitor()
	}
	return nil
}

// tombstoneLocked writes the record that deletes id. s.mu is held on
// entry and on return, and released while the record is written.
func (s *Spool) tombstoneLocked(id string) (seglog.Record, error) {
	tok := s.beginLocked()
	s.mu.Unlock()
	rec, err := s.log.Append(recDelete, id, bytes.NewReader(nil), 0)
	s.mu.Lock()
	s.endLocked(tok)
	return rec, err
}

// DeleteIf deletes a message as Delete does, but only if ok holds for it
// and no delivery worker holds it, both checked and kept so while the
// record is written: a requeue that comes meanwhile waits (ErrBusy) and
// is not undone. It reports whether the message was deleted; a message
// ok refuses is false, nil.
func (s *Spool) DeleteIf(id string, ok func(Message) bool) (bool, error) {
	s.mu.Lock()
	if err := s.usable(); err != nil {
		s.mu.Unlock()
		return false, err
	}
	e := s.msgs[id]
	switch {
	case e == nil || e.deleted:
		s.mu.Unlock()
		return false, fmt.Errorf("spool: delete %s: %w", id, ErrNotFound)
	case e.leased || e.moving:
		s.mu.Unlock()
		return false, fmt.Errorf("spool: delete %s: %w", id, ErrBusy)
	case !ok(e.msg.clone()):
		s.mu.Unlock()
		return false, nil
	}
	// A lease, as Requeue takes one, keeps workers, requeues and the
	// compactor off it while the record is written.
	e.leased = true
	e.leaseSeg = e.rec.Seg
	s.refs.Ref(e.leaseSeg)
	s.unscheduleLocked(e)
	defer s.mu.Unlock()
	rec, err := s.tombstoneLocked(id)
	if err != nil {
		if s.endLeaseLocked(e) {
			s.scheduleLocked(e)
		}
		return false, fmt.Errorf("spool: delete %s: %w", id, err)
	}
	// A Delete that came meanwhile finished it already (the lease kept
	// it in the map): finished twice, its segment would lose a
	// reference another message's body holds.
	if !e.deleted {
		s.finishLocked(e, rec.Seg)
	}
	s.endLeaseLocked(e)
	return true, nil
}

// Requeue puts the failed recipients of a message back in the queue, due
// now, for a new delivery after the cause was fixed (the next hop refused
// a mailbox that exists by now, say). Each keeps its attempts and last
// error and is marked Requeued at, from which its retry lifetime counts
// again. The change is durable. It returns how many were requeued: 0 when
// none had failed. A message a delivery worker holds is ErrBusy.
func (s *Spool) Requeue(id string, at time.Time) (int, error) {
	s.mu.Lock()
	if err := s.usable(); err != nil {
		s.mu.Unlock()
		return 0, err
	}
	e := s.msgs[id]
	switch {
	case e == nil || e.deleted:
		s.mu.Unlock()
		return 0, fmt.Errorf("spool: requeue %s: %w", id, ErrNotFound)
	case e.leased || e.moving:
		s.mu.Unlock()
		return 0, fmt.Errorf("spool: requeue %s: %w", id, ErrBusy)
	}
	rc := slices.Clone(e.msg.Rcpts)
	n := 0
	for i := range rc {
		if rc[i].State == Failed {
			rc[i].State, rc[i].NextAttempt, rc[i].Requeued, rc[i].RequeuedAttempts, rc[i].FailedAt = Pending, time.Time{}, at, rc[i].Attempts, time.Time{}
			n++
		}
	}
	if n == 0 {
		s.mu.Unlock()
		return 0, nil
	}
	// A lease, as Next takes one, keeps workers and the compactor off it
	// while the record is written.
	e.leased = true
	e.leaseSeg = e.rec.Seg
	s.refs.Ref(e.leaseSeg)
	s.unscheduleLocked(e)
	err := s.commitLocked(e, rc, "requeue", false)
	s.mu.Unlock()
	if err != nil {
		return 0, err
	}
	return n, nil
}

// Get returns a copy of a live message.
func (s *Spool) Get(id string) (Message, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	e := s.msgs[id]
	if e == nil || e.deleted {
		return Message{}, fmt.Errorf("spool: get %s: %w", id, ErrNotFound)
	}
	return e.msg.clone(), nil
}

// List returns every live message (including failed ones) in id order,
// which is arrival order.
func (s *Spool) List() []Message {
	s.mu.Lock()
	out := make([]Message, 0, len(s.msgs))
	for _, e := range s.msgs {
		if !e.deleted {
			out = append(out, e.msg.clone())
		}
	}
	s.mu.Unlock()
	slices.SortFunc(out, func(a, b Message) int { return strings.Compare(a.ID, b.ID) })
	return out
}

// Select returns copies of the live messages match takes, in arrival
// order, at most limit of them (0: none), and how many it took in all.
// Only those returned are copied: a listing of a queue of tens of
// thousands holds its ids, not the whole queue. match is called with the
// spool locked and must not call the spool; it must not keep m.
func (s *Spool) Select(match func(m *Message) bool, limit int) (out []Message, total int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	ids := make([]string, 0, len(s.msgs))
	for id, e := range s.msgs {
		if !e.deleted {
			ids = append(ids, id)
		}
	}
	slices.Sort(ids)
	for _, id := range ids {
		e := s.msgs[id]
		if !match(&e.msg) {
			continue
		}
		total++
		if len(out) < limit {
			out = append(out, e.msg.clone())
		}
	}
	return out, total
}

// Stats counts live messages: active ones have a pending recipient or are
// being delivered, deferred ones wait only for retries, failed ones wait
// for an operator. oldest is the creation time of the oldest message that
// is not failed (zero if none).
func (s *Spool) Stats() (active, deferred, failed int, oldest time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, e := range s.msgs {
		switch {
		case e.deleted:
			continue
		case e.failed:
			failed++
			continue
		case e.leased || slices.ContainsFunc(e.msg.Rcpts, func(r Recipient) bool { return r.State == Pending }):
			active++
		default:
			deferred++
		}
		if oldest.IsZero() || e.msg.Created.Before(oldest) {
			oldest = e.msg.Created
		}
	}
	return active, deferred, failed, oldest
}

// Segments lists the log's segment files (for tests and diagnostics).
func (s *Spool) Segments() []seglog.Segment { return s.log.Segments() }

// LogStats are the underlying log's counters (appends, fsyncs, bytes).
func (s *Spool) LogStats() seglog.Stats { return s.log.Stats() }

// Err reports why the spool's log failed for good (a failed fsync), or
// nil: no message can be spooled or updated until the spool is opened
// again, by a restart.
func (s *Spool) Err() error { return s.log.Err() }

// Close stops the janitor, makes everything durable and closes the log.
// Next calls waiting return ErrClosed.
func (s *Spool) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return ErrClosed
	}
	s.closed = true
	s.notifyAllLocked()
	s.mu.Unlock()
	close(s.stop)
	s.wg.Wait()
	if err := s.log.Close(); err != nil {
		return fmt.Errorf("spool: close: %w", err)
	}
	return nil
}

func (s *Spool) janitor() {
	defer s.wg.Done()
	t := time.NewTicker(s.opt.CompactInterval)
	defer t.Stop()
	for {
		select {
		case <-s.stop:
			return
		case <-t.C:
			if err := s.Compact(); err != nil {
				s.logger.Error("spool: compaction", "err", err)
			}
		case <-s.janitorKick:
			s.rmu.Lock()
			err := s.removeDead()
			s.rmu.Unlock()
			if err != nil {
				s.logger.Error("spool: removing finished segments", "err", err)
			}
		}
	}
}

// removeDead removes every sealed segment nothing references, repeating
// while removals release final-record pins. The caller holds rmu.
func (s *Spool) removeDead() error {
	return s.log.RemoveDead(&s.mu, s.refs, func() bool { return s.closed })
}

// moveJob is one message being copied forward.
type moveJob struct {
	e    *entry
	full bool    // copy the message record (body and state); else only a state record
	snap Message // recipients as they are now; no lease can change them while moving
	rec  seglog.Record
	pre  int64
}

// Compact copies forward the live messages of old, mostly dead segments and
// removes the segments nothing needs any more. The janitor runs it every
// CompactInterval; it is exported for tests and operators.
func (s *Spool) Compact() error {
	if s.opt.ReadOnly {
		return ErrReadOnly
	}
	s.rmu.Lock()
	defer s.rmu.Unlock()
	// A copy or a rotation that fails (a full disk) must not keep the
	// dead sealed segments, which free space, from going.
	cerr := s.copyForward()
	var rerr error
	if cerr == nil {
		rerr = s.rotateDead()
	}
	if err := errors.Join(cerr, rerr, s.removeDead()); err != nil {
		return fmt.Errorf("spool: compact: %w", err)
	}
	return nil
}

// rotateDeadAt is the size from which a current segment holding nothing
// live is sealed, so that removeDead can take it.
const rotateDeadAt = 1 << 20

// rotateDead seals the current segment when nothing live is in it and it
// has grown past rotateDeadAt: a queue that emptied left it full of the
// records of delivered messages, which only sealed segments are removed
// for. On a spool disk not much larger than spool_min_free and a segment,
// those dead records kept the gateway under its floor, refusing mail
// with nothing queued, through restarts (an operator review). The
// caller holds rmu.
func (s *Spool) rotateDead() error {
	cur := s.log.Current()
	var size int64
	for _, sg := range s.log.Segments() {
		if sg.Seq == cur {
			size = sg.Size
		}
	}
	if size < rotateDeadAt {
		return nil
	}
	s.mu.Lock()
	used := s.refs.Used(cur) || s.closed
	s.mu.Unlock()
	if used {
		return nil
	}
	return s.log.Rotate()
}

func (s *Spool) copyForward() error {
	cutoff := time.Now().Add(-s.opt.CompactAge)
	old := map[uint64]int64{} // sealed, old segment → size
	for _, sg := range s.log.Segments() {
		if !sg.Current && sg.ModTime.Before(cutoff) {
			old[sg.Seq] = sg.Size
		}
	}
	if len(old) == 0 {
		return nil
	}
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	live := map[uint64]int64{}
	for _, e := range s.msgs {
		if e.deleted {
			continue
		}
		if _, ok := old[e.rec.Seg]; ok {
			live[e.rec.Seg] += e.rec.Len()
		}
	}
	var jobs []*moveJob
	for _, e := range s.msgs {
		if e.deleted || e.leased || e.moving {
			continue
		}
		bodyOld := old[e.rec.Seg] > 0 && live[e.rec.Seg]*liveFraction <= old[e.rec.Seg]
		stateOld := e.stateSeg != 0 && old[e.stateSeg] > 0 && live[e.stateSeg]*liveFraction <= old[e.stateSeg]
		if !bodyOld && !stateOld {
			continue
		}
		e.moving = true
		s.refs.Ref(e.rec.Seg) // the body must stay readable while it is copied
		s.unscheduleLocked(e)
		jobs = append(jobs, &moveJob{e: e, full: bodyOld, snap: e.msg.clone()})
	}
	if len(jobs) == 0 {
		s.mu.Unlock()
		return nil
	}
	tok := s.beginLocked()
	s.mu.Unlock()

	var werr error
	var last seglog.Record
	for _, j := range jobs {
		if werr != nil {
			break
		}
		if j.full {
			var prefix []byte
			prefix, werr = encodeMeta(j.snap)
			if werr != nil {
				break
			}
			var p *io.SectionReader
			p, werr = s.log.Payload(j.e.rec)
			if werr != nil {
				break
			}
			body := io.NewSectionReader(p, j.e.bodyOff, j.snap.Size)
			j.pre = int64(len(prefix))
			j.rec, werr = s.log.Write(recMessage, j.snap.ID, io.MultiReader(bytes.NewReader(prefix), body), j.pre+j.snap.Size)
		} else {
			var payload []byte
			payload, werr = json.Marshal(diskState{Rcpts: toDiskRcpts(j.snap.Rcpts)})
			if werr == nil {
				j.rec, werr = s.log.Write(recState, j.snap.ID, bytes.NewReader(payload), int64(len(payload)))
			}
		}
		if werr == nil {
			last = j.rec
		}
	}
	if last.ID != "" {
		if err := s.log.Commit(last); err != nil && werr == nil {
			werr = err
		}
	}

	s.mu.Lock()
	var tombs []string
	for _, j := range jobs {
		e := j.e
		e.moving = false
		s.refs.Unref(e.rec.Seg)
		// A record that was written is adopted even if a later one failed:
		// it is in the log and replay will see it.
		written := j.rec.ID != ""
		switch {
		case e.deleted:
			if written && j.full {
				// Deleted while being copied: the copy may follow the
				// tombstone in the log, so it needs a tombstone of its own.
				s.refs.Copy(e.msg.ID, j.rec.Seg)
				tombs = append(tombs, e.msg.ID)
			}
			if !e.leased {
				delete(s.msgs, e.msg.ID)
			}
			continue
		case !written:
		case j.full:
			s.refs.Unref(e.rec.Seg)
			if e.stateSeg != 0 {
				s.refs.Unref(e.stateSeg)
				e.stateSeg = 0
			}
			e.rec, e.bodyOff = j.rec, j.pre
			s.refs.Ref(e.rec.Seg)
			s.refs.Copy(e.msg.ID, e.rec.Seg)
		default:
			s.refs.Unref(e.stateSeg)
			e.stateSeg = j.rec.Seg
			s.refs.Ref(e.stateSeg)
		}
		s.applyKickLocked(e)
		s.scheduleLocked(e)
	}
	s.notifyAllLocked()
	s.mu.Unlock()

	for _, id := range tombs {
		rec, err := s.log.Append(recDelete, id, bytes.NewReader(nil), 0)
		if err != nil {
			werr = errors.Join(werr, err)
			continue
		}
		s.mu.Lock()
		s.refs.Finish(id, rec.Seg)
		s.mu.Unlock()
	}
	s.mu.Lock()
	s.endLocked(tok)
	s.mu.Unlock()
	return werr
}
