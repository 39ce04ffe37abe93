package filetype

import (
	"encoding/binary"
	"fmt"
)

// An Excel 97-2003 workbook (.xls) keeps its sheets as BIFF8 records of
// its "Workbook" stream ([MS-XLS] 2.1.4, 2.1.7). A VBA project is a
// storage the directory shows (readCFB), but an Excel 4.0 macro sheet
// (XLM: Auto_Open running EXEC or CALL, a staple of macro malware) is
// only a sheet of another type in a BoundSheet8 record, and a DDE link
// or a reference to another workbook only a SupBook record. So the
// stream's records are walked for them.

// BIFF8 record types ([MS-XLS] 2.3).
const (
	biffBOF         = 0x0809 // a substream's start: its version, its type (dt) at byte 2
	biffExternSheet = 0x0017 // BIFF5: another workbook or a DDE link, by name
	biffVersion5    = 0x0500 // BOF's vers of Excel 5.0 and 95 (BIFF5, BIFF7)
	biffFilePass    = 0x002F // the records after it are encrypted
	biffBoundSheet8 = 0x0085 // a sheet: its type (dt) at byte 5
	biffSupBook     = 0x01AE // a workbook the formulas refer to
	biffHeader      = 4
	// biffMaxRecords bounds the records walked: a record is at least
	// its 4-byte header, so a 25 MiB stream could hold 6 million; real
	// workbooks hold far fewer than 2 million.
	biffMaxRecords = 1 << 21
	// xlsMaxStreams bounds the workbook streams walked in one compound
	// file (one is the workbook's; more are workbooks embedded in a
	// .doc's object pool).
	xlsMaxStreams = 8
)

// BoundSheet8's dt ([MS-XLS] 2.4.28): the sheet types that hold code.
const (
	sheetMacro = 0x01 // an Excel 4.0 macro sheet
	sheetVBA   = 0x06 // a VBA module sheet (Excel 5/95)
)

// BOF's dt ([MS-XLS] 2.4.21; BIFF5's): the substreams that hold code.
const (
	substreamMacro = 0x0040 // a macro sheet
	substreamVBA   = 0x0006 // a VBA module sheet (BIFF5)
)

// SupBook's cch for a workbook's reference to itself and to add-in
// functions ([MS-XLS] 2.4.271): not another file.
const (
	supBookSelf  = 0x0401
	supBookAddIn = 0x3A01
)

// xlsFindings is what the records of "Workbook" streams hold that
// blocks keeping the file.
type xlsFindings struct {
	macroSheet bool // an Excel 4.0 macro sheet or a VBA module sheet
	external   bool // a SupBook naming another workbook, a DDE or OLE link
	encrypted  bool // FilePass: the records are encrypted (RC4 or XOR)
}

// workbook walks the "Workbook" streams of a compound file. unread, if
// not "", says why one was not walked to its end.
func (c *cfbReader) workbook(books []oleStream, charge func(int64) bool) (f xlsFindings, unread string) {
	if len(books) > xlsMaxStreams {
		return f, fmt.Sprintf("one of more than %d streams so named", xlsMaxStreams)
	}
	for _, st := range books {
		if err := c.biffRecords(st, charge, &f); err != nil {
			return f, err.Error()
		}
		if f.encrypted {
			return f, ""
		}
	}
	return f, ""
}

// biffRecords walks one stream's records: a 2-byte type and a 2-byte
// size, then the body, one after the other to the stream's end (BIFF8
// records do not nest). Excel pads a small stream to 4096 bytes with
// zeros, which read as empty records of type 0; fewer than 4 bytes left
// at the end are padding too.
func (c *cfbReader) biffRecords(st oleStream, charge func(int64) bool, f *xlsFindings) error {
	s, err := c.stream(st, charge)
	if err != nil {
		return err
	}
	var hdr [biffHeader]byte
	var body [6]byte
	biff5 := false // the last BOF's version is BIFF5's
	for records := 0; s.size-s.pos >= biffHeader; records++ {
		if records == biffMaxRecords {
			return fmt.Errorf("more than %d records", biffMaxRecords)
		}
		at := s.pos
		if err := s.read(hdr[:]); err != nil {
			return fmt.Errorf("record at %d: %w", at, err)
		}
		typ := binary.LittleEndian.Uint16(hdr[:])
		n := int64(binary.LittleEndian.Uint16(hdr[2:]))
		if n > s.size-s.pos {
			return fmt.Errorf("record 0x%04X at %d longer than the stream", typ, at)
		}
		switch typ {
		case biffFilePass:
			// The bodies that follow are encrypted: a sheet's type
			// among them ([MS-XLS] 2.2.10). Not kept, as encrypted.
			f.encrypted = true
			return nil
		case biffBOF:
			// A sheet's substream says its type too, which need not be
			// its BoundSheet8's: a macro sheet either way is one.
			if n >= 4 {
				if err := s.read(body[:4]); err != nil {
					return fmt.Errorf("record at %d: %w", at, err)
				}
				n -= 4
				if dt := binary.LittleEndian.Uint16(body[2:]); dt == substreamMacro || dt == substreamVBA {
					f.macroSheet = true
				}
				biff5 = binary.LittleEndian.Uint16(body[0:]) == biffVersion5
			}
		case biffExternSheet:
			// BIFF5 has no SupBook: an EXTERNSHEET names the workbook,
			// its first character saying what it is: 0x02 this sheet,
			// 0x03 a sheet of this workbook, 0x04 a deleted one, 0x3A
			// add-in functions; 0x01 an encoded path, and another
			// (app\x03topic) a DDE or OLE link. BIFF8's is an array of
			// indexes into the SupBooks.
			if biff5 {
				if n < 2 {
					f.external = true
					break
				}
				if err := s.read(body[:2]); err != nil {
					return fmt.Errorf("record at %d: %w", at, err)
				}
				n -= 2
				if c := body[1]; body[0] == 0 || c != 0x02 && c != 0x03 && c != 0x04 && c != 0x3A {
					f.external = true
				}
			}
		case biffBoundSheet8:
			if n < 6 {
				return fmt.Errorf("BoundSheet8 at %d shorter than its type", at)
			}
			if err := s.read(body[:6]); err != nil {
				return fmt.Errorf("record at %d: %w", at, err)
			}
			n -= 6
			if dt := body[5]; dt == sheetMacro || dt == sheetVBA {
				f.macroSheet = true
			}
		case biffSupBook:
			if n < 4 {
				return fmt.Errorf("SupBook at %d shorter than its kind", at)
			}
			if err := s.read(body[:4]); err != nil {
				return fmt.Errorf("record at %d: %w", at, err)
			}
			n -= 4
			if cch := binary.LittleEndian.Uint16(body[2:]); cch != supBookSelf && cch != supBookAddIn {
				// Another workbook by its path, or a DDE or OLE link
				// (an application and a topic: cmd|'/c calc').
				f.external = true
			}
		}
		if err := s.skip(n); err != nil {
			return fmt.Errorf("record at %d: %w", at, err)
		}
	}
	return s.finish()
}
