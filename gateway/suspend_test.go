package gateway

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/mail"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"mugai/gateway/metrics"
	"mugai/gateway/spool"
)

// deadHop is a next hop that can be switched off: while down it accepts
// each connection, counts it and closes it before any greeting (or
// after a 421, with say421); while up it hands it to the sink behind it.
type deadHop struct {
	net.Listener
	mu      sync.Mutex
	down    bool
	say421  bool
	refused int // connections while down
}

func (h *deadHop) Accept() (net.Conn, error) {
	for {
		c, err := h.Listener.Accept()
		if err != nil {
			return nil, err
		}
		h.mu.Lock()
		down, say := h.down, h.say421
		if down {
			h.refused++
		}
		h.mu.Unlock()
		if !down {
			return c, nil
		}
		if say {
			io.WriteString(c, "421 4.3.2 shutting down for maintenance\r\n")
		}
		c.Close()
	}
}

func (h *deadHop) setDown(down bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.down = down
}

func (h *deadHop) refusedConns() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.refused
}

// startDeadHop starts a next hop that is down, and the sink that takes
// its mail once it is up.
func startDeadHop(t *testing.T) (*deadHop, *sink) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	h := &deadHop{Listener: ln, down: true}
	return h, startSinkOn(t, h, false)
}

func suspendedGauge(g *testGateway, hop string) float64 {
	return testutil.ToFloat64(g.m.NextHopSuspended.WithLabelValues("inbound", hop))
}

func skippedCount(g *testGateway, hop string) float64 {
	return testutil.ToFloat64(g.m.DeliverySuspended.WithLabelValues("inbound", hop))
}

// nextHopRecords are the audit records of suspensions and their lifts.
func nextHopRecords(t *testing.T, g *testGateway) (out []AuditRecord) {
	t.Helper()
	for _, r := range readAuditFile(t, g.audit) {
		if r.Event == "next-hop" {
			out = append(out, r)
		}
	}
	return out
}

// queued counts the messages of a queue ("inbound", "inbound/bounces").
func queued(g *testGateway, queue string) int {
	n := 0
	for _, m := range g.sp.List() {
		if m.Env.Route == queue {
			n++
		}
	}
	return n
}

// adminPost calls the running gateway's admin API.
func adminPost(t *testing.T, g *testGateway, path string, out any) int {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, "http://"+g.admin+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+g.srv.ControlToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			t.Fatalf("POST %s: %d %q: %v", path, resp.StatusCode, b, err)
		}
	}
	return resp.StatusCode
}

func sendTagged(t *testing.T, g *testGateway, to, tag string) {
	t.Helper()
	if code, text := g.send("inbound", "citizen@example.jp", []string{to}, textMessage(tag, 512)); code != 250 {
		t.Fatalf("send %s: %d %s", tag, code, text)
	}
}

// TestDeadHopOneProbePerRound: with the next hop down and ten messages
// queued, the first attempt suspends delivery; the others wait without
// a connection, and when the suspension ends one probe goes, not ten.
// Once the next hop is back, the probe lifts the suspension and every
// message is delivered once. One audit record says it was suspended,
// one that it was lifted.
func TestDeadHopOneProbePerRound(t *testing.T) {
	hop, nh := startDeadHop(t)
	// retry: initial 1s, max 2s: the probes come 1s, then 2s apart.
	g := startGateway(t, gatewayConfig(t, t.TempDir(), "smtp://"+hop.Addr().String(), "", "retry: {", "connections: 2, retry: {"), true)
	const n = 10
	for i := range n {
		sendTagged(t, g, "staff@lgwan.example", fmt.Sprintf("m%02d", i))
	}
	waitFor(t, "the suspension", 5*time.Second, func() bool { return suspendedGauge(g, metrics.HopDeliver) == 1 })
	// Each worker may have found it down once before it was suspended;
	// every other message was put back without a connection.
	waitFor(t, "the other messages put back", 5*time.Second, func() bool {
		return skippedCount(g, metrics.HopDeliver) >= float64(n-hop.refusedConns())
	})
	first := hop.refusedConns()
	if first < 1 || first > 2 {
		t.Fatalf("%d connections before the suspension, want 1 or 2 (one per worker at most), not one per message", first)
	}
	skipped := skippedCount(g, metrics.HopDeliver)
	// The suspension ends after retry.initial: one probe, refused too,
	// and the nine others are put back again, each without a connection.
	waitFor(t, "the probe", 3*time.Second, func() bool { return hop.refusedConns() > first })
	waitFor(t, "the round's messages put back", 3*time.Second, func() bool {
		return skippedCount(g, metrics.HopDeliver) >= skipped+n-1
	})
	if got := hop.refusedConns(); got != first+1 {
		t.Fatalf("%d connections in the retry round of %d messages, want 1 (the probe)", got-first, n)
	}
	if suspendedGauge(g, metrics.HopDeliver) != 1 {
		t.Fatal("the failed probe lifted the suspension")
	}
	unreachable := testutil.ToFloat64(g.m.NextHopLastUnreachable.WithLabelValues("inbound"))
	if unreachable == 0 || testutil.ToFloat64(g.m.NextHopLastReply.WithLabelValues("inbound")) != 0 {
		t.Errorf("last unreachable %v, last reply %v: want the probes' failure, no reply", unreachable,
			testutil.ToFloat64(g.m.NextHopLastReply.WithLabelValues("inbound")))
	}

	hop.setDown(false)
	waitFor(t, "every message delivered", 10*time.Second, func() bool { return queued(g, "inbound") == 0 })
	got := map[string]int{}
	for _, m := range nh.messages() {
		msg, err := mail.ReadMessage(strings.NewReader(string(m.Data)))
		if err != nil {
			t.Fatal(err)
		}
		got[msg.Header.Get("Subject")]++
	}
	for i := range n {
		if tag := fmt.Sprintf("m%02d", i); got[tag] != 1 {
			t.Errorf("message %s delivered %d times, want once", tag, got[tag])
		}
	}
	if len(nh.messages()) != n {
		t.Errorf("%d deliveries, want %d", len(nh.messages()), n)
	}
	if suspendedGauge(g, metrics.HopDeliver) != 0 {
		t.Error("mugai_next_hop_suspended still 1 after the next hop came back")
	}
	if reply := testutil.ToFloat64(g.m.NextHopLastReply.WithLabelValues("inbound")); reply <= unreachable {
		t.Errorf("last reply %v not after the last unreachable %v: MugaiNextHopUnreachable would not resolve", reply, unreachable)
	}
	recs := nextHopRecords(t, g)
	if len(recs) != 2 || recs[0].Verdict != "suspended" || recs[1].Verdict != "resumed" {
		t.Fatalf("next-hop audit records %+v, want one suspended and one resumed", recs)
	}
	if recs[0].Route != "inbound" || !strings.Contains(recs[0].Reason, hop.Addr().String()) || !strings.Contains(recs[1].Reason, "probe") {
		t.Errorf("next-hop records %+v", recs)
	}
}

// TestRefusalDoesNotSuspend: replies that refuse one recipient (451 to
// RCPT) or one message (451 to MAIL) say nothing of the next hop being
// down: nothing is suspended, and the next message goes at once.
func TestRefusalDoesNotSuspend(t *testing.T) {
	nh := startSink(t, false)
	nh.rcptCode["busy@lgwan.example"] = 451
	g := startGateway(t, gatewayConfig(t, t.TempDir(), "smtp://"+nh.addr, "", "retry: {initial: 1s, max: 2s", "retry: {initial: 10m, max: 20m"), true)
	deferred := func(want int) func() bool {
		return func() bool {
			n := 0
			for _, m := range g.sp.List() {
				if m.Rcpts[0].State == spool.Deferred {
					n++
				}
			}
			return n == want
		}
	}
	sendTagged(t, g, "busy@lgwan.example", "rcpt451")
	waitFor(t, "the RCPT refusal", 5*time.Second, deferred(1))
	nh.mu.Lock()
	nh.tempFail = true
	nh.mu.Unlock()
	sendTagged(t, g, "staff@lgwan.example", "mail451")
	waitFor(t, "the MAIL refusal", 5*time.Second, deferred(2))
	nh.mu.Lock()
	nh.tempFail = false
	nh.mu.Unlock()
	sendTagged(t, g, "staff@lgwan.example", "fine")
	waitFor(t, "the next message delivered", 5*time.Second, func() bool { return len(nh.messages()) == 1 })
	if v := suspendedGauge(g, metrics.HopDeliver); v != 0 {
		t.Errorf("mugai_next_hop_suspended %v after refusals, want 0", v)
	}
	if v := skippedCount(g, metrics.HopDeliver); v != 0 {
		t.Errorf("%v messages put back without an attempt, want 0", v)
	}
	if recs := nextHopRecords(t, g); len(recs) != 0 {
		t.Errorf("next-hop records %+v after refusals, want none", recs)
	}
}

// TestRetryLiftsSuspension: an operator's retry (all, or of one
// message, here one that was never tried) lifts a suspension at once,
// where the probe would have come only after retry.initial (10 minutes).
// A retry of one message leaves the others to their own schedule.
func TestRetryLiftsSuspension(t *testing.T) {
	for _, all := range []bool{true, false} {
		t.Run(map[bool]string{true: "all", false: "id"}[all], func(t *testing.T) {
			hop, nh := startDeadHop(t)
			g := startGateway(t, gatewayConfig(t, t.TempDir(), "smtp://"+hop.Addr().String(), "",
				"retry: {initial: 1s, max: 2s", "connections: 1, retry: {initial: 10m, max: 20m"), true)
			sendTagged(t, g, "staff@lgwan.example", "first")
			waitFor(t, "the suspension", 5*time.Second, func() bool { return suspendedGauge(g, metrics.HopDeliver) == 1 })
			sendTagged(t, g, "staff@lgwan.example", "second")
			waitFor(t, "the second message put back", 5*time.Second, func() bool { return skippedCount(g, metrics.HopDeliver) >= 1 })
			var second string
			for _, m := range g.sp.List() {
				if m.Rcpts[0].State == spool.Pending {
					second = m.ID
				}
			}
			if second == "" || hop.refusedConns() != 1 {
				t.Fatalf("pending message %q, %d connections; want the second never tried, one connection", second, hop.refusedConns())
			}
			// The listing says why the pending message waits.
			var list []QueueMessage
			req, _ := http.NewRequest(http.MethodGet, "http://"+g.admin+"/queue?route=inbound", nil)
			req.Header.Set("Authorization", "Bearer "+g.srv.ControlToken)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			json.NewDecoder(resp.Body).Decode(&list)
			resp.Body.Close()
			if len(list) != 2 || list[1].Suspended == nil || !strings.Contains(list[1].Suspended.Reason, hop.Addr().String()) {
				t.Fatalf("listing %+v: want the suspension and its reason on each message", list)
			}

			hop.setDown(false)
			path := "/queue/retry"
			if !all {
				path = "/queue/" + second + "/retry"
			}
			var res QueueRetry
			if code := adminPost(t, g, path, &res); code != 200 || len(res.Resumed) != 1 || res.Resumed[0] != "inbound" {
				t.Fatalf("POST %s: %d %+v, want the inbound queue resumed", path, code, res)
			}
			if all {
				waitFor(t, "both delivered", 5*time.Second, func() bool { return queued(g, "inbound") == 0 })
			} else {
				// The first waits for its own retry, as before.
				waitFor(t, "the second delivered", 5*time.Second, func() bool { return len(nh.messages()) == 1 })
			}
			if n, want := len(nh.messages()), map[bool]int{true: 2, false: 1}[all]; n != want {
				t.Errorf("%d deliveries, want %d", n, want)
			}
			recs := nextHopRecords(t, g)
			if len(recs) != 2 || recs[1].Verdict != "resumed" || !strings.Contains(recs[1].Reason, "by an operator") {
				t.Errorf("next-hop records %+v, want the lift by the operator's retry", recs)
			}
		})
	}
}

// TestReloadLiftsSuspension: a reload that points the route at another
// next hop lifts the suspension of the old one: the message that waited
// for it goes at once, not after retry.initial.
func TestReloadLiftsSuspension(t *testing.T) {
	hop, _ := startDeadHop(t)
	dir := t.TempDir()
	slow := []string{"retry: {initial: 1s, max: 2s", "connections: 1, retry: {initial: 10m, max: 20m"}
	g := startGateway(t, gatewayConfig(t, dir, "smtp://"+hop.Addr().String(), "", slow...), true)
	sendTagged(t, g, "staff@lgwan.example", "tried")
	waitFor(t, "the suspension", 5*time.Second, func() bool { return suspendedGauge(g, metrics.HopDeliver) == 1 })
	// Never tried: it waits for the suspension only, not a retry of its own.
	sendTagged(t, g, "staff@lgwan.example", "waiting")
	waitFor(t, "the second message put back", 5*time.Second, func() bool { return skippedCount(g, metrics.HopDeliver) >= 1 })
	nh := startSink(t, false)
	if err := g.srv.Reload(gatewayConfig(t, dir, "smtp://"+nh.addr, "", slow...)); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the delivery to the new next hop", 5*time.Second, func() bool { return len(nh.messages()) == 1 })
	if suspendedGauge(g, metrics.HopDeliver) != 0 {
		t.Error("still suspended after the reload")
	}
	recs := nextHopRecords(t, g)
	if len(recs) != 2 || !strings.Contains(recs[1].Reason, "reload") {
		t.Errorf("next-hop records %+v, want the lift by the reload", recs)
	}
}

// TestExpiryWhileSuspended: a message whose lifetime ends while its
// next hop is suspended fails then, without an attempt, with the next
// hop's last error, and its sender gets the notice: not at the next
// probe, nor never.
func TestExpiryWhileSuspended(t *testing.T) {
	hop, _ := startDeadHop(t)
	bounces := startSink(t, false)
	// Suspended at 0 until 1s; the probe then fails and suspends it until
	// 3s. The message that was not the probe expires at 2s, in between.
	cfg := gatewayConfig(t, t.TempDir(), "smtp://"+hop.Addr().String(), "",
		"retry: {initial: 1s, max: 2s, lifetime: 1h}", "connections: 1, retry: {initial: 1s, max: 2s, lifetime: 2s}",
		"    policy: default\n", "    policy: default\n    bounces: {to: \"smtp://"+bounces.addr+"\"}\n")
	g := startGateway(t, cfg, true)
	sendTagged(t, g, "staff@lgwan.example", "one")
	sendTagged(t, g, "kikaku@lgwan.example", "two")
	waitFor(t, "both notices", 10*time.Second, func() bool { return len(bounces.messages()) == 2 })
	// Each fails at its lifetime's end, not at the next probe: the one
	// that was not the probe certainly while suspended, the probe too
	// when its own retry (1s after it) came before the next probe (2s).
	held := 0
	for _, r := range readAuditFile(t, g.audit) {
		if r.Event != "delivery" || !strings.HasPrefix(r.Reason, "not attempted") {
			continue
		}
		held++
		if len(r.Delivery) != 1 || r.Delivery[0].State != "failed" {
			t.Fatalf("delivery record of a message failed without an attempt: %+v", r)
		}
		if text := r.Delivery[0].Text; !strings.HasPrefix(text, "expired in queue after 2s: deliver: smtp://"+hop.Addr().String()) {
			t.Errorf("reason %q: want the expiry with the next hop's last error", text)
		}
	}
	if held == 0 {
		t.Error("no message failed without an attempt while suspended")
	}
	for _, m := range g.sp.List() {
		if m.Env.Route != "inbound" {
			continue
		}
		if late := m.Rcpts[0].FailedAt.Sub(m.Created); m.Rcpts[0].State != spool.Failed || late > 2700*time.Millisecond {
			t.Errorf("message %s: %s %v after it was received, lifetime 2s: want failed on time, not at the next probe (3s)", m.ID, m.Rcpts[0].State, late)
		}
	}
	if got := hop.refusedConns(); got > 3 {
		t.Errorf("%d connections to the next hop, want at most 3 (the first attempt and two probes)", got)
	}
	for _, b := range bounces.messages() {
		if !strings.Contains(string(b.Data), "Status: 5.4.7") {
			t.Errorf("notice without Status 5.4.7:\n%s", b.Data)
		}
	}
	// An operator requeues a failed message, the next hop mended: as a
	// retry, the requeue lifts the suspension, which would hold the
	// message back until its next probe.
	var failed string
	for _, m := range g.sp.List() {
		if m.Env.Route == "inbound" && m.Rcpts[0].State == spool.Failed {
			failed = m.ID
		}
	}
	if failed == "" || suspendedGauge(g, metrics.HopDeliver) != 1 {
		t.Fatalf("no failed message (%q) or no suspension left to lift", failed)
	}
	hop.setDown(false)
	req, _ := http.NewRequest(http.MethodPost, "http://"+g.admin+"/queue/"+failed+"/requeue", strings.NewReader(`{"user":"ops","reason":"next hop mended"}`))
	req.Header.Set("Authorization", "Bearer "+g.srv.ControlToken)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var res QueueRetry
	json.NewDecoder(resp.Body).Decode(&res)
	resp.Body.Close()
	if resp.StatusCode != 200 || len(res.Resumed) != 1 || res.Resumed[0] != "inbound" {
		t.Errorf("requeue: %d %+v, want the suspension of inbound lifted", resp.StatusCode, res)
	}
	if suspendedGauge(g, metrics.HopDeliver) != 0 {
		t.Error("still suspended after the requeue")
	}
}

// TestBounceHopSuspended: the route's bounces target has a suspension
// of its own: notices wait for it without a connection each, while the
// route's own next hop is not suspended; retry all lifts it.
func TestBounceHopSuspended(t *testing.T) {
	nh := startSink(t, false)
	nh.rcptCode["gone@lgwan.example"] = 550
	hop, bounces := startDeadHop(t)
	g := startGateway(t, gatewayConfig(t, t.TempDir(), "smtp://"+nh.addr, "",
		"    policy: default\n", "    policy: default\n    bounces: {to: \"smtp://"+hop.Addr().String()+"\", retry: {initial: 10m, max: 20m}}\n"), true)
	sendTagged(t, g, "gone@lgwan.example", "one")
	waitFor(t, "the bounces target suspended", 5*time.Second, func() bool { return suspendedGauge(g, metrics.HopBounces) == 1 })
	sendTagged(t, g, "gone@lgwan.example", "two")
	waitFor(t, "the second notice put back", 5*time.Second, func() bool { return skippedCount(g, metrics.HopBounces) >= 1 })
	if n := hop.refusedConns(); n != 1 {
		t.Errorf("%d connections to the bounces target, want 1", n)
	}
	if suspendedGauge(g, metrics.HopDeliver) != 0 {
		t.Error("the route's own next hop is suspended too")
	}
	if s := g.srv.suspended("inbound/bounces"); s == nil || s.NextHop != "smtp://"+hop.Addr().String() {
		t.Errorf("suspension of inbound/bounces: %+v", s)
	}
	hop.setDown(false)
	var res QueueRetry
	if code := adminPost(t, g, "/queue/retry", &res); code != 200 || len(res.Resumed) != 1 || res.Resumed[0] != "inbound/bounces" {
		t.Fatalf("retry all: %d %+v", code, res)
	}
	waitFor(t, "both notices delivered", 5*time.Second, func() bool { return len(bounces.messages()) == 2 })
	if suspendedGauge(g, metrics.HopBounces) != 0 {
		t.Error("bounces target still suspended")
	}
}

// TestPostponeAfterLift: a worker admitted a message to wait under a
// suspension that was lifted before it handed the message back (another
// worker's attempt reached the next hop, a retry, a reload): the hold is
// ended as the lift ended the others', or the message waited for a probe
// that no longer came, up to retry.max. A hold under the suspension in
// force stays.
func TestPostponeAfterLift(t *testing.T) {
	g := startGateway(t, gatewayConfig(t, t.TempDir(), "", ""), false)
	if code, text := g.send("inbound", "a@internet.example", []string{"u@lgwan.example"}, "Subject: x\r\n\r\nx\r\n"); code != 250 {
		t.Fatal(text)
	}
	r := &Runner{srv: g.srv}
	r.hops.mu.Lock()
	st := r.hops.stateLocked("inbound")
	st.on, st.gen = true, 2
	r.hops.mu.Unlock()
	take := func(within time.Duration) *spool.Message {
		ctx, cancel := context.WithTimeout(t.Context(), within)
		defer cancel()
		m, err := g.sp.NextFor(ctx, "inbound")
		if err != nil {
			return nil
		}
		return m
	}
	m := take(5 * time.Second)
	if m == nil {
		t.Fatal("no message due")
	}
	r.postponed("inbound", m.ID, admission{kind: admitPostpone, until: time.Now().Add(time.Hour), gen: 2})
	if m := take(100 * time.Millisecond); m != nil {
		t.Fatalf("%s taken while held under the suspension in force", m.ID)
	}
	if n := g.sp.Resume("inbound"); n != 1 {
		t.Fatalf("Resume ended %d holds, want 1", n)
	}
	m = take(5 * time.Second)
	if m == nil {
		t.Fatal("no message due after Resume")
	}
	// Admitted under suspension 1; lifted (2) before it came back.
	r.postponed("inbound", m.ID, admission{kind: admitPostpone, until: time.Now().Add(time.Hour), gen: 1})
	if m := take(5 * time.Second); m == nil {
		t.Fatal("the message stays held after the suspension it waited for was lifted")
	}
}

// limitHop is a next hop that takes one connection at a time: another,
// while one is open, gets 421 and is closed (a next hop at its limit on
// connections from one client, as Postfix's smtpd_client_connection_count_limit).
type limitHop struct {
	net.Listener
	mu      sync.Mutex
	open    int
	refused int
}

type limitConn struct {
	net.Conn
	h    *limitHop
	once sync.Once
}

func (c *limitConn) Close() error {
	c.once.Do(func() { c.h.mu.Lock(); c.h.open--; c.h.mu.Unlock() })
	return c.Conn.Close()
}

func (h *limitHop) Accept() (net.Conn, error) {
	for {
		c, err := h.Listener.Accept()
		if err != nil {
			return nil, err
		}
		h.mu.Lock()
		busy := h.open > 0
		if busy {
			h.refused++
		} else {
			h.open++
		}
		h.mu.Unlock()
		if !busy {
			return &limitConn{Conn: c, h: h}, nil
		}
		io.WriteString(c, "421 4.7.0 Error: too many connections from 127.0.0.1\r\n")
		c.Close()
	}
}

// TestConnectionLimitDoesNotSuspend: a next hop that refuses a second
// connection while the first delivers is at its limit, not down. The
// first connection counts from the moment it is made: counted only once
// its first transaction ended, a second worker's 421 during that
// transaction suspended delivery at every start (and an idle reconnect),
// and lifted it a moment later.
func TestConnectionLimitDoesNotSuspend(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	hop := &limitHop{Listener: ln}
	nh := startSinkOn(t, hop, false, func(s *sink) { s.dataDelay = 300 * time.Millisecond })
	g := startGateway(t, gatewayConfig(t, t.TempDir(), "smtp://"+ln.Addr().String(), "", "retry: {", "connections: 2, retry: {"), true)
	const n = 4
	for i := range n {
		sendTagged(t, g, "staff@lgwan.example", fmt.Sprintf("m%02d", i))
	}
	waitFor(t, "every message delivered", 15*time.Second, func() bool { return len(nh.messages()) == n })
	hop.mu.Lock()
	refused := hop.refused
	hop.mu.Unlock()
	if refused == 0 {
		t.Fatal("no connection was refused: the test did not meet the limit")
	}
	if recs := nextHopRecords(t, g); len(recs) != 0 {
		t.Errorf("next-hop records %+v, want none: the next hop was at its limit, not down", recs)
	}
}
