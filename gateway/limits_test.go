package gateway

import (
	"bufio"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
)

// rawSession speaks SMTP by hand, for clients a library would not be.
type rawSession struct {
	t    *testing.T
	conn net.Conn
	r    *bufio.Reader
}

func rawDial(t *testing.T, addr string) *rawSession {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return &rawSession{t: t, conn: c, r: bufio.NewReader(c)}
}

// reply reads one (possibly multi-line) reply and returns its last line.
func (s *rawSession) reply(timeout time.Duration) string {
	s.conn.SetReadDeadline(time.Now().Add(timeout))
	for {
		line, err := s.r.ReadString('\n')
		if err != nil {
			return "ERR " + err.Error()
		}
		if len(line) < 4 || line[3] != '-' {
			return strings.TrimRight(line, "\r\n")
		}
	}
}

func (s *rawSession) cmd(line string) string {
	fmt.Fprintf(s.conn, "%s\r\n", line)
	return s.reply(5 * time.Second)
}

// startTLS gives STARTTLS, which must be answered 220, and goes on over
// TLS, checking the gateway's certificate against pool.
func (s *rawSession) startTLS(pool *x509.CertPool) {
	s.t.Helper()
	if r := s.cmd("STARTTLS"); !strings.HasPrefix(r, "220") {
		s.t.Fatalf("STARTTLS: %q", r)
	}
	tc := tls.Client(s.conn, &tls.Config{RootCAs: pool, ServerName: "gw.lgwan.example"})
	if err := tc.Handshake(); err != nil {
		s.t.Fatal(err)
	}
	s.conn, s.r = tc, bufio.NewReader(tc)
}

// data sends a small message with DATA, which must be answered 354 and
// then 250.
func (s *rawSession) data() {
	s.t.Helper()
	if r := s.cmd("DATA"); !strings.HasPrefix(r, "354") {
		s.t.Fatalf("DATA: %q", r)
	}
	if r := s.cmd("Subject: x\r\n\r\nx\r\n."); !strings.HasPrefix(r, "250") {
		s.t.Fatalf("end of data: %q", r)
	}
}

// toData reads the greeting and gives EHLO, MAIL, RCPT and DATA, which
// must be answered 354.
func (s *rawSession) toData() {
	s.t.Helper()
	s.reply(5 * time.Second)
	s.cmd("EHLO c.example")
	s.cmd("MAIL FROM:<a@example.jp>")
	s.cmd("RCPT TO:<s@lgwan.example>")
	if r := s.cmd("DATA"); !strings.HasPrefix(r, "354") {
		s.t.Fatalf("DATA: %q", r)
	}
}

func TestLimits(t *testing.T) {
	cfg := gatewayConfig(t, t.TempDir(), "", "",
		"    policy: default\n", `    policy: default
    limits: {max_message_size: 2KiB, max_recipients: 3, max_connections: 10, max_connections_per_client: 3, command_timeout: 1500ms, data_timeout: 1s, min_data_rate: 1KiB}
`)
	g := startGateway(t, cfg, false)
	addr := g.addr("inbound")

	// A normal client keeps being served while the others misbehave.
	normal := func() {
		t.Helper()
		if code, text := g.send("inbound", "a@example.jp", []string{"s@lgwan.example"}, "Subject: ok\r\n\r\nfine\r\n"); code != 250 {
			t.Errorf("normal client refused: %d %s", code, text)
		}
	}

	t.Run("size declared", func(t *testing.T) {
		s := rawDial(t, addr)
		s.reply(5 * time.Second)
		s.cmd("EHLO c.example")
		if r := s.cmd("MAIL FROM:<a@example.jp> SIZE=999999"); !strings.HasPrefix(r, "552 5.3.4") {
			t.Errorf("MAIL with SIZE over the limit: %q", r)
		}
	})
	t.Run("size sent", func(t *testing.T) {
		big := "Subject: big\r\n\r\n" + strings.Repeat("0123456789012345678901234567890123456789\r\n", 100)
		code, text := g.send("inbound", "a@example.jp", []string{"s@lgwan.example"}, big)
		if code != 552 || !strings.Contains(text, "5.3.4") {
			t.Errorf("oversize DATA: %d %s", code, text)
		}
		normal()
	})
	// The 552 comes after the final dot and the session goes on, also
	// past the time the rest of a message was allowed.
	t.Run("size sent, session goes on", func(t *testing.T) {
		s := rawDial(t, addr)
		s.toData()
		if r := s.cmd("Subject: big\r\n\r\n" + strings.Repeat("0123456789012345678901234567890123456789\r\n", 100) + "."); !strings.HasPrefix(r, "552 5.3.4") {
			t.Fatalf("oversize DATA: %q", r)
		}
		time.Sleep(1250 * time.Millisecond) // past the rest's 1 s, within the 1.5 s command timeout
		if r := s.cmd("NOOP"); !strings.HasPrefix(r, "250") {
			t.Errorf("NOOP after the 552: %q", r)
		}
	})
	// go-smtp reads the rest of an oversize message after Data, under
	// the last read deadline: a rest that came after it was read as
	// commands (the 552, then 250 to a NOOP written in the body). The rest
	// gets as long again as the message took, plus the 1 s grace; then
	// the client is answered the 552 and cut off (TestOversizeData).
	t.Run("size sent, the rest too slow", func(t *testing.T) {
		s := rawDial(t, addr)
		s.toData()
		fmt.Fprint(s.conn, "Subject: big\r\n\r\n"+strings.Repeat("0123456789012345678901234567890123456789\r\n", 100))
		// Past the last read deadline the rate rule set (1 s grace and
		// 4 KiB at 1 KiB/s).
		time.Sleep(5500 * time.Millisecond)
		fmt.Fprint(s.conn, "NOOP\r\n.\r\n")
		var replies []string
		for r := s.reply(3 * time.Second); !strings.HasPrefix(r, "ERR"); r = s.reply(3 * time.Second) {
			replies = append(replies, r)
		}
		if len(replies) != 1 || !strings.HasPrefix(replies[0], "552 5.3.4") || !strings.Contains(replies[0], "closing connection") {
			t.Errorf("replies %q, want one 552 5.3.4 and the connection closed", replies)
		}
	})
	t.Run("recipients", func(t *testing.T) {
		c := g.dial("inbound")
		defer c.Close()
		c.Mail("a@example.jp", nil)
		for i := 0; i < 3; i++ {
			if err := c.Rcpt(fmt.Sprintf("u%d@lgwan.example", i), nil); err != nil {
				t.Fatal(err)
			}
		}
		if code, text := smtpCode(c.Rcpt("u9@lgwan.example", nil)); code != 452 || !strings.Contains(text, "4.5.3") {
			t.Errorf("fourth recipient: %d %s", code, text)
		}
	})
	t.Run("connections per client", func(t *testing.T) {
		waitIdle(t, g)
		var held []*rawSession
		for i := 0; i < 3; i++ {
			s := rawDial(t, addr)
			if r := s.reply(5 * time.Second); !strings.HasPrefix(r, "220") {
				t.Fatalf("connection %d: %q", i, r)
			}
			held = append(held, s)
		}
		s := rawDial(t, addr)
		if r := s.reply(5 * time.Second); !strings.HasPrefix(r, "421 4.7.0") {
			t.Errorf("fourth connection from one client: %q, want 421 4.7.0", r)
		}
		for _, h := range held {
			h.conn.Close()
		}
		time.Sleep(100 * time.Millisecond)
		normal()
		if v := testutil.ToFloat64(g.m.SMTPConnections.WithLabelValues("inbound", "limited")); v != 1 {
			t.Errorf("smtp_connections_total{limited} = %v", v)
		}
		// A refusal at the connect stage too, beside the 554 of a client
		// network not allowed: the dashboard's refusals show both.
		if v := testutil.ToFloat64(g.m.SMTPRejects.WithLabelValues("inbound", "connect", "421")); v != 1 {
			t.Errorf("smtp_rejects_total{connect,421} = %v", v)
		}
	})
	t.Run("slow drip", func(t *testing.T) {
		s := rawDial(t, addr)
		s.toData()
		done := make(chan string, 1)
		go func() { done <- s.reply(10 * time.Second) }()
		// 20 bytes a second is far below 1 KiB/s: cut after the 1 s grace.
		start := time.Now()
	drip:
		for i := 0; i < 100; i++ {
			select {
			case r := <-done:
				done <- r
				break drip
			case <-time.After(50 * time.Millisecond):
				s.conn.Write([]byte("x"))
			}
		}
		r := <-done
		if !strings.HasPrefix(r, "421 4.4.2") {
			t.Errorf("slow drip: %q, want 421 4.4.2", r)
		}
		if el := time.Since(start); el > 4*time.Second {
			t.Errorf("slow drip cut after %v", el)
		}
		if r := s.reply(2 * time.Second); !strings.HasPrefix(r, "ERR") {
			t.Errorf("connection still open after the data timeout: %q", r)
		}
		normal()
	})
	t.Run("silent client", func(t *testing.T) {
		s := rawDial(t, addr)
		s.reply(5 * time.Second)
		start := time.Now()
		if r := s.reply(5 * time.Second); !strings.HasPrefix(r, "421 4.4.2") {
			t.Errorf("client that never sends a command: %q", r)
		}
		if el := time.Since(start); el < time.Second || el > 4*time.Second {
			t.Errorf("idle cut after %v, want about the 1.5s command timeout", el)
		}
		normal()
	})
}

// waitIdle waits until the server has seen every earlier connection
// close (it learns of a close asynchronously).
func waitIdle(t *testing.T, g *testGateway) {
	t.Helper()
	for i := 0; i < 200; i++ {
		if testutil.ToFloat64(g.m.SMTPSessionsActive.WithLabelValues("inbound")) == 0 {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatal("sessions still active")
}

// TestLongLines: RFC 5321 allows 998 octets a line, but mail with longer
// ones exists and is taken, as Postfix takes it; a line over
// maxLineLength is refused for good (554 5.6.0, saying why), counted and
// audited, and the connection ends, since go-smtp's reader cannot go on.
func TestLongLines(t *testing.T) {
	g := startGateway(t, gatewayConfig(t, t.TempDir(), "", ""), false)
	data := func(s *rawSession, line string) string {
		t.Helper()
		s.toData()
		return s.cmd("Subject: long\r\n\r\n" + line + "\r\nafter\r\n.")
	}
	if r := data(rawDial(t, g.addr("inbound")), strings.Repeat("y", 3000)); !strings.HasPrefix(r, "250 ") {
		t.Errorf("a 3000-octet line: %q, want 250", r)
	}
	s := rawDial(t, g.addr("inbound"))
	if r := data(s, strings.Repeat("y", maxLineLength+10)); !strings.HasPrefix(r, "554 5.6.0") || !strings.Contains(r, "line over") {
		t.Errorf("a line over %d octets: %q, want 554 5.6.0 saying why", maxLineLength, r)
	}
	if r := s.reply(2 * time.Second); !strings.HasPrefix(r, "ERR") {
		t.Errorf("connection still open after the refusal: %q", r)
	}
	if v := testutil.ToFloat64(g.m.SMTPRejects.WithLabelValues("inbound", "data", "554")); v != 1 {
		t.Errorf("smtp_rejects_total{data,554} = %v, want 1", v)
	}
	// The record is written as the session ends, after the reply.
	var verdicts []string
	for i := 0; i < 200 && len(verdicts) < 2; i++ {
		verdicts = verdicts[:0]
		for _, r := range readAudit(t, g.audit) {
			if r.Event == "accept" {
				verdicts = append(verdicts, fmt.Sprintf("%s %d", r.Verdict, r.Reply))
			}
		}
		time.Sleep(10 * time.Millisecond)
	}
	if want := []string{"rebuilt 250", "line-too-long 554"}; strings.Join(verdicts, ",") != strings.Join(want, ",") {
		t.Errorf("accept records %v, want %v", verdicts, want)
	}
}

// TestRefusedRecipientsAudited: a transaction that ends before DATA with
// recipients refused has an accept record listing them, 452s for too
// many included: "refused" when every recipient was, "abandoned" when
// some were accepted.
func TestRefusedRecipientsAudited(t *testing.T) {
	cfg := gatewayConfig(t, t.TempDir(), "", "", "    policy: default\n", "    policy: default\n    limits: {max_recipients: 2}\n")
	g := startGateway(t, cfg, false)
	session := func(end string, rcpts ...string) {
		t.Helper()
		s := rawDial(t, g.addr("inbound"))
		s.reply(5 * time.Second)
		s.cmd("EHLO c.example")
		s.cmd("MAIL FROM:<a@example.jp>")
		for _, r := range rcpts {
			s.cmd("RCPT TO:<" + r + ">")
		}
		s.cmd(end)
	}
	session("QUIT", "ok@lgwan.example", "x@other.example")
	session("QUIT", "y@other.example")
	session("RSET", "a@lgwan.example", "b@lgwan.example", "c@lgwan.example")
	session("QUIT", "d@lgwan.example") // nothing refused: no record
	var got []string
	for i := 0; i < 100 && len(got) < 3; i++ {
		got = got[:0]
		for _, r := range readAudit(t, g.audit) {
			if r.Event != "accept" {
				continue
			}
			var refused []string
			for _, x := range r.Refused {
				refused = append(refused, fmt.Sprintf("%s:%d", x.Addr, x.Code))
			}
			got = append(got, fmt.Sprintf("%s %d rcpts=%s refused=%s", r.Verdict, r.Reply, strings.Join(r.Rcpts, ","), strings.Join(refused, ",")))
		}
		time.Sleep(20 * time.Millisecond)
	}
	want := []string{ // sorted: a session's record is written as it ends
		"abandoned 452 rcpts=a@lgwan.example,b@lgwan.example refused=c@lgwan.example:452",
		"abandoned 550 rcpts=ok@lgwan.example refused=x@other.example:550",
		"refused 550 rcpts= refused=y@other.example:550",
	}
	slices.Sort(got)
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		b, _ := os.ReadFile(g.audit)
		t.Errorf("accept records:\n%s\nwant:\n%s\naudit:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"), b)
	}
}

// TestConnectionLimitsPerRoute: max_connections and
// max_connections_per_client bound a route, over every address it
// listens on. Each listener counted on its own, so a route on two
// addresses (ports 25 and 587, an IPv4 and an IPv6 address) took twice
// its max_connections, and a client twice its share, by connecting to
// both.
func TestConnectionLimitsPerRoute(t *testing.T) {
	for _, tc := range []struct{ name, limits, want string }{
		{"max_connections", "{max_connections: 1, max_connections_per_client: 1}", "421 4.7.0 gw.lgwan.example too many connections, try again later"},
		{"max_connections_per_client", "{max_connections: 5, max_connections_per_client: 1}", "421 4.7.0 gw.lgwan.example too many connections from your address"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := gatewayConfig(t, t.TempDir(), "", "", `listen: ["127.0.0.1:0"]`, `listen: ["127.0.0.1:0", "127.0.0.1:0"]`,
				"    policy: default\n", "    policy: default\n    limits: "+tc.limits+"\n")
			g := startGateway(t, cfg, false)
			addrs := g.srv.Addrs()["inbound"]
			if len(addrs) != 2 {
				t.Fatalf("listening on %v, want two addresses", addrs)
			}
			first := rawDial(t, addrs[0].String())
			if r := first.reply(5 * time.Second); !strings.HasPrefix(r, "220") {
				t.Fatalf("first connection: %q", r)
			}
			second := rawDial(t, addrs[1].String())
			if r := second.reply(5 * time.Second); !strings.HasPrefix(r, tc.want) {
				t.Errorf("a second connection, to the route's other address: %q, want %q", r, tc.want)
			}
			// The slot is the route's again once the first one ends.
			first.cmd("QUIT")
			waitFor(t, "the slot", 5*time.Second, func() bool {
				s := rawDial(t, addrs[1].String())
				defer s.conn.Close()
				return strings.HasPrefix(s.reply(5*time.Second), "220")
			})
		})
	}
}
