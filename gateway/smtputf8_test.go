package gateway

import (
	"io"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-smtp"
	"github.com/prometheus/client_golang/prometheus/testutil"
)

// The replies to an address that is refused, as a sending server sees
// them (code, enhanced status code and text).
const (
	replyFromNonASCII = "553 5.6.7 Sender address not accepted: this gateway does not accept non-ASCII (internationalised) addresses"
	replyRcptNonASCII = "553 5.6.7 Recipient address not accepted: this gateway does not accept non-ASCII (internationalised) addresses"
	replyFromSyntax   = "553 5.1.7 Sender address syntax not accepted"
	replyRcptSyntax   = "553 5.1.3 Recipient address syntax not accepted"
)

// replyOf is the reply a go-smtp client call got: "250" for none.
func replyOf(err error) string {
	if err == nil {
		return "250"
	}
	_, s := smtpCode(err)
	return s
}

// TestNonASCIIAddresses: a sanitising route offers SMTPUTF8 (for raw
// UTF-8 header fields, which it rebuilds 7-bit) but takes ASCII
// addresses only. An internationalised address (RFC 6531: UTF-8 in the
// local part, a domain in U-labels), well formed but for that, is
// refused with 553 5.6.7, RFC 6531 3.7.4.1's reply for a server that
// does not take one, saying so: "syntax not accepted" sent the sending
// postmaster looking for a typing mistake in a valid address. What is
// no address in UTF-8 either (bytes that are not UTF-8, a space or a
// control beyond ASCII, an empty label) is still a syntax error, 5.1.7
// and 5.1.3. A domain is taken in its ASCII form (A-labels) where it is
// the route's, as before; in U-labels it is refused as before, now with
// 5.6.7. Each refusal is counted, logged and, for a recipient, in the
// transaction's record.
func TestNonASCIIAddresses(t *testing.T) {
	cfg := gatewayConfig(t, t.TempDir(), "", "", "domains: [lgwan.example]", "domains: [lgwan.example, xn--r8jz45g.jp]")
	g := startGateway(t, cfg, false)
	c := g.dial("inbound")
	if ok, _ := c.Extension("SMTPUTF8"); !ok {
		t.Fatal("the sanitising route does not offer SMTPUTF8")
	}

	senders := []struct{ addr, want string }{
		{"太郎@citizen.example", replyFromNonASCII},
		{"citizen@例え.jp", replyFromNonASCII},
		{"太郎@例え.jp", replyFromNonASCII},
		{"\xff\xfe@citizen.example", replyFromSyntax},     // not UTF-8
		{"taro@citizen\xe3\x83.example", replyFromSyntax}, // a character cut short
		{"太\u3000郎@citizen.example", replyFromSyntax},     // IDEOGRAPHIC SPACE
		{"\u0085taro@citizen.example", replyFromSyntax},   // a C1 control (NEL)
		{"太郎.@citizen.example", replyFromSyntax},
		{"太郎@citizen..example", replyFromSyntax},
		{"太郎@-例え.jp", replyFromSyntax},
		{strings.Repeat("太", 22) + "@citizen.example", replyFromSyntax}, // 66 octets: a local part has 64
	}
	for _, tt := range senders {
		if got := replyOf(c.Mail(tt.addr, &smtp.MailOptions{UTF8: true})); got != tt.want {
			t.Errorf("MAIL FROM:<%s> SMTPUTF8: %q, want %q", tt.addr, got, tt.want)
		}
	}

	if err := c.Mail("citizen@example.jp", &smtp.MailOptions{UTF8: true}); err != nil {
		t.Fatalf("MAIL FROM:<citizen@example.jp> SMTPUTF8: %v", err)
	}
	rcpts := []struct{ addr, want string }{
		{"ユーザー@lgwan.example", replyRcptNonASCII},
		{"user@例え.jp", replyRcptNonASCII},             // the route's xn--r8jz45g.jp in U-labels
		{"user@ｌｇｗａｎ.example", replyRcptNonASCII},     // FULLWIDTH letters, which IDNA maps to lgwan.example
		{"\"ユーザー\"@lgwan.example", replyRcptNonASCII}, // quoted; go-smtp unquotes it
		{"ユーザー@lgwan..example", replyRcptSyntax},
		{"\xe3\x83\xa6\xe3@lgwan.example", replyRcptSyntax}, // not UTF-8
		{"ユーザー\u00a0@lgwan.example", replyRcptSyntax},       // NO-BREAK SPACE
		{"user@xn--r8jz45g.jp", "250"},
		{"user@lgwan.example", "250"},
	}
	for _, tt := range rcpts {
		if got := replyOf(c.Rcpt(tt.addr, nil)); got != tt.want {
			t.Errorf("RCPT TO:<%s>: %q, want %q", tt.addr, got, tt.want)
		}
	}
	w, err := c.Data()
	if err != nil {
		t.Fatal(err)
	}
	io.WriteString(w, "From: citizen@example.jp\r\nSubject: =?UTF-8?B?5LiA?=\r\n\r\nx\r\n")
	if err := w.Close(); err != nil {
		t.Fatalf("end of data: %v", err)
	}

	rec := g.acceptRecord(t)
	var status []string
	for _, r := range rec.Refused {
		status = append(status, r.Status)
	}
	if got, want := strings.Join(status, " "), "5.6.7 5.6.7 5.6.7 5.6.7 5.1.3 5.1.3 5.1.3"; got != want {
		t.Errorf("record's refused: %s, want %s", got, want)
	}
	if rec.Refused[0].Addr != "????@lgwan.example" || rec.Refused[0].Code != 553 {
		t.Errorf("record's first refusal: %+v, want 553 for ????@lgwan.example", rec.Refused[0])
	}
	if got := strings.Join(rec.Rcpts, " "); got != "user@xn--r8jz45g.jp user@lgwan.example" {
		t.Errorf("record's recipients: %s", got)
	}
	if v := testutil.ToFloat64(g.m.SMTPRejects.WithLabelValues("inbound", "mail", "553")); v != float64(len(senders)) {
		t.Errorf("smtp_rejects_total{mail,553} = %v, want %d", v, len(senders))
	}
	if v := testutil.ToFloat64(g.m.SMTPRejects.WithLabelValues("inbound", "rcpt", "553")); v != 7 {
		t.Errorf("smtp_rejects_total{rcpt,553} = %v, want 7", v)
	}
	logs := g.logs.String()
	// A refused MAIL is logged once a second per client at most: the
	// first one is.
	for _, want := range []string{
		`msg="mail refused" route=inbound client=127.0.0.1 from=??@citizen.example code=553 reason="Sender address not accepted: this gateway does not accept non-ASCII (internationalised) addresses"`,
		`msg="recipient refused" route=inbound client=127.0.0.1 rcpt=????@lgwan.example code=553 reason="Recipient address not accepted: this gateway does not accept non-ASCII (internationalised) addresses"`,
		`msg="recipient refused" route=inbound client=127.0.0.1 rcpt=????@lgwan..example code=553 reason="Recipient address syntax not accepted"`,
	} {
		if !strings.Contains(logs, want) {
			t.Errorf("no log line %s", want)
		}
	}
}

// TestNonASCIIAddressesPassThrough: a pass-through route offers no
// SMTPUTF8 and refuses MAIL … SMTPUTF8 (555 5.5.4), as before; an
// internationalised address given without it is refused as on a
// sanitising route, 553 5.6.7, and a raw session can send one.
func TestNonASCIIAddressesPassThrough(t *testing.T) {
	dir := t.TempDir()
	extra := `  - name: outbound
    listen: ["127.0.0.1:0"]
    hostname: out.lgwan.example
    clients: ["127.0.0.0/8"]
    domains: ["*"]
    policy: none
    deliver: {to: "maildir:` + dir + `/out"}`
	g := startGateway(t, gatewayConfig(t, dir, "", extra), false)
	s := rawDial(t, g.addr("outbound"))
	s.reply(5 * time.Second)
	if r := s.cmd("EHLO c.example"); strings.Contains(r, "SMTPUTF8") {
		t.Errorf("EHLO on a pass-through route: %q offers SMTPUTF8", r)
	}
	for _, tt := range []struct{ cmd, want string }{
		{"MAIL FROM:<a@lgwan.example> SMTPUTF8", "504 5.5.4 SMTPUTF8 is not implemented"}, // go-smtp's
		{"MAIL FROM:<太郎@lgwan.example>", replyFromNonASCII},
		{"MAIL FROM:<\xff@lgwan.example>", replyFromSyntax},
		{"MAIL FROM:<a@lgwan.example>", "250 2.0.0 Roger, accepting mail from <a@lgwan.example>"},
		{"RCPT TO:<ユーザー@example.com>", replyRcptNonASCII},
		{"RCPT TO:<user@例え.jp>", replyRcptNonASCII},
		{"RCPT TO:<user@\xe4\xbe.jp>", replyRcptSyntax},
	} {
		if r := s.cmd(tt.cmd); r != tt.want {
			t.Errorf("%s: %q, want %q", tt.cmd, r, tt.want)
		}
	}
	if v := testutil.ToFloat64(g.m.SMTPRejects.WithLabelValues("outbound", "mail", "553")); v != 2 {
		t.Errorf("smtp_rejects_total{outbound,mail,553} = %v, want 2", v)
	}
	if v := testutil.ToFloat64(g.m.SMTPRejects.WithLabelValues("outbound", "rcpt", "553")); v != 3 {
		t.Errorf("smtp_rejects_total{outbound,rcpt,553} = %v, want 3", v)
	}
}

// TestREADMEQuotesAddressReplies: deploy/README.md quotes each reply to
// a refused address as the gateway writes it, so that what a sending
// postmaster reports can be found there.
func TestREADMEQuotesAddressReplies(t *testing.T) {
	b, err := os.ReadFile("../deploy/README.md")
	if err != nil {
		t.Fatal(err)
	}
	text := strings.Join(strings.Fields(string(b)), " ")
	for _, e := range []*smtp.SMTPError{errBadFromSyn, errBadRcptSyn, errNonASCIIFrom, errNonASCIIRcpt, errRelayDenied} {
		if want := "`" + replyText(e) + "`"; !strings.Contains(text, want) {
			t.Errorf("README.md does not quote %s", want)
		}
	}
}
