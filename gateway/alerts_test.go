package gateway

import (
	"crypto/tls"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-smtp"
)

// The alert tests here replay what a running gateway exported through
// the alert rules an operator installs (deploy/prometheus/mugai.rules.yml):
// a scenario is played against the gateway over SMTP, /metrics is
// scraped after each step, and the scrapes, one a minute, are handed to
// promtool as the series Prometheus would have stored. The question is
// the on-call operator's: does the alert the runbook names fire in the
// situation it describes, with the series the gateway really exports?
// promtool's own tests (mugai.rules.test.yml) write their series by
// hand, which cannot show a series that never moves.

// rulesPath is the alert rules file, from the gateway package's directory.
const rulesPath = "../deploy/prometheus/mugai.rules.yml"

// promtool returns the path of promtool, or skips the test when it is
// missing, unless MUGAI_REQUIRE_INTEROP=1 (CI) makes that a failure.
func promtool(t *testing.T) string {
	t.Helper()
	p, err := exec.LookPath("promtool")
	if err != nil {
		if os.Getenv("MUGAI_REQUIRE_INTEROP") == "1" {
			t.Fatal("promtool not installed and MUGAI_REQUIRE_INTEROP=1")
		}
		t.Skip("promtool not installed (Debian package prometheus)")
	}
	return p
}

// promSeries turns scrapes (one a minute, the first at minute 0) into
// promtool input series, each labelled job="mugai", instance="gw1" as the
// scrape configuration of deploy/README.md labels them. A series missing
// from a scrape is '_' (no sample) there. up is 1 at every scrape.
func promSeries(scrapes []map[string]float64) []string {
	names := map[string]bool{}
	for _, s := range scrapes {
		for k := range s {
			if strings.HasPrefix(k, "mugai_") {
				names[k] = true
			}
		}
	}
	keys := make([]string, 0, len(names))
	for k := range names {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	const target = `job="mugai",instance="gw1"`
	var out []string
	up := make([]string, len(scrapes))
	for i := range up {
		up[i] = "1"
	}
	out = append(out, fmt.Sprintf("      - series: %q\n        values: %q\n", "up{"+target+"}", strings.Join(up, " ")))
	for _, k := range keys {
		series := k + "{" + target + "}"
		if i := strings.IndexByte(k, '{'); i >= 0 {
			series = k[:i] + "{" + target + "," + k[i+1:]
		}
		vals := make([]string, len(scrapes))
		for i, s := range scrapes {
			if v, ok := s[k]; ok {
				vals[i] = fmt.Sprintf("%g", v)
			} else {
				vals[i] = "_"
			}
		}
		out = append(out, fmt.Sprintf("      - series: %q\n        values: %q\n", series, strings.Join(vals, " ")))
	}
	return out
}

// wantFiring runs the alert rules over scrapes with promtool and checks
// that at minute at exactly the alerts in want fire, each given as
// "Alert" or "Alert/route".
func wantFiring(t *testing.T, scrapes []map[string]float64, at int, want []string) {
	t.Helper()
	tool := promtool(t)
	rules, err := filepath.Abs(rulesPath)
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "rule_files: [%q]\nevaluation_interval: 1m\ntests:\n  - interval: 1m\n    input_series:\n", rules)
	for _, s := range promSeries(scrapes) {
		b.WriteString(s)
	}
	fmt.Fprintf(&b, "    promql_expr_test:\n      - expr: 'count by (alertname, route) (ALERTS{alertstate=\"firing\"})'\n        eval_time: %dm\n        exp_samples:\n", at)
	want = slices.Clone(want)
	sort.Strings(want)
	for _, w := range want {
		name, route, _ := strings.Cut(w, "/")
		labels := fmt.Sprintf(`{alertname=%q}`, name)
		if route != "" {
			labels = fmt.Sprintf(`{alertname=%q,route=%q}`, name, route)
		}
		fmt.Fprintf(&b, "          - labels: %q\n            value: 1\n", labels)
	}
	if len(want) == 0 {
		// exp_samples: [] wants no sample at all.
		s := b.String()
		b.Reset()
		b.WriteString(strings.TrimSuffix(s, "\n") + " []\n")
	}
	dir := t.TempDir()
	file := filepath.Join(dir, "replay.test.yml")
	if err := os.WriteFile(file, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(tool, "test", "rules", file).CombinedOutput()
	if err != nil {
		t.Errorf("at minute %d of the replay the alerts firing are not %q: %v\n%s", at, want, err, out)
	}
}

// A route that verifies recipients with the next hop (the example's
// inbound: recipients: {verify: next-hop}) defers every RCPT while the
// next hop is down, so no message is accepted, none is queued and no
// delivery is attempted: MugaiNextHopFailing, which reads delivery
// attempts, had nothing to fire on, nor had the queue alerts, and mail
// from the internet stopped with no page (MugaiNoMailDuringOfficeHours
// only after 75 minutes, and only on a weekday between 9 and 17 JST).
// MugaiRecipientVerifyFailing fires; a next hop that answers raises
// nothing.
func TestRecipientVerifyFailingAlerts(t *testing.T) {
	tests := []struct {
		name     string
		up       bool
		wantCode int
		want     []string
	}{
		{"next hop down", false, 450, []string{"MugaiRecipientVerifyFailing/inbound"}},
		{"next hop up", true, 250, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			hop := refusingAddr(t) // a next hop that is down
			if tt.up {
				hop = startSink(t, false).addr
			}
			g, c := verifyingGateway(t, t.TempDir(), "smtp://"+hop)
			c.Close()
			url := "http://" + g.admin + "/metrics"
			var scrapes []map[string]float64
			for minute := 0; minute < 25; minute++ {
				c := g.dial("inbound")
				if err := c.Mail("citizen@example.jp", nil); err != nil {
					t.Fatal(err)
				}
				for i := range 3 {
					code, text := rcptReply(c.Rcpt(fmt.Sprintf("staff%d@lgwan.example", i), nil))
					if code != tt.wantCode {
						t.Fatalf("minute %d: RCPT answered %s, want %d", minute, text, tt.wantCode)
					}
				}
				c.Close()
				scrapes = append(scrapes, scrape(t, url))
			}
			last := scrapes[len(scrapes)-1]
			if !tt.up {
				// What the operator's other alerts read: nothing moved.
				for _, k := range []string{
					`mugai_delivery_attempts_total{result="deferred",route="inbound"}`,
					`mugai_delivery_attempts_total{result="failed",route="inbound"}`,
					`mugai_messages_received_total{route="inbound"}`,
				} {
					if v, ok := last[k]; !ok || v != 0 {
						t.Errorf("%s = %v (present %v), want 0", k, v, ok)
					}
				}
				if v := last[`mugai_recipient_verify_total{result="failed",route="inbound"}`]; v < 1 {
					t.Errorf("recipient_verify_total{result=failed} = %v, want at least 1", v)
				}
			}
			wantFiring(t, scrapes, 24, tt.want)
		})
	}
}

// A next hop reached with tls: opportunistic that offers STARTTLS but
// whose handshake fails gets the mail in plaintext on a new connection
// (Postfix's "may"). Nothing said so: the mail was delivered, every
// delivery metric looked healthy, and no log line or alert told the
// operator that mail to the LGWAN server now crossed unencrypted.
// mugai_delivery_tls_fallbacks_total counts such connections, the log
// says why, and MugaiNextHopTLSFallback fires; a next hop that speaks TLS,
// or does not offer it, raises nothing.
func TestNextHopTLSFallbackAlerts(t *testing.T) {
	tests := []struct {
		name     string
		tls      func(cert tls.Certificate) *tls.Config // the next hop's STARTTLS; nil: not offered
		wantTLS  bool
		fallback float64
		want     []string
	}{
		{"handshake fails", func(cert tls.Certificate) *tls.Config {
			// TLS 1.1 at most: mugai asks for 1.2 or later.
			return &tls.Config{Certificates: []tls.Certificate{cert}, MaxVersion: tls.VersionTLS11}
		}, false, 1, []string{"MugaiNextHopTLSFallback/inbound"}},
		{"TLS works", func(cert tls.Certificate) *tls.Config {
			return &tls.Config{Certificates: []tls.Certificate{cert}}
		}, true, 0, nil},
		{"STARTTLS not offered", nil, false, 0, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
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
			nh := startSinkOn(t, ln, false, func(s *sink) {
				if tt.tls != nil {
					s.srv.TLSConfig = tt.tls(cert)
				}
			})
			g := startGateway(t, gatewayConfig(t, dir, "smtp://"+nh.addr, ""), true)
			url := "http://" + g.admin + "/metrics"
			var scrapes []map[string]float64
			for minute := 0; minute < 12; minute++ {
				if minute == 3 {
					if code, text := g.send("inbound", "citizen@example.jp", []string{"staff@lgwan.example"}, "Subject: hello\r\n\r\nhello\r\n"); code != 250 {
						t.Fatalf("send: %s", text)
					}
					waitFor(t, "the delivery", 10*time.Second, func() bool { return len(nh.messages()) == 1 })
				}
				scrapes = append(scrapes, scrape(t, url))
			}
			if m := nh.messages(); m[0].TLS != tt.wantTLS {
				t.Errorf("delivered over TLS: %v, want %v", m[0].TLS, tt.wantTLS)
			}
			last := scrapes[len(scrapes)-1]
			if v := last[`mugai_delivery_attempts_total{result="delivered",route="inbound"}`]; v != 1 {
				t.Errorf("delivered = %v, want 1", v)
			}
			if v, ok := last[`mugai_delivery_tls_fallbacks_total{route="inbound"}`]; !ok || v != tt.fallback {
				t.Errorf("mugai_delivery_tls_fallbacks_total{route=inbound} = %v (on the page: %v), want %v", v, ok, tt.fallback)
			}
			if logged := strings.Contains(g.logs.String(), "delivering in plaintext"); logged != (tt.fallback > 0) {
				t.Errorf("log says it delivered in plaintext: %v, want %v", logged, tt.fallback > 0)
			}
			wantFiring(t, scrapes, 10, tt.want)
		})
	}
}

// A released message that fails for good is not bounced to its sender
// (who did not send this delivery); "it stays in the queue as failed
// for you instead", for retry.keep_failed, then it is deleted. Nothing
// told "you": mugai_quarantine_release_failures_total moved on a
// dashboard panel and no alert read it, so a release staff had asked
// for could fail and be purged a week later with no one the wiser.
// MugaiReleaseFailed fires; a release that is delivered raises nothing.
func TestReleaseFailedAlerts(t *testing.T) {
	tests := []struct {
		name   string
		refuse bool
		want   []string
	}{
		{"the next hop refuses the release", true, []string{"MugaiReleaseFailed/inbound"}},
		{"the release is delivered", false, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := startRelEnv(t, relOptions{})
			const kikaku = "kikaku@city.example.lg.jp"
			var scrapes []map[string]float64
			minute := func() { scrapes = append(scrapes, scrape(t, e.admin+"/metrics")) }
			minute()
			e.send("taro@citizen.example", []string{kikaku}, relCitizenMessage(relPDF(1000)))
			e.lgwan.next(t)
			minute()
			if tt.refuse {
				e.lgwan.refuse.Store(kikaku, true)
			}
			var res ReleaseResult
			req := ReleaseRequest{Policy: "relaxed", Reason: "ticket 2025-118", User: "tanaka"}
			if code, msg := e.call("POST", "/quarantine/"+e.only().ID+"/release", req, &res); code != 200 {
				t.Fatalf("release: %d %s", code, msg)
			}
			var q QueueMessage
			waitFor(t, "the release's delivery", 10*time.Second, func() bool {
				e.call("GET", "/queue/"+res.QueueID, nil, &q)
				return q.State == "failed" || scrape(t, e.admin+"/metrics")[`mugai_delivery_attempts_total{result="delivered",route="inbound"}`] == 2
			})
			for len(scrapes) < 15 {
				minute()
			}
			wantFiring(t, scrapes, 10, tt.want)
		})
	}
}

// A next hop that is down while mail is sparse: one message, retried
// minutes and then an hour apart. MugaiNextHopFailing compares the
// attempts of the last 10 minutes, and between retries there are none,
// so it stopped firing while the next hop was still down (the message
// waited until MugaiQueueOldMessage). The timestamps of the last reply,
// of the last attempt without one and of the last message accepted hold
// between attempts: MugaiNextHopUnreachable fires and holds for a next
// hop that does not answer, MugaiNextHopRefusing for one that answers
// 4xx to every recipient (it was MugaiNextHopFailing's alone, and as
// quiet between retries). A next hop that accepts the message, or
// accepts it for one recipient and refuses the other, raises nothing;
// an attempt that had a recipient accepted sets the last reply and the
// last acceptance to one time.
func TestNextHopAlerts(t *testing.T) {
	full := &smtp.SMTPError{Code: 452, EnhancedCode: smtp.EnhancedCode{4, 2, 2}, Message: "mailbox full"}
	tests := []struct {
		name                 string
		hop                  func(t *testing.T) string
		rcpts                []string
		result               string // a delivery result the attempt counts once
		waits                bool   // the message stays in the queue
		reply, gap, accepted bool   // which timestamps the attempt sets
		want                 []string
	}{
		{"next hop down", func(t *testing.T) string { return refusingAddr(t) },
			[]string{"staff@lgwan.example"}, "deferred", true, false, true, false, []string{"MugaiNextHopUnreachable/inbound"}},
		{"next hop up", func(t *testing.T) string { return startSink(t, false).addr },
			[]string{"staff@lgwan.example"}, "delivered", false, true, false, true, nil},
		{"next hop refuses", func(t *testing.T) string {
			s := startSink(t, false)
			s.rcptErr["staff@lgwan.example"] = full
			return s.addr
		}, []string{"staff@lgwan.example"}, "deferred", true, true, false, false, []string{"MugaiNextHopRefusing/inbound"}},
		{"next hop refuses one recipient of two", func(t *testing.T) string {
			s := startSink(t, false)
			s.rcptErr["staff@lgwan.example"] = full
			return s.addr
		}, []string{"staff@lgwan.example", "kikaku@lgwan.example"}, "deferred", true, true, false, true, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			// Retries far apart: none comes during the replay.
			cfg := gatewayConfig(t, dir, "smtp://"+tt.hop(t), "", "retry: {initial: 1s, max: 2s, lifetime: 1h}", "retry: {initial: 1h, max: 2h, lifetime: 5d}")
			g := startGateway(t, cfg, true)
			url := "http://" + g.admin + "/metrics"
			before := float64(time.Now().Unix())
			if code, text := g.send("inbound", "citizen@example.jp", tt.rcpts, "Subject: s\r\n\r\nbody\r\n"); code != 250 {
				t.Fatalf("DATA: %d %s", code, text)
			}
			key := `mugai_delivery_attempts_total{result="` + tt.result + `",route="inbound"}`
			waitFor(t, "the delivery attempt", 10*time.Second, func() bool { return scrape(t, url)[key] == 1 })
			// The queue gauges are updated every few seconds: the replay
			// shows the message waiting, as Prometheus would.
			queued := `mugai_queue_messages{route="inbound",state="deferred"}`
			want := 0.0
			if tt.waits {
				want = 1
			}
			waitFor(t, "the queue gauge", 10*time.Second, func() bool { return scrape(t, url)[queued] == want })
			var scrapes []map[string]float64
			for range 35 {
				scrapes = append(scrapes, scrape(t, url))
			}
			last := scrapes[len(scrapes)-1]
			const (
				reply    = `mugai_next_hop_last_reply_timestamp_seconds{route="inbound"}`
				gap      = `mugai_next_hop_last_unreachable_timestamp_seconds{route="inbound"}`
				accepted = `mugai_next_hop_last_accepted_timestamp_seconds{route="inbound"}`
			)
			for k, set := range map[string]bool{reply: tt.reply, gap: tt.gap, accepted: tt.accepted} {
				v, ok := last[k]
				if !ok || set != (v >= before) || !set && v != 0 {
					t.Errorf("%s = %v (present %v), want set at the attempt: %v", k, v, ok, set)
				}
			}
			if tt.accepted && last[accepted] != last[reply] {
				t.Errorf("last acceptance %v, last reply %v: want one time", last[accepted], last[reply])
			}
			wantFiring(t, scrapes, 34, tt.want)
		})
	}
}
