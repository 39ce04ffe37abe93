package gateway

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"mugai/config"
	"mugai/gateway/metrics"
)

// TestReleaseRecipientLimit: a release names at most as many recipients
// as the route that delivers it takes in one message (its
// limits.max_recipients, 100 by default), whether it sanitises the
// original again (the original's route) or sends it untouched (the
// pass-through route). Before, only the 64 KiB of the call's body bounded
// the list: 101 recipients were queued in one message. A longer list is
// refused with 403 and a message that says the limit and where it is
// set, audited like the other refusals and counted as
// too_many_recipients; nothing is queued.
func TestReleaseRecipientLimit(t *testing.T) {
	e := startRelEnv(t, relOptions{})
	e.send("taro@citizen.example", []string{"kikaku@city.example.lg.jp"}, relCitizenMessage(relPDF(1000)))
	e.lgwan.next(t)
	id := e.only().ID
	addrs := func(n int, domain string) []string {
		var out []string
		for i := range n {
			out = append(out, fmt.Sprintf("staff%03d@%s", i, domain))
		}
		return out
	}
	refusals := func() float64 {
		return testutil.ToFloat64(e.m.QuarantineReleaseRefusals.WithLabelValues(metrics.ReleaseTooManyRecipients))
	}

	tests := []struct {
		name, route string
		req         ReleaseRequest
	}{
		{"policy", "inbound", ReleaseRequest{Policy: "relaxed", To: addrs(101, "city.example.lg.jp")}},
		// Counted as given: a duplicate is a recipient of the list too.
		{"policy, a duplicate", "inbound", ReleaseRequest{Policy: "relaxed",
			To: append(addrs(100, "city.example.lg.jp"), "staff000@city.example.lg.jp")}},
		{"original", "internet", ReleaseRequest{Original: true, To: addrs(101, "inet.city.example.jp")}},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.req.User, tt.req.Reason = "tanaka", "forward to everyone"
			code, msg := e.call("POST", "/quarantine/"+id+"/release", tt.req, nil)
			want := fmt.Sprintf("release %s: refused: too many recipients: 101 given, route %s delivers to at most 100 in one message (its limits.max_recipients); split them over several releases (-to)", id, tt.route)
			if code != 403 || msg != want {
				t.Errorf("%d %q\nwant 403 %q", code, msg, want)
			}
			if n := refusals(); n != float64(i+1) {
				t.Errorf("mugai_quarantine_release_refusals_total{reason=%q} = %v, want %d", metrics.ReleaseTooManyRecipients, n, i+1)
			}
		})
	}
	e.lgwan.none(t, 300*time.Millisecond)
	e.inet.none(t, 0)
	if n := testutil.ToFloat64(e.m.QuarantineReleases); n != 0 {
		t.Errorf("mugai_quarantine_releases_total = %v after refusals", n)
	}
	if n := testutil.ToFloat64(e.m.QuarantineReleaseRefusals.WithLabelValues(metrics.ReleaseNotAllowed)); n != 0 {
		t.Errorf("counted as not_allowed too: %v", n)
	}
	rel := e.audit("release")
	if len(rel) != len(tests) {
		t.Fatalf("%d release records for %d refusals", len(rel), len(tests))
	}
	for i, r := range rel {
		tt := tests[i]
		if r.Verdict != "refused" || r.QuarantineID != id || r.User != "tanaka" || r.Sender != "taro@citizen.example" || r.Route != tt.route ||
			!strings.Contains(r.Reason, "too many recipients: 101 given") || r.QueueID != "" {
			t.Errorf("%s: audited as %+v", tt.name, r)
		}
		// The record keeps the first 100 of them, its reason says 101.
		if len(r.Rcpts) != 100 || r.Rcpts[0] != tt.req.To[0] {
			t.Errorf("%s: the record lists %d recipients from %q, want the first 100 given", tt.name, len(r.Rcpts), r.Rcpts[:min(1, len(r.Rcpts))])
		}
	}

	// At the limit it is released, to all of them in one message.
	req := ReleaseRequest{Policy: "relaxed", To: addrs(100, "city.example.lg.jp"), User: "tanaka", Reason: "forward to everyone"}
	var res ReleaseResult
	if code, msg := e.call("POST", "/quarantine/"+id+"/release", req, &res); code != 200 {
		t.Fatalf("release to 100 recipients: %d %s", code, msg)
	}
	if got := e.lgwan.next(t); len(got.To) != 100 {
		t.Errorf("delivered to %d recipients, want 100", len(got.To))
	}

	// A limit lowered since the original came: its own recipients are
	// more than the route now takes, and the refusal says so.
	e.send("taro@citizen.example", addrs(3, "city.example.lg.jp"), relCitizenMessage(relPDF(1000)))
	e.lgwan.next(t)
	all := e.q.List(nil)
	three := all[len(all)-1].ID
	c := *e.cfg
	c.Routes = append([]config.Route(nil), c.Routes...)
	c.Routes[0].Limits.MaxRecipients = 2
	if err := e.srv.Reload(&c); err != nil {
		t.Fatal(err)
	}
	code, msg := e.call("POST", "/quarantine/"+three+"/release", ReleaseRequest{Policy: "relaxed", User: "tanaka", Reason: "x"}, nil)
	if want := "release " + three + ": refused: too many recipients: the original has 3, route inbound delivers to at most 2 in one message (its limits.max_recipients); split them over several releases (-to)"; code != 403 || msg != want {
		t.Errorf("release to the original's 3 recipients under a limit of 2: %d %q\nwant 403 %q", code, msg, want)
	}
	if rel := e.audit("release"); len(rel[len(rel)-1].Rcpts) != 2 {
		t.Errorf("the refusal records %v, want the first 2", rel[len(rel)-1].Rcpts)
	}
}

// TestReleaseManyLongRecipients: a release may name as many recipients
// as its route's limits.max_recipients, up to 1,000 addresses of up to
// 256 bytes, and the call's body has room for them: its bound is sized
// from the largest max_recipients in force. Before, the 64 KiB bound of
// every control call refused such a release with "the request is longer
// than 65536 bytes", which told the operator nothing of what to do.
func TestReleaseManyLongRecipients(t *testing.T) {
	e := startRelEnv(t, relOptions{})
	e.send("taro@citizen.example", []string{"kikaku@city.example.lg.jp"}, relCitizenMessage(relPDF(1000)))
	e.lgwan.next(t)
	id := e.only().ID
	// A 193-byte domain, and local parts that make each address 254
	// bytes: 1,000 of them are about 257 KB of JSON.
	domain := strings.Repeat("a", 60) + "." + strings.Repeat("b", 60) + "." + strings.Repeat("c", 60) + ".example.jp"
	c := *e.cfg
	c.Routes = append([]config.Route(nil), c.Routes...)
	c.Routes[0].Limits.MaxRecipients = config.MaxRecipientsCeiling
	c.Routes[0].Domains = append(append([]string(nil), c.Routes[0].Domains...), domain)
	if err := e.srv.Reload(&c); err != nil {
		t.Fatal(err)
	}
	var to []string
	for i := range config.MaxRecipientsCeiling {
		local := fmt.Sprintf("staff%04d.", i)
		to = append(to, local+strings.Repeat("x", 254-len(local)-1-len(domain))+"@"+domain)
	}
	if len(to[0]) != 254 {
		t.Fatalf("address of %d bytes", len(to[0]))
	}
	var res ReleaseResult
	req := ReleaseRequest{Policy: "relaxed", To: to, User: "tanaka", Reason: "to the whole department"}
	if code, msg := e.call("POST", "/quarantine/"+id+"/release", req, &res); code != 200 || len(res.To) != len(to) {
		t.Fatalf("release to 1,000 recipients of 254 bytes: %d %q, %d recipients queued", code, msg, len(res.To))
	}
	if got := e.lgwan.next(t); len(got.To) != len(to) {
		t.Errorf("delivered to %d recipients, want %d", len(got.To), len(to))
	}
	if rel := e.audit("release"); len(rel) != 1 || rel[0].Verdict != "rebuilt" || len(rel[0].Rcpts) != len(to) {
		t.Errorf("release records: %d, want the one release to %d", len(rel), len(to))
	}
}
