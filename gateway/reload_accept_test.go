package gateway

import (
	"bufio"
	"io"
	"net"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-smtp"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"mugai/gateway/metrics"
)

// TestReloadKeepsArrivingConnections: a connection that arrives while a
// reload swaps the route's go-smtp server is greeted by the new one, not
// closed unanswered.
func TestReloadKeepsArrivingConnections(t *testing.T) {
	dir := t.TempDir()
	g := startGateway(t, gatewayConfig(t, dir, "", ""), false)
	addr := g.addr("inbound")
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			select {
			case <-stop:
				return
			default:
			}
			if err := g.srv.Reload(gatewayConfig(t, dir, "", "")); err != nil {
				t.Error(err)
				return
			}
		}
	}()
	bad := 0
	for i := 0; i < 300; i++ {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		c.SetDeadline(time.Now().Add(5 * time.Second))
		line, err := bufio.NewReader(c).ReadString('\n')
		c.Close()
		if !strings.HasPrefix(line, "220") {
			bad++
			t.Logf("connection %d: greeting %q, %v", i, line, err)
		}
	}
	close(stop)
	wg.Wait()
	if bad > 0 {
		t.Errorf("%d of 300 connections arriving during reloads were not greeted", bad)
	}
}

// TestReloadRevokesOpenSessions: a session keeps the route's
// configuration it began with, but a reload that takes away what
// admitted it (the client's network, a recipient domain), makes a
// pass-through route sanitise or requires TLS ends it at its next MAIL
// with 421, counted in smtp_rejects_total{stage="mail",code="421"} and
// logged: before, such a session went on relaying for up to the session
// time limit, unsanitised or for a client refused at connect. Other
// changes leave it be, as a Postfix smtpd keeps its configuration until
// its client leaves.
func TestReloadRevokesOpenSessions(t *testing.T) {
	for _, tc := range []struct {
		name      string
		from, to  []string // replacements in the starting configuration, in the reload's
		wantCode  int
		wantSpool string // the policy of the message spooled, "" for none
	}{
		{"client network removed", nil, []string{`clients: ["127.0.0.0/8"]`, `clients: ["10.0.0.0/8"]`}, 421, ""},
		{"route sanitises now", []string{"    policy: default\n", "    policy: none\n"}, nil, 421, ""},
		{"domain removed", nil, []string{"domains: [lgwan.example]", "domains: [other.example]"}, 421, ""},
		{"TLS required", nil, []string{"    policy: default\n", "    policy: default\n    tls: {cert: %CERT%, key: %KEY%, require: true}\n"}, 421, ""},
		{"limits changed", nil, []string{"    policy: default\n", "    policy: default\n    limits: {max_recipients: 5}\n"}, 250, "default"},
		{"policy changed", nil, []string{"    policy: default\n", "    policy: relaxed\n"}, 250, "default"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			cert, key, _ := selfSigned(t, dir)
			to := append([]string(nil), tc.to...)
			for i := range to {
				to[i] = strings.NewReplacer("%CERT%", cert, "%KEY%", key).Replace(to[i])
			}
			g := startGateway(t, gatewayConfig(t, dir, "", "", tc.from...), false)
			c := g.dial("inbound")
			if err := g.srv.Reload(gatewayConfig(t, dir, "", "", to...)); err != nil {
				t.Fatal(err)
			}
			code, text := sendOn(c, "a@example.jp", []string{"staff@lgwan.example"},
				"Subject: s\r\nContent-Type: text/html\r\n\r\n<b>hello</b>\r\n")
			if code != tc.wantCode {
				t.Errorf("a message on a session open before the reload: %d %s, want %d", code, text, tc.wantCode)
			}
			msgs := g.sp.List()
			switch {
			case tc.wantSpool == "" && len(msgs) != 0:
				t.Errorf("spooled %d messages (policy %q), want none", len(msgs), msgs[0].Env.Policy)
			case tc.wantSpool != "" && (len(msgs) != 1 || msgs[0].Env.Policy != tc.wantSpool):
				t.Errorf("spooled %+v, want one under policy %s", msgs, tc.wantSpool)
			}
			n := testutil.ToFloat64(g.m.SMTPRejects.WithLabelValues("inbound", metrics.StageMail, "421"))
			if want := map[bool]float64{true: 1, false: 0}[tc.wantCode == 421]; n != want {
				t.Errorf("smtp_rejects_total{stage=mail,code=421} = %v, want %v", n, want)
			}
			if tc.wantCode == 421 && !strings.Contains(g.logs.String(), "no longer admits it") {
				t.Errorf("the closed session is not logged")
			}
		})
	}
}

// TestReloadRevokesOpenTransaction: a reload that takes away what
// admitted a session (as TestReloadRevokesOpenSessions) also ends a
// transaction begun before it, at its next RCPT or once its message has
// been received: before, only MAIL asked, so a transaction whose MAIL
// came before the reload went on under the old configuration. A client
// that gave MAIL on a pass-through route and then the message after the
// route was made to sanitise had it spooled under policy none and
// relayed unsanitised; one whose network or recipient domain was taken
// away was still accepted. Each is 421 (the sender sends it again under
// the configuration in force), counted in smtp_rejects_total at the
// stage, and a message received has its accept record, verdict
// "revoked".
func TestReloadRevokesOpenTransaction(t *testing.T) {
	msg := "Subject: s\r\nContent-Type: text/html\r\n\r\n<b>hello</b> <a href=\"https://evil.example/\">here</a>\r\n"
	for _, kind := range []struct {
		name     string
		from, to []string
	}{
		{"route sanitises now", []string{"    policy: default\n", "    policy: none\n"}, nil},
		{"client network removed", nil, []string{`clients: ["127.0.0.0/8"]`, `clients: ["10.0.0.0/8"]`}},
		{"domain removed", nil, []string{"domains: [lgwan.example]", "domains: [other.example]"}},
	} {
		for _, stage := range []string{metrics.StageRcpt, metrics.StageData, "during data"} {
			t.Run(kind.name+"/"+stage, func(t *testing.T) {
				dir := t.TempDir()
				g := startGateway(t, gatewayConfig(t, dir, "", "", kind.from...), false)
				reload := func() {
					if err := g.srv.Reload(gatewayConfig(t, dir, "", "", kind.to...)); err != nil {
						t.Fatal(err)
					}
				}
				c := g.dial("inbound")
				if err := c.Mail("a@example.jp", nil); err != nil {
					t.Fatal(err)
				}
				var err error
				wantStage := metrics.StageData
				switch stage {
				case metrics.StageRcpt:
					reload()
					err = c.Rcpt("staff@lgwan.example", nil)
					wantStage = metrics.StageRcpt
				case metrics.StageData:
					if err := c.Rcpt("staff@lgwan.example", nil); err != nil {
						t.Fatal(err)
					}
					reload()
					_, err = sendData(c, msg, nil)
				default:
					if err := c.Rcpt("staff@lgwan.example", nil); err != nil {
						t.Fatal(err)
					}
					_, err = sendData(c, msg, reload)
				}
				code, text := 250, "accepted"
				if err != nil {
					code, text = smtpCode(err)
				}
				if code != 421 || !strings.Contains(text, "4.7.0") {
					t.Errorf("after a reload that revokes the session: %d %s, want 421 4.7.0", code, text)
				}
				if msgs := g.sp.List(); len(msgs) != 0 {
					t.Errorf("spooled %d messages (policy %q), want none", len(msgs), msgs[0].Env.Policy)
				}
				if n := testutil.ToFloat64(g.m.SMTPRejects.WithLabelValues("inbound", wantStage, "421")); n != 1 {
					t.Errorf("smtp_rejects_total{stage=%s,code=421} = %v, want 1", wantStage, n)
				}
				if !strings.Contains(g.logs.String(), "no longer admits it") {
					t.Errorf("the closed session is not logged")
				}
				if wantStage == metrics.StageData {
					r := g.acceptRecord(t)
					if r.Verdict != "revoked" || r.Reply != 421 || !strings.Contains(r.Reason, "no longer admits") || r.QueueID != "" {
						t.Errorf("accept record %+v, want verdict revoked, reply 421 and why", r)
					}
				}
			})
		}
	}
}

// sendData sends msg after DATA, calling mid (if not nil) half-way
// through it, and returns the reply to its end.
func sendData(c *smtp.Client, msg string, mid func()) (*smtp.DataResponse, error) {
	w, err := c.Data()
	if err != nil {
		return nil, err
	}
	io.WriteString(w, msg[:len(msg)/2])
	if mid != nil {
		// go-smtp's writer buffers nothing past what it was given: the
		// first half is on its way before the reload.
		time.Sleep(50 * time.Millisecond)
		mid()
	}
	io.WriteString(w, msg[len(msg)/2:])
	return w.CloseWithResponse()
}

// TestReloadRevokesBDATTransfer: a message sent with BDAT whose session
// a reload revoked meanwhile is refused at its LAST chunk as one sent
// with DATA (TestReloadRevokesOpenTransaction).
func TestReloadRevokesBDATTransfer(t *testing.T) {
	dir := t.TempDir()
	g := startGateway(t, gatewayConfig(t, dir, "", "", "    policy: default\n", "    policy: none\n"), false)
	s := rawDial(t, g.addr("inbound"))
	s.reply(5 * time.Second)
	s.cmd("EHLO client.example")
	s.cmd("MAIL FROM:<a@example.jp>")
	if r := s.cmd("RCPT TO:<staff@lgwan.example>"); !strings.HasPrefix(r, "250") {
		t.Fatalf("RCPT: %q", r)
	}
	first := "Subject: s\r\nContent-Type: text/html\r\n\r\n"
	if r := s.cmd("BDAT " + strconv.Itoa(len(first)) + "\r\n" + first[:len(first)-2]); !strings.HasPrefix(r, "250") {
		t.Fatalf("first chunk: %q", r)
	}
	if err := g.srv.Reload(gatewayConfig(t, dir, "", "")); err != nil {
		t.Fatal(err)
	}
	last := "<b>hello</b> <a href=\"https://evil.example/\">here</a>\r\n"
	if r := s.cmd("BDAT " + strconv.Itoa(len(last)) + " LAST\r\n" + last[:len(last)-2]); !strings.HasPrefix(r, "421 4.7.0") {
		t.Errorf("last chunk after a reload that made the route sanitise: %q, want 421 4.7.0", r)
	}
	if msgs := g.sp.List(); len(msgs) != 0 {
		t.Errorf("spooled %d messages (policy %q), want none", len(msgs), msgs[0].Env.Policy)
	}
	if r := g.acceptRecord(t); r.Verdict != "revoked" {
		t.Errorf("accept record %+v, want verdict revoked", r)
	}
}
