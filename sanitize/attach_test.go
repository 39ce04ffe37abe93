package sanitize

import (
	"bytes"
	"strings"
	"testing"

	"mugai/config"
)

// TestBlocksKeeping: what a file holds is the reason given before what
// could not be read of it, whatever order the classifier found them in.
func TestBlocksKeeping(t *testing.T) {
	for _, tt := range []struct {
		findings []string
		want     string
	}{
		{nil, ""},
		{[]string{"zip: nested archive inner.zip"}, ""},
		{[]string{"office: macros"}, "office document with macros"},
		{[]string{"zip: too many entries", "office: macros"}, "office document with macros"},
		{[]string{"archive: limit exceeded", "archive: active content entry page.html"}, "archive holds HTML or SVG, which runs scripts when opened"},
		{[]string{"pdf: not fully inspected: a stream mugai cannot read to the end", "pdf: javascript"}, "document with active or embedded content"},
		{[]string{"zip: corrupt entry", "zip: encrypted entry secret.docx"}, "encrypted content cannot be inspected"},
		{[]string{"zip: nested archive a.zip", "zip: corrupt entry"}, "archive could not be fully inspected"},
		{[]string{"ole: odd stream"}, "content needs inspection (ole)"},
	} {
		if got := blocksKeeping(tt.findings); got != tt.want {
			t.Errorf("blocksKeeping(%q) = %q, want %q", tt.findings, got, tt.want)
		}
	}
}

// A PDF the policy keeps is delivered as it is, its links clickable: the
// report says how many (one per target), and the notice tells the
// reader, so the promise that links are made non-clickable is not
// broken quietly. A PDF whose link opens a file or a share is removed,
// as one with a launch or remote go-to action.
func TestKeptPDFLinks(t *testing.T) {
	pdf := func(uris ...string) []byte {
		var annots []string
		for _, u := range uris {
			annots = append(annots, "<< /Subtype /Link /A << /S /URI /URI ("+u+") >> >>")
		}
		return []byte("%PDF-1.7\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R /Annots [" + strings.Join(annots, " ") + "] >>\nendobj\n" +
			"2 0 obj\n<< /Type /Pages /Kids [] /Count 0 >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n")
	}
	msg := withAttachments(
		attached{"links.pdf", "application/pdf", pdf("https://www.city.example.lg.jp/a", "https://www.city.example.lg.jp/a", "mailto:kikaku@city.example.lg.jp")},
		attached{"plain.pdf", "application/pdf", pdf()},
		attached{"share.pdf", "application/pdf", pdf(`\\\\evil.example\\share\\x.pdf`)},
	)
	pol := defaultPolicy(t)
	pol.Attachments.Keep = append(pol.Attachments.Keep, config.KeepRule{Extensions: []string{".pdf"}, Types: []string{"application/pdf"}})
	var out bytes.Buffer
	rep, err := Message(&out, strings.NewReader(msg), int64(len(msg)), Options{Policy: pol})
	if err != nil || rep.Verdict != Rebuilt {
		t.Fatalf("%v %+v", err, rep)
	}
	want := []struct{ decision, reason string }{
		{DecisionKeep, "allowed by a keep rule; 2 links left clickable"},
		{DecisionKeep, "allowed by a keep rule"},
		{DecisionStrip, "document links to a file, a network share or a program"},
	}
	for i, w := range want {
		p := rep.Parts[i+1]
		if p.Decision != w.decision || p.Reason != w.reason {
			t.Errorf("%s: %s (%s), want %s (%s)", p.Filename, p.Decision, p.Reason, w.decision, w.reason)
		}
	}
	var links []Finding
	for _, f := range rep.Findings {
		if f.Kind == "pdf-links" {
			links = append(links, f)
		}
	}
	if len(links) != 1 || links[0] != (Finding{Path: "2", Kind: "pdf-links", Detail: "2 links left clickable"}) {
		t.Errorf("pdf-links findings %+v, want one for part 2", links)
	}
	text := decodedText(t, out.Bytes())
	for _, line := range []string{
		"・許可された添付ファイル（2件）はそのまま添付しています。",
		"・次の添付ファイル中のリンクはクリックできる形のままです（無効化していません）。送信元を確かめてから開いてください:",
		"    - links.pdf (" + humanSize(int64(len(pdf("https://www.city.example.lg.jp/a", "https://www.city.example.lg.jp/a", "mailto:kikaku@city.example.lg.jp")))) + ") … リンク 2件",
		"    - share.pdf (",
		"… ファイルや共有フォルダなどへのリンクを含む文書のため",
		"2 attachment(s) kept; links left clickable in 1 kept file(s)",
	} {
		if !strings.Contains(text, line) {
			t.Errorf("notice lacks %q:\n%s", line, text)
		}
	}
}
