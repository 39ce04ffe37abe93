package sanitize

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"mugai/config"
	"mugai/sanitize/invariant"
)

// fuzzPolicies are the policies a fuzz input runs under (its variant byte
// picks one), so every option path sees malformed input.
func fuzzPolicy(t testing.TB, variant uint8) config.Policy {
	p := defaultPolicy(t)
	switch variant % 4 {
	case 1:
		p.OutputCharset = "iso-2022-jp"
		p.Body.Prefer = "html"
		p.Body.Links = "remove"
	case 2:
		p.Attachments.Default = "keep"
		p.Notice.Position = "bottom"
		p.MIME.MaxDepth = 4
		p.MIME.MaxParts = 20
	case 3:
		p.Ambiguous = "reject"
		p.Attachments.Keep = append(p.Attachments.Keep, config.KeepRule{Extensions: []string{".pdf", ".zip", ".docx"}})
	}
	return p
}

// FuzzMessage: whatever the input, Message returns no error (the input is
// in memory, so there is no I/O to fail), never panics, and either
// rejects with a reason or writes a message that keeps every invariant.
func FuzzMessage(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("testdata", "golden", "*.eml"))
	for i, name := range files {
		if data, err := os.ReadFile(name); err == nil && len(data) < 8<<10 {
			f.Add(data, uint8(i))
		}
	}
	f.Add([]byte(""), uint8(0))
	f.Add([]byte("\r\n\r\n"), uint8(1))
	f.Add([]byte("Content-Type: multipart/mixed; boundary=a\r\n\r\n--a\r\n\r\n--a--"), uint8(2))
	f.Add([]byte("Content-Type: message/rfc822\r\n\r\nContent-Type: message/rfc822\r\n\r\nSubject: x\r\n\r\nbody"), uint8(3))
	f.Fuzz(func(t *testing.T, data []byte, variant uint8) {
		pol := fuzzPolicy(t, variant)
		var out bytes.Buffer
		rep, err := Message(&out, bytes.NewReader(data), int64(len(data)), Options{Policy: pol, PolicyName: "fuzz", OriginalID: "Q1"})
		if err != nil {
			t.Fatalf("error without I/O failure: %v", err)
		}
		for _, fd := range rep.Findings {
			if fd.Kind == "panic" {
				t.Fatalf("panic: %s", fd.Detail)
			}
		}
		switch rep.Verdict {
		case Rebuilt:
			if err := invariant.Check(bytes.NewReader(out.Bytes()), pol); err != nil {
				t.Fatalf("invariants: %v\n%q", err, out.Bytes())
			}
		case Rejected:
			if rep.Reason == "" {
				t.Fatal("rejected without a reason")
			}
		default:
			t.Fatalf("verdict %q", rep.Verdict)
		}
	})
}

// FuzzSenderFrom: an envelope sender, whatever it holds, becomes the From
// of a message without one only as an address that keeps every
// invariant (no link a client would make clickable, no encoded word, no
// line break, one From), or gives way to UnknownSender. The gateway
// takes only a checked MAIL FROM, but a quarantined original's envelope
// is released as it was kept.
func FuzzSenderFrom(f *testing.F) {
	for _, s := range []string{
		"taro@example.jp", "scan@[192.0.2.1]", "scan@総務.example", "a@x.jp (http://evil.example)",
		"evil.com/login@example.jp", "=?utf-8?b?YQ==?=@example.jp", "a@b\r\nBcc: c@d", "taro yamada@example.jp",
		"citizen@[www.evil.example/login]", "a@[IPv6:::1]", "", "@", "a@", "x!evil.com@example.jp", "a@xn--a.example",
	} {
		f.Add(s, uint8(0))
		f.Add(s, uint8(1))
	}
	f.Fuzz(func(t *testing.T, sender string, variant uint8) {
		pol := fuzzPolicy(t, variant)
		msg := "To: soumu@city.example.lg.jp\r\nSubject: s\r\n\r\nbody\r\n"
		var out bytes.Buffer
		rep, err := Message(&out, strings.NewReader(msg), int64(len(msg)), Options{Policy: pol, Sender: sender})
		if err != nil || rep.Verdict != Rebuilt {
			t.Fatalf("%v %+v", err, rep)
		}
		if err := invariant.Check(bytes.NewReader(out.Bytes()), pol); err != nil {
			t.Fatalf("sender %q: %v\n%q", sender, err, out.Bytes())
		}
		h := readHeader(t, out.Bytes())
		// Taken, it is the sender's own local part, as it was: nothing
		// quoted or repaired into another address.
		if from := h.Get("From"); from != UnknownSender && !strings.HasPrefix(sender, from[:strings.LastIndexByte(from, '@')+1]) {
			t.Fatalf("sender %q written as From %q", sender, from)
		}
	})
}
