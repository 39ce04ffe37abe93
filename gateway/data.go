package gateway

import (
	"bufio"
	"bytes"
	"cmp"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/netip"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/emersion/go-smtp"

	"mugai/config"
	"mugai/gateway/metrics"
	"mugai/gateway/quarantine"
	"mugai/gateway/spool"
	"mugai/sanitize"
	"mugai/sanitize/spill"
)

// memThreshold is how much of a message stays in memory before it
// spills to an unsynced temporary file: small mail costs no file.
const memThreshold = 1 << 20

// data runs the accept path: receive (bounded in size and time), pick
// the policy, sanitise, keep the original, spool the rebuilt message, and
// only then answer 250. Every failure inside is a 451, never a 554.
func (s *session) data(r io.Reader, tx txn) error {
	srv := s.snap.srv
	route := s.snap.route
	rec := s.auditBase(tx)
	defer func() {
		if rec != nil {
			srv.Audit.Write(rec)
		}
	}()

	in := spill.New(memThreshold, srv.TempDir)
	defer in.Close()
	lim := route.Limits
	// go-smtp offers CHUNKING whatever it is told, and hands a BDAT
	// transfer to Data through a pipe that its own goroutine fills,
	// chunk by chunk, between commands; DATA comes as its dot-reader.
	// Both must meet the same limits (TestBDAT).
	_, bdat := r.(*io.PipeReader)
	rr := &rateReader{r: r, conn: s.conn.Conn(), start: time.Now(), grace: lim.DataTimeout.D(), rate: int64(lim.MinDataRate)}
	if bdat {
		rr.expire = s.hangUpTimeout
		// Between chunks the client is at the command level, where
		// go-smtp reads under the command timeout, setting that
		// deadline (now+ct) itself as it reads the next BDAT line and
		// overriding ours: the timer must come first, with slack.
		if ct := lim.CommandTimeout.D(); ct > 0 && ct-min(ct/4, time.Second) < rr.grace {
			rr.grace = ct - min(ct/4, time.Second)
		}
	}
	n, err := io.Copy(in, receiving(rr, lim.MaxMessageSize))
	rec.Size = n
	switch {
	case rr.timedOut:
		rec.Verdict, rec.Reply = "timeout", 421
		srv.Metrics.SMTPRejects.WithLabelValues(route.Name, "data", "421").Inc()
		srv.Logger.Warn("data timeout: client below the minimum rate", "route", route.Name, "client", s.client.String(), "bytes", rr.n, "elapsed", time.Since(rr.start).Round(time.Millisecond))
		// go-smtp would read the rest of the body as commands (its issue
		// #196): answer and hang up ourselves.
		s.hangUpTimeout()
		return errTimeoutReply
	case errors.Is(err, smtp.ErrDataReset):
		// A BDAT transfer that ended without LAST: RSET, EHLO or QUIT,
		// the connection lost, or go-smtp refusing the next chunk as
		// too big (it answers that 552 itself, before reading the
		// chunk, and does not tell us). We answer nothing.
		if n == 0 && s.staleTransfer(tx) {
			rec = nil // tx is the next transaction, which sent nothing
			return err
		}
		rec.Verdict = "abandoned"
		srv.Logger.Info("data: BDAT transfer abandoned", "route", route.Name, "client", s.client.String(), "bytes", rr.n)
		return err
	case err != nil && (errors.Is(err, smtp.ErrDataTooLarge) || n > int64(lim.MaxMessageSize)):
		rec.Verdict, rec.Reply = "too-big", 552
		if bdat {
			// go-smtp discards the rest of the chunk, then answers.
			return s.reject("data", errTooBig)
		}
		held := rec
		rec = nil
		return s.drainRest(rr, errTooBig, held)
	case errors.Is(err, smtp.ErrTooLongLine):
		// A permanent refusal that says why: the sender's MTA bounces at
		// once instead of retrying an "internal error" for days.
		rec.Verdict, rec.Reply = "line-too-long", 554
		srv.Logger.Warn("data: line too long", "route", route.Name, "client", s.client.String(), "limit", maxLineLength)
		if bdat {
			// Chunks are framed by their length, so the session can go
			// on: go-smtp discards the rest of the chunk, then answers.
			return s.reject("data", errLineBDAT)
		}
		// go-smtp's DATA reader stays broken after it, so the
		// connection ends here.
		srv.Metrics.SMTPRejects.WithLabelValues(route.Name, "data", "554").Inc()
		s.hangUp(fmt.Sprintf("554 5.6.0 %s message has a line over %d octets (RFC 5321 allows 998), closing connection\r\n", route.Hostname, maxLineLength))
		return errLineReply
	case in.Err() != nil:
		// Our temporary file, not the client: a full disk, say.
		reply := srv.storageReply(in.Err())
		rec.Verdict, rec.Reply = "error", reply.Code
		srv.Metrics.StorageErrors.WithLabelValues(metrics.StoreTemp).Inc()
		srv.Logger.Error("data: buffering failed", "route", route.Name, "err", in.Err())
		if bdat {
			return s.reject("data", reply)
		}
		held := rec
		rec = nil
		return s.drainRest(rr, reply, held)
	case err != nil:
		rec.Verdict, rec.Reply = "error", 451
		srv.Logger.Warn("data: read failed", "route", route.Name, "client", s.client.String(), "err", err)
		return s.reject("data", errInternal)
	case n > int64(lim.MaxMessageSize):
		rec.Verdict, rec.Reply = "too-big", 552
		if bdat {
			return s.reject("data", errTooBig)
		}
		held := rec
		rec = nil
		return s.drainRest(rr, errTooBig, held)
	}
	srv.Metrics.MessagesReceived.WithLabelValues(route.Name).Inc()
	srv.Metrics.MessageSize.WithLabelValues(route.Name).Observe(float64(n))
	// Fail closed: no mail is accepted while the audit trail cannot be
	// written (its disk is full). The records are held meanwhile, this
	// refusal's too, and written when it can be written again.
	if err := srv.Audit.Ready(); err != nil {
		rec.Verdict, rec.Reply = "error", 451
		srv.Logger.Error("audit trail cannot be written: mail refused", "route", route.Name, "client", s.client.String(), "err", err)
		return s.reject("data", errInternal)
	}
	// A reload while the transaction went on (its MAIL came before, or
	// the message took minutes to send) may have taken away what
	// admitted the session: the message is not accepted under the
	// configuration it began with (a pass-through route that sanitises
	// now, a client or domain now refused). The sender sends it again
	// on a new connection, under the configuration in force.
	s.mu.Lock()
	if why := s.revoked(); why != "" {
		rec.Verdict, rec.Reply, rec.Reason = "revoked", errRevoked.Code, "the configuration in force no longer admits the session: "+why
		err := s.revoke("data", why)
		s.mu.Unlock()
		return err
	}
	s.mu.Unlock()
	if h := CheckHops(in.Reader(), route.Hostname); h.RefusedError != nil {
		rec.Verdict, rec.Reply, rec.Reason = "loop", errLoop.Code, h.Why
		if h.Own {
			// A loop through this gateway, not only a long trace a
			// client wrote: the alert's, as its routing needs fixing.
			srv.Metrics.MailLoops.WithLabelValues(route.Name).Inc()
		}
		srv.Logger.Warn("data: too many hops, a mail loop", "route", route.Name, "client", s.client.String(), "from", clipText(tx.from, maxPathLength), "reason", h.Why)
		return s.reject("data", errLoop)
	}
	accepted := time.Now()

	res, serr := srv.accept(s.snap.cfg, route, envelopeOf(s, tx), in, rec)
	if serr != nil {
		rec.Reply = serr.Code
		if serr.Code == 451 {
			return s.reject("data", serr)
		}
		return s.reject("data", serr)
	}
	srv.Metrics.AcceptDuration.WithLabelValues(route.Name).Observe(time.Since(accepted).Seconds())
	srv.lastNoSpace.Store(0) // a message stored: there is room again
	rec.Reply = 250
	s.mu.Lock()
	s.errors, s.overshoot = 0, 0 // a client delivering mail is not guessing addresses
	s.mu.Unlock()
	return &smtp.SMTPError{Code: 250, EnhancedCode: smtp.EnhancedCode{2, 0, 0}, Message: "Ok: queued as " + res}
}

// receiving is the reader a message is taken through at DATA or BDAT,
// r being the client's: at most max+1 octets of it, a line over
// maxLineLength ending it with smtp.ErrTooLongLine, every line end made
// CRLF. What it gives is what the sanitiser and the quarantine get, and
// more than max octets of it is a message too big (Receive).
func receiving(r io.Reader, max config.Size) io.Reader {
	// go-smtp's MaxLineLength covers DATA but not BDAT chunks; this
	// counts both, after it for DATA.
	ll := &lineLimiter{r: r, max: maxLineLength}
	return sanitize.NormalizeLineEnds(io.LimitReader(ll, int64(max)+1))
}

// RefusedError is a message a route refuses, as the SMTP reply it gets.
type RefusedError struct {
	Reply string // "552 5.3.4 Message size exceeds fixed maximum message size"
	Why   string // which limit, in the configuration's terms
}

func (e *RefusedError) Error() string {
	if e.Why == "" {
		return e.Reply
	}
	return e.Reply + " (" + e.Why + ")"
}

// Receive writes to w the message read from r as route receives it at
// DATA, but for how fast it comes: the bytes the sanitiser gets, with
// CRLF line ends, or a *RefusedError for a message the route refuses
// there for its size or a line's length (any other error is r's or w's).
// The dry run (mugai sanitize -route) reads its input through it, so as
// not to rebuild a message the gateway refuses, nor another one than the
// gateway would.
func Receive(w io.Writer, r io.Reader, route *config.Route) (int64, error) {
	max := route.Limits.MaxMessageSize
	n, err := io.Copy(w, receiving(r, max))
	switch {
	case errors.Is(err, smtp.ErrTooLongLine):
		return n, &RefusedError{Reply: replyText(errLineBDAT)}
	case err != nil:
		return n, err
	case n > int64(max):
		// n counts CRLF line ends, as the limit does: a file saved with
		// LF alone is smaller on disk than the message it makes.
		return n, &RefusedError{Reply: replyText(errTooBig), Why: fmt.Sprintf("route %s: limits.max_message_size is %s; the message is larger, its line ends counted as CRLF", route.Name, max)}
	}
	return n, nil
}

// maxHops is the most Received fields a message may come with. More is a
// mail loop: RFC 5321 6.3 counts them, with a threshold of at least 100
// (Postfix's hopcount_limit is 50). mugai carries the trace over into
// the message it rebuilds, so mail that a next hop routes back (a host
// name that resolves to the gateway, a relay host pointing back) gains a
// field a round and is refused here, where it would otherwise go round
// for ever, each round keeping another original in quarantine.
const maxHops = 100

// hopHeaderMax bounds what CheckHops reads of a header section: more
// than maxHops Received fields of any length a client sends (they are
// not folded to 998 octets by every MTA) fit in it.
const hopHeaderMax = 1 << 20

// errLoop refuses a message over maxHops, as Postfix does ("5.4.6 Too
// many hops"): the sending server bounces it.
var errLoop = &smtp.SMTPError{Code: 554, EnhancedCode: smtp.EnhancedCode{5, 4, 6},
	Message: fmt.Sprintf("Too many hops: more than %d Received fields, a mail loop", maxHops)}

// Hops is what CheckHops found: a *RefusedError for a message over
// maxHops, and whether this gateway's own trace was among its fields.
type Hops struct {
	*RefusedError
	// Own: a Received field written by this gateway (by HOSTNAME
	// (mugai)), which a loop through it carries. More than maxHops
	// fields without one is a long or forged trace, refused as well,
	// but no loop of this gateway's.
	Own bool
}

// CheckHops counts the Received fields at the head of the message r
// gives, hostname being the route's, and refuses one with more than
// maxHops (errLoop). The gateway checks each message it receives whole;
// the dry run (mugai sanitize -route) too.
//
// It reads the field names line by line, at most hopHeaderMax bytes and
// no further than the field after the limit, holding nothing: a parsed
// header of a megabyte of one-byte fields takes a hundred times its
// size, and every client may send one. The values are not parsed, only
// searched for this gateway's trace.
func CheckHops(r io.Reader, hostname string) Hops {
	n, hasOwn := countHops(r, hostname)
	if n <= maxHops {
		return Hops{Own: hasOwn}
	}
	why := fmt.Sprintf("more than %d Received fields", maxHops)
	if hasOwn {
		why += ", this gateway's among them"
	}
	return Hops{RefusedError: &RefusedError{Reply: replyText(errLoop), Why: why}, Own: hasOwn}
}

// countHops is how many Received fields the header section r begins
// with has, up to maxHops+1, and whether one of those is this gateway's.
func countHops(r io.Reader, hostname string) (n int, hasOwn bool) {
	br := bufio.NewReader(io.LimitReader(r, hopHeaderMax))
	own := []byte("by " + strings.ToLower(hostname) + " (mugai)")
	// The Received field being read, unfolded and in lower case, up to
	// maxTraceField bytes: where the sanitiser folded it again, "by" may
	// end one line and the host name begin the next.
	var field []byte
	inReceived, start := false, true
	endField := func() {
		if inReceived && hostname != "" && bytes.Contains(field, own) {
			hasOwn = true
		}
		field = field[:0]
	}
	for n <= maxHops {
		line, err := br.ReadSlice('\n')
		if start && len(line) > 0 {
			switch {
			case line[0] == ' ' || line[0] == '\t':
				// A continuation of the field before.
			case bytes.Equal(line, []byte("\r\n")) || bytes.Equal(line, []byte("\n")):
				err = io.EOF // the end of the header section
				line = nil
			default:
				endField()
				inReceived = receivedField(line)
				if inReceived {
					n++
				}
			}
		}
		if room := maxTraceField - len(field); inReceived && !hasOwn && room > 1 {
			piece := bytes.TrimRight(line, "\r\n")
			if start {
				piece = bytes.TrimLeft(piece, " \t")
				field = append(field, ' ')
				room--
			}
			field = append(field, bytes.ToLower(piece[:min(len(piece), room)])...)
		}
		// A line longer than the buffer comes in pieces: only the first
		// starts a field.
		start = err != bufio.ErrBufferFull
		if err != nil && err != bufio.ErrBufferFull {
			break
		}
	}
	endField()
	return n, hasOwn
}

// maxTraceField bounds what CheckHops keeps of one Received field to
// look for the gateway's own trace in: the gateway writes it within the
// first few hundred bytes.
const maxTraceField = 2 << 10

// receivedField reports a header line that begins a Received field: the
// name in any case, then white space or none before the colon, as
// go-message reads names.
func receivedField(line []byte) bool {
	const name = "received"
	if len(line) < len(name) || !bytes.EqualFold(line[:len(name)], []byte(name)) {
		return false
	}
	rest := bytes.TrimLeft(line[len(name):], " \t")
	return len(rest) > 0 && rest[0] == ':'
}

// replyText is an SMTP reply as a client shows it.
func replyText(e *smtp.SMTPError) string {
	c := e.EnhancedCode
	return fmt.Sprintf("%d %d.%d.%d %s", e.Code, c[0], c[1], c[2], e.Message)
}

// maxLineLength is the longest line accepted, in commands and in DATA.
// RFC 5321 allows 998 octets, but mail with longer lines exists (HTML
// from generators that never break a line) and Postfix takes it; the
// rebuilt message is re-encoded anyway. A command line is held whole, so
// this bounds what one connection holds.
const maxLineLength = 64 << 10

// errLineReply is returned after hangUp on a line over maxLineLength.
var errLineReply = &smtp.SMTPError{Code: 554, EnhancedCode: smtp.EnhancedCode{5, 6, 0}, Message: "Line too long"}

// errLineBDAT refuses a line over maxLineLength in a BDAT chunk, where
// the session goes on.
var errLineBDAT = &smtp.SMTPError{Code: 554, EnhancedCode: smtp.EnhancedCode{5, 6, 0},
	Message: fmt.Sprintf("Message has a line over %d octets (RFC 5321 allows 998)", maxLineLength)}

// errTimeoutReply is returned after hangUp: the connection is closed, so
// go-smtp's own reply goes nowhere.
var errTimeoutReply = &smtp.SMTPError{Code: 421, EnhancedCode: smtp.EnhancedCode{4, 4, 2}, Message: "Data timeout"}

func hangUp(c net.Conn, reply string) {
	c.SetWriteDeadline(time.Now().Add(5 * time.Second))
	io.WriteString(c, reply)
	c.Close()
}

// hangUp answers and closes the session's connection, once: during BDAT
// the rate timer and Data may both get there, and the session clock
// (timeUp). It reports whether this call did it.
func (s *session) hangUp(reply string) bool {
	did := false
	s.hung.Do(func() {
		did = true
		hangUp(s.nc, reply)
	})
	return did
}

func (s *session) hangUpTimeout() {
	s.hangUp(fmt.Sprintf("421 4.4.2 %s data timeout, closing connection\r\n", s.snap.route.Hostname))
}

// drainRest reads the rest of a DATA message refused before its end
// (too big, or our temporary file failing) under the same rate rules,
// so that the reply lands after the client's final dot and the next
// command is a command. For an oversize message go-smtp's reader stops
// at its own limit, just past ours, and go-smtp reads the rest itself
// after Data returns, under the read deadline last set, with no limit
// of its own; past that deadline it would answer and read the rest of
// the body as commands. So that rest gets as long again as the message
// took so far, plus the grace (cutDrain ends it); Reset, which go-smtp
// calls once it has answered, stops the clock.
//
// drainRest takes rec, the transaction's accept record: its reply and
// count are those of what the client is answered, which for a rest that
// go-smtp reads is known only when it ends (stopDrain or cutDrain).
func (s *session) drainRest(rr *rateReader, reply *smtp.SMTPError, rec *AuditRecord) error {
	srv := s.snap.srv
	_, err := io.Copy(io.Discard, rr)
	if rr.timedOut {
		rec.Reply = errTimeoutReply.Code
		srv.Metrics.SMTPRejects.WithLabelValues(s.snap.route.Name, "data", "421").Inc()
		srv.Audit.Write(rec)
		s.hangUpTimeout()
		return errTimeoutReply
	}
	if !errors.Is(err, smtp.ErrDataTooLarge) {
		if clientGone(err) {
			rec.Reason = lostReason
		}
		srv.Audit.Write(rec)
		return s.reject("data", reply)
	}
	rest := rr.grace + time.Since(rr.start)
	s.mu.Lock()
	s.drains++
	n := s.drains
	s.drain = time.AfterFunc(rest, func() { s.cutDrain(n, rest) })
	s.drainRec, s.drainReply, s.drainData = rec, reply, rr.r
	s.mu.Unlock()
	// The timer ends the connection first.
	s.conn.Conn().SetReadDeadline(time.Now().Add(rest + time.Second))
	return reply
}

// lostReason is the accept record's reason when the client closed the
// connection while sending the rest of a message refused before its end.
const lostReason = "the client closed the connection before the message ended: it got no reply"

// cutDrain ends a session whose client was still sending the rest of a
// refused message when its time was over (drainRest): it answers and
// closes the connection. A permanent refusal is answered as it is
// (552 5.3.4 for a message too big), not with a 4xx "timeout" that would
// have the sender try the same message again; a client that reads only
// after its final dot sees a connection lost whatever is written, and
// the accept record says the connection was closed.
func (s *session) cutDrain(n uint64, rest time.Duration) {
	s.mu.Lock()
	if s.drain == nil || s.drains != n {
		// go-smtp read the rest and answered first (stopDrain).
		s.mu.Unlock()
		return
	}
	rec, reply := s.drainRec, s.drainReply
	s.drain, s.drainRec, s.drainReply, s.drainData = nil, nil, nil, nil
	s.mu.Unlock()
	srv := s.snap.srv
	route := s.snap.route
	line := fmt.Sprintf("421 4.4.2 %s data timeout, closing connection\r\n", route.Hostname)
	rec.Reply = 421
	if reply.Code/100 == 5 {
		e := reply.EnhancedCode
		line = fmt.Sprintf("%d %d.%d.%d %s %s, closing connection\r\n", reply.Code, e[0], e[1], e[2], route.Hostname, reply.Message)
		rec.Reply = reply.Code
	}
	rec.Reason = fmt.Sprintf("the rest of the message did not end within %v: connection closed", rest.Round(time.Millisecond))
	srv.Metrics.SMTPRejects.WithLabelValues(route.Name, "data", strconv.Itoa(rec.Reply)).Inc()
	srv.Logger.Warn("data: the rest of a refused message came too slowly: connection closed", "route", route.Name, "client", s.client.String(), "allowed", rest.Round(time.Millisecond), "reply", rec.Reply)
	srv.Audit.Write(rec) // on record before the client sees the reply
	s.hangUp(line)
}

func envelopeOf(s *session, tx txn) spool.Envelope {
	return spool.Envelope{
		Route:      s.snap.route.Name,
		From:       tx.from,
		To:         tx.rcpts,
		ClientAddr: s.client.String(),
		Helo:       s.helo,
		TLS:        s.tlsState,
		Received:   time.Now(),
	}
}

// accept sanitises (or passes through), keeps the original, and spools
// the result. It returns the queue id, or the reply to give.
func (srv *Server) accept(cfg *config.Config, route *config.Route, env spool.Envelope, in *spill.Buffer, rec *AuditRecord) (string, *smtp.SMTPError) {
	client, _ := netip.ParseAddr(env.ClientAddr)
	// Rcpt took only recipients of one policy, under this configuration
	// (the session's): a disagreement here is a bug, and nothing
	// crosses under a policy not every recipient's (fail closed).
	policyName := cfg.PolicyForRecipient(route, client, env.From, env.To[0])
	for _, r := range env.To[1:] {
		if p := cfg.PolicyForRecipient(route, client, env.From, r); p != policyName {
			srv.Logger.Error("recipients of one message under two policies", "route", route.Name, "policy", policyName, "rcpt", r, "its_policy", p)
			notAccepted(rec, "its recipients are under different policies", fmt.Errorf("%s for %s, %s for %s", policyName, env.To[0], p, r))
			return "", errInternal
		}
	}
	env.Policy = policyName
	rec.Policy = policyName
	id := spool.NewID()
	trace := receivedLine(route, env, id)

	if policyName == config.PolicyNone {
		rec.MessageID = headerMessageID(in.Reader())
		body := io.MultiReader(strings.NewReader(trace), in.Reader())
		if err := srv.Spool.PutID(id, env, body, int64(len(trace))+in.Size()); err != nil {
			srv.Metrics.StorageErrors.WithLabelValues(metrics.StoreSpool).Inc()
			srv.Logger.Error("spool put failed", "route", route.Name, "err", err)
			notAccepted(rec, "the spool could not take the message", err)
			return "", srv.storageReply(err)
		}
		// Counted once it is queued: a message refused with 451 comes
		// again and is counted then.
		rec.Verdict = "passed"
		srv.Metrics.MessagesVerdict.WithLabelValues(route.Name, policyName, "passed").Inc()
		rec.QueueID = id
		return id, nil
	}

	lockdown := srv.Lockdown()
	rec.Lockdown = lockdown
	prepared := srv.preparedPolicy(cfg, policyName, lockdown)
	keep := cfg.Policies[policyName].Original == "quarantine"
	qid := ""
	if keep {
		qid = quarantine.NewID()
	}
	out := spill.New(memThreshold, srv.TempDir)
	defer out.Close()
	opt := sanitize.Options{Prepared: prepared, PolicyName: policyName, OriginalID: qid,
		QueueID: id, Received: env.Received, Hostname: route.Hostname, Sender: env.From}
	rep, err := srv.sanitizeOnly(out, in, opt)
	if err != nil {
		srv.tempError(err)
		srv.Logger.Error("sanitize failed", "route", route.Name, "err", err)
		notAccepted(rec, "the message could not be sanitised", err)
		return "", srv.storageReply(err)
	}
	rec.fromReport(rep)
	if rep.Verdict != "rebuilt" {
		srv.countReport(rep, route.Name)
		srv.Metrics.MessagesVerdict.WithLabelValues(route.Name, policyName, "rejected").Inc()
		return "", &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 7, 1}, Message: "Message rejected by policy: " + safeReason(rep.Reason)}
	}

	if keep {
		meta := quarantine.Meta{
			ID: qid, Time: env.Received, Route: route.Name, ClientAddr: env.ClientAddr,
			From: env.From, To: env.To, Policy: policyName, Verdict: rep.Verdict,
			Subject: rep.Subject, Size: in.Size(), Removed: removedSummary(rep), Report: reportJSON(rep),
		}
		_, err := srv.Quarantine.Put(meta, in.Reader(), in.Size())
		switch {
		case errors.Is(err, quarantine.ErrFull):
			// Never fail the sanitised message because the store is
			// full: rebuild it without the quarantine reference.
			srv.Metrics.QuarantineFull.Inc()
			srv.Logger.Warn("quarantine full: original not kept", "route", route.Name)
			out.Close()
			out = spill.New(memThreshold, srv.TempDir)
			defer out.Close()
			opt.OriginalID = ""
			if rep, err = srv.sanitizeOnly(out, in, opt); err != nil || rep.Verdict != "rebuilt" {
				srv.tempError(err)
				srv.Logger.Error("sanitize without the quarantine reference failed", "route", route.Name, "err", err)
				if err == nil {
					err = fmt.Errorf("verdict %s", rep.Verdict)
				}
				notAccepted(rec, "the quarantine was full, and the message could not be rebuilt without its reference", err)
				return "", errInternal
			}
			rec.QuarantineFull = true
			qid = ""
		case err != nil:
			srv.Metrics.StorageErrors.WithLabelValues(metrics.StoreQuarantine).Inc()
			srv.Logger.Error("quarantine put failed", "route", route.Name, "err", err)
			srv.countPanics(rep, route.Name)
			notAccepted(rec, "the original could not be kept in quarantine", err)
			return "", srv.storageReply(err)
		default:
			rec.QuarantineID = qid
		}
	}
	env.QuarantineID = qid
	body := io.MultiReader(strings.NewReader(trace), out.Reader())
	if err := srv.Spool.PutID(id, env, body, int64(len(trace))+out.Size()); err != nil {
		srv.Metrics.StorageErrors.WithLabelValues(metrics.StoreSpool).Inc()
		srv.Logger.Error("spool put failed", "route", route.Name, "err", err)
		srv.countPanics(rep, route.Name)
		notAccepted(rec, "the spool could not take the message", err)
		if qid != "" {
			srv.dropOriginal(qid, route.Name, env)
		}
		return "", srv.storageReply(err)
	}
	// Counted once it is queued, as a message crossing: one refused with
	// 451 above comes again, and is counted then.
	srv.countReport(rep, route.Name)
	srv.Metrics.MessagesVerdict.WithLabelValues(route.Name, policyName, "rebuilt").Inc()
	rec.QueueID = id
	return id, nil
}

// notAccepted makes rec the record of a message refused with 451 after
// it was received whole: its verdict is error, whatever the sanitiser
// decided before the failure (the accept record of a message refused
// because its original or the rebuilt message could not be written said
// "rebuilt", and a search for what crossed found it), and the reason
// says what failed.
func notAccepted(rec *AuditRecord, what string, err error) {
	rec.Verdict = "error"
	rec.Reason = clipUTF8(what+": "+err.Error(), maxDetailBytes)
}

// dropOriginal removes the original of a message refused after it was
// kept: the sender sends it again, and the quarantine should list only
// what was accepted (an administrator could release the other).
func (srv *Server) dropOriginal(qid, route string, env spool.Envelope) {
	if err := srv.Quarantine.Delete(qid); err != nil {
		srv.Logger.Warn("the original of a message not accepted stays in quarantine until retention", "quarantine_id", qid, "err", err)
		return
	}
	srv.Metrics.QuarantinePurged.WithLabelValues(metrics.PurgeNotAccepted).Inc()
	srv.Audit.Write(&AuditRecord{Time: time.Now().UTC(), Event: "purge", Route: route, Sender: env.From, Rcpts: env.To,
		Policy: env.Policy, Verdict: "purged", Reason: metrics.PurgeNotAccepted, QuarantineID: qid,
		User: "mugai", Why: "the message was refused (451): the spool could not take it"})
}

// tempError counts a sanitiser failure that was a temporary file that
// could not be written (the sanitiser touches no other file).
// storageReply is the reply to a message that could not be stored: 452
// 4.3.1 when the disk (or the quota) is full, as Postfix answers, and
// remembered for /readyz, which then says the gateway cannot take mail
// for a while (with spool_min_free 0, nothing else tells a load balancer
// that every message is being refused); 451 4.3.0 for any other failure.
func (srv *Server) storageReply(err error) *smtp.SMTPError {
	// A spool or quarantine log that failed (an fsync that failed, a
	// disk full then among them) needs a restart, not room: 451.
	failed := srv.Spool.Err() != nil || srv.Quarantine != nil && srv.Quarantine.Err() != nil
	if !failed && (errors.Is(err, syscall.ENOSPC) || errors.Is(err, syscall.EDQUOT)) {
		srv.lastNoSpace.Store(time.Now().UnixNano())
		return errNoRoom
	}
	return errInternal
}

func (srv *Server) tempError(err error) {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		srv.Metrics.StorageErrors.WithLabelValues(metrics.StoreTemp).Inc()
	}
}

// sanitize runs the sanitiser and records what it did in metrics.
func (srv *Server) sanitize(out *spill.Buffer, in *spill.Buffer, opt sanitize.Options, route string) (*sanitize.Report, error) {
	rep, err := srv.sanitizeOnly(out, in, opt)
	if err == nil {
		srv.countReport(rep, route)
	}
	return rep, err
}

// sanitizeOnly runs the sanitiser with opt and the gateway's temporary
// directory; only its duration is counted. A message rebuilt twice (once
// more without its quarantine reference) counts what was done to it
// once, through countReport.
func (srv *Server) sanitizeOnly(out *spill.Buffer, in *spill.Buffer, opt sanitize.Options) (*sanitize.Report, error) {
	t0 := time.Now()
	opt.TempDir = srv.TempDir
	rep, err := sanitize.Message(out, in.ReaderAt(), in.Size(), opt)
	srv.Metrics.SanitizeDuration.Observe(time.Since(t0).Seconds())
	if err != nil {
		return nil, err
	}
	if out.Err() != nil {
		return nil, out.Err()
	}
	boundReport(rep)
	return rep, nil
}

// countReport records a sanitiser report in metrics: actions, attachment
// decisions, findings, panics.
func (srv *Server) countReport(rep *sanitize.Report, route string) {
	for _, a := range rep.Actions {
		srv.Metrics.SanitizeActions.WithLabelValues(actionLabel(a)).Inc()
	}
	for _, p := range rep.Parts {
		if p.Decision == sanitize.DecisionKeep || p.Removed() {
			srv.Metrics.Attachments.WithLabelValues(p.Decision, classLabel(p.Class)).Inc()
		}
	}
	for _, f := range rep.Findings {
		srv.Metrics.SanitizeFindings.WithLabelValues(findingLabel(f.Kind)).Inc()
	}
	srv.countPanics(rep, route)
}

// countPanics counts and logs the sanitiser panics of a report. A
// message refused with 451 after it was sanitised counts nothing else
// (it comes again), but a panic happened: MugaiSanitizePanic must see it.
func (srv *Server) countPanics(rep *sanitize.Report, route string) {
	for _, f := range rep.Findings {
		if f.Kind == "panic" {
			srv.Metrics.SanitizePanics.Inc()
			srv.Logger.Error("sanitizer panic caught", "route", route, "detail", f.Detail)
		}
	}
}

// actionLabel keeps sanitize_actions_total to the sanitiser's closed set
// of actions, as findingLabel does for findings.
func actionLabel(a string) string {
	if sanitize.KnownAction(a) {
		return a
	}
	return metrics.ActionOther
}

// findingLabel keeps sanitize_findings_total to the sanitiser's closed
// set of kinds.
func findingLabel(k string) string {
	if sanitize.KnownFinding(k) {
		return k
	}
	return metrics.FindingOther
}

func classLabel(c string) string {
	switch c {
	case "executable", "archive", "encrypted-archive", "office", "pdf", "image", "text":
		return c
	}
	return "other"
}

// safeReason keeps a policy reason fit for an SMTP reply line.
func safeReason(s string) string {
	s = strings.Map(func(r rune) rune {
		if r < ' ' || r > '~' {
			return ' '
		}
		return r
	}, s)
	if len(s) > 200 {
		s = s[:200]
	}
	return strings.TrimSpace(s)
}

// receivedLine is this hop's trace field (RFC 5321 4.4).
func receivedLine(route *config.Route, env spool.Envelope, id string) string {
	with := "ESMTP"
	if env.TLS {
		with = "ESMTPS"
	}
	helo := strings.Map(func(r rune) rune {
		if r <= ' ' || r > '~' || r == '(' || r == ')' {
			return -1
		}
		return r
	}, env.Helo)
	for_ := ""
	if len(env.To) == 1 {
		for_ = fmt.Sprintf("\r\n\tfor <%s>", env.To[0])
	}
	return fmt.Sprintf("Received: from %s ([%s])\r\n\tby %s (mugai) with %s id %s%s;\r\n\t%s\r\n",
		helo, env.ClientAddr, route.Hostname, with, id, for_, env.Received.Format(time.RFC1123Z))
}

// rateReader enforces DATA timing: after a grace period the client must
// keep up a minimum average rate, and no silence may exceed the grace
// period. go-smtp's ReadTimeout would instead be one absolute deadline
// over the whole body, answered with a permanent 554.
type rateReader struct {
	r        io.Reader
	conn     net.Conn
	start    time.Time
	grace    time.Duration
	rate     int64 // bytes per second
	n        int64
	timedOut bool
	// expire, when set, is called at the deadline instead of the read
	// giving up at a read deadline: a BDAT transfer reads a pipe that
	// go-smtp fills from the connection between commands, under read
	// deadlines of its own, so only a timer holds a client to the rate
	// while it idles (or sends NOOPs) between chunks or stops in one.
	expire func()
}

func (r *rateReader) Read(p []byte) (int, error) {
	now := time.Now()
	deadline := now.Add(r.grace)
	if r.rate > 0 {
		byRate := r.start.Add(r.grace + time.Duration(float64(r.n)/float64(r.rate)*float64(time.Second)))
		if byRate.Before(deadline) {
			deadline = byRate
		}
	}
	if !deadline.After(now) {
		r.timedOut = true
		return 0, errTimeout
	}
	if r.expire != nil {
		// The read deadline is for go-smtp's read of a chunk, which
		// would otherwise end at the command timeout set when the BDAT
		// line was read (a permanent 554 naming addresses): a second
		// later than the timer, which ends the connection first.
		r.conn.SetReadDeadline(deadline.Add(time.Second))
		t := time.AfterFunc(deadline.Sub(now), r.expire)
		n, err := r.r.Read(p)
		if !t.Stop() {
			r.timedOut = true
			return 0, errTimeout
		}
		r.n += int64(n)
		return n, err
	}
	r.conn.SetReadDeadline(deadline)
	n, err := r.r.Read(p)
	r.n += int64(n)
	if err != nil {
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			r.timedOut = true
		}
	}
	return n, err
}

// lineLimiter refuses a line of more than max octets (its LF not
// counted) with smtp.ErrTooLongLine.
type lineLimiter struct {
	r   io.Reader
	max int
	cur int // octets of the current line so far
}

func (l *lineLimiter) Read(p []byte) (int, error) {
	n, err := l.r.Read(p)
	b := p[:n]
	for {
		i := bytes.IndexByte(b, '\n')
		if i < 0 {
			l.cur += len(b)
			break
		}
		if l.cur+i > l.max {
			return 0, smtp.ErrTooLongLine
		}
		l.cur, b = 0, b[i+1:]
	}
	if l.cur > l.max {
		return 0, smtp.ErrTooLongLine
	}
	return n, err
}

func removedSummary(rep *sanitize.Report) []string {
	var out []string
	for _, p := range rep.Parts {
		if p.Removed() {
			name := p.Filename
			if name == "" {
				// Nameless (an inline image, say): its place and type,
				// which is what quarantine list shows of it.
				name = "part " + p.Path
				if t := cmp.Or(p.SniffedType, p.DeclaredType); t != "" {
					name += ", " + t
				}
			}
			out = append(out, fmt.Sprintf("%s (%s, %s)", name, p.Class, p.Reason))
		}
	}
	return out
}
