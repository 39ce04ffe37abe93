package gateway

import (
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"mugai/gateway/internal/mtatest"
)

// sizedMessage is a message of exactly n octets as RFC 1870 counts them
// (CRLF line ends, no dot-stuffing, no final dot).
func sizedMessage(t *testing.T, n int) string {
	t.Helper()
	head := "Subject: sized\r\n\r\n"
	line := strings.Repeat("0123456789", 6) + "\r\n" // 62
	var b strings.Builder
	b.WriteString(head)
	for b.Len()+len(line) <= n-3 {
		b.WriteString(line)
	}
	b.WriteString(strings.Repeat("x", n-b.Len()-2) + "\r\n")
	if b.Len() != n {
		t.Fatalf("sizedMessage: %d octets, want %d", b.Len(), n)
	}
	return b.String()
}

// TestEHLOLimits: what EHLO tells a client about the route's limits, as
// a real go-smtp client reads it, and what happens at those limits.
// go-smtp advertises SIZE and LIMITS RCPTMAX from the very numbers it
// enforces itself, before our session sees the command; so SIZE is
// max_message_size+1 (its DATA reader refuses a message of exactly its
// limit) and there is no RCPTMAX (a recipient past it would be refused
// by go-smtp, uncounted and unaudited): see newDispatch.
func TestEHLOLimits(t *testing.T) {
	cfg := gatewayConfig(t, t.TempDir(), "", "", "    policy: default\n",
		"    policy: default\n    limits: {max_message_size: 2KiB, max_recipients: 3}\n")
	g := startGateway(t, cfg, false)
	rejects := func(stage, code string) float64 {
		return testutil.ToFloat64(g.m.SMTPRejects.WithLabelValues("inbound", stage, code))
	}

	c := g.dial("inbound")
	if ok, v := c.Extension("SIZE"); !ok || v != "2049" {
		t.Errorf("EHLO SIZE: %v %q, want 2049 (max_message_size+1)", ok, v)
	}
	if ok, v := c.Extension("LIMITS"); ok {
		t.Errorf("EHLO advertises LIMITS %s, which go-smtp would enforce before our own refusal", v)
	}
	c.Close()
	// swaks, an external client, reads the same.
	t.Run("swaks", func(t *testing.T) {
		out, err := mtatest.Swaks(t, "--server", g.addr("inbound"), "--quit-after", "EHLO", "--helo", "swaks.example")
		if err != nil || !regexp.MustCompile(`(?m)^<-  250[- ]SIZE 2049$`).MatchString(out) || strings.Contains(out, "LIMITS") {
			t.Errorf("swaks EHLO: %v\n%s", err, out)
		}
	})

	t.Run("size", func(t *testing.T) {
		exact := sizedMessage(t, 2048)
		if code, text := g.send("inbound", "a@example.jp", []string{"s@lgwan.example"}, exact); code != 250 {
			t.Errorf("DATA of exactly max_message_size: %d %s", code, text)
		}
		s := rawDial(t, g.addr("inbound"))
		s.reply(5 * time.Second)
		s.cmd("EHLO c.example")
		s.tx("s@lgwan.example")
		if r := s.bdat(exact, true); !strings.HasPrefix(r, "250 2.0.0 Ok: queued") {
			t.Errorf("BDAT of exactly max_message_size: %q", r)
		}
		before := rejects("data", "552")
		if code, text := g.send("inbound", "a@example.jp", []string{"s@lgwan.example"}, sizedMessage(t, 2049)); code != 552 || !strings.Contains(text, "5.3.4") {
			t.Errorf("DATA of max_message_size+1: %d %s", code, text)
		}
		// Counted once go-smtp has read the rest and answered (drainRest).
		waitFor(t, "smtp_rejects_total{data,552} counted", 5*time.Second, func() bool { return rejects("data", "552") == before+1 })
		// The SIZE go-smtp lets through is ours to refuse, counted.
		if r := s.cmd("MAIL FROM:<a@example.jp> SIZE=2048"); !strings.HasPrefix(r, "250") {
			t.Errorf("MAIL SIZE=max_message_size: %q", r)
		}
		s.cmd("RSET")
		before = rejects("mail", "552")
		if r := s.cmd("MAIL FROM:<a@example.jp> SIZE=2049"); !strings.HasPrefix(r, "552 5.3.4") {
			t.Errorf("MAIL SIZE=max_message_size+1: %q", r)
		}
		if v := rejects("mail", "552"); v != before+1 {
			t.Errorf("smtp_rejects_total{mail,552} = %v, want %v", v, before+1)
		}
		// The operator reads whose MAIL it was and why; a client saying
		// it again at once is counted, not logged again.
		want := `msg="mail refused" route=inbound client=127.0.0.1 from=a@example.jp code=552 reason="Message size exceeds fixed maximum message size"`
		if n := strings.Count(g.logs.String(), want); n != 1 {
			t.Errorf("%d log lines %s, want 1; log:\n%s", n, want, g.logs.String())
		}
		if r := s.cmd("MAIL FROM:<a@example.jp> SIZE=2049"); !strings.HasPrefix(r, "552 5.3.4") {
			t.Errorf("MAIL SIZE=max_message_size+1 again: %q", r)
		}
		if v := rejects("mail", "552"); v != before+2 {
			t.Errorf("smtp_rejects_total{mail,552} = %v, want %v", v, before+2)
		}
		if n := strings.Count(g.logs.String(), `msg="mail refused"`); n != 1 {
			t.Errorf("%d mail refused lines after a second refusal within the second, want 1", n)
		}
		// Past the advertised number go-smtp answers MAIL itself, before
		// our session sees it: uncounted, unlogged (deploy/README.md,
		// "Size"). It reads SIZE as a 32-bit number (conn.go,
		// strconv.ParseUint(value, 10, 32)), so from 4 GiB on the reply
		// is a syntax error, not 552.
		for _, tt := range []struct{ size, reply string }{
			{"2050", "552 5.3.4 Max message size exceeded"},
			{"4294967295", "552 5.3.4 Max message size exceeded"},
			{"4294967296", "501 5.5.4 Unable to parse SIZE as an integer"},
		} {
			s.cmd("RSET")
			if r := s.cmd("MAIL FROM:<a@example.jp> SIZE=" + tt.size); r != tt.reply {
				t.Errorf("MAIL SIZE=%s: %q, want %q", tt.size, r, tt.reply)
			}
		}
		if v, w := rejects("mail", "552"), rejects("mail", "501"); v != before+2 || w != 0 {
			t.Errorf("smtp_rejects_total{mail,552} = %v, {mail,501} = %v, want %v and 0: go-smtp's own refusals are not ours to count", v, w, before+2)
		}
		if n := strings.Count(g.logs.String(), `msg="mail refused"`); n != 1 {
			t.Errorf("%d mail refused lines after go-smtp's own refusals, want 1", n)
		}
	})

	// Past max_recipients a new recipient is refused by us (452 4.5.3,
	// counted, audited); a recipient given again is taken, without a
	// second delivery, however often.
	t.Run("recipients", func(t *testing.T) {
		s := rawDial(t, g.addr("inbound"))
		s.reply(5 * time.Second)
		s.cmd("EHLO c.example")
		s.cmd("MAIL FROM:<a@example.jp>")
		for i := 0; i < 3; i++ {
			if r := s.cmd(fmt.Sprintf("RCPT TO:<u%d@lgwan.example>", i)); !strings.HasPrefix(r, "250") {
				t.Fatalf("recipient %d: %q", i, r)
			}
		}
		before := rejects("rcpt", "452")
		if r := s.cmd("RCPT TO:<u9@lgwan.example>"); !strings.HasPrefix(r, "452 4.5.3") || strings.Contains(r, "Maximum limit") {
			t.Errorf("fourth recipient: %q, want 452 4.5.3 from us", r)
		}
		if v := rejects("rcpt", "452"); v != before+1 {
			t.Errorf("smtp_rejects_total{rcpt,452} = %v, want %v", v, before+1)
		}
		for i := 0; i < 10; i++ {
			if r := s.cmd(fmt.Sprintf("RCPT TO:<u%d@lgwan.example>", i%3)); !strings.HasPrefix(r, "250") {
				t.Errorf("recipient given again (%d): %q", i, r)
			}
		}
		s.cmd("DATA")
		spooled := len(g.sp.List())
		if r := s.cmd("Subject: x\r\n\r\nx\r\n."); !strings.HasPrefix(r, "250") {
			t.Fatalf("end of data: %q", r)
		}
		l := g.sp.List()
		if len(l) != spooled+1 {
			t.Fatalf("%d messages spooled, want one more than %d", len(l), spooled)
		}
		var to []string
		for _, m := range l {
			if len(m.Env.To) > 1 {
				to = m.Env.To
			}
		}
		if strings.Join(to, " ") != "u0@lgwan.example u1@lgwan.example u2@lgwan.example" {
			t.Errorf("spooled for %q, want u0, u1 and u2 once each", to)
		}
		var rec *AuditRecord
		waitFor(t, "the accept record", 5*time.Second, func() bool {
			for _, r := range readAudit(t, g.audit) {
				if r.Event == "accept" && len(r.Rcpts) == 3 {
					rec = &r
				}
			}
			return rec != nil
		})
		if rec.Duplicates != 10 || len(rec.Refused) != 1 || rec.Refused[0].Code != 452 {
			t.Errorf("accept record: duplicates %d, refused %+v; want 10 and u9 with 452", rec.Duplicates, rec.Refused)
		}
	})
}
