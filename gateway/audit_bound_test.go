package gateway

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"testing"
)

// TestAuditRecordBounded: the sender names its attachments, and every
// name goes into the accept record, the quarantine's listing and its
// stored report. Forty stripped parts named with 60,000 characters each
// (a 2.4 MB message, a tenth of the default size limit) made one audit
// line of 2.4 MB; at the default size limit a single message made a
// line of 24 MB, past what `mugai audit verify` reads (16 MiB), so the
// trail could no longer be verified from that line on. Every name,
// type, reason and finding detail is now cut to a bound, saying how
// long it was.
func TestAuditRecordBounded(t *testing.T) {
	dir := t.TempDir()
	g := startGateway(t, gatewayConfig(t, dir, "", ""), false)

	const parts, nameLen = 40, 60000
	var b strings.Builder
	b.WriteString("From: a@example.jp\r\nTo: user@lgwan.example\r\nSubject: names\r\nMIME-Version: 1.0\r\n" +
		"Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nhello\r\n")
	for i := range parts {
		name := fmt.Sprintf("%03d", i) + strings.Repeat("名", nameLen/3) + ".exe"
		fmt.Fprintf(&b, "--b\r\nContent-Type: application/x-%s\r\nContent-Disposition: attachment;\r\n filename=\"%s\"\r\n\r\nMZ\r\n",
			strings.Repeat("x", 2000), name)
	}
	b.WriteString("--b--\r\n")
	if code, text := g.send("inbound", "a@example.jp", []string{"user@lgwan.example"}, b.String()); code != 250 {
		t.Fatalf("send: %d %s", code, text)
	}
	const maxLine = 256 << 10 // what 40 bounded parts need, with room
	// The quarantine keeps the report and the list of what was removed:
	// as bounded.
	if ms := g.q.List(nil); len(ms) != 1 {
		t.Fatalf("%d originals in quarantine, want 1", len(ms))
	} else {
		m := ms[0]
		if len(m.Report) > maxLine || len(strings.Join(m.Removed, "")) > maxLine {
			t.Errorf("quarantine metadata: report %d bytes, removed %d bytes, want each at most %d", len(m.Report), len(strings.Join(m.Removed, "")), maxLine)
		}
	}
	g.stop()

	f, err := os.Open(g.audit)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 64<<20)
	var acc *AuditRecord
	for sc.Scan() {
		var r AuditRecord
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			t.Fatal(err)
		}
		if r.Event == "accept" {
			if n := len(sc.Bytes()); n > maxLine {
				t.Errorf("accept record is %d bytes, want at most %d", n, maxLine)
			}
			acc = &r
		}
	}
	if acc == nil {
		t.Fatal("no accept record")
	}
	if len(acc.Removed) != parts {
		t.Fatalf("%d attachments removed in the record, want %d", len(acc.Removed), parts)
	}
	for _, a := range acc.Removed {
		if len(a.Name) > maxFieldBytes+32 || !strings.HasSuffix(a.Name, " bytes)") || !strings.HasPrefix(a.Name, "0") {
			t.Fatalf("removed attachment's name in the record: %d bytes %.40q…%q, want it cut to %d bytes saying how long it was",
				len(a.Name), a.Name, a.Name[max(0, len(a.Name)-20):], maxFieldBytes)
		}
	}
	if _, err := f.Seek(0, 0); err != nil {
		t.Fatal(err)
	}
	if n, err := VerifyAudit(f); err != nil {
		t.Errorf("audit verify: %d lines, %v", n, err)
	}

}
