package gateway

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
)

// TestOversizeData: a message over max_message_size sent with DATA and
// no SIZE= on MAIL. go-smtp reads the rest after Data returns, so that
// the 552 comes after the final dot, for as long again as the message
// took so far plus data_timeout (drainRest); a client still sending then
// is answered and cut off. Whatever the client is answered is what the
// accept record's reply and smtp_rejects_total say, and the record says
// when the connection was closed before the message ended.
func TestOversizeData(t *testing.T) {
	cfg := gatewayConfig(t, t.TempDir(), "", "", "    policy: default\n",
		"    policy: default\n    limits: {max_message_size: 2KiB, command_timeout: 3s, data_timeout: 1s, min_data_rate: 1KiB}\n")
	g := startGateway(t, cfg, false)
	line := strings.Repeat("0123456789abcdef", 4) + "\r\n"
	chunk := strings.Repeat(line, 64) // 4.1 KiB, twice the limit
	cases := []struct {
		name string
		// chunks of 4.1 KiB to send after the header, every pause
		chunks int
		pause  time.Duration
		want   string // prefix of the one reply the client reads
		closed bool   // the connection ends after it
		reason string // in the accept record
	}{
		// 12 times the limit, at once: within the time the rest gets.
		{name: "ends in time", chunks: 6, want: "552 5.3.4", reason: ""},
		// 160 times the limit over 4 s: still sending when the second
		// and a bit the rest gets is over.
		{name: "still sending", chunks: 80, pause: 50 * time.Millisecond, want: "552 5.3.4", closed: true, reason: "connection closed"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			before := map[string]float64{}
			for _, code := range []string{"421", "451", "552"} {
				before[code] = testutil.ToFloat64(g.m.SMTPRejects.WithLabelValues("inbound", "data", code))
			}
			auditBefore := len(readAudit(t, g.audit))

			s := rawDial(t, g.addr("inbound"))
			s.toData()
			// The client reads while it writes, so it sees a reply that
			// comes before its final dot.
			wrote := make(chan error, 1)
			go func() {
				_, err := fmt.Fprint(s.conn, "Subject: big\r\n\r\n")
				for i := 0; i < tc.chunks && err == nil; i++ {
					_, err = fmt.Fprint(s.conn, chunk)
					time.Sleep(tc.pause)
				}
				if err == nil {
					_, err = fmt.Fprint(s.conn, ".\r\n")
				}
				wrote <- err
			}()
			reply := s.reply(10 * time.Second)
			werr := <-wrote
			if !strings.HasPrefix(reply, tc.want) {
				t.Errorf("reply %q (writer: %v), want %s", reply, werr, tc.want)
			}
			if tc.closed {
				if r := s.reply(2 * time.Second); !strings.HasPrefix(r, "ERR") {
					t.Errorf("connection still open after the reply: %q", r)
				}
			} else if r := s.cmd("NOOP"); !strings.HasPrefix(r, "250") {
				t.Errorf("NOOP after the reply: %q", r)
			}
			s.conn.Close()

			var recs []AuditRecord
			waitFor(t, "the accept record", 5*time.Second, func() bool {
				recs = readAudit(t, g.audit)[auditBefore:]
				return len(recs) > 0
			})
			code := reply[:3]
			if len(recs) != 1 || recs[0].Verdict != "too-big" || fmt.Sprint(recs[0].Reply) != code ||
				!strings.Contains(recs[0].Reason, tc.reason) || tc.reason == "" && recs[0].Reason != "" {
				t.Errorf("accept records %+v, want one too-big with the reply the client read (%s) and reason %q", recs, code, tc.reason)
			}
			for c, b := range before {
				want := b
				if c == code {
					want++
				}
				if v := testutil.ToFloat64(g.m.SMTPRejects.WithLabelValues("inbound", "data", c)); v != want {
					t.Errorf("smtp_rejects_total{data,%s} = %v, want %v", c, v, want)
				}
			}
		})
	}
}

// TestOversizeDataClientGone: a client that gives up while sending the
// rest of a message too big (before its final dot) gets no reply; the
// accept record is too-big, 552 (the decision), and its reason says the
// client closed the connection, whether it did so while mugai read the
// rest (drainRest) or while go-smtp did.
func TestOversizeDataClientGone(t *testing.T) {
	dir := t.TempDir()
	cert, key, pool := selfSigned(t, dir)
	cfg := gatewayConfig(t, dir, "", "", "    policy: default\n",
		"    policy: default\n    tls: {cert: "+cert+", key: "+key+"}\n    limits: {max_message_size: 2KiB, command_timeout: 3s, data_timeout: 2s, min_data_rate: 1KiB}\n")
	g := startGateway(t, cfg, false)
	chunk := strings.Repeat(strings.Repeat("0123456789abcdef", 4)+"\r\n", 64) // 4.1 KiB
	for _, tc := range []struct {
		name  string
		bytes int  // sent before the pause and the close
		tls   bool // after STARTTLS: the client's close is a TLS close_notify, then the TCP one
	}{
		{"within the first reads", 1, false},
		{"well past the limit", 6, false},
		{"within the first reads, over TLS", 1, true},
		{"well past the limit, over TLS", 6, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			auditBefore := len(readAudit(t, g.audit))
			s := rawDial(t, g.addr("inbound"))
			if tc.tls {
				s.reply(5 * time.Second)
				s.cmd("EHLO c.example")
				s.startTLS(pool)
				s.cmd("EHLO c.example")
				s.cmd("MAIL FROM:<a@example.jp>")
				s.cmd("RCPT TO:<s@lgwan.example>")
				if r := s.cmd("DATA"); !strings.HasPrefix(r, "354") {
					t.Fatalf("DATA: %q", r)
				}
			} else {
				s.toData()
			}
			recs := leaveInData(t, g, s, auditBefore, "Subject: big\r\n\r\n"+strings.Repeat(chunk, tc.bytes))
			if len(recs) != 1 || recs[0].Verdict != "too-big" || recs[0].Reply != 552 || recs[0].Reason != lostReason {
				t.Errorf("accept records %+v, want one too-big, 552, reason %q", recs, lostReason)
			}
		})
	}
}

// leaveInData sends body on a session in DATA, waits, and closes the
// connection before the final dot, as a client giving up does; it
// returns the audit records written since the first auditBefore.
func leaveInData(t *testing.T, g *testGateway, s *rawSession, auditBefore int, body string) []AuditRecord {
	t.Helper()
	fmt.Fprint(s.conn, body)
	time.Sleep(300 * time.Millisecond)
	s.conn.Close()
	var recs []AuditRecord
	waitFor(t, "the accept record", 5*time.Second, func() bool {
		recs = readAudit(t, g.audit)[auditBefore:]
		return len(recs) > 0
	})
	return recs
}
