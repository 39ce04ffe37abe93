package gateway

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"mugai/config"
	"mugai/gateway/metrics"
	"mugai/gateway/quarantine"
	"mugai/gateway/spool"
	"mugai/sanitize"
)

// The admin calls behind `mugai quarantine`:
//
//	GET  /quarantine?since=7d&sender=S&recipient=R&verdict=V   list (JSON array of QuarantineEntry;
//	                                 at most maxListEntries, the newest, and then X-Mugai-Total)
//	GET  /quarantine/{id}            metadata and the sanitiser's report (QuarantineDetail)
//	GET  /quarantine/{id}/headers?user=U&reason=R    the original's header section (text/plain, raw bytes)
//	GET  /quarantine/{id}/original?user=U&reason=R   the original (application/octet-stream)
//	POST /quarantine/{id}/release    ReleaseRequest → ReleaseResult
//	POST /quarantine/purge           PurgeRequest → PurgeResult
//
// Errors are JSON {"error": "..."} with a status that says what kind:
// 400 invalid, 403 refused (also a release to more recipients than its
// route's limits.max_recipients), 404 not found, 409 already released to those
// recipients (without "again") or the stored original fails its
// integrity check or cannot be decrypted, 503 no quarantine, or the
// audit trail cannot be written (then nothing is released or read out).

// MaxHeaderSection bounds what /headers returns of an original (and what
// the CLI reads of that answer).
const MaxHeaderSection = 1 << 20

// maxListEntries bounds a listing (GET /quarantine): past it, the newest
// this many of the originals that match are listed, and the X-Mugai-Total
// header says how many matched. A variable for the tests.
var maxListEntries = 5000

// QuarantineEntry is one original as `mugai quarantine list` shows it.
type QuarantineEntry struct {
	ID         string    `json:"id"`
	Time       time.Time `json:"time"`
	Route      string    `json:"route"`
	Client     string    `json:"client,omitempty"`
	Sender     string    `json:"sender"`                // envelope (MAIL FROM)
	HeaderFrom string    `json:"header_from,omitempty"` // the From: field, decoded
	Recipients []string  `json:"recipients"`
	Subject    string    `json:"subject,omitempty"` // decoded
	MessageID  string    `json:"message_id,omitempty"`
	Size       int64     `json:"size"`
	Policy     string    `json:"policy,omitempty"`
	Verdict    string    `json:"verdict,omitempty"`
	Removed    []string  `json:"removed,omitempty"` // what sanitising removed
	// RemovedMore: how many more it removed than Removed lists (a
	// listing names the first quarantine.IndexRemoved; show names all).
	RemovedMore int `json:"removed_more,omitempty"`
}

// QuarantineDetail is one original with its report, for `show`.
type QuarantineDetail struct {
	QuarantineEntry
	SHA256 string          `json:"sha256"`
	Report json.RawMessage `json:"report,omitempty"`
	// Releases: when, by whom and to whom it was released, oldest first.
	Releases []quarantine.Release `json:"releases,omitempty"`
}

// NewQuarantineEntry makes the listing form of m.
func NewQuarantineEntry(m quarantine.Meta) QuarantineEntry {
	e := QuarantineEntry{ID: m.ID, Time: m.Time, Route: m.Route, Client: m.ClientAddr, Sender: m.From,
		Recipients: m.To, Subject: m.Subject, Size: m.Size, Policy: m.Policy, Verdict: m.Verdict, Removed: m.Removed,
		RemovedMore: m.RemovedMore, HeaderFrom: m.HeaderFrom, MessageID: m.MessageID}
	if e.HeaderFrom == "" && e.MessageID == "" && len(m.Report) > 0 {
		// A Meta not from the store, which sets them.
		var r struct {
			From      string `json:"from"`
			MessageID string `json:"message_id"`
		}
		if json.Unmarshal(m.Report, &r) == nil {
			e.HeaderFrom, e.MessageID = r.From, r.MessageID
		}
	}
	if e.Recipients == nil {
		e.Recipients = []string{}
	}
	return e
}

// NewQuarantineDetail makes the `show` form of m.
func NewQuarantineDetail(m quarantine.Meta) QuarantineDetail {
	return QuarantineDetail{QuarantineEntry: NewQuarantineEntry(m), SHA256: m.SHA256, Report: m.Report, Releases: m.Releases}
}

// QuarantineVerdicts are the values of QuarantineFilter.Verdict: the
// sanitiser's verdicts an original can be kept under.
var QuarantineVerdicts = []string{sanitize.Rebuilt, sanitize.Rejected}

// QuarantineFilter selects originals for a listing. Sender and Recipient
// match case-insensitively anywhere in the address (a domain finds every
// sender of it); Sender also matches the decoded From: field. MessageID
// matches anywhere in the Message-ID, with or without its angle
// brackets, as a user or a server's log may quote it.
type QuarantineFilter struct {
	Since     time.Duration // received within this long before now; 0: any time
	Sender    string
	Recipient string
	Verdict   string
	MessageID string
}

// Match reports whether e passes the filter at now.
func (f QuarantineFilter) Match(e QuarantineEntry, now time.Time) bool {
	if f.Since > 0 && e.Time.Before(now.Add(-f.Since)) {
		return false
	}
	if f.Sender != "" && !containsFold(e.Sender, f.Sender) && !containsFold(e.HeaderFrom, f.Sender) {
		return false
	}
	if f.Recipient != "" {
		found := false
		for _, r := range e.Recipients {
			found = found || containsFold(r, f.Recipient)
		}
		if !found {
			return false
		}
	}
	if f.Verdict != "" && !strings.EqualFold(e.Verdict, f.Verdict) {
		return false
	}
	if id := strings.Trim(strings.TrimSpace(f.MessageID), "<>"); id != "" && !containsFold(e.MessageID, id) {
		return false
	}
	return true
}

func containsFold(s, sub string) bool {
	return strings.Contains(strings.ToLower(s), strings.ToLower(sub))
}

// ListQuarantine returns the entries of q that f selects, oldest first.
func ListQuarantine(q *quarantine.Store, f QuarantineFilter, now time.Time) []QuarantineEntry {
	out := []QuarantineEntry{}
	for _, m := range q.List(nil) {
		if e := NewQuarantineEntry(m); f.Match(e, now) {
			out = append(out, e)
		}
	}
	return out
}

// Query encodes f as the query string of GET /quarantine.
func (f QuarantineFilter) Query() string {
	v := url.Values{}
	if f.Since > 0 {
		v.Set("since", f.Since.String())
	}
	for k, s := range map[string]string{"sender": f.Sender, "recipient": f.Recipient, "verdict": f.Verdict, "message_id": f.MessageID} {
		if s != "" {
			v.Set(k, s)
		}
	}
	return v.Encode()
}

// HeaderSection reads the header section of a message (up to and
// excluding the empty line that ends it), at most limit bytes; truncated
// says the limit cut it off.
func HeaderSection(r io.Reader, limit int) (hdr []byte, truncated bool, err error) {
	br := bufio.NewReader(r)
	var out bytes.Buffer
	for {
		line, err := br.ReadSlice('\n')
		if len(line) > 0 && (string(line) == "\r\n" || string(line) == "\n") && err == nil {
			return out.Bytes(), false, nil
		}
		if out.Len()+len(line) > limit {
			out.Write(line[:limit-out.Len()])
			return out.Bytes(), true, nil
		}
		out.Write(line)
		switch {
		case errors.Is(err, bufio.ErrBufferFull):
			continue
		case errors.Is(err, io.EOF):
			return out.Bytes(), false, nil
		case err != nil:
			return nil, false, err
		}
	}
}

// PurgeRequest is the body of POST /quarantine/purge.
type PurgeRequest struct {
	OlderThan string `json:"older_than"` // a duration (7d, 168h); "": quarantine.retention
	User      string `json:"user"`
	Reason    string `json:"reason"`
}

// quarantineHandlers registers the admin calls behind `mugai quarantine`.
func (s *Server) quarantineHandlers(mux *http.ServeMux) {
	h := func(pattern string, f http.HandlerFunc) { mux.Handle(pattern, s.controlGuard(f)) }
	h("GET /quarantine", s.handleQuarantineList)
	h("GET /quarantine/{id}", s.handleQuarantineShow)
	h("GET /quarantine/{id}/headers", s.handleQuarantineHeaders)
	h("GET /quarantine/{id}/original", s.handleQuarantineOriginal)
	h(releasePattern, s.handleQuarantineRelease)
	h("POST /quarantine/purge", s.handleQuarantinePurge)
}

// controlStatus maps an error of a control call to an HTTP status.
func controlStatus(err error) int {
	switch {
	case errors.Is(err, ErrInvalid):
		return http.StatusBadRequest
	case errors.Is(err, ErrRefused):
		return http.StatusForbidden
	case errors.Is(err, quarantine.ErrNotFound):
		return http.StatusNotFound
	case errors.Is(err, ErrReleased):
		return http.StatusConflict
	case errors.Is(err, quarantine.ErrTampered), errors.Is(err, quarantine.ErrWrongKey),
		errors.Is(err, quarantine.ErrNoKey), errors.Is(err, quarantine.ErrLost):
		return http.StatusConflict
	case errors.Is(err, ErrNoQuarantine), errors.Is(err, quarantine.ErrClosed), errors.Is(err, ErrAuditDown):
		return http.StatusServiceUnavailable
	}
	return http.StatusInternalServerError
}

func controlError(w http.ResponseWriter, status int, err error) { jsonError(w, status, err.Error()) }

// noSuchOriginal is the text for an id the quarantine does not hold.
func noSuchOriginal(id string) string {
	return fmt.Sprintf("no original %q in the quarantine (purged or never there)", id)
}

// noOriginal is quarantine.ErrNotFound as an admin reads it: what is
// missing, without the store's call chain ("quarantine: get X: no such
// original").
type noOriginal struct{ id string }

func (e noOriginal) Error() string        { return noSuchOriginal(e.id) }
func (e noOriginal) Is(target error) bool { return target == quarantine.ErrNotFound }

// OriginalError is err of a call about original id, told as noSuchOriginal
// when the quarantine does not hold it.
func OriginalError(id string, err error) error {
	if errors.Is(err, quarantine.ErrNotFound) {
		return noOriginal{id}
	}
	return err
}

// exportError is err of reading out part (original, headers) of
// original id, as the operator reads it: each text names the package,
// what and the id once. The store's own errors do already ("quarantine:
// read ID: original fails its integrity check …") and stay as they are;
// the others get "quarantine: PART of ID: ".
func exportError(part, id string, err error) error {
	if errors.Is(err, quarantine.ErrNotFound) {
		return noOriginal{id}
	}
	if _, ok := err.(*quarantine.Error); ok {
		return err
	}
	return fmt.Errorf("quarantine: %s of %s: %w", part, id, err)
}

// originalCause is err of the store about original id without the
// store's context (quarantine.Error), for a caller that names the id
// itself: "release ID: original fails its integrity check …", not
// "release ID: quarantine: read ID: original fails …".
func originalCause(id string, err error) error {
	if e, ok := err.(*quarantine.Error); ok && e.ID == id {
		return e.Err
	}
	return err
}

func (s *Server) handleQuarantineList(w http.ResponseWriter, r *http.Request) {
	if s.Quarantine == nil {
		controlError(w, controlStatus(ErrNoQuarantine), ErrNoQuarantine)
		return
	}
	q := r.URL.Query()
	f := QuarantineFilter{Sender: q.Get("sender"), Recipient: q.Get("recipient"), Verdict: q.Get("verdict"), MessageID: q.Get("message_id")}
	if v := f.Verdict; v != "" && !slices.ContainsFunc(QuarantineVerdicts, func(ok string) bool { return strings.EqualFold(v, ok) }) {
		controlError(w, http.StatusBadRequest, fmt.Errorf("verdict: %q is not a verdict (allowed: %s)", v, strings.Join(QuarantineVerdicts, ", ")))
		return
	}
	if v := q.Get("since"); v != "" {
		d, err := config.ParseDuration(v)
		if err != nil || d <= 0 {
			controlError(w, http.StatusBadRequest, fmt.Errorf("since: %q is not a positive duration (such as 7d or 168h)", v))
			return
		}
		f.Since = d.D()
	}
	all := ListQuarantine(s.Quarantine, f, time.Now())
	if n := len(all); n > maxListEntries {
		// Bounded (DESIGN invariant 5): the newest ones, still oldest
		// first; the header says how many matched.
		all = all[n-maxListEntries:]
		w.Header().Set("X-Mugai-Total", strconv.Itoa(n))
	}
	writeJSON(w, all)
}

func (s *Server) meta(w http.ResponseWriter, r *http.Request) (quarantine.Meta, bool) {
	if s.Quarantine == nil {
		controlError(w, controlStatus(ErrNoQuarantine), ErrNoQuarantine)
		return quarantine.Meta{}, false
	}
	m, err := s.Quarantine.Get(r.PathValue("id"))
	if err != nil {
		err = OriginalError(r.PathValue("id"), err)
		controlError(w, controlStatus(err), err)
		return quarantine.Meta{}, false
	}
	return m, true
}

func (s *Server) handleQuarantineShow(w http.ResponseWriter, r *http.Request) {
	if m, ok := s.meta(w, r); ok {
		writeJSON(w, NewQuarantineDetail(m))
	}
}

func (s *Server) handleQuarantineHeaders(w http.ResponseWriter, r *http.Request) {
	m, rc, ok := s.readOut(w, r, metrics.ReadHeaders)
	if !ok {
		return
	}
	defer rc.Close()
	hdr, truncated, err := HeaderSection(rc, MaxHeaderSection)
	if err != nil {
		controlError(w, http.StatusInternalServerError, fmt.Errorf("quarantine: headers of %s: %w", m.ID, err))
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=binary")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	if truncated {
		w.Header().Set("X-Mugai-Truncated", strconv.Itoa(MaxHeaderSection))
	}
	w.Write(hdr)
}

func (s *Server) handleQuarantineOriginal(w http.ResponseWriter, r *http.Request) {
	// readOut verifies the whole stored record first: a tampered or
	// wrongly keyed original is an error status here, never a partial body.
	m, rc, ok := s.readOut(w, r, metrics.ReadOriginal)
	if !ok {
		return
	}
	defer rc.Close()
	w.Header().Set("Content-Type", "application/octet-stream")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("Content-Disposition", `attachment; filename="`+m.ID+`.eml"`)
	w.Header().Set("Content-Length", strconv.FormatInt(m.Size, 10))
	w.Header().Set("X-Mugai-SHA256", m.SHA256)
	if _, err := io.Copy(w, rc); err != nil {
		s.Logger.Warn("quarantine: sending original failed", "id", m.ID, "err", err)
	}
}

// readOut opens an original to hand it, or its header section (part),
// to an administrator: unsanitised content reaching a person, so it is
// audited like a release. The query names who (user) and why (reason),
// both required; every attempt, refused or not, is an "export" record
// and counted in mugai_quarantine_reads_total{part,result}; and nothing
// is handed out while the audit trail cannot be written, nor before the
// record of the read is written and synced.
func (s *Server) readOut(w http.ResponseWriter, r *http.Request, part string) (quarantine.Meta, io.ReadCloser, bool) {
	id := recordText(r.PathValue("id"), maxRecordedID)
	q := r.URL.Query()
	user, why := q.Get("user"), q.Get("reason")
	rec := &AuditRecord{Time: time.Now().UTC(), Event: "export", QuarantineID: id, User: recordText(user, maxOperatorUser),
		Why: recordText(why, maxOperatorReason), Client: r.RemoteAddr, Policy: part}
	refuse := func(err error) (quarantine.Meta, io.ReadCloser, bool) {
		rec.Verdict, rec.Reason = "refused", err.Error()
		if st := controlStatus(err); st != http.StatusBadRequest && st != http.StatusNotFound {
			rec.Verdict = "error"
		}
		s.Audit.Write(rec)
		s.Metrics.QuarantineReads.WithLabelValues(part, metrics.ReadRefused).Inc()
		s.Logger.Warn("quarantine read refused", "id", id, "part", part, "user", rec.User, "err", err)
		controlError(w, controlStatus(err), err)
		return quarantine.Meta{}, nil, false
	}
	if s.Quarantine == nil {
		return refuse(ErrNoQuarantine)
	}
	if err := checkOperator(user, why); err != nil {
		return refuse(exportError(part, id, err))
	}
	if err := s.auditReady(); err != nil {
		return refuse(exportError(part, id, err))
	}
	m, err := s.Quarantine.Get(id)
	if err != nil {
		return refuse(exportError(part, id, err))
	}
	rec.Route, rec.Sender, rec.Rcpts, rec.Size = m.Route, m.From, m.To, m.Size
	rc, err := s.Quarantine.Original(m.ID)
	if err != nil {
		return refuse(exportError(part, id, err))
	}
	// Handed out, it cannot be taken back: its record goes to disk
	// first (Commit, synced), not held in memory for when the trail can
	// be written again, which a crash meanwhile would lose. ExportDirect
	// does the same for the CLI's direct reads.
	rec.Verdict = part + "-read"
	if err := s.Audit.Commit(rec); err != nil {
		rc.Close()
		return refuse(exportError(part, id, fmt.Errorf("%w: %v", ErrAuditDown, err)))
	}
	s.Metrics.QuarantineReads.WithLabelValues(part, metrics.ReadDone).Inc()
	return m, rc, true
}

// ErrGatewayRunning: a gateway runs on the configuration's spool and
// writes its audit trail, so an original is not read around it.
var ErrGatewayRunning = errors.New("a running gateway holds the spool and writes the audit trail")

// ExportDirect opens an original of st (part original or headers, as
// readOut) for `mugai quarantine show -original/-headers` when the store
// is read directly: with -dir, or with no gateway answering. Unsanitised
// content reaches a person, so it needs the export record the admin
// listener writes, in the same trail and chain (cfg.Log.Audit). Only one
// process may append to that chain, so the record is written while this
// process holds the lock the gateway holds on its spool (cfg.SpoolDir):
// with the gateway running it is ErrGatewayRunning, and the read goes
// through the admin listener instead. The record names dir, the store
// read. Nothing is handed out unless the record is written and synced; a
// refusal for the original itself (unknown id, integrity) is recorded too.
//
// last is the hash of the record written, where the trail now ends, for
// a refusal too; "" when none was written. The gateway's stop logged
// another (last=), and its next start logs this one (continues_from=):
// the reader is told it, so that the auditor who holds the two log lines
// against each other can tell this record from a trail cut or changed.
func ExportDirect(cfg *config.Config, st *quarantine.Store, dir, id, part, user, reason string) (m quarantine.Meta, rc io.ReadCloser, last string, err error) {
	fail := func(err error) (quarantine.Meta, io.ReadCloser, string, error) {
		return quarantine.Meta{}, nil, last, exportError(part, id, err)
	}
	if err := checkOperator(user, reason); err != nil {
		return fail(err)
	}
	id = recordText(id, maxRecordedID)
	trail := cfg.Log.Audit
	if trail == "" || trail == "stdout" {
		return fail(fmt.Errorf("%w: log.audit is stdout, which only the gateway writes (to its journal)", ErrAuditDown))
	}
	// The gateway creates the trail and the lock file at its first start;
	// made here by root, they would keep its user out.
	if _, err := os.Stat(trail); err != nil {
		return fail(fmt.Errorf("%w: %v (mugai serve creates it at its first start)", ErrAuditDown, err))
	}
	lock, err := spool.Lock(cfg.SpoolDir)
	if errors.Is(err, syscall.EWOULDBLOCK) {
		return fail(ErrGatewayRunning)
	}
	if err != nil {
		return fail(fmt.Errorf("%w: cannot make sure that no gateway writes it: %v", ErrAuditDown, err))
	}
	defer lock.Close()
	var werr error
	audit, err := OpenAudit(trail, func(err error) { werr = err })
	if err != nil {
		return fail(fmt.Errorf("%w: %v", ErrAuditDown, err))
	}
	rec := &AuditRecord{Time: time.Now().UTC(), Event: "export", QuarantineID: id, User: user, Why: reason,
		Policy: part, Reason: "read directly from the store " + dir + ", not through the gateway"}
	m, err = st.Get(id)
	err = OriginalError(id, err)
	if err == nil {
		rec.Route, rec.Sender, rec.Rcpts, rec.Size = m.Route, m.From, m.To, m.Size
		rc, err = st.Original(id)
	}
	if err != nil {
		rec.Verdict = "refused"
		if !errors.Is(err, quarantine.ErrNotFound) {
			rec.Verdict = "error"
		}
		rec.Reason += ": " + err.Error()
		audit.Write(rec)
		head := audit.Head()
		if cerr := audit.Close(); werr == nil && cerr == nil {
			last = head
		}
		return fail(err)
	}
	rec.Verdict = part + "-read"
	audit.Write(rec)
	head := audit.Head()
	if cerr := audit.Close(); werr == nil {
		werr = cerr
	}
	if werr != nil {
		rc.Close()
		return fail(fmt.Errorf("%w: %v", ErrAuditDown, werr))
	}
	return m, rc, head, nil
}

func (s *Server) handleQuarantineRelease(w http.ResponseWriter, r *http.Request) {
	var req ReleaseRequest
	if err := decodeControl(r, &req); err != nil {
		if _, ok := err.(tooLong); ok {
			// Past the room for as many recipients as any route takes.
			err = fmt.Errorf("%v: room for %d recipients (the largest limits.max_recipients) of up to %d bytes each, a user and a reason; give fewer recipients in one release (-to)",
				err, s.maxRecipients(), maxPathLength)
		}
		err = fmt.Errorf("release: %w: %v", ErrInvalid, err)
		s.releaseUnread(r.PathValue("id"), "", err)
		controlError(w, http.StatusBadRequest, err)
		return
	}
	if id := r.PathValue("id"); req.ID == "" {
		req.ID = id
	} else if req.ID != id {
		err := fmt.Errorf("release: %w: id %q in the body, %q in the path", ErrInvalid, req.ID, id)
		s.releaseUnread(id, req.User, err)
		controlError(w, http.StatusBadRequest, err)
		return
	}
	res, err := s.Release(req)
	if err != nil {
		controlError(w, controlStatus(err), err)
		return
	}
	writeJSON(w, res)
}

// releaseUnread records a release call refused before Release could
// read its request (a body that is not JSON, past its bound, with a key the
// call does not take, or naming another id than its path): every refused
// release is audited and counted, this one with the id of its path and,
// when the body said it, the user.
func (s *Server) releaseUnread(id, user string, err error) {
	rec := &AuditRecord{Time: time.Now().UTC(), Event: "release", QuarantineID: recordText(id, maxRecordedID),
		User: recordText(user, maxOperatorUser), Verdict: "refused", Reason: recordText(err.Error(), maxOperatorReason)}
	s.Audit.Write(rec)
	s.Metrics.QuarantineReleaseRefusals.WithLabelValues(releaseRefusal(err)).Inc()
	s.Logger.Warn("quarantine release refused", "id", rec.QuarantineID, "user", rec.User, "err", rec.Reason)
}

func (s *Server) handleQuarantinePurge(w http.ResponseWriter, r *http.Request) {
	var req PurgeRequest
	if err := decodeControl(r, &req); err != nil {
		s.refuseInvalid(w, metrics.ControlPurge, "", "", "", fmt.Errorf("purge: %w: %v", ErrInvalid, err))
		return
	}
	age := s.Config().Quarantine.Retention.D()
	if req.OlderThan != "" {
		d, err := config.ParseDuration(req.OlderThan)
		if err != nil || d <= 0 {
			// As the CLI says it: "0s" or "-1d" would purge every
			// original, which no one means by a purge of old ones.
			s.refuseInvalid(w, metrics.ControlPurge, "", req.User, req.Reason,
				fmt.Errorf("purge: %w: older_than: %q is not a positive duration (such as 7d or 168h)", ErrInvalid, req.OlderThan))
			return
		}
		age = d.D()
	}
	why := req.Reason
	if strings.TrimSpace(why) == "" {
		why = "manual purge of originals older than " + config.Duration(age).String()
	}
	res, err := s.PurgeQuarantine(age, req.User, why)
	if errors.Is(err, ErrInvalid) {
		s.refuseInvalid(w, metrics.ControlPurge, "", req.User, why, err)
		return
	}
	if err != nil {
		controlError(w, controlStatus(err), err)
		return
	}
	writeJSON(w, res)
}
