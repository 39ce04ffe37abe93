package gateway

import (
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"mugai/gateway/metrics"
)

// TestOrphanedQueueMessages: messages queued for a route that a restart
// no longer has (removed, or renamed) have no worker to deliver them.
// They sat in the spool with no word: no log line, and the queue gauges
// counted only configured routes, so MugaiQueueOldMessage never fired
// for mail answered 250 and never delivered. mugai serve now warns at
// start, counting them and naming the routes, and the gauges count them
// under the route they name; the series go once they are gone.
func TestOrphanedQueueMessages(t *testing.T) {
	dir := t.TempDir()
	g := startGateway(t, gatewayConfig(t, dir, "", ""), false)
	if code, text := g.send("inbound", "a@example.jp", []string{"staff@lgwan.example"}, "Subject: s\r\n\r\nhello\r\n"); code != 250 {
		t.Fatalf("DATA: %d %s", code, text)
	}
	g.stop()

	g = startGateway(t, gatewayConfig(t, dir, "", "", "name: inbound", "name: lgwan-in"), true)
	if !strings.Contains(g.logs.String(), "queued messages of routes no longer configured are not delivered") ||
		!strings.Contains(g.logs.String(), "messages=1 routes=[inbound]") {
		t.Errorf("no warning of the message queued for route inbound:\n%s", g.logs.String())
	}
	waitFor(t, "the gauges", 5*time.Second, func() bool {
		return testutil.ToFloat64(g.m.QueueMessages.WithLabelValues("inbound", metrics.StateActive)) == 1
	})
	if age := testutil.ToFloat64(g.m.QueueOldestMessageAge.WithLabelValues("inbound")); age <= 0 {
		t.Errorf("queue_oldest_message_age_seconds{route=inbound} = %v, want the message's age", age)
	}

	// Gone (deleted by an operator), its route's series go too.
	id := g.sp.List()[0].ID
	if err := g.sp.Delete(id); err != nil {
		t.Fatal(err)
	}
	g.runner.updateGauges()
	if n := testutil.CollectAndCount(g.m.QueueOldestMessageAge); n != 1 {
		t.Errorf("%d series of queue_oldest_message_age_seconds after the message went, want 1 (lgwan-in)", n)
	}
}
