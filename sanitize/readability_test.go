package sanitize

import (
	"mime/quotedprintable"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/text/encoding/japanese"
)

// TestReadability sanitises HTML mail written the way newsletters and
// evasion samples write it and checks what the reader on the LGWAN side
// reads: lines that must be in the text, strings that must not be, and
// the finding the report gives for what was dropped.
func TestReadability(t *testing.T) {
	tests := []struct {
		file    string   // testdata/readability/<file>.eml
		want    []string // lines of the decoded text
		absent  []string // substrings of the decoded text
		finding string   // a finding kind the report must have, if any
	}{
		{
			// An href without a scheme is printed as written; its host
			// is one Gmail and Outlook on the web link by its name.
			file:   "scheme-relative-link",
			want:   []string{"アドレス帳に追加 <//news[.]machi-letter[.]com/vcard?u=3f21&id=9bc9>してください。"},
			absent: []string{"news.machi-letter.com"},
		},
		{
			// An MJML-style template: every column and cell has
			// font-size:0 (to close the gaps between inline blocks) and
			// the text in it a size of its own. The 1px words after the
			// contact line are there for filters, not for the reader.
			file:    "responsive-columns",
			want:    []string{"秋の市民まつり", "日時：10月19日（日）10時～16時", "会場：中央公園", "[画像: 会場の地図]", "お問い合わせ：まちづくり課"},
			absent:  []string{"秋のイベント情報", "a8f3c1e0", "当選"},
			finding: "html-hidden",
		},
		{
			// A newsletter with a PC and a phone version of its
			// content, one shown by its style sheet's classes, and a
			// preheader hidden the same way.
			file:    "pcsp-newsletter",
			want:    []string{"■ 年末年始の開館日", "12月29日（月）から1月3日（土）までは休館します。", "[画像: 子育て支援センター]"},
			absent:  []string{"スマホ", "年末年始の子育て支援センターの開館日をお知らせします"},
			finding: "html-hidden",
		},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			msg, err := os.ReadFile(filepath.Join("testdata", "readability", tt.file+".eml"))
			if err != nil {
				t.Fatal(err)
			}
			rep, out := rebuilt(t, string(msg), defaultPolicy(t))
			text := decodedText(t, out)
			lines := strings.Split(text, "\n")
			for _, w := range tt.want {
				if !containsLine(lines, w) {
					t.Errorf("text lacks the line %q:\n%s", w, text)
				}
			}
			for _, a := range tt.absent {
				if strings.Contains(text, a) {
					t.Errorf("text contains %q:\n%s", a, text)
				}
			}
			if tt.finding != "" && !hasFinding(rep, tt.finding) {
				t.Errorf("report lacks a %s finding: %+v", tt.finding, rep.Findings)
			}
		})
	}
}

func containsLine(lines []string, want string) bool {
	for _, l := range lines {
		if l == want {
			return true
		}
	}
	return false
}

// A part whose style sheets pass their limits is still rebuilt, and the
// report says the rest of the sheet was not applied.
func TestStyleSheetLimitFinding(t *testing.T) {
	sheet := strings.Repeat("/* padding for the limit */\n", 10000) + ".late{display:none}"
	msg := "From: a@example.jp\r\nTo: b@city.example.lg.jp\r\nSubject: x\r\nMIME-Version: 1.0\r\n" +
		"Content-Type: text/html; charset=utf-8\r\n\r\n<style>" + sheet + "</style><p class=late>本文です</p>\r\n"
	rep, out := rebuilt(t, msg, defaultPolicy(t))
	if !hasFinding(rep, "html-style-limit") {
		t.Errorf("report lacks an html-style-limit finding: %+v", rep.Findings)
	}
	if text := decodedText(t, out); !strings.Contains(text, "本文です") {
		t.Errorf("text lacks the paragraph:\n%s", text)
	}
}

// A <style> after the text it hides hides it in the delivered message too,
// as in the browser a mail client draws HTML with: the sanitiser gives the
// converter the part once per pass, each decoded afresh (here from
// Shift_JIS, and quoted-printable), and the charset findings are those of
// one pass, not one per pass.
func TestLateStyleSheetHides(t *testing.T) {
	html := "<html><body><p>本文です</p><p class=pre>隠れた前置き</p><p>ここまで</p>" +
		"<style>.pre{display:none}</style></body></html>"
	sjis, err := japanese.ShiftJIS.NewEncoder().String(html)
	if err != nil {
		t.Fatal(err)
	}
	var qp strings.Builder
	w := quotedprintable.NewWriter(&qp)
	w.Write([]byte(sjis))
	w.Close()
	msg := "From: a@example.jp\r\nTo: b@city.example.lg.jp\r\nSubject: x\r\nMIME-Version: 1.0\r\n" +
		"Content-Type: text/html\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n" + qp.String() + "\r\n"
	rep, out := rebuilt(t, msg, defaultPolicy(t))
	text := decodedText(t, out)
	if !strings.Contains(text, "本文です") || !strings.Contains(text, "ここまで") || strings.Contains(text, "隠れた前置き") {
		t.Errorf("delivered text, want the hidden paragraph dropped and the others kept:\n%s", text)
	}
	if !hasFinding(rep, "html-hidden") {
		t.Errorf("report lacks the html-hidden finding: %+v", rep.Findings)
	}
	n := 0
	for _, f := range rep.Findings {
		if strings.HasPrefix(f.Kind, "charset-") {
			n++
		}
	}
	if n > 1 {
		t.Errorf("%d charset findings for one part, want at most one: %+v", n, rep.Findings)
	}
}
