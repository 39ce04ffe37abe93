package deliver

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"mime"
	"net/textproto"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-message"
)

var originalForDSN = "Received: from mx by gw\r\n" +
	"From: =?UTF-8?B?5biC5b255omA?= <info@example.org>\r\n" +
	"To: <kikaku@city.example.lg.jp>\r\n" +
	"Subject: raw 8-bit \xe4\xbc\x9a\xe8\xad\xb0\r\n" +
	"Message-ID: <orig-1@example.org>\r\n" +
	"\r\n" +
	"Body: must not be copied\r\n"

func dsnParams() DSNParams {
	at := time.Date(2025, 4, 1, 9, 30, 0, 0, time.FixedZone("JST", 9*3600))
	return DSNParams{
		ReportingMTA: "mx.city.example.lg.jp",
		Sender:       "info@example.org",
		QueueID:      "Q123",
		Arrival:      at,
		Date:         at.Add(5 * 24 * time.Hour),
		Recipients: []DSNRecipient{
			{Result: Result{Rcpt: "nobody@city.example.lg.jp", Code: 550, Enhanced: "5.1.1", Text: "User unknown"}, RemoteMTA: "10.1.0.25", LastAttempt: at.Add(time.Minute)},
			{Result: Result{Rcpt: "full@city.example.lg.jp", Code: 452, Enhanced: "4.2.2", Text: "Mailbox full\nreally \xff full"}, Status: ""},
			{Result: Result{Rcpt: "slow@city.example.lg.jp", Text: "connect to 10.1.0.25:25: connection refused"}, Status: "5.4.7"},
			{Result: Result{Rcpt: "ユーザー@city.example.lg.jp", Code: 553, Text: "no SMTPUTF8"}},
		},
		Original: strings.NewReader(originalForDSN),
	}
}

func TestBuildDSN(t *testing.T) {
	var buf bytes.Buffer
	if err := BuildDSN(&buf, dsnParams()); err != nil {
		t.Fatal(err)
	}
	out := buf.Bytes()
	checkSevenBit(t, out)

	e, err := message.Read(bytes.NewReader(out))
	if err != nil {
		t.Fatal(err)
	}
	if got := e.Header.Get("From"); got != "Mail Delivery System <MAILER-DAEMON@mx.city.example.lg.jp>" {
		t.Errorf("From %q", got)
	}
	if got := e.Header.Get("To"); got != "<info@example.org>" {
		t.Errorf("To %q", got)
	}
	if got := e.Header.Get("Auto-Submitted"); got != "auto-replied" {
		t.Errorf("Auto-Submitted %q", got)
	}
	subj, err := new(mime.WordDecoder).DecodeHeader(e.Header.Get("Subject"))
	if err != nil || !strings.Contains(subj, "配送不能") || !strings.Contains(subj, "Undelivered Mail") {
		t.Errorf("Subject %q (%v)", subj, err)
	}
	mt, params, err := e.Header.ContentType()
	if err != nil || mt != "multipart/report" || params["report-type"] != "delivery-status" {
		t.Fatalf("Content-Type %s %v %v", mt, params, err)
	}

	mr := e.MultipartReader()
	var parts []*message.Entity
	var bodies [][]byte
	for {
		p, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(p.Body)
		if err != nil {
			t.Fatal(err)
		}
		parts = append(parts, p)
		bodies = append(bodies, b)
	}
	if len(parts) != 3 {
		t.Fatalf("%d parts, want 3", len(parts))
	}
	wantTypes := []string{"text/plain", "message/delivery-status", "text/rfc822-headers"}
	for i, w := range wantTypes {
		if mt, _, _ := parts[i].Header.ContentType(); mt != w {
			t.Errorf("part %d is %s, want %s", i+1, mt, w)
		}
	}

	human := string(bodies[0])
	for _, want := range []string{"配送できませんでした", "could not be delivered", "<nobody@city.example.lg.jp>: 550 5.1.1 User unknown", "<ユーザー@city.example.lg.jp>", "Q123"} {
		if !strings.Contains(human, want) {
			t.Errorf("human-readable part lacks %q:\n%s", want, human)
		}
	}

	perMsg, perRcpt := parseDeliveryStatus(t, bodies[1])
	if got := perMsg.Get("Reporting-MTA"); got != "dns; mx.city.example.lg.jp" {
		t.Errorf("Reporting-MTA %q", got)
	}
	if got := perMsg.Get("Arrival-Date"); got != "Tue, 01 Apr 2025 09:30:00 +0900" {
		t.Errorf("Arrival-Date %q", got)
	}
	want := []struct{ final, status, diag string }{
		{"rfc822; nobody@city.example.lg.jp", "5.1.1", "smtp; 550 5.1.1 User unknown"},
		{"rfc822; full@city.example.lg.jp", "5.2.2", "smtp; 452 4.2.2 Mailbox full really ? full"},
		// The texts are defanged, and an IPv4 address is a host a
		// linkifier links (links.Rewrite).
		{"rfc822; slow@city.example.lg.jp", "5.4.7", "X-Mugai; connect to 10[.]1[.]0[.]25:25: connection refused"},
		{`utf-8; \x{30E6}\x{30FC}\x{30B6}\x{30FC}@city.example.lg.jp`, "5.0.0", "smtp; 553 no SMTPUTF8"},
	}
	if len(perRcpt) != len(want) {
		t.Fatalf("%d recipient blocks, want %d", len(perRcpt), len(want))
	}
	for i, w := range want {
		r := perRcpt[i]
		if r.Get("Final-Recipient") != w.final || r.Get("Action") != "failed" || r.Get("Status") != w.status || r.Get("Diagnostic-Code") != w.diag {
			t.Errorf("recipient %d: %v\nwant %+v", i, r, w)
		}
	}
	if got := perRcpt[0].Get("Remote-MTA"); got != "dns; 10.1.0.25" {
		t.Errorf("Remote-MTA %q", got)
	}
	if perRcpt[0].Get("Last-Attempt-Date") == "" {
		t.Error("no Last-Attempt-Date")
	}

	headers := string(bodies[2])
	if !strings.Contains(headers, "Message-ID: <orig-1@example.org>\r\n") || !strings.Contains(headers, "Subject: raw 8-bit ??????\r\n") {
		t.Errorf("headers part:\n%q", headers)
	}
	if strings.Contains(headers, "Body:") {
		t.Error("the body of the original was copied")
	}
}

// TestDSNAdvice: what the notice tells the sender to do follows why each
// recipient failed: check an address that does not exist; send again
// later when the next hop never took the message before the deadline
// (5.4.7), whose line says it expired, not only how the last attempt
// ended; read the reason of a refusal. Before, every notice said to
// check the addresses.
func TestDSNAdvice(t *testing.T) {
	const (
		checkJA   = "宛先アドレスに誤りがないかご確認ください。"
		checkEN   = "Please check the addresses."
		laterJA   = "時間をおいて送り直してください。"
		laterEN   = "please send it again later."
		refusedJA = "受信側のメールサーバが受け取りを拒否しました。"
		refusedEN = "The receiving mail server refused it"
	)
	all := []string{checkJA, checkEN, laterJA, laterEN, refusedJA, refusedEN}
	for _, tc := range []struct {
		name string
		rcpt DSNRecipient
		want []string // of all, what the text has
		line string   // the recipient's line
	}{
		{"unknown user", DSNRecipient{Result: Result{Rcpt: "a@x.example", Code: 550, Enhanced: "5.1.1", Text: "User unknown"}},
			[]string{checkJA, checkEN}, "<a@x.example>: 550 5.1.1 User unknown"},
		{"expired without a reply", DSNRecipient{Result: Result{Rcpt: "a@x.example", Text: "connect: connection refused"}, Status: "5.4.7"},
			[]string{laterJA, laterEN}, "<a@x.example>: 配送期限切れ / expired in queue; last attempt: connect: connection refused"},
		{"expired after a temporary reply", DSNRecipient{Result: Result{Rcpt: "a@x.example", Code: 451, Enhanced: "4.3.0", Text: "try later"}, Status: "5.4.7"},
			[]string{laterJA, laterEN}, "<a@x.example>: 配送期限切れ / expired in queue; last attempt: 451 4.3.0 try later"},
		{"refused for the sender's address", DSNRecipient{Result: Result{Rcpt: "a@x.example", Code: 553, Enhanced: "5.1.8", Text: "sender domain does not exist"}},
			[]string{refusedJA, refusedEN}, "<a@x.example>: 553 5.1.8 sender domain does not exist"},
		{"refused for its content", DSNRecipient{Result: Result{Rcpt: "a@x.example", Code: 554, Enhanced: "5.7.1", Text: "rejected by policy"}},
			[]string{refusedJA, refusedEN}, "<a@x.example>: 554 5.7.1 rejected by policy"},
	} {
		p := dsnParams()
		p.Recipients = []DSNRecipient{tc.rcpt}
		text := humanText(p, "mx.example")
		for _, s := range all {
			if has, want := strings.Contains(text, s), slices.Contains(tc.want, s); has != want {
				t.Errorf("%s: has %q: %v, want %v\n%s", tc.name, s, has, want, text)
			}
		}
		if !strings.Contains(text, tc.line+"\n") {
			t.Errorf("%s: no line %q\n%s", tc.name, tc.line, text)
		}
	}
}

// parseDeliveryStatus splits a message/delivery-status body into its
// per-message block and per-recipient blocks (RFC 3464 2.1).
func parseDeliveryStatus(t *testing.T, b []byte) (textproto.MIMEHeader, []textproto.MIMEHeader) {
	t.Helper()
	r := textproto.NewReader(bufio.NewReader(bytes.NewReader(b)))
	var blocks []textproto.MIMEHeader
	for {
		h, err := r.ReadMIMEHeader()
		if len(h) > 0 {
			blocks = append(blocks, h)
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("delivery-status: %v\n%s", err, b)
		}
	}
	if len(blocks) < 2 {
		t.Fatalf("delivery-status has %d blocks:\n%s", len(blocks), b)
	}
	return blocks[0], blocks[1:]
}

func checkSevenBit(t *testing.T, out []byte) {
	t.Helper()
	for i, c := range out {
		if c >= 0x80 || c == 0 {
			t.Fatalf("byte %#x at %d is not 7-bit: %q", c, i, out[max(0, i-40):min(len(out), i+40)])
		}
	}
	for i, line := range bytes.Split(out, []byte("\r\n")) {
		if len(line) > 998 {
			t.Fatalf("line %d is %d octets long", i, len(line))
		}
		if bytes.ContainsAny(line, "\r\n") {
			t.Fatalf("line %d has a bare CR or LF: %q", i, line)
		}
	}
}

func TestBuildDSNRefuses(t *testing.T) {
	tests := []struct {
		name   string
		change func(*DSNParams)
		is     error
	}{
		{"null sender", func(p *DSNParams) { p.Sender = "" }, ErrNullSender},
		{"no recipients", func(p *DSNParams) { p.Recipients = nil }, nil},
		{"bad reporting MTA", func(p *DSNParams) { p.ReportingMTA = "mx\r\nBcc: x" }, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := dsnParams()
			tt.change(&p)
			var buf bytes.Buffer
			err := BuildDSN(&buf, p)
			if err == nil || (tt.is != nil && !errors.Is(err, tt.is)) {
				t.Fatalf("BuildDSN error %v", err)
			}
			if buf.Len() != 0 {
				t.Errorf("wrote %d bytes before failing", buf.Len())
			}
		})
	}
}

func TestBuildDSNEdgeCases(t *testing.T) {
	long := strings.Repeat("x", 70000)
	tests := []struct {
		name     string
		original io.Reader
		sender   string
		check    func(t *testing.T, out string)
	}{
		{"no original", nil, "a@example.org", func(t *testing.T, out string) {
			if strings.Contains(out, "text/rfc822-headers") {
				t.Error("headers part without an original")
			}
		}},
		{"header without end", strings.NewReader("Subject: only\nX-LF: lines"), "a@example.org", func(t *testing.T, out string) {
			if !strings.Contains(out, "Subject: only\r\nX-LF: lines\r\n") {
				t.Error("LF header not normalised to CRLF")
			}
		}},
		{"huge header line", strings.NewReader("Subject: " + long + "\r\n\r\n"), "a@example.org", nil},
		{"non-ASCII sender", strings.NewReader("Subject: x\r\n\r\n"), "ユーザー@example.org", func(t *testing.T, out string) {
			if !strings.Contains(out, "To: undisclosed-recipients:;\r\n") {
				t.Error("non-ASCII sender written into To:")
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := dsnParams()
			p.Original, p.Sender = tt.original, tt.sender
			var buf bytes.Buffer
			if err := BuildDSN(&buf, p); err != nil {
				t.Fatal(err)
			}
			checkSevenBit(t, buf.Bytes())
			if tt.check != nil {
				tt.check(t, buf.String())
			}
		})
	}
}

// TestDSNOriginalHeaderLinks: the quoted header is text a client shows:
// its links are defanged as the reply's are, addresses are left alone,
// and a line stays within 998 octets however long defanging makes it.
func TestDSNOriginalHeaderLinks(t *testing.T) {
	long := "X-Long: " + strings.Repeat("https://a.example/ ", 60)
	for _, tc := range []struct{ in, want string }{
		{"Received: from x by y; see https://evil.example/login", "Received: from x by y; see hxxps://evil[.]example/login"},
		{"X-Note: www.evil.example/b", "X-Note: www[.]evil[.]example/b"},
		{"Message-ID: <m1@mail.example.co.jp>", "Message-ID: <m1@mail.example.co.jp>"},
		{"Subject: \xe4\xbc\x9a https://e.example", "Subject: ??? hxxps://e[.]example"},
	} {
		got, err := originalHeader(strings.NewReader(tc.in + "\r\n\r\nbody\r\n"))
		if err != nil || string(got) != tc.want+"\r\n" {
			t.Errorf("%q: %q (%v), want %q", tc.in, got, err, tc.want)
		}
	}
	got, _ := originalHeader(strings.NewReader(long + "\r\n\r\n"))
	if line := strings.TrimSuffix(string(got), "\r\n"); len(line) != 998 || strings.Contains(line, "https://") {
		t.Errorf("a long line of links: %d octets, %.60q…", len(line), line)
	}
}
