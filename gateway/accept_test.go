package gateway

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"crypto/tls"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"io"
	"mime"
	"mime/multipart"
	"net"
	"net/mail"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-smtp"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"golang.org/x/text/encoding/japanese"

	"mugai/sanitize/invariant"
)

// mixedMessage has an HTML alternative with a link and an executable
// disguised as a PDF.
func mixedMessage() string {
	exe := base64.StdEncoding.EncodeToString(append([]byte("MZ\x90\x00\x03\x00\x00\x00"), bytes.Repeat([]byte{0}, 200)...))
	return strings.ReplaceAll(`From: Citizen <citizen@example.jp>
To: Staff <staff@lgwan.example>
Subject: =?UTF-8?B?55Sz6KuL5pu4?=
Date: Wed, 25 Nov 2026 10:00:00 +0900
Message-ID: <mixed-1@example.jp>
X-Mugai-Sanitized: none
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="outer"

--outer
Content-Type: multipart/alternative; boundary="alt"

--alt
Content-Type: text/plain; charset=utf-8

申請書を送ります。 https://evil.example/login
--alt
Content-Type: text/html; charset=utf-8

<p>申請書を送ります。 <a href="https://evil.example/login">ログイン</a></p><script>alert(1)</script>
--alt--
--outer
Content-Type: application/pdf; name="invoice.pdf"
Content-Disposition: attachment; filename="invoice.pdf"
Content-Transfer-Encoding: base64

`+exe+`
--outer--
`, "\n", "\r\n")
}

func TestAcceptHappyPath(t *testing.T) {
	dir := t.TempDir()
	g := startGateway(t, gatewayConfig(t, dir, "", ""), false)
	msg := mixedMessage()
	code, text := g.send("inbound", "citizen@example.jp", []string{"staff@lgwan.example"}, msg)
	if code != 250 {
		t.Fatalf("DATA: %d %s", code, text)
	}
	list := g.sp.List()
	if len(list) != 1 {
		t.Fatalf("spool holds %d messages, want 1", len(list))
	}
	m := list[0]
	if m.Env.From != "citizen@example.jp" || len(m.Env.To) != 1 || m.Env.To[0] != "staff@lgwan.example" || m.Env.Policy != "default" {
		t.Errorf("envelope %+v", m.Env)
	}
	body, err := g.sp.Body(m.ID)
	if err != nil {
		t.Fatal(err)
	}
	out, _ := io.ReadAll(body)
	if err := invariant.Check(bytes.NewReader(out), g.cfg.Policies["default"]); err != nil {
		t.Errorf("spooled message breaks the invariants: %v\n%s", err, out)
	}
	for _, bad := range []string{"https://evil.example", "<script", "TVqQ", "X-Mugai-Sanitized: none"} {
		if bytes.Contains(out, []byte(bad)) {
			t.Errorf("spooled message contains %q", bad)
		}
	}
	if !bytes.HasPrefix(out, []byte("Received: from client.example ([127.0.0.1])\r\n\tby gw.lgwan.example (mugai) with ESMTP id "+m.ID)) {
		t.Errorf("no trace line for this hop:\n%.300s", out)
	}

	// The original is in quarantine, byte for byte.
	if m.Env.QuarantineID == "" {
		t.Fatal("no quarantine id in the envelope")
	}
	meta, err := g.q.Get(m.Env.QuarantineID)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256([]byte(msg))
	if meta.SHA256 != hex.EncodeToString(sum[:]) {
		t.Errorf("quarantined SHA-256 %s, sent %x", meta.SHA256, sum)
	}
	orig, err := g.q.Original(meta.ID)
	if err != nil {
		t.Fatal(err)
	}
	ob, _ := io.ReadAll(orig)
	orig.Close()
	if string(ob) != msg {
		t.Error("quarantined original differs from what was sent")
	}
	if !strings.Contains(string(out), "X-Mugai-Original-Id: "+meta.ID) {
		t.Error("rebuilt message does not name its quarantined original")
	}

	// Metrics and the audit record say what happened.
	if v := testutil.ToFloat64(g.m.Attachments.WithLabelValues("strip", "executable")); v != 1 {
		t.Errorf("attachments_total{strip,executable} = %v, want 1", v)
	}
	if v := testutil.ToFloat64(g.m.MessagesVerdict.WithLabelValues("inbound", "default", "rebuilt")); v != 1 {
		t.Errorf("messages_verdict_total{rebuilt} = %v, want 1", v)
	}
	recs := readAudit(t, g.audit)
	if len(recs) != 1 {
		t.Fatalf("%d audit records, want 1", len(recs))
	}
	r := recs[0]
	if r.Verdict != "rebuilt" || r.QueueID != m.ID || r.QuarantineID != meta.ID || r.Reply != 250 || r.Client != "127.0.0.1" || r.EHLO != "client.example" || len(r.Removed) != 1 || r.Removed[0].SHA256 == "" {
		t.Errorf("audit record %+v", r)
	}
}

func readAudit(t *testing.T, path string) []AuditRecord {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []AuditRecord
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 16<<20) // as much as mugai audit verify reads
	for sc.Scan() {
		var r AuditRecord
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			t.Fatalf("audit line %q: %v", sc.Text(), err)
		}
		out = append(out, r)
	}
	return out
}

func TestRelayRefusedOverSMTP(t *testing.T) {
	g := startGateway(t, gatewayConfig(t, t.TempDir(), "", ""), false)
	c := g.dial("inbound")
	if err := c.Mail("someone@example.jp", nil); err != nil {
		t.Fatal(err)
	}
	for addr, want := range map[string]int{
		"user@other.example":                 250 + 300, // 550
		"user%other.example@lgwan.example":   550,
		`"user@other.example"@lgwan.example`: 550,
		"user@[127.0.0.1]":                   550,
		"user@LGWAN.example.":                250,
	} {
		err := c.Rcpt(addr, nil)
		got := 250
		if err != nil {
			got, _ = smtpCode(err)
		}
		if want == 550 && got/100 != 5 || want == 250 && got != 250 {
			t.Errorf("RCPT %s: %d, want %d", addr, got, want)
		}
	}
	if v := testutil.ToFloat64(g.m.SMTPRejects.WithLabelValues("inbound", "rcpt", "550")); v < 3 {
		t.Errorf("smtp_rejects_total{rcpt,550} = %v", v)
	}
}

func TestPolicyRejectAndPassThrough(t *testing.T) {
	dir := t.TempDir()
	extra := `  - name: outbound
    listen: ["127.0.0.1:0"]
    hostname: out.lgwan.example
    clients: ["127.0.0.0/8"]
    domains: ["*"]
    policy: none
    deliver: {to: "maildir:` + dir + `/out"}`
	cfg := gatewayConfig(t, dir, "", extra)
	p := cfg.Policies["default"]
	p.Attachments.Default = "reject"
	cfg.Policies["default"] = p
	g := startGateway(t, cfg, false)

	code, text := g.send("inbound", "a@example.jp", []string{"staff@lgwan.example"}, mixedMessage())
	if code != 550 || !strings.Contains(text, "5.7.1") {
		t.Errorf("policy reject: %d %s, want 550 5.7.1", code, text)
	}
	// Counted under the code answered, the series metrics pre-creates.
	if v := testutil.ToFloat64(g.m.SMTPRejects.WithLabelValues("inbound", "data", "550")); v != 1 {
		t.Errorf("smtp_rejects_total{data,550} = %v after a policy rejection", v)
	}
	if n := len(g.sp.List()); n != 0 {
		t.Errorf("a rejected message left %d spool entries", n)
	}
	// The pass-through route relays the original unchanged (plus trace).
	msg := "From: a@lgwan.example\r\nTo: b@example.com\r\nSubject: out\r\n\r\n<html>kept as is</html>\r\n"
	if code, text := g.send("outbound", "a@lgwan.example", []string{"b@example.com"}, msg); code != 250 {
		t.Fatalf("outbound: %d %s", code, text)
	}
	list := g.sp.List()
	if len(list) != 1 || list[0].Env.Route != "outbound" || list[0].Env.Policy != "none" {
		t.Fatalf("outbound spool %+v", list)
	}
	b, _ := g.sp.Body(list[0].ID)
	out, _ := io.ReadAll(b)
	if !strings.HasSuffix(string(out), msg) || !strings.HasPrefix(string(out), "Received: ") {
		t.Errorf("pass-through changed the message:\n%s", out)
	}
}

func TestClientNetworkRefused(t *testing.T) {
	cfg := gatewayConfig(t, t.TempDir(), "", "", `clients: ["127.0.0.0/8"]`, `clients: ["10.0.0.0/8"]`)
	g := startGateway(t, cfg, false)
	conn, err := net.Dial("tcp", g.addr("inbound"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	line, _ := bufio.NewReader(conn).ReadString('\n')
	if !strings.HasPrefix(line, "554 5.7.1 ") {
		t.Errorf("greeting to a refused network: %q, want 554 5.7.1", line)
	}
	if v := testutil.ToFloat64(g.m.SMTPConnections.WithLabelValues("inbound", "refused")); v != 1 {
		t.Errorf("smtp_connections_total{refused} = %v", v)
	}
	// The 554 is a refusal at the connect stage, as the metric's table in
	// deploy/README.md and the series InitRoute creates at 0 say.
	if v := testutil.ToFloat64(g.m.SMTPRejects.WithLabelValues("inbound", "connect", "554")); v != 1 {
		t.Errorf("smtp_rejects_total{stage=connect,code=554} = %v, want 1", v)
	}
}

func TestStartTLSAndRequire(t *testing.T) {
	dir := t.TempDir()
	cert, key, pool := selfSigned(t, dir)
	cfg := gatewayConfig(t, dir, "", "", "    policy: default\n", "    policy: default\n    tls: {cert: "+cert+", key: "+key+", require: true}\n")
	g := startGateway(t, cfg, false)

	// Without TLS, MAIL is refused.
	c := g.dial("inbound")
	if ok, _ := c.Extension("STARTTLS"); !ok {
		t.Fatal("STARTTLS not offered")
	}
	if code, _ := smtpCode(c.Mail("a@example.jp", nil)); code != 530 {
		t.Errorf("MAIL before STARTTLS: %d, want 530", code)
	}
	// With TLS (certificate verified against the test CA), it is accepted.
	c2, err := smtp.DialStartTLS(g.addr("inbound"), &tls.Config{RootCAs: pool, ServerName: "gw.lgwan.example"})
	if err != nil {
		t.Fatal(err)
	}
	defer c2.Close()
	if code, text := sendOn(c2, "a@example.jp", []string{"s@lgwan.example"}, "Subject: tls\r\n\r\nhello\r\n"); code != 250 {
		t.Fatalf("over TLS: %d %s", code, text)
	}
	list := g.sp.List()
	if len(list) != 1 || !list[0].Env.TLS {
		t.Fatalf("spooled envelope does not record TLS: %+v", list)
	}
	b, _ := g.sp.Body(list[0].ID)
	out, _ := io.ReadAll(b)
	if !strings.Contains(string(out), "with ESMTPS id") {
		t.Errorf("trace line does not say ESMTPS:\n%.200s", out)
	}
	if v := testutil.ToFloat64(g.m.SMTPTLSSessions.WithLabelValues("inbound")); v != 1 {
		t.Errorf("smtp_tls_sessions_total = %v, want 1", v)
	}
}

// citizenAttachment is a message from a citizen to staff with a text body
// and one base64 attachment under the given part header lines.
func citizenAttachment(subject, partHeader, b64 string) string {
	return strings.ReplaceAll(`From: citizen@example.jp
To: staff@lgwan.example
Subject: `+subject+`
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="b"

--b
Content-Type: text/plain; charset=utf-8

see attached
--b
`+partHeader+`
Content-Transfer-Encoding: base64

`+b64+`
--b--
`, "\n", "\r\n")
}

// A file name with a right-to-left override reaches the audit trail
// escaped: an operator reading the log in a terminal sees
// "invoice\u202Efdp.exe", not a name that displays as "invoiceexe.pdf".
func TestAuditShowsInvisibleCharacters(t *testing.T) {
	g := startGateway(t, gatewayConfig(t, t.TempDir(), "", ""), false)
	exe := base64.StdEncoding.EncodeToString(append([]byte("MZ\x90\x00\x03\x00\x00\x00"), bytes.Repeat([]byte{0}, 200)...))
	msg := citizenAttachment("invoice", "Content-Type: application/octet-stream\nContent-Disposition: attachment; filename*=utf-8''invoice%E2%80%AEfdp.exe", exe)
	if code, text := g.send("inbound", "citizen@example.jp", []string{"staff@lgwan.example"}, msg); code != 250 {
		t.Fatalf("DATA: %d %s", code, text)
	}
	raw, err := os.ReadFile(g.audit)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(raw, []byte("\u202e")) {
		t.Errorf("audit trail holds a raw U+202E:\n%s", raw)
	}
	recs := readAudit(t, g.audit)
	if len(recs) != 1 || len(recs[0].Removed) != 1 {
		t.Fatalf("audit records %+v", recs)
	}
	if got, want := recs[0].Removed[0].Name, `invoice\u202Efdp.exe`; got != want {
		t.Errorf("removed attachment named %q in the audit trail, want %q", got, want)
	}
}

// A CSV the policy keeps crosses with its formula and link neutralised,
// in its own Shift_JIS; the metrics count it and the audit record lists
// the kept file with its original's hash and what was changed.
func TestKeptCSVNeutralised(t *testing.T) {
	nh := startSink(t, false)
	g := startGateway(t, gatewayConfig(t, t.TempDir(), "smtp://"+nh.addr, "",
		"  default: {}", "  default: {attachments: {keep: [{extensions: [.csv], types: [text/plain]}]}}"), true)
	csv, err := japanese.ShiftJIS.NewEncoder().String("件名,金額,リンク\r\n請求書,-1200,=HYPERLINK(\"https://evil.example/a\",\"開く\")\r\n")
	if err != nil {
		t.Fatal(err)
	}
	want, err := japanese.ShiftJIS.NewEncoder().String("件名,金額,リンク\r\n請求書,-1200,'=HYPERLINK(\"hxxps://evil[.]example/a\",\"開く\")\r\n")
	if err != nil {
		t.Fatal(err)
	}
	msg := citizenAttachment("list", "Content-Type: text/csv; charset=shift_jis\nContent-Disposition: attachment; filename=\"seikyu.csv\"", base64.StdEncoding.EncodeToString([]byte(csv)))
	if code, text := g.send("inbound", "citizen@example.jp", []string{"staff@lgwan.example"}, msg); code != 250 {
		t.Fatalf("DATA: %d %s", code, text)
	}
	waitFor(t, "the delivery", 10*time.Second, func() bool { return len(nh.messages()) == 1 })

	m, err := mail.ReadMessage(bytes.NewReader(nh.messages()[0].Data))
	if err != nil {
		t.Fatal(err)
	}
	_, params, _ := mime.ParseMediaType(m.Header.Get("Content-Type"))
	mr := multipart.NewReader(m.Body, params["boundary"])
	var got []byte
	for {
		p, err := mr.NextPart()
		if err != nil {
			break
		}
		if p.FileName() == "seikyu.csv" {
			got, _ = io.ReadAll(base64.NewDecoder(base64.StdEncoding, p))
		}
	}
	if string(got) != want {
		t.Errorf("delivered CSV %q\nwant %q", got, want)
	}

	for series, v := range map[string]float64{
		"attachment-links-defanged": testutil.ToFloat64(g.m.SanitizeActions.WithLabelValues("attachment-links-defanged")),
		"formulas-neutralised":      testutil.ToFloat64(g.m.SanitizeActions.WithLabelValues("formulas-neutralised")),
		"spreadsheet-formula":       testutil.ToFloat64(g.m.SanitizeFindings.WithLabelValues("spreadsheet-formula")),
		"keep text":                 testutil.ToFloat64(g.m.Attachments.WithLabelValues("keep", "text")),
	} {
		if v != 1 {
			t.Errorf("%s counted %v times, want 1", series, v)
		}
	}
	recs := readAudit(t, g.audit)
	if len(recs) == 0 || len(recs[0].Kept) != 1 {
		t.Fatalf("audit records %+v", recs)
	}
	k := recs[0].Kept[0]
	sum := sha256.Sum256([]byte(csv))
	if k.Name != "seikyu.csv" || k.SHA256 != hex.EncodeToString(sum[:]) || !strings.Contains(k.Reason, "1 link defanged, 1 spreadsheet formula made text") {
		t.Errorf("audit lists the kept file as %+v", k)
	}
}

// TestQuarantineNamelessRemoved: a part removed without a file name (an
// inline image, say) is listed in the quarantine by its place and type,
// which is what `mugai quarantine list` shows of it; a named one by its
// name.
func TestQuarantineNamelessRemoved(t *testing.T) {
	g := startGateway(t, gatewayConfig(t, t.TempDir(), "", ""), false)
	png := base64.StdEncoding.EncodeToString([]byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"))
	msg := strings.ReplaceAll(`From: citizen@example.jp
To: staff@lgwan.example
Subject: map
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="b"

--b
Content-Type: text/plain; charset=utf-8

see the map
--b
Content-Type: image/png
Content-Transfer-Encoding: base64

`+png+`
--b
Content-Type: application/octet-stream; name="tool.exe"
Content-Transfer-Encoding: base64

TVqQAAMAAAAEAAAA
--b--
`, "\n", "\r\n")
	if code, text := g.send("inbound", "citizen@example.jp", []string{"staff@lgwan.example"}, msg); code != 250 {
		t.Fatalf("DATA: %d %s", code, text)
	}
	list := g.sp.List()
	if len(list) != 1 {
		t.Fatalf("spool holds %d messages, want 1", len(list))
	}
	meta, err := g.q.Get(list[0].Env.QuarantineID)
	if err != nil {
		t.Fatal(err)
	}
	if len(meta.Removed) != 2 || !strings.HasPrefix(meta.Removed[0], "part 2, image/png (") || !strings.HasPrefix(meta.Removed[1], "tool.exe (") {
		t.Errorf("removed %q, want the image as \"part 2, image/png (…)\" and tool.exe by name", meta.Removed)
	}
}
