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
	"sync"
	"time"

	"mugai/sanitize"
)

// AuditRecord is one line of the audit trail: a message accepted or
// refused, a delivery outcome, a release or purge. Field names are
// stable; the body of a message and secrets never appear.
type AuditRecord struct {
	Time    time.Time `json:"time"`
	Event   string    `json:"event"` // accept, delivery, bounce, delete, release, export, purge, lockdown, control
	Route   string    `json:"route,omitempty"`
	Client  string    `json:"client,omitempty"`
	TLS     bool      `json:"tls"` // accept records only, false included (see MarshalJSON)
	EHLO    string    `json:"ehlo,omitempty"`
	Sender  string    `json:"sender,omitempty"`
	Rcpts   []string  `json:"recipients,omitempty"`
	Refused []refusal `json:"refused,omitempty"`
	Size    int64     `json:"size,omitempty"`
	Policy  string    `json:"policy,omitempty"`
	// Verdict: rebuilt, rejected, passed, refused, abandoned, too-big,
	// line-too-long, timeout, error; for deliveries: delivered,
	// deferred, failed.
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
	User           string              `json:"user,omitempty"` // who ran a release, purge or delete
	Why            string              `json:"why,omitempty"`
	Prev           string              `json:"prev"` // SHA-256 of the previous line (完全性)
}

// MarshalJSON writes the record with its fixed field names. An accept
// record always has "tls", false included, so that
// jq 'select(.tls==false)' finds the sessions without TLS; other events
// have no SMTP session and no "tls".
func (r AuditRecord) MarshalJSON() ([]byte, error) {
	type plain AuditRecord // without this method
	if r.Event == "accept" {
		return json.Marshal(plain(r))
	}
	return json.Marshal(struct {
		plain
		TLS *bool `json:"tls,omitempty"` // hides plain's tls; always nil
	}{plain: plain(r)})
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
type Audit struct {
	mu   sync.Mutex
	w    io.Writer
	f    *os.File // nil for stdout
	path string
	prev string
	err  func(error)
}

// OpenAudit opens the audit trail at target ("stdout" or a file path),
// continuing the chain of an existing file.
func OpenAudit(target string, onError func(error)) (*Audit, error) {
	if target == "" || target == "stdout" {
		return &Audit{w: os.Stdout, err: onError}, nil
	}
	f, err := os.OpenFile(target, os.O_CREATE|os.O_RDWR|os.O_APPEND, 0o600)
	if err != nil {
		return nil, fmt.Errorf("audit: open %s: %w", target, err)
	}
	prev, err := lastLineHash(f)
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("audit: read %s: %w", target, err)
	}
	return &Audit{w: f, f: f, path: target, prev: prev, err: onError}, nil
}

// Reopen closes the file and opens its path again, for log rotation: the
// file moved away keeps its lines, and the new file's first line carries
// the hash of the old file's last, so the chain continues across files.
func (a *Audit) Reopen() error {
	if a == nil || a.f == nil {
		return nil
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	f, err := os.OpenFile(a.path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return fmt.Errorf("audit: reopen %s: %w", a.path, err)
	}
	a.f.Sync()
	a.f.Close()
	a.f, a.w = f, f
	return nil
}

func lastLineHash(f *os.File) (string, error) {
	st, err := f.Stat()
	if err != nil || st.Size() == 0 {
		return "", err
	}
	// The last line is short; read a tail big enough for any record.
	off := max(0, st.Size()-1<<20)
	buf := make([]byte, st.Size()-off)
	if _, err := f.ReadAt(buf, off); err != nil && !errors.Is(err, io.EOF) {
		return "", err
	}
	buf = bytes.TrimRight(buf, "\n")
	if i := bytes.LastIndexByte(buf, '\n'); i >= 0 {
		buf = buf[i+1:]
	}
	return lineHash(buf), nil
}

func lineHash(line []byte) string {
	h := sha256.Sum256(line)
	return hex.EncodeToString(h[:])
}

// Write appends one record. A nil Audit discards.
func (a *Audit) Write(rec *AuditRecord) {
	if a == nil {
		return
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	rec.Prev = a.prev
	line, err := json.Marshal(rec)
	if err != nil {
		a.report(err)
		return
	}
	if _, err := a.w.Write(append(line, '\n')); err != nil {
		a.report(err)
		return
	}
	a.prev = lineHash(line)
}

func (a *Audit) report(err error) {
	if a.err != nil {
		a.err(fmt.Errorf("audit: %w", err))
	}
}

// Close syncs and closes the file.
func (a *Audit) Close() error {
	if a == nil || a.f == nil {
		return nil
	}
	a.mu.Lock()
	defer a.mu.Unlock()
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
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 16<<20)
	prev := ""
	first := true
	for sc.Scan() {
		line := sc.Bytes()
		var rec struct {
			Prev *string `json:"prev"`
		}
		if err := json.Unmarshal(line, &rec); err != nil || rec.Prev == nil {
			return lines, fmt.Errorf("line %d: not an audit record", lines+1)
		}
		// The first line of a file may continue a rotated chain.
		if !first && *rec.Prev != prev {
			return lines, fmt.Errorf("line %d: chain broken: prev is %.12s…, the line before hashes to %.12s… (a line was changed, removed or inserted)", lines+1, *rec.Prev, prev)
		}
		first = false
		prev = lineHash(line)
		lines++
	}
	if err := sc.Err(); err != nil {
		return lines, fmt.Errorf("line %d: %w", lines+1, err)
	}
	return lines, nil
}
