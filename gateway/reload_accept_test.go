package gateway

import (
	"bufio"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

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
