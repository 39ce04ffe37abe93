package gateway

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/mail"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

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
	if _, err := g.srv.SetLockdown(true, "operator", "incident 42"); err != nil {
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
	if _, err := g.srv.SetLockdown(false, "operator", "over"); err != nil {
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

// lockdownCall makes one lockdown control call as the CLI does (POST with
// a ControlRequest, GET for the status) and returns the status code and
// the answer's body as sent.
func lockdownCall(t *testing.T, g *testGateway, req *ControlRequest) (int, string) {
	t.Helper()
	method, body := "GET", ""
	if req != nil {
		b, err := json.Marshal(req)
		if err != nil {
			t.Fatal(err)
		}
		method, body = "POST", string(b)
	}
	r, _ := http.NewRequest(method, "http://"+g.admin+"/lockdown", strings.NewReader(body))
	r.Header.Set("Content-Type", "application/json")
	r.Header.Set("Authorization", "Bearer "+g.srv.ControlToken)
	resp, err := http.DefaultClient.Do(r)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, strings.TrimSpace(string(b))
}

// An operator who turned the lockdown on, then a second one who ran
// `mugai ctl lockdown on` again: the marker was rewritten with the
// second's time and reason, so the first's were gone, the repeat was
// recorded as a new "on", and the status answered only
// {"lockdown":true}. Now the marker keeps its bytes, the answer says
// the lockdown was already on and gives the first stamp, the record is
// "already-on" with the repeat's user and why and the stamp in force as
// its reason, and the status gives since when, by whom and why, also
// after a restart. An off while off is "already-off" the same way.
func TestLockdownRepeated(t *testing.T) {
	dir := t.TempDir()
	cfg := gatewayConfig(t, dir, "", "")
	g := startGateway(t, cfg, false)
	marker := LockdownMark(cfg.SpoolDir)

	// The first on sets the stamp every later step must show.
	code, first := lockdownCall(t, g, &ControlRequest{On: true, User: "alice", Reason: "incident 1"})
	var st LockdownState
	if err := json.Unmarshal([]byte(first), &st); code != 200 || err != nil || st.Since.IsZero() {
		t.Fatalf("on: %d %s (%v)", code, first, err)
	}
	since := st.Since.UTC().Format(time.RFC3339)
	wantMarker := "on since " + since + " by alice: incident 1\n"
	stampJSON := `"since":"` + since + `","user":"alice","reason":"incident 1"`
	if first != `{"lockdown":true,`+stampJSON+`}` {
		t.Errorf("on answered %s", first)
	}
	if b, err := os.ReadFile(marker); err != nil || string(b) != wantMarker {
		t.Fatalf("marker after on: %q (%v), want %q", b, err, wantMarker)
	}

	steps := []struct {
		name    string
		req     *ControlRequest // nil: GET the status
		answer  string          // the JSON body, exactly
		verdict string          // of the lockdown record the call wrote; "" none
		reason  string          // that record's reason, exactly
		marker  string          // the marker's bytes after the call; "" none
	}{
		{"on again keeps the stamp", &ControlRequest{On: true, User: "bob", Reason: "again"},
			`{"lockdown":true,` + stampJSON + `,"already":true}`, "already-on", "already on since " + since + " by alice: incident 1", wantMarker},
		{"status gives the stamp", nil,
			`{"lockdown":true,` + stampJSON + `}`, "", "", wantMarker},
		{"off", &ControlRequest{On: false, User: "carol", Reason: "over"},
			`{"lockdown":false}`, "off", "", ""},
		{"off again", &ControlRequest{On: false, User: "dave", Reason: "still over"},
			`{"lockdown":false,"already":true}`, "already-off", "already off", ""},
		{"status off", nil, `{"lockdown":false}`, "", "", ""},
	}
	for _, tt := range steps {
		t.Run(tt.name, func(t *testing.T) {
			before := len(readAudit(t, g.audit))
			code, answer := lockdownCall(t, g, tt.req)
			if code != 200 || answer != tt.answer {
				t.Errorf("answer %d %s, want 200 %s", code, answer, tt.answer)
			}
			b, err := os.ReadFile(marker)
			switch {
			case tt.marker == "" && !errors.Is(err, os.ErrNotExist):
				t.Errorf("marker %q (%v), want none", b, err)
			case tt.marker != "" && string(b) != tt.marker:
				t.Errorf("marker %q (%v), want %q", b, err, tt.marker)
			}
			recs := readAudit(t, g.audit)[before:]
			if tt.verdict == "" {
				if len(recs) != 0 {
					t.Errorf("the status wrote records: %+v", recs)
				}
				return
			}
			if len(recs) != 1 {
				t.Fatalf("%d records, want 1: %+v", len(recs), recs)
			}
			if r := recs[0]; r.Event != "lockdown" || r.Verdict != tt.verdict || r.Reason != tt.reason || r.User != tt.req.User || r.Why != tt.req.Reason {
				t.Errorf("record %+v, want verdict %q, reason %q, user %q, why %q", r, tt.verdict, tt.reason, tt.req.User, tt.req.Reason)
			}
		})
	}
	s := scrape(t, "http://"+g.admin+"/metrics")
	for result, want := range map[string]float64{"on": 1, "already-on": 1, "off": 1, "already-off": 1, "error": 0} {
		if v := s[`mugai_lockdown_calls_total{result="`+result+`"}`]; v != want {
			t.Errorf("mugai_lockdown_calls_total{result=%q} = %v, want %v", result, v, want)
		}
	}

	// On again, then a restart: the status is the marker's, and an on
	// after the restart still keeps the first stamp.
	if code, answer := lockdownCall(t, g, &ControlRequest{On: true, User: "erin", Reason: "incident 2"}); code != 200 {
		t.Fatalf("on: %d %s", code, answer)
	}
	stamp, err := os.ReadFile(marker)
	if err != nil {
		t.Fatal(err)
	}
	g.stop()
	g = startGateway(t, cfg, false)
	code, status := lockdownCall(t, g, nil)
	if err := json.Unmarshal([]byte(status), &st); code != 200 || err != nil || !st.Lockdown || st.User != "erin" || st.Reason != "incident 2" ||
		"on since "+st.Since.Format(time.RFC3339)+" by erin: incident 2\n" != string(stamp) {
		t.Errorf("status after a restart: %d %s, want the stamp of %q", code, status, stamp)
	}
	if code, answer := lockdownCall(t, g, &ControlRequest{On: true, User: "frank", Reason: "after restart"}); code != 200 || !strings.Contains(answer, `"user":"erin"`) || !strings.Contains(answer, `"already":true`) {
		t.Errorf("on after a restart: %d %s", code, answer)
	}
	if b, _ := os.ReadFile(marker); string(b) != string(stamp) {
		t.Errorf("marker after on after a restart: %q, want %q", b, stamp)
	}
}

// A marker made by hand (touch) says nothing of when, who or why: the
// lockdown is on at the start all the same, the status says the stamp
// is unknown by leaving it out, and a second on neither rewrites the
// marker with a stamp that would be false nor claims one.
func TestLockdownUnknownStamp(t *testing.T) {
	dir := t.TempDir()
	cfg := gatewayConfig(t, dir, "", "")
	marker := LockdownMark(cfg.SpoolDir)
	if err := os.MkdirAll(cfg.SpoolDir, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(marker, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	g := startGateway(t, cfg, false)
	if code, answer := lockdownCall(t, g, nil); code != 200 || answer != `{"lockdown":true}` {
		t.Errorf("status: %d %s", code, answer)
	}
	if code, answer := lockdownCall(t, g, &ControlRequest{On: true, User: "bob", Reason: "again"}); code != 200 || answer != `{"lockdown":true,"already":true}` {
		t.Errorf("on again: %d %s", code, answer)
	}
	if b, err := os.ReadFile(marker); err != nil || len(b) != 0 {
		t.Errorf("marker %q (%v), want it left empty", b, err)
	}
	recs := readAudit(t, g.audit)
	if r := recs[len(recs)-1]; r.Verdict != "already-on" || !strings.Contains(r.Reason, "unknown time") || r.User != "bob" {
		t.Errorf("record %+v", r)
	}
}

// The runbook: when the marker could not be written (the spool's disk
// full during the incident) the lockdown is on until a restart only;
// run `on` again once the disk is fixed. That second on must write the
// marker, with the first on's stamp, not the second's; while it is
// missing the status warns.
func TestLockdownOnAgainWritesMissingMarker(t *testing.T) {
	dir := t.TempDir()
	cfg := gatewayConfig(t, dir, "", "")
	g := startGateway(t, cfg, false)
	marker := LockdownMark(cfg.SpoolDir)
	// A directory where the marker goes: no write succeeds, even as root.
	if err := os.MkdirAll(filepath.Join(marker, "x"), 0o700); err != nil {
		t.Fatal(err)
	}
	code, answer := lockdownCall(t, g, &ControlRequest{On: true, User: "alice", Reason: "incident 1"})
	var st LockdownState
	if err := json.Unmarshal([]byte(answer), &st); code != 200 || err != nil || !strings.Contains(st.Warning, "until the gateway restarts") {
		t.Fatalf("on: %d %s", code, answer)
	}
	// The disk is fixed.
	if err := os.RemoveAll(marker); err != nil {
		t.Fatal(err)
	}
	if _, status := lockdownCall(t, g, nil); !strings.Contains(status, `"user":"alice"`) || !strings.Contains(status, "its marker "+marker+" is missing") {
		t.Errorf("status with the marker missing: %s", status)
	}
	code, answer = lockdownCall(t, g, &ControlRequest{On: true, User: "bob", Reason: "disk fixed"})
	if want := `{"lockdown":true,"since":"` + st.Since.Format(time.RFC3339) + `","user":"alice","reason":"incident 1","already":true,"marker":"its marker was missing and is written again: the lockdown survives a restart now"}`; code != 200 || answer != want {
		t.Errorf("on again: %d %s, want %s", code, answer, want)
	}
	if b, err := os.ReadFile(marker); err != nil || string(b) != "on since "+st.Since.Format(time.RFC3339)+" by alice: incident 1\n" {
		t.Errorf("marker %q (%v), want the first on's stamp", b, err)
	}
	recs := readAudit(t, g.audit)
	if r := recs[len(recs)-1]; r.Verdict != "already-on" || r.User != "bob" || r.Reason != "already on (its marker was missing and is written again: the lockdown survives a restart now) since "+st.Since.Format(time.RFC3339)+" by alice: incident 1" {
		t.Errorf("record %+v", r)
	}
	if _, status := lockdownCall(t, g, nil); strings.Contains(status, "warning") {
		t.Errorf("status with the marker written: %s", status)
	}
}

// The marker's line reads back as written, for the users and reasons
// the API lets through (printable text: ':' and '"' included), and
// anything else (an old or hand-made file) is an unknown stamp rather
// than a wrong one.
func TestLockdownStampRoundTrip(t *testing.T) {
	since := time.Date(2026, 11, 28, 7, 25, 6, 0, time.UTC)
	for _, st := range []LockdownStamp{
		{since, "root", "incident 1"},
		{since, "sato (sudo as root)", "phishing: 3 reports"},
		{since, "ops: night shift", "a: b"},
		{since, `"quoted"`, `say "hi"`},
		{since, "田中", "標的型メール\tの疑い"},
	} {
		line := "on " + st.String() + "\n"
		if got := parseLockdownStamp(line); got != st {
			t.Errorf("%q read back as %+v, want %+v", line, got, st)
		}
	}
	for _, text := range []string{
		"",
		"on\n",
		"on since yesterday by root: x\n",
		"on since 2026-11-28T07:25:06Z by root\n",
		`on since 2026-11-28T07:25:06Z by "root: x` + "\n",
		"on " + unknownStamp + "\n",
	} {
		if got := parseLockdownStamp(text); got != (LockdownStamp{}) {
			t.Errorf("%q read as %+v, want an unknown stamp", text, got)
		}
	}
}
