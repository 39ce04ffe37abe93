package gateway

import (
	"bufio"
	"crypto/tls"
	"fmt"
	"io"
	"log"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/emersion/go-message/mail"
	"github.com/emersion/go-smtp"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"mugai/gateway/spool"
)

// verifyingGateway starts a gateway whose route verifies recipients with
// nextHop (repl changes its configuration further, as for gatewayConfig)
// and returns it with a session past MAIL FROM.
func verifyingGateway(t *testing.T, dir, nextHop string, repl ...string) (*testGateway, *smtp.Client) {
	t.Helper()
	repl = append(repl, "    policy: default\n", "    policy: default\n    recipients: {verify: next-hop}\n")
	g := startGateway(t, gatewayConfig(t, dir, nextHop, "", repl...), false)
	c := g.dial("inbound")
	if err := c.Mail("a@example.jp", nil); err != nil {
		t.Fatal(err)
	}
	return g, c
}

func TestRecipientVerifyNextHop(t *testing.T) {
	nh := startSink(t, false)
	nh.rcptCode["nobody@lgwan.example"] = 550
	_, c := verifyingGateway(t, t.TempDir(), "smtp://"+nh.addr)
	if err := c.Rcpt("staff@lgwan.example", nil); err != nil {
		t.Errorf("existing mailbox refused: %v", err)
	}
	if code, text := smtpCode(c.Rcpt("nobody@lgwan.example", nil)); code != 550 || !strings.Contains(text, "5.1.1") {
		t.Errorf("unknown mailbox: %d %s, want 550 5.1.1", code, text)
	}
	// Answers are cached: a second ask does not probe again.
	nh.mu.Lock()
	before := nh.conns
	nh.mu.Unlock()
	c.Rcpt("staff@lgwan.example", nil)
	nh.mu.Lock()
	after := nh.conns
	nh.mu.Unlock()
	if after != before {
		t.Errorf("a cached recipient was probed again (%d → %d connections)", before, after)
	}
	// Next hop down: a temporary refusal, never a permanent one.
	nh.srv.Close()
	time.Sleep(50 * time.Millisecond)
	if code, text := smtpCode(c.Rcpt("new@lgwan.example", nil)); code != 450 || !strings.Contains(text, "4.1.1") {
		t.Errorf("next hop down: %d %s, want 450 4.1.1", code, text)
	}
}

// The probe goes to the next hop the way a delivery does, with the
// route's TLS settings: a next hop that refuses MAIL before STARTTLS, or
// one that speaks only implicit TLS, still answers for its mailboxes,
// and the probe checks its certificate against the route's ca_file.
func TestRecipientVerifyTLS(t *testing.T) {
	for _, scheme := range []string{"smtp", "smtps"} {
		t.Run(scheme, func(t *testing.T) {
			dir := t.TempDir()
			certFile, keyFile, _ := selfSigned(t, dir)
			cert, err := tls.LoadX509KeyPair(certFile, keyFile)
			if err != nil {
				t.Fatal(err)
			}
			tcfg := &tls.Config{Certificates: []tls.Certificate{cert}}
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			if scheme == "smtps" {
				ln = tls.NewListener(ln, tcfg)
			}
			nh := startSinkOn(t, ln, false, func(s *sink) {
				s.srv.TLSConfig = tcfg
				s.requireTLS = true
				s.rcptCode["nobody@lgwan.example"] = 550
			})
			_, c := verifyingGateway(t, dir, scheme+"://"+nh.addr,
				`"%NEXTHOP%", retry`, `"%NEXTHOP%", tls: required, ca_file: "`+certFile+`", retry`)
			if err := c.Rcpt("staff@lgwan.example", nil); err != nil {
				t.Errorf("existing mailbox refused: %v", err)
			}
			if code, text := smtpCode(c.Rcpt("nobody@lgwan.example", nil)); code != 550 || !strings.Contains(text, "5.1.1") {
				t.Errorf("unknown mailbox: %d %s, want 550 5.1.1", code, text)
			}
		})
	}
}

// Only a refusal that says the mailbox does not exist refuses the
// recipient (and is remembered); a policy refusal of the probe says
// nothing about the mailbox: deferred, and asked again next time.
func TestRecipientVerifyRefusalKinds(t *testing.T) {
	nh := startSink(t, false)
	nh.rcptErr["gone@lgwan.example"] = &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "no such user"}
	nh.rcptErr["old@lgwan.example"] = &smtp.SMTPError{Code: 550, Message: "unknown"} // go-smtp sends 5.0.0
	nh.rcptErr["older@lgwan.example"] = &smtp.SMTPError{Code: 553, EnhancedCode: smtp.NoEnhancedCode, Message: "sorry, no mailbox here by that name"}
	nh.rcptErr["policy@lgwan.example"] = &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 7, 1}, Message: "relaying denied"}
	nh.rcptErr["tls@lgwan.example"] = &smtp.SMTPError{Code: 530, EnhancedCode: smtp.EnhancedCode{5, 7, 0}, Message: "Must issue a STARTTLS command first"}
	_, c := verifyingGateway(t, t.TempDir(), "smtp://"+nh.addr)
	for _, tc := range []struct {
		rcpt string
		code int
	}{{"gone@lgwan.example", 550}, {"old@lgwan.example", 550}, {"older@lgwan.example", 550}, {"policy@lgwan.example", 450}, {"tls@lgwan.example", 450}} {
		if code, text := smtpCode(c.Rcpt(tc.rcpt, nil)); code != tc.code {
			t.Errorf("%s: %d %s, want %d", tc.rcpt, code, text, tc.code)
		}
	}
	nh.mu.Lock()
	before := nh.conns
	nh.mu.Unlock()
	smtpCode(c.Rcpt("policy@lgwan.example", nil))
	smtpCode(c.Rcpt("gone@lgwan.example", nil))
	nh.mu.Lock()
	after := nh.conns
	nh.mu.Unlock()
	if after != before+1 {
		t.Errorf("%d probes for a deferred and a cached recipient, want 1 (the deferred one)", after-before)
	}
}

// A probe to a next hop reached with tls: opportunistic whose STARTTLS
// handshake fails goes on in plaintext, as a delivery does: the
// recipient's address crossed unencrypted, and that is counted with the
// deliveries that fell back (MugaiNextHopTLSFallback) and logged. The
// answer is used all the same.
func TestRecipientVerifyTLSFallback(t *testing.T) {
	dir := t.TempDir()
	certFile, keyFile, _ := selfSigned(t, dir)
	cert, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	nh := startSinkOn(t, ln, false, func(s *sink) {
		// TLS 1.1 at most: mugai asks for 1.2 or later.
		s.srv.TLSConfig = &tls.Config{Certificates: []tls.Certificate{cert}, MaxVersion: tls.VersionTLS11}
		s.srv.ErrorLog = log.New(io.Discard, "", 0) // the refused handshake, expected
		s.rcptCode["nobody@lgwan.example"] = 550
	})
	g, c := verifyingGateway(t, dir, "smtp://"+nh.addr)
	if err := c.Rcpt("staff@lgwan.example", nil); err != nil {
		t.Errorf("existing mailbox refused: %v", err)
	}
	if code, text := smtpCode(c.Rcpt("nobody@lgwan.example", nil)); code != 550 || !strings.Contains(text, "5.1.1") {
		t.Errorf("unknown mailbox: %d %s, want 550 5.1.1", code, text)
	}
	if v := testutil.ToFloat64(g.m.DeliveryTLSFallbacks.WithLabelValues("inbound")); v != 2 {
		t.Errorf("mugai_delivery_tls_fallbacks_total{route=inbound} = %v after two probes, want 2", v)
	}
	if !strings.Contains(g.logs.String(), "recipient verification in plaintext") {
		t.Errorf("the log does not say the probe went on in plaintext:\n%s", g.logs.String())
	}
}

// A next hop whose certificate does not verify is not asked: the
// recipient is deferred, never refused, and the log says why.
func TestRecipientVerifyBadCertificate(t *testing.T) {
	dir := t.TempDir()
	certFile, keyFile, _ := selfSigned(t, dir)
	cert, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		t.Fatal(err)
	}
	other, _, _ := selfSigned(t, t.TempDir()) // a CA the next hop's certificate is not from
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	nh := startSinkOn(t, tls.NewListener(ln, &tls.Config{Certificates: []tls.Certificate{cert}}), false, func(s *sink) {
		s.srv.ErrorLog = log.New(io.Discard, "", 0) // the refused handshake, expected
	})
	g, c := verifyingGateway(t, dir, "smtps://"+nh.addr,
		`"%NEXTHOP%", retry`, `"%NEXTHOP%", tls: required, ca_file: "`+other+`", retry`)
	if code, text := smtpCode(c.Rcpt("staff@lgwan.example", nil)); code != 450 || !strings.Contains(text, "4.1.1") {
		t.Errorf("next hop with an unverifiable certificate: %d %s, want 450 4.1.1", code, text)
	}
	if !strings.Contains(g.logs.String(), "recipient verification failed") || !strings.Contains(g.logs.String(), "certificate") {
		t.Errorf("the log does not say why verification failed:\n%s", g.logs.String())
	}
}

// TestRecipientFile: the addresses of recipients.file are taken, others
// refused, as written by an editor on Windows too: a byte order mark
// before the first address (Notepad's UTF-8) and CRLF line ends are not
// part of an address, nor is a trailing dot or the quotes of a local
// part; a line that is not an address is left out, and the log says so.
func TestRecipientFile(t *testing.T) {
	dir := t.TempDir()
	list := filepath.Join(dir, "rcpts")
	os.WriteFile(list, []byte("\ufeffkikaku@lgwan.example\r\n# staff\r\nStaff@lgwan.example\r\nsoumu@lgwan.example.\r\n\"jinji\"@lgwan.example\r\nzaimu@lgwan.example # 財務課\r\n"), 0o600)
	cfg := gatewayConfig(t, dir, "", "", "    policy: default\n", "    policy: default\n    recipients: {file: "+list+"}\n")
	g := startGateway(t, cfg, false)
	c := g.dial("inbound")
	c.Mail("a@example.jp", nil)
	for _, rc := range []string{"kikaku@lgwan.example", "staff@LGWAN.example", "soumu@lgwan.example", "jinji@lgwan.example"} {
		if err := c.Rcpt(rc, nil); err != nil {
			t.Errorf("listed recipient %s refused: %v", rc, err)
		}
	}
	for _, rc := range []string{"other@lgwan.example", "zaimu@lgwan.example"} {
		if code, _ := smtpCode(c.Rcpt(rc, nil)); code != 550 {
			t.Errorf("unlisted recipient %s: %d, want 550", rc, code)
		}
	}
	if want := `msg="recipients file: a line that is not an address is ignored" route=inbound file=` + list + " line=6"; !strings.Contains(g.logs.String(), want) {
		t.Errorf("the log lacks %q:\n%s", want, g.logs.String())
	}
}

// A permanently failed recipient gets a delivery status notification to
// the sender through the route's bounces target; a null sender gets none.
func TestBounce(t *testing.T) {
	nh := startSink(t, false)
	nh.rcptCode["gone@lgwan.example"] = 550
	bounces := startSink(t, false)
	cfg := gatewayConfig(t, t.TempDir(), "smtp://"+nh.addr, "", "    policy: default\n", "    policy: default\n    bounces: {to: \"smtp://"+bounces.addr+"\"}\n")
	g := startGateway(t, cfg, true)
	if code, text := g.send("inbound", "citizen@example.jp", []string{"gone@lgwan.example"}, "Subject: to a gone mailbox\r\n\r\nhello\r\n"); code != 250 {
		t.Fatalf("send: %d %s", code, text)
	}
	if code, text := g.send("inbound", "", []string{"gone@lgwan.example"}, "Subject: from the null sender\r\n\r\nhello\r\n"); code != 250 {
		t.Fatalf("send: %d %s", code, text)
	}
	waitFor(t, "a DSN", 10*time.Second, func() bool { return len(bounces.messages()) >= 1 })
	time.Sleep(500 * time.Millisecond) // a second DSN would arrive meanwhile
	msgs := bounces.messages()
	if len(msgs) != 1 {
		t.Fatalf("%d DSNs, want 1 (none for the null sender)", len(msgs))
	}
	d := msgs[0]
	if d.From != "" || len(d.To) != 1 || d.To[0] != "citizen@example.jp" {
		t.Errorf("DSN envelope %q → %v, want <> → citizen@example.jp", d.From, d.To)
	}
	mr, err := mail.CreateReader(strings.NewReader(string(d.Data)))
	if err != nil {
		t.Fatal(err)
	}
	ct, params, _ := mr.Header.ContentType()
	if ct != "multipart/report" || params["report-type"] != "delivery-status" || !strings.Contains(string(d.Data), "Final-Recipient: rfc822; gone@lgwan.example") {
		t.Errorf("DSN is not an RFC 3464 report: %s %v\n%s", ct, params, d.Data)
	}
	if v := testutil.ToFloat64(g.m.Bounces.WithLabelValues("inbound")); v != 1 {
		t.Errorf("bounces_total = %v", v)
	}
	var bounced int
	for _, r := range readAudit(t, g.audit) {
		if r.Event == "bounce" && len(r.Rcpts) == 1 && r.Rcpts[0] == "citizen@example.jp" {
			bounced++
		}
	}
	if bounced != 1 {
		t.Errorf("%d bounce audit records, want 1", bounced)
	}
}

// TestRecipientVerifyNextHopDown: while the next hop cannot be reached,
// one probe fails and the recipients after it are deferred without a
// connection or a log line each.
func TestRecipientVerifyNextHopDown(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	var accepts atomic.Int32
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			accepts.Add(1)
			c.Close() // a next hop that hangs up at once
		}
	}()
	g, c := verifyingGateway(t, t.TempDir(), "smtp://"+ln.Addr().String())
	for i := range 10 {
		if code, text := smtpCode(c.Rcpt(fmt.Sprintf("user%d@lgwan.example", i), nil)); code != 450 || !strings.Contains(text, "4.1.1") {
			t.Errorf("recipient %d with the next hop down: %d %s, want 450 4.1.1", i, code, text)
		}
	}
	if n := accepts.Load(); n != 1 {
		t.Errorf("%d connections to the next hop for 10 recipients, want 1", n)
	}
	if n := strings.Count(g.logs.String(), "recipient verification failed"); n != 1 {
		t.Errorf("%d warnings for 10 recipients, want 1:\n%s", n, g.logs.String())
	}
	if v := testutil.ToFloat64(g.m.SMTPRejects.WithLabelValues("inbound", "rcpt", "450")); v != 10 {
		t.Errorf("smtp_rejects_total{rcpt,450} = %v, want 10", v)
	}
}

// TestFailedMessageDeleted: a message that failed for good stays in the
// queue for retry.keep_failed, where it can be requeued, and is then
// deleted, with its audit record and count; its sender had the notice.
func TestFailedMessageDeleted(t *testing.T) {
	nh := startSink(t, false)
	nh.rcptCode["gone@lgwan.example"] = 550
	bounces := startSink(t, false)
	cfg := gatewayConfig(t, t.TempDir(), "smtp://"+nh.addr, "", "retry: {initial: 1s", "retry: {keep_failed: 3s, initial: 1s",
		"    policy: default\n", "    policy: default\n    bounces: {to: \"smtp://"+bounces.addr+"\"}\n")
	g := startGateway(t, cfg, true)
	if code, text := g.send("inbound", "citizen@example.jp", []string{"gone@lgwan.example"}, "Subject: to a gone mailbox\r\n\r\nhello\r\n"); code != 250 {
		t.Fatalf("send: %d %s", code, text)
	}
	var id string
	waitFor(t, "the failure", 10*time.Second, func() bool {
		for _, m := range g.sp.List() {
			if m.Env.Route == "inbound" && m.Rcpts[0].State == spool.Failed {
				id = m.ID
				return true
			}
		}
		return false
	})
	failed := time.Now()
	waitFor(t, "the deletion", 15*time.Second, func() bool {
		_, err := g.sp.Get(id)
		return err != nil
	})
	if after := time.Since(failed); after < 2*time.Second {
		t.Errorf("deleted %s after it failed, want keep_failed (3s)", after.Round(time.Millisecond))
	}
	// The janitor records and counts the deletion right after it, as a
	// scrape then sees it.
	waitFor(t, "queue_purged_total to count it", 5*time.Second, func() bool {
		return testutil.ToFloat64(g.m.QueuePurged.WithLabelValues("inbound")) >= 1
	})
	time.Sleep(100 * time.Millisecond)
	if v := testutil.ToFloat64(g.m.QueuePurged.WithLabelValues("inbound")); v != 1 {
		t.Errorf("queue_purged_total = %v, want 1", v)
	}
	var del *AuditRecord
	for _, r := range readAudit(t, g.audit) {
		if r.Event == "delete" && r.QueueID == id {
			del = &r
		}
	}
	if del == nil || del.User != "mugai" || !strings.Contains(del.Why, "keep_failed is 3s") || len(del.Delivery) != 1 || del.Delivery[0].State != "failed" {
		t.Errorf("delete record %+v, want one by mugai naming keep_failed, with the failed recipient", del)
	}
	if n := len(bounces.messages()); n != 1 {
		t.Errorf("%d notices to the sender, want 1", n)
	}
}

// Each probe is a whole SMTP session with the LGWAN mail server, started
// by one RCPT of any client: past the budget (probeBurst, then probeRate
// a second) new recipients are deferred with 450 4.4.5 (mail system congestion) without a probe,
// and counted.
func TestRecipientVerifyBudget(t *testing.T) {
	nh := startSink(t, false)
	g, c := verifyingGateway(t, t.TempDir(), "smtp://"+nh.addr)
	start := time.Now()
	accepted, limited := 0, 0
	for i := 0; i < 400 && limited < 5; i++ {
		err := c.Rcpt(fmt.Sprintf("new%d@lgwan.example", i), nil)
		switch code, text := rcptReply(err); {
		case code == 450 && strings.Contains(text, "4.4.5"):
			limited++
		case code != 250:
			t.Fatalf("new%d: %s", i, text)
		default:
			if err := c.Reset(); err != nil {
				t.Fatal(err)
			}
			if err := c.Mail("a@example.jp", nil); err != nil {
				t.Fatal(err)
			}
			accepted++
		}
	}
	elapsed := time.Since(start)
	nh.mu.Lock()
	probes := nh.conns
	nh.mu.Unlock()
	if limited == 0 {
		t.Fatalf("%d new recipients in %v, all probed: no budget", accepted, elapsed)
	}
	if max := probeBurst + int(elapsed.Seconds()*probeRate) + 1; probes > max {
		t.Errorf("%d probes in %v, want at most %d", probes, elapsed, max)
	}
	if v := testutil.ToFloat64(g.m.RecipientVerify.WithLabelValues("inbound", "rate_limited")); int(v) != limited {
		t.Errorf("rate_limited = %v, want %d", v, limited)
	}
	if v := testutil.ToFloat64(g.m.RecipientVerify.WithLabelValues("inbound", "exists")); int(v) != probes || probes != accepted {
		t.Errorf("exists = %v, %d probes, %d accepted", v, probes, accepted)
	}
	// The budget comes back.
	time.Sleep(300 * time.Millisecond)
	if err := c.Rcpt("later@lgwan.example", nil); err != nil {
		t.Errorf("after a pause: %v", err)
	}
	if !strings.Contains(g.logs.String(), "recipient verification over budget") {
		t.Error("no warning in the log")
	}
	// The transaction's record (written before RSET is answered) tells
	// these 450s from the next hop's being down (4.1.1) by their
	// enhanced status.
	if err := c.Reset(); err != nil {
		t.Fatal(err)
	}
	busy := 0
	for _, rec := range readAudit(t, g.audit) {
		for _, r := range rec.Refused {
			if r.Code == 450 && r.Status == "4.4.5" {
				busy++
			} else {
				t.Errorf("refused %+v in %+v, want 450 4.4.5", r, rec)
			}
		}
	}
	if busy != limited {
		t.Errorf("%d recipients recorded as refused with 450 4.4.5, want %d", busy, limited)
	}
}

// A next hop slow to answer RCPT: at most probeMax probes are open at
// once; the recipients beyond are deferred at once, not queued behind.
func TestRecipientVerifyOpenProbes(t *testing.T) {
	release := make(chan struct{})
	addr, conns := startRawHop(t, func(_ int32, c net.Conn) {
		r := bufio.NewReader(c)
		io.WriteString(c, "220 lgwan.example ESMTP\r\n")
		for {
			line, err := r.ReadString('\n')
			if err != nil {
				return
			}
			switch cmd := strings.ToUpper(line[:min(4, len(line))]); cmd {
			case "EHLO", "HELO", "MAIL", "RSET", "NOOP":
				io.WriteString(c, "250 ok\r\n")
			case "RCPT":
				<-release
				io.WriteString(c, "250 ok\r\n")
			case "QUIT":
				io.WriteString(c, "221 bye\r\n")
				return
			default:
				io.WriteString(c, "502 no\r\n")
			}
		}
	})
	var once sync.Once
	unblock := func() { once.Do(func() { close(release) }) }
	t.Cleanup(unblock) // before the hop's own cleanup, which waits for its connections
	g, first := verifyingGateway(t, t.TempDir(), "smtp://"+addr)
	clients := []*smtp.Client{first}
	for len(clients) < probeMax+3 {
		c := g.dial("inbound")
		if err := c.Mail("a@example.jp", nil); err != nil {
			t.Fatal(err)
		}
		clients = append(clients, c)
	}
	type answer struct {
		code int
		text string
	}
	answers := make(chan answer, len(clients))
	for i, c := range clients {
		go func() {
			code, text := rcptReply(c.Rcpt(fmt.Sprintf("slow%d@lgwan.example", i), nil))
			answers <- answer{code, text}
		}()
	}
	// The ones over the limit answer while the others wait.
	for i := 0; i < len(clients)-probeMax; i++ {
		select {
		case a := <-answers:
			if a.code != 450 || !strings.Contains(a.text, "4.4.5") {
				t.Errorf("over the open probes: %d %s, want 450 4.4.5", a.code, a.text)
			}
		case <-time.After(10 * time.Second):
			t.Fatal("no recipient was deferred while the probes were open")
		}
	}
	for deadline := time.Now().Add(10 * time.Second); conns.Load() < probeMax && time.Now().Before(deadline); {
		time.Sleep(10 * time.Millisecond)
	}
	time.Sleep(50 * time.Millisecond)
	if n := conns.Load(); n != probeMax {
		t.Errorf("%d probes open, want %d", n, probeMax)
	}
	unblock()
	for i := 0; i < probeMax; i++ {
		if a := <-answers; a.code != 250 {
			t.Errorf("a probed recipient: %s", a.text)
		}
	}
	if v := testutil.ToFloat64(g.m.RecipientVerify.WithLabelValues("inbound", "rate_limited")); v != 3 {
		t.Errorf("rate_limited = %v, want 3", v)
	}
}

// rcptReply is the reply to a RCPT as code and text, 250 for success.
func rcptReply(err error) (int, string) {
	if err == nil {
		return 250, "250"
	}
	return smtpCode(err)
}
