package gateway

import (
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-smtp"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"mugai/config"
	"mugai/gateway/spool"
)

// TestPassedMessageAfterReload: a message accepted unsanitised on a
// pass-through route (policy none) waits for a retry (its next hop
// answered 451); a reload then makes the route sanitise, as an operator
// does who finds a route passing mail it should have sanitised. The
// retry delivered it as it came. Now its recipients fail with the
// reason, in the queue and the delivery record, counted in
// mugai_delivery_unsanitised_refused_total, and nothing reaches the
// next hop; a message sent after the reload is sanitised.
func TestPassedMessageAfterReload(t *testing.T) {
	const rcpt = "kikaku@inet.city.example.jp"
	e := startRelEnv(t, relOptions{})
	e.inet.defer_.Store(rcpt, true)
	send := func() {
		t.Helper()
		c, err := smtp.Dial(e.srv.Addrs()["internet"][0].String())
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		msg := "From: soumu@city.example.lg.jp\r\nTo: " + rcpt + "\r\nSubject: passed\r\nContent-Type: text/html\r\n\r\n<a href=\"https://evil.example/\">x</a>\r\n"
		if err := c.SendMail("soumu@city.example.lg.jp", []string{rcpt}, strings.NewReader(msg)); err != nil {
			t.Fatalf("send: %v", err)
		}
	}
	send()
	var id string
	deadline := time.Now().Add(10 * time.Second)
	for id == "" && time.Now().Before(deadline) {
		for _, m := range e.sp.List() {
			if m.Env.Policy == config.PolicyNone {
				id = m.ID
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	if id == "" {
		t.Fatal("the message was not queued")
	}
	waitRcpt(t, e.sp, id, rcpt, spool.Deferred)

	n := *e.cfg
	n.Routes = append([]config.Route(nil), e.cfg.Routes...)
	n.Routes[1].Policy = "default"
	if err := e.srv.Reload(&n); err != nil {
		t.Fatal(err)
	}
	e.inet.defer_.Delete(rcpt)

	m := waitRcpt(t, e.sp, id, rcpt, spool.Failed)
	const why = "accepted unsanitised while route internet passed mail through (policy none); it sanitises now (policy default)"
	if !strings.Contains(m.LastError, why) {
		t.Errorf("recipient's error %q, want it to say %q", m.LastError, why)
	}
	e.inet.none(t, 500*time.Millisecond)
	if got := testutil.ToFloat64(e.m.DeliveryUnsanitised.WithLabelValues("internet")); got != 1 {
		t.Errorf("mugai_delivery_unsanitised_refused_total{route=internet} = %v, want 1", got)
	}
	found := false
	for _, r := range e.audit("delivery") {
		for _, d := range r.Delivery {
			found = found || r.QueueID == id && d.Rcpt == rcpt && d.State == "failed" && strings.Contains(d.Text, why)
		}
	}
	if !found {
		t.Errorf("no delivery record of %s failing with %q", rcpt, why)
	}

	// Sent now, it is sanitised and delivered.
	send()
	got := e.inet.next(t)
	if strings.Contains(string(got.Data), "<a href") || !strings.Contains(string(got.Data), "X-Mugai-Policy: default") {
		t.Errorf("a message after the reload was delivered unsanitised:\n%s", got.Data)
	}
}
