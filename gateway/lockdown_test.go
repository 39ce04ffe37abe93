package gateway

import (
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/mail"
	"os"
	"path/filepath"
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

// mugai ctl lockdown on is the emergency switch, and an incident is
// when the spool's disk may be full or read-only. The marker that keeps
// the mode across a restart could not be written, and the switch was
// refused with 500 and no audit record: every attachment and link the
// policy allows went on crossing, and the trail did not show that
// anyone had tried. Now the mode is on (until a restart), the answer
// says so with a warning, the audit record's reason says the marker is
// missing, and mugai_storage_errors_total{store="spool"} counts it.
// Turning it off when the marker cannot be removed is refused and
// recorded as an error (it would come back at the next start).
func TestLockdownMarkerNotWritten(t *testing.T) {
	dir := t.TempDir()
	g := startGateway(t, gatewayConfig(t, dir, "", ""), false)
	post := func(on bool) (int, LockdownState) {
		t.Helper()
		body := fmt.Sprintf(`{"on":%v,"user":"operator","reason":"incident 42"}`, on)
		req, _ := http.NewRequest("POST", "http://"+g.admin+"/lockdown", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+g.srv.ControlToken)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var st LockdownState
		json.NewDecoder(resp.Body).Decode(&st)
		return resp.StatusCode, st
	}
	lockdownRecords := func() []AuditRecord {
		var out []AuditRecord
		for _, r := range readAudit(t, g.audit) {
			if r.Event == "lockdown" {
				out = append(out, r)
			}
		}
		return out
	}
	// A directory where the marker goes: no write or remove of a file
	// there succeeds, even as root.
	marker := filepath.Join(dir, "spool", lockdownFile)
	if err := os.MkdirAll(filepath.Join(marker, "x"), 0o700); err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name        string
		on          bool
		code        int
		warning     string // a part of the answer's warning
		lockdown    bool   // the mode after the call
		verdict     string // of its audit record
		reason      string // a part of the record's reason
		storageErrs float64
	}{
		{"on, marker not written", true, 200, "until the gateway restarts", true, "on", "could not be written", 1},
		{"off, marker not removed", false, 500, "", true, "error", "lockdown stays on", 1},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, st := post(tt.on)
			if code != tt.code || !strings.Contains(st.Warning, tt.warning) {
				t.Errorf("answer %d %+v, want %d with a warning holding %q", code, st, tt.code, tt.warning)
			}
			if g.srv.Lockdown() != tt.lockdown {
				t.Errorf("lockdown %v, want %v", g.srv.Lockdown(), tt.lockdown)
			}
			s := scrape(t, "http://"+g.admin+"/metrics")
			if want := map[bool]float64{true: 1}[tt.lockdown]; s["mugai_lockdown_enabled"] != want {
				t.Errorf("mugai_lockdown_enabled = %v, want %v", s["mugai_lockdown_enabled"], want)
			}
			if v := s[`mugai_storage_errors_total{store="spool"}`]; v != tt.storageErrs {
				t.Errorf("storage_errors_total{spool} = %v, want %v", v, tt.storageErrs)
			}
			recs := lockdownRecords()
			if len(recs) != i+1 {
				t.Fatalf("%d lockdown records, want %d: %+v", len(recs), i+1, recs)
			}
			if r := recs[i]; r.Verdict != tt.verdict || !strings.Contains(r.Reason, tt.reason) || r.User != "operator" {
				t.Errorf("record %+v, want verdict %s, a reason holding %q, user operator", r, tt.verdict, tt.reason)
			}
		})
	}
}
