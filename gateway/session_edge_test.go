package gateway

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
)

// TestBDATOversizeArmsNoDrainTimer: a BDAT chunk that brings the message
// to exactly max_message_size+1 passes go-smtp's own limit; it must not
// take DATA's way of draining the rest (drainRest), whose timer a RSET
// that came first would never stop, and which hung up the next
// transaction.
func TestBDATOversizeArmsNoDrainTimer(t *testing.T) {
	cfg := gatewayConfig(t, t.TempDir(), "", "", "    policy: default\n",
		"    policy: default\n    limits: {max_message_size: 1KiB, command_timeout: 5s, data_timeout: 1s, min_data_rate: 1KiB}\n")
	g := startGateway(t, cfg, false)
	s := rawDial(t, g.addr("inbound"))
	s.reply(5 * time.Second)
	s.cmd("EHLO c.example")
	s.tx("s@lgwan.example")
	chunk := strings.Repeat("x", 1023) + "\r\n" // 1025 = max+1
	r1 := s.bdat(chunk, false)
	r2 := s.cmd("RSET")
	t.Logf("chunk: %q, RSET: %q", r1, r2)
	// A new, honest transaction, taking its time between commands
	// (well inside the 5s command timeout).
	s.tx("s@lgwan.example")
	time.Sleep(2500 * time.Millisecond)
	if r := s.cmd("NOOP"); !strings.HasPrefix(r, "250") {
		t.Errorf("NOOP in the next transaction, 2.5s later: %q (want 250)", r)
	}
	fmt.Fprint(s.conn, "QUIT\r\n")
}

// TestRecipientDuplicatesAtLimit: a recipient given again is taken
// without a second delivery also at max_recipients (a 452 would make the
// sender send it again), as many times as there are recipients; a new
// one past the limit is refused by us, counted and audited, not by
// go-smtp (TestEHLOLimits gives more duplicates than recipients).
func TestRecipientDuplicatesAtLimit(t *testing.T) {
	cfg := gatewayConfig(t, t.TempDir(), "", "", "    policy: default\n",
		"    policy: default\n    limits: {max_recipients: 2}\n")
	g := startGateway(t, cfg, false)
	s := rawDial(t, g.addr("inbound"))
	s.reply(5 * time.Second)
	s.cmd("EHLO c.example")
	s.cmd("MAIL FROM:<a@example.jp>")
	var got []string
	for _, r := range []string{"<a@lgwan.example>", "<b@lgwan.example>", "<a@lgwan.example>", "<@relay.example:b@lgwan.example>", "<c@lgwan.example>"} {
		got = append(got, s.cmd("RCPT TO:"+r))
	}
	for i, want := range []string{"250", "250", "250", "250", "452 4.5.3"} {
		if !strings.HasPrefix(got[i], want) || strings.Contains(got[i], "Maximum limit") {
			t.Errorf("RCPT %d: %q, want %s from us", i+1, got[i], want)
		}
	}
	if r := s.cmd("DATA"); !strings.HasPrefix(r, "354") {
		t.Fatalf("DATA: %q", r)
	}
	if r := s.cmd("Subject: x\r\n\r\nx\r\n."); !strings.HasPrefix(r, "250") {
		t.Fatalf("end of data: %q", r)
	}
	if l := g.sp.List(); len(l) != 1 || strings.Join(l[0].Env.To, " ") != "a@lgwan.example b@lgwan.example" {
		t.Errorf("spooled %+v, want one message to a and b once each", l)
	}
	var rec *AuditRecord
	waitFor(t, "the accept record", 5*time.Second, func() bool {
		for _, r := range readAudit(t, g.audit) {
			if r.Event == "accept" {
				rec = &r
			}
		}
		return rec != nil
	})
	if len(rec.Refused) != 1 || rec.Refused[0].Addr != "<c@lgwan.example>" && rec.Refused[0].Addr != "c@lgwan.example" || rec.Refused[0].Code != 452 {
		t.Errorf("audit refused %+v, want c with 452", rec.Refused)
	}
	if v := testutil.ToFloat64(g.m.SMTPRejects.WithLabelValues("inbound", "rcpt", "452")); v != 1 {
		t.Errorf("smtp_rejects_total{rcpt,452} = %v, want 1", v)
	}
	// The two recipients given again are the audit's and the metric's.
	if rec.Duplicates != 2 {
		t.Errorf("audit duplicate_recipients = %d, want 2", rec.Duplicates)
	}
	if v := testutil.ToFloat64(g.m.DuplicateRecipients.WithLabelValues("inbound")); v != 2 {
		t.Errorf("smtp_duplicate_recipients_total = %v, want 2", v)
	}
}

// TestBDATLateGoroutine: go-smtp's goroutine for a BDAT transfer mostly
// reaches Data after a pipelined RSET and the next MAIL and RCPT: it must
// not take that transaction for its own (an "abandoned" record with the
// new sender, and a transaction marked as having had data).
func TestBDATLateGoroutine(t *testing.T) {
	g := startGateway(t, gatewayConfig(t, t.TempDir(), "", ""), false)
	for i := 0; i < 300; i++ {
		s := rawDial(t, g.addr("inbound"))
		s.reply(5 * time.Second)
		s.cmd("EHLO c.example")
		s.tx("s@lgwan.example")
		fmt.Fprintf(s.conn, "BDAT 0\r\nRSET\r\nMAIL FROM:<b@example.jp>\r\nRCPT TO:<t@lgwan.example>\r\n")
		for j := 0; j < 4; j++ {
			s.reply(5 * time.Second)
		}
		s.conn.Close()
	}
	time.Sleep(500 * time.Millisecond)
	bad := 0
	for _, r := range readAudit(t, g.audit) {
		if r.Sender == "b@example.jp" {
			bad++
			if bad < 3 {
				t.Logf("record for the new transaction, which never sent data: %+v", r)
			}
		}
	}
	if bad > 0 {
		t.Errorf("%d of 300 sessions: a record for the transaction after RSET, which never sent BDAT or DATA", bad)
	}
}
