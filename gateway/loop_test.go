package gateway

import (
	"bufio"
	"fmt"
	"io"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-message/textproto"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"mugai/gateway/spool"
)

// received is n Received fields, as MTAs on the way write them.
func received(n int) string {
	var b strings.Builder
	for i := n; i > 0; i-- {
		fmt.Fprintf(&b, "Received: from hop%d.example.jp (hop%d.example.jp [192.0.2.%d])\r\n\tby hop%d.example.jp with ESMTP id H%d;\r\n\tTue, 5 Mar 2024 09:30:00 +0900\r\n", i, i, i%250+1, i+1, i)
	}
	return b.String()
}

// TestHopLimit: a message with more than 100 Received fields is a mail
// loop (RFC 5321 6.3), refused at the end of DATA with 554 5.4.6, as
// Postfix does, on a sanitising route and on a pass-through one: counted
// in mugai_smtp_rejects_total{stage="data",code="554"}, audited with the
// verdict loop, logged, and neither queued nor kept. It is counted in
// mugai_mail_loops_total (the alert's) only when this gateway's own
// trace is among them, as it is in a loop through it: any client can
// write a hundred Received fields. One with 100 crosses.
func TestHopLimit(t *testing.T) {
	own := "Received: from mx.example.jp ([192.0.2.1])\r\n\tby GW.lgwan.example (mugai) with ESMTP id 06H2;\r\n\tTue, 5 Mar 2024 09:30:00 +0900\r\n"
	for _, policy := range []string{"default", "none"} {
		t.Run(policy, func(t *testing.T) {
			dir := t.TempDir()
			g := startGateway(t, gatewayConfig(t, dir, "", "", "    policy: default\n", "    policy: "+policy+"\n"), false)
			if code, text := g.send("inbound", "a@example.jp", []string{"user@lgwan.example"}, received(100)+"Subject: far\r\n\r\nhello\r\n"); code != 250 {
				t.Fatalf("100 Received fields: %d %s", code, text)
			}
			for _, msg := range []string{received(101), own + received(100)} {
				code, text := g.send("inbound", "a@example.jp", []string{"user@lgwan.example"}, msg+"Subject: looping\r\n\r\nhello\r\n")
				if want := "554 5.4.6 Too many hops: more than 100 Received fields, a mail loop"; code != 554 || text != want {
					t.Errorf("101 Received fields: %q, want %q", text, want)
				}
			}
			if n := len(g.sp.List()); n != 1 {
				t.Errorf("%d messages queued, want 1", n)
			}
			if want, n := map[string]int{"default": 1, "none": 0}[policy], len(g.q.List(nil)); n != want {
				t.Errorf("%d originals kept, want %d", n, want)
			}
			if v := testutil.ToFloat64(g.m.SMTPRejects.WithLabelValues("inbound", "data", "554")); v != 2 {
				t.Errorf("mugai_smtp_rejects_total{stage=data,code=554} = %v, want 2", v)
			}
			if v := testutil.ToFloat64(g.m.MailLoops.WithLabelValues("inbound")); v != 1 {
				t.Errorf("mugai_mail_loops_total = %v, want 1 (the message with the gateway's own trace)", v)
			}
			var loops []string
			waitFor(t, "the accept records", 5*time.Second, func() bool {
				loops = loops[:0]
				n := 0
				for _, r := range readAudit(t, g.audit) {
					if r.Event == "accept" {
						n++
						if r.Verdict == "loop" {
							loops = append(loops, fmt.Sprintf("%d %s", r.Reply, r.Reason))
						}
					}
				}
				return n == 3
			})
			if want := []string{"554 more than 100 Received fields", "554 more than 100 Received fields, this gateway's among them"}; strings.Join(loops, "|") != strings.Join(want, "|") {
				t.Errorf("loop records %q, want %q", loops, want)
			}
			if !strings.Contains(g.logs.String(), `msg="data: too many hops, a mail loop" route=inbound`) {
				t.Errorf("no warning logged:\n%s", g.logs.String())
			}
		})
	}
}

// TestCheckHops: Received fields are counted by name in any case, a
// folded one once, none after the header section; the gateway's own
// trace is found when the sanitiser folded it between "by" and the host
// name. A header of a megabyte of one-byte fields is read in constant
// memory: a parsed header of it took over 100 MiB.
func TestCheckHops(t *testing.T) {
	r := func(n int, name string) string {
		return strings.Repeat(name+": from a.example\r\n\tby b.example; Tue, 5 Mar 2024 09:30:00 +0900\r\n", n)
	}
	folded := "Received: from mx.example.jp ([192.0.2.1]) by\r\n gw.lgwan.example (mugai) with ESMTP id 06H2; Tue, 5 Mar 2024 09:30:00 +0900\r\n"
	long := "Received: from " + strings.Repeat("x", 10000) + "\r\n"
	tests := []struct {
		name, msg string
		refused   bool
		own       bool
	}{
		{"100", r(100, "Received") + "\r\nbody", false, false},
		{"101", r(101, "Received") + "\r\nbody", true, false},
		{"names in any case, a space before the colon", r(50, "RECEIVED") + r(51, "received "), true, false},
		{"not Received", r(101, "X-Received") + r(101, "Receivedx"), false, false},
		{"after the header section", r(50, "Received") + "\r\n" + r(60, "Received"), false, false},
		{"bare LF line ends", strings.ReplaceAll(r(101, "Received"), "\r\n", "\n"), true, false},
		{"a line longer than the buffer", strings.Repeat(long, 101), true, false},
		{"own trace, folded", folded + r(100, "Received"), true, true},
		{"own trace under the limit", folded + "\r\n", false, true},
		{"another gateway's trace", strings.Replace(folded, "gw.lgwan", "gw2.lgwan", 1) + r(100, "Received"), true, false},
	}
	for _, tt := range tests {
		h := CheckHops(strings.NewReader(tt.msg), "gw.lgwan.example")
		if (h.RefusedError != nil) != tt.refused || h.Own != tt.own {
			t.Errorf("%s: refused %v own %v, want %v %v", tt.name, h.RefusedError, h.Own, tt.refused, tt.own)
		}
	}
	big := strings.Repeat("a:\r\n", hopHeaderMax/4) + "\r\n"
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	h := CheckHops(strings.NewReader(big), "gw.lgwan.example")
	runtime.ReadMemStats(&after)
	if alloc := after.TotalAlloc - before.TotalAlloc; h.RefusedError != nil || alloc > 64<<10 {
		t.Errorf("a 1 MiB header of one-byte fields: %v, %d bytes allocated (want under 64 KiB)", h.RefusedError, alloc)
	}
}

// TestMailLoopBetweenGateways: two gateways whose next hops are each
// other (an address no configuration check can tell is a loop) pass a
// message back and forth, each rebuilding it and carrying its trace
// over, until it comes with more than 100 Received fields and is
// refused: the loop ends, the message fails for good at the gateway that
// sent it last, and nothing else is left queued.
func TestMailLoopBetweenGateways(t *testing.T) {
	if testing.Short() {
		t.Skip("a hundred deliveries")
	}
	// g2 starts with a next hop it never uses, then takes g1 as its
	// own once g1 listens: no port is chosen before its listener binds.
	dir1, dir2 := t.TempDir(), t.TempDir()
	g2 := startGateway(t, gatewayConfig(t, dir2, "smtp://127.0.0.1:9", ""), true)
	g1 := startGateway(t, gatewayConfig(t, dir1, "smtp://"+g2.addr("inbound"), ""), true)
	if err := g2.srv.Reload(gatewayConfig(t, dir2, "smtp://"+g1.addr("inbound"), "")); err != nil {
		t.Fatal(err)
	}
	if code, text := g1.send("inbound", "a@example.jp", []string{"user@lgwan.example"}, "Subject: round and round\r\n\r\nhello\r\n"); code != 250 {
		t.Fatalf("send: %d %s", code, text)
	}
	// The message comes to g1 with 0, 2 ... 100 Received fields, to g2
	// with 1, 3 ... 99, and 101: refused there.
	settled := func(g *testGateway) bool {
		for _, m := range g.sp.List() {
			for _, rc := range m.Rcpts {
				if rc.State != spool.Failed && rc.State != spool.Done {
					return false
				}
			}
		}
		return true
	}
	waitFor(t, "the loop to end", 90*time.Second, func() bool {
		return testutil.ToFloat64(g2.m.MailLoops.WithLabelValues("inbound")) == 1 && settled(g1) && settled(g2)
	})
	failed := 0
	for _, m := range g1.sp.List() {
		for _, rc := range m.Rcpts {
			if rc.State == spool.Failed && strings.Contains(rc.LastError, "5.4.6") {
				failed++
			}
		}
	}
	if failed != 1 || len(g2.sp.List()) != 0 {
		t.Errorf("g1 holds %d messages failed with 5.4.6 (want 1), g2 %d messages (want 0)", failed, len(g2.sp.List()))
	}
	for _, tc := range []struct {
		g    *testGateway
		want int
	}{{g1, 51}, {g2, 50}} {
		if n := testutil.ToFloat64(tc.g.m.MessagesVerdict.WithLabelValues("inbound", "default", "rebuilt")); n != float64(tc.want) {
			t.Errorf("%s rebuilt %v messages, want %d", tc.g.addr("inbound"), n, tc.want)
		}
	}
}

// FuzzCheckHops holds the line-by-line count of Received fields to
// go-message's header parser, on every header it reads without error:
// the same count, up to the limit, whatever the folding, line ends or
// case. No input panics.
func FuzzCheckHops(f *testing.F) {
	for _, s := range []string{
		"Received: a\r\nSubject: x\r\n\r\nReceived: b\r\n",
		"RECEIVED : a\r\n\tb\r\nreceived:\r\n x\r\n",
		"Received: from a by\r\n gw.lgwan.example (mugai) with ESMTP\r\n\r\n",
		"X-Received: a\nReceivedX: b\nReceived:c\n\n",
		received(3) + "\r\n",
		" Received: a\r\n",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		n, _ := countHops(strings.NewReader(in), "gw.lgwan.example")
		h, err := textproto.ReadHeader(bufio.NewReader(io.LimitReader(strings.NewReader(in), hopHeaderMax)))
		if err != nil {
			return // malformed: go-message stops, and so may the count
		}
		if want := min(len(h.Values("Received")), maxHops+1); n != want {
			t.Fatalf("%d Received fields counted, go-message reads %d", n, want)
		}
	})
}
