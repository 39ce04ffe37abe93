package gateway

import (
	"fmt"
	"strings"
	"testing"
	"time"
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

// TestRecipientDuplicatesCountAgainstLimit: duplicates are answered 250
// but go-smtp keeps them in its own recipient list, whose backstop
// (max_recipients+1) would refuse a new recipient itself: no metric, no
// audit refusal, and a reply naming a limit that is not the configured
// one. They count against the limit in Rcpt too.
func TestRecipientDuplicatesCountAgainstLimit(t *testing.T) {
	cfg := gatewayConfig(t, t.TempDir(), "", "", "    policy: default\n",
		"    policy: default\n    limits: {max_recipients: 2}\n")
	g := startGateway(t, cfg, false)
	s := rawDial(t, g.addr("inbound"))
	s.reply(5 * time.Second)
	s.cmd("EHLO c.example")
	s.cmd("MAIL FROM:<a@example.jp>")
	var got []string
	for _, r := range []string{"a@lgwan.example", "a@lgwan.example", "a@lgwan.example", "b@lgwan.example"} {
		got = append(got, s.cmd("RCPT TO:<"+r+">"))
	}
	t.Logf("replies: %q", got)
	// Either accepted, or refused by us (our text, counted): never
	// go-smtp's uncounted "Maximum limit of 3 recipients reached".
	if strings.Contains(got[3], "Maximum limit") {
		t.Errorf("a second distinct recipient (limit 2) after duplicates: %q: go-smtp's own refusal, uncounted", got[3])
	}
	fmt.Fprint(s.conn, "QUIT\r\n")
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
