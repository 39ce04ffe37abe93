package gateway

import (
	"bufio"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"mugai/gateway/metrics"
	"mugai/sanitize"
)

// scrape reads /metrics over HTTP as Prometheus would and returns every
// sample by its full series text (name{labels}).
func scrape(t *testing.T, url string) map[string]float64 {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	out := map[string]float64{}
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || line[0] == '#' {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		v, err := strconv.ParseFloat(line[i+1:], 64)
		if err != nil {
			t.Fatalf("bad sample %q", line)
		}
		out[line[:i]] = v
	}
	return out
}

// After a run of mixed mail, /metrics shows every metric with values
// that match what was sent (issue: observability "done when").
func TestMetricsAfterMixedMail(t *testing.T) {
	nh := startSink(t, false)
	nh.rcptCode["gone@lgwan.example"] = 550
	g := startGateway(t, gatewayConfig(t, t.TempDir(), "smtp://"+nh.addr, ""), true)
	addr := g.admin

	g.send("inbound", "a@example.jp", []string{"staff@lgwan.example"}, "Subject: plain\r\nSubject: twice\r\n\r\nhello\r\n")
	g.send("inbound", "a@example.jp", []string{"staff@lgwan.example"}, mixedMessage()) // exe stripped
	g.send("inbound", "a@example.jp", []string{"gone@lgwan.example"}, "Subject: bounce\r\n\r\nhello\r\n")
	g.send("inbound", "a@example.jp", []string{"x@other.example"}, "Subject: relay\r\n\r\nno\r\n")
	waitFor(t, "deliveries", 10*time.Second, func() bool { return len(nh.messages()) == 2 })
	// The attempt is counted before the spool records the recipient as
	// failed: wait for both, or the queue gauge may still say active.
	waitFor(t, "the failure", 10*time.Second, func() bool {
		g.runner.updateGauges()
		s := scrape(t, "http://"+addr+"/metrics")
		return s[`mugai_delivery_attempts_total{result="failed",route="inbound"}`] == 1 &&
			s[`mugai_queue_messages{route="inbound",state="failed"}`] == 1
	})

	s := scrape(t, "http://"+addr+"/metrics")
	want := map[string]float64{
		`mugai_messages_received_total{route="inbound"}`:                                   3,
		`mugai_messages_verdict_total{policy="default",route="inbound",verdict="rebuilt"}`: 3,
		`mugai_attachments_total{class="executable",decision="strip"}`:                     1,
		`mugai_sanitize_actions_total{action="links-defanged"}`:                            1,
		`mugai_smtp_rejects_total{code="550",route="inbound",stage="rcpt"}`:                1,
		`mugai_delivery_attempts_total{result="delivered",route="inbound"}`:                2,
		`mugai_delivery_attempts_total{result="failed",route="inbound"}`:                   1,
		`mugai_message_size_bytes_count{route="inbound"}`:                                  3,
		`mugai_accept_duration_seconds_count{route="inbound"}`:                             3,
		`mugai_sanitize_duration_seconds_count`:                                            3,
		`mugai_sanitize_panics_total`:                                                      0,
		`mugai_sanitize_findings_total{kind="duplicate-header"}`:                           1,
		`mugai_sanitize_findings_total{kind="encoded-word-in-text"}`:                       0,
		`mugai_sanitize_findings_total{kind="other"}`:                                      0,
		`mugai_queue_messages{route="inbound",state="failed"}`:                             1,
		`mugai_queue_messages{route="inbound",state="active"}`:                             0,
		`mugai_quarantine_full_total`:                                                      0,
		`mugai_lockdown_enabled`:                                                           0,
		`mugai_smtp_connections_total{result="accepted",route="inbound"}`:                  4,
	}
	for series, v := range want {
		got, ok := s[series]
		if !ok {
			t.Errorf("%s missing from /metrics", series)
		} else if got != v {
			t.Errorf("%s = %v, want %v", series, got, v)
		}
	}
	// Every metric the registry promises is on the page.
	for _, name := range metrics.Names() {
		if name == "mugai_quarantine_orphaned_originals" {
			continue // a series only for a route no longer configured (TestOrphanedOriginalsWarned)
		}
		found := false
		for series := range s {
			if series == name || strings.HasPrefix(series, name+"{") || strings.HasPrefix(series, name+"_") {
				found = true
				break
			}
		}
		if !found {
			t.Errorf("%s not exported", name)
		}
	}
	if s[`mugai_disk_free_bytes{path="spool"}`] <= 0 {
		t.Error("disk_free_bytes{spool} not reported")
	}
	resp, err := http.Get("http://" + addr + "/readyz")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Errorf("/readyz: %d %s", resp.StatusCode, b)
	}
}

// Every action and finding the sanitiser can report has its series on
// the first scrape, at zero, so that a rate, a panel or an alert over one
// works before its first message. yenc-removed and binhex-removed (a
// yEnc or BinHex block cut out of a body text) were missing: the list
// of actions in gateway/metrics was a copy of the sanitiser's, and had
// fallen behind it.
func TestSanitizerSeriesAtZero(t *testing.T) {
	g := startGateway(t, gatewayConfig(t, t.TempDir(), "", ""), false)
	s := scrape(t, "http://"+g.admin+"/metrics")
	for _, tt := range []struct {
		metric, label string
		values        []string
	}{
		{"mugai_sanitize_actions_total", "action", append(sanitize.ActionKinds(), metrics.ActionOther)},
		{"mugai_sanitize_findings_total", "kind", append(sanitize.FindingKinds(), metrics.FindingOther)},
	} {
		for _, v := range tt.values {
			series := tt.metric + "{" + tt.label + `="` + v + `"}`
			if got, ok := s[series]; !ok || got != 0 {
				t.Errorf("%s = %v (on the page: %v), want 0", series, got, ok)
			}
		}
	}
}

// TestRulePolicyVerdictsAtZero: the verdict series of a policy that a
// rule picks exist at zero from the start, and from a reload that adds
// the rule, as the route's own policy's do: an alert or a panel over a
// rule's policy (the prefecture's mail, say) saw nothing until its first
// message.
func TestRulePolicyVerdictsAtZero(t *testing.T) {
	dir := t.TempDir()
	cfg := gatewayConfig(t, dir, "", `rules:
  - name: prefecture
    match: {sender_domain: [pref.example.lg.jp]}
    policy: relaxed
`)
	g := startGateway(t, cfg, false)
	want := func(when string, policy string, present bool) {
		t.Helper()
		s := scrape(t, "http://"+g.admin+"/metrics")
		for _, v := range []string{"rebuilt", "rejected"} {
			series := `mugai_messages_verdict_total{policy="` + policy + `",route="inbound",verdict="` + v + `"}`
			if got, ok := s[series]; ok != present || got != 0 {
				t.Errorf("%s: %s = %v (on the page: %v), want on the page: %v, 0", when, series, got, ok, present)
			}
		}
	}
	want("at start", "default", true)
	want("at start", "relaxed", true)

	// A reload adding a rule for another policy of the route.
	next := gatewayConfig(t, dir, "", `rules:
  - name: prefecture
    match: {sender_domain: [pref.example.lg.jp]}
    policy: relaxed
  - name: strict mayor
    match: {route: [inbound], recipient: [mayor@lgwan.example]}
    policy: strict
`, "policies:\n", "policies:\n  strict: {body: {links: remove}}\n")
	if err := g.srv.Reload(next); err != nil {
		t.Fatal(err)
	}
	want("after the reload", "strict", true)
}
