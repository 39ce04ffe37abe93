package gateway

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/emersion/go-message/textproto"

	"mugai/sanitize"
)

// AuditRecord is one line of the audit trail: a message accepted or
// refused, a delivery outcome, a release or purge. Field names are
// stable; the body of a message and secrets never appear.
type AuditRecord struct {
	Time    time.Time `json:"time"`
	Event   string    `json:"event"` // accept, delivery, bounce, delete, release, export, purge, lockdown, reload, control, audit (records lost, a partial line cut)
	Route   string    `json:"route,omitempty"`
	Client  string    `json:"client,omitempty"`
	TLS     bool      `json:"tls"` // accept records only, false included (see MarshalJSON)
	EHLO    string    `json:"ehlo,omitempty"`
	Sender  string    `json:"sender,omitempty"`
	Rcpts   []string  `json:"recipients,omitempty"`
	Refused []refusal `json:"refused,omitempty"`
	// Duplicates counts RCPTs that named a recipient already accepted in
	// the transaction (also in another form, "<@relay:user@…>"): answered
	// 250, delivered once.
	Duplicates int   `json:"duplicate_recipients,omitempty"`
	Size       int64 `json:"size,omitempty"`
	// MessageID is the message's Message-ID (accept records), for an
	// operator handed one by a user or the next hop's log.
	MessageID string `json:"message_id,omitempty"`
	Policy    string `json:"policy,omitempty"`
	// Verdict: rebuilt, rejected, passed, refused, abandoned, too-big,
	// line-too-long, loop (more than maxHops Received fields), timeout,
	// revoked (a reload took away what admitted the session while its
	// message was sent), error; for deliveries:
	// delivered, deferred, failed.
	Verdict        string              `json:"verdict,omitempty"`
	Reason         string              `json:"reason,omitempty"`
	Actions        []string            `json:"actions,omitempty"`
	Removed        []AuditAttachment   `json:"attachments_removed,omitempty"`
	Kept           []AuditAttachment   `json:"attachments_kept,omitempty"` // SHA-256 of the original; Reason says what was changed
	Findings       []sanitize.Finding  `json:"findings,omitempty"`
	QuarantineID   string              `json:"quarantine_id,omitempty"`
	QuarantineFull bool                `json:"quarantine_full,omitempty"`
	QueueID        string              `json:"queue_id,omitempty"`
	Reply          int                 `json:"reply,omitempty"`
	Lockdown       bool                `json:"lockdown,omitempty"`
	Delivery       []AuditDeliveryRcpt `json:"delivery,omitempty"`
	NextHop        string              `json:"next_hop,omitempty"`
	Again          bool                `json:"again,omitempty"` // a release that delivers an original again to recipients an earlier release reached
	User           string              `json:"user,omitempty"`  // who ran a release, purge or delete
	// Config and ConfigSHA256 name the configuration file a reload read
	// and the SHA-256 of its bytes (sha256sum's), as the log does.
	Config       string `json:"config,omitempty"`
	ConfigSHA256 string `json:"config_sha256,omitempty"`
	Why          string `json:"why,omitempty"`
	Prev         string `json:"prev"` // SHA-256 of the previous line (完全性)

	// committed: the record was written before its action was done
	// (Commit); a failure afterwards is a second record.
	committed bool
}

// MarshalJSON writes the record with its fixed field names. An accept
// record always has "tls", false included, so that
// jq 'select(.tls==false)' finds the sessions without TLS; other events
// have no SMTP session and no "tls".
func (r AuditRecord) MarshalJSON() ([]byte, error) {
	type plain AuditRecord // without this method
	if r.Event == "accept" {
		return marshalRecord(plain(r))
	}
	return marshalRecord(struct {
		plain
		TLS *bool `json:"tls,omitempty"` // hides plain's tls; always nil
	}{plain: plain(r)})
}

// marshalRecord is json.Marshal without its HTML escaping: a record
// keeps <, > and & as written (a Message-ID <id@host>, an address, a
// reply), so that grep '<id@host>' finds it, where json.Marshal writes
// \u003cid@host\u003e. The chain does not mind: every line's hash is
// taken over its bytes as stored (lineHash on write, rangeHash at start,
// VerifyAuditChain), never over a record marshalled again, so lines
// written escaped before keep verifying, alone or followed by these
// (TestAuditOldEscapedTrail).
func marshalRecord(v any) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n")), nil
}

// AuditAttachment is a removed or kept part, as the audit trail lists it.
type AuditAttachment struct {
	Name   string `json:"name,omitempty"`
	Type   string `json:"type,omitempty"`
	Class  string `json:"class,omitempty"`
	SHA256 string `json:"sha256,omitempty"`
	Reason string `json:"reason,omitempty"`
}

// AuditDeliveryRcpt is one recipient's delivery outcome.
type AuditDeliveryRcpt struct {
	Rcpt  string `json:"rcpt"`
	State string `json:"state"`
	Code  int    `json:"code,omitempty"`
	Text  string `json:"text,omitempty"`
}

func (r *AuditRecord) fromReport(rep *sanitize.Report) {
	r.Verdict, r.Reason, r.Actions, r.Findings = rep.Verdict, rep.Reason, rep.Actions, rep.Findings
	r.MessageID = auditMessageID(rep.MessageID)
	for _, p := range rep.Parts {
		a := AuditAttachment{Name: p.Filename, Type: p.SniffedType, Class: p.Class, SHA256: p.SHA256, Reason: p.Reason}
		switch {
		case p.Removed():
			r.Removed = append(r.Removed, a)
		case p.Decision == sanitize.DecisionKeep:
			r.Kept = append(r.Kept, a)
		}
	}
}

// auditMessageID is a Message-ID fit for the audit trail: at most
// maxAuditMessageID bytes, without control or invisible formatting
// characters, which the sanitiser's report drops too (the field is the
// sender's to write).
func auditMessageID(id string) string {
	var b strings.Builder
	for _, r := range strings.TrimSpace(id) {
		if r == utf8.RuneError || r == '\t' || !printable(string(r)) {
			continue
		}
		if b.Len()+utf8.RuneLen(r) > maxAuditMessageID {
			break
		}
		b.WriteRune(r)
	}
	return b.String()
}

// maxAuditMessageID bounds the Message-ID an audit record holds; real
// ones are under 100 bytes.
const maxAuditMessageID = 256

// headerMessageID reads the Message-ID of a message that is not
// sanitised (a pass-through route) from its header section, read up to
// 64 KiB: a longer one gives none.
func headerMessageID(r io.Reader) string {
	lr := &io.LimitedReader{R: r, N: 64 << 10}
	br := bufio.NewReader(lr)
	h, err := textproto.ReadHeader(br)
	// ReadHeader takes the end of its input for the end of the header
	// section: at the limit, with nothing read past the header, the
	// section may go on, its last field (the Message-ID, say) cut.
	if err != nil || lr.N == 0 && br.Buffered() == 0 {
		return ""
	}
	return auditMessageID(h.Get("Message-Id"))
}

func reportJSON(rep *sanitize.Report) json.RawMessage {
	b, err := json.Marshal(rep)
	if err != nil {
		return nil
	}
	return b
}

// Audit is the append-only, hash-chained audit trail: each line carries
// the SHA-256 of the line before it, so that changing or deleting a line
// breaks the chain at that point (mugai audit verify finds it).
//
// A record that cannot be written (the disk is full) is held in memory,
// up to maxPending, and written, in order, before the next one once
// writing works again; a partial line is cut off, so the chain stays
// whole. Meanwhile Ready reports the failure, and the gateway refuses
// mail with 451 rather than accept it without an audit record.
type Audit struct {
	mu      sync.Mutex
	w       io.Writer
	f       *os.File // nil for stdout
	cut     int64    // > 0: f must be cut to this size (a partial line)
	path    string
	prev    string
	err     func(error)
	pending []heldRecord // not yet written, oldest first
	failed  error        // the last write failed; nil once one succeeds
	// Cut is the length of a partial last line OpenAudit cut off (0:
	// none), for the caller's log.
	Cut int
}

// maxPending bounds the records held while the trail cannot be written.
// Mail is refused meanwhile, so what comes is refused sessions,
// deliveries and control calls.
const maxPending = 10000

// OpenAudit opens the audit trail at target ("stdout" or a file path),
// continuing the chain of an existing file.
//
// A file whose last line has no line break was cut short while it was
// written (records are appended without an fsync each, so a power loss
// can leave part of the last one). Continued as it was, the next record
// would be glued to the fragment, neither would read as a record, and
// the chain would stay broken at that line for good. The fragment is cut
// off, and the first record written says how long it was and its
// SHA-256 (Cut tells the caller). A last line that is a whole record
// without its line break only gets the line break.
func OpenAudit(target string, onError func(error)) (*Audit, error) {
	if target == "" || target == "stdout" {
		return &Audit{w: os.Stdout, err: onError}, nil
	}
	f, err := os.OpenFile(target, os.O_CREATE|os.O_RDWR|os.O_APPEND, 0o600)
	if err != nil {
		return nil, fmt.Errorf("audit trail: %w", err) // "open FILE: …"
	}
	a := &Audit{w: f, f: f, path: target, err: onError}
	if err := a.continueChain(); err != nil {
		f.Close()
		return nil, fmt.Errorf("audit: read %s: %w", target, err)
	}
	return a, nil
}

// continueChain sets prev from the file's last line, after mending a
// last line cut short (OpenAudit). The line is hashed as it is read, not
// held: a crash can leave a long run of zero bytes at the end.
func (a *Audit) continueChain() error {
	st, err := a.f.Stat()
	if err != nil {
		return err
	}
	start, end, whole, err := lastLine(a.f, st.Size())
	if err != nil {
		return err
	}
	n := end - start
	if !whole && n <= maxAuditLine {
		// Longer, it is no line mugai audit verify reads: a fragment.
		line := make([]byte, n)
		if _, err := a.f.ReadAt(line, start); err != nil && !errors.Is(err, io.EOF) {
			return err
		}
		if isRecord(line) {
			if _, err := a.f.Write([]byte("\n")); err != nil {
				return fmt.Errorf("end the last line: %w", err)
			}
			whole = true
		}
	}
	if whole {
		if n > 0 {
			if a.prev, err = rangeHash(a.f, start, end); err != nil {
				return err
			}
		}
		return a.cutEmptyLines(st.Size(), end)
	}
	cut, err := rangeHash(a.f, start, end)
	if err != nil {
		return err
	}
	if err := a.f.Truncate(start); err != nil {
		return fmt.Errorf("cut off a partial last line: %w", err)
	}
	if err := a.f.Sync(); err != nil {
		return fmt.Errorf("cut off a partial last line: %w", err)
	}
	if pstart, pend, _, err := lastLine(a.f, start); err != nil {
		return err
	} else if pend > pstart {
		if a.prev, err = rangeHash(a.f, pstart, pend); err != nil {
			return err
		}
	}
	a.Cut = int(n)
	a.Write(&AuditRecord{Time: time.Now().UTC(), Event: "audit", Verdict: "cut",
		Reason: fmt.Sprintf("a partial line of %d bytes (SHA-256 %s) at the end of the trail was cut off at start: the last write before the gateway stopped did not complete", n, cut)})
	return nil
}

// cutEmptyLines cuts the empty lines after the last line, which ends at
// end in a file of size bytes: they are no records, and mugai audit
// verify would stop at the first of them for good.
func (a *Audit) cutEmptyLines(size, end int64) error {
	keep := end + 1 // the last line's line break stays
	if end == 0 {
		keep = 0 // nothing but empty lines
	}
	if size <= keep {
		return nil
	}
	if err := a.f.Truncate(keep); err != nil {
		return fmt.Errorf("cut off empty last lines: %w", err)
	}
	a.Write(&AuditRecord{Time: time.Now().UTC(), Event: "audit", Verdict: "cut",
		Reason: fmt.Sprintf("%d empty lines at the end of the trail were cut off at start: they are no records", size-keep)})
	return nil
}

// maxAuditLine is the longest line VerifyAuditChain reads.
const maxAuditLine = 16 << 20

// isRecord reports whether line is a whole audit record.
func isRecord(line []byte) bool {
	var rec struct {
		Prev *string `json:"prev"`
	}
	return json.Unmarshal(line, &rec) == nil && rec.Prev != nil
}

// lastLine returns where the last line of the first size bytes of f
// starts and ends (without its line break, and without empty lines after
// it), and whether it ended with a line break. It reads back as far as
// the line goes: a record may be longer than any fixed tail.
func lastLine(f *os.File, size int64) (start, end int64, whole bool, err error) {
	end = size
	var b [1]byte
	for end > 0 {
		if _, err := f.ReadAt(b[:], end-1); err != nil {
			return 0, 0, false, err
		}
		if b[0] != '\n' {
			break
		}
		end--
		whole = true
	}
	if size == 0 {
		whole = true
	}
	const chunk = 64 << 10
	buf := make([]byte, chunk)
	for pos := end; pos > 0; {
		n := min(chunk, pos)
		pos -= n
		if _, err := f.ReadAt(buf[:n], pos); err != nil && !errors.Is(err, io.EOF) {
			return 0, 0, false, err
		}
		if i := bytes.LastIndexByte(buf[:n], '\n'); i >= 0 {
			start = pos + int64(i) + 1
			break
		}
	}
	return start, end, whole, nil
}

// rangeHash is lineHash of the bytes of f from start to end, read a
// piece at a time.
func rangeHash(f *os.File, start, end int64) (string, error) {
	h := sha256.New()
	if _, err := io.Copy(h, io.NewSectionReader(f, start, end-start)); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// Reopen closes the file and opens its path again, for log rotation: the
// file moved away keeps its lines, and the new file's first line carries
// the hash of the old file's last, so the chain continues across files.
// rotated says the path named another file than the one written (it was
// moved away), and head is the hash the new file continues from: the
// gateway logs both, as it logs each end of the trail at start and stop.
func (a *Audit) Reopen() (head string, rotated bool, err error) {
	if a == nil || a.f == nil {
		return "", false, nil
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	f, err := os.OpenFile(a.path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		// The file written so far stays open, wherever it was moved:
		// no record is lost, but they go on into a file logrotate may
		// compress or delete. Only a log line said so; the operator's
		// alert (MugaiStorageErrors) and the trail itself now do too.
		err = fmt.Errorf("reopen %s: %w", a.path, err)
		a.report(fmt.Errorf("%w (records go on into the file written so far, wherever it was moved)", err))
		a.pending = append(a.pending, heldRecord{rec: AuditRecord{Time: time.Now().UTC(), Event: "audit", Verdict: "not-reopened",
			Reason: recordText("the trail was not reopened at a reload: "+err.Error()+"; records go on in this file", maxDetailBytes)}})
		a.flushLocked()
		return a.prev, false, fmt.Errorf("audit: %w", err)
	}
	if was, err := a.f.Stat(); err == nil {
		if is, err := f.Stat(); err == nil {
			rotated = !os.SameFile(was, is)
		}
	}
	if a.cut > 0 {
		a.f.Truncate(a.cut) // the old file ends with its last whole line
	}
	a.f.Sync()
	a.f.Close()
	a.f, a.w, a.cut = f, f, 0
	head = a.prev
	a.flushLocked()
	return head, rotated, nil
}

// isLineHash reports whether s is what lineHash returns.
func isLineHash(s string) bool {
	b, err := hex.DecodeString(s)
	return err == nil && len(b) == sha256.Size && s == strings.ToLower(s)
}

func lineHash(line []byte) string {
	h := sha256.Sum256(line)
	return hex.EncodeToString(h[:])
}

// Write appends one record; if it cannot be written now, it is held and
// written before the next one that can. A nil Audit discards.
func (a *Audit) Write(rec *AuditRecord) {
	if a == nil {
		return
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	switch n := len(a.pending); {
	case n < maxPending:
		a.pending = append(a.pending, heldRecord{rec: *rec})
	case a.pending[n-1].lost > 0:
		a.pending[n-1].lost++
	default:
		a.pending = append(a.pending, heldRecord{lost: 1})
	}
	a.flushLocked()
}

// Commit writes rec now and syncs the trail, for an action that must
// not happen before its record is on disk: an original handed out to a
// person, which no later refusal takes back. Unlike Write it holds
// nothing: while the trail cannot be written (records are held), or if
// this write or the sync fails, it returns the error, and the caller
// does not act and records that with Write. A write that failed leaves
// no part of its line (writeLocked); a sync that failed may leave the
// record in the file, which the caller's refusal then follows. A nil
// Audit discards.
func (a *Audit) Commit(rec *AuditRecord) error {
	if a == nil {
		return nil
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	a.flushLocked()
	if a.failed != nil {
		return a.failed
	}
	if err := a.writeLocked(rec); err != nil {
		a.report(fmt.Errorf("%w (records are held in memory, mail is refused until the trail can be written)", err))
		a.failed = err
		return err
	}
	if a.f != nil {
		if err := a.f.Sync(); err != nil {
			err = fmt.Errorf("sync: %w", err)
			a.report(err)
			return err
		}
	}
	return nil
}

// heldRecord is a record not yet written, or, with lost > 0, the place
// of that many records dropped because too many were held: a record then
// says so in the trail.
type heldRecord struct {
	rec  AuditRecord
	lost int
}

// Ready writes what is held and reports whether the trail can be written:
// the error of the last failed write, nil when the last write worked. A
// nil Audit is always ready.
func (a *Audit) Ready() error {
	if a == nil {
		return nil
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	a.flushLocked()
	return a.failed
}

// flushLocked writes the held records in order, stopping at the first
// that fails.
func (a *Audit) flushLocked() {
	for len(a.pending) > 0 {
		h := &a.pending[0]
		rec := &h.rec
		if h.lost > 0 {
			rec = &AuditRecord{Time: time.Now().UTC(), Event: "audit", Verdict: "lost",
				Reason: fmt.Sprintf("%d audit records were lost while the audit trail could not be written", h.lost)}
		}
		if err := a.writeLocked(rec); err != nil {
			if a.failed == nil {
				a.report(fmt.Errorf("%w (records are held in memory, mail is refused until the trail can be written)", err))
			} else {
				a.report(err)
			}
			a.failed = err
			return
		}
		a.pending[0] = heldRecord{}
		a.pending = a.pending[1:]
	}
	a.pending = nil
	a.failed = nil
}

// writeLocked appends one line. On failure it cuts off what the write
// left of the line: a partial line would break the chain for good.
func (a *Audit) writeLocked(rec *AuditRecord) error {
	if a.cut > 0 {
		// An earlier cut failed: the partial line goes first.
		if err := a.f.Truncate(a.cut); err != nil {
			return fmt.Errorf("cut off a partial line: %w", err)
		}
		a.cut = 0
	}
	rec.Prev = a.prev
	line, err := marshalRecord(rec)
	if err != nil {
		return err
	}
	n, err := a.w.Write(append(line, '\n'))
	if err != nil {
		if a.f != nil && n > 0 {
			if st, serr := a.f.Stat(); serr == nil {
				a.cut = st.Size() - int64(n)
				if a.f.Truncate(a.cut) == nil {
					a.cut = 0
				}
			}
		}
		return err
	}
	a.prev = lineHash(line)
	return nil
}

func (a *Audit) report(err error) {
	if a.err != nil {
		a.err(fmt.Errorf("audit: %w", err))
	}
}

// Close writes what is held, if it can, syncs and closes the file.
func (a *Audit) Close() error {
	if a == nil || a.f == nil {
		return nil
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	a.flushLocked()
	if n := len(a.pending); n > 0 {
		a.report(fmt.Errorf("closed with %d records not written", n))
	}
	if err := a.f.Sync(); err != nil {
		a.f.Close()
		return err
	}
	return a.f.Close()
}

// VerifyAudit checks the chain of an audit trail and returns the number
// of good lines; on a break it returns the 1-based line number that does
// not follow from the one before it.
func VerifyAudit(r io.Reader) (lines int, err error) {
	c, err := VerifyAuditChain(r)
	return c.Lines, err
}

// AuditChain is what VerifyAuditChain found in a trail whose chain holds.
//
// The chain shows a line changed, inserted or removed between others,
// but not lines removed at either end: the first line of a file may
// continue a rotated file's chain, and nothing follows the last. So a
// verification says where the file's chain begins and ends, for the
// auditor to hold against what the gateway logged (it logs the hash it
// continues from at each start and the last one it wrote at each stop,
// to the journal, out of reach of whoever can write the trail).
type AuditChain struct {
	Lines int
	// Continues is the prev of the first line: "" when the file starts
	// a chain, else the hash of a line in an earlier (rotated) file.
	Continues string
	// Last is the hash of the last line ("" for an empty file): the
	// prev of the next record the gateway writes.
	Last string
}

// VerifyAuditChain checks the chain of an audit trail (VerifyAudit) and
// says where it begins and ends.
func VerifyAuditChain(r io.Reader) (AuditChain, error) {
	var c AuditChain
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), maxAuditLine)
	for sc.Scan() {
		line := sc.Bytes()
		var rec struct {
			Prev *string `json:"prev"`
		}
		if err := json.Unmarshal(line, &rec); err != nil || rec.Prev == nil {
			return c, fmt.Errorf("line %d: not an audit record", c.Lines+1)
		}
		// The first line of a file may continue a rotated chain: its
		// prev is then a line's hash, which nothing but hex can be (and
		// it is printed to whoever verifies).
		if c.Lines == 0 {
			if p := *rec.Prev; p != "" && !isLineHash(p) {
				return c, fmt.Errorf("line 1: prev %q is not the SHA-256 of a line (the line was changed)", clipUTF8(p, 16))
			}
			c.Continues = *rec.Prev
		} else if *rec.Prev != c.Last {
			return c, fmt.Errorf("line %d: chain broken: prev is %.12s…, the line before hashes to %.12s… (a line was changed, removed or inserted)", c.Lines+1, *rec.Prev, c.Last)
		}
		c.Last = lineHash(line)
		c.Lines++
	}
	if err := sc.Err(); err != nil {
		return c, fmt.Errorf("line %d: %w", c.Lines+1, err)
	}
	return c, nil
}

// Head is the hash of the last line written (the prev of the next
// record), "" when the trail is empty or stdout.
func (a *Audit) Head() string {
	if a == nil {
		return ""
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.prev
}

// Bounds of the strings of a sanitiser report that the sender chose (a
// file name, a declared type) or that quote them (a part's reason, a
// finding's detail). The report goes into the accept record, the
// quarantine's metadata and its listing: unbounded, one message of 400
// stripped parts, each named with 60,000 characters, made an audit line
// as long as the message (24 MB), which `mugai audit verify` could not
// read past (DESIGN invariant 5: every input bounded).
const (
	maxFieldBytes  = 512  // a file name or a type
	maxDetailBytes = 1024 // a reason or a finding's detail
)

// boundReport cuts rep's strings to those bounds, in place, each saying
// how long it was. The sanitiser has decided and written the message by
// then: the cut changes what is recorded, never what is delivered.
func boundReport(rep *sanitize.Report) {
	rep.Reason = clipUTF8(rep.Reason, maxDetailBytes)
	for i := range rep.Parts {
		p := &rep.Parts[i]
		p.Filename = clipUTF8(p.Filename, maxFieldBytes)
		p.DeclaredType = clipUTF8(p.DeclaredType, maxFieldBytes)
		p.SniffedType = clipUTF8(p.SniffedType, maxFieldBytes)
		p.Reason = clipUTF8(p.Reason, maxDetailBytes)
	}
	for i := range rep.Findings {
		rep.Findings[i].Detail = clipUTF8(rep.Findings[i].Detail, maxDetailBytes)
	}
}

// clipUTF8 cuts s longer than max bytes to at most max on a character
// boundary (a Japanese file name stays readable, unlike clipText's '?')
// and appends how long it was ("…(N bytes)", a few bytes more).
func clipUTF8(s string, max int) string {
	if len(s) <= max {
		return s
	}
	cut := max
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…(" + strconv.Itoa(len(s)) + " bytes)"
}
