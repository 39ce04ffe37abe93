package gateway

import (
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-smtp"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"mugai/gateway/metrics"
)

// One message, three recipients: delivered, refused (550), and refused
// for now (450) until the retry lifetime ends. Each outcome is counted
// once, the refused one bounces at once, the deferred one only when it
// expires, and each DSN quotes the next hop's reply once, as it was sent.
func TestNextHopMixedOutcome(t *testing.T) {
	nh := startSink(t, false)
	nh.rcptCode["gone@lgwan.example"] = 550
	nh.rcptErr["busy@lgwan.example"] = &smtp.SMTPError{Code: 450, EnhancedCode: smtp.EnhancedCode{4, 2, 1}, Message: "mailbox busy"}
	bounces := startSink(t, false)
	cfg := gatewayConfig(t, t.TempDir(), "smtp://"+nh.addr, "",
		"retry: {initial: 1s, max: 2s, lifetime: 1h}", "retry: {initial: 1s, max: 1s, lifetime: 1s}",
		"    policy: default\n", "    policy: default\n    bounces: {to: \"smtp://"+bounces.addr+"\"}\n")
	g := startGateway(t, cfg, true)
	if code, text := g.send("inbound", "citizen@example.jp", []string{"ok@lgwan.example", "gone@lgwan.example", "busy@lgwan.example"}, "Subject: mixed\r\n\r\nhello\r\n"); code != 250 {
		t.Fatalf("send: %d %s", code, text)
	}
	waitFor(t, "two DSNs", 10*time.Second, func() bool { return len(bounces.messages()) >= 2 })
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
	if !strings.Contains(second, "Status: 5.4.7") || !strings.Contains(second, "Diagnostic-Code: smtp; 450 4.2.1 mailbox busy\r\n") {
		t.Errorf("expiry DSN: want Status 5.4.7 and the reply quoted once as the next hop sent it:\n%s", second)
	}
	for _, d := range []string{first, second} {
		if !strings.Contains(d, "Remote-MTA: dns; 127.0.0.1\r\n") {
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
}
