package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	netmail "net/mail"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-message"
	"github.com/emersion/go-smtp"

	"mugai/config"
	"mugai/gateway"
)

// drYAML is the configuration of the dry-run tests: one sanitising
// route delivering into a Maildir, a rule that relaxes the policy for
// the prefecture's servers, and a small message size limit.
const drYAML = `
admin: {listen: "127.0.0.1:0"}
spool_dir: %DIR%/spool
quarantine: {dir: %DIR%/quarantine}
log: {audit: %DIR%/audit.log}
routes:
  - name: inbound
    listen: ["127.0.0.1:0"]
    hostname: mx.city.example.lg.jp
    clients: ["127.0.0.0/8"]
    domains: [city.example.lg.jp]
    recipients: {file: %DIR%/recipients.txt}
    limits: {max_message_size: 200KiB, max_recipients: 3}
    policy: default
    deliver: {to: "maildir:%DIR%/maildir"}
rules:
  - name: prefecture
    match: {sender_domain: [pref.example.lg.jp], clients: [127.0.0.8/29]}
    policy: relaxed
  - name: personnel
    match: {recipient: [jinji@city.example.lg.jp]}
    policy: discarding
policies:
  default: {}
  relaxed:
    attachments:
      keep: [{extensions: [.pdf], types: [application/pdf]}]
  discarding: {original: discard}
`

// drEnv is a gateway running in the test process on drYAML, and the
// file the dry run reads.
type drEnv struct {
	t    *testing.T
	dir  string
	file string
	srv  *gateway.Server
}

func startDrEnv(t *testing.T, extra ...string) *drEnv {
	t.Helper()
	e := &drEnv{t: t, dir: t.TempDir()}
	e.file = filepath.Join(e.dir, "mugai.yaml")
	y := strings.ReplaceAll(drYAML, "%DIR%", e.dir)
	for i := 0; i+1 < len(extra); i += 2 {
		y = strings.Replace(y, extra[i], extra[i+1], 1)
	}
	os.WriteFile(filepath.Join(e.dir, "recipients.txt"), []byte("kikaku@city.example.lg.jp\nsoumu@city.example.lg.jp\njinji@city.example.lg.jp\nzaimu@city.example.lg.jp\n"), 0o600)
	if err := os.WriteFile(e.file, []byte(y), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Load(e.file)
	if err != nil {
		t.Fatal(err)
	}
	logs, mu := &bytes.Buffer{}, &sync.Mutex{}
	inst, err := gateway.Open(cfg, gateway.InstanceOptions{Logger: slog.New(slog.NewTextHandler(lockedWriter{mu, logs}, nil)), Version: "test"})
	if err != nil {
		t.Fatal(err)
	}
	e.srv = inst.Server
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		inst.Close(ctx)
		if t.Failed() {
			mu.Lock()
			t.Logf("gateway log:\n%s", logs)
			mu.Unlock()
		}
	})
	return e
}

// send sends msg over SMTP from the loopback address client and returns
// what the gateway answered and, when it took the message, what it
// delivered into the Maildir.
func (e *drEnv) send(client, from string, to []string, msg string) (reply string, delivered []byte) {
	e.t.Helper()
	newDir := filepath.Join(e.dir, "maildir", "new")
	before, _ := os.ReadDir(newDir)
	d := net.Dialer{Timeout: 5 * time.Second, LocalAddr: &net.TCPAddr{IP: net.ParseIP(client)}}
	conn, err := d.Dial("tcp", e.srv.Addrs()["inbound"][0].String())
	if err != nil {
		e.t.Fatal(err)
	}
	c := smtp.NewClient(conn)
	defer c.Close()
	if err := c.Hello("client.example"); err != nil {
		e.t.Fatal(err)
	}
	fail := func(err error) string {
		if se, ok := err.(*smtp.SMTPError); ok {
			return fmt.Sprintf("%d %d.%d.%d", se.Code, se.EnhancedCode[0], se.EnhancedCode[1], se.EnhancedCode[2])
		}
		return err.Error()
	}
	if err := c.Mail(from, nil); err != nil {
		return fail(err), nil
	}
	for _, rc := range to {
		if err := c.Rcpt(rc, nil); err != nil {
			return fail(err), nil
		}
	}
	w, err := c.Data()
	if err != nil {
		return fail(err), nil
	}
	io.WriteString(w, msg)
	if err := w.Close(); err != nil {
		return fail(err), nil
	}
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		files, _ := os.ReadDir(newDir)
		if len(files) > len(before) {
			for _, f := range files {
				if !slicesContainsName(before, f.Name()) {
					b, err := os.ReadFile(filepath.Join(newDir, f.Name()))
					if err != nil {
						e.t.Fatal(err)
					}
					return "250", b
				}
			}
		}
	}
	e.t.Fatal("the message the gateway took was not delivered within 10s")
	return "", nil
}

func slicesContainsName(es []os.DirEntry, name string) bool {
	for _, e := range es {
		if e.Name() == name {
			return true
		}
	}
	return false
}

var drBoundaryRE = regexp.MustCompile(`=_mugai_[0-9a-f]+`)

// comparable is a rebuilt message as its reader gets it (the header,
// each part's decoded content), with what differs between two rebuilds
// of one original taken out: the gateway's trace field (Received), the
// boundaries (random), the quarantine id, which is each original's own
// (the dry run writes DRY-RUN there), and for an original without them,
// the Date written (the time received) and the Message-ID made (from the
// queue id, DRY-RUN in the dry run).
func comparable(t *testing.T, b []byte) string {
	t.Helper()
	m, err := message.Read(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("rebuilt message does not parse: %v\n%s", err, b)
	}
	qid := m.Header.Get("X-Mugai-Original-Id")
	m.Header.Del("Received")
	if d, err := netmail.ParseDate(m.Header.Get("Date")); err == nil && time.Since(d).Abs() < 10*time.Minute {
		m.Header.Set("Date", "(the time received)")
	}
	if id := m.Header.Get("Message-Id"); strings.HasPrefix(id, "<mugai.") {
		m.Header.Set("Message-Id", "<mugai.(id)"+id[strings.IndexByte(id, '@'):])
	}
	var sb strings.Builder
	fields := m.Header.Fields()
	for fields.Next() {
		fmt.Fprintf(&sb, "%s: %s\n", fields.Key(), fields.Value())
	}
	m.Walk(func(path []int, e *message.Entity, err error) error {
		if err != nil {
			t.Fatalf("part %v: %v", path, err)
		}
		if !strings.HasPrefix(e.Header.Get("Content-Type"), "multipart/") {
			body, err := io.ReadAll(e.Body)
			if err != nil {
				t.Fatalf("part %v: %v", path, err)
			}
			fmt.Fprintf(&sb, "--- part %v %s\n%s\n", path, e.Header.Get("Content-Type"), body)
		}
		return nil
	})
	s := drBoundaryRE.ReplaceAllString(sb.String(), "=_mugai_B")
	if qid != "" {
		s = strings.ReplaceAll(s, qid, "QID")
	}

	return s
}

const drPDF = "%PDF-1.4\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n2 0 obj\n<< /Type /Pages /Kids [] /Count 0 >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"

func drMessage(subject, body string) string {
	return "From: Sato <sato@pref.example.lg.jp>\r\nTo: kikaku@city.example.lg.jp\r\nSubject: " + subject +
		"\r\nDate: Fri, 27 Nov 2026 09:00:00 +0900\r\nMessage-ID: <" + strings.ReplaceAll(subject, " ", "-") + "@pref.example.lg.jp>\r\nMIME-Version: 1.0\r\n" +
		"Content-Type: multipart/mixed; boundary=\"b\"\r\n\r\n--b\r\nContent-Type: text/html; charset=utf-8\r\n\r\n" +
		"<p>" + body + " <a href=\"https://pref.example.lg.jp/a\">資料</a></p>\r\n--b\r\n" +
		"Content-Type: application/pdf; name=\"shiryou.pdf\"\r\nContent-Disposition: attachment; filename=\"shiryou.pdf\"\r\n\r\n" +
		drPDF + "\r\n--b--\r\n"
}

// TestDryRunAsDelivered: for one message, envelope and sending server,
// mugai sanitize with the rule-choosing flags gives the verdict and the
// rebuilt message the running gateway delivers, but for the trace field,
// the boundaries and the quarantine id.
func TestDryRunAsDelivered(t *testing.T) {
	e := startDrEnv(t)
	tests := []struct {
		name   string
		client string
		from   string
		to     []string
		msg    string
	}{
		{"route policy", "127.0.0.1", "sato@pref.example.lg.jp", []string{"kikaku@city.example.lg.jp"}, drMessage("route policy", "本文")},
		{"rule with clients", "127.0.0.9", "sato@pref.example.lg.jp", []string{"kikaku@city.example.lg.jp"}, drMessage("rule policy", "本文")},
		// MAIL FROM:<>, a bounce: -from '<>'.
		{"the null sender", "127.0.0.9", "", []string{"kikaku@city.example.lg.jp"}, drMessage("bounce", "本文")},
		// No original kept: the notice has no id to give.
		{"original discarded", "127.0.0.1", "sato@pref.example.lg.jp", []string{"jinji@city.example.lg.jp"}, drMessage("discarded", "本文")},
		{"line feeds only", "127.0.0.9", "sato@pref.example.lg.jp", []string{"kikaku@city.example.lg.jp", "soumu@city.example.lg.jp"},
			strings.ReplaceAll(drMessage("line feeds", "本文"), "\r\n", "\n")},
		{"bare carriage returns", "127.0.0.1", "sato@pref.example.lg.jp", []string{"kikaku@city.example.lg.jp"},
			strings.Replace(drMessage("carriage returns", "本文"), "Subject: carriage returns\r\n", "Subject: carriage returns\rX-Evil: 1\r\n", 1)},
		// No line break at the end: the SMTP client adds one before its
		// final dot.
		{"no final line break", "127.0.0.9", "sato@pref.example.lg.jp", []string{"kikaku@city.example.lg.jp"},
			strings.TrimSuffix(drMessage("no final line break", "本文"), "\r\n")},
		{"text without final line break", "127.0.0.1", "sato@pref.example.lg.jp", []string{"kikaku@city.example.lg.jp"},
			"From: sato@pref.example.lg.jp\r\nSubject: plain\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n44GT44KT44Gr44Gh44Gv"},
		// Lines starting with a dot, stuffed and unstuffed on the way;
		// raw UTF-8 in the header; a forged verdict.
		{"dots, raw UTF-8, a forged verdict", "127.0.0.1", "sato@pref.example.lg.jp", []string{"kikaku@city.example.lg.jp"},
			"From: 佐藤 <sato@pref.example.lg.jp>\r\nSubject: 件名 .test\r\nX-Mugai-Sanitized: none\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n.\r\n..two\r\n.https://evil.example/x\r\n"},
		// No From, Date or Message-ID: both write the envelope sender,
		// the time received and a Message-ID of their own.
		{"no From, Date or Message-ID", "127.0.0.1", "sato@pref.example.lg.jp", []string{"kikaku@city.example.lg.jp"},
			"To: kikaku@city.example.lg.jp\r\nSubject: scan\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nscanned\r\n"},
		{"ISO-2022-JP", "127.0.0.1", "sato@pref.example.lg.jp", []string{"kikaku@city.example.lg.jp"},
			"From: sato@pref.example.lg.jp\r\nSubject: =?ISO-2022-JP?B?GyRCNEE7ehsoQg==?=\r\nContent-Type: text/plain; charset=ISO-2022-JP\r\n\r\n\x1b$B$3$s$K$A$O\x1b(B http://example.jp/\r\n"},
		// What the route refuses, the dry run refuses too.
		{"over max_message_size", "127.0.0.1", "sato@pref.example.lg.jp", []string{"kikaku@city.example.lg.jp"},
			drMessage("too big", strings.Repeat("長い本文。\r\n", 20<<10))},
		// 140 KB as written, 209 KB as received.
		{"over max_message_size once its line ends are CRLF", "127.0.0.1", "sato@pref.example.lg.jp", []string{"kikaku@city.example.lg.jp"},
			strings.ReplaceAll(drMessage("too big", strings.Repeat("x\n", 68<<10)), "\r\n", "\n")},
		{"a line over 64 KiB", "127.0.0.1", "sato@pref.example.lg.jp", []string{"kikaku@city.example.lg.jp"},
			drMessage("long line", strings.Repeat("x", 65<<10))},
		// A mail loop (RFC 5321 6.3).
		{"over 100 Received fields", "127.0.0.1", "sato@pref.example.lg.jp", []string{"kikaku@city.example.lg.jp"},
			strings.Repeat("Received: from a.example by b.example; Tue, 5 Mar 2024 09:30:00 +0900\r\n", 101) + drMessage("loop", "本文")},
		{"a recipient not in recipients.file", "127.0.0.1", "sato@pref.example.lg.jp", []string{"kikaku@city.example.lg.jp", "nobody@city.example.lg.jp"},
			drMessage("unknown user", "本文")},
		{"more recipients than max_recipients", "127.0.0.9", "sato@pref.example.lg.jp",
			[]string{"kikaku@city.example.lg.jp", "soumu@city.example.lg.jp", "jinji@city.example.lg.jp", "zaimu@city.example.lg.jp"},
			drMessage("many recipients", "本文")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			reply, delivered := e.send(tt.client, tt.from, tt.to, tt.msg)
			input := filepath.Join(t.TempDir(), "in.eml")
			os.WriteFile(input, []byte(tt.msg), 0o600)
			var o, se bytes.Buffer
			from := tt.from
			if from == "" {
				from = "<>"
			}
			code := runSanitize([]string{"-config", e.file, "-route", "inbound", "-client", tt.client, "-from", from, "-to", strings.Join(tt.to, ","), input}, nil, &o, &se)
			t.Logf("gateway: %s; dry run: exit %d, %s", reply, code, strings.TrimSpace(se.String()))
			if reply != "250" {
				if code != 1 || !strings.Contains(se.String(), "refuses") || !strings.Contains(se.String(), reply) {
					t.Fatalf("the gateway answered %s; the dry run exited %d:\n%s", reply, code, se.String())
				}
				return
			}
			if code != 0 {
				t.Fatalf("the gateway delivered the message; the dry run exited %d: %s", code, se.String())
			}
			if got, want := comparable(t, o.Bytes()), comparable(t, delivered); got != want {
				t.Errorf("the dry run's message is not the one delivered:\n--- dry run\n%s\n--- delivered\n%s", got, want)
			}
		})
	}
}

// TestDryRunUnderLockdown: while the gateway's lockdown is on, the dry
// run rebuilds a message as the gateway delivers it then (the PDF the
// rule's policy keeps is stripped, the link removed), and says so;
// -lockdown off shows it as without the lockdown.
func TestDryRunUnderLockdown(t *testing.T) {
	e := startDrEnv(t)
	if _, err := e.srv.SetLockdown(true, "test", "an incident"); err != nil {
		t.Fatal(err)
	}
	msg := drMessage("lockdown", "本文")
	reply, delivered := e.send("127.0.0.9", "sato@pref.example.lg.jp", []string{"kikaku@city.example.lg.jp"}, msg)
	if reply != "250" {
		t.Fatalf("gateway: %s", reply)
	}
	input := filepath.Join(t.TempDir(), "in.eml")
	os.WriteFile(input, []byte(msg), 0o600)
	for _, tt := range []struct {
		flags     []string
		same      bool
		stderrHas string
	}{
		{nil, true, "the lockdown is on (" + filepath.Join(e.dir, "spool", "lockdown") + "; since " + localTime(e.srv.LockdownStatus().Since) + ` by test: an incident): policy "relaxed" is applied as the gateway applies it now`},
		{[]string{"-lockdown", "on"}, true, `rule "prefecture" picks policy "relaxed"`},
		{[]string{"-lockdown", "off"}, false, `rule "prefecture" picks policy "relaxed"`},
	} {
		var o, se bytes.Buffer
		args := append([]string{"-config", e.file, "-client", "127.0.0.9", "-from", "sato@pref.example.lg.jp", "-to", "kikaku@city.example.lg.jp"}, tt.flags...)
		if code := runSanitize(append(args, input), nil, &o, &se); code != 0 {
			t.Fatalf("%v: exit %d: %s", tt.flags, code, se.String())
		}
		if !strings.Contains(se.String(), tt.stderrHas) {
			t.Errorf("%v: stderr lacks %q:\n%s", tt.flags, tt.stderrHas, se.String())
		}
		got, want := comparable(t, o.Bytes()), comparable(t, delivered)
		if (got == want) != tt.same {
			t.Errorf("%v: dry run the same as delivered: %v, want %v:\n--- dry run\n%s\n--- delivered\n%s", tt.flags, got == want, tt.same, got, want)
		}
	}
	if !strings.Contains(string(delivered), "attachments-removed=1") {
		t.Errorf("the gateway under lockdown delivered:\n%s", delivered)
	}
}

// TestDryRunAsksTheGateway: the dry run takes the lockdown as the running
// gateway has it, not its marker alone: on in the gateway with no marker
// (a full disk kept it from being written), it applies the lockdown; a
// marker left while the gateway runs without it is said, and not applied.
func TestDryRunAsksTheGateway(t *testing.T) {
	e := startDrEnv(t, `admin: {listen: "127.0.0.1:0"}`, `admin: {listen: "`+freePort(t)+`"}`)
	marker := filepath.Join(e.dir, "spool", "lockdown")
	msg := drMessage("lockdown", "本文")
	input := filepath.Join(t.TempDir(), "in.eml")
	os.WriteFile(input, []byte(msg), 0o600)
	args := []string{"-config", e.file, "-client", "127.0.0.9", "-from", "sato@pref.example.lg.jp", "-to", "kikaku@city.example.lg.jp", input}
	run := func() (sanitized, stderr string) {
		var o, se bytes.Buffer
		if code := runSanitize(args, nil, &o, &se); code != 0 {
			t.Fatalf("exit %d: %s", code, se.String())
		}
		_, v, _ := strings.Cut(o.String(), "X-Mugai-Sanitized: ")
		v, _, _ = strings.Cut(v, "\r\n")
		return v, se.String()
	}

	if _, err := e.srv.SetLockdown(true, "test", "an incident"); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(marker); err != nil {
		t.Fatal(err)
	}
	out, stderr := run()
	if !strings.Contains(stderr, "the lockdown is on (") || !strings.Contains(out, " lockdown") {
		t.Errorf("gateway on, marker gone: the dry run did not apply the lockdown:\n%s\n%s", stderr, out)
	}

	if _, err := e.srv.SetLockdown(false, "test", "over"); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(marker, []byte("on since 2026-11-28T07:25:06Z by root: left\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	out, stderr = run()
	if strings.Contains(stderr, "the lockdown is on (") || strings.Contains(out, "lockdown") || out == "" {
		t.Errorf("gateway off, a marker left: the dry run applied the lockdown:\n%s\n%s", stderr, out)
	}
	if !strings.Contains(stderr, "mugai sanitize: lockdown: ") || !strings.Contains(stderr, marker) {
		t.Errorf("gateway off, a marker left: the dry run does not say so:\n%s", stderr)
	}
}
