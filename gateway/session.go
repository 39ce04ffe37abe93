package gateway

import (
	"errors"
	"fmt"
	"io"
	"net"
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
	snap *routeSnap
	conn *smtp.Conn
	// nc is the connection as go-smtp had it at EHLO (TLS after
	// STARTTLS, which ends the session): hangUp writes there from timer
	// goroutines, which must not read go-smtp's field as STARTTLS sets it.
	nc net.Conn
	// clock is the connection's, which holds the session time limit
	// (nil only for a connection not from our listener).
	clock  *countedConn
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
	policy   string    // the policy of every recipient in rcpts (config.PolicyForRecipient)
	refused  []refusal // recipients refused in this transaction, for audit
	hadData  bool
	dups     int // recipients given again in this transaction
	tlsState bool
	hung     sync.Once // the connection was answered and closed
	// drain is the time the rest of a refused DATA message is due
	// (drainRest); drainRec and drainReply are its accept record and
	// the reply go-smtp gives when it has read that rest; drainData is
	// go-smtp's reader of that rest, which tells how it ended.
	drain      *time.Timer
	drainRec   *AuditRecord
	drainReply *smtp.SMTPError
	drainData  io.Reader
	drains     uint64 // drains armed so far: tells cutDrain whether its own is still due
	resets     uint64 // RSETs (and other resets) so far, for staleTransfer
	loggedOut  bool
	// transfer is true from Data until go-smtp's Reset after its reply:
	// a message being sent, which the session time limit lets finish.
	// overtime says that the limit passed meanwhile, so that Reset ends
	// the session once the reply is out; cut, that it ended it.
	transfer, overtime, cut bool
	// errors counts the recipients refused since the session's last
	// accepted message (rcptErrorLimit); overshoot those refused only
	// for being one too many (rcptOvershootLimit).
	errors, overshoot int
}

// txn is the transaction as Data found it.
type txn struct {
	from    string
	rcpts   []string
	refused []refusal
	dups    int // RCPTs taken as a recipient already given
	resets  uint64
}

type refusal struct {
	Addr string `json:"addr"`
	Code int    `json:"code"`
	// Status is the enhanced status code the client got: it tells
	// apart refusals that share a code, such as 450 4.4.5 (verification
	// over its budget) and 450 4.1.1 (the next hop could not say).
	Status string `json:"status,omitempty"`
	// Policy is the policy the recipient's mail is checked under, when
	// the refusal is for that being another than the transaction's
	// (452 4.5.3, errOtherPolicy): the sender sends it on its own.
	Policy string `json:"policy,omitempty"`
}

// newRefusal is the audit entry of a refused recipient. What the client
// wrote may be as long as a command line (64 KiB) and hold any byte
// go-smtp's parser lets through: the entry keeps no more than a path may
// be (RFC 5321 4.5.3.1.3) and says how long it was.
func newRefusal(addr string, e *smtp.SMTPError) refusal {
	r := refusal{Addr: clipText(addr, maxPathLength), Code: e.Code}
	if c := e.EnhancedCode; c[0] > 0 {
		r.Status = fmt.Sprintf("%d.%d.%d", c[0], c[1], c[2])
	}
	return r
}

// clipText is s for a record or a log line: bytes other than printable
// ASCII become '?', which JSON and the journal keep as one byte (a
// control byte would be six, "\u0001"), and it is cut to max bytes,
// saying how long it was.
func clipText(s string, max int) string {
	n := len(s)
	s = strings.Map(func(r rune) rune {
		if r < 0x20 || r > 0x7e {
			return '?'
		}
		return r
	}, s[:min(n, max)])
	if n <= max {
		return s
	}
	return s + "…(" + strconv.Itoa(n) + " bytes)"
}

const (
	maxPathLength  = 256 // RFC 5321 4.5.3.1.3
	maxHeloLength  = 255 // a domain (RFC 5321 4.5.3.1.2)
	rcptErrorFloor = 20  // Postfix's smtpd_hard_error_limit
	// rcptOvershootLimit bounds the recipients refused for being past
	// max_recipients, which RFC 5321 4.5.3.1.10 has the client send in
	// the next transaction: not errors, but each one an entry of the
	// record (Postfix's smtpd_recipient_overshoot_limit).
	rcptOvershootLimit = 1000
)

// rcptErrorLimit is how many recipients one session may have refused
// without a message accepted in between: each refusal is a log line and
// an entry in an audit record, and with recipient verification maybe a
// probe, so a client guessing addresses is cut off as Postfix does
// (smtpd_hard_error_limit), never fewer than a transaction may carry.
func rcptErrorLimit(maxRecipients int) int { return max(rcptErrorFloor, maxRecipients) }

func newSession(snap *routeSnap, c *smtp.Conn) *session {
	// The EHLO argument is the client's to write: go-smtp takes any
	// bytes but a space or a line end, and it goes into every accept
	// record and the spooled envelope (mugai queue show), so it is kept
	// as refused addresses are, printable ASCII (newDispatch bounds its
	// length): no terminal escape or bidi override reaches whoever reads
	// the trail.
	s := &session{snap: snap, conn: c, nc: c.Conn(), helo: clipText(c.Hostname(), maxHeloLength), start: time.Now(), client: remoteIP(c.Conn())}
	if _, ok := c.TLSConnectionState(); ok {
		s.tlsState = true
		snap.srv.Metrics.SMTPTLSSessions.WithLabelValues(snap.route.Name).Inc()
	}
	if cc := countedOf(s.nc); cc != nil {
		if s.tlsState {
			cc.handshakeSucceeded()
		}
		s.clock = cc
		cc.attach(s)
	}
	return s
}

var (
	errNeedTLS = &smtp.SMTPError{Code: 530, EnhancedCode: smtp.EnhancedCode{5, 7, 0}, Message: "Must issue a STARTTLS command first"}
	errTooBig  = &smtp.SMTPError{Code: 552, EnhancedCode: smtp.EnhancedCode{5, 3, 4}, Message: "Message size exceeds fixed maximum message size"}
	errTooMany = &smtp.SMTPError{Code: 452, EnhancedCode: smtp.EnhancedCode{4, 5, 3}, Message: "Too many recipients"}
	// errOtherPolicy defers a recipient whose mail the rules check
	// under another policy than the transaction's first recipient's:
	// RFC 5321 4.5.3.1.10's reply for a recipient limit, which sending
	// servers answer by sending the rest in another message.
	errOtherPolicy = &smtp.SMTPError{Code: 452, EnhancedCode: smtp.EnhancedCode{4, 5, 3}, Message: "Too many recipients: this one's mail is checked under another policy, send it in a message of its own"}
	errNoSuchUser  = &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "Recipient address rejected: user unknown"}
	errNeedMail    = &smtp.SMTPError{Code: 503, EnhancedCode: smtp.EnhancedCode{5, 5, 1}, Message: "Need MAIL command"}
	// errNoRoom is Postfix's answer when its queue file system is short
	// of space: the client keeps the message and retries, here or at
	// another gateway.
	errNoRoom     = &smtp.SMTPError{Code: 452, EnhancedCode: smtp.EnhancedCode{4, 3, 1}, Message: "Insufficient system storage, try again later"}
	errInternal   = &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "Internal error, message not accepted; try again later"}
	errSMTPUTF8   = &smtp.SMTPError{Code: 555, EnhancedCode: smtp.EnhancedCode{5, 5, 4}, Message: "SMTPUTF8 is not supported"}
	errNestedMail = &smtp.SMTPError{Code: 503, EnhancedCode: smtp.EnhancedCode{5, 5, 1}, Message: "Nested MAIL command: end the transaction first (DATA or RSET)"}
	// errTooManyErrors is written by hangUp, which closes the connection;
	// go-smtp's copy of it goes nowhere.
	errTooManyErrors = &smtp.SMTPError{Code: 421, EnhancedCode: smtp.EnhancedCode{4, 7, 0}, Message: "Too many recipients refused, closing connection"}
	// errRevoked is written by hangUp when a reload has taken away what
	// admitted the session (revoked); go-smtp's copy of it goes nowhere.
	errRevoked  = &smtp.SMTPError{Code: 421, EnhancedCode: smtp.EnhancedCode{4, 7, 0}, Message: "Configuration changed, closing connection; connect again"}
	errLongHelo = &smtp.SMTPError{Code: 501, EnhancedCode: smtp.EnhancedCode{5, 5, 2}, Message: "HELO/EHLO argument too long: a domain is at most 255 octets"}
	// errDupRcpt accepts a recipient given again (Rcpt): a 250 that
	// go-smtp writes as it is, without adding the recipient to its list.
	errDupRcpt = &smtp.SMTPError{Code: 250, EnhancedCode: smtp.EnhancedCode{2, 1, 5}, Message: "Recipient already given, delivered once"}
)

// reject counts a refusal and returns it as go-smtp needs it: a literal
// *smtp.SMTPError, or its code is lost (a wrapped one becomes 554).
func (s *session) reject(stage string, e *smtp.SMTPError) error {
	s.snap.srv.Metrics.SMTPRejects.WithLabelValues(s.snap.route.Name, stage, strconv.Itoa(e.Code)).Inc()
	return e
}

// refuseMail refuses a MAIL command and says so in the log, at most once a
// second per client (an address, an IPv6 /64: refusalThrottle): the
// metric counts every refusal, the line tells the operator whose MAIL it
// was and why (a refused MAIL opens no transaction, so no audit record
// has it).
func (s *session) refuseMail(from string, e *smtp.SMTPError) error {
	if s.snap.srv.mailRefused.allowAddr(s.client, time.Now()) {
		s.snap.srv.Logger.Info("mail refused", "route", s.snap.route.Name, "client", s.client.String(),
			"from", clipText(from, maxPathLength), "code", e.Code, "reason", e.Message)
	}
	return s.reject("mail", e)
}

func (s *session) Mail(from string, opts *smtp.MailOptions) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.snap.route
	// Commands go-smtp read ahead of the session time limit's close
	// (pipelined) start nothing.
	if s.cut {
		return errSessionTime
	}
	if why := s.revoked(); why != "" {
		return s.revoke("mail", why)
	}
	if r.TLS != nil && r.TLS.Require && !s.tlsState {
		return s.refuseMail(from, errNeedTLS)
	}
	// RFC 5321 4.1.4: a MAIL inside a transaction is an error. go-smtp
	// would keep the recipients it has while we started afresh, and a
	// recipient answered 250 would vanish without a record.
	if s.fromSet {
		return s.refuseMail(from, errNestedMail)
	}
	if opts != nil && opts.UTF8 && r.Policy == config.PolicyNone {
		return s.refuseMail(from, errSMTPUTF8)
	}
	if opts != nil && opts.Size > int64(r.Limits.MaxMessageSize) {
		return s.refuseMail(from, errTooBig)
	}
	// While the audit trail cannot be written no mail is accepted (data
	// checks again at the end): said here, the client need not send its
	// message first.
	if s.snap.srv.Audit.Ready() != nil {
		return s.refuseMail(from, errInternal)
	}
	addr, err := parseSender(from)
	if err != nil {
		return s.refuseMail(from, err)
	}
	var size int64
	if opts != nil {
		size = opts.Size
	}
	// A pass-through route keeps no original; a sanitising one does,
	// before its 250.
	if err := spoolRoom(s.snap.cfg, size, r.Policy != config.PolicyNone); err != nil {
		// Counted each time; logged at most once a second per client
		// (an address, an IPv6 /64), as a client may send MAIL again
		// and again.
		if s.snap.srv.spoolLow.allowAddr(s.client, time.Now()) {
			s.snap.srv.Logger.Warn("mail refused: disk low", "route", r.Name, "client", s.client.String(), "reason", err.Error())
		}
		return s.reject("mail", errNoRoom)
	}
	s.flushRefused()
	s.from, s.fromSet, s.rcpts, s.refused, s.hadData, s.dups = addr, true, nil, nil, false, 0
	return nil
}

// revoke ends a session that the configuration in force no longer
// admits (revoked says why) at stage: 421 and the connection closed,
// counted before the client sees the 421, and logged. s.mu is held.
func (s *session) revoke(stage, why string) error {
	r := s.snap.route
	err := s.reject(stage, errRevoked)
	s.snap.srv.Logger.Warn("session closed: the configuration in force no longer admits it", "route", r.Name,
		"client", s.client.String(), "stage", stage, "why", why)
	s.hangUp("421 4.7.0 " + r.Hostname + " " + errRevoked.Message + "\r\n")
	return err
}

// revoked says why the route's configuration in force, when a reload
// has replaced the session's snapshot, no longer admits the session, or
// "". A session keeps its snapshot (as a Postfix smtpd keeps its
// configuration until its client leaves), so that limits, rules and
// policies changed by a reload apply from the next connection; but a
// reload that takes the client's network or a recipient domain away
// from the route, makes a pass-through route sanitise, or requires TLS,
// is made to stop what came before it: an open session would otherwise
// go on relaying for up to limits.session_timeout, unsanitised or for
// a client now refused at connect. It is asked at MAIL, at RCPT and
// once a message has been received, before it is accepted: a
// transaction begun before the reload (a MAIL given, a message being
// sent) must not end under what the reload took away. s.mu is held.
func (s *session) revoked() string {
	rs := s.snap.srv.routes[s.snap.route.Name]
	if rs == nil {
		return ""
	}
	cur := rs.load()
	if cur == s.snap {
		return ""
	}
	old, now := s.snap.route, cur.route
	switch {
	case !cur.clientAllowed(s.client):
		return "the client's network is no longer in the route's clients"
	case old.Policy == config.PolicyNone && now.Policy != config.PolicyNone:
		return "the route sanitises now"
	case now.TLS != nil && now.TLS.Require && !s.tlsState:
		return "the route requires TLS now"
	}
	for _, d := range old.Domains {
		if !slices.Contains(now.Domains, d) {
			return "domain " + d + " is no longer the route's"
		}
	}
	return ""
}

func (s *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.snap.route
	if !s.fromSet {
		return s.reject("rcpt", errNeedMail)
	}
	if why := s.revoked(); why != "" {
		// The transaction's record (Logout) ends with this 421.
		s.refused = append(s.refused, newRefusal(to, errRevoked))
		return s.revoke("rcpt", why)
	}
	addr, serr := parseRcpt(to, r.Domains)
	// A recipient given again, maybe in another form ("<@relay:user@…>"
	// and "<user@….>" both read as user@…), is one delivery, as Postfix
	// makes of it, also at max_recipients (a 452 would make the sender
	// send it again). It is answered 250 through an error: go-smtp keeps
	// every RCPT that Rcpt returns nil for, and go-smtp's list is bounded
	// only by what we accept (newDispatch sets no MaxRecipients).
	if serr == nil && slices.Contains(s.rcpts, addr) {
		s.dups++
		s.snap.srv.Metrics.DuplicateRecipients.WithLabelValues(r.Name).Inc()
		return errDupRcpt
	}
	if len(s.rcpts) >= r.Limits.MaxRecipients {
		return s.refuse(to, errTooMany, "")
	}
	if serr == nil && s.snap.rcptList != nil && !s.snap.rcptList[strings.ToLower(addr)] {
		serr = errNoSuchUser
	}
	policy := ""
	if serr == nil {
		// Before verification, which asks the next hop about a
		// recipient this transaction may not take.
		policy = s.snap.cfg.PolicyForRecipient(r, s.client, s.from, addr)
		if len(s.rcpts) > 0 && policy != s.policy {
			return s.refuse(to, errOtherPolicy, policy)
		}
	}
	if serr == nil && s.snap.verifier != nil {
		serr = s.snap.verifier.check(addr)
	}
	if serr != nil {
		return s.refuse(to, serr, "")
	}
	s.rcpts, s.policy = append(s.rcpts, addr), policy
	return nil
}

// refuse refuses a recipient, for the transaction's record (with the
// policy its mail is checked under when that is why: errOtherPolicy);
// one refusal past rcptErrorLimit closes the connection instead. s.mu
// is held.
func (s *session) refuse(to string, serr *smtp.SMTPError, policy string) error {
	r := s.snap.route
	n, limit, kind := 0, 0, "refused"
	if serr == errTooMany || serr == errOtherPolicy {
		// Not the client's mistake: it sends them again, in another
		// message.
		s.overshoot++
		n, limit, kind = s.overshoot, rcptOvershootLimit, "past max_recipients"
	} else {
		s.errors++
		n, limit = s.errors, rcptErrorLimit(r.Limits.MaxRecipients)
	}
	if n > limit {
		// The transaction's record (Logout) ends with this 421.
		s.refused = append(s.refused, newRefusal(to, errTooManyErrors))
		s.snap.srv.Logger.Warn("too many recipients refused: connection closed", "route", r.Name, "client", s.client.String(),
			"kind", kind, "refused", n-1, "limit", limit)
		err := s.reject("rcpt", errTooManyErrors) // counted before the client sees the 421
		s.hangUp("421 4.7.0 " + r.Hostname + " " + errTooManyErrors.Message + "\r\n")
		return err
	}
	if serr == errOtherPolicy {
		// Counted as answered: past the overshoot limit it is a 421.
		s.snap.srv.Metrics.RecipientsPolicySplit.WithLabelValues(r.Name).Inc()
	}
	ref := newRefusal(to, serr)
	ref.Policy = policy
	s.refused = append(s.refused, ref)
	s.snap.srv.Logger.Info("recipient refused", "route", r.Name, "client", s.client.String(), "rcpt", clipText(to, maxPathLength), "code", serr.Code, "reason", serr.Message)
	return s.reject("rcpt", serr)
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
	s.hadData, s.transfer = true, true
	tx := txn{from: s.from, rcpts: slices.Clone(s.rcpts), refused: s.refused, dups: s.dups, resets: s.resets}
	s.mu.Unlock()
	return s.data(r, tx)
}

func (s *session) Reset() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.stopDrain(true)
	s.flushRefused()
	s.resets++
	s.from, s.fromSet, s.rcpts, s.policy, s.refused, s.hadData, s.dups = "", false, nil, "", nil, false, 0
	s.transfer = false
	if s.overtime {
		// The session time limit passed while a message was being
		// sent; go-smtp has now written its reply (it resets after
		// answering a message), so the 421 follows that reply.
		s.overtime = false
		s.endSessionTime()
	}
}

func (s *session) Logout() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	// Not from go-smtp's reading goroutine (a shutdown closes the
	// connection from another): the rest is not looked at, and it was
	// not the client that ended it.
	s.stopDrain(false)
	s.flushRefused()
	s.loggedOut = true
	if s.clock != nil {
		// After STARTTLS go-smtp has already set its connection to TLS:
		// until the next EHLO the clock answers there.
		s.clock.detach(s, s.conn.Conn())
	}
	return nil
}

// staleTransfer reports a BDAT transfer that carried nothing and whose
// goroutine reached Data only after the transaction it was for had been
// reset and the next one begun (a pipelined "BDAT 0", RSET, MAIL, RCPT):
// tx is then the next transaction, which has sent nothing, and the
// transfer gets no record. go-smtp closes a transfer's pipe, then calls
// Reset, both under its connection lock: once Session has taken that
// lock, a RSET after Data took tx shows in resets, and without one the
// reset that ended the transfer came before. A transfer that carried
// nothing and ended with the connection is such a case too. Logout may
// have come meanwhile and, taking tx as having had data, left its
// refused recipients unwritten: they are written here.
func (s *session) staleTransfer(tx txn) bool {
	s.conn.Session()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.resets != tx.resets {
		return false
	}
	s.hadData, s.transfer = false, false
	if s.loggedOut {
		s.writeRefused(tx)
	}
	if s.overtime {
		// No message was sent after all: nothing to let finish.
		s.overtime = false
		s.cutSessionTime()
	}
	return true
}

// stopDrain stops drainRest's clock: go-smtp has read the rest and
// answered (or the connection ended), so the record and count are those
// of drainRest's reply. s.mu is held. reset is true in go-smtp's Reset
// after its reply, which comes from the goroutine that read the rest.
func (s *session) stopDrain(reset bool) {
	if s.drain == nil {
		return
	}
	s.drain.Stop()
	if reset && clientGone(readEnd(s.drainData)) {
		// go-smtp calls Reset after reading the rest whether that ended
		// at the final dot or with the connection: in the second case
		// its reply went nowhere.
		s.drainRec.Reason = lostReason
	}
	s.reject("data", s.drainReply)
	s.snap.srv.Audit.Write(s.drainRec)
	s.drain, s.drainRec, s.drainReply, s.drainData = nil, nil, nil, nil
}

// readEnd is how go-smtp's reader of a message ended, read again once it
// has: io.EOF at the final dot, which it keeps returning without reading;
// otherwise the error again, which a closed or reset connection (a TLS
// one too, whose close_notify the TLS layer reads), a read deadline
// passed or a line too long all give at once.
func readEnd(r io.Reader) error {
	var b [1]byte
	_, err := r.Read(b[:])
	return err
}

// clientGone reports whether a read of the message ended because the
// client closed or reset the connection, not at its final dot, a
// deadline, a line too long, or our own close.
func clientGone(err error) bool {
	var ne net.Error
	switch {
	case err == nil, err == io.EOF, errors.Is(err, smtp.ErrTooLongLine), errors.Is(err, smtp.ErrDataTooLarge),
		errors.Is(err, errTimeout), errors.Is(err, net.ErrClosed), errors.As(err, &ne) && ne.Timeout():
		return false
	}
	return true
}

// flushRefused writes the audit record of a transaction that ended
// before DATA with recipients refused (one that reached DATA has its
// own): "refused" when every recipient was, "abandoned" when some were
// accepted and the client went no further. s.mu is held.
func (s *session) flushRefused() {
	if !s.hadData {
		s.writeRefused(txn{from: s.from, rcpts: s.rcpts, refused: s.refused, dups: s.dups})
	}
	s.refused = nil
}

// writeRefused writes flushRefused's record for a transaction.
func (s *session) writeRefused(tx txn) {
	if len(tx.refused) == 0 {
		return
	}
	rec := s.auditBase(tx)
	rec.Verdict = "refused"
	if len(tx.rcpts) > 0 {
		rec.Verdict = "abandoned"
	}
	rec.Reply = tx.refused[len(tx.refused)-1].Code
	s.snap.srv.Audit.Write(rec)
}

func (s *session) auditBase(tx txn) *AuditRecord {
	return &AuditRecord{
		Time:       time.Now().UTC(),
		Event:      "accept",
		Route:      s.snap.route.Name,
		Client:     s.client.String(),
		TLS:        s.tlsState,
		EHLO:       s.helo,
		Sender:     tx.from,
		Rcpts:      append([]string(nil), tx.rcpts...),
		Refused:    tx.refused,
		Duplicates: tx.dups,
	}
}

var errTimeout = errors.New("data timeout")
