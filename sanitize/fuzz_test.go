package sanitize

import (
	"bytes"
	"os"
	"path/filepath"
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
