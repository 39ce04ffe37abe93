package sanitize

import (
	"bytes"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-message"

	"mugai/config"
	"mugai/sanitize/invariant"
)

// nested builds a message with depth nested multipart/mixed levels and an
// executable at the bottom.
func nested(depth int) string {
	var b strings.Builder
	b.WriteString("From: a@example.jp\r\nSubject: deep\r\nMIME-Version: 1.0\r\n")
	for i := 0; i < depth; i++ {
		fmt.Fprintf(&b, "Content-Type: multipart/mixed; boundary=\"b%d\"\r\n\r\n--b%d\r\n", i, i)
	}
	b.WriteString("Content-Type: text/plain\r\n\r\nbottom text\r\n")
	for i := depth - 1; i >= 0; i-- {
		fmt.Fprintf(&b, "--b%d--\r\n", i)
	}
	return b.String()
}

// nestedHTML is an HTML message with depth nested <div>s around its text.
func nestedHTML(depth int) string {
	return "From: a@example.jp\r\nSubject: deep\r\nMIME-Version: 1.0\r\nContent-Type: text/html; charset=utf-8\r\n\r\n<html><body>" +
		strings.Repeat("<div>", depth) + "deep text" + strings.Repeat("</div>", depth) + "</body></html>\r\n"
}

func manyParts(n int) string {
	var b strings.Builder
	b.WriteString("From: a@example.jp\r\nSubject: many\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"x\"\r\n\r\n")
	b.WriteString("--x\r\nContent-Type: text/plain\r\n\r\nfirst\r\n")
	for i := 0; i < n; i++ {
		fmt.Fprintf(&b, "--x\r\nContent-Type: application/octet-stream; name=\"f%d.bin\"\r\n\r\n%d\r\n", i, i)
	}
	b.WriteString("--x--\r\n")
	return b.String()
}

func hugePartHeader(n int) string {
	return "From: a@example.jp\r\nSubject: big header\r\nContent-Type: multipart/mixed; boundary=\"x\"\r\n\r\n" +
		"--x\r\nContent-Type: text/plain\r\n\r\nbody\r\n" +
		"--x\r\nContent-Type: application/octet-stream\r\nX-Pad: " + strings.Repeat("a", n) + "\r\n\r\ndata\r\n--x--\r\n"
}

func TestLimits(t *testing.T) {
	tests := []struct {
		name      string
		msg       string
		policy    func(*config.Policy)
		verdict   string
		finding   string
		body      string // must appear in the text when rebuilt
		maxSecond float64
	}{
		{name: "depth within limit", msg: nested(15), verdict: Rebuilt, body: "bottom text"},
		{name: "depth over limit", msg: nested(25), verdict: Rebuilt, finding: "mime-depth-exceeded", body: "入れ子（転送の重なりなど）が深すぎて検査できないため"},
		{name: "depth over limit, the headline", msg: nested(25), verdict: Rebuilt, finding: "mime-depth-exceeded", body: "・検査の上限（入れ子の深さ、パートの数、ヘッダーの大きさ）を超えた部分は配送していません。"},
		{name: "depth over limit, ambiguous reject", msg: nested(25), verdict: Rejected, finding: "mime-depth-exceeded",
			policy: func(p *config.Policy) { p.Ambiguous = "reject" }},
		// go-message alone takes 37 s on this (quadratic in depth).
		{name: "deep nesting stays fast", msg: nested(20000), verdict: Rebuilt, finding: "mime-depth-exceeded", maxSecond: 10},
		{name: "custom depth limit", msg: nested(5), verdict: Rebuilt, finding: "mime-depth-exceeded",
			policy: func(p *config.Policy) { p.MIME.MaxDepth = 3 }},
		// A browser flattens markup nested deeper than 512 (Chromium's
		// parser), and so does the converter whatever the policy says.
		{name: "html depth at the ceiling", msg: nestedHTML(500), verdict: Rebuilt, body: "deep text",
			policy: func(p *config.Policy) { p.MIME.MaxHTMLDepth = 100000 }},
		{name: "html depth past the ceiling", msg: nestedHTML(600), verdict: Rebuilt, finding: "html-depth-exceeded", body: "deep text",
			policy: func(p *config.Policy) { p.MIME.MaxHTMLDepth = 100000 }},
		{name: "parts within limit", msg: manyParts(400), verdict: Rebuilt, body: "first"},
		{name: "parts over limit", msg: manyParts(600), verdict: Rebuilt, finding: "too-many-parts", body: "first"},
		{name: "parts over limit, the notice", msg: manyParts(600), verdict: Rebuilt, finding: "too-many-parts", body: "・パートの数が上限（500）を超えたため、それより後の部分は配送していません。"},
		{name: "part header within limit", msg: hugePartHeader(60 << 10), verdict: Rebuilt, body: "body"},
		{name: "part header over limit", msg: hugePartHeader(15 << 20), verdict: Rebuilt, finding: "header-too-large", body: "body"},
		{name: "part header over limit, the notice", msg: hugePartHeader(15 << 20), verdict: Rebuilt, finding: "header-too-large", body: "ヘッダーが大きすぎて検査できないため"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pol := defaultPolicy(t)
			if tt.policy != nil {
				tt.policy(&pol)
			}
			var out bytes.Buffer
			start := time.Now()
			rep, err := Message(&out, strings.NewReader(tt.msg), int64(len(tt.msg)), Options{Policy: pol, TempDir: t.TempDir()})
			if err != nil {
				t.Fatal(err)
			}
			if tt.maxSecond > 0 && !raceEnabled && time.Since(start).Seconds() > tt.maxSecond {
				t.Errorf("took %v", time.Since(start))
			}
			if rep.Verdict != tt.verdict {
				t.Fatalf("verdict %q (%s), want %q", rep.Verdict, rep.Reason, tt.verdict)
			}
			if tt.finding != "" && !hasFinding(rep, tt.finding) {
				t.Errorf("no %s finding", tt.finding)
			}
			for _, k := range []string{"mime-depth-exceeded", "too-many-parts", "header-too-large", "html-depth-exceeded"} {
				if k != tt.finding && hasFinding(rep, k) {
					t.Errorf("unexpected %s finding", k)
				}
			}
			if rep.Verdict == Rebuilt {
				if err := invariant.Check(bytes.NewReader(out.Bytes()), pol); err != nil {
					t.Error(err)
				}
				if tt.body != "" && !strings.Contains(decodedText(t, out.Bytes()), tt.body) {
					t.Errorf("text lacks %q", tt.body)
				}
			}
		})
	}
}

func hasFinding(rep *Report, kind string) bool {
	for _, f := range rep.Findings {
		if f.Kind == kind {
			return true
		}
	}
	return false
}

// TestNothingOfTheOriginalCrosses checks invariant 1 from the outside: no
// header field outside the allow-list, no boundary, no encoded attachment
// body of the original appears in the output.
func TestNothingOfTheOriginalCrosses(t *testing.T) {
	exe := "TVqQAAMAAAAEAAAA//8AALgAAAAAAAAAQAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
	msg := "From: a@example.jp\r\nTo: b@example.lg.jp\r\nSubject: hi\r\nX-Mugai-Sanitized: html-to-text\r\n" +
		"X-Secret-Header: leak-me\r\nDKIM-Signature: v=1; d=example.jp\r\nMIME-Version: 1.0\r\n" +
		"Content-Type: multipart/mixed; boundary=\"ORIGINAL-BOUNDARY\"\r\n\r\n" +
		"--ORIGINAL-BOUNDARY\r\nContent-Type: text/html\r\n\r\n<p onclick=\"evil()\">hello</p><script>steal()</script>\r\n" +
		"--ORIGINAL-BOUNDARY\r\nContent-Type: application/octet-stream; name=\"a.exe\"\r\nContent-Transfer-Encoding: base64\r\n\r\n" + exe + "\r\n" +
		"--ORIGINAL-BOUNDARY--\r\n"
	var out bytes.Buffer
	rep, err := Message(&out, strings.NewReader(msg), int64(len(msg)), Options{Policy: defaultPolicy(t)})
	if err != nil || rep.Verdict != Rebuilt {
		t.Fatalf("%v %+v", err, rep)
	}
	for _, s := range []string{"ORIGINAL-BOUNDARY", "X-Secret-Header", "leak-me", "DKIM", exe[:40], "onclick", "steal", "<p", "text/html", "X-Mugai-Sanitized: html-to-text\r\n"} {
		if bytes.Contains(out.Bytes(), []byte(s)) {
			t.Errorf("output contains %q", s)
		}
	}
	if !strings.Contains(decodedText(t, out.Bytes()), "hello") {
		t.Error("text lost")
	}
}

// TestMboxFromLine: an mbox "From " line before the header (as mail
// saved from a mailbox has) is skipped, not read as a broken header.
func TestMboxFromLine(t *testing.T) {
	msg := "From sender@example.jp Tue Mar  5 09:30:00 2024\nSubject: saved\nFrom: a@example.jp\nDate: Tue, 5 Mar 2024 09:30:00 +0900\nMessage-ID: <1@example.jp>\n\nbody text\n"
	var out bytes.Buffer
	rep, err := Message(&out, strings.NewReader(msg), int64(len(msg)), Options{Policy: defaultPolicy(t)})
	if err != nil || rep.Verdict != Rebuilt {
		t.Fatalf("%v %+v", err, rep)
	}
	if rep.Subject != "saved" || len(rep.Findings) != 0 {
		t.Errorf("subject %q, findings %+v", rep.Subject, rep.Findings)
	}
	if !strings.Contains(decodedText(t, out.Bytes()), "body text") {
		t.Error("body lost")
	}
}

// TestDeclaredUTF8ButISO2022JP: ISO-2022-JP is 7-bit and valid UTF-8;
// declared UTF-8 it must still be detected and decoded, not shown raw.
func TestDeclaredUTF8ButISO2022JP(t *testing.T) {
	jis := "\x1b$B$3$s$K$A$O\x1b(B" // こんにちは
	for _, label := range []string{"utf-8", "us-ascii", ""} {
		msg := "From: a@example.jp\r\nSubject: x\r\nContent-Type: text/plain; charset=" + label + "\r\n\r\n" + jis + "\r\n"
		var out bytes.Buffer
		rep, err := Message(&out, strings.NewReader(msg), int64(len(msg)), Options{Policy: defaultPolicy(t)})
		if err != nil || rep.Verdict != Rebuilt {
			t.Fatalf("%v %+v", err, rep)
		}
		if text := decodedText(t, out.Bytes()); !strings.Contains(text, "こんにちは") {
			t.Errorf("label %q: text %q", label, text)
		}
	}
}

// TestEncodedBlocksBounded: a text with more encoded files than the
// report lists has them all cut out; the report lists maxBlocks and
// counts the rest.
func TestEncodedBlocksBounded(t *testing.T) {
	var b strings.Builder
	b.WriteString("From: a@example.jp\r\nTo: b@example.lg.jp\r\nSubject: many\r\n\r\nhello\r\n")
	for i := range maxBlocks + 50 {
		fmt.Fprintf(&b, "=ybegin line=128 size=1 name=f%d.bin\r\nQ\r\n=yend size=1\r\n", i)
	}
	b.WriteString("bye\r\n")
	msg := b.String()
	var out bytes.Buffer
	rep, err := Message(&out, strings.NewReader(msg), int64(len(msg)), Options{Policy: defaultPolicy(t)})
	if err != nil || rep.Verdict != Rebuilt {
		t.Fatalf("%v %+v", err, rep)
	}
	blocks := 0
	for _, p := range rep.Parts {
		if p.DeclaredType == "text/x-yenc" {
			blocks++
		}
	}
	var truncated []Finding
	for _, f := range rep.Findings {
		if f.Kind == "blocks-truncated" {
			truncated = append(truncated, f)
		}
	}
	if blocks != maxBlocks || len(truncated) != 1 || !strings.HasPrefix(truncated[0].Detail, "50 more") {
		t.Errorf("%d blocks listed, truncation findings %+v; want %d and one for 50 more", blocks, truncated, maxBlocks)
	}
	e, err := message.Read(bytes.NewReader(out.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	text, _ := io.ReadAll(e.Body)
	if bytes.Contains(text, []byte("=ybegin")) || !bytes.Contains(text, []byte("hello\r\nbye")) {
		t.Errorf("delivered text keeps encoded data or lost the text:\n%s", text)
	}
	// The notice and the count say all 150 were removed, not the 100
	// listed: 50 named, 100 more.
	if rep.Removed != maxBlocks+50 {
		t.Errorf("report counts %d removed, want %d", rep.Removed, maxBlocks+50)
	}
	for _, want := range []string{"削除した添付ファイル等（150件）", "ほか100件", "150 attachment(s) removed"} {
		if !bytes.Contains(text, []byte(want)) {
			t.Errorf("notice lacks %q:\n%s", want, text)
		}
	}
	if got := out.String(); !strings.Contains(got, "attachments-removed=150") {
		t.Errorf("X-Mugai-Sanitized does not count 150 removed:\n%.600s", got)
	}
}

// TestISOReplacedNoticed: with ISO-2022-JP output, characters it has no
// code for become 〓, and the notice, written before the text, says so;
// a text that ISO-2022-JP holds whole gets no such line.
func TestISOReplacedNoticed(t *testing.T) {
	const line = "・ISO-2022-JPで表せない文字（絵文字、一部の記号や漢字など）は「〓」に置き換えています。"
	for _, c := range []struct {
		name, body string
		position   string
		replaced   bool
	}{
		{"emoji", "会議は明日です😀\r\n𠮷野家で昼食\r\n", "top", true},
		{"emoji-bottom", "会議は明日です😀\r\n", "bottom", true},
		{"holdable", "会議は明日です。①㈱髙ⅱ\r\n", "top", false},
	} {
		t.Run(c.name, func(t *testing.T) {
			p := defaultPolicy(t)
			p.OutputCharset = "iso-2022-jp"
			p.Notice.Position = c.position
			msg := "From: a@example.jp\r\nTo: b@example.lg.jp\r\nSubject: x\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n" + c.body
			var out bytes.Buffer
			rep, err := Message(&out, strings.NewReader(msg), int64(len(msg)), Options{Policy: p})
			if err != nil || rep.Verdict != Rebuilt {
				t.Fatalf("%v %+v", err, rep)
			}
			text := decodedText(t, out.Bytes())
			if got := strings.Contains(text, line); got != c.replaced {
				t.Errorf("notice line present %v, want %v:\n%s", got, c.replaced, text)
			}
			if got := strings.Contains(text, "characters without an ISO-2022-JP code replaced"); got != c.replaced {
				t.Errorf("English notice part present %v, want %v:\n%s", got, c.replaced, text)
			}
			if c.replaced && !strings.Contains(text, "会議は明日です〓") {
				t.Errorf("text lacks its 〓:\n%s", text)
			}
			found := false
			for _, f := range rep.Findings {
				found = found || f.Kind == "charset-unencodable"
			}
			if found != c.replaced {
				t.Errorf("charset-unencodable finding %v, want %v: %+v", found, c.replaced, rep.Findings)
			}
			// What the notice says was done is an action, in the report
			// and in X-Mugai-Sanitized, as every other is.
			if got := slices.Contains(rep.Actions, "characters-replaced"); got != c.replaced {
				t.Errorf("characters-replaced action %v, want %v: %v", got, c.replaced, rep.Actions)
			}
			if got := strings.Contains(sanitizedField(t, out.Bytes()), "characters-replaced"); got != c.replaced {
				t.Errorf("X-Mugai-Sanitized names characters-replaced %v, want %v", got, c.replaced)
			}
		})
	}
}

// sanitizedField is the rebuilt message's X-Mugai-Sanitized field.
func sanitizedField(t *testing.T, msg []byte) string {
	t.Helper()
	e, err := message.Read(bytes.NewReader(msg))
	if err != nil {
		t.Fatal(err)
	}
	return e.Header.Get("X-Mugai-Sanitized")
}

// TestFindingsTruncatedLast: past 200 findings the rest are counted in a
// last findings-truncated, those of the rebuild too (a From, Date or
// Message-ID written): it was appended before the rebuild, whose
// findings past the cap then went uncounted.
func TestFindingsTruncatedLast(t *testing.T) {
	var b strings.Builder
	b.WriteString("Subject: many\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n")
	for i := 0; i < 250; i++ {
		b.WriteString("--b\r\nContent-Type: text/plain\r\nContent-Transfer-Encoding: x-weird\r\n\r\nx\r\n")
	}
	b.WriteString("--b--\r\n")
	msg := b.String()
	var out bytes.Buffer
	rep, err := Message(&out, strings.NewReader(msg), int64(len(msg)), Options{Policy: defaultPolicy(t)})
	if err != nil || rep.Verdict != Rebuilt {
		t.Fatalf("%v %+v", err, rep.Verdict)
	}
	last := rep.Findings[len(rep.Findings)-1]
	n, _ := strconv.Atoi(strings.Fields(last.Detail + " 0")[0])
	if last.Kind != "findings-truncated" || n < 3 {
		t.Errorf("last finding %+v, want findings-truncated counting from-missing, date-missing and message-id-missing at least", last)
	}
	for _, f := range rep.Findings[:len(rep.Findings)-1] {
		if f.Kind == "findings-truncated" {
			t.Errorf("findings-truncated before the last finding: %+v", f)
		}
	}
}
