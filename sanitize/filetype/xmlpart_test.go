package filetype

import (
	"encoding/binary"
	"strings"
	"testing"
	"unicode/utf16"
)

// utf16BE is s in UTF-16, big-endian, with a byte order mark.
func utf16BE(s string) []byte {
	out := []byte{0xfe, 0xff}
	for _, u := range utf16.Encode([]rune(s)) {
		out = binary.BigEndian.AppendUint16(out, u)
	}
	return out
}

// TestOOXMLPartEncodings: a Word part read for fields and a workbook
// part read for formulas are read alike, as Office reads a part: UTF-8,
// or UTF-16 with a byte order mark (OPC allows both), a formula or field
// in either found; UTF-16 without a mark, a declaration naming a charset
// the bytes are not in, or a DTD is not inspected, so not kept. Before,
// a workbook part in UTF-16 was not inspected where a Word part was
// read, a DTD in a Word part went unnoticed, and a workbook part in
// UTF-16 without a mark, or behind 40 KiB of blanks, was left unread,
// as was a workbook's external link to DDE in UTF-16.
func TestOOXMLPartEncodings(t *testing.T) {
	const (
		sheet    = "xl/worksheets/sheet2.xml"
		nsSheet2 = `xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"`
		webCell  = `<sheetData><row r="1"><c r="A1"><f>_xlfn.WEBSERVICE("http://evil.example/")</f></c></row></sheetData>`
	)
	webservice := []string{RunningFormula + " (WEBSERVICE) in " + sheet}
	sheetNotInspected := func(why string) []string { return []string{"office: formulas not inspected " + sheet + ": " + why} }
	wordNotInspected := func(why string) []string { return []string{"office: fields not inspected word/document.xml: " + why} }
	book := func(part []byte) []byte { return xlsx(t, "", "", deflate(sheet, part)) }
	word := func(part []byte) []byte { return docx(t, deflate("word/document.xml", part)) }
	const wordBody = `<w:document ` + nsWord + `><w:body>` + includePicture + `</w:body></w:document>`
	includeFound := []string{"office: external reference includepicture field in word/document.xml"}
	runClassify(t, []classifyCase{
		{name: "UTF-16LE sheet with WEBSERVICE", data: book(utf16LE(`<?xml version="1.0" encoding="UTF-16"?><worksheet ` + nsSheet2 + `>` + webCell + `</worksheet>`)), filename: "a.xlsx",
			class: ClassOffice, findings: webservice},
		{name: "UTF-16BE sheet with WEBSERVICE", data: book(utf16BE(`<?xml version="1.0" encoding="utf-16"?><worksheet ` + nsSheet2 + `>` + webCell + `</worksheet>`)), filename: "a.xlsx",
			class: ClassOffice, findings: webservice},
		{name: "UTF-16 sheet, no declaration", data: book(utf16LE(`<worksheet ` + nsSheet2 + `>` + webCell + `</worksheet>`)), filename: "a.xlsx",
			class: ClassOffice, findings: webservice},
		{name: "clean UTF-16 sheet", data: book(utf16LE(`<?xml version="1.0" encoding="UTF-16"?><worksheet/>`)), filename: "a.xlsx",
			class: ClassOffice, sniffed: mimeXlsx, clean: true},
		{name: "UTF-16 sheet without a byte order mark", data: book(utf16LE(`<?xml version="1.0" encoding="UTF-16"?><worksheet>` + webCell + `</worksheet>`)[2:]), filename: "a.xlsx",
			class: ClassOffice, findings: sheetNotInspected("XML syntax error on line 1: expected element name after <")},
		{name: "UTF-8 sheet declared UTF-16", data: book([]byte(`<?xml version="1.0" encoding="UTF-16"?><worksheet>` + webCell + `</worksheet>`)), filename: "a.xlsx",
			class: ClassOffice, findings: sheetNotInspected(`xml: opening charset "UTF-16": charset UTF-16`)},
		{name: "sheet in Shift_JIS", data: book([]byte(`<?xml version="1.0" encoding="Shift_JIS"?><worksheet>` + webCell + `</worksheet>`)), filename: "a.xlsx",
			class: ClassOffice, findings: sheetNotInspected(`xml: opening charset "Shift_JIS": charset Shift_JIS`)},
		{name: "sheet behind 40 KiB of blanks", data: book([]byte(strings.Repeat(" ", 40<<10) + `<worksheet ` + nsSheet2 + `>` + webCell + `</worksheet>`)), filename: "a.xlsx",
			class: ClassOffice, findings: webservice},
		{name: "UTF-16BE Word part with a field", data: word(utf16BE(`<?xml version="1.0" encoding="UTF-16"?>` + wordBody)), filename: "a.docx",
			class: ClassOffice, findings: includeFound},
		{name: "Word part with a DTD", data: word([]byte(`<!DOCTYPE w:document [<!ATTLIST w:t x CDATA "y">]>` + wordBody)), filename: "a.docx",
			class: ClassOffice, findings: wordNotInspected("DTD")},
		{name: "Word part with a DTD, no field", data: word([]byte(`<!DOCTYPE w:document><w:document ` + nsWord + `/>`)), filename: "a.docx",
			class: ClassOffice, findings: wordNotInspected("DTD")},
		{name: "UTF-8 Word part declared UTF-16", data: word([]byte(`<?xml version="1.0" encoding="UTF-16"?>` + wordBody)), filename: "a.docx",
			class: ClassOffice, findings: wordNotInspected(`xml: opening charset "UTF-16": charset UTF-16`)},
		{name: "UTF-16 workbook DDE link", data: xlsx(t, "", "", deflate("xl/externalLinks/externalLink1.xml", utf16LE(`<?xml version="1.0" encoding="UTF-16"?><externalLink `+nsSheet2+`><ddeLink ddeService="cmd" ddeTopic="/c calc"/></externalLink>`))), filename: "a.xlsx",
			class: ClassOffice, findings: []string{"office: external reference ddelink in xl/externalLinks/externalLink1.xml"}},
		{name: "UTF-8 relationships declared UTF-16", data: docx(t, deflate("word/_rels/document.xml.rels", []byte(`<?xml version="1.0" encoding="UTF-16"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"/>`))), filename: "a.docx",
			class: ClassOffice, findings: []string{"office: relationships not inspected (not readable as XML) in word/_rels/document.xml.rels"}},
	})
}
