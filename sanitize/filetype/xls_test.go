package filetype

import (
	"archive/zip"
	"bytes"
	"encoding/binary"
	"testing"
)

// biffRec is a BIFF8 record: its type, its size and its body.
func biffRec(typ uint16, body []byte) []byte {
	b := binary.LittleEndian.AppendUint16(nil, typ)
	b = binary.LittleEndian.AppendUint16(b, uint16(len(body)))
	return append(b, body...)
}

// boundSheet is a BoundSheet8 record of sheet type dt, visibility hs.
func boundSheet(hs, dt byte, name string) []byte {
	body := []byte{0, 0, 0, 0, hs, dt, byte(len(name)), 0}
	return biffRec(biffBoundSheet8, append(body, name...))
}

// supBook is a SupBook record of kind cch, followed by what that kind
// names (a path, an application and topic).
func supBook(cch uint16, rest string) []byte {
	body := binary.LittleEndian.AppendUint16(nil, 1)
	body = binary.LittleEndian.AppendUint16(body, cch)
	return biffRec(biffSupBook, append(body, rest...))
}

// xlsFile is an Excel 97-2003 workbook whose globals hold records
// between BOF and EOF, then one worksheet, its Workbook stream padded
// with zeros to pad bytes as Excel pads a small one to 4096.
func xlsFile(pad int, records ...[]byte) []byte {
	bof := biffRec(0x0809, []byte{0, 6, 5, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0})
	eof := biffRec(0x000A, nil)
	s := bytes.Join(append(append([][]byte{bof, boundSheet(0, 0, "Sheet1")}, records...), eof, bof, eof), nil)
	if len(s) < pad {
		s = append(s, make([]byte, pad-len(s))...)
	}
	return cfbFile(clsidXls, cfbEnt{name: "Workbook", typ: 2, data: s})
}

// TestXLSRecords: an Excel 97-2003 workbook keeps an Excel 4.0 macro
// sheet (XLM, whose Auto_Open runs EXEC or CALL) as a sheet of its
// "Workbook" stream, not a storage the directory shows, and a DDE link
// or another workbook as a SupBook record: before, an .xls with a macro
// sheet, very hidden or not, was clean. Each case has the stream in the
// mini stream and, padded as Excel pads it, in sectors of its own.
func TestXLSRecords(t *testing.T) {
	macro := MacroFinding + " (Workbook: Excel 4.0 macro sheet)"
	external := RunningFormula + " (Workbook: another workbook, or a DDE or OLE link)"
	for _, tc := range []struct {
		name      string
		records   [][]byte
		findings  []string
		clean     bool
		encrypted bool
	}{
		{name: "clean: a worksheet, a reference to itself, add-in functions (IFERROR in an .xls)",
			records: [][]byte{supBook(supBookSelf, ""), supBook(supBookAddIn, "")}, clean: true},
		{name: "a macro sheet", records: [][]byte{boundSheet(0, sheetMacro, "Macro1")}, findings: []string{macro}},
		{name: "a very hidden macro sheet", records: [][]byte{boundSheet(2, sheetMacro, "x")}, findings: []string{macro}},
		{name: "a VBA module sheet", records: [][]byte{boundSheet(0, sheetVBA, "Module1")}, findings: []string{macro}},
		// The sheet's own BOF says what its substream is too: a macro
		// sheet declared a worksheet in its BoundSheet8.
		{name: "a macro sheet substream under a worksheet's BoundSheet8", records: [][]byte{
			biffRec(0x0809, []byte{0, 6, 0x40, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}), biffRec(0x000A, nil)}, findings: []string{macro}},
		{name: "a VBA module substream under a worksheet's BoundSheet8", records: [][]byte{
			biffRec(0x0809, []byte{0, 5, 0x06, 0}), biffRec(0x000A, nil)}, findings: []string{macro}},
		// BIFF5 (Excel 5.0/95, a "Book" stream) has no SupBook: another
		// workbook and a DDE link are EXTERNSHEET records.
		{name: "BIFF5: sheets of its own, a deleted one, add-in functions", records: [][]byte{
			biffRec(0x0809, []byte{0, 5, 5, 0}), biffRec(0x0017, []byte{7, 3, 'S', 'h', 'e', 'e', 't', '2'}),
			biffRec(0x0017, []byte{1, 4}), biffRec(0x0017, []byte{1, 2}), biffRec(0x0017, []byte{1, 0x3A})}, clean: true},
		{name: "BIFF5: another workbook", records: [][]byte{
			biffRec(0x0809, []byte{0, 5, 5, 0}), biffRec(0x0017, append([]byte{16, 1}, `\\evil\s\b.xls`...))}, findings: []string{external}},
		{name: "BIFF5: a DDE link", records: [][]byte{
			biffRec(0x0809, []byte{0, 5, 5, 0}), biffRec(0x0017, append([]byte{12}, "cmd\x03/c calc"...))}, findings: []string{external}},
		{name: "another workbook", records: [][]byte{supBook(9, "\x00\x01\\\\evil\\s\\b.xls")}, findings: []string{external}},
		{name: "a DDE link", records: [][]byte{supBook(12, "\x00cmd\x03/c calc")}, findings: []string{external}},
		{name: "encrypted", records: [][]byte{biffRec(biffFilePass, []byte{1, 0, 1, 0, 1, 0})}, encrypted: true,
			findings: []string{"office: encrypted document"}},
		{name: "a record longer than the stream", records: [][]byte{{0x85, 0, 0xff, 0xff}},
			findings: []string{oleNotFullyRead + " (Workbook: record 0x0085 at 38 longer than the stream)"}},
	} {
		for _, pad := range []int{0, 4096} {
			name := tc.name + ", in the mini stream"
			if pad > 0 {
				name = tc.name + ", in sectors of its own"
			}
			t.Run(name, func(t *testing.T) {
				class := ClassOffice
				if tc.encrypted {
					class = ClassEncryptedArchive
				}
				runClassify(t, []classifyCase{{name: "xls", data: xlsFile(pad, tc.records...), filename: "a.xls", class: class,
					sniffed: "application/vnd.ms-excel", enc: tc.encrypted, clean: tc.clean, findings: tc.findings}})
			})
		}
	}
	// In an archive, the finding names the workbook.
	runClassify(t, []classifyCase{{name: "in a zip", filename: "a.zip",
		data:  zipFile(t, zent{name: "b.xls", data: xlsFile(0, boundSheet(1, sheetMacro, "m")), method: zip.Store}),
		class: ClassArchive, findings: []string{MacroFinding + " b.xls (Workbook: Excel 4.0 macro sheet)"}}})
}
