package gateway

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"

	"mugai/gateway/metrics"
	"mugai/gateway/spool"
)

// QueueHeaderMax bounds what `mugai queue show` reads of a spooled
// message: the header block only, never the body, and at most this much
// of it (the default policy's mime.max_header_bytes).
const QueueHeaderMax = 64 << 10

// QueueMessage is a spooled message as the admin API returns it and
// `mugai queue` prints it.
type QueueMessage struct {
	ID string `json:"id"`
	// State: active (a recipient is pending or being delivered),
	// deferred (waiting for a retry), failed (finished with a failure,
	// kept for an operator for the hop's retry.keep_failed).
	State        string    `json:"state"`
	Route        string    `json:"route"`
	Sender       string    `json:"sender"` // "" is the null sender <>
	Size         int64     `json:"size"`
	Created      time.Time `json:"created"`
	Received     time.Time `json:"received,omitzero"`
	Client       string    `json:"client,omitempty"`
	Helo         string    `json:"helo,omitempty"`
	TLS          bool      `json:"tls"`
	Policy       string    `json:"policy,omitempty"`
	QuarantineID string    `json:"quarantine_id,omitempty"`
	// Released: queued by mugai quarantine release; a failure is not
	// bounced to the sender, it waits here for an administrator.
	Released   bool             `json:"released,omitempty"`
	Recipients []QueueRecipient `json:"recipients"`
	// Suspended: delivery to the next hop of its queue is suspended (the
	// next hop was found unreachable), so that its due recipients wait
	// without an attempt until a probe reaches it; the running gateway
	// knows it, a listing without one does not.
	Suspended *QueueSuspension `json:"suspended,omitempty"`

	// Only for one message (GET /queue/{id}): the raw header lines of the
	// spooled message without their line ends, and its history from the
	// audit trail.
	Headers          []string `json:"headers,omitempty"`
	HeadersTruncated bool     `json:"headers_truncated,omitempty"`
	// HeadersWithheld: why Headers is empty, for an untouched original
	// released from quarantine (its header section is the original's,
	// read out only with an audit record: mugai quarantine show -headers).
	HeadersWithheld string       `json:"headers_withheld,omitempty"`
	History         []QueueEvent `json:"history,omitempty"`
}

// QueueRecipient is one recipient of a queued message.
type QueueRecipient struct {
	Addr        string    `json:"addr"`
	State       string    `json:"state"` // pending, deferred, done, failed
	Attempts    int       `json:"attempts"`
	NextAttempt time.Time `json:"next_attempt,omitzero"`
	LastError   string    `json:"last_error,omitempty"`
	// Requeued: when an administrator queued it again after it failed;
	// its retry lifetime counts from then.
	Requeued time.Time `json:"requeued,omitzero"`
	// FailedAt: when it failed for good; the message is deleted
	// retry.keep_failed after its last recipient failed.
	FailedAt time.Time `json:"failed_at,omitzero"`
}

// QueueEvent is one line of a message's history, taken from the audit
// trail: its acceptance and each delivery attempt per recipient.
type QueueEvent struct {
	Time    time.Time `json:"time"`
	Event   string    `json:"event"` // accept, delivery
	NextHop string    `json:"next_hop,omitempty"`
	Rcpt    string    `json:"rcpt,omitempty"`
	State   string    `json:"state,omitempty"` // accept: the verdict; delivery: the recipient's state after the attempt
	Code    int       `json:"code,omitempty"`
	Text    string    `json:"text,omitempty"`
}

// QueueRetry is the answer to a retry call.
type QueueRetry struct {
	ID string `json:"id,omitempty"` // empty for retry all
	// Due counts what was made due now: deferred recipients of one
	// message, or messages with deferred recipients for retry all.
	Due int `json:"due"`
	// Resumed names the queues (route, or route/bounces) whose delivery
	// was suspended, its next hop found unreachable, and is resumed.
	Resumed []string `json:"resumed,omitempty"`
}

// queueView is the listing form of a spooled message.
func queueView(m spool.Message) QueueMessage {
	st := "active"
	switch queueState(m) {
	case spool.Deferred:
		st = "deferred"
	case spool.Failed:
		st = "failed"
	}
	v := QueueMessage{ID: m.ID, State: st, Route: m.Env.Route, Sender: m.Env.From, Size: m.Size, Created: m.Created,
		Received: m.Env.Received, Client: m.Env.ClientAddr, Helo: m.Env.Helo, TLS: m.Env.TLS, Policy: m.Env.Policy,
		QuarantineID: m.Env.QuarantineID, Released: m.Env.Released, Recipients: make([]QueueRecipient, 0, len(m.Rcpts))}
	for _, rc := range m.Rcpts {
		r := QueueRecipient{Addr: rc.Addr, State: rc.State.String(), Attempts: rc.Attempts, LastError: rc.LastError, Requeued: rc.Requeued, FailedAt: rc.FailedAt}
		if rc.State == spool.Deferred {
			r.NextAttempt = rc.NextAttempt
		}
		v.Recipients = append(v.Recipients, r)
	}
	return v
}

// QueueList lists every live message of sp in arrival order, failed ones
// included.
func QueueList(sp *spool.Spool) []QueueMessage {
	msgs := sp.List()
	out := make([]QueueMessage, 0, len(msgs))
	for _, m := range msgs {
		out = append(out, queueView(m))
	}
	return out
}

// QueueShow returns one message with its header lines and, when
// auditPath names a readable audit trail, its history. An unknown id is
// an error wrapping spool.ErrNotFound.
func QueueShow(sp *spool.Spool, auditPath, id string) (QueueMessage, error) {
	m, err := sp.Get(id)
	if err != nil {
		return QueueMessage{}, err // the spool's error names the spool, what and id
	}
	v := queueView(m)
	if m.Env.Untouched {
		// Its header section is the untouched original's, which the
		// quarantine hands out only to a named user with a reason and an
		// export record (readOut, ExportDirect); not here without one.
		v.HeadersWithheld = fmt.Sprintf("the untouched original of quarantine %s; read its header section with mugai quarantine show %s -headers -reason TEXT (audited)",
			m.Env.QuarantineID, m.Env.QuarantineID)
	} else {
		body, err := sp.Body(id)
		if err != nil {
			return QueueMessage{}, err
		}
		if v.Headers, v.HeadersTruncated, err = ReadHeaderBlock(body, QueueHeaderMax); err != nil {
			return QueueMessage{}, fmt.Errorf("queue: show %s: read headers: %w", id, err)
		}
	}
	if auditPath != "" && auditPath != "stdout" {
		// History is a help, not a condition: an audit trail that was
		// rotated away or cannot be read leaves it empty.
		v.History, _ = queueHistory(auditPath, id)
	}
	return v, nil
}

// ReadHeaderBlock reads the header lines of a message up to the blank
// line that ends them, without line ends, reading at most max bytes:
// never the body. truncated says the block went on past max (its last
// line may then be cut). A message without a body ends at EOF.
func ReadHeaderBlock(r io.Reader, max int) (lines []string, truncated bool, err error) {
	// max+2: a blank line right at the limit still ends the block.
	br := bufio.NewReader(io.LimitReader(r, int64(max)+2))
	n := 0
	for {
		line, err := br.ReadString('\n')
		if line == "\n" || line == "\r\n" {
			return lines, false, nil
		}
		if len(line) > 0 {
			if n+len(line) > max {
				if cut := trimEOL(line[:max-n]); cut != "" {
					lines = append(lines, cut)
				}
				return lines, true, nil
			}
			n += len(line)
			lines = append(lines, trimEOL(line))
		}
		if errors.Is(err, io.EOF) {
			return lines, false, nil
		}
		if err != nil {
			return lines, false, err
		}
	}
}

func trimEOL(s string) string {
	return strings.TrimSuffix(strings.TrimSuffix(s, "\n"), "\r")
}

// queueHistory collects the audit records that name queue id: the whole
// trail is scanned (records are cheap to skip: only lines that contain
// the id are decoded).
func queueHistory(path, id string) ([]QueueEvent, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	needle := []byte(`"queue_id":"` + id + `"`)
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), 16<<20)
	var out []QueueEvent
	for sc.Scan() {
		line := sc.Bytes()
		if !bytes.Contains(line, needle) {
			continue
		}
		var rec AuditRecord
		if json.Unmarshal(line, &rec) != nil || rec.QueueID != id {
			continue
		}
		switch rec.Event {
		case "accept":
			out = append(out, QueueEvent{Time: rec.Time, Event: rec.Event, State: rec.Verdict, Text: rec.Reason})
		case "delivery":
			for _, d := range rec.Delivery {
				out = append(out, QueueEvent{Time: rec.Time, Event: rec.Event, NextHop: rec.NextHop, Rcpt: d.Rcpt, State: d.State, Code: d.Code, Text: d.Text})
			}
		case "requeue":
			for _, r := range rec.Rcpts {
				out = append(out, QueueEvent{Time: rec.Time, Event: rec.Event, Rcpt: r, State: "pending", Text: "by " + rec.User + ": " + rec.Why})
			}
		}
	}
	return out, sc.Err()
}

// QueueDelete removes a message from sp and writes the audit record that
// names who deleted it and why. client is where the call came from
// ("" when the CLI worked on the spool directly).
func QueueDelete(sp *spool.Spool, audit *Audit, id, user, reason, client string) (QueueMessage, error) {
	m, err := sp.Get(id)
	if err != nil {
		return QueueMessage{}, err // the spool's error names the spool, what and id
	}
	if err := sp.Delete(id); err != nil {
		return QueueMessage{}, err
	}
	audit.Write(deleteRecord(m, user, reason, client))
	return queueView(m), nil
}

// deleteRecord is the audit record of a message deleted from the queue.
func deleteRecord(m spool.Message, user, reason, client string) *AuditRecord {
	rec := &AuditRecord{Time: time.Now().UTC(), Event: "delete", Route: m.Env.Route, Client: client, Sender: m.Env.From,
		Size: m.Size, Policy: m.Env.Policy, QuarantineID: m.Env.QuarantineID, QueueID: m.ID, User: user, Why: reason,
		Verdict: "deleted"}
	for _, rc := range m.Rcpts {
		rec.Rcpts = append(rec.Rcpts, rc.Addr)
		rec.Delivery = append(rec.Delivery, AuditDeliveryRcpt{Rcpt: rc.Addr, State: rc.State.String(), Text: rc.LastError})
	}
	return rec
}

// ErrNothingFailed: a requeue of a message without a failed recipient.
var ErrNothingFailed = errors.New("no failed recipient")

// QueueRequeue puts the failed recipients of a message back in sp's queue
// and writes the audit record that names them, who requeued them and why.
// client is where the call came from ("" when the CLI worked on the
// spool directly).
func QueueRequeue(sp *spool.Spool, audit *Audit, id, user, reason, client string) (QueueRetry, error) {
	m, err := sp.Get(id)
	if err != nil {
		return QueueRetry{}, err // the spool's error names the spool, what and id
	}
	var again []string
	for _, rc := range m.Rcpts {
		if rc.State == spool.Failed {
			again = append(again, rc.Addr)
		}
	}
	if len(again) == 0 {
		return QueueRetry{}, fmt.Errorf("queue: requeue %s: %w (state %s)", id, ErrNothingFailed, queueView(m).State)
	}
	now := time.Now().UTC()
	n, err := sp.Requeue(id, now)
	if err != nil {
		return QueueRetry{}, err
	}
	if n == 0 {
		// Delivered or requeued meanwhile.
		return QueueRetry{}, fmt.Errorf("queue: requeue %s: %w", id, ErrNothingFailed)
	}
	audit.Write(&AuditRecord{Time: now, Event: "requeue", Route: m.Env.Route, Client: client, Sender: m.Env.From,
		Rcpts: again, QueueID: id, User: user, Why: reason, Verdict: "pending"})
	return QueueRetry{ID: id, Due: n}, nil
}

// queueHandlers registers the admin calls behind `mugai queue`:
//
//	GET    /queue                    the messages, oldest first (JSON list): at most 5000, narrowed by
//	                                 route, state, domain, older_than, limit; X-Mugai-Total: how many match
//	GET    /queue/summary            counts by route and state, and by recipient domain and age
//	GET    /queue/{id}               one message with headers and history
//	POST   /queue/{id}/retry         its deferred recipients are due now
//	POST   /queue/retry              every deferred recipient is due now
//	POST   /queue/{id}/requeue       its failed recipients are queued again (JSON {"user","reason"}; audited)
//	DELETE /queue/{id}?user=U&reason=R   remove it (audited)
//
// Errors are JSON {"error": "..."}: 404 for an unknown id, 400 for a
// delete or requeue without user or reason, 409 for a retry with nothing
// deferred or a requeue with nothing failed (or while it is being delivered).
func (s *Server) queueHandlers(mux *http.ServeMux) {
	mux.Handle("GET /queue", s.controlGuard(func(w http.ResponseWriter, r *http.Request) {
		f, err := ParseQueueFilter(r.URL.Query())
		if err != nil {
			jsonError(w, http.StatusBadRequest, err.Error())
			return
		}
		msgs, total := QueueSelect(s.Spool, f, time.Now())
		for i := range msgs {
			msgs[i].Suspended = s.suspended(msgs[i].Route)
		}
		w.Header().Set("X-Mugai-Total", strconv.Itoa(total))
		writeJSON(w, msgs)
	}))
	mux.Handle("GET /queue/summary", s.controlGuard(func(w http.ResponseWriter, _ *http.Request) {
		sum := QueueSummarise(s.Spool, time.Now())
		for i := range sum.Routes {
			sum.Routes[i].Suspended = s.suspended(sum.Routes[i].Route)
		}
		writeJSON(w, sum)
	}))
	mux.Handle("GET /queue/{id}", s.controlGuard(func(w http.ResponseWriter, r *http.Request) {
		id := r.PathValue("id")
		v, err := QueueShow(s.Spool, s.Config().Log.Audit, id)
		if err != nil {
			queueError(w, id, err)
			return
		}
		v.Suspended = s.suspended(v.Route)
		writeJSON(w, v)
	}))
	mux.Handle("POST /queue/{id}/retry", s.controlGuard(func(w http.ResponseWriter, r *http.Request) {
		id := r.PathValue("id")
		m, err := s.Spool.Get(id)
		if err != nil {
			queueError(w, id, err)
			return
		}
		// A pending recipient waits for an attempt only while its next
		// hop is suspended; a retry tries it then too.
		rn := s.runner.Load()
		suspended := rn != nil && rn.Suspended(m.Env.Route) != nil
		n := 0
		for _, rc := range m.Rcpts {
			if rc.State == spool.Deferred || suspended && rc.State == spool.Pending {
				n++
			}
		}
		if n == 0 {
			jsonError(w, http.StatusConflict, fmt.Sprintf("message %s has no deferred recipient to retry (state %s; pending ones are being delivered; failed ones are not retried: `mugai queue requeue %s -reason TEXT` queues them again)", id, queueView(m).State, id))
			return
		}
		// The operator wants it tried now: a suspension of its next hop
		// would only hold it back again.
		var resumed []string
		if rn != nil {
			resumed = rn.Resume("a retry of "+id+" by an operator", m.Env.Route)
		}
		if err := s.Spool.Kick(id); err != nil {
			queueError(w, id, err)
			return
		}
		s.Logger.Info("queue retry", "queue_id", id, "recipients", n, "resumed", resumed, "admin_client", r.RemoteAddr)
		writeJSON(w, QueueRetry{ID: id, Due: n, Resumed: resumed})
	}))
	mux.Handle("POST /queue/retry", s.controlGuard(func(w http.ResponseWriter, r *http.Request) {
		n := 0
		for _, m := range s.Spool.List() {
			if queueState(m) == spool.Deferred {
				n++
			}
		}
		var resumed []string
		if rn := s.runner.Load(); rn != nil {
			resumed = rn.Resume("retry all by an operator")
		}
		s.Spool.KickAll()
		s.Logger.Info("queue retry all", "messages", n, "resumed", resumed, "admin_client", r.RemoteAddr)
		writeJSON(w, QueueRetry{Due: n, Resumed: resumed})
	}))
	mux.Handle("POST /queue/{id}/requeue", s.controlGuard(func(w http.ResponseWriter, r *http.Request) {
		id := r.PathValue("id")
		var req ControlRequest
		if err := decodeControl(r, &req); err != nil {
			s.refuseInvalid(w, metrics.ControlRequeue, id, "", "", fmt.Errorf("bad request: %w", err))
			return
		}
		user, reason, err := auditedBy("a requeue", req.User, req.Reason)
		if err != nil {
			s.refuseInvalid(w, metrics.ControlRequeue, id, req.User, req.Reason, err)
			return
		}
		if !s.auditUp(w, r) {
			return
		}
		res, err := QueueRequeue(s.Spool, s.Audit, id, user, reason, r.RemoteAddr)
		switch {
		case errors.Is(err, ErrNothingFailed), errors.Is(err, spool.ErrBusy):
			jsonError(w, http.StatusConflict, err.Error())
			return
		case err != nil:
			queueError(w, id, err)
			return
		}
		// As a retry: the operator wants it tried now, and a
		// suspension of its next hop would hold it back up to
		// retry.max.
		if rn := s.runner.Load(); rn != nil {
			if m, err := s.Spool.Get(id); err == nil {
				res.Resumed = rn.Resume("a requeue of "+id+" by an operator", m.Env.Route)
			}
		}
		s.Logger.Info("queue requeue", "queue_id", id, "recipients", res.Due, "resumed", res.Resumed, "user", user, "reason", reason, "admin_client", r.RemoteAddr)
		writeJSON(w, res)
	}))
	mux.Handle("DELETE /queue/{id}", s.controlGuard(func(w http.ResponseWriter, r *http.Request) {
		id := r.PathValue("id")
		q := r.URL.Query()
		user, reason, err := auditedBy("a delete", q.Get("user"), q.Get("reason"))
		if err != nil {
			s.refuseInvalid(w, metrics.ControlDelete, id, q.Get("user"), q.Get("reason"), err)
			return
		}
		if !s.auditUp(w, r) {
			return
		}
		v, err := QueueDelete(s.Spool, s.Audit, id, user, reason, r.RemoteAddr)
		if err != nil {
			queueError(w, id, err)
			return
		}
		s.Logger.Info("queue delete", "queue_id", id, "user", user, "reason", reason, "admin_client", r.RemoteAddr)
		writeJSON(w, v)
	}))
}

// suspended is the suspension of queue's next hop in the running
// gateway, or nil (none, or no delivery).
func (s *Server) suspended(queue string) *QueueSuspension {
	if r := s.runner.Load(); r != nil {
		return r.Suspended(queue)
	}
	return nil
}

// auditedBy checks the user and reason an audited change (what: "a
// delete") names: an error, for a 400, when they are missing or too long.
func auditedBy(what, user, reason string) (string, string, error) {
	user, reason = strings.TrimSpace(user), strings.TrimSpace(reason)
	if user == "" || reason == "" {
		return "", "", errors.New(what + " is audited: it needs user and reason")
	}
	// The same rules as a release's: the audit trail and the journal
	// are read on terminals, where escapes and bidi overrides would
	// make one operator's entry look like another's.
	if err := checkOperator(user, reason); err != nil {
		return "", "", errors.New(what + ": " + strings.TrimPrefix(err.Error(), ErrInvalid.Error()+": "))
	}
	return user, reason, nil
}

// auditUp answers 503 and reports false while the audit trail cannot be
// written: a requeue sends a message across again, a delete drops one
// and turning the lockdown off loosens what crosses, and none may happen
// without its record, as nothing is released, read out or purged by
// hand then (ErrAuditDown). The refusal
// is counted in mugai_admin_refused_total{reason="audit-down"} and its
// record is held with the others until the trail can be written.
func (s *Server) auditUp(w http.ResponseWriter, r *http.Request) bool {
	err := s.auditReady()
	if err == nil {
		return true
	}
	s.refuseControl(w, r, metrics.AdminRefusedAuditDown, controlStatus(err), err.Error())
	return false
}

func queueError(w http.ResponseWriter, id string, err error) {
	if errors.Is(err, spool.ErrNotFound) {
		jsonError(w, http.StatusNotFound, NoSuchMessage(id))
		return
	}
	jsonError(w, http.StatusInternalServerError, err.Error())
}

// NoSuchMessage is the text for an id the queue does not hold.
func NoSuchMessage(id string) string {
	return fmt.Sprintf("no message %q in the queue (delivered, deleted or never there)", id)
}
