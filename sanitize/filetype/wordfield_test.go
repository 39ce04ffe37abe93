package filetype

import "testing"

// TestWordFieldSwitchesFirst: a HYPERLINK field's target is found
// wherever its switches stand, and a keyword is read with a quote right
// after it. Before, a HYPERLINK whose code began with a switch (\o "tip"
// before the target) was taken for a jump within the document, so a
// link to a share was neither refused nor counted, and INCLUDEPICTURE
// written against its quoted path was no finding, nor was a field the
// part left open (no separate or end mark).
func TestWordFieldSwitchesFirst(t *testing.T) {
	share := []string{"office: link to a network share (UNC path) in word/document.xml"}
	runClassify(t, []classifyCase{
		{name: "tip before the target", data: docx(t, deflate("word/document.xml", wordField(` HYPERLINK \o "開く" "\\\\evil\\s\\x.docx" `))), filename: "a.docx",
			class: ClassOffice, findings: share},
		{name: "frame and place before the target", data: docx(t, deflate("word/document.xml", wordField(` HYPERLINK \t "_blank" \l "a" \\\\evil\\s\\x.docx`))), filename: "a.docx",
			class: ClassOffice, findings: share},
		{name: "keyword against its argument", data: docx(t, deflate("word/document.xml", wordField(` INCLUDEPICTURE"\\\\evil\\s\\a.png"`))), filename: "a.docx",
			class: ClassOffice, findings: []string{"office: external reference includepicture field in word/document.xml"}},
		{name: "a field left open", data: docx(t, deflate("word/document.xml", []byte(`<w:document `+nsWord+`><w:body><w:p><w:r><w:fldChar w:fldCharType="begin"/></w:r><w:r><w:instrText> INCLUDEPICTURE "\\\\evil\\s\\a.png" \d </w:instrText></w:r></w:p></w:body></w:document>`))), filename: "a.docx",
			class: ClassOffice, findings: []string{"office: external reference includepicture field in word/document.xml"}},
		{name: "a place and a tip only", data: docx(t, deflate("word/document.xml", wordField(` HYPERLINK \l "_Toc1" \o "目次" \n`))), filename: "a.docx",
			class: ClassOffice, clean: true},
	})
	for _, tt := range []struct {
		args, target string
		ok           bool
	}{
		{` "https://www.city.example.lg.jp/" \o "tip"`, "https://www.city.example.lg.jp/", true},
		{` \o "tip" "https://a.example/"`, "https://a.example/", true},
		{` \l "_Toc1"`, "", false},
		{` \m \n https://b.example/x`, "https://b.example/x", true},
		{` \\\\host\\s`, `\\\\host\\s`, true},
		{``, "", false},
	} {
		if got, ok := hyperlinkFieldTarget(tt.args); got != tt.target || ok != tt.ok {
			t.Errorf("hyperlinkFieldTarget(%q) = %q, %v; want %q, %v", tt.args, got, ok, tt.target, tt.ok)
		}
	}
}
