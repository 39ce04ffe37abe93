package gateway

import (
	"bytes"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
)

// A client may have only so many recipients refused (rcptErrorLimit)
// without a message accepted in between: one more, and it is answered
// 421 and the connection closed, as Postfix's smtpd_hard_error_limit
// does. Each refusal is one entry of the transaction's record, with the
// address clipped to a path's length however long the client made it.
func TestRecipientErrorLimit(t *testing.T) {
	cfg := gatewayConfig(t, t.TempDir(), "", "", "    policy: default\n",
		"    policy: default\n    limits: {max_recipients: 5}\n")
	g := startGateway(t, cfg, false)
	limit := rcptErrorLimit(5)
	long := "<" + strings.Repeat("a", 60000) + "@evil.example>"

	s := rawDial(t, g.addr("inbound"))
	s.reply(5 * time.Second)
	s.cmd("EHLO c.example")
	// A message accepted between refusals starts the count again.
	s.cmd("MAIL FROM:<a@example.jp>")
	for i := 0; i < limit-1; i++ {
		if r := s.cmd("RCPT TO:<x@elsewhere.example>"); !strings.HasPrefix(r, "550 5.7.1") {
			t.Fatalf("refusal %d: %q", i+1, r)
		}
	}
	if r := s.cmd("RCPT TO:<s@lgwan.example>"); !strings.HasPrefix(r, "250") {
		t.Fatalf("good recipient: %q", r)
	}
	s.data()
	s.cmd("MAIL FROM:<a@example.jp>")
	for i := 0; i < limit; i++ {
		if r := s.cmd("RCPT TO:" + long); !strings.HasPrefix(r, "553") && !strings.HasPrefix(r, "550") {
			t.Fatalf("refusal %d after the message: %q", i+1, r)
		}
	}
	if r := s.cmd("RCPT TO:" + long); !strings.HasPrefix(r, "421 4.7.0") {
		t.Fatalf("refusal past the limit: %q, want 421 4.7.0", r)
	}
	if r := s.reply(2 * time.Second); !strings.HasPrefix(r, "ERR") {
		t.Errorf("the connection is still open: %q", r)
	}

	var rec *AuditRecord
	waitFor(t, "the record of the cut transaction", 5*time.Second, func() bool {
		for _, r := range readAudit(t, g.audit) {
			if r.Event == "accept" && r.Verdict == "refused" {
				rec = &r
			}
		}
		return rec != nil
	})
	if len(rec.Refused) != limit+1 || rec.Reply != 421 || rec.Refused[limit].Code != 421 || rec.Refused[limit].Status != "4.7.0" {
		t.Fatalf("record: %d refused, reply %d, last %+v; want %d, ending with 421 4.7.0", len(rec.Refused), rec.Reply, rec.Refused[len(rec.Refused)-1], limit+1)
	}
	for _, r := range rec.Refused {
		if len(r.Addr) > maxPathLength+32 || !strings.HasSuffix(r.Addr, fmt.Sprintf("…(%d bytes)", len(long)-2)) {
			t.Fatalf("refused address kept as %d bytes: %.80q", len(r.Addr), r.Addr)
		}
	}
	if v := testutil.ToFloat64(g.m.SMTPRejects.WithLabelValues("inbound", "rcpt", "421")); v != 1 {
		t.Errorf("smtp_rejects_total{rcpt,421} = %v, want 1", v)
	}
	if !strings.Contains(g.logs.String(), "too many recipients refused") {
		t.Error("no log line for the cut")
	}
	if strings.Contains(g.logs.String(), strings.Repeat("a", maxPathLength+1)) {
		t.Error("the log has an address longer than a path")
	}
}

// RFC 5321 4.1.4: MAIL inside a transaction is refused; the transaction
// goes on with its recipients.
func TestNestedMail(t *testing.T) {
	g := startGateway(t, gatewayConfig(t, t.TempDir(), "", ""), false)
	s := rawDial(t, g.addr("inbound"))
	s.reply(5 * time.Second)
	s.cmd("EHLO c.example")
	s.cmd("MAIL FROM:<a@example.jp>")
	if r := s.cmd("RCPT TO:<one@lgwan.example>"); !strings.HasPrefix(r, "250") {
		t.Fatalf("RCPT: %q", r)
	}
	if r := s.cmd("MAIL FROM:<x@example.jp>"); !strings.HasPrefix(r, "503 5.5.1") {
		t.Errorf("nested MAIL: %q, want 503 5.5.1", r)
	}
	if r := s.cmd("RCPT TO:<two@lgwan.example>"); !strings.HasPrefix(r, "250") {
		t.Fatalf("RCPT: %q", r)
	}
	s.data()
	if l := g.sp.List(); len(l) != 1 || l[0].Env.From != "a@example.jp" || strings.Join(l[0].Env.To, " ") != "one@lgwan.example two@lgwan.example" {
		t.Errorf("spooled %+v, want one message from a to one and two", l)
	}
	if v := testutil.ToFloat64(g.m.SMTPRejects.WithLabelValues("inbound", "mail", "503")); v != 1 {
		t.Errorf("smtp_rejects_total{mail,503} = %v, want 1", v)
	}
}

// An EHLO argument goes into the Received field and every record: one
// longer than a domain may be is refused, and the client may greet again.
func TestLongEHLO(t *testing.T) {
	g := startGateway(t, gatewayConfig(t, t.TempDir(), "", ""), false)
	s := rawDial(t, g.addr("inbound"))
	s.reply(5 * time.Second)
	if r := s.cmd("EHLO " + strings.Repeat("h", 60000)); !strings.HasPrefix(r, "501 5.5.2") {
		t.Fatalf("long EHLO: %q, want 501 5.5.2", r)
	}
	if r := s.cmd("EHLO " + strings.Repeat("h", 255)); !strings.HasPrefix(r, "250") {
		t.Fatalf("EHLO of 255 octets: %q", r)
	}
	if v := testutil.ToFloat64(g.m.SMTPRejects.WithLabelValues("inbound", "helo", "501")); v != 1 {
		t.Errorf("smtp_rejects_total{helo,501} = %v, want 1", v)
	}
}

// Recipients past max_recipients are 452 for the next transaction (RFC
// 5321 4.5.3.1.10), not errors: a list longer than the limit is taken in
// pieces. Only rcptOvershootLimit of them in a row close the connection.
func TestRecipientOvershoot(t *testing.T) {
	cfg := gatewayConfig(t, t.TempDir(), "", "", "    policy: default\n",
		"    policy: default\n    limits: {max_recipients: 5}\n")
	g := startGateway(t, cfg, false)
	s := rawDial(t, g.addr("inbound"))
	s.reply(5 * time.Second)
	s.cmd("EHLO c.example")
	s.cmd("MAIL FROM:<a@example.jp>")
	for i := 0; i < 30; i++ {
		want := "250"
		if i >= 5 {
			want = "452 4.5.3"
		}
		if r := s.cmd(fmt.Sprintf("RCPT TO:<u%d@lgwan.example>", i)); !strings.HasPrefix(r, want) {
			t.Fatalf("recipient %d of 30: %q, want %s", i+1, r, want)
		}
	}
	s.data()
	if l := g.sp.List(); len(l) != 1 || len(l[0].Env.To) != 5 {
		t.Fatalf("spooled %+v, want one message to the first 5", l)
	}

	// Pipelined: the first 5 taken, rcptOvershootLimit 452s, then 421.
	s.cmd("MAIL FROM:<a@example.jp>")
	var cmds []string
	for i := 0; i < 5+rcptOvershootLimit+1; i++ {
		cmds = append(cmds, fmt.Sprintf("RCPT TO:<v%d@lgwan.example>", i))
	}
	codes, last := pipeline(s, cmds)
	if codes["250"] != 5 || codes["452"] != rcptOvershootLimit || codes["421"] != 1 || !strings.HasPrefix(last, "421 4.7.0") {
		t.Errorf("replies %v, last %q; want 5×250, %d×452, then 421 4.7.0", codes, last, rcptOvershootLimit)
	}
}

// The record of a transaction at max_recipients' ceiling, as large as a
// client can make it (every accepted address long and full of '&', which
// JSON writes as six bytes; every refusal as long as a command line and
// of control bytes), stays well within what `mugai audit verify` reads.
func TestAuditRecordAtCeiling(t *testing.T) {
	const ceiling = 1000 // config.MaxRecipientsCeiling
	cfg := gatewayConfig(t, t.TempDir(), "", "", "    policy: default\n",
		fmt.Sprintf("    policy: default\n    limits: {max_recipients: %d}\n", ceiling))
	g := startGateway(t, cfg, false)
	s := rawDial(t, g.addr("inbound"))
	s.reply(5 * time.Second)
	s.cmd("EHLO c.example")
	s.cmd("MAIL FROM:<a@example.jp>")
	// Refusals before the last accepted recipient are errors, after it
	// one too many: both kinds, each up to its limit.
	var cmds []string
	amp := strings.Repeat("&", 58)
	bad := strings.Repeat("\x01", 3000)
	errs := rcptErrorLimit(ceiling)
	for i := 0; i < ceiling+errs; i++ {
		if i%2 == 0 && i/2 < errs {
			cmds = append(cmds, fmt.Sprintf("RCPT TO:<%s%05d@elsewhere.example>", bad, i))
		} else {
			cmds = append(cmds, fmt.Sprintf("RCPT TO:<%s%05d@lgwan.example>", amp, i))
		}
	}
	for i := 0; i <= rcptOvershootLimit; i++ {
		cmds = append(cmds, fmt.Sprintf("RCPT TO:<%s%05d@elsewhere.example>", bad, i))
	}
	n := len(cmds)
	codes, last := pipeline(s, cmds)
	if codes["250"] != ceiling || codes["421"] != 1 {
		t.Fatalf("replies %v, last %.40q", codes, last)
	}
	var rec *AuditRecord
	waitFor(t, "the record", 10*time.Second, func() bool {
		for _, r := range readAudit(t, g.audit) {
			if r.Event == "accept" && r.Reply == 421 {
				rec = &r
			}
		}
		return rec != nil
	})
	if len(rec.Rcpts) != ceiling || len(rec.Refused) != n-ceiling {
		t.Errorf("record: %d recipients, %d refused; want %d and %d", len(rec.Rcpts), len(rec.Refused), ceiling, n-ceiling)
	}
	data, err := os.ReadFile(g.audit)
	if err != nil {
		t.Fatal(err)
	}
	longest := 0
	for _, l := range bytes.Split(data, []byte("\n")) {
		longest = max(longest, len(l))
	}
	if longest > 2<<20 {
		t.Errorf("longest audit line %d bytes, want under 2 MiB (audit verify reads 16 MiB)", longest)
	}
	if _, err := VerifyAudit(bytes.NewReader(data)); err != nil {
		t.Errorf("audit verify: %v", err)
	}
}

// pipeline sends cmds a hundred at a time, reading the replies of each
// hundred before the next, and counts them by code until the connection
// ends; last is the last reply read. (All at once, the server closing
// with commands unread resets the connection, and the client loses the
// replies it has not read.)
func pipeline(s *rawSession, cmds []string) (codes map[string]int, last string) {
	codes = map[string]int{}
	for len(cmds) > 0 {
		batch := cmds[:min(100, len(cmds))]
		cmds = cmds[len(batch):]
		go s.conn.Write([]byte(strings.Join(batch, "\r\n") + "\r\n"))
		for range batch {
			r := s.reply(20 * time.Second)
			if strings.HasPrefix(r, "ERR") {
				return codes, last
			}
			last = r
			codes[r[:3]]++
		}
	}
	return codes, last
}
