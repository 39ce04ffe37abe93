package gateway

import (
	"bytes"
	"crypto/tls"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"mugai/gateway/metrics"
	"mugai/gateway/spool"
	"mugai/sanitize/invariant"
)

func waitFor(t *testing.T, what string, d time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", d, what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestDeliverSMTP(t *testing.T) {
	nh := startSink(t, false)
	g := startGateway(t, gatewayConfig(t, t.TempDir(), "smtp://"+nh.addr, "", "retry: {", "connections: 1, retry: {"), true)
	for i := 0; i < 3; i++ {
		if code, text := g.send("inbound", "a@example.jp", []string{"staff@lgwan.example"}, mixedMessage()); code != 250 {
			t.Fatalf("send: %d %s", code, text)
		}
	}
	waitFor(t, "3 deliveries", 10*time.Second, func() bool { return len(nh.messages()) == 3 })
	for _, m := range nh.messages() {
		if err := invariant.Check(bytes.NewReader(m.Data), g.cfg.Policies["default"]); err != nil {
			t.Errorf("delivered message breaks the invariants: %v", err)
		}
		if m.From != "a@example.jp" || len(m.To) != 1 || m.To[0] != "staff@lgwan.example" {
			t.Errorf("envelope at the next hop: %s → %v", m.From, m.To)
		}
	}
	waitFor(t, "an empty queue", 5*time.Second, func() bool { return len(g.sp.List()) == 0 })
	nh.mu.Lock()
	conns := nh.conns
	nh.mu.Unlock()
	if conns > 2 {
		t.Errorf("%d connections for 3 messages: connections are not reused", conns)
	}
	if v := testutil.ToFloat64(g.m.DeliveryAttempts.WithLabelValues("inbound", "delivered")); v != 3 {
		t.Errorf("delivery_attempts_total{delivered} = %v", v)
	}
}

func TestDeliverLMTPPerRecipient(t *testing.T) {
	nh := startSink(t, true)
	nh.dataCode["full@lgwan.example"] = 552
	nh.dataCode["later@lgwan.example"] = 452
	g := startGateway(t, gatewayConfig(t, t.TempDir(), "lmtp://"+nh.addr, ""), true)
	rcpts := []string{"ok@lgwan.example", "full@lgwan.example", "later@lgwan.example"}
	if code, text := g.send("inbound", "a@example.jp", rcpts, "Subject: lmtp\r\n\r\nhello\r\n"); code != 250 {
		t.Fatalf("send: %d %s", code, text)
	}
	var m spool.Message
	waitFor(t, "per-recipient results", 10*time.Second, func() bool {
		list := g.sp.List()
		if len(list) != 1 {
			return false
		}
		m = list[0]
		return m.Rcpts[0].State == spool.Done && m.Rcpts[1].State == spool.Failed && m.Rcpts[2].State == spool.Deferred
	})
	if !strings.Contains(m.Rcpts[1].LastError, "552") || !strings.Contains(m.Rcpts[2].LastError, "452") {
		t.Errorf("last errors: %q, %q", m.Rcpts[1].LastError, m.Rcpts[2].LastError)
	}
	if len(nh.messages()) != 1 || len(nh.messages()[0].To) != 1 {
		t.Errorf("next hop kept %+v", nh.messages())
	}
	// The deferred recipient is retried alone, and the done one is not
	// sent again.
	nh.mu.Lock()
	delete(nh.dataCode, "later@lgwan.example")
	nh.mu.Unlock()
	waitFor(t, "the retry", 10*time.Second, func() bool { return len(nh.messages()) == 2 })
	if got := nh.messages()[1].To; len(got) != 1 || got[0] != "later@lgwan.example" {
		t.Errorf("retry went to %v, want only the deferred recipient", got)
	}
}

func TestDeliverMaildir(t *testing.T) {
	dir := t.TempDir()
	g := startGateway(t, gatewayConfig(t, dir, "", ""), true)
	if code, text := g.send("inbound", "a@example.jp", []string{"staff@lgwan.example"}, "Subject: md\r\n\r\nhello\r\n"); code != 250 {
		t.Fatalf("send: %d %s", code, text)
	}
	var files []os.DirEntry
	waitFor(t, "a Maildir file", 5*time.Second, func() bool {
		files, _ = os.ReadDir(filepath.Join(dir, "maildir", "new"))
		return len(files) == 1
	})
	b, _ := os.ReadFile(filepath.Join(dir, "maildir", "new", files[0].Name()))
	if !strings.Contains(string(b), "Subject: md") || !strings.Contains(string(b), "X-Mugai-Policy: default") {
		t.Errorf("Maildir file:\n%s", b)
	}
	if tmp, _ := os.ReadDir(filepath.Join(dir, "maildir", "tmp")); len(tmp) != 0 {
		t.Errorf("tmp/ holds %d files", len(tmp))
	}
}

// TestOutage: the next hop is down while 200 messages are accepted; when
// it comes back every message arrives exactly once and the queue empties.
func TestOutage(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // down
	g := startGateway(t, gatewayConfig(t, t.TempDir(), "smtp://"+addr, ""), true)
	const n = 200
	errs := make(chan error, n)
	for w := 0; w < 8; w++ {
		go func() {
			for i := w; i < n; i += 8 {
				msg := fmt.Sprintf("Message-ID: <outage-%d@example.jp>\r\nSubject: %d\r\n\r\nbody %d\r\n", i, i, i)
				code, text := g.send("inbound", "a@example.jp", []string{"staff@lgwan.example"}, msg)
				if code != 250 {
					errs <- fmt.Errorf("message %d: %d %s", i, code, text)
					continue
				}
				errs <- nil
			}
		}()
	}
	for i := 0; i < n; i++ {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	// The first attempts find the next hop down and suspend its
	// delivery; the other messages are put back without one, as many
	// times as they come due (counted each time).
	waitFor(t, "every message tried or put back", 20*time.Second, func() bool {
		_, deferred, _, _ := g.sp.Stats()
		return deferred+int(skippedCount(g, metrics.HopDeliver)) >= n
	})
	if suspendedGauge(g, metrics.HopDeliver) != 1 {
		t.Error("delivery not suspended while the next hop is down")
	}
	ln, err = net.Listen("tcp", addr)
	if err != nil {
		t.Fatalf("next hop cannot come back on %s: %v", addr, err)
	}
	nh := startSinkOn(t, ln, false)
	waitFor(t, "the queue to drain", 60*time.Second, func() bool { return len(g.sp.List()) == 0 })
	seen := map[string]int{}
	for _, m := range nh.messages() {
		i := bytes.Index(m.Data, []byte("Message-ID: <outage-"))
		if i < 0 {
			i = bytes.Index(m.Data, []byte("Message-Id: <outage-"))
		}
		if i < 0 {
			t.Fatalf("delivered message without its Message-ID:\n%s", m.Data)
		}
		id := string(m.Data[i+13 : i+13+bytes.IndexByte(m.Data[i+13:], '>')])
		seen[id]++
	}
	if len(seen) != n {
		t.Errorf("%d distinct messages delivered, want %d", len(seen), n)
	}
	for id, c := range seen {
		if c != 1 {
			t.Errorf("%s delivered %d times", id, c)
		}
	}
}

// TestRequeueFailed: a message the next hop refused for good is queued
// again by an administrator once the mailbox exists. Past its retry
// lifetime, its first temporary failure after the requeue defers it
// (the lifetime counts from the requeue) instead of failing it at once,
// for the first backoff again; then it is delivered.
func TestRequeueFailed(t *testing.T) {
	nh := startSink(t, false)
	nh.mu.Lock()
	nh.rcptCode["staff@lgwan.example"] = 550
	nh.mu.Unlock()
	g := startGateway(t, gatewayConfig(t, t.TempDir(), "smtp://"+nh.addr, "", "lifetime: 1h", "lifetime: 2s"), true)
	if code, text := g.send("inbound", "a@example.jp", []string{"staff@lgwan.example"}, mixedMessage()); code != 250 {
		t.Fatalf("send: %d %s", code, text)
	}
	var id string
	waitFor(t, "the message to fail", 10*time.Second, func() bool {
		for _, m := range g.sp.List() {
			if m.Env.Route == "inbound" && m.Rcpts[0].State == spool.Failed {
				id = m.ID
				return true
			}
		}
		return false
	})
	m, _ := g.sp.Get(id)
	time.Sleep(time.Until(m.Created.Add(2500 * time.Millisecond))) // past the lifetime
	nh.mu.Lock()
	nh.rcptCode["staff@lgwan.example"] = 0
	nh.tempFail = true // the next hop is busy when the requeue comes
	nh.mu.Unlock()

	req, _ := http.NewRequest("POST", "http://"+g.admin+"/queue/"+id+"/requeue", strings.NewReader(`{"user":"ops","reason":"mailbox created"}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+g.srv.ControlToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("requeue: %d", resp.StatusCode)
	}
	waitFor(t, "the attempt after the requeue", 10*time.Second, func() bool {
		m, err := g.sp.Get(id)
		return err == nil && m.Rcpts[0].Attempts == 2
	})
	m, _ = g.sp.Get(id)
	if m.Rcpts[0].State != spool.Deferred {
		t.Fatalf("after a temporary failure past the original lifetime the recipient is %s (%s), want deferred", m.Rcpts[0].State, m.Rcpts[0].LastError)
	}
	// Its backoff starts again too: the first retry's delay (1 s ±10%),
	// not the second's (2 s, the max), though this was its second attempt.
	if d := time.Until(m.Rcpts[0].NextAttempt); d > 1500*time.Millisecond || m.Rcpts[0].Retries() != 1 {
		t.Errorf("next attempt in %v after %d retries since the requeue, want the first backoff", d, m.Rcpts[0].Retries())
	}
	nh.mu.Lock()
	nh.tempFail = false
	nh.mu.Unlock()
	if err := g.sp.Kick(id); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the delivery", 10*time.Second, func() bool { return len(nh.messages()) == 1 })
	waitFor(t, "the message to leave the queue", 5*time.Second, func() bool {
		_, err := g.sp.Get(id)
		return err != nil
	})
}

// TestDeferredTogether: recipients deferred by one attempt are due again
// at the same time, so they are retried in one attempt (and bounced in
// one notice), not each on its own jittered schedule.
func TestDeferredTogether(t *testing.T) {
	nh := startSink(t, false)
	nh.mu.Lock()
	nh.tempFail = true
	nh.mu.Unlock()
	g := startGateway(t, gatewayConfig(t, t.TempDir(), "smtp://"+nh.addr, "", "initial: 1s, max: 2s, lifetime: 1h", "initial: 1h, max: 4h, lifetime: 5d"), true)
	to := []string{"a@lgwan.example", "b@lgwan.example", "c@lgwan.example"}
	if code, text := g.send("inbound", "x@example.jp", to, mixedMessage()); code != 250 {
		t.Fatalf("send: %d %s", code, text)
	}
	var m spool.Message
	waitFor(t, "the recipients deferred", 10*time.Second, func() bool {
		l := g.sp.List()
		if len(l) != 1 {
			return false
		}
		m = l[0]
		for _, rc := range m.Rcpts {
			if rc.State != spool.Deferred {
				return false
			}
		}
		return true
	})
	for _, rc := range m.Rcpts[1:] {
		if !rc.NextAttempt.Equal(m.Rcpts[0].NextAttempt) {
			t.Errorf("next attempts %v and %v: recipients deferred together are not due together", m.Rcpts[0].NextAttempt, rc.NextAttempt)
		}
	}
}

// TestReloadRedialsNextHop: a reload that changes how the next hop is
// reached (its TLS mode or CA file) under the same address takes effect
// at the next message. Before, a delivery worker kept its connection
// while deliver.to stayed the same, and went on sending over it (up to
// 100 messages, or until it idled): a reload that required TLS, against
// a next hop seen to be reached in plaintext, did not stop plaintext
// delivery.
func TestReloadRedialsNextHop(t *testing.T) {
	dir := t.TempDir()
	certFile, keyFile, _ := selfSigned(t, dir)
	cert, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	nh := startSinkOn(t, ln, false, func(s *sink) { s.srv.TLSConfig = &tls.Config{Certificates: []tls.Certificate{cert}} })
	// One worker, which the second message finds with the connection
	// the first one left open.
	plain := gatewayConfig(t, dir, "smtp://"+nh.addr, "", `"%NEXTHOP%", retry`, `"%NEXTHOP%", tls: none, connections: 1, retry`)
	g := startGateway(t, plain, true)
	msg := "From: a@example.jp\r\nSubject: s\r\n\r\nhello\r\n"
	if code, text := g.send("inbound", "a@example.jp", []string{"staff@lgwan.example"}, msg); code != 250 {
		t.Fatalf("first message: %d %s", code, text)
	}
	waitFor(t, "the first delivery", 10*time.Second, func() bool { return len(nh.messages()) == 1 })

	if err := g.srv.Reload(gatewayConfig(t, dir, "smtp://"+nh.addr, "",
		`"%NEXTHOP%", retry`, `"%NEXTHOP%", tls: required, ca_file: "`+certFile+`", connections: 1, retry`)); err != nil {
		t.Fatal(err)
	}
	if code, text := g.send("inbound", "a@example.jp", []string{"staff@lgwan.example"}, msg); code != 250 {
		t.Fatalf("second message: %d %s", code, text)
	}
	waitFor(t, "the second delivery", 10*time.Second, func() bool { return len(nh.messages()) == 2 })
	if m := nh.messages(); m[0].TLS || !m[1].TLS {
		t.Errorf("TLS of the deliveries before and after the reload: %v, %v; want false, true", m[0].TLS, m[1].TLS)
	}
}
