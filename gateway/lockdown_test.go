package gateway

import (
	"io"
	"log/slog"
	"net/http"
	"net/mail"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"mugai/gateway/metrics"
)

func TestLockdown(t *testing.T) {
	dir := t.TempDir()
	cfg := gatewayConfig(t, dir, "", "", "  default: {}\n", "  default: {attachments: {keep: [{extensions: [.txt], types: [text/plain]}]}}\n")
	g := startGateway(t, cfg, false)
	msg := "From: a@example.jp\r\nSubject: list\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nsee https://example.jp/form\r\n--b\r\nContent-Type: text/plain; name=list.txt\r\nContent-Disposition: attachment; filename=list.txt\r\n\r\nname,phone\r\n--b--\r\n"
	body := func() string {
		t.Helper()
		if code, text := g.send("inbound", "a@example.jp", []string{"s@lgwan.example"}, msg); code != 250 {
			t.Fatalf("send: %d %s", code, text)
		}
		list := g.sp.List()
		m := list[len(list)-1]
		for _, x := range list {
			if x.Created.After(m.Created) {
				m = x
			}
		}
		r, _ := g.sp.Body(m.ID)
		b, _ := io.ReadAll(r)
		g.sp.Delete(m.ID)
		return string(b)
	}
	if text, files := readable(t, body()); len(files) != 1 || files[0] != "list.txt" || !strings.Contains(text, "hxxps://example[.]jp/form") {
		t.Fatalf("before lockdown the .txt is kept and the link defanged: %v\n%s", files, text)
	}
	if err := g.srv.SetLockdown(true, "operator", "incident 42"); err != nil {
		t.Fatal(err)
	}
	raw := body()
	if text, files := readable(t, raw); len(files) != 0 || strings.Contains(text, "example[.]jp/form") || !strings.Contains(text, "[リンク削除]") {
		t.Errorf("in lockdown every attachment is stripped and every link removed: %v\n%s", files, text)
	} else {
		// The reader is told why, and that it is the emergency mode,
		// not the policy: the list's file was allowed by it.
		for _, want := range []string{"・現在、緊急時対応のため、すべての添付ファイルとリンクを削除しています。",
			"list.txt (10 B) … 緊急時対応中は、すべての添付ファイルを削除しているため", "emergency lockdown: every attachment and link removed"} {
			if !strings.Contains(text, want) {
				t.Errorf("the notice in lockdown lacks %q:\n%s", want, text)
			}
		}
	}
	if m, err := mail.ReadMessage(strings.NewReader(raw)); err != nil || !strings.Contains(m.Header.Get("X-Mugai-Sanitized"), "lockdown") {
		t.Errorf("X-Mugai-Sanitized in lockdown lacks it (%v):\n%s", err, headerOf([]byte(raw)))
	}
	if v := testutil.ToFloat64(g.m.SanitizeActions.WithLabelValues("lockdown")); v != 1 {
		t.Errorf("sanitize_actions_total{action=lockdown} = %v, want 1", v)
	}
	if v := testutil.ToFloat64(g.m.LockdownEnabled); v != 1 {
		t.Errorf("lockdown_enabled = %v", v)
	}
	recs := readAudit(t, g.audit)
	var saw bool
	for _, r := range recs {
		if r.Event == "lockdown" && r.Verdict == "on" && r.User == "operator" && r.Why == "incident 42" {
			saw = true
		}
	}
	if !saw {
		t.Error("no audit record of the switch")
	}
	// A restart keeps it on.
	m2 := metrics.New("test")
	s2, err := New(cfg, Deps{Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Metrics: m2, Spool: g.sp, Quarantine: g.q})
	if err != nil {
		t.Fatal(err)
	}
	if !s2.Lockdown() || testutil.ToFloat64(m2.LockdownEnabled) != 1 {
		t.Error("lockdown did not survive a restart")
	}
	if err := g.srv.SetLockdown(false, "operator", "over"); err != nil {
		t.Fatal(err)
	}
	if _, files := readable(t, body()); len(files) != 1 {
		t.Error("after lockdown off the policy applies again")
	}
}

// The lockdown switch is a control call: a web page in a browser on the
// gateway host cannot flip it (CSRF, DNS rebinding).
func TestLockdownControlGuard(t *testing.T) {
	g := startGateway(t, gatewayConfig(t, t.TempDir(), "", ""), false)
	const ok = `{"on":true,"user":"x","reason":"y"}`
	for _, tc := range []struct {
		name, host, ctype, site string
		body                    string
		code                    int
	}{
		{"form post", "", "text/plain", "", ok, 415},
		{"cross-site", "", "application/json", "cross-site", ok, 403},
		{"rebinding host", "mugai.attacker.example:9925", "application/json", "", ok, 403},
		// What goes to the audit trail is printable text, as for a release.
		{"terminal escape in the user", "", "application/json", "", `{"on":true,"user":"root\u001b[1Aalice","reason":"y"}`, 400},
		{"bidi override in the reason", "", "application/json", "", `{"on":true,"user":"x","reason":"y\u202e"}`, 400},
		{"blank reason", "", "application/json", "", `{"on":true,"user":"x","reason":"  "}`, 400},
		{"operator", "", "application/json", "", ok, 200},
	} {
		req, _ := http.NewRequest("POST", "http://"+g.admin+"/lockdown", strings.NewReader(tc.body))
		req.Header.Set("Content-Type", tc.ctype)
		req.Header.Set("Authorization", "Bearer "+g.srv.ControlToken)
		if tc.host != "" {
			req.Host = tc.host
		}
		if tc.site != "" {
			req.Header.Set("Sec-Fetch-Site", tc.site)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != tc.code {
			t.Errorf("%s: %d, want %d", tc.name, resp.StatusCode, tc.code)
		}
		if on := g.srv.Lockdown(); on != (tc.code == 200) {
			t.Errorf("%s: lockdown %v after the call", tc.name, on)
		}
	}
}
