package gateway

import (
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
)

// TestReleaseFailureNoBounce: a released message that the LGWAN side
// refuses for good does not bounce to its original sender on the
// internet: the notification would cross the boundary naming the LGWAN
// recipient, the next hop's host and reply, and the release itself,
// about a delivery the sender never asked for. The administrator sees it
// instead: the delivery record, the queue (failed, marked released), a
// log line and mugai_quarantine_release_failures_total. Mail the sender
// did send still bounces as before.
func TestReleaseFailureNoBounce(t *testing.T) {
	e := startRelEnv(t, relOptions{bounces: true})
	const kikaku = "kikaku@city.example.lg.jp"
	e.send("taro@citizen.example", []string{kikaku}, relCitizenMessage(relPDF(1000)))
	e.lgwan.next(t)
	id := e.only().ID
	e.lgwan.refuse.Store(kikaku, true)
	var res ReleaseResult
	req := ReleaseRequest{Policy: "relaxed", Reason: "ticket 2025-118", User: "tanaka"}
	if code, msg := e.call("POST", "/quarantine/"+id+"/release", req, &res); code != 200 {
		t.Fatalf("release: %d %s", code, msg)
	}
	var q QueueMessage
	waitFor(t, "the release to fail", 10*time.Second, func() bool {
		e.call("GET", "/queue/"+res.QueueID, nil, &q)
		return q.State == "failed"
	})
	e.bounces.none(t, 2*time.Second)

	if !q.Released || q.QuarantineID != id || len(q.Recipients) != 1 || !strings.Contains(q.Recipients[0].LastError, "550 5.1.1") {
		t.Errorf("queue shows the failed release as %+v", q)
	}
	var rec *AuditRecord
	for _, r := range e.audit("delivery") {
		if r.QueueID == res.QueueID {
			rec = &r
		}
	}
	if rec == nil || rec.Verdict != "failed" || rec.QuarantineID != id || !strings.Contains(rec.Reason, "no delivery status notification to the sender") {
		t.Errorf("delivery record of the failed release: %+v", rec)
	}
	if b := e.audit("bounce"); len(b) != 0 {
		t.Errorf("bounce records for a release: %+v", b)
	}
	if n := testutil.ToFloat64(e.m.QuarantineReleaseFailures.WithLabelValues("inbound")); n != 1 {
		t.Errorf("mugai_quarantine_release_failures_total{route=inbound} = %v, want 1", n)
	}
	if l := e.logs.String(); !strings.Contains(l, "released message failed; not bounced to its sender") || !strings.Contains(l, "quarantine_id="+id) {
		t.Errorf("no log line for the failed release:\n%s", l)
	}

	// What the sender sent to a refused address still bounces.
	e.send("taro@citizen.example", []string{kikaku}, "From: taro@citizen.example\r\nSubject: again\r\n\r\nhello\r\n")
	if dsn := e.bounces.next(t); strings.Join(dsn.To, ",") != "taro@citizen.example" || !strings.Contains(string(dsn.Data), "Final-Recipient: rfc822; "+kikaku) {
		t.Errorf("DSN of a message the sender sent: %v\n%.400s", dsn.To, dsn.Data)
	}
}
