package gateway

import (
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"mugai/gateway/spool"
)

// TestDiskFullSpoolAfterDelivery: the spool fills up while a message is
// out for delivery, so the record that it was delivered cannot be
// written. It must not be delivered again and again.
func TestDiskFullSpoolAfterDelivery(t *testing.T) {
	mnt := mountTmpfs(t, 2<<20)
	nh := startSink(t, false)
	nh.tempFail = true
	dir := t.TempDir()
	cfg := gatewayConfig(t, dir, "smtp://"+nh.addr, "", "spool_dir: %DIR%/spool", "spool_dir: "+mnt+"/spool",
		"retry: {initial: 1s", "connections: 1, retry: {initial: 200ms")
	g := startGatewayTemp(t, cfg, true, t.TempDir())
	var fillers []string
	for range 64 {
		id := spool.NewID()
		if err := g.sp.PutID(id, spool.Envelope{Route: "nowhere", From: "a@example.jp", To: []string{"b@lgwan.example"}}, strings.NewReader("x"), 1); err != nil {
			t.Fatal(err)
		}
		fillers = append(fillers, id)
	}
	msg := textMessage("once", 10<<10)
	if code, text := g.send("inbound", "citizen@example.jp", []string{"staff@lgwan.example"}, msg); code != 250 {
		t.Fatalf("send: %d %s", code, text)
	}
	waitFor(t, "a deferred attempt", 5*time.Second, func() bool {
		return testutil.ToFloat64(g.m.DeliveryAttempts.WithLabelValues("inbound", "deferred")) > 0
	})
	f := fill(t, mnt, 0)
	// The last page of the segment file still has room: take it with
	// tombstones, the smallest records there are, of messages for a
	// route that nobody delivers.
	for _, id := range fillers {
		if g.sp.Delete(id) != nil {
			break
		}
	}
	nh.mu.Lock()
	nh.tempFail = false
	nh.mu.Unlock()
	g.sp.KickAll()
	time.Sleep(time.Second)
	if n := len(nh.messages()); n != 1 {
		t.Errorf("the next hop got the message %d times while the spool was full, want once", n)
	}
	if !strings.Contains(g.logs.String(), "spool update failed") {
		t.Error("no log line says the delivery could not be recorded")
	}
	wantStorageErrors(t, g, "spool", 1)
	f.free()
	waitFor(t, "the delivery recorded", 15*time.Second, func() bool {
		for _, m := range g.sp.List() {
			if m.Env.Route == "inbound" {
				return false
			}
		}
		return true
	})
	g.stop()
	g2 := startGatewayTemp(t, cfg, true, t.TempDir())
	time.Sleep(1 * time.Second)
	if n := len(nh.messages()); n != 1 {
		t.Errorf("the next hop got the message %d times in all, want once", n)
	}
	for _, m := range g2.sp.List() {
		if m.Env.Route == "inbound" {
			t.Errorf("message %s still queued after the restart: %+v", m.ID, m.Rcpts)
		}
	}
}
