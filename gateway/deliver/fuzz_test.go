package deliver

import (
	"bytes"
	"io"
	"regexp"
	"strings"
	"testing"

	"github.com/emersion/go-message"
)

var enhancedRE = regexp.MustCompile(`^[245]\.[0-9]{1,3}\.[0-9]{1,3}$`)

// FuzzSplitEnhanced checks the parsing of reply texts of 2xx replies
// (go-smtp parses enhanced codes of error replies only).
func FuzzSplitEnhanced(f *testing.F) {
	for _, s := range []string{"2.0.0 Ok: queued as 4Xz", "2.1.5 <a@b> OK", "Ok", "", "2.0.0", "9.9.9 x", "2.0000.0 x", "2.0. x", "5.7.1\nsecond line"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		enh, rest := splitEnhanced(text)
		if enh == "" {
			if rest != text {
				t.Fatalf("no code but rest %q != text %q", rest, text)
			}
			return
		}
		if !enhancedRE.MatchString(enh) {
			t.Fatalf("code %q is not class.subject.detail", enh)
		}
		if text != enh && text != enh+" "+rest {
			t.Fatalf("split %q into %q + %q", text, enh, rest)
		}
		r := okResult(text)
		if strings.ContainsAny(r.Text, "\r\n") {
			t.Fatalf("Result.Text has a line break: %q", r.Text)
		}
	})
}

// FuzzHasExtension checks the EHLO keyword lookup used for STARTTLS.
func FuzzHasExtension(f *testing.F) {
	for _, s := range []string{"mx\nSTARTTLS", "mx\nPIPELINING\nstarttls\nSIZE 1000", "STARTTLS", "mx\n\n  STARTTLS", "mx\nAUTH STARTTLS"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, msg string) {
		if !hasExtension(msg, "STARTTLS") {
			return
		}
		_, rest, ok := strings.Cut(msg, "\n")
		if !ok || !strings.Contains(strings.ToUpper(rest), "STARTTLS") {
			t.Fatalf("STARTTLS found in %q", msg)
		}
	})
}

// FuzzBuildDSN feeds arbitrary reply texts, addresses and original headers
// into a DSN: the output must stay 7-bit, with short lines, and parse as a
// three-part multipart/report.
func FuzzBuildDSN(f *testing.F) {
	f.Add("a@example.org", "550 user\r\nunknown \xff", "4.2.2", "10.1.0.25", "Q1", []byte("Subject: \xe4\xbc\x9a\r\n\r\nbody"))
	f.Add("ユーザー@例え.jp", strings.Repeat("long ", 400), "", "", "", []byte("X: "+strings.Repeat("y", 5000)+"\nZ: z"))
	f.Add("x\\y@z", "", "5.1.1 extra", "host\r\nInjected: yes", "id\nInjected: yes", []byte("--mugai-dsn-\r\n"))
	f.Fuzz(func(t *testing.T, rcpt, text, status, remote, queueID string, original []byte) {
		p := DSNParams{
			ReportingMTA: "mx.example.lg.jp",
			Sender:       "s@example.org",
			QueueID:      queueID,
			Recipients: []DSNRecipient{
				{Result: Result{Rcpt: rcpt, Code: 550, Text: text}, Status: status, RemoteMTA: remote},
				{Result: Result{Rcpt: rcpt, Text: text}, Status: status},
			},
			Original: bytes.NewReader(original),
		}
		var buf bytes.Buffer
		if err := BuildDSN(&buf, p); err != nil {
			t.Fatal(err)
		}
		out := buf.Bytes()
		for i, c := range out {
			if c >= 0x80 || c == 0 {
				t.Fatalf("byte %#x at %d", c, i)
			}
		}
		for _, line := range bytes.Split(out, []byte("\r\n")) {
			if len(line) > 998 || bytes.ContainsAny(line, "\r\n") {
				t.Fatalf("bad line %q", line)
			}
		}
		e, err := message.Read(bytes.NewReader(out))
		if err != nil {
			t.Fatal(err)
		}
		mr := e.MultipartReader()
		if mr == nil {
			t.Fatal("not multipart")
		}
		n := 0
		for {
			part, err := mr.NextPart()
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
			if n == 1 {
				b, _ := io.ReadAll(part.Body)
				if bytes.Count(b, []byte("\r\nAction: failed\r\n")) != 2 || bytes.Contains(b, []byte("\nInjected:")) {
					t.Fatalf("delivery-status:\n%s", b)
				}
			}
			n++
		}
		if n != 3 {
			t.Fatalf("%d parts", n)
		}
	})
}
