package gateway

import (
	"crypto/tls"
	"fmt"
	"net"
	"net/netip"
	"time"

	"github.com/emersion/go-smtp"

	"mugai/gateway/metrics"
)

// The session time limit (limits.session_timeout) bounds a connection
// as a whole. go-smtp's timeouts are per command: a client sending NOOP
// (which go-smtp answers itself), RSET or EHLO every few minutes, or one
// transaction after another, would hold a connection slot for ever.
//
// The clock starts when the listener admits the connection, with the
// limit of the route as it was then (a reload changes new connections
// only), and lives on the connection, since go-smtp makes a session only
// at EHLO, and a new one after STARTTLS. When the limit passes:
//   - between commands, or in a transaction before DATA, the client gets
//     a 421 and the connection is closed; a transaction with recipients
//     gets its accept record ("timeout", reply 421);
//   - while a message is being sent (DATA or BDAT, bounded by
//     data_timeout and min_data_rate), the transfer is let finish and
//     answered as ever, 250 included, and then the 421 follows and the
//     connection is closed: a message is never cut half-way nor its 250
//     lost, and a limit shorter than the slowest transfer allowed cannot
//     turn honest mail away.

// errSessionTime refuses a command that go-smtp read ahead of the close
// at the session time limit; the connection is closed, so it goes
// nowhere.
var errSessionTime = &smtp.SMTPError{Code: 421, EnhancedCode: smtp.EnhancedCode{4, 4, 2}, Message: "Session time limit reached, closing connection"}

func sessionTimeLine(hostname string) string {
	e := errSessionTime.EnhancedCode
	return fmt.Sprintf("%d %d.%d.%d %s %s\r\n", errSessionTime.Code, e[0], e[1], e[2], hostname, errSessionTime.Message)
}

// countedOf finds our listener's connection under go-smtp's, which is
// TLS after STARTTLS.
func countedOf(c net.Conn) *countedConn {
	if tc, ok := c.(*tls.Conn); ok {
		c = tc.NetConn()
	}
	cc, _ := c.(*countedConn)
	return cc
}

// startClock arms the session time limit of a connection just admitted.
func (c *countedConn) startClock(snap *routeSnap) {
	c.snap, c.start, c.limit, c.w = snap, time.Now(), snap.route.Limits.SessionTimeout.D(), c
	if c.limit > 0 {
		c.clock = time.AfterFunc(c.limit, c.timeUp)
	}
}

// attach makes s the connection's session, which the clock asks first.
func (c *countedConn) attach(s *session) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.sess = s
}

// detach ends s as the connection's session; w is the connection as
// go-smtp has it now, where the clock answers until the next session.
func (c *countedConn) detach(s *session, w net.Conn) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.sess == s {
		c.sess, c.w = nil, w
	}
}

// timeUp runs when the session time limit passes.
func (c *countedConn) timeUp() {
	for {
		c.mu.Lock()
		s, closed := c.sess, c.closed
		c.mu.Unlock()
		if closed {
			return
		}
		if s == nil {
			break
		}
		if s.timeUp() {
			return
		}
		// s ended meanwhile (STARTTLS, or the connection closing): ask
		// again.
	}
	// No session: before EHLO, or between STARTTLS and the EHLO after
	// it, when go-smtp answers every command itself.
	c.mu.Lock()
	w := c.w
	c.mu.Unlock()
	// Counted before the client is answered, so that whoever sees the
	// 421 sees it in the metric too.
	c.snap.countSessionTime(remoteIP(c.Conn), c.start, c.limit)
	hangUp(w, sessionTimeLine(c.snap.route.Hostname))
}

// countSessionTime counts and logs a session ended by its time limit.
func (snap *routeSnap) countSessionTime(client netip.Addr, start time.Time, limit time.Duration) {
	name := snap.route.Name
	snap.srv.Metrics.SMTPRejects.WithLabelValues(name, metrics.StageSession, "421").Inc()
	snap.srv.Logger.Info("session time limit reached: connection closed", "route", name, "client", client.String(),
		"duration", time.Since(start).Round(time.Millisecond), "limit", limit)
}

// timeUp is the session time limit reached during s. It returns false
// if s had ended (the caller then acts without it).
func (s *session) timeUp() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case s.loggedOut:
		return false
	case s.cut:
	case s.transfer:
		s.overtime = true // Reset ends the session after the reply
	default:
		s.cutSessionTime()
	}
	return true
}

// cutSessionTime ends the session at its time limit between commands:
// a transaction in progress (recipients given, no message yet) gets its
// accept record, and nothing the client sent ahead starts another.
// s.mu is held.
func (s *session) cutSessionTime() {
	s.cut = true
	if s.fromSet && !s.hadData && (len(s.rcpts) > 0 || len(s.refused) > 0) {
		rec := s.auditBase(txn{from: s.from, rcpts: s.rcpts, refused: s.refused, dups: s.dups})
		rec.Verdict, rec.Reply = "timeout", errSessionTime.Code
		rec.Reason = fmt.Sprintf("session time limit (%v) reached before the message was sent: connection closed", s.clock.limit)
		s.snap.srv.Audit.Write(rec)
	}
	s.from, s.fromSet, s.rcpts, s.refused, s.hadData, s.dups = "", false, nil, nil, false, 0
	s.endSessionTime()
}

// endSessionTime answers 421 and closes the connection, unless the
// session had ended otherwise already (a data timeout, say). s.mu is
// held.
func (s *session) endSessionTime() {
	s.cut = true
	s.hung.Do(func() {
		s.snap.countSessionTime(s.client, s.clock.start, s.clock.limit) // before the 421 is seen
		hangUp(s.nc, sessionTimeLine(s.snap.route.Hostname))
	})
}
