package gateway

import (
	"strings"
	"testing"
	"time"

	"mugai/gateway/spool"
)

// spoolFillers spools small messages for a route nobody delivers, whose
// tombstones fillSpool writes.
func spoolFillers(t *testing.T, g *testGateway) []string {
	t.Helper()
	var ids []string
	for range 64 {
		id := spool.NewID()
		if err := g.sp.PutID(id, spool.Envelope{Route: "nowhere", From: "a@example.jp", To: []string{"b@lgwan.example"}}, strings.NewReader("x"), 1); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	return ids
}

// waitDeferred waits until a deferral of the inbound message is in the
// spool: counted, it may not be written yet, and a disk filled then
// holds that record instead.
func waitDeferred(t *testing.T, g *testGateway) {
	t.Helper()
	waitFor(t, "a deferred attempt recorded", 5*time.Second, func() bool {
		for _, m := range g.sp.List() {
			if m.Env.Route == "inbound" && m.Rcpts[0].State == spool.Deferred {
				return true
			}
		}
		return false
	})
}

// fillSpool fills the spool's file system at mnt. The last page of the
// segment file still has room: it takes that with tombstones of the
// fillers, the smallest records there are.
func fillSpool(t *testing.T, g *testGateway, mnt string, fillers []string) *filler {
	t.Helper()
	f := fill(t, mnt, 0)
	for _, id := range fillers {
		if g.sp.Delete(id) != nil {
			break
		}
	}
	return f
}

// TestDiskFullSpoolAfterDelivery: the spool fills up while a message is
// out for delivery, so the record that it was delivered cannot be
// written. It must not be delivered again and again.
func TestDiskFullSpoolAfterDelivery(t *testing.T) {
	mnt := mountTmpfs(t, 2<<20)
	nh := startSink(t, false)
	nh.tempFail = true
	dir := t.TempDir()
	cfg := gatewayConfig(t, dir, "smtp://"+nh.addr, "", "spool_dir: %DIR%/spool", "spool_dir: "+mnt+"/spool\nspool_min_free: 0",
		"retry: {initial: 1s", "connections: 1, retry: {initial: 200ms")
	g := startGatewayTemp(t, cfg, true, t.TempDir())
	fillers := spoolFillers(t, g)
	msg := textMessage("once", 10<<10)
	if code, text := g.send("inbound", "citizen@example.jp", []string{"staff@lgwan.example"}, msg); code != 250 {
		t.Fatalf("send: %d %s", code, text)
	}
	waitDeferred(t, g)
	f := fillSpool(t, g, mnt, fillers)
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

// TestDiskFullSpoolBounce: the spool is full when a recipient fails for
// good, so its delivery status notification cannot be queued. The
// message is held until the notice can be written; the sender gets one
// notice, and no second one after a restart.
func TestDiskFullSpoolBounce(t *testing.T) {
	mnt := mountTmpfs(t, 2<<20)
	nh := startSink(t, false)
	nh.tempFail = true
	bounces := startSink(t, false)
	dir := t.TempDir()
	cfg := gatewayConfig(t, dir, "smtp://"+nh.addr, "", "spool_dir: %DIR%/spool", "spool_dir: "+mnt+"/spool\nspool_min_free: 0",
		"retry: {initial: 1s", "connections: 1, retry: {initial: 200ms",
		"    policy: default\n", "    policy: default\n    bounces: {to: \"smtp://"+bounces.addr+"\"}\n")
	g := startGatewayTemp(t, cfg, true, t.TempDir())
	fillers := spoolFillers(t, g)
	if code, text := g.send("inbound", "citizen@example.jp", []string{"gone@lgwan.example"}, textMessage("gone", 2<<10)); code != 250 {
		t.Fatalf("send: %d %s", code, text)
	}
	waitDeferred(t, g)
	f := fillSpool(t, g, mnt, fillers)
	nh.mu.Lock()
	nh.tempFail = false
	nh.rcptCode["gone@lgwan.example"] = 550
	nh.mu.Unlock()
	g.sp.KickAll()
	waitFor(t, "the notice held", 10*time.Second, func() bool {
		return strings.Contains(g.logs.String(), "bounce failed; holding the message")
	})
	wantStorageErrors(t, g, "spool", 1)
	f.free()
	waitFor(t, "the notice", 15*time.Second, func() bool { return len(bounces.messages()) >= 1 })
	waitFor(t, "the failure recorded", 15*time.Second, func() bool {
		for _, m := range g.sp.List() {
			if m.Env.Route == "inbound" && m.Rcpts[0].State == spool.Failed {
				return true
			}
		}
		return false
	})
	g.stop()
	startGatewayTemp(t, cfg, true, t.TempDir())
	time.Sleep(time.Second)
	if n := len(bounces.messages()); n != 1 {
		t.Errorf("the sender got %d notices, want 1", n)
	}
	if d := bounces.messages()[0]; len(d.To) != 1 || d.To[0] != "citizen@example.jp" || !strings.Contains(string(d.Data), "Final-Recipient: rfc822; gone@lgwan.example") {
		t.Errorf("notice to %v:\n%s", d.To, d.Data)
	}
}
