package gateway

import (
	"bufio"
	"bytes"
	"io"
	netmail "net/mail"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-message/textproto"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"mugai/gateway/spool"
)

// TestMadeDateAndMessageID: a message sent without From, Date and
// Message-ID (a script, an old device) is queued with all three, as RFC
// 5322 asks: its envelope sender, the time the gateway received it and
// <mugai.QUEUEID@HOSTNAME>, the id an operator looks it up by; the
// report's findings say so, in the audit record and the findings
// metric. Released later, it has the same From, keeps the Date of its
// receipt, and its Message-ID names the release's queue id.
func TestMadeDateAndMessageID(t *testing.T) {
	dir := t.TempDir()
	g := startGateway(t, gatewayConfig(t, dir, "", ""), false)
	msg := "To: staff@lgwan.example\r\nSubject: scan\r\n\r\nscanned page attached\r\n"
	if code, text := g.send("inbound", "printer@example.jp", []string{"staff@lgwan.example"}, msg); code != 250 {
		t.Fatalf("DATA: %d %s", code, text)
	}
	list := g.sp.List()
	if len(list) != 1 {
		t.Fatalf("spool holds %d messages, want 1", len(list))
	}
	first := list[0]
	h := spooledHeader(t, g, first.ID)
	if got, want := h.Get("Message-Id"), "<mugai."+first.ID+"@gw.lgwan.example>"; got != want || len(h.Values("Message-Id")) != 1 {
		t.Errorf("Message-ID %q, want %q", h.Values("Message-Id"), want)
	}
	if got := h.Values("From"); len(got) != 1 || got[0] != "printer@example.jp" {
		t.Errorf("From %q, want the envelope sender", got)
	}
	date, err := netmail.ParseDate(h.Get("Date"))
	if err != nil || len(h.Values("Date")) != 1 || date.Sub(first.Env.Received).Abs() >= time.Second {
		t.Errorf("Date %q (%v), want the time received, %v", h.Values("Date"), err, first.Env.Received)
	}
	recs := readAudit(t, g.audit)
	if len(recs) != 1 {
		t.Fatalf("%d audit records, want 1", len(recs))
	}
	kinds := map[string]bool{}
	for _, f := range recs[0].Findings {
		kinds[f.Kind] = true
	}
	if !kinds["from-missing"] || !kinds["date-missing"] || !kinds["message-id-missing"] {
		t.Errorf("audit findings %+v, want from-missing, date-missing and message-id-missing", recs[0].Findings)
	}
	for _, k := range []string{"from-missing", "date-missing", "message-id-missing"} {
		if v := testutil.ToFloat64(g.m.SanitizeFindings.WithLabelValues(k)); v != 1 {
			t.Errorf("sanitize_findings_total{kind=%q} = %v, want 1", k, v)
		}
	}
	// The From written is an action, in the header, the audit record
	// and the actions metric.
	if got := strings.Fields(h.Get("X-Mugai-Sanitized")); !slices.Contains(got, "from-written") {
		t.Errorf("X-Mugai-Sanitized %q lacks from-written", got)
	}
	if !slices.Contains(recs[0].Actions, "from-written") {
		t.Errorf("audit actions %q lack from-written", recs[0].Actions)
	}
	if v := testutil.ToFloat64(g.m.SanitizeActions.WithLabelValues("from-written")); v != 1 {
		t.Errorf("sanitize_actions_total{action=\"from-written\"} = %v, want 1", v)
	}

	time.Sleep(1100 * time.Millisecond) // a Date of the release's own time would differ
	res, err := g.srv.Release(ReleaseRequest{ID: first.Env.QuarantineID, Policy: "relaxed", User: "tanaka", Reason: "ticket 118"})
	if err != nil {
		t.Fatal(err)
	}
	var released spool.Message
	for _, m := range g.sp.List() {
		if m.ID == res.QueueID {
			released = m
		}
	}
	if released.ID == "" || res.QueueID == first.ID {
		t.Fatalf("release queued %q; spool %+v", res.QueueID, g.sp.List())
	}
	rh := spooledHeader(t, g, released.ID)
	if got, want := rh.Get("Message-Id"), "<mugai."+released.ID+"@gw.lgwan.example>"; got != want {
		t.Errorf("released Message-ID %q, want %q", got, want)
	}
	if got := rh.Values("From"); len(got) != 1 || got[0] != "printer@example.jp" {
		t.Errorf("released From %q, want the envelope sender", got)
	}
	if got := rh.Get("Date"); got != h.Get("Date") {
		t.Errorf("released Date %q, want the first delivery's %q", got, h.Get("Date"))
	}
}

// spooledHeader reads the header of a queued message.
func spooledHeader(t *testing.T, g *testGateway, id string) *textproto.Header {
	t.Helper()
	body, err := g.sp.Body(id)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(body)
	h, err := textproto.ReadHeader(bufio.NewReader(bytes.NewReader(b)))
	if err != nil {
		t.Fatal(err)
	}
	return &h
}
