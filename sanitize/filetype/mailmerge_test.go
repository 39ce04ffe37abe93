package filetype

import (
	"bytes"
	"slices"
	"testing"
)

// TestWordMailMergeAnyWordPackage: a mail merge data source is read in
// every package Word opens as a Word document, whatever its kind: a
// macro-enabled document (.docm), a template (.dotx, .dotm), one
// without _rels/.rels, told by its main part's type, and in a glossary
// document's own settings part. mainPartMime makes each a Word
// document, so its settings part is read by name or by type.
func TestWordMailMergeAnyWordPackage(t *testing.T) {
	const (
		nsW   = `xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"`
		merge = `<w:mailMerge><w:mainDocumentType w:val="formLetters"/><w:linkToQuery/><w:dataType w:val="native"/><w:connectString w:val="Provider=Microsoft.ACE.OLEDB.12.0;Data Source=\\192.0.2.1\s\名簿.xlsx"/><w:query w:val="SELECT * FROM ` + "`" + `Sheet1$` + "`" + `"/></w:mailMerge>`
	)
	settings := func(name string) zent {
		return deflate(name, []byte(`<?xml version="1.0"?><w:settings `+nsW+`>`+merge+`</w:settings>`))
	}
	const xmlDefault = `<Default Extension="xml" ContentType="application/xml"/>`
	word := func(mainType string, settingsType string, withRels bool, settingsName string) []byte {
		types := xmlDefault + override("/word/document.xml", mainType)
		if settingsType != "" {
			types += override("/"+settingsName, settingsType)
		}
		ents := []zent{contentTypes(types)}
		if withRels {
			ents = append(ents, rootRels(mainRel("word/document.xml")))
		}
		ents = append(ents, wordPart("word/document.xml", ""), settings(settingsName))
		return zipFile(t, ents...)
	}
	const (
		ctDocm = "application/vnd.ms-word.document.macroEnabled.main+xml"
		ctDotx = "application/vnd.openxmlformats-officedocument.wordprocessingml.template.main+xml"
		ctDotm = "application/vnd.ms-word.template.macroEnabledTemplate.main+xml"
	)
	cases := []classifyCase{
		{name: "macro-enabled document, settings by name", filename: "a.docm",
			data:  word(ctDocm, "", true, "word/settings.xml"),
			class: ClassOffice, sniffed: mimeDocm, findings: []string{MailMergeSource + " in word/settings.xml"}},
		{name: "template, settings by name", filename: "a.dotx",
			data:  word(ctDotx, "", true, "word/settings.xml"),
			class: ClassOffice, sniffed: mimeDocx, findings: []string{MailMergeSource + " in word/settings.xml"}},
		{name: "macro-enabled template, settings by type under another name", filename: "a.dotm",
			data:  word(ctDotm, ctWordSettings, true, "word/conf.xml"),
			class: ClassOffice, sniffed: mimeDocm, findings: []string{MailMergeSource + " in word/conf.xml"}},
		{name: "no _rels/.rels, told by the main part's type", filename: "a.docx",
			data:  word(ctWordMain, "", false, "word/settings.xml"),
			class: ClassOffice, sniffed: mimeDocx, findings: []string{MailMergeSource + " in word/settings.xml"}},
		{name: "glossary document's settings", filename: "a.dotx",
			data:  word(ctDotx, "", true, "word/glossary/settings.xml"),
			class: ClassOffice, sniffed: mimeDocx, findings: []string{MailMergeSource + " in word/glossary/settings.xml"}},
		// Typed as Word's settings in a package of another kind, it is
		// read too (isWordprocessingML).
		{name: "typed as Word's settings in a workbook", filename: "a.xlsx",
			data: zipFile(t, contentTypes(xmlDefault+override("/xl/workbook.xml", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml")+override("/x/s.xml", ctWordSettings)),
				rootRels(mainRel("xl/workbook.xml")), deflate("xl/workbook.xml", []byte(`<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"/>`)), settings("x/s.xml")),
			class: ClassOffice, sniffed: mimeXlsx, findings: []string{MailMergeSource + " in x/s.xml"}},
	}
	runClassify(t, cases)
}

// TestWordPartsNamedAsExternalLinks: Word finds its parts by
// relationship, not by name, so a settings part or a header typed as
// Word's under a workbook's external link folder (xl/externalLinks/)
// is read as Word's too. inspectZip read such a part only as an
// external link (for ddeLink and oleLink), never for a mail merge
// source or fields, and the document had no finding.
func TestWordPartsNamedAsExternalLinks(t *testing.T) {
	const nsW = `xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"`
	pkg := func(name, ct, rel string, part []byte) []byte {
		return zipFile(t, contentTypes(`<Default Extension="xml" ContentType="application/xml"/>`+override("/word/document.xml", ctWordMain)+override("/"+name, ct)),
			rootRels(mainRel("word/document.xml")), wordPart("word/document.xml", ""),
			docRels(`<Relationship Id="rId3" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/`+rel+`" Target="../`+name+`"/>`),
			deflate(name, part))
	}
	for _, tc := range []struct {
		name, want string
		data       []byte
	}{
		{"settings with a mail merge source", MailMergeSource + " in xl/externalLinks/s.xml",
			pkg("xl/externalLinks/s.xml", ctWordSettings, "settings", []byte(`<w:settings `+nsW+`><w:mailMerge><w:mainDocumentType w:val="formLetters"/><w:connectString w:val="Data Source=\\192.0.2.1\s\a.xlsx"/></w:mailMerge></w:settings>`))},
		{"header with an INCLUDEPICTURE", "office: external reference includepicture field in xl/externalLinks/h.xml",
			pkg("xl/externalLinks/h.xml", "application/vnd.openxmlformats-officedocument.wordprocessingml.header+xml", "header", []byte(`<w:hdr `+nsW+`>`+includePicture+`</w:hdr>`))},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res, err := Classify(bytes.NewReader(tc.data), int64(len(tc.data)), "", "a.docx", Limits{})
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Contains(res.Findings, tc.want) {
				t.Errorf("findings %q, want %q", res.Findings, tc.want)
			}
		})
	}
}
