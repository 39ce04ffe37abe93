package filetype

import (
	"archive/zip"
	"encoding/binary"
	"fmt"
	"testing"
	"unicode/utf16"
	"unicode/utf8"
)

// docText is a piece of a Word 97-2003 document's text: 8-bit
// (Windows-1252) or UTF-16LE.
type docText struct {
	text string
	wide bool
}

// docSpec is a .doc as docFile writes it.
type docSpec struct {
	pieces []docText
	// table is the table stream's name ("1Table" if ""); which sets
	// fWhichTblStm (the 1Table) unless zeroTable.
	table     string
	zeroTable bool
	big       bool // the streams padded to 4096 bytes: in sectors of their own
	encrypted bool // fEncrypted
	reversed  bool // the pieces' bytes in the stream in reverse order
	// fcPast puts the last piece past the WordDocument stream's end.
	fcPast bool
}

// docFib is a Word 97 FIB: FibBase, csw 14, cslw 22, cbRgFcLcb 0x5D
// (FibRgFcLcb97) with fcClx/lcbClx, cswNew 0, as Word 97 writes it.
func docFib(flags uint16, fcClx, lcbClx uint32) []byte {
	b := make([]byte, 32)
	binary.LittleEndian.PutUint16(b[0:], fibIdent)
	binary.LittleEndian.PutUint16(b[2:], fibWord97)
	binary.LittleEndian.PutUint16(b[0x0A:], flags)
	b = binary.LittleEndian.AppendUint16(b, 14)
	b = append(b, make([]byte, 28)...)
	b = binary.LittleEndian.AppendUint16(b, 22)
	b = append(b, make([]byte, 88)...)
	b = binary.LittleEndian.AppendUint16(b, 0x5D)
	rg := make([]byte, 8*0x5D)
	binary.LittleEndian.PutUint32(rg[8*fibClxIndex:], fcClx)
	binary.LittleEndian.PutUint32(rg[8*fibClxIndex+4:], lcbClx)
	b = append(b, rg...)
	return binary.LittleEndian.AppendUint16(b, 0)
}

// docFile writes a .doc of docStreams and a summary stream.
func docFile(d docSpec) []byte {
	return cfbFile(clsidWord, append(docStreams(d), cfbEnt{name: "\x05SummaryInformation", typ: 2, data: make([]byte, 200)})...)
}

// docStreams are a .doc's WordDocument stream, the FIB and the pieces'
// text, and its table stream, whose Clx (a Prc, then the Pcdt) lists
// the pieces in the order of the text.
func docStreams(d docSpec) []cfbEnt {
	var wd []byte
	wd = append(wd, make([]byte, 1024)...) // the FIB, written last
	fcs := make([]uint32, len(d.pieces))
	cps := []uint32{0}
	order := make([]int, len(d.pieces))
	for i := range order {
		order[i] = i
		if d.reversed {
			order[i] = len(d.pieces) - 1 - i
		}
	}
	for _, i := range order {
		p := d.pieces[i]
		if p.wide {
			fcs[i] = uint32(len(wd))
			for _, u := range utf16.Encode([]rune(p.text)) {
				wd = binary.LittleEndian.AppendUint16(wd, u)
			}
		} else {
			fcs[i] = uint32(2*len(wd)) | pcdCompressed
			wd = append(wd, p.text...)
		}
	}
	for i, p := range d.pieces {
		n := len(p.text)
		if p.wide {
			n = len(utf16.Encode([]rune(p.text)))
		}
		cps = append(cps, cps[i]+uint32(n))
	}
	if d.big {
		wd = append(wd, make([]byte, max(0, 4096-len(wd)))...)
	}
	if d.fcPast && len(fcs) > 0 {
		fcs[len(fcs)-1] = uint32(len(wd)) + 8
	}
	plc := []byte{}
	for _, cp := range cps {
		plc = binary.LittleEndian.AppendUint32(plc, cp)
	}
	for _, fc := range fcs {
		plc = append(plc, 0, 0)
		plc = binary.LittleEndian.AppendUint32(plc, fc)
		plc = append(plc, 0, 0)
	}
	tbl := make([]byte, 16) // what comes before the Clx
	fcClx := len(tbl)
	tbl = append(tbl, clxPrc, 3, 0, 0x2A, 0x0C, 0x01) // a Prc: sprmCHighlight
	tbl = append(tbl, clxPcdt)
	tbl = binary.LittleEndian.AppendUint32(tbl, uint32(len(plc)))
	tbl = append(tbl, plc...)
	var flags uint16
	if !d.zeroTable {
		flags |= fibWhichTblStm
	}
	if d.encrypted {
		flags |= fibEncrypted
	}
	copy(wd, docFib(flags, uint32(fcClx), uint32(len(tbl)-fcClx)))
	if d.big {
		tbl = append(tbl, make([]byte, max(0, 4096-len(tbl)))...)
	}
	table := d.table
	if table == "" {
		table = "1Table"
	}
	return []cfbEnt{{name: "WordDocument", typ: 2, data: wd}, {name: table, typ: 2, data: tbl}}
}

// TestDocFields: a Word 97-2003 document's fields are text in its
// WordDocument stream, the pieces of which the table stream's Clx
// lists; before, a .doc's fields were not read, so DDEAUTO running cmd
// or INCLUDEPICTURE from a share was kept where a policy kept .doc.
// Each case is read with its streams in the mini stream and in sectors
// of their own.
func TestDocFields(t *testing.T) {
	one := func(s string) []docText { return []docText{{text: s}} }
	dde := "office: external reference ddeauto field"
	for _, tc := range []struct {
		name     string
		doc      docSpec
		findings []string
		clean    bool
		enc      bool
	}{
		{name: "clean: PAGE, DATE, TOC, HYPERLINK to https and to a bookmark",
			doc: docSpec{pieces: []docText{{text: "Page \x13 PAGE \x14" + "1\x15 of \x13 DATE \\@ \"yyyy/MM/dd\" \x14" + "2026/11/27\x15\r"},
				{text: "\x13 TOC \\o \"1-3\" \\h \x14\x13 HYPERLINK \\l \"_Toc1\" \x14目次\x15\x15 \x13 HYPERLINK \"https://www.city.example.lg.jp/\" \x14市のページ\x15\r", wide: true}}},
			clean: true},
		{name: "clean: a field in another's code after its keyword",
			doc:   docSpec{pieces: one("\x13 IF \x13 PAGE \x14" + "1\x15 = 1 \"one\" \"more\" \x14one\x15\r")},
			clean: true},
		{name: "DDEAUTO, one 8-bit piece",
			doc:      docSpec{pieces: one("Dear user,\r\x13 DDEAUTO c:\\\\windows\\\\system32\\\\cmd.exe \"/k calc\" \x14\x15\r")},
			findings: []string{dde}},
		{name: "INCLUDEPICTURE from a share, UTF-16",
			doc:      docSpec{pieces: []docText{{text: "写真: \x13 INCLUDEPICTURE \"\\\\\\\\evil\\\\s\\\\a.png\" \\d \x14\x01\x15\r", wide: true}}},
			findings: []string{"office: external reference includepicture field"}},
		// Japanese input writes an ideographic space (U+3000) where a
		// blank goes; other readers' blanks are Unicode's too.
		{name: "DDEAUTO after an ideographic space",
			doc:      docSpec{pieces: []docText{{text: "\x13\u3000DDEAUTO cmd \"/c calc\" \x14\x15\r", wide: true}}},
			findings: []string{dde}},
		{name: "HYPERLINK to a share after a no-break space",
			doc:      docSpec{pieces: one("\x13\xa0HYPERLINK\xa0\"\\\\\\\\evil\\\\s\\\\x.docx\" \x14here\x15\r")},
			findings: []string{"office: link to a network share (UNC path)"}},
		{name: "keyword split over two pieces, 8-bit and UTF-16",
			doc:      docSpec{pieces: []docText{{text: "x \x13 DDE"}, {text: "AUTO cmd \"/c calc\" \x14\x15\r", wide: true}}},
			findings: []string{dde}},
		{name: "keyword split over two pieces stored in reverse order",
			doc:      docSpec{pieces: []docText{{text: "x \x13 INCLUDE"}, {text: "TEXT \"\\\\\\\\evil\\\\s\\\\t.doc\" \x14\x15\r", wide: true}}, reversed: true},
			findings: []string{"office: external reference includetext field"}},
		{name: "keyword made by a nested field",
			doc:      docSpec{pieces: one("\x13 \x13 QUOTE \"DDEAUTO\" \x14DDEAUTO\x15 cmd \"/c calc\" \x14\x15\r")},
			findings: []string{"office: fields not inspected (WordDocument: a field's keyword made by another field)"}},
		{name: "HYPERLINK's target made by a nested field",
			doc:      docSpec{pieces: one("\x13 HYPERLINK \x13 QUOTE \"\\\\\\\\evil\\\\s\\\\x.docx\" \x14\\\\evil\\s\\x.docx\x15 \x14here\x15\r")},
			findings: []string{"office: fields not inspected (WordDocument: a HYPERLINK's target made by another field)"}},
		{name: "field in another's result",
			doc:      docSpec{pieces: one("\x13 IF 1 = 1 \x14\x13 INCLUDEPICTURE \"http://evil.example/a.png\" \x14\x15\x15\r")},
			findings: []string{"office: external reference includepicture field"}},
		{name: "field left open",
			doc:      docSpec{pieces: one("\x13 DDEAUTO cmd \"/c calc\"")},
			findings: []string{dde}},
		{name: "fields nested too deep",
			doc:      docSpec{pieces: one("\x13 IF 1 = 1 \x14" + nestedFields(70) + "\x15\r")},
			findings: []string{"office: fields not inspected (WordDocument: fields nested deeper than 64)"}},
		{name: "HYPERLINK to a share",
			doc:      docSpec{pieces: one("\x13 HYPERLINK \"\\\\\\\\evil\\\\s\\\\x.docx\" \x14here\x15\r")},
			findings: []string{"office: link to a network share (UNC path)"}},
		{name: "0Table",
			doc:      docSpec{pieces: one("\x13DDEAUTO cmd \"/c calc\"\x14\x15"), table: "0Table", zeroTable: true},
			findings: []string{dde}},
		{name: "fWhichTblStm names 1Table, only a 0Table",
			doc:      docSpec{pieces: one("\x13DDEAUTO cmd \"/c calc\"\x14\x15"), table: "0Table"},
			findings: []string{oleNotFullyRead + " (WordDocument: table stream 1Table missing)"}},
		{name: "fWhichTblStm names 0Table, only a 1Table",
			doc:      docSpec{pieces: one("\x13DDEAUTO cmd \"/c calc\"\x14\x15"), zeroTable: true},
			findings: []string{oleNotFullyRead + " (WordDocument: table stream 0Table missing)"}},
		{name: "encrypted",
			doc:      docSpec{pieces: one("\x13DDEAUTO cmd \"/c calc\"\x14\x15"), encrypted: true},
			findings: []string{"office: encrypted document"}, enc: true},
		{name: "a piece past the stream",
			doc:      docSpec{pieces: []docText{{text: "a"}, {text: "\x13DDEAUTO cmd\x14\x15"}}, fcPast: true},
			findings: []string{oleNotFullyRead + " (WordDocument: piece 1 outside the stream)"}},
	} {
		for _, big := range []bool{false, true} {
			name := tc.name + ", in the mini stream"
			if big {
				name = tc.name + ", in sectors of their own"
			}
			t.Run(name, func(t *testing.T) {
				d := tc.doc
				d.big = big
				class := ClassOffice
				if tc.enc {
					class = ClassEncryptedArchive
				}
				runClassify(t, []classifyCase{{name: "doc", data: docFile(d), filename: "a.doc", class: class,
					sniffed: "application/msword", enc: tc.enc, clean: tc.clean, findings: tc.findings}})
			})
		}
	}
	// In an archive, the finding names the document.
	runClassify(t, []classifyCase{{name: "in a zip", filename: "a.zip",
		data:  zipFile(t, zent{name: "b.doc", data: docFile(docSpec{pieces: []docText{{text: "\x13 DDEAUTO cmd \x14\x15"}}}), method: zip.Store}),
		class: ClassArchive, findings: []string{"office: external reference ddeauto field in b.doc"}}})
}

// nestedFields is n fields, each in the previous one's result.
func nestedFields(n int) string {
	s := ""
	for range n {
		s += "\x13 IF 1 = 1 \x14"
	}
	for range n {
		s += "\x15"
	}
	return s
}

// TestCFBParents: a document in a .doc's object pool has its own
// WordDocument and table streams, paired by the storage the directory's
// tree puts them in (cfbParents), not by the first so named.
func TestCFBParents(t *testing.T) {
	// root(0) -child-> 1; 1 -right-> 2; 2 is a storage -child-> 3;
	// 3 -left-> 4; 5 is in no tree.
	none := uint32(0xFFFFFFFF)
	links := [][3]uint32{{none, none, 1}, {none, 2, none}, {none, none, 3}, {4, none, none}, {none, none, none}, {none, none, none}}
	got := cfbParents(links)
	want := []int32{-1, 0, 0, 2, 2, -1}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("cfbParents = %v, want %v", got, want)
			break
		}
	}
	// A loop is not followed twice.
	loop := [][3]uint32{{none, none, 1}, {2, none, none}, {1, none, 1}}
	if got := cfbParents(loop); got[1] != 0 || got[2] != 0 {
		t.Errorf("cfbParents(loop) = %v", got)
	}
}

// TestDocTableStreamTwice: two table streams of the same name in one
// storage. Word opens the one the directory's tree search finds, which
// need not be the first in the directory; the reader read the first, so
// a clean Clx before one listing a DDEAUTO piece hid the field.
func TestDocTableStreamTwice(t *testing.T) {
	for _, tc := range []struct {
		name     string
		order    []int // of the clean table (0) and the one listing DDEAUTO (1)
		findings []string
	}{
		{name: "clean table first", order: []int{0, 1},
			findings: []string{oleNotFullyRead + " (WordDocument: table stream 1Table twice in its storage)"}},
		{name: "DDEAUTO table first", order: []int{1, 0},
			findings: []string{oleNotFullyRead + " (WordDocument: table stream 1Table twice in its storage)"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			// The WordDocument holds a clean piece and a DDEAUTO one; the
			// second table lists both, the first only the clean one.
			st := docStreams(docSpec{pieces: []docText{{text: "Dear user,\r"}, {text: "\x13 DDEAUTO cmd \"/c calc\" \x14\x15\r"}}})
			dde := st[1].data
			// The Clx at 16: a Prc of 6 bytes, then the Pcdt: 1, lcb, 3
			// character positions and 2 Pcds.
			plc := dde[16+6+5:]
			clean := append([]byte{}, dde[:16+6+1]...)
			clean = binary.LittleEndian.AppendUint32(clean, 4*2+pcdSize)
			clean = append(clean, plc[:8]...)
			clean = append(clean, plc[12:12+pcdSize]...)
			clean = append(clean, make([]byte, len(dde)-len(clean))...)
			tables := [][]byte{clean, dde}
			ents := []cfbEnt{st[0]}
			for _, i := range tc.order {
				ents = append(ents, cfbEnt{name: "1Table", typ: 2, data: tables[i]})
			}
			runClassify(t, []classifyCase{{name: "doc", data: cfbFile(clsidWord, ents...), filename: "a.doc",
				class: ClassOffice, sniffed: "application/msword", findings: tc.findings}})
		})
	}
}

// TestDocFieldsCodeBytes: the codes kept for the inspector are bounded
// in bytes, not only in number: 4096 codes of 2 KiB each (from as few
// as 700 bytes of 8-bit text, each '€' 3 bytes of UTF-8) held beside
// the 8 MiB of text made over 17 MiB, past the 16 MiB a 25 MiB message
// may add to the heap.
func TestDocFieldsCodeBytes(t *testing.T) {
	for _, tc := range []struct {
		name   string
		n      int    // fields
		filler string // repeated in each code
		capped bool
	}{
		{name: "a thousand short links", n: 1000, filler: "a", capped: false},
		{name: "4096 codes of 2 KiB from '€'", n: docMaxCodes, filler: "\x80", capped: true},
		{name: "2 MiB of codes in two documents", n: 600, filler: "\x80", capped: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var text []byte
			for i := range tc.n {
				text = append(text, fmt.Sprintf("\x13 INCLUDEPICTURE \"http://evil.example/%d/", i)...)
				for range 700 / len(tc.filler) {
					text = append(text, tc.filler...)
				}
				text = append(text, "\" \x14\x15"...)
			}
			// Twice, as of two WordDocument streams, whose codes are
			// held together.
			var f docFindings
			for range 2 {
				docFields([]docPiece{{cp: int64(len(text)), compressed: true}}, [][]byte{text}, &f)
			}
			held := 0
			for _, c := range f.codes {
				held += len(c)
			}
			if held > docMaxCodeBytes+maxFieldCode+utf8.UTFMax {
				t.Errorf("%d bytes of codes held, more than %d", held, docMaxCodeBytes)
			}
			if got := f.notInspected != ""; got != tc.capped {
				t.Errorf("notInspected = %q, want it set %v", f.notInspected, tc.capped)
			}
		})
	}
}
