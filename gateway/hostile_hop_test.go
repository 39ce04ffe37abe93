package gateway

import (
	"fmt"
	"net"
	"net/textproto"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/emersion/go-smtp"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"mugai/gateway/internal/mtatest"
	"mugai/gateway/metrics"
	"mugai/gateway/spool"
)

// One message, three recipients: delivered, refused (550), and refused
// for now (450) until the retry lifetime ends. Each outcome is counted
// once, the refused one bounces at once, the deferred one only when it
// expires. On a pass-through route each DSN quotes the next hop's reply
// once, as it was sent, and names it (Remote-MTA). On a sanitising route
// the DSN goes to the untrusted side, often to a forged sender: it gives
// the reply's codes alone and no Remote-MTA, the next hop's words and
// address being the LGWAN's.
func TestNextHopMixedOutcome(t *testing.T) {
	for _, tc := range []struct {
		policy    string
		sanitised bool
	}{{"default", true}, {"none", false}} {
		t.Run("policy "+tc.policy, func(t *testing.T) {
			nh := startSink(t, false)
			nh.rcptCode["gone@lgwan.example"] = 550
			nh.rcptErr["busy@lgwan.example"] = &smtp.SMTPError{Code: 450, EnhancedCode: smtp.EnhancedCode{4, 2, 1}, Message: "mailbox busy (lgwan-mx1)"}
			bounces := startSink(t, false)
			cfg := gatewayConfig(t, t.TempDir(), "smtp://"+nh.addr, "",
				"retry: {initial: 1s, max: 2s, lifetime: 1h}", "retry: {initial: 1s, max: 1s, lifetime: 1s}",
				"    policy: default\n", "    policy: "+tc.policy+"\n    bounces: {to: \"smtp://"+bounces.addr+"\"}\n")
			g := startGateway(t, cfg, true)
			if code, text := g.send("inbound", "citizen@example.jp", []string{"ok@lgwan.example", "gone@lgwan.example", "busy@lgwan.example"}, "Subject: mixed\r\n\r\nhello\r\n"); code != 250 {
				t.Fatalf("send: %d %s", code, text)
			}
			waitFor(t, "two DSNs", 10*time.Second, func() bool { return len(bounces.messages()) >= 2 })
			// A DSN the sink has is still in the queue until its
			// delivery is recorded (and counted): under load that can
			// take longer than a fixed pause.
			waitFor(t, "the DSNs' deliveries recorded", 10*time.Second, func() bool { return len(g.sp.List()) == 1 })
			time.Sleep(300 * time.Millisecond)
			msgs := bounces.messages()
			if len(msgs) != 2 {
				t.Fatalf("%d DSNs, want 2", len(msgs))
			}
			first, second := string(msgs[0].Data), string(msgs[1].Data)
			if !strings.Contains(first, "Final-Recipient: rfc822; gone@lgwan.example") || strings.Contains(first, "busy@") || strings.Contains(first, "ok@") {
				t.Errorf("first DSN is not about gone@ alone:\n%s", first)
			}
			if !strings.Contains(second, "Final-Recipient: rfc822; busy@lgwan.example") || strings.Contains(second, "gone@") {
				t.Errorf("second DSN is not about busy@ alone:\n%s", second)
			}
			diag := "Diagnostic-Code: smtp; 450 4.2.1 mailbox busy (lgwan-mx1)\r\n"
			if tc.sanitised {
				diag = "Diagnostic-Code: smtp; 450 4.2.1\r\n"
			}
			if !strings.Contains(second, "Status: 5.4.7") || !strings.Contains(second, diag) {
				t.Errorf("expiry DSN: want Status 5.4.7 and %q:\n%s", diag, second)
			}
			for _, d := range []string{first, second} {
				remote := strings.Contains(d, "Remote-MTA: dns; 127.0.0.1\r\n")
				switch {
				case tc.sanitised && (remote || strings.Contains(d, "lgwan-mx1") || strings.Contains(d, "no such user")):
					t.Errorf("DSN to the untrusted side names the next hop or quotes its words:\n%s", d)
				case !tc.sanitised && !remote:
					t.Errorf("DSN without Remote-MTA: dns; 127.0.0.1 (a host, not a URL):\n%s", d)
				}
			}
			if n := len(nh.messages()); n != 1 {
				t.Errorf("%d messages delivered, want 1", n)
			}
			att := g.m.DeliveryAttempts
			if d, f := testutil.ToFloat64(att.WithLabelValues("inbound", metrics.DeliveryDelivered)), testutil.ToFloat64(att.WithLabelValues("inbound", metrics.DeliveryFailed)); d != 3 || f != 2 {
				// The DSNs' own deliveries count under the route too.
				t.Errorf("delivered %v failed %v, want 3 (the message and two DSNs) and 2", d, f)
			}
			if v := testutil.ToFloat64(att.WithLabelValues("inbound", metrics.DeliveryDeferred)); v < 1 {
				t.Errorf("deferred %v, want at least 1", v)
			}
			// The operator's records keep the whole reply.
			if m := g.sp.List(); len(m) != 1 || !strings.Contains(fmt.Sprint(m[0].Rcpts), "mailbox busy (lgwan-mx1)") {
				t.Errorf("the queue does not keep the next hop's reply: %+v", m)
			}
		})
	}
}

// startRawHop runs a hand-written SMTP next hop on loopback until the
// test ends: serve has each connection, numbered from 1, and closes it
// by returning. conns counts them.
func startRawHop(t *testing.T, serve func(n int32, c net.Conn)) (addr string, conns *atomic.Int32) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	conns = new(atomic.Int32)
	var wg sync.WaitGroup
	t.Cleanup(func() { ln.Close(); wg.Wait() })
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			n := conns.Add(1)
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer c.Close()
				serve(n, c)
			}()
		}
	}()
	return ln.Addr().String(), conns
}

// A next hop that takes the whole message and hangs up before its reply
// to the final dot: nothing is known, so the message is deferred and sent
// again (at-least-once), never counted delivered or failed, never lost.
func TestNextHopHangsUpAfterDot(t *testing.T) {
	var delivered atomic.Int32
	addr, _ := startRawHop(t, func(n int32, c net.Conn) {
		c.SetDeadline(time.Now().Add(10 * time.Second))
		tp := textproto.NewConn(c)
		tp.PrintfLine("220 hop ESMTP")
		for {
			line, err := tp.ReadLine()
			if err != nil {
				return
			}
			switch strings.ToUpper(strings.SplitN(line, " ", 2)[0]) {
			case "EHLO":
				tp.PrintfLine("250-hop\r\n250 ENHANCEDSTATUSCODES")
			case "DATA":
				tp.PrintfLine("354 go ahead")
				if _, err := tp.ReadDotBytes(); err != nil {
					return
				}
				if n == 1 {
					return // the body arrived; the reply never does
				}
				delivered.Add(1)
				tp.PrintfLine("250 2.0.0 queued")
			case "QUIT":
				tp.PrintfLine("221 bye")
				return
			default:
				tp.PrintfLine("250 2.0.0 ok")
			}
		}
	})
	g := startGateway(t, gatewayConfig(t, t.TempDir(), "smtp://"+addr, ""), true)
	if code, text := g.send("inbound", "citizen@example.jp", []string{"staff@lgwan.example"}, "Subject: x\r\n\r\nhello\r\n"); code != 250 {
		t.Fatalf("send: %d %s", code, text)
	}
	waitFor(t, "the retry", 10*time.Second, func() bool { return delivered.Load() == 1 })
	waitFor(t, "the spool to record it", 5*time.Second, func() bool {
		l := g.sp.List()
		return len(l) == 0 || l[0].Rcpts[0].State == spool.Done
	})
	att := g.m.DeliveryAttempts
	if d, f, q := testutil.ToFloat64(att.WithLabelValues("inbound", metrics.DeliveryDelivered)), testutil.ToFloat64(att.WithLabelValues("inbound", metrics.DeliveryFailed)), testutil.ToFloat64(att.WithLabelValues("inbound", metrics.DeliveryDeferred)); d != 1 || f != 0 || q != 1 {
		t.Errorf("delivered %v failed %v deferred %v, want 1 0 1", d, f, q)
	}
	// The delivery record is written just after the spool update.
	var states []string
	waitFor(t, "the second delivery record", 5*time.Second, func() bool {
		states = nil
		for _, r := range readAudit(t, g.audit) {
			if r.Event == "delivery" {
				states = append(states, r.Verdict)
			}
		}
		return len(states) >= 2
	})
	if strings.Join(states, " ") != "deferred delivered" {
		t.Errorf("delivery audit verdicts %q, want deferred then delivered", states)
	}
}

// A next hop that answers every command slowly, each reply well within
// the command timeout, is cut off when the attempt as a whole exceeds
// deliver.attempt_timeout: the connection is closed near the deadline,
// every recipient is deferred with the reason (nothing is delivered
// before the reply to the final dot, so a RCPT already answered does not
// count), the cut is counted and audited, and the next attempt, to a
// next hop that answers in time, delivers the message once.
func TestNextHopTooSlowForTheAttempt(t *testing.T) {
	var mu sync.Mutex
	var delivered [][]string // the recipients of each message taken
	var firstOpen time.Duration
	addr, conns := startRawHop(t, func(n int32, c net.Conn) {
		opened := time.Now()
		if n == 1 {
			defer func() { mu.Lock(); firstOpen = time.Since(opened); mu.Unlock() }()
		}
		c.SetDeadline(time.Now().Add(20 * time.Second))
		tp := textproto.NewConn(c)
		reply := func(s string) {
			if n == 1 {
				time.Sleep(400 * time.Millisecond) // honest, each reply in time, but slow
			}
			tp.PrintfLine("%s", s)
		}
		reply("220 hop ESMTP")
		var rcpts []string
		for {
			line, err := tp.ReadLine()
			if err != nil {
				return
			}
			switch strings.ToUpper(strings.SplitN(line, " ", 2)[0]) {
			case "EHLO":
				reply("250-hop\r\n250 ENHANCEDSTATUSCODES")
			case "RCPT":
				rcpts = append(rcpts, line)
				reply("250 2.1.5 ok")
			case "DATA":
				reply("354 go ahead")
				if _, err := tp.ReadDotBytes(); err != nil {
					return
				}
				mu.Lock()
				delivered = append(delivered, rcpts)
				mu.Unlock()
				reply("250 2.0.0 queued")
			case "QUIT":
				tp.PrintfLine("221 bye")
				return
			default:
				reply("250 2.0.0 ok")
			}
		}
	})
	dir := t.TempDir()
	cfg := gatewayConfig(t, dir, "smtp://"+addr, "", "retry: {initial: 1s,", "attempt_timeout: 2s, retry: {initial: 1s,")
	if got := cfg.Routes[0].Deliver.AttemptTimeout; got.D() != 2*time.Second {
		t.Fatalf("attempt_timeout loaded as %v", got)
	}
	g := startGateway(t, cfg, true)
	var to []string
	for i := range 10 {
		to = append(to, fmt.Sprintf("staff%d@lgwan.example", i))
	}
	if code, text := g.send("inbound", "citizen@example.jp", to, "Subject: x\r\n\r\nhello\r\n"); code != 250 {
		t.Fatalf("send: %d %s", code, text)
	}
	waitFor(t, "the delivery", 20*time.Second, func() bool { mu.Lock(); defer mu.Unlock(); return len(delivered) > 0 })
	time.Sleep(2 * time.Second) // room for a duplicate
	mu.Lock()
	if len(delivered) != 1 || len(delivered[0]) != 10 {
		t.Errorf("next hop took %d messages (%q), want 1 with 10 recipients", len(delivered), delivered)
	}
	// Greeting, EHLO, MAIL and four RCPTs fit in 2s at 400 ms a reply.
	if firstOpen < 2*time.Second || firstOpen > 3*time.Second {
		t.Errorf("the slow connection was open %v, want about the 2s deadline", firstOpen)
	}
	mu.Unlock()
	if n := conns.Load(); n != 2 {
		t.Errorf("%d connections, want 2 (the slow one, then the retry)", n)
	}
	if v := testutil.ToFloat64(g.m.DeliveryTimeouts.WithLabelValues("inbound")); v != 1 {
		t.Errorf("delivery_timeouts_total %v, want 1", v)
	}
	att := g.m.DeliveryAttempts
	if d, q := testutil.ToFloat64(att.WithLabelValues("inbound", metrics.DeliveryDelivered)), testutil.ToFloat64(att.WithLabelValues("inbound", metrics.DeliveryDeferred)); d != 10 || q != 10 {
		t.Errorf("delivered %v deferred %v, want 10 and 10", d, q)
	}
	const why = "next hop too slow: attempt exceeded 2s"
	var verdicts []string
	for _, r := range readAudit(t, g.audit) {
		if r.Event != "delivery" {
			continue
		}
		verdicts = append(verdicts, r.Verdict)
		if r.Verdict != "deferred" {
			continue
		}
		if !strings.Contains(r.Reason, why) {
			t.Errorf("deferred delivery record's reason %q, want %q", r.Reason, why)
		}
		for _, d := range r.Delivery {
			if d.State != "deferred" || !strings.Contains(d.Text, why) {
				t.Errorf("recipient %s: %s %q, want deferred saying %q", d.Rcpt, d.State, d.Text, why)
			}
		}
	}
	if strings.Join(verdicts, " ") != "deferred delivered" {
		t.Errorf("delivery verdicts %q, want deferred then delivered", verdicts)
	}
	if !strings.Contains(g.logs.String(), why) {
		t.Errorf("the log does not say %q", why)
	}
}

// refusingAddr is a loopback address where nothing listens: a connection
// to it is refused. Its port is below the kernel's ephemeral range
// (mtatest.FreePort): one a listener on port 0 had been given, the
// bounces sink the test opened next was given the same port, and the
// message meant for the dead next hop was delivered there.
func refusingAddr(t *testing.T) string {
	t.Helper()
	return mtatest.LoopbackAddr(mtatest.FreePort(t))
}

// A next hop that cannot be reached until the retry lifetime ends: on a
// sanitising route the DSN says so in general words, not with our
// reason, which names the LGWAN address ("dial tcp 10.1.0.25:25:
// connect: connection refused").
func TestNextHopUnreachableDSN(t *testing.T) {
	closed := refusingAddr(t)
	bounces := startSink(t, false)
	cfg := gatewayConfig(t, t.TempDir(), "smtp://"+closed, "",
		"retry: {initial: 1s, max: 2s, lifetime: 1h}", "retry: {initial: 1s, max: 1s, lifetime: 1s}",
		"    policy: default\n", "    policy: default\n    bounces: {to: \"smtp://"+bounces.addr+"\"}\n")
	g := startGateway(t, cfg, true)
	if code, text := g.send("inbound", "citizen@example.jp", []string{"a@lgwan.example"}, "Subject: x\r\n\r\nhello\r\n"); code != 250 {
		t.Fatalf("send: %d %s", code, text)
	}
	waitFor(t, "the DSN", 15*time.Second, func() bool { return len(bounces.messages()) >= 1 })
	d := string(bounces.messages()[0].Data)
	if !strings.Contains(d, "Diagnostic-Code: X-Mugai; no reply from the receiving mail server\r\n") || !strings.Contains(d, "Status: 5.4.7") {
		t.Errorf("DSN without the general reason:\n%s", d)
	}
	_, port, _ := net.SplitHostPort(closed)
	if strings.Contains(d, ":"+port) || strings.Contains(d, "refused") || strings.Contains(d, "Remote-MTA") {
		t.Errorf("DSN to the untrusted side names the next hop or our reason:\n%s", d)
	}
	// The sink holds the DSN before the gateway has its reply and takes
	// the DSN off the queue, and the original's failed state is written
	// after the DSN is queued: the queue settles a moment later.
	kept := func(m []spool.Message) bool {
		return len(m) == 1 && m[0].Rcpts[0].State == spool.Failed && strings.Contains(m[0].Rcpts[0].LastError, "refused")
	}
	m := g.sp.List()
	for deadline := time.Now().Add(10 * time.Second); !kept(m) && time.Now().Before(deadline); m = g.sp.List() {
		time.Sleep(20 * time.Millisecond)
	}
	if !kept(m) {
		t.Errorf("the queue does not keep the failed original with its reason: %+v", m)
	}
}

// TestReloadAddsBounces: a route given a bounces target by a reload
// sends its delivery status notifications there. The delivery workers
// are started with the gateway; a notice queued for a target the
// starting configuration did not have found no worker and stayed in the
// queue for ever, its sender never told.
func TestReloadAddsBounces(t *testing.T) {
	closed := refusingAddr(t)
	bounces := startSink(t, false)
	dir := t.TempDir()
	retry := []string{"retry: {initial: 1s, max: 2s, lifetime: 1h}", "retry: {initial: 1s, max: 1s, lifetime: 1s}"}
	g := startGateway(t, gatewayConfig(t, dir, "smtp://"+closed, "", retry...), true)
	with := append(retry, "    policy: default\n", "    policy: default\n    bounces: {to: \"smtp://"+bounces.addr+"\"}\n")
	if err := g.srv.Reload(gatewayConfig(t, dir, "smtp://"+closed, "", with...)); err != nil {
		t.Fatal(err)
	}
	if code, text := g.send("inbound", "citizen@example.jp", []string{"a@lgwan.example"}, "Subject: x\r\n\r\nhello\r\n"); code != 250 {
		t.Fatalf("send: %d %s", code, text)
	}
	waitFor(t, "the DSN at the bounces target the reload gave", 15*time.Second, func() bool { return len(bounces.messages()) >= 1 })
	if m := bounces.messages()[0]; m.From != "" || len(m.To) != 1 || m.To[0] != "citizen@example.jp" {
		t.Errorf("DSN envelope %q → %v", m.From, m.To)
	}
}

// TestDSNHeaderLinksDefanged: a delivery status notification of a
// sanitising route quotes the rebuilt header, which carries the sender's
// Received fields as they came, links and all: in the notice they are
// text a mail client shows and makes clickable, and a sender that gives
// an LGWAN address as its own has it delivered there. The links are
// defanged as in the rebuilt body.
func TestDSNHeaderLinksDefanged(t *testing.T) {
	hop := startSink(t, false)
	hop.mu.Lock()
	hop.rcptCode["gone@lgwan.example"] = 550
	hop.mu.Unlock()
	bounces := startSink(t, false)
	cfg := gatewayConfig(t, t.TempDir(), "smtp://"+hop.addr, "",
		"    policy: default\n", "    policy: default\n    bounces: {to: \"smtp://"+bounces.addr+"\"}\n")
	g := startGateway(t, cfg, true)
	msg := "Received: from relay.example by mx.example; log in at https://evil.example/login now\r\n" +
		"Received: from x by y; see http://www.evil.example/a and www.evil.example/b\r\n" +
		"From: a@example.jp\r\nSubject: s\r\nMessage-ID: <m1@example.jp>\r\n\r\nhello\r\n"
	if code, text := g.send("inbound", "kikaku@lgwan.example", []string{"gone@lgwan.example"}, msg); code != 250 {
		t.Fatalf("send: %d %s", code, text)
	}
	waitFor(t, "the DSN", 15*time.Second, func() bool { return len(bounces.messages()) >= 1 })
	d := string(bounces.messages()[0].Data)
	_, headers, ok := strings.Cut(d, "Content-Type: text/rfc822-headers\r\n")
	if !ok {
		t.Fatalf("DSN without the headers part:\n%s", d)
	}
	for _, live := range []string{"https://", "http://", "www.evil.example", "evil.example/login"} {
		if strings.Contains(headers, live) {
			t.Errorf("the DSN's headers part has the live link %q:\n%s", live, headers)
		}
	}
	for _, want := range []string{"hxxps://evil[.]example/login", "Message-I", "<m1@example.jp>"} {
		if !strings.Contains(headers, want) {
			t.Errorf("the DSN's headers part lacks %q:\n%s", want, headers)
		}
	}
}
