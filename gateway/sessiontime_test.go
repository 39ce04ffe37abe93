package gateway

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
)

const sessionTimeReply = "421 4.4.2 gw.lgwan.example Session time limit reached, closing connection"

// noopUntilRefused sends NOOP every 200ms, as a client holding a slot
// would, until the reply is not a 250; it returns that reply and when it
// came.
func noopUntilRefused(s *rawSession, start time.Time) (string, time.Duration) {
	for i := 0; i < 25; i++ {
		if r := s.cmd("NOOP"); !strings.HasPrefix(r, "250") {
			return r, time.Since(start)
		}
		time.Sleep(200 * time.Millisecond)
	}
	return "(still 250 after 5s)", time.Since(start)
}

// closed reports whether the server closed the connection: a read gets
// EOF (or a reset) rather than a reply or a timeout.
func (s *rawSession) closed() bool {
	r := s.reply(2 * time.Second)
	return strings.HasPrefix(r, "ERR") && !strings.Contains(r, "timeout")
}

// TestSessionTimeLimit: limits.session_timeout bounds a connection as a
// whole, which go-smtp's per-command timeouts do not: a client sending
// only NOOPs (go-smtp answers them without our session) gets 421 4.4.2
// and the close at the limit, before EHLO, after it, and over TLS; a
// transaction cut off before DATA has its accept record; a message being
// sent when the limit passes is let finish and answered 250, and only
// then the 421 and the close come. Each cut is counted and logged.
func TestSessionTimeLimit(t *testing.T) {
	dir := t.TempDir()
	cert, key, pool := selfSigned(t, dir)
	cfg := gatewayConfig(t, dir, "", "", "    policy: default\n", "    policy: default\n    tls: {cert: "+cert+", key: "+key+"}\n"+
		"    limits: {session_timeout: 1s, command_timeout: 30s}\n")
	g := startGateway(t, cfg, false)
	addr := g.addr("inbound")
	cuts := func() float64 {
		return testutil.ToFloat64(g.m.SMTPRejects.WithLabelValues("inbound", "session", "421"))
	}

	// want421 checks the reply, when it came and the close after it.
	want421 := func(t *testing.T, s *rawSession, r string, after time.Duration) {
		t.Helper()
		if r != sessionTimeReply {
			t.Errorf("reply %q, want %q", r, sessionTimeReply)
		}
		if after < 900*time.Millisecond || after > 2500*time.Millisecond {
			t.Errorf("cut after %v, want about the 1s limit", after)
		}
		if !s.closed() {
			t.Errorf("connection not closed after the 421")
		}
	}

	for _, tc := range []struct {
		name string
		ehlo bool
	}{{"NOOP only, no EHLO", false}, {"EHLO then NOOP only", true}} {
		t.Run(tc.name, func(t *testing.T) {
			before := cuts()
			start := time.Now()
			s := rawDial(t, addr)
			s.reply(5 * time.Second)
			if tc.ehlo {
				s.cmd("EHLO c.example")
			}
			r, after := noopUntilRefused(s, start)
			want421(t, s, r, after)
			if got := cuts() - before; got != 1 {
				t.Errorf("smtp_rejects_total{stage=session,code=421} went up by %v, want 1", got)
			}
		})
	}

	t.Run("NOOP only over TLS", func(t *testing.T) {
		start := time.Now()
		s := rawDial(t, addr)
		s.reply(5 * time.Second)
		s.cmd("EHLO c.example")
		s.startTLS(pool)
		// No EHLO after STARTTLS: go-smtp has no session then.
		r, after := noopUntilRefused(s, start)
		want421(t, s, r, after)
	})

	t.Run("transaction before DATA", func(t *testing.T) {
		start := time.Now()
		s := rawDial(t, addr)
		s.reply(5 * time.Second)
		s.cmd("EHLO c.example")
		s.tx("kept@lgwan.example")
		if r := s.cmd("RCPT TO:<x@other.example>"); !strings.HasPrefix(r, "550") {
			t.Fatalf("RCPT to another domain: %q", r)
		}
		r := s.reply(5 * time.Second) // the client says nothing more
		want421(t, s, r, time.Since(start))
		var recs []AuditRecord
		for i := 0; i < 100 && len(recs) == 0; i++ {
			for _, rec := range readAudit(t, g.audit) {
				if rec.Event == "accept" && len(rec.Rcpts) == 1 && rec.Rcpts[0] == "kept@lgwan.example" {
					recs = append(recs, rec)
				}
			}
			time.Sleep(20 * time.Millisecond)
		}
		if len(recs) != 1 {
			t.Fatalf("%d accept records for the transaction cut off, want 1", len(recs))
		}
		rec := recs[0]
		if rec.Verdict != "timeout" || rec.Reply != 421 || !strings.Contains(rec.Reason, "session time limit (1s)") ||
			rec.Sender != "a@example.jp" || len(rec.Refused) != 1 || rec.Refused[0].Addr != "x@other.example" {
			t.Errorf("accept record %+v, want verdict timeout, reply 421, the sender, the refused recipient and the reason", rec)
		}
	})

	// The message takes from before the limit until well after it, at
	// a rate min_data_rate allows: it is answered 250, and on disk;
	// then comes the 421 and the close.
	for _, bdat := range []bool{false, true} {
		name := "DATA across the limit"
		if bdat {
			name = "BDAT across the limit"
		}
		t.Run(name, func(t *testing.T) {
			before := len(g.sp.List())
			start := time.Now()
			s := rawDial(t, addr)
			s.reply(5 * time.Second)
			s.cmd("EHLO c.example")
			s.tx("s@lgwan.example")
			subject := fmt.Sprintf("Subject: slow %v\r\n\r\n", bdat)
			if bdat {
				if r := s.bdat(subject, false); !strings.HasPrefix(r, "250") {
					t.Fatalf("first chunk: %q", r)
				}
			} else {
				if r := s.cmd("DATA"); !strings.HasPrefix(r, "354") {
					t.Fatalf("DATA: %q", r)
				}
				fmt.Fprint(s.conn, subject)
			}
			var last string
			for time.Since(start) < 1600*time.Millisecond {
				line := strings.Repeat("z", 98) + "\r\n"
				if bdat {
					if r := s.bdat(line, false); !strings.HasPrefix(r, "250") {
						t.Fatalf("chunk at %v: %q", time.Since(start), r)
					}
				} else {
					fmt.Fprint(s.conn, line)
				}
				time.Sleep(100 * time.Millisecond)
			}
			if bdat {
				last = s.bdat("end\r\n", true)
			} else {
				last = s.cmd("end\r\n.")
			}
			if !strings.HasPrefix(last, "250 2.0.0 Ok: queued as") {
				t.Fatalf("message sent across the limit: %q, want 250", last)
			}
			if n := len(g.sp.List()) - before; n != 1 {
				t.Errorf("%d messages spooled, want 1", n)
			}
			if r := s.reply(2 * time.Second); r != sessionTimeReply {
				t.Errorf("after the 250: %q, want %q", r, sessionTimeReply)
			}
			if !s.closed() {
				t.Errorf("connection not closed after the 421")
			}
		})
	}

	// A client that does its work within the limit never notices it:
	// two messages on one connection, then QUIT.
	t.Run("session within the limit", func(t *testing.T) {
		before := cuts()
		c := g.dial("inbound")
		for i := 0; i < 2; i++ {
			if code, text := sendOn(c, "a@example.jp", []string{"s@lgwan.example"}, "Subject: quick\r\n\r\nquick\r\n"); code != 250 {
				t.Fatalf("message %d: %d %s", i, code, text)
			}
		}
		if err := c.Quit(); err != nil {
			t.Errorf("QUIT: %v", err)
		}
		time.Sleep(1200 * time.Millisecond) // past its limit: the clock is stopped
		if got := cuts() - before; got != 0 {
			t.Errorf("a session that ended in time was counted as cut off %v times", got)
		}
	})

	logs := g.logs.String()
	if n := strings.Count(logs, `level=INFO msg="session time limit reached: connection closed" route=inbound client=127.0.0.1 duration=`); n != 6 {
		t.Errorf("%d info log lines for sessions cut off, want 6:\n%s", n, logs)
	}
}

// TestSessionTimeLimitReload: a connection keeps the session time limit
// of the configuration it began under; a reload changes new ones only.
func TestSessionTimeLimitReload(t *testing.T) {
	dir := t.TempDir()
	limit := func(d string) string {
		return "    policy: default\n    limits: {session_timeout: " + d + "}\n"
	}
	g := startGateway(t, gatewayConfig(t, dir, "", "", "    policy: default\n", limit("2s")), false)
	start := time.Now()
	old := rawDial(t, g.addr("inbound"))
	old.reply(5 * time.Second)
	old.cmd("EHLO c.example")
	if err := g.srv.Reload(gatewayConfig(t, dir, "", "", "    policy: default\n", limit("1m"))); err != nil {
		t.Fatal(err)
	}
	c := g.dial("inbound")
	r, after := noopUntilRefused(old, start)
	if r != sessionTimeReply || after < 1900*time.Millisecond || after > 3500*time.Millisecond {
		t.Errorf("connection from before the reload: %q after %v, want %q after its 2s", r, after, sessionTimeReply)
	}
	time.Sleep(500 * time.Millisecond)
	if err := c.Noop(); err != nil {
		t.Errorf("connection from after the reload (1m), at %v: %v", time.Since(start), err)
	}
	// And the other way: one from before a reload to a shorter limit
	// keeps its longer one.
	if err := g.srv.Reload(gatewayConfig(t, dir, "", "", "    policy: default\n", limit("1s"))); err != nil {
		t.Fatal(err)
	}
	time.Sleep(1500 * time.Millisecond)
	if err := c.Noop(); err != nil {
		t.Errorf("connection from before the reload to 1s: %v", err)
	}
}
