package gateway

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-message/mail"
	"github.com/emersion/go-smtp"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	dto "github.com/prometheus/client_model/go"

	"mugai/config"
	"mugai/gateway/metrics"
	"mugai/gateway/quarantine"
	"mugai/gateway/spool"
)

// The tests of this file run a whole gateway in the process: the inbound
// route sanitises mail for city.example.lg.jp and delivers to an "LGWAN
// mail server", the internet route passes mail through to a "smarthost";
// both next hops are go-smtp servers that record what they receive.

// relYAML: %DIR%, %LGWAN%, %INET% and %QEXTRA% (more quarantine keys)
// are replaced.
const relYAML = `
admin: {listen: "127.0.0.1:0"}
spool_dir: %DIR%/spool
quarantine:
  dir: %DIR%/quarantine
  release_original_to: [inet.city.example.jp]
%QEXTRA%
log: {audit: %DIR%/audit.log}
routes:
  - name: inbound
    listen: ["127.0.0.1:0"]
    hostname: mx.city.example.lg.jp
    clients: ["127.0.0.0/8"]
    domains: [city.example.lg.jp]
    policy: default
    deliver: {to: "smtp://%LGWAN%", tls: none, retry: {initial: 1s, max: 2s, lifetime: 1h}}
%BOUNCES%
  - name: internet
    listen: ["127.0.0.1:0"]
    hostname: gw.city.example.lg.jp
    clients: ["127.0.0.1/32"]
    domains: ["*"]
    policy: none
    deliver: {to: "smtp://%INET%", tls: none, retry: {initial: 1s, max: 2s, lifetime: 1h}}
policies:
  default: {}
  relaxed:
    attachments:
      keep: [{extensions: [.pdf], types: [application/pdf]}]
`

type relEnv struct {
	t           *testing.T
	dir         string
	cfg         *config.Config
	srv         *Server
	q           *quarantine.Store
	sp          *spool.Spool
	m           *metrics.Metrics
	admin       string // http://host:port
	lgwan, inet *relRecorder
	bounces     *relRecorder // with relOptions.bounces
	logs        *syncBuffer
	stop        func() // closes the gateway (at the end of the test, or before starting it again)
}

type relOptions struct {
	key    bool             // configure quarantine.encryption_key_file
	qextra string           // more quarantine keys, indented two spaces
	now    func() time.Time // the quarantine store's clock
	audit  string           // the audit trail's path (default: DIR/audit.log)
	dir    string           // the gateway's directory (default: a new one), to start it again
	// bounces: the inbound route sends its delivery status notifications
	// to relEnv.bounces.
	bounces bool
}

func startRelEnv(t *testing.T, o relOptions) *relEnv {
	t.Helper()
	e := &relEnv{t: t, dir: o.dir, lgwan: newRelRecorder(t), inet: newRelRecorder(t), logs: &syncBuffer{}}
	if e.dir == "" {
		e.dir = t.TempDir()
	}
	qextra := o.qextra
	if o.key {
		key := make([]byte, 32)
		for i := range key {
			key[i] = byte(i*7 + 1)
		}
		kf := filepath.Join(e.dir, "quarantine.key")
		if err := os.WriteFile(kf, key, 0o600); err != nil {
			t.Fatal(err)
		}
		qextra += "\n  encryption_key_file: " + kf
	}
	y := relYAML
	if o.audit != "" {
		y = strings.Replace(y, "%DIR%/audit.log", o.audit, 1)
	}
	bounces := ""
	if o.bounces {
		e.bounces = newRelRecorder(t)
		bounces = `    bounces: {to: "smtp://` + e.bounces.addr + `", tls: none}`
	}
	y = strings.NewReplacer("%DIR%", e.dir, "%LGWAN%", e.lgwan.addr, "%INET%", e.inet.addr, "%QEXTRA%", qextra, "%BOUNCES%", bounces).Replace(y)
	cfg, err := config.Parse(filepath.Join(e.dir, "mugai.yaml"), []byte(y))
	if err != nil {
		t.Fatalf("config: %v\n%s", err, y)
	}
	e.cfg = cfg
	logger := slog.New(slog.NewTextHandler(e.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	inst, err := Open(cfg, InstanceOptions{Logger: logger, Version: "test", TempDir: t.TempDir(), Now: o.now})
	if err != nil {
		t.Fatal(err)
	}
	e.srv, e.q, e.sp, e.m = inst.Server, inst.Quarantine, inst.Spool, inst.Metrics
	e.admin = "http://" + inst.AdminAddr.String()
	var once sync.Once
	e.stop = func() {
		once.Do(func() {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			inst.Close(ctx)
		})
	}
	t.Cleanup(func() {
		e.stop()
		if t.Failed() {
			t.Logf("gateway log:\n%s", e.logs.String())
		}
	})
	return e
}

// send delivers msg to the inbound route and fails the test unless it is
// accepted.
func (e *relEnv) send(from string, to []string, msg string) {
	e.t.Helper()
	c, err := smtp.Dial(e.srv.Addrs()["inbound"][0].String())
	if err != nil {
		e.t.Fatal(err)
	}
	defer c.Close()
	if err := c.SendMail(from, to, strings.NewReader(msg)); err != nil {
		e.t.Fatalf("send: %v", err)
	}
	c.Quit()
}

// only returns the single quarantined original.
func (e *relEnv) only() quarantine.Meta {
	e.t.Helper()
	l := e.q.List(nil)
	if len(l) != 1 {
		e.t.Fatalf("%d originals in quarantine, want 1", len(l))
	}
	return l[0]
}

// call sends a control call; out receives the JSON answer on 2xx, or
// the error text.
func (e *relEnv) call(method, path string, body any, out any) (int, string) {
	e.t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, e.admin+path, rd)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Authorization", "Bearer "+e.srv.ControlToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode/100 != 2 {
		var x struct{ Error string }
		json.Unmarshal(b, &x)
		return resp.StatusCode, x.Error
	}
	if out != nil {
		if bp, ok := out.(*[]byte); ok {
			*bp = b
		} else if err := json.Unmarshal(b, out); err != nil {
			e.t.Fatalf("%s %s: %v\n%s", method, path, err, b)
		}
	}
	return resp.StatusCode, ""
}

func (e *relEnv) audit(event string) []AuditRecord {
	e.t.Helper()
	data, err := os.ReadFile(e.cfg.Log.Audit)
	if err != nil {
		e.t.Fatal(err)
	}
	var out []AuditRecord
	for _, line := range strings.Split(strings.TrimSpace(string(data)), "\n") {
		var r AuditRecord
		if err := json.Unmarshal([]byte(line), &r); err != nil {
			e.t.Fatalf("audit line %q: %v", line, err)
		}
		if r.Event == event {
			out = append(out, r)
		}
	}
	if _, err := VerifyAudit(bytes.NewReader(data)); err != nil {
		e.t.Errorf("audit chain: %v", err)
	}
	return out
}

// relPDF is a small but real-looking PDF with an incompressible stream,
// big enough that the original spans many encryption chunks.
func relPDF(n int) []byte {
	rng := rand.New(rand.NewPCG(4711, 1))
	stream := make([]byte, n)
	for i := range stream {
		stream[i] = byte(rng.Uint32())
	}
	var b bytes.Buffer
	b.WriteString("%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n")
	b.WriteString("2 0 obj\n<< /Type /Pages /Kids [] /Count 0 >>\nendobj\n")
	fmt.Fprintf(&b, "3 0 obj\n<< /Length %d >>\nstream\n", n)
	b.Write(stream)
	b.WriteString("\nendstream\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n")
	return b.Bytes()
}

// relSecret is in the text body of relCitizenMessage: it must never be on
// disk in plain text when the quarantine is encrypted.
const relSecret = "My resident number is 4711-CONFIDENTIAL."

func relCitizenMessage(pdf []byte) string {
	enc := base64.StdEncoding.EncodeToString(pdf)
	var lines []string
	for len(enc) > 76 {
		lines, enc = append(lines, enc[:76]), enc[76:]
	}
	lines = append(lines, enc)
	return "From: Yamada Taro <taro@citizen.example>\r\n" +
		"To: kikaku@city.example.lg.jp\r\n" +
		"Subject: =?UTF-8?B?55Sz6KuL5pu444Gu6YCB5LuY?=\r\n" + // 申請書の送付
		"Date: Tue, 01 Apr 2025 10:00:00 +0900\r\n" +
		"Message-ID: <form-1@citizen.example>\r\n" +
		"MIME-Version: 1.0\r\n" +
		"Content-Type: multipart/mixed; boundary=b1\r\n\r\n" +
		"--b1\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n" +
		"Please find the application form attached.\r\n" + relSecret + "\r\n" +
		"--b1\r\nContent-Type: application/pdf; name=application.pdf\r\n" +
		"Content-Disposition: attachment; filename=application.pdf\r\n" +
		"Content-Transfer-Encoding: base64\r\n\r\n" +
		strings.Join(lines, "\r\n") + "\r\n--b1--\r\n"
}

// attachments returns the SHA-256 of every attachment of msg by filename.
func relAttachments(t *testing.T, msg []byte) map[string]string {
	t.Helper()
	mr, err := mail.CreateReader(bytes.NewReader(msg))
	if err != nil {
		t.Fatalf("parse delivered message: %v", err)
	}
	out := map[string]string{}
	for {
		p, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("parse delivered message: %v", err)
		}
		if h, ok := p.Header.(*mail.AttachmentHeader); ok {
			name, _ := h.Filename()
			b, _ := io.ReadAll(p.Body)
			out[name] = relSHA(b)
		}
	}
	return out
}

func relSHA(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// TestReleaseWithRelaxedPolicy is the scenario of deploy/README.md: a
// citizen's PDF was stripped; the admin finds the original by sender and
// releases it with the relaxed policy; the LGWAN side receives the PDF
// intact, and the audit trail says who released it and why.
func TestReleaseWithRelaxedPolicy(t *testing.T) {
	e := startRelEnv(t, relOptions{})
	pdf := relPDF(20000)
	e.send("taro@citizen.example", []string{"kikaku@city.example.lg.jp"}, relCitizenMessage(pdf))

	first := e.lgwan.next(t)
	if got := relAttachments(t, first.Data); len(got) != 0 {
		t.Fatalf("default policy delivered attachments %v", got)
	}

	var list []QuarantineEntry
	if code, msg := e.call("GET", "/quarantine?sender=CITIZEN.example&since=1h", nil, &list); code != 200 {
		t.Fatalf("list: %d %s", code, msg)
	}
	if len(list) != 1 || list[0].Subject != "申請書の送付" || len(list[0].Removed) != 1 || !strings.Contains(list[0].Removed[0], "application.pdf") {
		t.Fatalf("list by sender: %+v", list)
	}
	id := list[0].ID
	for _, q := range []string{"sender=nobody.example", "recipient=somebody", "verdict=rejected"} {
		var none []QuarantineEntry
		if e.call("GET", "/quarantine?"+q, nil, &none); len(none) != 0 {
			t.Errorf("list ?%s found %d", q, len(none))
		}
	}
	var d QuarantineDetail
	if code, msg := e.call("GET", "/quarantine/"+id, nil, &d); code != 200 || !bytes.Contains(d.Report, []byte(`"decision":"strip"`)) {
		t.Fatalf("show: %d %s %s", code, msg, d.Report)
	}

	req := ReleaseRequest{Policy: "relaxed", Reason: "citizen's application form, ticket 2025-118", User: "tanaka"}
	var res ReleaseResult
	if code, msg := e.call("POST", "/quarantine/"+id+"/release", req, &res); code != 200 {
		t.Fatalf("release: %d %s", code, msg)
	}
	if res.QueueID == "" || len(res.Kept) != 1 || res.Kept[0] != "application.pdf" || res.Route != "inbound" {
		t.Errorf("release result %+v", res)
	}
	got := e.lgwan.next(t)
	if att := relAttachments(t, got.Data); att["application.pdf"] != relSHA(pdf) {
		t.Fatalf("released message attachments %v, want application.pdf with SHA-256 %s", att, relSHA(pdf))
	}
	if got.From != "taro@citizen.example" || strings.Join(got.To, ",") != "kikaku@city.example.lg.jp" {
		t.Errorf("released envelope %s → %v", got.From, got.To)
	}
	for _, want := range []string{"released from quarantine " + id, "X-Mugai-Policy: relaxed", "X-Mugai-Original-Id: " + id} {
		if !bytes.Contains(got.Data, []byte(want)) {
			t.Errorf("released message lacks %q", want)
		}
	}
	e.inet.none(t, 300*time.Millisecond)

	rel := e.audit("release")
	if len(rel) != 1 {
		t.Fatalf("%d release records in the audit trail", len(rel))
	}
	r := rel[0]
	if r.User != "tanaka" || r.Why != req.Reason || r.QuarantineID != id || r.QueueID != res.QueueID ||
		r.Policy != "relaxed" || r.Verdict != "rebuilt" || strings.Join(r.Rcpts, ",") != "kikaku@city.example.lg.jp" {
		t.Errorf("audit record %+v", r)
	}
	if n := testutil.ToFloat64(e.m.QuarantineReleases); n != 1 {
		t.Errorf("quarantine_releases_total = %v", n)
	}
	// The original stays in quarantine: it can be released again.
	if _, err := e.q.Get(id); err != nil {
		t.Errorf("original gone after release: %v", err)
	}
}

func TestReleaseChecks(t *testing.T) {
	e := startRelEnv(t, relOptions{})
	e.send("taro@citizen.example", []string{"kikaku@city.example.lg.jp", "soumu@city.example.lg.jp"}, relCitizenMessage(relPDF(1000)))
	e.lgwan.next(t)
	id := e.only().ID

	tests := []struct {
		name string
		req  ReleaseRequest
		code int
		msg  string
	}{
		{"no reason", ReleaseRequest{Policy: "relaxed", User: "tanaka"}, 400, "reason is required"},
		{"no user", ReleaseRequest{Policy: "relaxed", Reason: "x"}, 400, "user is required"},
		{"neither", ReleaseRequest{Reason: "x", User: "tanaka"}, 400, "give a policy"},
		{"both", ReleaseRequest{Policy: "relaxed", Original: true, To: []string{"a@inet.city.example.jp"}, Reason: "x", User: "tanaka"}, 400, "not both"},
		{"unknown policy", ReleaseRequest{Policy: "lenient", Reason: "x", User: "tanaka"}, 403, `no policy "lenient"`},
		{"recipient outside the route", ReleaseRequest{Policy: "relaxed", To: []string{"someone@example.com"}, Reason: "x", User: "tanaka"}, 403, "not allowed"},
		{"relay trick", ReleaseRequest{Policy: "relaxed", To: []string{"a%evil.example@city.example.lg.jp"}, Reason: "x", User: "tanaka"}, 403, "not allowed"},
		// Quoted as SMTP would not pass it once go-smtp unquoted it.
		{"quoted local part", ReleaseRequest{Policy: "relaxed", To: []string{`"x>"@city.example.lg.jp`}, Reason: "x", User: "tanaka"}, 403, "not allowed"},
		{"original without recipients", ReleaseRequest{Original: true, Reason: "x", User: "tanaka"}, 400, "explicit recipients"},
		{"original to the LGWAN side", ReleaseRequest{Original: true, To: []string{"kikaku@city.example.lg.jp"}, Reason: "x", User: "tanaka"}, 403, "release_original_to"},
		{"original outside release_original_to", ReleaseRequest{Original: true, To: []string{"me@gmail.example"}, Reason: "x", User: "tanaka"}, 403, "release_original_to"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, msg := e.call("POST", "/quarantine/"+id+"/release", tt.req, nil)
			if code != tt.code || !strings.Contains(msg, tt.msg) {
				t.Errorf("%d %q, want %d containing %q", code, msg, tt.code, tt.msg)
			}
		})
	}
	if code, msg := e.call("POST", "/quarantine/0000000000000000/release", ReleaseRequest{Policy: "relaxed", Reason: "x", User: "u"}, nil); code != 404 ||
		msg != `no original "0000000000000000" in the quarantine (purged or never there)` {
		t.Errorf("unknown id: %d %q", code, msg)
	}
	if code, msg := e.call("GET", "/quarantine/0000000000000000", nil, nil); code != 404 ||
		msg != `no original "0000000000000000" in the quarantine (purged or never there)` {
		t.Errorf("show unknown id: %d %q", code, msg)
	}
	// A listing by a verdict that does not exist is a bad request, not an
	// empty list.
	if code, msg := e.call("GET", "/quarantine?verdict=bogus", nil, nil); code != 400 || !strings.Contains(msg, "allowed: rebuilt, rejected") {
		t.Errorf("list verdict=bogus: %d %q", code, msg)
	}
	var listed []QuarantineEntry
	if code, msg := e.call("GET", "/quarantine?verdict=REBUILT", nil, &listed); code != 200 || len(listed) != 1 {
		t.Errorf("list verdict=REBUILT: %d %q %+v", code, msg, listed)
	}
	e.lgwan.none(t, 300*time.Millisecond)
	e.inet.none(t, 0)
	refused := e.audit("release")
	if len(refused) != len(tests)+1 {
		t.Errorf("%d release records for %d refused attempts", len(refused), len(tests)+1)
	}
	for _, r := range refused {
		if r.Verdict != "refused" || r.Reason == "" || r.QueueID != "" {
			t.Errorf("refused attempt audited as %+v", r)
		}
	}
	// Every refusal names the original's sender, the recipients asked for
	// (the given ones, else the original ones) and the policy, as the
	// integrity-error refusal does.
	for i, tt := range tests {
		if i >= len(refused) {
			break
		}
		r := refused[i]
		wantTo := tt.req.To
		if len(wantTo) == 0 {
			wantTo = []string{"kikaku@city.example.lg.jp", "soumu@city.example.lg.jp"}
		}
		wantPolicy := tt.req.Policy
		if tt.req.Original {
			wantPolicy = "original"
		}
		if r.QuarantineID != id || r.Sender != "taro@citizen.example" || strings.Join(r.Rcpts, ",") != strings.Join(wantTo, ",") || r.Policy != wantPolicy {
			t.Errorf("%s: refusal audited with id %q, sender %q, recipients %v, policy %q; want %s, taro@citizen.example, %v, %q",
				tt.name, r.QuarantineID, r.Sender, r.Rcpts, r.Policy, id, wantTo, wantPolicy)
		}
	}
	if n := testutil.ToFloat64(e.m.QuarantineReleases); n != 0 {
		t.Errorf("quarantine_releases_total = %v after refusals", n)
	}

	// Given recipients in the route's domains replace the original ones.
	var res ReleaseResult
	req := ReleaseRequest{Policy: "relaxed", To: []string{"<Somu@City.Example.LG.JP>"}, Reason: "forward to soumu", User: "tanaka"}
	if code, msg := e.call("POST", "/quarantine/"+id+"/release", req, &res); code != 200 {
		t.Fatalf("release to a given recipient: %d %s", code, msg)
	}
	if got := e.lgwan.next(t); strings.Join(got.To, ",") != "Somu@city.example.lg.jp" {
		t.Errorf("delivered to %v", got.To)
	}
}

// TestReleaseOriginal: the untouched original goes only to
// release_original_to, through the pass-through route to the internet
// side, byte for byte with one Received line on top.
func TestReleaseOriginal(t *testing.T) {
	e := startRelEnv(t, relOptions{})
	msg := relCitizenMessage(relPDF(5000))
	e.send("taro@citizen.example", []string{"kikaku@city.example.lg.jp"}, msg)
	e.lgwan.next(t)
	m := e.only()

	req := ReleaseRequest{Original: true, To: []string{"kikaku@inet.city.example.jp"}, Reason: "staff need the signed PDF as sent", User: "tanaka"}
	var res ReleaseResult
	if code, msg := e.call("POST", "/quarantine/"+m.ID+"/release", req, &res); code != 200 {
		t.Fatalf("release -original: %d %s", code, msg)
	}
	if res.Route != "internet" || !res.Original {
		t.Errorf("result %+v", res)
	}
	got := e.inet.next(t)
	e.lgwan.none(t, 300*time.Millisecond)
	body := got.Data
	if !bytes.HasPrefix(body, []byte("Received: by gw.city.example.lg.jp (mugai, released from quarantine "+m.ID+")")) {
		t.Fatalf("delivered message does not start with our Received line:\n%.300s", body)
	}
	// Cut exactly one header field (the Received line and its
	// continuation lines).
	i := bytes.Index(body, []byte("\r\n"))
	for i >= 0 && i+2 < len(body) && (body[i+2] == '\t' || body[i+2] == ' ') {
		i += 2 + bytes.Index(body[i+2:], []byte("\r\n"))
	}
	rest := body[i+2:]
	if !bytes.Equal(rest, []byte(msg)) || relSHA(rest) != m.SHA256 {
		t.Fatalf("delivered bytes after the Received line differ from the original (%d vs %d bytes)", len(rest), len(msg))
	}
	if got.From != "taro@citizen.example" || strings.Join(got.To, ",") != "kikaku@inet.city.example.jp" {
		t.Errorf("envelope %s → %v", got.From, got.To)
	}
	rel := e.audit("release")
	if len(rel) != 1 || rel[0].Verdict != "original" || rel[0].Policy != "original" || rel[0].Route != "internet" || rel[0].Why != req.Reason {
		t.Errorf("audit %+v", rel)
	}
}

func TestOriginalRoute(t *testing.T) {
	cfg := &config.Config{Quarantine: config.Quarantine{ReleaseOriginalTo: []string{"inet.city.example.jp"}},
		Routes: []config.Route{
			{Name: "inbound", Policy: "default", Domains: []string{"*"}},
			{Name: "lgwan-out", Policy: config.PolicyNone, Domains: []string{"other.example"}},
			{Name: "out", Policy: config.PolicyNone, Domains: []string{"*"}},
		}}
	r, rcpts, err := originalRoute(cfg, []string{"a@INET.city.example.jp.", "a@inet.city.example.jp"})
	if err != nil || r.Name != "out" || len(rcpts) != 1 || rcpts[0] != "a@inet.city.example.jp" {
		t.Errorf("got %v %v %v; want route out, one recipient", r, rcpts, err)
	}
	// Never through a sanitising route, even one that would take it.
	cfg.Routes = cfg.Routes[:2]
	if _, _, err := originalRoute(cfg, []string{"a@inet.city.example.jp"}); err == nil || !strings.Contains(err.Error(), "no pass-through route") {
		t.Errorf("without a pass-through route: %v", err)
	}
	cfg.Quarantine.ReleaseOriginalTo = nil
	if _, _, err := originalRoute(cfg, []string{"a@inet.city.example.jp"}); err == nil || !strings.Contains(err.Error(), "is empty") {
		t.Errorf("without release_original_to: %v", err)
	}
}

// TestEncryptedQuarantine: no plain text of the original on disk; listing
// works without the key; a tampered original is never released.
func TestEncryptedQuarantine(t *testing.T) {
	for _, tc := range []struct {
		name string
		key  bool
	}{{"encrypted", true}, {"plain", false}} {
		t.Run(tc.name, func(t *testing.T) {
			e := startRelEnv(t, relOptions{key: tc.key})
			pdf := relPDF(30000)
			e.send("taro@citizen.example", []string{"kikaku@city.example.lg.jp"}, relCitizenMessage(pdf))
			e.lgwan.next(t)
			m := e.only()

			var segs []string
			plainSeen := false
			filepath.Walk(e.cfg.Quarantine.Dir, func(p string, fi os.FileInfo, err error) error {
				if err == nil && fi.Mode().IsRegular() {
					b, _ := os.ReadFile(p)
					plainSeen = plainSeen || bytes.Contains(b, []byte(relSecret))
					if strings.HasSuffix(p, ".seg") {
						segs = append(segs, p)
					}
					if fi.Mode().Perm()&0o077 != 0 {
						t.Errorf("%s has mode %v", p, fi.Mode().Perm())
					}
				}
				return nil
			})
			if plainSeen != !tc.key {
				t.Errorf("plain text of the original on disk: %v (encrypted: %v)", plainSeen, tc.key)
			}

			// Metadata without the key, beside the running server.
			ro, err := quarantine.Open(e.cfg.Quarantine.Dir, quarantine.Options{ReadOnly: true})
			if err != nil {
				t.Fatal(err)
			}
			l := ListQuarantine(ro, QuarantineFilter{Sender: "taro@"}, time.Now())
			if len(l) != 1 || l[0].Subject != "申請書の送付" || l[0].ID != m.ID {
				t.Errorf("listing without the key: %+v", l)
			}
			if _, err := ro.Original(m.ID); tc.key && err == nil {
				t.Error("original readable without the key")
			}
			ro.Close()

			// The original round-trips through the admin listener.
			var orig []byte
			if code, msg := e.call("GET", "/quarantine/"+m.ID+"/original"+relReader, nil, &orig); code != 200 || relSHA(orig) != m.SHA256 {
				t.Fatalf("original: %d %s", code, msg)
			}

			// Flip one byte in the middle of the stored original (the
			// metadata record follows it in the segment).
			if len(segs) != 1 {
				t.Fatalf("segments %v", segs)
			}
			b, _ := os.ReadFile(segs[0])
			metaAt := bytes.Index(b, []byte(`{"v":1,"meta"`))
			if metaAt < 20000 {
				t.Fatalf("metadata record at %d", metaAt)
			}
			b[metaAt/2] ^= 0x20
			if err := os.WriteFile(segs[0], b, 0o600); err != nil {
				t.Fatal(err)
			}
			req := ReleaseRequest{Policy: "relaxed", Reason: "x", User: "tanaka"}
			if code, msg := e.call("POST", "/quarantine/"+m.ID+"/release", req, nil); code != 409 || !strings.Contains(msg, "integrity") {
				t.Errorf("release of a tampered original: %d %q, want 409 integrity", code, msg)
			}
			if code, _ := e.call("GET", "/quarantine/"+m.ID+"/original"+relReader, nil, nil); code != 409 {
				t.Errorf("tampered original served: %d", code)
			}
			if code, _ := e.call("GET", "/quarantine/"+m.ID+"/headers"+relReader, nil, nil); code != 409 {
				t.Errorf("headers of a tampered original served: %d", code)
			}
			e.lgwan.none(t, 300*time.Millisecond)
			if n := len(e.sp.List()); n != 0 {
				t.Errorf("%d messages queued after a refused release", n)
			}
			if rel := e.audit("release"); len(rel) != 1 || rel[0].Verdict != "error" || !strings.Contains(rel[0].Reason, "integrity") {
				t.Errorf("audit %+v", rel)
			}
		})
	}
}

// relReader is the query of a read of an original: who and why.
const relReader = "?user=tanaka&reason=ticket+2025-118"

func TestHeadersCall(t *testing.T) {
	e := startRelEnv(t, relOptions{key: true})
	e.send("taro@citizen.example", []string{"kikaku@city.example.lg.jp"}, relCitizenMessage(relPDF(100)))
	e.lgwan.next(t)
	var hdr []byte
	if code, msg := e.call("GET", "/quarantine/"+e.only().ID+"/headers"+relReader, nil, &hdr); code != 200 {
		t.Fatalf("%d %s", code, msg)
	}
	if !bytes.HasPrefix(hdr, []byte("From: Yamada Taro")) || !bytes.HasSuffix(hdr, []byte("boundary=b1\r\n")) {
		t.Errorf("header section:\n%s", hdr)
	}
}

// TestRetentionPurge: originals past quarantine.retention go with one
// audit record each, counted and reflected in the gauges; newer ones stay.
func TestRetentionPurge(t *testing.T) {
	e := startRelEnv(t, relOptions{qextra: "  retention: 720h"})
	e.send("taro@citizen.example", []string{"kikaku@city.example.lg.jp"}, relCitizenMessage(relPDF(100)))
	e.lgwan.next(t)
	old := e.only()
	mid := time.Now()
	time.Sleep(5 * time.Millisecond)
	e.send("hanako@citizen.example", []string{"kikaku@city.example.lg.jp"}, relCitizenMessage(relPDF(200)))
	e.lgwan.next(t)

	// 30 days after mid, the first original is past retention.
	e.srv.retentionPurge(mid.Add(720 * time.Hour))
	if _, err := e.q.Get(old.ID); err == nil {
		t.Fatal("original past retention still there")
	}
	left := e.q.List(nil)
	if len(left) != 1 || left[0].From != "hanako@citizen.example" {
		t.Fatalf("left %+v", left)
	}
	if n := testutil.ToFloat64(e.m.QuarantinePurged.WithLabelValues(metrics.PurgeRetention)); n != 1 {
		t.Errorf("purged_total{retention} = %v", n)
	}
	if n, b := testutil.ToFloat64(e.m.QuarantineMessages), testutil.ToFloat64(e.m.QuarantineBytes); n != 1 || b != float64(left[0].Size) {
		t.Errorf("gauges %v messages, %v bytes", n, b)
	}
	p := e.audit("purge")
	if len(p) != 1 || p[0].QuarantineID != old.ID || p[0].User != "mugai" || p[0].Reason != "retention" ||
		!strings.Contains(p[0].Why, "quarantine.retention") || p[0].Sender != "taro@citizen.example" {
		t.Errorf("purge audit %+v", p)
	}

	// Through the admin listener, by a user, with a reason.
	var res PurgeResult
	for _, bad := range []PurgeRequest{{OlderThan: "soon", User: "tanaka"}, {OlderThan: "-1h", User: "tanaka"}, {OlderThan: "1h"}} {
		if code, _ := e.call("POST", "/quarantine/purge", bad, nil); code != 400 {
			t.Errorf("purge %+v: %d, want 400", bad, code)
		}
	}
	if code, msg := e.call("POST", "/quarantine/purge", PurgeRequest{User: "tanaka", Reason: "too early"}, &res); code != 200 || res.Purged != 0 {
		t.Fatalf("purge by retention: %d %s %+v", code, msg, res)
	}
	time.Sleep(5 * time.Millisecond)
	if code, msg := e.call("POST", "/quarantine/purge", PurgeRequest{OlderThan: "1ms", User: "tanaka", Reason: "disk full, ticket 9"}, &res); code != 200 || res.Purged != 1 {
		t.Fatalf("purge -older-than 1ms: %d %s %+v", code, msg, res)
	}
	// The three refused purges are recorded too (TestControlRefusalsAudited),
	// and a purge by hand is recorded before it purges (TestPurgeRecordFirst).
	p = e.audit("purge")
	if len(p) != 6 || p[1].Verdict != "refused" || p[2].Verdict != "refused" || p[3].Verdict != "refused" ||
		p[4].Verdict != "requested" || p[4].User != "tanaka" || p[4].Why != "disk full, ticket 9" || !strings.HasPrefix(p[4].Reason, "manual: 1 original(s) received before ") ||
		p[5].User != "tanaka" || p[5].Why != "disk full, ticket 9" || p[5].Reason != metrics.PurgeManual || p[5].Verdict != "purged" {
		t.Errorf("purge audit %+v", p)
	}
	// A purge by hand is told apart from the scheduled one.
	for reason, want := range map[string]float64{metrics.PurgeRetention: 1, metrics.PurgeManual: 1, metrics.PurgeMaxBytes: 0} {
		if n := testutil.ToFloat64(e.m.QuarantinePurged.WithLabelValues(reason)); n != want {
			t.Errorf("purged_total{%s} = %v, want %v", reason, n, want)
		}
	}
	if n := testutil.ToFloat64(e.m.QuarantineMessages); n != 0 {
		t.Errorf("messages gauge %v after purging all", n)
	}
}

// TestScheduledPurge: StartQuarantinePurge applies retention at once.
func TestScheduledPurge(t *testing.T) {
	e := startRelEnv(t, relOptions{qextra: "  retention: 48h"})
	for i, age := range []time.Duration{72 * time.Hour, 49 * time.Hour, 47 * time.Hour} {
		meta := quarantine.Meta{Time: time.Now().Add(-age), Route: "inbound", From: fmt.Sprintf("s%d@citizen.example", i)}
		const orig = "Subject: x\r\n\r\nbody\r\n"
		if _, err := e.q.Put(meta, strings.NewReader(orig), int64(len(orig))); err != nil {
			t.Fatal(err)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	e.srv.StartQuarantinePurge(ctx)
	// The gateway's own purge, started by Open, may have run while the
	// originals were being put and set the gauge to 1 early: wait for the
	// store and the gauge to agree.
	deadline := time.Now().Add(5 * time.Second)
	for (len(e.q.List(nil)) != 1 || testutil.ToFloat64(e.m.QuarantineMessages) != 1) && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if l := e.q.List(nil); len(l) != 1 || l[0].From != "s2@citizen.example" {
		t.Errorf("after the scheduled purge: %+v", l)
	}
	if n := testutil.ToFloat64(e.m.QuarantineMessages); n != 1 {
		t.Errorf("messages gauge %v", n)
	}
}

// TestQuarantineMaxBytes: past quarantine.max_bytes the oldest originals older than
// min_age make room; when none is old enough the original is not kept but
// the sanitised message is still delivered.
func TestQuarantineMaxBytes(t *testing.T) {
	var mu sync.Mutex
	skew := time.Duration(0)
	now := func() time.Time { mu.Lock(); defer mu.Unlock(); return time.Now().Add(skew) }
	e := startRelEnv(t, relOptions{qextra: "  max_bytes: 100KiB\n  min_age: 1h", now: now})
	msg := relCitizenMessage(relPDF(30000)) // ~41 KiB
	send := func(from string) {
		e.send(from, []string{"kikaku@city.example.lg.jp"}, msg)
		e.lgwan.next(t)
	}
	send("a@citizen.example")
	send("b@citizen.example")
	send("c@citizen.example") // 3 × 41 KiB > 100 KiB, none older than 1h
	senders := func() string {
		var s []string
		for _, m := range e.q.List(nil) {
			s = append(s, m.From)
		}
		return strings.Join(s, ",")
	}
	if got := senders(); got != "a@citizen.example,b@citizen.example" {
		t.Fatalf("kept %s", got)
	}
	if n := testutil.ToFloat64(e.m.QuarantineFull); n != 1 {
		t.Errorf("quarantine_full_total = %v", n)
	}
	// The third message was rebuilt twice (again without its quarantine
	// id); what was done to it counts once.
	if n := testutil.ToFloat64(e.m.Attachments.WithLabelValues("strip", "pdf")); n != 3 {
		t.Errorf("attachments_total{strip,pdf} = %v after 3 messages", n)
	}
	mu.Lock()
	skew = 2 * time.Hour
	mu.Unlock()
	send("d@citizen.example")
	if got := senders(); got != "b@citizen.example,d@citizen.example" {
		t.Errorf("after the clock moved on, kept %s; want the oldest purged", got)
	}
	if n := testutil.ToFloat64(e.m.QuarantinePurged.WithLabelValues("max_bytes")); n != 1 {
		t.Errorf("quarantine_purged_total{max_bytes} = %v, want 1", n)
	}
	if b, _ := os.ReadFile(e.cfg.Log.Audit); !strings.Contains(string(b), `"reason":"max_bytes"`) {
		t.Error("no audit record of the max_bytes purge")
	}
	e.srv.updateQuarantineGauges()
	if _, b := e.q.Stats(); b > 100<<10 || testutil.ToFloat64(e.m.QuarantineBytes) != float64(b) {
		t.Errorf("%d bytes kept, gauge %v", b, testutil.ToFloat64(e.m.QuarantineBytes))
	}
}

// TestOrphanGaugeAfterMaxBytesPurge: when quarantine.max_bytes purges
// an original of a route no longer configured,
// mugai_quarantine_orphaned_originals drops that route's series, and the
// series of a route still holding orphans is never missing from a scrape
// meanwhile (the gauge was Reset and set again, so a scrape between the
// two saw no orphans at all).
func TestOrphanGaugeAfterMaxBytesPurge(t *testing.T) {
	e := startRelEnv(t, relOptions{qextra: "  max_bytes: 100KiB\n  min_age: 1h"})
	orig := string(relCitizenMessage(relPDF(30000))) // ~41 KiB
	for _, o := range []struct {
		route string
		age   time.Duration
	}{{"gone", 3 * time.Hour}, {"left", 2 * time.Hour}} {
		meta := quarantine.Meta{Time: time.Now().Add(-o.age), Route: o.route, From: "a@citizen.example", To: []string{"kikaku@city.example.lg.jp"}}
		if _, err := e.q.Put(meta, strings.NewReader(orig), int64(len(orig))); err != nil {
			t.Fatal(err)
		}
	}
	e.srv.updateOrphans(false)
	if got := orphanSeries(e.m.QuarantineOrphaned); got != "gone=1 left=1" {
		t.Fatalf("orphan series %q, want gone=1 left=1", got)
	}
	stop := make(chan struct{})
	missing := make(chan string, 1)
	go func() {
		for {
			select {
			case <-stop:
				close(missing)
				return
			default:
			}
			if got := orphanSeries(e.m.QuarantineOrphaned); !strings.Contains(got, "left=1") {
				missing <- got
				close(missing)
				return
			}
		}
	}()
	// 2 × 41 KiB kept: a third makes room by purging the oldest, "gone".
	e.send("b@citizen.example", []string{"kikaku@city.example.lg.jp"}, orig)
	e.lgwan.next(t)
	// The purge refreshes the gauge on its own.
	deadline := time.Now().Add(5 * time.Second)
	for orphanSeries(e.m.QuarantineOrphaned) != "left=1" && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	if got := orphanSeries(e.m.QuarantineOrphaned); got != "left=1" {
		t.Errorf("after the max_bytes purge: orphan series %q, want left=1", got)
	}
	for range 500 {
		e.srv.updateOrphans(false) // as reloads and purges do
	}
	close(stop)
	if got, ok := <-missing; ok {
		t.Errorf("a scrape saw orphan series %q, without left=1", got)
	}
	if n := testutil.ToFloat64(e.m.QuarantinePurged.WithLabelValues(metrics.PurgeMaxBytes)); n != 1 {
		t.Errorf("quarantine_purged_total{max_bytes} = %v, want 1", n)
	}
}

// orphanSeries is what a scrape of g shows: "route=value" by route.
func orphanSeries(g prometheus.Collector) string {
	ch := make(chan prometheus.Metric, 16)
	g.Collect(ch)
	close(ch)
	var out []string
	for m := range ch {
		var pb dto.Metric
		m.Write(&pb)
		for _, l := range pb.GetLabel() {
			if l.GetName() == "route" {
				out = append(out, fmt.Sprintf("%s=%v", l.GetValue(), pb.GetGauge().GetValue()))
			}
		}
	}
	slices.Sort(out)
	return strings.Join(out, " ")
}

func TestControlGuard(t *testing.T) {
	e := startRelEnv(t, relOptions{})
	for _, tc := range []struct {
		name, method, host, ctype string
		code                      int
	}{
		{"rebinding host", "GET", "mugai.attacker.example:9925", "", 403},
		{"form post", "POST", "", "text/plain", 415},
		{"localhost", "GET", "localhost:9925", "", 200},
		{"ip", "GET", "", "", 200},
		{"cross-site", "POST", "", "application/json", 403},
		{"no token", "GET", "", "", 401},
		{"wrong token", "GET", "", "", 401},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := "/quarantine"
			if tc.method == "POST" {
				path = "/quarantine/purge"
			}
			req, _ := http.NewRequest(tc.method, e.admin+path, strings.NewReader(`{"older_than":"1s","user":"x"}`))
			if tc.name != "no token" {
				req.Header.Set("Authorization", "Bearer "+e.srv.ControlToken)
			}
			if tc.name == "wrong token" {
				req.Header.Set("Authorization", "Bearer "+strings.Repeat("0", len(e.srv.ControlToken)))
			}
			if tc.host != "" {
				req.Host = tc.host
			}
			if tc.ctype != "" {
				req.Header.Set("Content-Type", tc.ctype)
			}
			if tc.name == "cross-site" {
				req.Header.Set("Sec-Fetch-Site", "cross-site")
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != tc.code {
				t.Errorf("status %d, want %d", resp.StatusCode, tc.code)
			}
		})
	}
	for reason, want := range map[string]float64{"host": 1, "content-type": 1, "cross-origin": 1, "token": 2, "remote": 0} {
		if n := testutil.ToFloat64(e.m.AdminRefused.WithLabelValues(reason)); n != want {
			t.Errorf("admin_refused_total{reason=%q} = %v, want %v", reason, n, want)
		}
	}
}

func TestHeaderSection(t *testing.T) {
	tests := []struct {
		name, in, want string
		limit          int
		truncated      bool
	}{
		{"crlf", "A: 1\r\nB: 2\r\n\r\nbody\r\n", "A: 1\r\nB: 2\r\n", 100, false},
		{"lf", "A: 1\n\nbody", "A: 1\n", 100, false},
		{"no body", "A: 1\r\n", "A: 1\r\n", 100, false},
		{"empty", "", "", 100, false},
		{"body only", "\r\nbody", "", 100, false},
		{"limit", "A: 123456789\r\n\r\n", "A: 12", 5, true},
		{"long line", "X: " + strings.Repeat("y", 10000) + "\r\n\r\n", "X: " + strings.Repeat("y", 10000) + "\r\n", 20000, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, trunc, err := HeaderSection(strings.NewReader(tt.in), tt.limit)
			if err != nil || string(got) != tt.want || trunc != tt.truncated {
				t.Errorf("got %q %v %v, want %q %v", got, trunc, err, tt.want, tt.truncated)
			}
		})
	}
}

func FuzzHeaderSection(f *testing.F) {
	f.Add([]byte("A: 1\r\nB: 2\r\n\r\nbody"), 100)
	f.Add([]byte("\n\n"), 1)
	f.Fuzz(func(t *testing.T, in []byte, limit int) {
		if limit <= 0 || limit > 1<<16 {
			return
		}
		got, trunc, err := HeaderSection(bytes.NewReader(in), limit)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.HasPrefix(in, got) || len(got) > limit {
			t.Fatalf("%q is not a prefix of the input within %d bytes", got, limit)
		}
		if !trunc && (bytes.Contains(got, []byte("\n\r\n")) || bytes.Contains(got, []byte("\n\n")) || bytes.HasPrefix(got, []byte("\n")) || bytes.HasPrefix(got, []byte("\r\n"))) {
			t.Fatalf("header section %q contains the blank line", got)
		}
	})
}

// relRecorder is a next hop that records every message it receives.
type relRecorder struct {
	addr   string
	ch     chan relMsg
	refuse sync.Map // address → true: RCPT answers 550 5.1.1
	defer_ sync.Map // address → true: RCPT answers 451 4.3.0
}

type relMsg struct {
	From string
	To   []string
	Data []byte
}

func newRelRecorder(t *testing.T) *relRecorder {
	t.Helper()
	r := &relRecorder{ch: make(chan relMsg, 32)}
	srv := smtp.NewServer(smtp.BackendFunc(func(*smtp.Conn) (smtp.Session, error) { return &relSession{r: r}, nil }))
	srv.Domain = "nexthop.test"
	srv.ErrorLog = log.New(io.Discard, "", 0)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	r.addr = l.Addr().String()
	go srv.Serve(l)
	t.Cleanup(func() { srv.Close() })
	return r
}

// next waits for the next message.
func (r *relRecorder) next(t *testing.T) relMsg {
	t.Helper()
	select {
	case m := <-r.ch:
		return m
	case <-time.After(15 * time.Second):
		t.Fatal("nothing delivered to the next hop")
	}
	return relMsg{}
}

// none fails if a message arrives within d.
func (r *relRecorder) none(t *testing.T, d time.Duration) {
	t.Helper()
	select {
	case m := <-r.ch:
		t.Errorf("unexpected delivery %s → %v:\n%.300s", m.From, m.To, m.Data)
	case <-time.After(d):
	}
}

type relSession struct {
	r   *relRecorder
	msg relMsg
}

func (s *relSession) Reset()        { s.msg = relMsg{} }
func (s *relSession) Logout() error { return nil }
func (s *relSession) Mail(from string, _ *smtp.MailOptions) error {
	s.msg.From = from
	return nil
}
func (s *relSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	if _, no := s.r.refuse.Load(to); no {
		return &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "no such user here"}
	}
	if _, later := s.r.defer_.Load(to); later {
		return &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "try again later"}
	}
	s.msg.To = append(s.msg.To, to)
	return nil
}
func (s *relSession) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	s.msg.Data = b
	s.r.ch <- s.msg
	s.msg = relMsg{}
	return nil
}
