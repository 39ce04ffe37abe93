package filetype

import (
	"encoding/binary"
	"errors"
	"fmt"
	"slices"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// A Word 97-2003 document (.doc .dot) keeps its fields as text: a field
// begin character, the code, a separator, the result and an end
// character, in the document's text ([MS-DOC] 2.8.25). DDEAUTO running
// a program (the 2017 DDE attack) or INCLUDEPICTURE from a share is
// such a code, which the directory does not show. The text is where
// Word reads it from: the pieces the Clx in the table stream lists
// ([MS-DOC] 2.4.1), each a run of the WordDocument stream, 8-bit or
// UTF-16. The codes are checked as a DOCX's are (wordField).

// This file is msdoc.go, not doc.go: doc.go holds the package comment.

const (
	fibIdent       = 0xA5EC // FibBase.wIdent: a Word binary document
	fibBaseSize    = 32
	fibWord97      = 0x00C1 // FibBase.nFib of Word 97 and every later version
	fibEncrypted   = 0x0100 // FibBase flags: fEncrypted
	fibWhichTblStm = 0x0200 // FibBase flags: fWhichTblStm, 1Table rather than 0Table
	fibClxIndex    = 33     // fcClx/lcbClx is the 34th pair of FibRgFcLcb97
	clxPrc         = 0x01   // a Prc: a grpprl the pieces' Prm refer to
	clxPcdt        = 0x02   // the Pcdt: the piece table
	pcdSize        = 8
	pcdCompressed  = 1 << 30 // FcCompressed.fCompressed: 8-bit text at fc/2
	pcdFcMask      = 1<<30 - 1
	fieldBegin     = 0x13
	fieldSeparator = 0x14
	fieldEnd       = 0x15
	prcMaxGrpprl   = 0x3FA2 // [MS-DOC] 2.9.209: Prc's cbGrpprl at most
	docMaxPieces   = 1 << 16
	// docMaxTextBytes bounds the text held to find the fields in (its
	// pieces are read in the stream's order, the fields in the text's):
	// 4 million characters of UTF-16, some 2,000 pages. A 25 MiB message
	// adds under 16 MiB to the heap (#3); a longer text is not read and
	// the document not kept.
	docMaxTextBytes = 8 << 20
	// docMaxCodes bounds the field codes kept for the inspector: only
	// those that fetch or link somewhere are kept, once each.
	docMaxCodes = 4096
	// docMaxCodeBytes bounds their bytes too: 4096 codes of 2 KiB
	// beside 8 MiB of text would be over 16 MiB.
	docMaxCodeBytes = 2 << 20
	// docMaxStreams bounds the WordDocument streams read in one
	// compound file (one is the document's; more are documents
	// embedded in its object pool).
	docMaxStreams = 8
)

// docFindings is what the text of WordDocument streams holds that
// blocks keeping the file.
type docFindings struct {
	encrypted bool
	// codes are the field codes that fetch or link (wordFieldKept),
	// each once, for the inspector's wordField.
	codes []string
	// notInspected says why the fields were not inspected, if they
	// were not (a keyword made by another field, nesting too deep).
	notInspected string
}

// cfbWordEnt is a directory entry of a compound file that the .doc
// reader needs: a WordDocument, 1Table or 0Table stream.
type cfbWordEnt struct {
	id   int
	name string // lower case
	st   oleStream
}

// cfbParents is each directory entry's storage, by the tree of the
// directory ([MS-CFB] 2.6.4: a storage's children are a tree of left
// and right siblings under its child); -1 for an entry not in the tree.
func cfbParents(links [][3]uint32) []int32 {
	parent := make([]int32, len(links))
	for i := range parent {
		parent[i] = -1
	}
	if len(links) == 0 {
		return parent
	}
	type visit struct {
		id  uint32
		par int32
	}
	seen := make([]bool, len(links))
	seen[0] = true
	stack := []visit{{links[0][2], 0}}
	for len(stack) > 0 {
		v := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if int64(v.id) >= int64(len(links)) || seen[v.id] {
			// No stream (0xFFFFFFFF), or a loop a reader would not
			// follow twice.
			continue
		}
		seen[v.id] = true
		parent[v.id] = v.par
		l := links[v.id]
		stack = append(stack, visit{l[0], v.par}, visit{l[1], v.par}, visit{l[2], int32(v.id)})
	}
	return parent
}

// wordDocuments reads the text of each WordDocument stream of a
// compound file, with the table stream beside it in its storage.
// unread, if not "", says why one was not read as Word reads it.
func (c *cfbReader) wordDocuments(links [][3]uint32, ents []cfbWordEnt, charge func(int64) bool) (f docFindings, unread string) {
	parent := cfbParents(links)
	var docs []cfbWordEnt
	for _, e := range ents {
		if e.name == "worddocument" {
			docs = append(docs, e)
		}
	}
	if len(docs) > docMaxStreams {
		return f, fmt.Sprintf("one of more than %d streams so named", docMaxStreams)
	}
	for _, d := range docs {
		if parent[d.id] < 0 {
			// The flat walk found it; a reader following the tree
			// would not, and which of them is right is not known.
			return f, "not in the directory's tree"
		}
		// table is the stream so named beside the document, and how
		// many are: of two, Word opens the one the tree's search finds,
		// not necessarily the first in the directory.
		table := func(name string) (st oleStream, n int) {
			for _, e := range ents {
				if e.name == name && e.id < len(parent) && parent[e.id] == parent[d.id] {
					st, n = e.st, n+1
				}
			}
			return st, n
		}
		if err := c.wordDocument(d.st, table, charge, &f); err != nil {
			return f, err.Error()
		}
		if f.encrypted {
			return f, ""
		}
	}
	return f, ""
}

// wordDocument reads one document: its FIB, the Clx in its table
// stream, its pieces' text, and the field codes in the text.
func (c *cfbReader) wordDocument(st oleStream, table func(string) (oleStream, int), charge func(int64) bool, f *docFindings) error {
	s, err := c.stream(st, charge)
	if err != nil {
		return fmt.Errorf("FIB: %w", err)
	}
	// [MS-DOC] 2.5.15: FibBase, then csw 16-bit words, cslw 32-bit
	// ones and cbRgFcLcb pairs of 32-bit fc and lcb, each led by its
	// count, which is read rather than assumed.
	var base [fibBaseSize]byte
	if err := s.read(base[:]); err != nil {
		return fmt.Errorf("FIB: %w", err)
	}
	if binary.LittleEndian.Uint16(base[0:]) != fibIdent {
		return errors.New("FIB: not a Word document's")
	}
	if nFib := binary.LittleEndian.Uint16(base[2:]); nFib < fibWord97 {
		// Word 6 and 95 lay the FIB out otherwise and have no Clx
		// where Word 97's is.
		return fmt.Errorf("FIB: nFib 0x%04X, older than Word 97", nFib)
	}
	flags := binary.LittleEndian.Uint16(base[0x0A:])
	if flags&fibEncrypted != 0 {
		// The table stream and the text after the FIB are encrypted
		// (or XOR-obfuscated): not kept, as encrypted.
		f.encrypted = true
		return nil
	}
	var cnt [2]byte
	if err := s.read(cnt[:]); err != nil {
		return fmt.Errorf("FIB: csw: %w", err)
	}
	if err := s.skip(2 * int64(binary.LittleEndian.Uint16(cnt[:]))); err != nil {
		return fmt.Errorf("FIB: FibRgW97: %w", err)
	}
	if err := s.read(cnt[:]); err != nil {
		return fmt.Errorf("FIB: cslw: %w", err)
	}
	if err := s.skip(4 * int64(binary.LittleEndian.Uint16(cnt[:]))); err != nil {
		return fmt.Errorf("FIB: FibRgLw97: %w", err)
	}
	if err := s.read(cnt[:]); err != nil {
		return fmt.Errorf("FIB: cbRgFcLcb: %w", err)
	}
	if n := binary.LittleEndian.Uint16(cnt[:]); n <= fibClxIndex {
		return fmt.Errorf("FIB: %d fc/lcb pairs, no fcClx", n)
	}
	if err := s.skip(8 * fibClxIndex); err != nil {
		return fmt.Errorf("FIB: fcClx: %w", err)
	}
	var clx [8]byte
	if err := s.read(clx[:]); err != nil {
		return fmt.Errorf("FIB: fcClx: %w", err)
	}
	fcClx := int64(binary.LittleEndian.Uint32(clx[0:]))
	lcbClx := int64(binary.LittleEndian.Uint32(clx[4:]))
	name := "0table"
	if flags&fibWhichTblStm != 0 {
		name = "1table"
	}
	tst, n := table(name)
	switch shown := map[string]string{"0table": "0Table", "1table": "1Table"}[name]; {
	case n == 0:
		return fmt.Errorf("table stream %s missing", shown)
	case n > 1:
		return fmt.Errorf("table stream %s twice in its storage", shown)
	}
	pieces, err := c.pieceTable(tst, fcClx, lcbClx, charge)
	if err != nil {
		return err
	}
	texts, err := c.pieceTexts(st, pieces, charge)
	if err != nil {
		return err
	}
	docFields(pieces, texts, f)
	return nil
}

// docPiece is a Pcd of the piece table: cp characters of text at fc in
// the WordDocument stream, 8-bit (Windows-1252) or UTF-16LE.
type docPiece struct {
	cp         int64
	fc         int64
	compressed bool
}

func (p docPiece) bytes() int64 {
	if p.compressed {
		return p.cp
	}
	return 2 * p.cp
}

// pieceTable reads the Clx at fcClx in the table stream: Prcs to skip,
// then the Pcdt and its PlcPcd ([MS-DOC] 2.9.38, 2.9.178, 2.9.177): n+1
// character positions, then n Pcds.
func (c *cfbReader) pieceTable(tst oleStream, fcClx, lcbClx int64, charge func(int64) bool) ([]docPiece, error) {
	t, err := c.stream(tst, charge)
	if err != nil {
		return nil, fmt.Errorf("table stream: %w", err)
	}
	if fcClx > t.size || lcbClx > t.size-fcClx {
		return nil, errors.New("the Clx outside the table stream")
	}
	if err := t.skip(fcClx); err != nil {
		return nil, fmt.Errorf("the Clx: %w", err)
	}
	end := fcClx + lcbClx
	var b [4]byte
	for {
		if t.pos >= end {
			return nil, errors.New("the Clx without a piece table")
		}
		if err := t.read(b[:1]); err != nil {
			return nil, fmt.Errorf("the Clx: %w", err)
		}
		switch b[0] {
		case clxPrc:
			if end-t.pos < 2 {
				return nil, errors.New("the Clx: Prc past the Clx")
			}
			if err := t.read(b[:2]); err != nil {
				return nil, fmt.Errorf("the Clx: %w", err)
			}
			n := int64(int16(binary.LittleEndian.Uint16(b[:])))
			if n < 0 || n > prcMaxGrpprl || n > end-t.pos {
				return nil, fmt.Errorf("the Clx: Prc of %d bytes", n)
			}
			if err := t.skip(n); err != nil {
				return nil, fmt.Errorf("the Clx: %w", err)
			}
		case clxPcdt:
			if end-t.pos < 4 {
				return nil, errors.New("the Clx: Pcdt past the Clx")
			}
			if err := t.read(b[:]); err != nil {
				return nil, fmt.Errorf("the Clx: %w", err)
			}
			lcb := int64(binary.LittleEndian.Uint32(b[:]))
			if lcb > end-t.pos || lcb < 4+4+pcdSize || (lcb-4)%(4+pcdSize) != 0 {
				return nil, fmt.Errorf("the Clx: PlcPcd of %d bytes", lcb)
			}
			n := (lcb - 4) / (4 + pcdSize)
			if n > docMaxPieces {
				return nil, fmt.Errorf("more than %d pieces", docMaxPieces)
			}
			plc := make([]byte, lcb)
			if err := t.read(plc); err != nil {
				return nil, fmt.Errorf("PlcPcd: %w", err)
			}
			pieces := make([]docPiece, n)
			for i := range pieces {
				cp0 := binary.LittleEndian.Uint32(plc[4*i:])
				cp1 := binary.LittleEndian.Uint32(plc[4*i+4:])
				if i == 0 && cp0 != 0 || cp1 <= cp0 {
					return nil, fmt.Errorf("PlcPcd: piece %d's character positions not in order", i)
				}
				fc := binary.LittleEndian.Uint32(plc[4*(n+1)+pcdSize*int64(i)+2:])
				if fc&(1<<31) != 0 {
					return nil, fmt.Errorf("PlcPcd: piece %d's fc has its reserved bit set", i)
				}
				p := docPiece{cp: int64(cp1 - cp0), fc: int64(fc & pcdFcMask), compressed: fc&pcdCompressed != 0}
				if p.compressed {
					p.fc /= 2
				}
				pieces[i] = p
			}
			return pieces, nil
		default:
			return nil, fmt.Errorf("the Clx: entry of type 0x%02X", b[0])
		}
	}
}

// pieceTexts reads each piece's bytes from the WordDocument stream, in
// the stream's order along its chain (a stream reopened for a piece
// before the last one read), at most docMaxTextBytes in all.
func (c *cfbReader) pieceTexts(st oleStream, pieces []docPiece, charge func(int64) bool) ([][]byte, error) {
	var total int64
	order := make([]int, len(pieces))
	for i, p := range pieces {
		if p.fc > int64(st.size) || p.bytes() > int64(st.size)-p.fc {
			return nil, fmt.Errorf("piece %d outside the stream", i)
		}
		if total += p.bytes(); total > docMaxTextBytes {
			return nil, fmt.Errorf("more than %d bytes of text", docMaxTextBytes)
		}
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int {
		return int(min(max(pieces[a].fc-pieces[b].fc, -1), 1))
	})
	texts := make([][]byte, len(pieces))
	var s *cfbStream
	for _, i := range order {
		p := pieces[i]
		if s == nil || p.fc < s.pos {
			var err error
			if s, err = c.stream(st, charge); err != nil {
				return nil, fmt.Errorf("text: %w", err)
			}
		}
		if err := s.skip(p.fc - s.pos); err != nil {
			return nil, fmt.Errorf("piece %d: %w", i, err)
		}
		texts[i] = make([]byte, p.bytes())
		if err := s.read(texts[i]); err != nil {
			return nil, fmt.Errorf("piece %d: %w", i, err)
		}
	}
	return texts, nil
}

// cp1252High are Windows-1252's characters at 0x80-0x9F, where it is
// not Latin-1 (the five it leaves undefined kept as they are).
var cp1252High = [32]rune{
	'€', 0x81, '‚', 'ƒ', '„', '…', '†', '‡', 'ˆ', '‰', 'Š', '‹', 'Œ', 0x8D, 'Ž', 0x8F,
	0x90, '‘', '’', '“', '”', '•', '–', '—', '˜', '™', 'š', '›', 'œ', 0x9D, 'ž', 'Ÿ',
}

// docField is a field open in the text: its code so far, and whether
// its separator has passed (its result is being read). started and
// keyword say whether the code has had a character other than a blank,
// and a blank after one: its keyword is complete. They are kept as the
// text is read, not found in the code at each field inside it, which
// would read 2 KiB of code again at each of millions of them.
type docField struct {
	code             []byte
	result           bool
	started, keyword bool
	// hyperlink: the keyword, once complete, is HYPERLINK, whose
	// target a field in its code may make.
	hyperlink bool
}

// docFields reads the pieces' text in character order, as Word does,
// for the fields' codes: the text between a begin character and its
// separator (or its end, a field without a result), fields nested in
// one another's codes and results as Word nests them.
func docFields(pieces []docPiece, texts [][]byte, f *docFindings) {
	var open []docField
	seen := map[string]bool{}
	held := 0 // bytes of f.codes, of this document's and those read before
	for _, c := range f.codes {
		held += len(c)
	}
	notInspected := func(why string) {
		if f.notInspected == "" {
			f.notInspected = why
		}
	}
	keep := func(code string) {
		if seen[code] || !wordFieldKept(code) {
			return
		}
		if len(f.codes) == docMaxCodes {
			notInspected(fmt.Sprintf("more than %d fields that fetch or link", docMaxCodes))
			return
		}
		if held += len(code); held > docMaxCodeBytes {
			notInspected(fmt.Sprintf("more than %d bytes of fields that fetch or link", docMaxCodeBytes))
			return
		}
		seen[code] = true
		f.codes = append(f.codes, code)
	}
	char := func(r rune) {
		switch r {
		case fieldBegin:
			if n := len(open); n > 0 && !open[n-1].result && !open[n-1].keyword {
				// A field in another's code before the outer's
				// keyword is complete: the keyword may be the inner
				// one's result.
				notInspected("a field's keyword made by another field")
			} else if n > 0 && !open[n-1].result && open[n-1].hyperlink {
				// After it, in a HYPERLINK: the target may be the
				// inner one's result, which is no part of the code.
				notInspected("a HYPERLINK's target made by another field")
			}
			if len(open) == maxFieldNesting {
				notInspected(fmt.Sprintf("fields nested deeper than %d", maxFieldNesting))
				return
			}
			open = append(open, docField{})
		case fieldSeparator:
			if n := len(open); n > 0 && !open[n-1].result {
				keep(string(open[n-1].code))
				open[n-1].result = true
			}
		case fieldEnd:
			if n := len(open); n > 0 {
				if !open[n-1].result {
					keep(string(open[n-1].code))
				}
				open = open[:n-1]
			}
		default:
			n := len(open)
			if n == 0 || open[n-1].result {
				return
			}
			o := &open[n-1]
			blank := r == ' ' || r == '\t' || r == '\r' || r == '\n'
			complete := !o.keyword && o.started && blank
			o.keyword = o.keyword || complete
			o.started = o.started || !blank
			if len(o.code) < maxFieldCode {
				o.code = utf8.AppendRune(o.code, r)
			}
			if complete {
				kw, _ := wordFieldKeyword(string(o.code))
				o.hyperlink = kw == "HYPERLINK"
			}
		}
	}
	for i, p := range pieces {
		b := texts[i]
		if p.compressed {
			for _, c := range b {
				r := rune(c)
				if c >= 0x80 && c < 0xA0 {
					r = cp1252High[c-0x80]
				}
				char(r)
			}
			continue
		}
		for k := 0; k+1 < len(b); k += 2 {
			u := binary.LittleEndian.Uint16(b[k:])
			if utf16.IsSurrogate(rune(u)) && k+3 < len(b) {
				if r := utf16.DecodeRune(rune(u), rune(binary.LittleEndian.Uint16(b[k+2:]))); r != utf8.RuneError {
					char(r)
					k += 2
					continue
				}
			}
			char(rune(u))
		}
	}
	// A field the text leaves open is checked too: Word may repair the
	// document and run it.
	for _, o := range open {
		if !o.result {
			keep(string(o.code))
		}
	}
}

// wordFieldKept reports a code wordField may find something in: a
// field that fetches, or a HYPERLINK to somewhere outside the document.
// The others (PAGE, TOC, a HYPERLINK \l to a bookmark) are many in a
// long document and are not kept.
func wordFieldKept(code string) bool {
	kw, args := wordFieldKeyword(code)
	if wordFieldFetches[kw] {
		return true
	}
	if kw != "HYPERLINK" {
		return false
	}
	_, ok := hyperlinkFieldTarget(args)
	return ok
}

// docDetail names what was found in a WordDocument stream, and where
// the compound file is.
func docDetail(where, what string) string {
	return strings.TrimPrefix(where+" (WordDocument: "+what+")", " ")
}
