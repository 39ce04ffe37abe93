package gateway

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"io"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-message"
	_ "github.com/emersion/go-message/charset" // decode ISO-2022-JP, Shift_JIS in the assertions
	"github.com/emersion/go-message/mail"
	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/japanese"

	"mugai/gateway/internal/mtatest"
	"mugai/gateway/spool"
)

// Interoperability with Postfix on both sides of the gateway (issue 8,
// item 1): Postfix as the sending MTA relaying into mugai, Postfix as the
// next hop storing into a Maildir, and Japanese mail through both. Each
// test starts its own private Postfix instances (mtatest) and a gateway
// in the test process; they skip without Postfix or root, and fail
// instead with MUGAI_REQUIRE_INTEROP=1.

// pfWait bounds every wait for Postfix or the gateway: Postfix's queue
// runs every second here, so a message normally crosses in 1 to 3 s.
const pfWait = 30 * time.Second

// pfExe is the start of a Windows executable: enough for any sniffer.
var pfExe = append([]byte("MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00"), bytes.Repeat([]byte{0}, 48)...)

// pfPhishing is an HTML-only message with a link and an executable
// attachment, as Postfix's sendmail reads it (LF line ends).
func pfPhishing(msgID, to string) []byte {
	exe := base64.StdEncoding.EncodeToString(pfExe)
	return []byte("From: Billing <billing@internet.example>\n" +
		"To: " + to + "\n" +
		"Subject: Invoice 2024-117\n" +
		"Date: Mon, 07 Oct 2024 09:30:00 +0900\n" +
		"Message-ID: " + msgID + "\n" +
		"MIME-Version: 1.0\n" +
		"Content-Type: multipart/mixed; boundary=\"outer\"\n" +
		"\n" +
		"--outer\n" +
		"Content-Type: text/html; charset=UTF-8\n" +
		"Content-Transfer-Encoding: 8bit\n" +
		"\n" +
		"<html><body><p>Please check the invoice: <a href=\"https://evil.example/login?id=42\">open invoice</a></p>\n" +
		"<p>請求書をご確認ください。</p><script>alert(1)</script></body></html>\n" +
		"--outer\n" +
		"Content-Type: application/octet-stream; name=\"invoice.exe\"\n" +
		"Content-Disposition: attachment; filename=\"invoice.exe\"\n" +
		"Content-Transfer-Encoding: base64\n" +
		"\n" +
		exe + "\n" +
		"--outer--\n")
}

// checkSanitised asserts what a reader of the delivered message would
// check: no HTML part, no executable, the link not clickable, mugai's
// verdict field present.
func checkSanitised(t *testing.T, raw []byte) {
	t.Helper()
	e, err := message.Read(bytes.NewReader(raw))
	if err != nil {
		t.Fatalf("delivered message does not parse: %v\n%s", err, raw)
	}
	if v := e.Header.Get("X-Mugai-Sanitized"); v == "" {
		t.Errorf("no X-Mugai-Sanitized field:\n%s", raw)
	}
	err = e.Walk(func(path []int, p *message.Entity, err error) error {
		if err != nil {
			return err
		}
		mt, _, _ := p.Header.ContentType()
		if mt == "text/html" {
			t.Errorf("part %v is still text/html", path)
		}
		_, params, _ := p.Header.ContentDisposition()
		if strings.HasSuffix(strings.ToLower(params["filename"]), ".exe") {
			t.Errorf("part %v is the executable %q", path, params["filename"])
		}
		if !strings.HasPrefix(mt, "multipart/") {
			b, _ := io.ReadAll(p.Body)
			if bytes.HasPrefix(b, []byte("MZ")) {
				t.Errorf("part %v carries the executable's bytes", path)
			}
		}
		return nil
	})
	if err != nil {
		t.Errorf("walking the delivered message: %v", err)
	}
	text, files := readable(t, string(raw))
	if len(files) != 0 {
		t.Errorf("attachments delivered: %q", files)
	}
	for _, want := range []string{"open invoice", "hxxps://evil[.]example/login?id=42", "請求書をご確認ください。"} {
		if !strings.Contains(text, want) {
			t.Errorf("delivered text lacks %q:\n%s", want, text)
		}
	}
	for _, bad := range []string{"https://evil.example", "alert(1)", "<a ", "<p>"} {
		if strings.Contains(text, bad) {
			t.Errorf("delivered text still holds %q:\n%s", bad, text)
		}
	}
}

// TestPostfixSender: Postfix relays a message submitted with its
// sendmail to mugai's inbound route; mugai's next hop (a go-smtp sink)
// gets the sanitised message, and the trace fields show the whole path,
// Postfix's queue id included.
func TestPostfixSender(t *testing.T) {
	mtatest.Require(t, "postfix", "sendmail")
	nh := startSink(t, false)
	g := startGateway(t, gatewayConfig(t, t.TempDir(), "smtp://"+nh.addr, ""), true)
	p := mtatest.StartPostfix(t, mtatest.PostfixOptions{RelayHost: g.addr("inbound")})

	const msgID = "<pf-sender-1@internet.example>"
	p.Sendmail(t, "billing@internet.example", []string{"staff@lgwan.example"}, pfPhishing(msgID, "staff@lgwan.example"))
	qid := p.QueueID(t, msgID, pfWait)
	// Postfix's log names mugai's queue id from the 250 reply.
	sent := p.WaitLog(t, regexp.QuoteMeta(qid)+`: to=<staff@lgwan\.example>, relay=127\.0\.0\.1\[127\.0\.0\.1\]:\d+, .*status=sent \(250 2\.0\.0 Ok: queued as ([0-9A-Za-z_-]+)\)`, pfWait)
	mugaiID := sent[1]

	waitFor(t, "the message at mugai's next hop", pfWait, func() bool { return len(nh.messages()) == 1 })
	waitFor(t, "an empty mugai queue", pfWait, func() bool { return len(g.sp.List()) == 0 })
	m := nh.messages()[0]
	if m.From != "billing@internet.example" || strings.Join(m.To, ",") != "staff@lgwan.example" {
		t.Errorf("envelope at the next hop: %q → %q", m.From, m.To)
	}
	got := mtatest.Message{Data: m.Data}
	if ids := got.Header("Message-ID"); len(ids) != 1 || ids[0] != msgID {
		t.Errorf("Message-ID at the next hop: %q, want %s", ids, msgID)
	}
	checkSanitised(t, m.Data)

	trace := got.Header("Received")
	all := strings.Join(trace, "\n")
	// mugai's own trace field: from Postfix (its EHLO name), by the
	// gateway, with mugai's queue id.
	mugaiRe := regexp.MustCompile(`^from ` + regexp.QuoteMeta(p.Hostname()) + ` \(\[127\.0\.0\.1[^\]]*\]\) by gw\.lgwan\.example \(mugai\) with ESMTP id ` + regexp.QuoteMeta(mugaiID) + `\b`)
	if len(trace) == 0 || !mugaiRe.MatchString(trace[0]) {
		t.Errorf("topmost Received is not mugai's, from %s with id %s:\n%s", p.Hostname(), mugaiID, all)
	}
	// Postfix's trace field (pickup: "by HOST (Postfix, from userid 0) id
	// QUEUEID;"), carried over below mugai's (RFC 5321 4.4: a relay adds
	// its Received field and never deletes earlier ones).
	pfRe := regexp.MustCompile(`by ` + regexp.QuoteMeta(p.Hostname()) + ` \(Postfix, from userid 0\)\s+id ` + regexp.QuoteMeta(qid) + `;`)
	found := false
	for i, r := range trace {
		if pfRe.MatchString(r) {
			found = true
			if i == 0 {
				t.Errorf("Postfix's Received field is above mugai's:\n%s", all)
			}
		}
	}
	if !found {
		t.Errorf("Postfix's queue id %s is not in the Received fields delivered by mugai (want a field matching %q):\n%s\n\ndelivered header:\n%s",
			qid, pfRe, all, headerOf(m.Data))
	} else if names := headerFieldNames(headerOf(m.Data)); len(names) < 2 || names[0] != "Received" || names[1] != "Received" || !pfRe.MatchString(trace[1]) {
		// RFC 5322 3.6: trace fields lead the header, newest first.
		t.Errorf("Postfix's Received field is not directly below mugai's at the top of the header (fields: %q):\n%s", names, headerOf(m.Data))
	}
	p.WaitQueueEmpty(t, pfWait)
}

// headerOf returns the header block of a message, for failure messages.
func headerOf(raw []byte) []byte {
	raw = bytes.ReplaceAll(raw, []byte("\r\n"), []byte("\n"))
	if i := bytes.Index(raw, []byte("\n\n")); i >= 0 {
		return raw[:i+1]
	}
	return raw
}

// TestPostfixNextHop: mugai delivers to a Postfix that is the final
// destination and stores into a Maildir. A 5xx at RCPT fails the
// recipient with Postfix's reply; a 4xx defers it, and once Postfix
// accepts, the stored message is byte for byte what mugai spooled.
func TestPostfixNextHop(t *testing.T) {
	p := mtatest.StartPostfix(t, mtatest.PostfixOptions{
		Port:           mtatest.FreePort(t),
		MailboxDomains: []string{"lgwan.example"},
		RecipientAccess: map[string]string{
			"busy@lgwan.example": "450 4.2.0 mailbox busy",
			"gone@lgwan.example": "550 5.1.1 no such user",
		},
	})
	g := startGateway(t, gatewayConfig(t, t.TempDir(), "smtp://"+p.Addr(), ""), true)
	find := func(rcpt string) (spool.Message, bool) {
		for _, m := range g.sp.List() {
			if len(m.Env.To) == 1 && m.Env.To[0] == rcpt {
				return m, true
			}
		}
		return spool.Message{}, false
	}

	// 5xx: failed for good, with Postfix's reply text.
	if code, text := g.send("inbound", "billing@internet.example", []string{"gone@lgwan.example"},
		crlf(pfPhishing("<pf-gone@internet.example>", "gone@lgwan.example"))); code != 250 {
		t.Fatalf("send: %d %s", code, text)
	}
	var gone spool.Message
	waitFor(t, "the 5xx recipient to fail", pfWait, func() bool {
		m, ok := find("gone@lgwan.example")
		gone = m
		return ok && m.Rcpts[0].State == spool.Failed
	})
	if le := gone.Rcpts[0].LastError; !strings.HasPrefix(le, "550") || !strings.Contains(le, "5.1.1") || !strings.Contains(le, "no such user") {
		t.Errorf("last error of the 5xx recipient: %q, want Postfix's 550 5.1.1 ... no such user", le)
	}
	if a := gone.Rcpts[0].Attempts; a != 1 {
		t.Errorf("5xx recipient tried %d times, want 1", a)
	}

	// 4xx: deferred, with Postfix's reply text.
	if code, text := g.send("inbound", "billing@internet.example", []string{"busy@lgwan.example"},
		crlf(pfPhishing("<pf-busy@internet.example>", "busy@lgwan.example"))); code != 250 {
		t.Fatalf("send: %d %s", code, text)
	}
	var busy spool.Message
	waitFor(t, "the 4xx recipient to be deferred", pfWait, func() bool {
		m, ok := find("busy@lgwan.example")
		busy = m
		return ok && m.Rcpts[0].State == spool.Deferred && m.Rcpts[0].LastError != ""
	})
	if le := busy.Rcpts[0].LastError; !strings.HasPrefix(le, "450") || !strings.Contains(le, "4.2.0") || !strings.Contains(le, "mailbox busy") {
		t.Errorf("last error of the 4xx recipient: %q, want Postfix's 450 4.2.0 ... mailbox busy", le)
	}
	body, err := g.sp.Body(busy.ID)
	if err != nil {
		t.Fatalf("spooled body of %s: %v", busy.ID, err)
	}
	spooled, err := io.ReadAll(body)
	if err != nil {
		t.Fatal(err)
	}
	checkSanitised(t, spooled)

	// Postfix comes back accepting the recipient: the retry delivers.
	p.Stop(t)
	p.Options.RecipientAccess = map[string]string{"gone@lgwan.example": "550 5.1.1 no such user"}
	p.Start(t)
	g.sp.KickAll()
	msgs := p.WaitDelivered(t, "busy@lgwan.example", 1, pfWait)
	waitFor(t, "the delivered message to leave mugai's queue", pfWait, func() bool {
		_, ok := find("busy@lgwan.example")
		return !ok
	})
	if len(msgs) != 1 || msgs[0].MessageID != "<pf-busy@internet.example>" {
		t.Fatalf("Maildir of busy@ holds %d messages: %+v", len(msgs), msgs)
	}
	stored := msgs[0]
	if stored.From != "billing@internet.example" {
		t.Errorf("Return-Path in the Maildir: %q", stored.From)
	}
	// Postfix prepends Return-Path, X-Original-To, Delivered-To and its
	// Received field and stores LF line ends; the rest is what mugai
	// spooled.
	want := bytes.ReplaceAll(spooled, []byte("\r\n"), []byte("\n"))
	if !bytes.HasSuffix(stored.Data, want) {
		t.Errorf("stored message is not the spooled one.\nstored:\n%s\nspooled:\n%s", stored.Data, want)
	} else {
		prefix := mtatest.Message{Data: append(stored.Data[:len(stored.Data)-len(want):len(stored.Data)-len(want)], '\n')}
		if names := strings.Join(headerFieldNames(prefix.Data), " "); names != "Return-Path X-Original-To Delivered-To Received" {
			t.Errorf("Postfix added other fields than its delivery and trace fields (%s):\n%s", names, prefix.Data)
		}
		if r := prefix.Header("Received"); len(r) == 1 && !strings.Contains(r[0], "from gw.lgwan.example") {
			t.Errorf("Postfix's Received field does not name mugai's EHLO: %s", r[0])
		}
	}
	checkSanitised(t, stored.Data)
	st, _ := readable(t, string(stored.Data))
	sp, _ := readable(t, string(spooled))
	if st != sp {
		t.Errorf("decoded text differs between Maildir and spool:\n%s\n----\n%s", st, sp)
	}

	// The failed recipient stayed failed: never tried again, never stored.
	if m, ok := find("gone@lgwan.example"); !ok || m.Rcpts[0].State != spool.Failed || m.Rcpts[0].Attempts != 1 {
		t.Errorf("5xx recipient after the restart: %+v (present %v)", m.Rcpts, ok)
	}
	if d := p.Delivered(t, "gone@lgwan.example"); len(d) != 0 {
		t.Errorf("5xx recipient has %d messages in the Maildir", len(d))
	}
	p.WaitQueueEmpty(t, pfWait)
}

// headerFieldNames lists the field names of a header block.
func headerFieldNames(b []byte) []string {
	var names []string
	for _, line := range strings.Split(string(b), "\n") {
		if line == "" {
			break
		}
		if line[0] == ' ' || line[0] == '\t' {
			continue
		}
		if name, _, ok := strings.Cut(line, ":"); ok {
			names = append(names, name)
		}
	}
	return names
}

// crlf turns LF line ends into CRLF for an SMTP client.
func crlf(b []byte) string {
	return strings.ReplaceAll(string(b), "\n", "\r\n")
}

// encodedWords encodes s as RFC 2047 B encoded words in charset (at
// most 75 characters each, every word complete in itself, as ISO-2022-JP
// words must end in ASCII), folded for a header.
func encodedWords(t *testing.T, enc encoding.Encoding, charset, s string) string {
	t.Helper()
	var words []string
	r := []rune(s)
	for len(r) > 0 {
		for n := len(r); n > 0; n-- {
			b, err := enc.NewEncoder().Bytes([]byte(string(r[:n])))
			if err != nil {
				t.Fatalf("encode %q as %s: %v", string(r[:n]), charset, err)
			}
			w := "=?" + charset + "?B?" + base64.StdEncoding.EncodeToString(b) + "?="
			if len(w) <= 75 || n == 1 {
				words = append(words, w)
				r = r[n:]
				break
			}
		}
	}
	return strings.Join(words, "\n ")
}

// mustEncode encodes s, failing t for a character the charset lacks.
func mustEncode(t *testing.T, enc encoding.Encoding, s string) []byte {
	t.Helper()
	b, err := enc.NewEncoder().Bytes([]byte(s))
	if err != nil {
		t.Fatalf("encode: %v", err)
	}
	return b
}

// bodyAfterNotice returns the text below mugai's notice and its rule,
// line ends normalised to LF.
func bodyAfterNotice(t *testing.T, text string) string {
	t.Helper()
	text = strings.ReplaceAll(text, "\r\n", "\n")
	const rule = "----------------------------------------------------------------------\n\n"
	i := strings.Index(text, rule)
	if i < 0 {
		t.Fatalf("no notice rule in the delivered text:\n%s", text)
	}
	return text[i+len(rule):]
}

// TestPostfixJapanese: Japanese mail in the legacy charsets Japanese
// mailers still send, submitted with Postfix's sendmail, relayed by
// Postfix to mugai, delivered by mugai to a second Postfix's Maildir,
// and readable there: subject and text equal to what was written.
func TestPostfixJapanese(t *testing.T) {
	recv := mtatest.StartPostfix(t, mtatest.PostfixOptions{MailboxDomains: []string{"lgwan.example"}})
	g := startGateway(t, gatewayConfig(t, t.TempDir(), "smtp://"+recv.Addr(), ""), true)
	send := mtatest.StartPostfix(t, mtatest.PostfixOptions{RelayHost: g.addr("inbound")})

	const isoText = "住民課 ご担当者様\n" +
		"\n" +
		"いつもお世話になっております。㈱髙橋商店の髙橋です。\n" +
		"住民票の写しを①通、印鑑登録証明書を②通お願いいたします。\n" +
		"ﾊﾝｶｸｶﾀｶﾅﾃﾞｽ ｱｲｳｴｵ｡｢ﾃｽﾄ｣\n" +
		"〒100-0001 東京都千代田区千代田１－１\n" +
		"以上、よろしくお願いいたします。"
	const isoSubject = "【申請】住民票の写し①通（㈱髙橋商店）ﾊﾝｶｸ"

	const sjisSubject = "防災訓練のご案内（①会場変更）㈱髙島屋ｶﾀｶﾅ"
	const sjisHTML = "<html><head><meta http-equiv=\"Content-Type\" content=\"text/html; charset=Shift_JIS\">" +
		"<title>表示されないタイトル</title><style>p { color: red }</style></head>\n<body>\n" +
		"<p>各位</p>\n" +
		"<p>令和6年度の<b>防災訓練</b>について、下記のとおりご案内します。</p>\n" +
		"<p>会場：市民会館 ①会議室<br>\n主催：㈱髙島屋 ｿｳﾑﾌﾞ</p>\n" +
		"<p>ご不明な点は総務課までお問い合わせください。</p>\n" +
		"</body></html>\n"
	// The text a reader sees: head dropped, paragraphs and <br> as line
	// breaks (compared with whitespace runs collapsed).
	const sjisText = "各位 令和6年度の防災訓練について、下記のとおりご案内します。 会場：市民会館 ①会議室 主催：㈱髙島屋 ｿｳﾑﾌﾞ ご不明な点は総務課までお問い合わせください。"

	isoBody := mustEncode(t, japanese.ISO2022JP, strings.ReplaceAll(isoText, "\n", "\r\n"))
	for _, c := range isoBody {
		if c >= 0x80 {
			t.Fatalf("ISO-2022-JP body is not 7-bit")
		}
	}
	if !bytes.Contains(isoBody, []byte("\x1b(I")) {
		t.Fatalf("ISO-2022-JP body holds no JIS X 0201 katakana (ESC ( I): %q", isoBody)
	}

	for _, tc := range []struct {
		name, rcpt, msgID string
		subject           string
		header            string // Subject and MIME fields
		body              []byte
		html              bool
		want              string
	}{
		{
			name: "ISO-2022-JP plain text", rcpt: "iso@lgwan.example", msgID: "<pf-jp-iso@internet.example>",
			subject: isoSubject,
			header: "Subject: " + encodedWords(t, japanese.ISO2022JP, "ISO-2022-JP", isoSubject) + "\n" +
				"Content-Type: text/plain; charset=ISO-2022-JP\nContent-Transfer-Encoding: 7bit\n",
			body: bytes.ReplaceAll(isoBody, []byte("\r\n"), []byte("\n")),
			want: isoText,
		},
		{
			name: "Shift_JIS HTML", rcpt: "sjis@lgwan.example", msgID: "<pf-jp-sjis@internet.example>",
			subject: sjisSubject,
			header: "Subject: " + encodedWords(t, japanese.ShiftJIS, "Shift_JIS", sjisSubject) + "\n" +
				"Content-Type: text/html; charset=Shift_JIS\nContent-Transfer-Encoding: 8bit\n",
			body: mustEncode(t, japanese.ShiftJIS, sjisHTML),
			html: true,
			want: sjisText,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var msg bytes.Buffer
			fmt.Fprintf(&msg, "From: %s <sender@internet.example>\nTo: %s\nDate: Tue, 08 Oct 2024 10:00:00 +0900\nMessage-ID: %s\nMIME-Version: 1.0\n%s\n",
				encodedWords(t, japanese.ISO2022JP, "ISO-2022-JP", "山田 太郎"), tc.rcpt, tc.msgID, tc.header)
			msg.Write(tc.body)
			send.Sendmail(t, "sender@internet.example", []string{tc.rcpt}, msg.Bytes())
			qid := send.QueueID(t, tc.msgID, pfWait)
			send.WaitLog(t, regexp.QuoteMeta(qid)+`: to=<`+regexp.QuoteMeta(tc.rcpt)+`>, relay=127\.0\.0\.1\[127\.0\.0\.1\]:\d+, .*status=sent \(250 `, pfWait)

			got := recv.WaitDelivered(t, tc.rcpt, 1, pfWait)
			if len(got) != 1 || got[0].MessageID != tc.msgID {
				t.Fatalf("Maildir of %s: %d messages %+v, want %s once", tc.rcpt, len(got), got, tc.msgID)
			}
			raw := got[0].Data
			if !isSevenBit(raw) {
				t.Errorf("stored message is not 7-bit clean")
			}
			mr, err := mail.CreateReader(bytes.NewReader(raw))
			if err != nil {
				t.Fatalf("stored message does not parse: %v\n%s", err, raw)
			}
			subj, err := mr.Header.Subject()
			if err != nil || subj != tc.subject {
				t.Errorf("Subject = %q (%v), want %q\nraw: %q", subj, err, tc.subject, mr.Header.Get("Subject"))
			}
			if from, err := mr.Header.AddressList("From"); err != nil || len(from) != 1 || from[0].Name != "山田 太郎" || from[0].Address != "sender@internet.example" {
				t.Errorf("From = %v (%v)", from, err)
			}
			if mr.Header.Get("X-Mugai-Sanitized") == "" {
				t.Errorf("no X-Mugai-Sanitized field")
			}
			text, files := readable(t, string(raw))
			if len(files) != 0 {
				t.Errorf("attachments: %q", files)
			}
			body := bodyAfterNotice(t, text)
			if tc.html {
				if norm := strings.Join(strings.Fields(body), " "); norm != tc.want {
					t.Errorf("text differs from the original HTML's text.\n got: %s\nwant: %s\nfull:\n%s", norm, tc.want, text)
				}
				for _, gone := range []string{"表示されないタイトル", "color", "<"} {
					if strings.Contains(body, gone) {
						t.Errorf("text holds %q:\n%s", gone, body)
					}
				}
			} else {
				var lines []string
				for _, l := range strings.Split(strings.TrimRight(body, "\n"), "\n") {
					lines = append(lines, strings.TrimRight(l, " \t"))
				}
				if got := strings.Join(lines, "\n"); got != tc.want {
					t.Errorf("text differs from the original.\n got: %q\nwant: %q", got, tc.want)
				}
			}
		})
	}
	send.WaitQueueEmpty(t, pfWait)
	recv.WaitQueueEmpty(t, pfWait)
	waitFor(t, "an empty mugai queue", pfWait, func() bool { return len(g.sp.List()) == 0 })
}
