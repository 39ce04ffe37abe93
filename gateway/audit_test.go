package gateway

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-smtp"
)

func TestAuditChain(t *testing.T) {
	path := filepath.Join(t.TempDir(), "audit.log")
	a, err := OpenAudit(path, func(err error) { t.Error(err) })
	if err != nil {
		t.Fatal(err)
	}
	a.Write(&AuditRecord{Event: "accept", Route: "inbound", Sender: "a@example.jp"})
	a.Write(&AuditRecord{Event: "accept", Route: "inbound", Sender: "b@example.jp"})
	a.Close()
	// Reopening continues the chain.
	a, err = OpenAudit(path, func(err error) { t.Error(err) })
	if err != nil {
		t.Fatal(err)
	}
	a.Write(&AuditRecord{Event: "delivery", Route: "inbound", Verdict: "delivered"})
	a.Close()

	data, _ := os.ReadFile(path)
	if n, err := VerifyAudit(bytes.NewReader(data)); err != nil || n != 3 {
		t.Fatalf("intact trail: %d lines, %v", n, err)
	}
	lines := strings.SplitAfter(string(data), "\n")

	tampered := strings.Replace(string(data), "b@example.jp", "c@example.jp", 1)
	if _, err := VerifyAudit(strings.NewReader(tampered)); err == nil || !strings.Contains(err.Error(), "line 3") {
		t.Errorf("changed line 2: want a break reported at line 3, got %v", err)
	}
	deleted := lines[0] + lines[2]
	if _, err := VerifyAudit(strings.NewReader(deleted)); err == nil || !strings.Contains(err.Error(), "line 2") {
		t.Errorf("deleted line 2: want a break at line 2, got %v", err)
	}
	if _, err := VerifyAudit(strings.NewReader(lines[0] + "garbage\n")); err == nil || !strings.Contains(err.Error(), "line 2: not an audit record") {
		t.Errorf("garbage: %v", err)
	}
}

func TestAuditRotation(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "audit.log")
	a, err := OpenAudit(path, func(err error) { t.Error(err) })
	if err != nil {
		t.Fatal(err)
	}
	if _, rotated, err := a.Reopen(); err != nil || rotated {
		t.Fatalf("reopened in place: rotated %v, %v", rotated, err)
	}
	a.Write(&AuditRecord{Event: "accept", Sender: "a@example.jp"})
	os.Rename(path, path+".1")
	head, rotated, err := a.Reopen()
	if err != nil || !rotated {
		t.Fatalf("reopened after a move: rotated %v, %v", rotated, err)
	}
	a.Write(&AuditRecord{Event: "accept", Sender: "b@example.jp"})
	a.Close()
	old, _ := os.ReadFile(path + ".1")
	cur, _ := os.ReadFile(path)
	if bytes.Count(old, []byte("\n")) != 1 || bytes.Count(cur, []byte("\n")) != 1 {
		t.Fatalf("rotation: %q / %q", old, cur)
	}
	// The two files together are one intact chain.
	if n, err := VerifyAudit(bytes.NewReader(append(old, cur...))); err != nil || n != 2 {
		t.Errorf("chain across the rotation: %d, %v", n, err)
	}
	// The hash Reopen gives (and the gateway logs) is the moved file's
	// last line's, which the new file's first line continues from.
	if want := lineHash(bytes.TrimSuffix(old, []byte("\n"))); head != want || !bytes.Contains(cur, []byte(`"prev":"`+want+`"`)) {
		t.Errorf("Reopen gave %s; the moved file ends at %s; the new file: %s", head, want, cur)
	}
}

// TestAuditTLSField: accept records carry "tls" whether or not the
// session had TLS (jq 'select(.tls==false)' must find the plain ones);
// records without a session carry none.
func TestAuditTLSField(t *testing.T) {
	tests := []struct {
		rec  AuditRecord
		want string // "" for no tls key
	}{
		{AuditRecord{Event: "accept", Route: "inbound"}, `"tls":false`},
		{AuditRecord{Event: "accept", Route: "inbound", TLS: true}, `"tls":true`},
		{AuditRecord{Event: "delivery", Route: "inbound"}, ""},
		{AuditRecord{Event: "release", QuarantineID: "Q"}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.rec.Event+" "+tt.want, func(t *testing.T) {
			var buf bytes.Buffer
			a := &Audit{w: &buf}
			a.Write(&tt.rec)
			var m map[string]any
			if err := json.Unmarshal(buf.Bytes(), &m); err != nil {
				t.Fatal(err)
			}
			_, has := m["tls"]
			switch {
			case tt.want == "" && has:
				t.Errorf("%s record has tls: %s", tt.rec.Event, buf.Bytes())
			case tt.want != "" && !strings.Contains(buf.String(), tt.want):
				t.Errorf("record lacks %s: %s", tt.want, buf.Bytes())
			}
			if m["event"] != tt.rec.Event || m["prev"] == nil {
				t.Errorf("fixed fields lost: %s", buf.Bytes())
			}
		})
	}
}

// TestAcceptRecordWithoutTLS: over the wire, a plain session's accept
// record says "tls":false.
func TestAcceptRecordWithoutTLS(t *testing.T) {
	g := startGateway(t, gatewayConfig(t, t.TempDir(), "", ""), false)
	if code, text := g.send("inbound", "a@example.jp", []string{"staff@lgwan.example"}, "Subject: plain\r\n\r\nhello\r\n"); code != 250 {
		t.Fatalf("send: %d %s", code, text)
	}
	var line string
	waitFor(t, "the accept record", 5*time.Second, func() bool {
		data, _ := os.ReadFile(g.audit)
		for _, l := range strings.Split(string(data), "\n") {
			if strings.Contains(l, `"event":"accept"`) {
				line = l
				return true
			}
		}
		return false
	})
	if !strings.Contains(line, `"tls":false`) {
		t.Errorf("accept record of a plain session lacks \"tls\":false: %s", line)
	}
}

// TestAcceptRecordMessageID: an accept record names the message's
// Message-ID, on a sanitising route (from the sanitiser's report) and a
// pass-through one (read from the header), so that an operator handed
// one by a user or by the next hop's log finds the message with
// jq 'select(.message_id==…)'; a sender's hostile one is bounded and has
// no control or invisible characters, on either route.
func TestAcceptRecordMessageID(t *testing.T) {
	long := "<" + strings.Repeat("x", 1000) + "@example.jp>"
	for _, tc := range []struct {
		policy, header, want string
	}{
		{"default", "<a-1@example.jp>", "<a-1@example.jp>"},
		{"none", "<a-1@example.jp>", "<a-1@example.jp>"},
		{"default", "<b\u202e\x01c@example.jp>", "<bc@example.jp>"},
		{"none", "<b\u202e\x01c@example.jp>", "<bc@example.jp>"},
		{"default", long, long[:maxAuditMessageID]},
		{"none", long, long[:maxAuditMessageID]},
		{"none", "", ""},
	} {
		t.Run(tc.policy, func(t *testing.T) {
			dir := t.TempDir()
			g := startGateway(t, gatewayConfig(t, dir, "", "", "    policy: default\n", "    policy: "+tc.policy+"\n"), false)
			msg := "From: a@example.jp\r\nSubject: id\r\n"
			if tc.header != "" {
				msg += "Message-ID: " + tc.header + "\r\n"
			}
			if code, text := g.send("inbound", "a@example.jp", []string{"staff@lgwan.example"}, msg+"\r\nhello\r\n"); code != 250 {
				t.Fatalf("send: %d %s", code, text)
			}
			got := g.acceptRecord(t)
			if got.MessageID != tc.want {
				t.Errorf("Message-ID %q: the accept record has %q, want %q", tc.header, got.MessageID, tc.want)
			}
		})
	}
}

// acceptRecord waits for the first accept record of the audit trail.
func (g *testGateway) acceptRecord(t *testing.T) *AuditRecord {
	t.Helper()
	var got *AuditRecord
	waitFor(t, "the accept record", 5*time.Second, func() bool {
		for _, r := range readAudit(t, g.audit) {
			if r.Event == "accept" {
				got = &r
				return true
			}
		}
		return false
	})
	return got
}

// TestAcceptRecordEHLO: the client's EHLO argument reaches the accept
// record and the spooled envelope as printable ASCII, each other
// character one "?": an escape sequence or a bidi override in it must not
// act on the terminal of whoever reads the trail or the queue.
func TestAcceptRecordEHLO(t *testing.T) {
	for _, tc := range []struct{ ehlo, want string }{
		{"mx.example.org", "mx.example.org"},
		{"[192.0.2.1]", "[192.0.2.1]"},
		{"\x1b[2J\x1b]0;owned\x07mx.example.org", "?[2J?]0;owned?mx.example.org"},
		{"mx.\u202egro.elpmaxe", "mx.?gro.elpmaxe"},
		{"mx\x7f\u0085.example.org", "mx??.example.org"},
		{"mx.\xff\xfe.example", "mx.??.example"},
	} {
		t.Run(tc.want, func(t *testing.T) {
			dir := t.TempDir()
			g := startGateway(t, gatewayConfig(t, dir, "", ""), false)
			c, err := smtp.Dial(g.addr("inbound"))
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			if err := c.Hello(tc.ehlo); err != nil {
				t.Fatal(err)
			}
			if code, text := sendOn(c, "a@example.jp", []string{"staff@lgwan.example"}, "Subject: s\r\n\r\nhello\r\n"); code != 250 {
				t.Fatalf("send: %d %s", code, text)
			}
			got := g.acceptRecord(t)
			if got.EHLO != tc.want {
				t.Errorf("EHLO %q: the accept record has %q, want %q", tc.ehlo, got.EHLO, tc.want)
			}
			msgs := g.sp.List()
			if len(msgs) != 1 || msgs[0].Env.Helo != tc.want {
				t.Errorf("EHLO %q: the spooled envelopes are %+v, want HELO %q", tc.ehlo, msgs, tc.want)
			}
		})
	}
}

// TestHeaderMessageIDBound: a pass-through message's Message-ID is read
// from a header section of at most 64 KiB; a longer one gives none,
// rather than a Message-ID cut where the limit fell ("<abc@exa"), which
// would name another message or none in a search of the trail.
func TestHeaderMessageIDBound(t *testing.T) {
	body := "\r\n" + strings.Repeat("body\r\n", 20000)
	for _, tc := range []struct {
		name, header, want string
	}{
		{"short", "Message-ID: <a@example.jp>\r\nSubject: s\r\n", "<a@example.jp>"},
		{"folded", "Message-ID:\r\n <a@example.jp>\r\n", "<a@example.jp>"},
		{"header only", "Message-ID: <a@example.jp>\r\n", "<a@example.jp>"},
		{"cut at the limit", "X-Pad: " + strings.Repeat("x", 65500) + "\r\nMessage-ID: <abcdefghijkl@example.jp>\r\n", ""},
		{"longer than the limit", "Message-ID: <a@example.jp>\r\nX-Pad: " + strings.Repeat("x", 70<<10) + "\r\n", ""},
	} {
		for _, rest := range []string{body, ""} {
			if got := headerMessageID(strings.NewReader(tc.header + rest)); got != tc.want {
				t.Errorf("%s (body %d bytes): %q, want %q", tc.name, len(rest), got, tc.want)
			}
		}
	}
}

// TestAuditOldEscapedTrail: records keep <, > and & as written, so that
// grep '<id@host>' finds a Message-ID; and a trail written before, when
// they were \u003c, \u003e and \u0026 (testdata/audit-escaped.log, written
// by the gateway of then), still verifies, and so does the trail the
// gateway continues after them: the chain hashes each line as stored,
// never a record marshalled again.
func TestAuditOldEscapedTrail(t *testing.T) {
	old, err := os.ReadFile("testdata/audit-escaped.log")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(old, []byte(`"message_id":"\u003c20261127.1@citizen.example\u003e"`)) {
		t.Fatal("testdata/audit-escaped.log is not in the escaped form")
	}
	c, err := VerifyAuditChain(bytes.NewReader(old))
	if err != nil || c.Lines != 3 || c.Continues != "" {
		t.Fatalf("the old trail: %+v %v", c, err)
	}

	path := filepath.Join(t.TempDir(), "audit.log")
	if err := os.WriteFile(path, old, 0o600); err != nil {
		t.Fatal(err)
	}
	a, err := OpenAudit(path, func(err error) { t.Error(err) })
	if err != nil {
		t.Fatal(err)
	}
	if a.Head() != c.Last {
		t.Errorf("continues from %s, the old trail ends with %s", a.Head(), c.Last)
	}
	a.Write(&AuditRecord{Time: time.Date(2026, 11, 28, 9, 0, 0, 0, time.UTC), Event: "accept", Route: "inbound",
		Sender: "hanako@citizen.example", Rcpts: []string{"kikaku@city.example.lg.jp"}, MessageID: "<20261128.2@citizen.example>",
		Verdict: "rebuilt", Reply: 250})
	a.Write(&AuditRecord{Time: time.Date(2026, 11, 28, 9, 0, 1, 0, time.UTC), Event: "release", QuarantineID: "06H1NEW0000001",
		User: "tanaka", Why: "ticket <2026-119> & PDF", Verdict: "refused", Reason: "release 06H1NEW0000001: refused: x > y"})
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
	mixed, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(mixed, old) {
		t.Fatal("the old lines changed")
	}
	added := mixed[len(old):]
	for _, want := range []string{`"message_id":"<20261128.2@citizen.example>"`, `"why":"ticket <2026-119> & PDF"`, `"reason":"release 06H1NEW0000001: refused: x > y"`} {
		if !bytes.Contains(added, []byte(want)) {
			t.Errorf("the new lines lack %s:\n%s", want, added)
		}
	}
	if bytes.Contains(added, []byte(`\u00`)) {
		t.Errorf("the new lines escape:\n%s", added)
	}
	c2, err := VerifyAuditChain(bytes.NewReader(mixed))
	lines := bytes.Split(bytes.TrimSuffix(mixed, []byte("\n")), []byte("\n"))
	if err != nil || c2.Lines != 5 || c2.Continues != "" || c2.Last != lineHash(lines[4]) {
		t.Errorf("the old and new trail: %+v %v", c2, err)
	}
	// What an operator greps for, and what jq reads in both forms.
	for _, want := range []string{"<20261128.2@citizen.example>"} {
		if !bytes.Contains(mixed, []byte(want)) {
			t.Errorf("grep %q finds nothing", want)
		}
	}
	var first AuditRecord
	if err := json.Unmarshal(lines[0], &first); err != nil || first.MessageID != "<20261127.1@citizen.example>" {
		t.Errorf("the old line reads as %q (%v)", first.MessageID, err)
	}
}

// A reload after logrotate moved the trail away opens it again at its
// path. When that fails (the path taken by a directory, the directory's
// permissions or inodes), records go on into the moved file, which
// logrotate may compress or delete; a log line was all that said so.
// Now mugai_storage_errors_total{store="audit"} counts it, so
// MugaiStorageErrors fires, and the moved file holds a record saying the
// trail was not reopened; mail is still taken (nothing is lost yet), and
// the next reload that can open the path moves the trail there.
func TestAuditReopenFailed(t *testing.T) {
	dir := t.TempDir()
	g := startGateway(t, gatewayConfig(t, dir, "", ""), false)
	url := "http://" + g.admin + "/metrics"
	const series = `mugai_storage_errors_total{store="audit"}`
	if code, text := g.send("inbound", "a@example.jp", []string{"s@lgwan.example"}, "Subject: one\r\n\r\nhi\r\n"); code != 250 {
		t.Fatal(text)
	}
	if err := os.Rename(g.audit, g.audit+".1"); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(g.audit, 0o700); err != nil { // no file can be opened there
		t.Fatal(err)
	}
	if _, _, err := g.inst.Audit.Reopen(); err == nil {
		t.Fatal("Reopen on a directory succeeded")
	}
	if v := scrape(t, url)[series]; v != 1 {
		t.Errorf("%s = %v, want 1", series, v)
	}
	if code, text := g.send("inbound", "a@example.jp", []string{"s@lgwan.example"}, "Subject: two\r\n\r\nhi\r\n"); code != 250 {
		t.Errorf("mail while the trail goes on in the moved file: %s", text)
	}
	moved := readAudit(t, g.audit+".1")
	if len(moved) != 3 || moved[1].Event != "audit" || moved[1].Verdict != "not-reopened" ||
		!strings.Contains(moved[1].Reason, "records go on in this file") || moved[2].Event != "accept" {
		t.Errorf("the moved file: %+v, want accept, the not-reopened record, accept", moved)
	}
	// The path is fixed: the next reload moves the trail there.
	if err := os.Remove(g.audit); err != nil {
		t.Fatal(err)
	}
	if _, rotated, err := g.inst.Audit.Reopen(); err != nil || !rotated {
		t.Fatalf("Reopen after the fix: rotated %v, %v", rotated, err)
	}
	b1, _ := os.ReadFile(g.audit + ".1")
	if code, text := g.send("inbound", "a@example.jp", []string{"s@lgwan.example"}, "Subject: three\r\n\r\nhi\r\n"); code != 250 {
		t.Fatal(text)
	}
	b2, _ := os.ReadFile(g.audit)
	if n, err := VerifyAudit(bytes.NewReader(append(b1, b2...))); err != nil || n != 4 {
		t.Errorf("the chain over both files: %d lines, %v", n, err)
	}
}
