package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"io"
	"log"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-message/mail"
	"github.com/emersion/go-smtp"

	"mugai/config"
	"mugai/gateway"
	"mugai/gateway/quarantine"
)

// qtYAML is the configuration of the quarantine tests: an inbound route
// that sanitises under `default` (PDFs stripped) and delivers to the
// "LGWAN mail server", a pass-through route to the "internet smarthost",
// and a `relaxed` policy that keeps PDFs. %ADMIN% is the admin listener:
// port 0 to start the gateway, then the bound address for the CLI.
const qtYAML = `
admin: {listen: "%ADMIN%"}
spool_dir: %DIR%/spool
quarantine:
  dir: %DIR%/quarantine
  retention: 30d
  release_original_to: [inet.city.example.jp]
  encryption_key_file: %DIR%/quarantine.key
log: {audit: %DIR%/audit.log}
routes:
  - name: inbound
    listen: ["127.0.0.1:0"]
    hostname: mx.city.example.lg.jp
    clients: ["127.0.0.0/8"]
    domains: [city.example.lg.jp]
    policy: default
    deliver: {to: "smtp://%LGWAN%", tls: none, retry: {initial: 1s, max: 2s, lifetime: 1h}}
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

// qtEnv is a gateway running in the test process, and the configuration
// file the CLI reads.
type qtEnv struct {
	t           *testing.T
	dir, file   string
	cfg         *config.Config
	srv         *gateway.Server
	q           *quarantine.Store
	admin       *http.Server
	lgwan, inet *qtHop
	stop        func() // stops the gateway (at the end of the test, or before)
}

func startQtEnv(t *testing.T) *qtEnv {
	t.Helper()
	e := &qtEnv{t: t, dir: t.TempDir(), lgwan: newQtHop(t), inet: newQtHop(t)}
	e.file = filepath.Join(e.dir, "mugai.yaml")
	key := bytes.Repeat([]byte{0x5a}, 32)
	if err := os.WriteFile(filepath.Join(e.dir, "quarantine.key"), key, 0o600); err != nil {
		t.Fatal(err)
	}
	write := func(admin string) {
		y := strings.NewReplacer("%ADMIN%", admin, "%DIR%", e.dir, "%LGWAN%", e.lgwan.addr, "%INET%", e.inet.addr).Replace(qtYAML)
		if err := os.WriteFile(e.file, []byte(y), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write("127.0.0.1:0")
	cfg, err := config.Load(e.file)
	if err != nil {
		t.Fatal(err)
	}
	e.cfg = cfg
	logs, mu := &bytes.Buffer{}, &sync.Mutex{}
	logger := slog.New(slog.NewTextHandler(lockedWriter{mu, logs}, nil))
	inst, err := gateway.Open(cfg, gateway.InstanceOptions{Logger: logger, Version: "test", TempDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	e.srv, e.q, e.admin = inst.Server, inst.Quarantine, inst.Admin
	write(inst.AdminAddr.String())
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
			mu.Lock()
			t.Logf("gateway log:\n%s", logs)
			mu.Unlock()
		}
	})
	return e
}

// quarantine runs `mugai quarantine -config FILE args...`.
func (e *qtEnv) quarantine(args ...string) (code int, stdout, stderr string) {
	return runCmd(append([]string{"quarantine", "-config", e.file}, args...)...)
}

func (e *qtEnv) send(from, to, msg string) {
	e.t.Helper()
	c, err := smtp.Dial(e.srv.Addrs()["inbound"][0].String())
	if err != nil {
		e.t.Fatal(err)
	}
	defer c.Close()
	if err := c.SendMail(from, []string{to}, strings.NewReader(msg)); err != nil {
		e.t.Fatalf("send: %v", err)
	}
	c.Quit()
}

// quarantined sends msg from a citizen to the city, waits for its
// delivery and returns the id its original is kept under (the test's
// only one).
func (e *qtEnv) quarantined(msg string) string {
	e.t.Helper()
	e.send("taro@citizen.example", "kikaku@city.example.lg.jp", msg)
	e.lgwan.next(e.t)
	return e.q.List(nil)[0].ID
}

func (e *qtEnv) audit(event string) []gateway.AuditRecord {
	e.t.Helper()
	data, err := os.ReadFile(e.cfg.Log.Audit)
	if err != nil {
		e.t.Fatal(err)
	}
	var out []gateway.AuditRecord
	for _, line := range strings.Split(strings.TrimSpace(string(data)), "\n") {
		var r gateway.AuditRecord
		if err := json.Unmarshal([]byte(line), &r); err != nil {
			e.t.Fatal(err)
		}
		if r.Event == event {
			out = append(out, r)
		}
	}
	return out
}

// TestQuarantineScenario is the walk-through of deploy/README.md,
// "A citizen's PDF was stripped": the admin finds the original by sender,
// looks at it, and releases it with the relaxed policy.
func TestQuarantineScenario(t *testing.T) {
	t.Setenv("SUDO_USER", "tanaka")
	e := startQtEnv(t)
	pdf := qtPDF()
	e.send("taro@citizen.example", "kikaku@city.example.lg.jp", qtMessage("=?UTF-8?B?55Sz6KuL5pu444Gu6YCB5LuY?=", pdf))
	if att := qtAttachments(t, e.lgwan.next(t)); len(att) != 0 {
		t.Fatalf("default policy delivered %v", att)
	}

	// 1. Find it by sender.
	code, out, errOut := e.quarantine("list", "-sender", "citizen.example", "-since", "7d")
	if code != 0 {
		t.Fatalf("list: %d %s", code, errOut)
	}
	t.Logf("$ mugai quarantine list -sender citizen.example -since 7d\n%s", out)
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 2 || !strings.HasPrefix(lines[0], "ID ") {
		t.Fatalf("list output:\n%s", out)
	}
	for _, want := range []string{"taro@citizen.example", "kikaku@city.example.lg.jp", "application.pdf", "申請書の送付"} {
		if !strings.Contains(lines[1], want) {
			t.Errorf("list line lacks %q: %s", want, lines[1])
		}
	}
	// RECEIVED with its offset from UTC, as show gives it.
	if !regexp.MustCompile(`^\S+  \d{4}-\d\d-\d\d \d\d:\d\d:\d\d [+-]\d{4}  6\.\d KiB  `).MatchString(lines[1]) {
		t.Errorf("list line: %s", lines[1])
	}
	id := strings.Fields(lines[1])[0]

	// 1b. Or by the Message-ID the citizen quotes (with or without <>,
	// any part of it), through the running gateway and from the store.
	for _, args := range [][]string{{"list", "-message-id", "<form-1@citizen.example>"}, {"list", "-message-id", "form-1@citizen"},
		{"-dir", e.cfg.Quarantine.Dir, "list", "-message-id", "form-1@citizen.example"}} {
		if code, out, errOut := e.quarantine(args...); code != 0 || !strings.Contains(out, id) {
			t.Errorf("%q: %d %s %s", args, code, out, errOut)
		}
	}
	if code, out, _ := e.quarantine("list", "-message-id", "form-2@citizen.example"); code != 0 || strings.Contains(out, id) {
		t.Errorf("list -message-id of another message: %d %s", code, out)
	}
	if code, out, _ := e.quarantine("list", "-json", "-message-id", "form-1"); code != 0 || !strings.Contains(out, `"message_id": "<form-1@citizen.example>"`) {
		t.Errorf("list -json lacks the message_id: %d %s", code, out)
	}

	// 2. Look at what was removed and why.
	code, out, errOut = e.quarantine("show", id)
	if code != 0 {
		t.Fatalf("show: %d %s", code, errOut)
	}
	t.Logf("$ mugai quarantine show %s\n%s", id, out)
	for _, want := range []string{"Subject:     申請書の送付", "application.pdf", "strip", "application/pdf",
		"Release: mugai quarantine -config " + e.file + " release " + id} {
		if !strings.Contains(out, want) {
			t.Errorf("show lacks %q:\n%s", want, out)
		}
	}

	// 3. Release it under the relaxed policy.
	reason := "citizen's application form, ticket 2025-118"
	code, out, errOut = e.quarantine("release", id, "-policy", "relaxed", "-reason", reason)
	if code != 0 {
		t.Fatalf("release: %d %s", code, errOut)
	}
	t.Logf("$ mugai quarantine release %s -policy relaxed -reason %q\n%s", id, reason, out)
	if !strings.Contains(out, "released "+id) || !strings.Contains(out, "kept:    application.pdf") {
		t.Errorf("release output:\n%s", out)
	}

	// 4. The LGWAN side has the PDF, byte for byte.
	if att := qtAttachments(t, e.lgwan.next(t)); att["application.pdf"] != qtSHA(pdf) {
		t.Fatalf("released attachments %v, want application.pdf %s", att, qtSHA(pdf))
	}

	// 5. The audit trail says who, when, what and why.
	rel := e.audit("release")
	if len(rel) != 1 || !strings.HasPrefix(rel[0].User, "tanaka") || rel[0].Why != reason || rel[0].QuarantineID != id ||
		rel[0].Policy != "relaxed" || rel[0].QueueID == "" || rel[0].Time.IsZero() {
		t.Errorf("audit %+v", rel)
	}
	if code, out, _ := runCmd("audit", "verify", e.cfg.Log.Audit); code != 0 {
		t.Errorf("audit verify: %s", out)
	}
}

// TestQuarantineReleaseAgain: the same release run twice (a retry after
// a timeout) is refused with what happened and how to do it on purpose;
// -again does it; show lists the releases.
func TestQuarantineReleaseAgain(t *testing.T) {
	t.Setenv("SUDO_USER", "tanaka")
	e := startQtEnv(t)
	id := e.quarantined(qtMessage("form", qtPDF()))
	args := []string{"release", id, "-policy", "relaxed", "-reason", "ticket 2025-118"}
	if code, _, errOut := e.quarantine(args...); code != 0 {
		t.Fatalf("release: %d %s", code, errOut)
	}
	e.lgwan.next(t)
	code, out, errOut := e.quarantine(args...)
	for _, want := range []string{"already released", "by tanaka", "to kikaku@city.example.lg.jp", "-again"} {
		if code != 1 || !strings.Contains(errOut, want) {
			t.Errorf("second release: exit %d, stderr lacks %q:\n%s%s", code, want, out, errOut)
		}
	}
	e.lgwan.none(t)
	if code, out, errOut := e.quarantine(append(args, "-again")...); code != 0 || !strings.Contains(out, "released "+id) {
		t.Fatalf("release -again: %d %s%s", code, out, errOut)
	}
	e.lgwan.next(t)
	code, out, _ = e.quarantine("show", id)
	if code != 0 || strings.Count(out, "by tanaka (sudo as root) to kikaku@city.example.lg.jp (policy relaxed") != 2 ||
		!strings.Contains(out, "Released:") || !strings.Contains(out, ", again)") || !strings.Contains(out, "-again for recipients it reached") {
		t.Errorf("show after two releases:\n%s", out)
	}
	if _, _, errOut := e.quarantine("release", "-h"); !strings.Contains(errOut, "-again") {
		t.Errorf("release -h does not mention -again:\n%s", errOut)
	}
}

func TestQuarantineOriginal(t *testing.T) {
	e := startQtEnv(t)
	msg := qtMessage("form", qtPDF())
	id := e.quarantined(msg)

	out := filepath.Join(t.TempDir(), "original.eml")
	tests := []struct {
		name   string
		args   []string
		code   int
		stdout string
		stderr string
	}{
		{"original to a terminal", []string{"show", "-original", id}, 1, "", "never written to a terminal"},
		{"original to stdout", []string{"show", "-original", "-o", "-", id}, 1, "", "never written to a terminal"},
		{"headers and original", []string{"show", "-headers", "-original", "-o", out, id}, 1, "", "not both"},
		{"original without a reason", []string{"show", "-original", "-o", out, id}, 1, "", "-reason"},
		{"headers without a reason", []string{"show", "-headers", id}, 1, "", "-reason"},
		{"reason without headers or original", []string{"show", "-reason", "x", id}, 1, "", "-reason goes with"},
		{"original to a file", []string{"show", "-original", "-o", out, "-reason", "check the signature", id}, 0, "wrote the original", ""},
		{"file exists", []string{"show", "-original", "-o", out, "-reason", "x", id}, 1, "",
			"mugai quarantine: " + out + " exists: -o makes a new file and never overwrites one; give another name\n"},
		{"no reason", []string{"release", id, "-original", "-to", "a@inet.city.example.jp"}, 1, "", "-reason"},
		{"policy and original", []string{"release", id, "-policy", "relaxed", "-original", "-to", "a@inet.city.example.jp", "-reason", "x"}, 1, "", "either -policy"},
		{"original without -to", []string{"release", id, "-original", "-reason", "x"}, 1, "", "-original needs -to"},
		{"outside release_original_to", []string{"release", id, "-original", "-to", "tanaka@gmail.example", "-reason", "x"}, 1, "", "release_original_to"},
		{"unknown id", []string{"show", "0000000000000000"}, 1, "", "mugai quarantine: no original \"0000000000000000\" in the quarantine (purged or never there)\n"},
		{"unknown command", []string{"rm", id}, 1, "", `unknown command "rm"`},
		{"released untouched", []string{"release", id, "-original", "-to", "kikaku@inet.city.example.jp", "-reason", "signed PDF as sent"}, 0, "untouched original", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, stdout, stderr := e.quarantine(tt.args...)
			if code != tt.code || !strings.Contains(stdout, tt.stdout) || !strings.Contains(stderr, tt.stderr) {
				t.Errorf("exit %d, want %d\nstdout: %s\nstderr: %s", code, tt.code, stdout, stderr)
			}
		})
	}
	b, err := os.ReadFile(out)
	if err != nil || string(b) != msg {
		t.Errorf("written original differs from the message sent (%v)", err)
	}
	got := e.inet.next(t)
	if i := bytes.Index(got, []byte("\r\nFrom: ")); i < 0 || string(got[i+2:]) != msg {
		t.Errorf("the internet side did not get the original after one Received line:\n%.400s", got)
	}
	e.lgwan.none(t)
	if rel := e.audit("release"); len(rel) != 2 || rel[0].Verdict != "refused" || rel[1].Verdict != "original" {
		t.Errorf("audit %+v", rel)
	}
	// Reading the unsanitised original out is audited with who did it.
	if ex := e.audit("export"); len(ex) != 1 || ex[0].QuarantineID != id || ex[0].User == "" || strings.HasPrefix(ex[0].User, "unknown") ||
		ex[0].Why != "check the signature" || ex[0].Verdict != "original-read" {
		t.Errorf("export audit %+v", ex)
	}
}

// TestQuarantineTerminalSafety: text from a message never reaches the
// terminal with escape sequences in it.
func TestQuarantineTerminalSafety(t *testing.T) {
	e := startQtEnv(t)
	id := e.quarantined(qtMessage("evil \x1b]0;pwned\x07 \u202egnp.exe", qtPDF()))
	for _, args := range [][]string{{"list", "-sender", "taro"}, {"show", id}, {"show", "-headers", "-reason", "look at the Received lines", id}} {
		code, out, errOut := e.quarantine(args...)
		if code != 0 {
			t.Fatalf("%v: %d %s", args, code, errOut)
		}
		if strings.ContainsAny(out, "\x1b\x07\u202e") {
			t.Errorf("%v printed control characters:\n%q", args, out)
		}
		// The sanitiser's decoded subject has them removed already; the
		// raw header section shows them escaped.
		if args[1] == "-headers" && (!strings.Contains(out, `\x1b]0;pwned\x07`) || !strings.Contains(out, `\u202e`)) {
			t.Errorf("%v does not show the escaped characters:\n%s", args, out)
		}
	}
}

// TestQuarantineReadOnly: with the gateway's admin listener down, list
// and show read the store directly; changes are refused.
func TestQuarantineReadOnly(t *testing.T) {
	e := startQtEnv(t)
	msg := qtMessage("form", qtPDF())
	id := e.quarantined(msg)

	// -dir reads a store directly even while its gateway runs (another
	// node's, on shared storage); changes are not made that way.
	if code, out, errOut := e.quarantine("-dir", e.cfg.Quarantine.Dir, "list", "-sender", "taro"); code != 0 || !strings.Contains(out, id) || errOut != "" {
		t.Errorf("list -dir: %d %s %s", code, out, errOut)
	}
	if code, _, errOut := e.quarantine("release", "-dir", e.cfg.Quarantine.Dir, id, "-policy", "relaxed", "-reason", "x"); code != 1 || !strings.Contains(errOut, "not -dir") {
		t.Errorf("release -dir: %d %s", code, errOut)
	}
	missing := filepath.Join(t.TempDir(), "nowhere")
	if code, _, errOut := e.quarantine("-dir", missing, "show", id); code != 1 || errOut != "mugai quarantine: no quarantine store at "+missing+" (mugai serve makes it at its first start: check -dir or quarantine.dir)\n" {
		t.Errorf("show -dir of a missing store: %d %q", code, errOut)
	}

	e.admin.Close()

	code, out, errOut := e.quarantine("list", "-json", "-recipient", "KIKAKU@")
	var l []gateway.QuarantineEntry
	if code != 0 || json.Unmarshal([]byte(out), &l) != nil || len(l) != 1 || l[0].ID != id {
		t.Fatalf("list -json read-only: %d %s %s", code, out, errOut)
	}
	if !strings.Contains(errOut, "read-only") {
		t.Errorf("no note that the store was read directly: %s", errOut)
	}
	if code, out, errOut := e.quarantine("show", id); code != 0 || !strings.Contains(out, "application.pdf") {
		t.Errorf("show read-only: %d %s %s", code, out, errOut)
	}
	// The gateway still runs (its admin listener is gone): an original is
	// not read around it, whose audit trail would not have the read
	// (TestQuarantineDirectReadAudited reads with the gateway stopped).
	f := filepath.Join(t.TempDir(), "o.eml")
	if code, _, errOut := e.quarantine("show", "-original", "-o", f, "-reason", "x", id); code != 1 ||
		!strings.Contains(errOut, "nothing answers on its admin listener") || !strings.Contains(errOut, "audit trail") {
		t.Errorf("show -original with the admin listener down: exit %d %s", code, errOut)
	}
	if _, err := os.Stat(f); err == nil {
		t.Error("show -original wrote the original with the gateway's admin listener down")
	}
	for _, args := range [][]string{{"release", id, "-policy", "relaxed", "-reason", "x"}, {"purge", "-older-than", "1h"}} {
		if code, _, errOut := e.quarantine(args...); code != 1 || !strings.Contains(errOut, "needs the running gateway") {
			t.Errorf("%v with the gateway down: %d %s", args, code, errOut)
		}
	}
}

func TestQuarantinePurge(t *testing.T) {
	t.Setenv("SUDO_USER", "suzuki")
	e := startQtEnv(t)
	e.send("taro@citizen.example", "kikaku@city.example.lg.jp", qtMessage("form", qtPDF()))
	e.lgwan.next(t)
	if code, out, errOut := e.quarantine("purge"); code != 0 || !strings.Contains(out, "purged 0 originals") {
		t.Errorf("purge by retention: %d %s %s", code, out, errOut)
	}
	for _, bad := range []string{"0s", "soon", "-5m"} {
		if code, _, _ := e.quarantine("purge", "-older-than", bad); code != 1 {
			t.Errorf("purge -older-than %s accepted", bad)
		}
	}
	time.Sleep(10 * time.Millisecond)
	if code, out, errOut := e.quarantine("purge", "-older-than", "5ms", "-reason", "disk full, ticket 9"); code != 0 || !strings.Contains(out, "purged 1 original (") {
		t.Fatalf("purge: %d %s %s", code, out, errOut)
	}
	// The record of the request (written before the purge), then the
	// original's.
	p := e.audit("purge")
	if len(p) != 2 || p[0].Verdict != "requested" || p[1].Verdict != "purged" ||
		!strings.HasPrefix(p[1].User, "suzuki") || p[1].Why != "disk full, ticket 9" || p[0].User != p[1].User {
		t.Errorf("audit %+v", p)
	}
	if code, _, errOut := e.quarantine("list"); code != 0 || !strings.Contains(errOut, "no originals") {
		t.Errorf("list after purge: %s", errOut)
	}
}

func TestQuarantineUsage(t *testing.T) {
	for _, tt := range []struct {
		args   []string
		code   int
		stderr string
	}{
		{[]string{"quarantine"}, 1, "Usage: mugai quarantine"},
		{[]string{"quarantine", "-h"}, 0, "release ID -policy NAME"},
		{[]string{"quarantine", "release", "-h"}, 0, "-reason"},
		{[]string{"quarantine", "list", "-since", "yesterday"}, 1, "not a positive duration"},
		{[]string{"quarantine", "list", "extra"}, 1, "no arguments"},
		{[]string{"quarantine", "show"}, 1, "Usage: mugai quarantine show"},
		{[]string{"quarantine", "show"}, 1, "mugai quarantine: give the ID of an original (mugai quarantine list finds it)\n"},
		{[]string{"quarantine", "show", "06H1F0000000000A", "06H1F0000000000B"}, 1, "mugai quarantine: one ID, got 2 arguments (06H1F0000000000A 06H1F0000000000B)\nUsage: mugai quarantine show"},
		{[]string{"quarantine", "release", "06H1F0000000000A", "relaxed", "-reason", "x"}, 1, "mugai quarantine: one ID, got 2 arguments (06H1F0000000000A relaxed)\nUsage: mugai quarantine release"},
		{[]string{"quarantine", "-config", "/nonexistent.yaml", "list"}, 1, "cannot read"},
		{[]string{"quarantine", "list", "-verdict", "bogus"}, 1, `invalid value "bogus" for flag -verdict: not a verdict (allowed: rebuilt, rejected)`},
		{[]string{"quarantine", "list", "-verdict", "bogus"}, 1, "Usage: mugai quarantine list"},
		{[]string{"quarantine", "release", "06H1F0000000000A", "-policy", "relaxed", "-to", "", "-reason", "x"}, 1, `invalid value "" for flag -to: empty address`},
		{[]string{"quarantine", "release", "06H1F0000000000A", "-policy", "relaxed", "-to", "a@city.example.lg.jp,", "-reason", "x"}, 1, "empty address"},
	} {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			code, _, errOut := runCmd(tt.args...)
			if code != tt.code || !strings.Contains(errOut, tt.stderr) {
				t.Errorf("exit %d (want %d), stderr:\n%s", code, tt.code, errOut)
			}
		})
	}
}

// TestQuarantineReleaseEmptyTo: -to "" (a script's empty variable) is
// refused before anything is asked of the gateway; it never releases to
// the original recipients.
func TestQuarantineReleaseEmptyTo(t *testing.T) {
	e := startQtEnv(t)
	id := e.quarantined(qtMessage("form", qtPDF()))
	if code, out, errOut := e.quarantine("release", id, "-policy", "relaxed", "-to", "", "-reason", "x"); code != 1 || !strings.Contains(errOut, "empty address") {
		t.Errorf("release -to \"\": exit %d\nstdout: %s\nstderr: %s", code, out, errOut)
	}
	e.lgwan.none(t)
	if rel := e.audit("release"); len(rel) != 0 {
		t.Errorf("release records %+v", rel)
	}
	// A valid -verdict still lists (case-insensitively).
	if code, out, errOut := e.quarantine("list", "-verdict", "Rebuilt"); code != 0 || !strings.Contains(out, id) {
		t.Errorf("list -verdict Rebuilt: exit %d\n%s%s", code, out, errOut)
	}
}

// TestReleaseHint: the release hint of show carries the -config the
// command was run with, quoted for the shell when it must be.
func TestReleaseHint(t *testing.T) {
	for _, tt := range []struct{ cfg, want string }{
		{"", "Release: mugai quarantine release 06H1F0000000000A -policy NAME"},
		{"/etc/mugai/mugai.yaml", "Release: mugai quarantine -config /etc/mugai/mugai.yaml release 06H1F0000000000A -policy NAME"},
		{"/srv/my conf/it's.yaml", `Release: mugai quarantine -config '/srv/my conf/it'\''s.yaml' release 06H1F0000000000A`},
	} {
		t.Run(tt.cfg, func(t *testing.T) {
			var out bytes.Buffer
			dir := ""
			q := &qcmd{cfgPath: &tt.cfg, dir: &dir, stdout: &out, stderr: &out}
			q.printDetail(gateway.QuarantineDetail{QuarantineEntry: gateway.QuarantineEntry{ID: "06H1F0000000000A"}})
			if !strings.Contains(out.String(), tt.want) {
				t.Errorf("show prints:\n%s\nwant a line with %q", out.String(), tt.want)
			}
		})
	}
}

func TestDisplayWidthTable(t *testing.T) {
	var b bytes.Buffer
	printTable(&b, [][]string{{"SUBJECT", "X"}, {"申請書", "1"}, {"abc", "2"}})
	want := "SUBJECT  X\n申請書   1\nabc      2\n"
	if b.String() != want {
		t.Errorf("table:\n%s\nwant:\n%s", b.String(), want)
	}
}

// qtPDF is a small PDF with binary content.
func qtPDF() []byte {
	var b bytes.Buffer
	b.WriteString("%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n2 0 obj\n<< /Type /Pages /Kids [] /Count 0 >>\nendobj\n")
	b.WriteString("3 0 obj\n<< /Length 4096 >>\nstream\n")
	for i := range 4096 {
		b.WriteByte(byte(i*131 + i/7))
	}
	b.WriteString("\nendstream\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n")
	return b.Bytes()
}

func qtMessage(subject string, pdf []byte) string {
	enc := base64.StdEncoding.EncodeToString(pdf)
	var lines []string
	for len(enc) > 76 {
		lines, enc = append(lines, enc[:76]), enc[76:]
	}
	lines = append(lines, enc)
	return "From: Yamada Taro <taro@citizen.example>\r\nTo: kikaku@city.example.lg.jp\r\n" +
		"Subject: " + subject + "\r\nDate: Tue, 01 Apr 2025 10:00:00 +0900\r\nMessage-ID: <form-1@citizen.example>\r\n" +
		"MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b1\r\n\r\n" +
		"--b1\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nThe application form is attached.\r\n" +
		"--b1\r\nContent-Type: application/pdf; name=application.pdf\r\nContent-Disposition: attachment; filename=application.pdf\r\n" +
		"Content-Transfer-Encoding: base64\r\n\r\n" + strings.Join(lines, "\r\n") + "\r\n--b1--\r\n"
}

func qtSHA(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

func qtAttachments(t *testing.T, msg []byte) map[string]string {
	t.Helper()
	mr, err := mail.CreateReader(bytes.NewReader(msg))
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for {
		p, err := mr.NextPart()
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		if h, ok := p.Header.(*mail.AttachmentHeader); ok {
			name, _ := h.Filename()
			b, _ := io.ReadAll(p.Body)
			out[name] = qtSHA(b)
		}
	}
}

// qtHop is a next hop that hands every message it receives to the test.
type qtHop struct {
	addr string
	ch   chan []byte
}

func newQtHop(t *testing.T) *qtHop {
	h := &qtHop{ch: make(chan []byte, 16)}
	srv := smtp.NewServer(smtp.BackendFunc(func(*smtp.Conn) (smtp.Session, error) { return &qtHopSession{h}, nil }))
	srv.Domain = "nexthop.test"
	srv.ErrorLog = log.New(io.Discard, "", 0)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	h.addr = l.Addr().String()
	go srv.Serve(l)
	t.Cleanup(func() { srv.Close() })
	return h
}

func (h *qtHop) next(t *testing.T) []byte {
	t.Helper()
	select {
	case b := <-h.ch:
		return b
	case <-time.After(15 * time.Second):
		t.Fatal("nothing delivered to the next hop")
	}
	return nil
}

func (h *qtHop) none(t *testing.T) {
	t.Helper()
	select {
	case b := <-h.ch:
		t.Errorf("unexpected delivery:\n%.300s", b)
	case <-time.After(300 * time.Millisecond):
	}
}

type qtHopSession struct{ h *qtHop }

func (s *qtHopSession) Reset()                               {}
func (s *qtHopSession) Logout() error                        { return nil }
func (s *qtHopSession) Mail(string, *smtp.MailOptions) error { return nil }
func (s *qtHopSession) Rcpt(string, *smtp.RcptOptions) error { return nil }
func (s *qtHopSession) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	if err == nil {
		s.h.ch <- b
	}
	return err
}

// TestQuarantineDirectReadAudited: no original is read without an export
// record. Read directly (-dir, or the gateway not running) the CLI writes
// the record itself, chained, while it holds the gateway's lock; with the
// gateway running, a direct read is refused and points to the admin
// listener, which audits it.
func TestQuarantineDirectReadAudited(t *testing.T) {
	t.Setenv("SUDO_USER", "tanaka")
	e := startQtEnv(t)
	msg := qtMessage("form", qtPDF())
	id := e.quarantined(msg)
	hdr := msg[:strings.Index(msg, "\r\n\r\n")]
	dir := e.cfg.Quarantine.Dir

	// The gateway runs and holds the audit trail.
	for _, args := range [][]string{
		{"-dir", dir, "show", "-original", "-o", filepath.Join(t.TempDir(), "o.eml"), "-reason", "r", id},
		{"-dir", dir, "show", "-headers", "-reason", "r", id},
	} {
		code, out, errOut := e.quarantine(args...)
		if code != 1 || !strings.Contains(errOut, "running gateway") || !strings.Contains(errOut, "without -dir") || strings.Contains(out, "Subject") {
			t.Errorf("%v with the gateway running: exit %d\n%s%s", args, code, out, errOut)
		}
		if _, err := os.Stat(args[5]); args[3] == "-original" && err == nil {
			t.Errorf("%v wrote %s", args, args[5])
		}
	}
	if ex := e.audit("export"); len(ex) != 0 {
		t.Errorf("export records for refused direct reads: %+v", ex)
	}

	e.stop()
	tests := []struct {
		name string
		args []string
		part string
	}{
		{"original, gateway down", []string{"show", "-original", "-o", "%F", "-reason", "ticket 1: check the PDF", id}, "original"},
		{"headers, gateway down", []string{"show", "-headers", "-reason", "ticket 2: trace the sender", id}, "headers"},
		{"original, -dir", []string{"-dir", dir, "show", "-original", "-o", "%F", "-reason", "ticket 3", id}, "original"},
		{"headers, -dir", []string{"-dir", dir, "show", "-headers", "-reason", "ticket 4", id}, "headers"},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := filepath.Join(t.TempDir(), "o.eml")
			args := slices.Clone(tt.args)
			if j := slices.Index(args, "%F"); j >= 0 {
				args[j] = f
			}
			code, out, errOut := e.quarantine(args...)
			if code != 0 {
				t.Fatalf("exit %d\n%s%s", code, out, errOut)
			}
			switch tt.part {
			case "original":
				if b, _ := os.ReadFile(f); string(b) != msg {
					t.Errorf("original read directly differs (%d bytes)", len(b))
				}
			case "headers":
				if !strings.Contains(out, "Subject: form") || strings.Contains(out, "application form attached") || len(out) > len(hdr)+200 {
					t.Errorf("headers read directly:\n%s", out)
				}
			}
			ex := e.audit("export")
			if len(ex) != i+1 {
				t.Fatalf("%d export records after %d direct reads", len(ex), i+1)
			}
			r := ex[i]
			why := args[slices.Index(args, "-reason")+1]
			if r.QuarantineID != id || r.Policy != tt.part || r.Verdict != tt.part+"-read" || r.Why != why ||
				!strings.HasPrefix(r.User, "tanaka") || r.Sender != "taro@citizen.example" || !strings.Contains(r.Reason, dir) {
				t.Errorf("export record %+v", r)
			}
			if code, out, _ := runCmd("audit", "verify", e.cfg.Log.Audit); code != 0 {
				t.Errorf("audit verify: %s", out)
			}
			// It says where the trail now ends: the gateway's next start
			// continues from there, not from the last line of its stop.
			trail, err := os.Open(e.cfg.Log.Audit)
			if err != nil {
				t.Fatal(err)
			}
			defer trail.Close()
			c, _ := gateway.VerifyAuditChain(trail)
			if !strings.Contains(errOut, "which now ends with a line hashing to "+c.Last+" (the gateway's next start logs it as continues_from") {
				t.Errorf("the command does not say the trail ends at %s:\n%s", c.Last, errOut)
			}
		})
	}
}

// TestQuarantinePrintTimes: every time quarantine show prints has its
// offset from UTC, as Received: and queue show have; Released: had none
// ("2025-04-01 10:20:00").
func TestQuarantinePrintTimes(t *testing.T) {
	received := time.Date(2025, 4, 1, 1, 0, 3, 0, time.UTC)
	released := received.Add(20 * time.Minute)
	// The layout spelled out: a layout without the offset fails here.
	at := func(t time.Time) string { return t.Local().Format("2006-01-02 15:04:05 -0700") }
	d := gateway.QuarantineDetail{
		QuarantineEntry: gateway.QuarantineEntry{ID: "06H19WDJQEMYXQQ5", Time: received, Route: "inbound", Client: "192.0.2.7",
			Sender: "taro@citizen.example", Recipients: []string{"kikaku@city.example.lg.jp"}, Subject: "申請書の送付", Size: 6389,
			Policy: "default", Verdict: "rebuilt"},
		SHA256: "9b52d5d0",
		Releases: []quarantine.Release{
			{Time: released, User: "tanaka", To: []string{"kikaku@city.example.lg.jp"}, Policy: "relaxed", QueueID: "06H19WDJVH65474D"},
			{Time: released.Add(time.Hour), User: "tanaka", To: []string{"kikaku@city.example.lg.jp"}, Policy: "relaxed", QueueID: "06H19WDJVH65474E", Again: true},
		},
	}
	var out bytes.Buffer
	cfgPath, dir := "", ""
	(&qcmd{cfgPath: &cfgPath, dir: &dir, stdout: &out}).printDetail(d)
	lines := strings.Split(out.String(), "\n")
	for _, want := range []string{
		"Received:    " + at(received) + " on route inbound from 192.0.2.7",
		"Released:    " + at(released) + " by tanaka to kikaku@city.example.lg.jp (policy relaxed, queue id 06H19WDJVH65474D)",
		"             " + at(released.Add(time.Hour)) + " by tanaka to kikaku@city.example.lg.jp (policy relaxed, queue id 06H19WDJVH65474E, again)",
	} {
		if !slices.Contains(lines, want) {
			t.Errorf("show has no line %q:\n%s", want, out.String())
		}
	}
}
