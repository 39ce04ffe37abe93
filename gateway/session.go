package gateway

import (
	"errors"
	"io"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/emersion/go-smtp"

	"mugai/config"
)

// session is one SMTP session of a route. It holds the route snapshot
// taken when it began, so a reload never changes a transaction midway.
type session struct {
	snap   *routeSnap
	conn   *smtp.Conn
	client netip.Addr
	helo   string
	start  time.Time

	// mu guards the transaction: go-smtp runs Data for BDAT in a
	// goroutine of its own, while its command loop may call Reset or
	// Logout (RSET, EHLO, the connection lost).
	mu       sync.Mutex
	from     string
	fromSet  bool
	rcpts    []string
	refused  []refusal // recipients refused in this transaction, for audit
	hadData  bool
	tlsState bool
	hung     sync.Once   // the connection was answered and closed
	drain    *time.Timer // the rest of an oversize message is due (drainTooBig)
}

// txn is the transaction as Data found it.
type txn struct {
	from    string
	rcpts   []string
	refused []refusal
}

type refusal struct {
	Addr string `json:"addr"`
	Code int    `json:"code"`
}

func newSession(snap *routeSnap, c *smtp.Conn) *session {
	s := &session{snap: snap, conn: c, helo: c.Hostname(), start: time.Now(), client: remoteIP(c.Conn())}
	if _, ok := c.TLSConnectionState(); ok {
		s.tlsState = true
		snap.srv.Metrics.SMTPTLSSessions.WithLabelValues(snap.route.Name).Inc()
	}
	return s
}

var (
	errNeedTLS    = &smtp.SMTPError{Code: 530, EnhancedCode: smtp.EnhancedCode{5, 7, 0}, Message: "Must issue a STARTTLS command first"}
	errTooBig     = &smtp.SMTPError{Code: 552, EnhancedCode: smtp.EnhancedCode{5, 3, 4}, Message: "Message size exceeds fixed maximum message size"}
	errTooMany    = &smtp.SMTPError{Code: 452, EnhancedCode: smtp.EnhancedCode{4, 5, 3}, Message: "Too many recipients"}
	errNoSuchUser = &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "Recipient address rejected: user unknown"}
	errNeedMail   = &smtp.SMTPError{Code: 503, EnhancedCode: smtp.EnhancedCode{5, 5, 1}, Message: "Need MAIL command"}
	errInternal   = &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "Internal error, message not accepted; try again later"}
	errSMTPUTF8   = &smtp.SMTPError{Code: 555, EnhancedCode: smtp.EnhancedCode{5, 5, 4}, Message: "SMTPUTF8 is not supported"}
)

// reject counts a refusal and returns it as go-smtp needs it: a literal
// *smtp.SMTPError, or its code is lost (a wrapped one becomes 554).
func (s *session) reject(stage string, e *smtp.SMTPError) error {
	s.snap.srv.Metrics.SMTPRejects.WithLabelValues(s.snap.route.Name, stage, strconv.Itoa(e.Code)).Inc()
	return e
}

func (s *session) Mail(from string, opts *smtp.MailOptions) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.snap.route
	if r.TLS != nil && r.TLS.Require && !s.tlsState {
		return s.reject("mail", errNeedTLS)
	}
	if opts != nil && opts.UTF8 && r.Policy == config.PolicyNone {
		return s.reject("mail", errSMTPUTF8)
	}
	if opts != nil && opts.Size > int64(r.Limits.MaxMessageSize) {
		return s.reject("mail", errTooBig)
	}
	addr, err := parseSender(from)
	if err != nil {
		return s.reject("mail", err)
	}
	s.flushRefused()
	s.from, s.fromSet, s.rcpts, s.refused, s.hadData = addr, true, nil, nil, false
	return nil
}

func (s *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.snap.route
	if !s.fromSet {
		return s.reject("rcpt", errNeedMail)
	}
	addr, serr := parseRcpt(to, r.Domains)
	if serr == nil && slices.Contains(s.rcpts, addr) {
		// Given again, maybe in another form ("<@relay:user@…>" and
		// "<user@….>" both read as user@…): one delivery, as Postfix
		// makes of it.
		return nil
	}
	if len(s.rcpts) >= r.Limits.MaxRecipients {
		s.refused = append(s.refused, refusal{Addr: to, Code: errTooMany.Code})
		return s.reject("rcpt", errTooMany)
	}
	if serr == nil && s.snap.rcptList != nil && !s.snap.rcptList[strings.ToLower(addr)] {
		serr = errNoSuchUser
	}
	if serr == nil && s.snap.verifier != nil {
		serr = s.snap.verifier.check(addr)
	}
	if serr != nil {
		s.refused = append(s.refused, refusal{Addr: to, Code: serr.Code})
		s.snap.srv.Logger.Info("recipient refused", "route", r.Name, "client", s.client.String(), "rcpt", to, "code", serr.Code, "reason", serr.Message)
		return s.reject("rcpt", serr)
	}
	s.rcpts = append(s.rcpts, addr)
	return nil
}

func (s *session) Data(r io.Reader) error {
	s.mu.Lock()
	if !s.fromSet || len(s.rcpts) == 0 {
		// A BDAT transfer reset (RSET, EHLO, the connection lost)
		// before go-smtp's goroutine for it got here: the transaction
		// is gone, and its refusals have their record.
		s.mu.Unlock()
		return smtp.ErrDataReset
	}
	s.hadData = true
	tx := txn{from: s.from, rcpts: slices.Clone(s.rcpts), refused: s.refused}
	s.mu.Unlock()
	return s.data(r, tx)
}

func (s *session) Reset() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.stopDrain()
	s.flushRefused()
	s.from, s.fromSet, s.rcpts, s.refused, s.hadData = "", false, nil, nil, false
}

func (s *session) Logout() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.stopDrain()
	s.flushRefused()
	return nil
}

// stopDrain stops drainTooBig's clock: go-smtp has read the rest and
// answered. s.mu is held.
func (s *session) stopDrain() {
	if s.drain != nil {
		s.drain.Stop()
		s.drain = nil
	}
}

// flushRefused writes the audit record of a transaction that ended
// before DATA with recipients refused (one that reached DATA has its
// own): "refused" when every recipient was, "abandoned" when some were
// accepted and the client went no further. s.mu is held.
func (s *session) flushRefused() {
	if len(s.refused) == 0 || s.hadData {
		s.refused = nil
		return
	}
	rec := s.auditBase(s.from, s.rcpts)
	rec.Verdict = "refused"
	if len(s.rcpts) > 0 {
		rec.Verdict = "abandoned"
	}
	rec.Refused = s.refused
	rec.Reply = s.refused[len(s.refused)-1].Code
	s.snap.srv.Audit.Write(rec)
	s.refused = nil
}

func (s *session) auditBase(from string, rcpts []string) *AuditRecord {
	return &AuditRecord{
		Time:   time.Now().UTC(),
		Event:  "accept",
		Route:  s.snap.route.Name,
		Client: s.client.String(),
		TLS:    s.tlsState,
		EHLO:   s.helo,
		Sender: from,
		Rcpts:  append([]string(nil), rcpts...),
	}
}

var errTimeout = errors.New("data timeout")
