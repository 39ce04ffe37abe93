package filetype

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"strings"
	"unicode/utf16"
)

// OLE2 / Compound File Binary ([MS-CFB]): the container of .doc .xls .ppt
// .msg .msi, of Office's vbaProject.bin and of password-protected OOXML.

const oleMagic = "\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"

// Root storage CLSIDs ([MS-CFB] 2.6.2), in on-disk byte order.
var (
	clsidMSI  = []byte("\x84\x10\x0c\x00\x00\x00\x00\x00\xc0\x00\x00\x00\x00\x00\x00\x46") // {000C1084-…-46} installer
	clsidMSP  = []byte("\x86\x10\x0c\x00\x00\x00\x00\x00\xc0\x00\x00\x00\x00\x00\x00\x46") // {000C1086-…} patch
	clsidMST  = []byte("\x82\x10\x0c\x00\x00\x00\x00\x00\xc0\x00\x00\x00\x00\x00\x00\x46") // {000C1082-…} transform
	clsidMsg  = []byte("\x0b\x0d\x02\x00\x00\x00\x00\x00\xc0\x00\x00\x00\x00\x00\x00\x46") // {00020D0B-…} Outlook item
	clsidWord = []byte("\x06\x09\x02\x00\x00\x00\x00\x00\xc0\x00\x00\x00\x00\x00\x00\x46") // {00020906-…}
	clsidXls  = []byte("\x20\x08\x02\x00\x00\x00\x00\x00\xc0\x00\x00\x00\x00\x00\x00\x46") // {00020820-…}
	// StdOleLink {00000300-…-46}: an OLE object that is a link, its
	// source named by a moniker in its \x01Ole stream (a URL, a file on
	// a share), which OLE binds to when the object updates or is
	// activated (CVE-2017-0199's OLE2Link).
	clsidOleLink = []byte("\x00\x03\x00\x00\x00\x00\x00\x00\xc0\x00\x00\x00\x00\x00\x00\x46")
	// Equation.3 {0002CE02-…-46}: Microsoft Equation Editor 3.0, whose
	// EQNEDT32.EXE parses the object's "Equation Native" stream as the
	// document opens (CVE-2017-11882, CVE-2018-0802: still sent).
	clsidEquation = []byte("\x02\xce\x02\x00\x00\x00\x00\x00\xc0\x00\x00\x00\x00\x00\x00\x46")
	// Equation 2.0 {00021700-…-46} and {0003000B-…-46}, which Office
	// also hands to EQNEDT32 (oletools lists both).
	clsidEquation2  = []byte("\x00\x17\x02\x00\x00\x00\x00\x00\xc0\x00\x00\x00\x00\x00\x00\x46")
	clsidEquation2b = []byte("\x0b\x00\x03\x00\x00\x00\x00\x00\xc0\x00\x00\x00\x00\x00\x00\x46")
)

// isEquation reports one of the Equation Editor's classes.
func isEquation(clsid []byte) bool {
	return bytes.Equal(clsid, clsidEquation) || bytes.Equal(clsid, clsidEquation2) || bytes.Equal(clsid, clsidEquation2b)
}

const (
	oleMaxDirSectors = 2048 // 8,192 entries at 512-byte sectors: far beyond real documents
	oleEndOfChain    = 0xFFFFFFFA
)

type oleInfo struct {
	mime      string
	class     Class
	macros    bool // VBA project storage or stream
	encrypted bool // EncryptedPackage: a password-protected OOXML document
	oleNative bool // Ole10Native: an embedded "package" (any file, often a script)
	// oleLink: a linked object, by a storage of class StdOleLink or by
	// the linked flag of an \x01Ole stream (oleLinkFlagged).
	oleLink bool
	// pkgStream: a "Package" stream, an OOXML document (docx, xlsx,
	// pptx) embedded as an OLE object, or a "package_stream", the
	// OpenDocument one LibreOffice embeds so, which the program opens
	// when the object is loaded or activated; its parts are not read
	// here.
	pkgStream bool
	truncated bool // the directory could not be read to its end
	// equation: an Equation Editor 3.0 object (its class, or an
	// "Equation Native" stream), as an OOXML package's oleObject1.bin or
	// in a .doc's or .xls's object pool.
	equation bool
	// ppt is what the records of the "PowerPoint Document" streams
	// hold (pptRecords); pptUnread says why one was not walked to its
	// end, which fails closed as truncated does.
	ppt       pptFindings
	pptUnread string
	// xls is what the records of the "Workbook" streams hold
	// (biffRecords); xlsUnread says why one was not walked to its end.
	xls       xlsFindings
	xlsUnread string
	// doc is what the text of the WordDocument streams holds
	// (wordDocuments); docUnread says why one was not read as Word
	// reads it.
	doc       docFindings
	docUnread string
}

// readOLE reads the directory of a compound file. It never reads more than
// oleMaxDirSectors directory sectors plus the FAT sectors that chain them,
// and stops at the first inconsistency (ok then reports what was seen).
// Then it reads the start of each \x01Ole stream (oleLinkFlagged) and
// walks the records of each "PowerPoint Document" stream (pptRecords).
func readOLE(r io.ReaderAt, size int64) oleInfo { return readCFB(r, size, true, nil) }

// readCFB is readOLE; without streams, the \x01Ole and "PowerPoint
// Document" streams are not read (oleLink then says only what the
// storages' classes say). charge, if not nil, is asked for the bytes of
// the "PowerPoint Document" streams as they are walked: the attachment's
// budget, so that a thousand archive members over one compound file do
// not each walk it for free.
func readCFB(r io.ReaderAt, size int64, streams bool, charge func(int64) bool) oleInfo {
	info := oleInfo{mime: "application/x-ole-storage", class: ClassOffice}
	hdr := make([]byte, 512)
	if n, _ := r.ReadAt(hdr, 0); n < len(hdr) || !bytes.HasPrefix(hdr, []byte(oleMagic)) {
		info.truncated = true
		return info
	}
	shift := binary.LittleEndian.Uint16(hdr[0x1e:])
	if shift != 9 && shift != 12 {
		info.truncated = true
		return info
	}
	secSize := int64(1) << shift
	perSector := uint32(secSize / 4)
	nSectors := uint32(min(max(0, (size-secSize+secSize-1)/secSize), oleEndOfChain))
	firstDir := binary.LittleEndian.Uint32(hdr[0x30:])
	firstDIFAT := binary.LittleEndian.Uint32(hdr[0x44:])
	sector := make([]byte, secSize)
	word := make([]byte, 4)
	readU32 := func(off int64) (uint32, bool) {
		if off < 0 || off+4 > size {
			return 0, false
		}
		if n, _ := r.ReadAt(word, off); n < 4 {
			return 0, false
		}
		return binary.LittleEndian.Uint32(word), true
	}
	secOff := func(s uint32) int64 { return (int64(s) + 1) << shift }
	// fatSector returns the sector holding FAT page idx, via the header's
	// 109 DIFAT entries and then the DIFAT chain.
	fatSector := func(idx uint32) (uint32, bool) {
		if idx < 109 {
			return binary.LittleEndian.Uint32(hdr[0x4c+4*idx:]), true
		}
		idx -= 109
		d := firstDIFAT
		for hops := uint32(0); idx >= perSector-1; hops++ {
			if d >= oleEndOfChain || d >= nSectors || hops > nSectors {
				return 0, false
			}
			next, ok := readU32(secOff(d) + int64(perSector-1)*4)
			if !ok {
				return 0, false
			}
			d, idx = next, idx-(perSector-1)
		}
		if d >= oleEndOfChain || d >= nSectors {
			return 0, false
		}
		return readU32(secOff(d) + int64(idx)*4)
	}
	next := func(s uint32) (uint32, bool) {
		fs, ok := fatSector(s / perSector)
		if !ok || fs >= nSectors {
			return 0, false
		}
		return readU32(secOff(fs) + int64(s%perSector)*4)
	}

	msiNames := 0
	var root oleStream         // the mini stream, the root entry's stream
	var oleStreams []oleStream // \x01Ole streams, read after the directory
	var pptStreams []oleStream // "PowerPoint Document" streams, walked after it
	var pptUsers []oleStream   // "Current User" streams, where PowerPoint starts reading
	var xlsStreams []oleStream // "Workbook" streams, walked after it
	// A .doc's WordDocument and table streams, paired by the storage
	// they are in (a document in the object pool has its own), which
	// the directory's tree says: dirLinks holds each entry's left and
	// right sibling and child, by entry number.
	var wordEnts []cfbWordEnt
	var dirLinks [][3]uint32
	s := firstDir
	for i := 0; ; i++ {
		if s >= oleEndOfChain {
			break
		}
		if i >= oleMaxDirSectors || s >= nSectors {
			info.truncated = true
			break
		}
		if n, _ := r.ReadAt(sector, secOff(s)); int64(n) < secSize {
			info.truncated = true
			break
		}
		for e := int64(0); e+128 <= secSize; e += 128 {
			ent := sector[e : e+128]
			typ := ent[0x42]
			id := len(dirLinks)
			dirLinks = append(dirLinks, [3]uint32{binary.LittleEndian.Uint32(ent[0x44:]),
				binary.LittleEndian.Uint32(ent[0x48:]), binary.LittleEndian.Uint32(ent[0x4c:])})
			if i == 0 && e == 0 {
				clsid := ent[0x50:0x60]
				switch {
				case bytes.Equal(clsid, clsidMSI), bytes.Equal(clsid, clsidMSP), bytes.Equal(clsid, clsidMST):
					info.mime, info.class = "application/x-msi", ClassExecutable
				case bytes.Equal(clsid, clsidMsg):
					info.mime, info.class = "application/vnd.ms-outlook", ClassOther
				case bytes.Equal(clsid, clsidWord):
					info.mime = "application/msword"
				case bytes.Equal(clsid, clsidXls):
					info.mime = "application/vnd.ms-excel"
				case bytes.Equal(clsid, clsidOleLink):
					info.oleLink = true
				case isEquation(clsid):
					info.equation = true
				}
				root = entryStream(ent, shift)
				continue
			}
			if typ != 1 && typ != 2 { // storage, stream
				continue
			}
			if typ == 1 && bytes.Equal(ent[0x50:0x60], clsidOleLink) {
				// An object in a document's object pool (a .doc's
				// ObjectPool/_123) is a storage of its own class.
				info.oleLink = true
			}
			if typ == 1 && isEquation(ent[0x50:0x60]) {
				info.equation = true
			}
			nameLen := int(binary.LittleEndian.Uint16(ent[0x40:]))
			if nameLen < 2 || nameLen > 64 {
				continue
			}
			u := make([]uint16, 0, nameLen/2-1)
			for k := 0; k+1 < nameLen-2; k += 2 {
				u = append(u, binary.LittleEndian.Uint16(ent[k:]))
			}
			name := string(utf16.Decode(u))
			// Office finds a name as MS-CFB compares names (2.6.4:
			// upper-cased, simple mapping), so "PowerPo\u0131nt
			// Document" (a dotless ı) or "Macro\u017f" (a long ſ) is
			// the stream or storage it opens; lower-casing alone would
			// not see them. Upper then lower takes in both readings.
			key := strings.ToLower(strings.ToUpper(name))
			switch key {
			case "_vba_project_cur", "vba", "_vba_project", "macros":
				info.macros = true
			case "encryptedpackage":
				info.encrypted = true
			case "\x01ole10native":
				info.oleNative = true
			case "equation native":
				info.equation = true
			case "\x01ole":
				if typ == 2 {
					oleStreams = append(oleStreams, entryStream(ent, shift))
				}
			case "package", "package_stream":
				info.pkgStream = info.pkgStream || typ == 2
			case "worddocument":
				info.mime = "application/msword"
				if typ == 2 {
					// Fields (DDEAUTO, INCLUDEPICTURE) are text in it,
					// not storages.
					wordEnts = append(wordEnts, cfbWordEnt{id: id, name: "worddocument", st: entryStream(ent, shift)})
				}
			case "1table", "0table":
				if typ == 2 {
					wordEnts = append(wordEnts, cfbWordEnt{id: id, name: key, st: entryStream(ent, shift)})
				}
			case "workbook", "book":
				info.mime = "application/vnd.ms-excel"
				if typ == 2 {
					// Excel 4.0 macro sheets and DDE links are
					// records inside it, not storages.
					xlsStreams = append(xlsStreams, entryStream(ent, shift))
				}
			case "powerpoint document":
				info.mime = "application/vnd.ms-powerpoint"
				if typ == 2 {
					// PowerPoint keeps its VBA project, objects and
					// controls as records inside it, not as storages.
					pptStreams = append(pptStreams, entryStream(ent, shift))
				}
			case "current user":
				if typ == 2 {
					pptUsers = append(pptUsers, entryStream(ent, shift))
				}
			}
			if strings.HasPrefix(name, "__substg1.0_") && info.class != ClassExecutable {
				info.mime, info.class = "application/vnd.ms-outlook", ClassOther
			}
			// MSI table names are compressed into U+3800..U+4840.
			for _, r := range name {
				if r >= 0x3800 && r <= 0x4840 {
					msiNames++
					break
				}
			}
		}
		var ok bool
		if s, ok = next(s); !ok {
			info.truncated = true
			break
		}
	}
	if streams && (len(oleStreams) > 0 || len(pptStreams) > 0 || len(xlsStreams) > 0 || len(wordEnts) > 0) {
		cf := cfbReader{r: r, size: size, shift: shift, nSectors: nSectors, next: next,
			cutoff: binary.LittleEndian.Uint32(hdr[0x38:]), miniShift: binary.LittleEndian.Uint16(hdr[0x20:]), root: root,
			miniFAT: binary.LittleEndian.Uint32(hdr[0x3c:])}
		for _, st := range oleStreams {
			linked, ok := cf.oleLinkFlagged(st)
			if !ok {
				// Fail closed: what OLE would make of the object is not
				// known.
				info.truncated = true
				continue
			}
			info.oleLink = info.oleLink || linked
		}
		if len(pptStreams) > 0 {
			info.ppt, info.pptUnread = cf.presentation(pptStreams, pptUsers, charge)
		}
		if len(xlsStreams) > 0 {
			info.xls, info.xlsUnread = cf.workbook(xlsStreams, charge)
		}
		if len(wordEnts) > 0 {
			info.doc, info.docUnread = cf.wordDocuments(dirLinks, wordEnts, charge)
		}
		info.macros = info.macros || info.ppt.vba
		info.oleLink = info.oleLink || info.ppt.linked
		info.encrypted = info.encrypted || info.ppt.encrypted || info.xls.encrypted || info.doc.encrypted
	}
	if msiNames >= 3 {
		info.mime, info.class = "application/x-msi", ClassExecutable
	}
	return info
}

// sniffOLEHead classifies a compound file from what head holds; Classify
// reads the real file with readOLE. The type and class do not depend on
// the \x01Ole streams, which are not read: a root chain looping in the
// head would be walked to oleMaxMiniChain at every sniff (128 KiB kept
// and 2^15 reads for each member of an archive).
func sniffOLEHead(b []byte) (string, Class) {
	info := readCFB(bytes.NewReader(b), int64(len(b)), false, nil)
	return info.mime, info.class
}

// oleStream is where a directory entry's stream starts and how long it
// is ([MS-CFB] 2.6.3: starting sector at 0x74, size at 0x78).
type oleStream struct {
	start uint32
	size  uint64
}

func entryStream(ent []byte, shift uint16) oleStream {
	size := binary.LittleEndian.Uint64(ent[0x78:])
	if shift == 9 {
		// Version 3: older writers left the high 32 bits unset
		// ([MS-CFB] 2.6.3), and readers ignore them.
		size &= 0xffffffff
	}
	return oleStream{start: binary.LittleEndian.Uint32(ent[0x74:]), size: size}
}

// oleMaxMiniChain bounds the sectors of the root's chain walked (and
// kept, 4 bytes each) to reach a stream in the mini stream: 16 MiB of
// 512-byte sectors, far beyond the mini stream of real documents (only
// streams under 4 KiB are there). An \x01Ole stream past it is not
// read, and the directory not fully read.
const oleMaxMiniChain = 1 << 15

// cfbReader reads the start of streams of a compound file whose
// directory readOLE has walked.
type cfbReader struct {
	r        io.ReaderAt
	size     int64
	shift    uint16
	nSectors uint32
	next     func(uint32) (uint32, bool) // the FAT: the sector after s
	cutoff   uint32                      // streams under it are in the mini stream
	// miniShift is the header's mini sector shift: [MS-CFB] 2.2 fixes
	// it at 6 (64-byte mini sectors).
	miniShift uint16
	root      oleStream
	chain     []uint32 // the root's chain walked so far (the mini stream's sectors)
	miniFAT   uint32   // the mini FAT's first sector
	miniFATs  []uint32 // its chain walked so far
}

// oleLinkFlagged reads the Flags of an \x01Ole stream (an OLEStream,
// [MS-OLEDS] 2.3.3: Version, then Flags, whose bit 0x00000001 says the
// object is a linked one and that a source moniker follows, a URL or a
// share path OLE binds to when the link updates: CVE-2017-0199). The
// bit, not the storage's class, says so, so a link is found whatever
// class its storage claims. ok is false for a stream that cannot be
// read (shorter than its Flags, or outside the file).
func (c *cfbReader) oleLinkFlagged(st oleStream) (linked, ok bool) {
	if st.size < 8 || st.size > uint64(c.size) {
		// Shorter than its Flags, or longer than the file: not what
		// OLE would read either.
		return false, false
	}
	off, ok := c.offset(st)
	if !ok || off < 0 || off+8 > c.size {
		return false, false
	}
	b := make([]byte, 8)
	if n, _ := c.r.ReadAt(b, off); n < len(b) {
		return false, false
	}
	return binary.LittleEndian.Uint32(b[4:])&1 != 0, true
}

// offset is where in the file a stream's first 8 bytes are: its first
// sector, or, under the cutoff, its first 64-byte mini sector in the
// mini stream, which is the root entry's stream ([MS-CFB] 2.6.3). A
// sector holds at least 512 bytes and a mini sector 64, so the 8 bytes
// are never split.
func (c *cfbReader) offset(st oleStream) (int64, bool) {
	if st.start >= oleEndOfChain || c.cutoff != 4096 || c.miniShift != 6 {
		// [MS-CFB] 2.2 fixes the cutoff at 4096 and mini sectors at
		// 64 bytes: a reader that takes another from the header and
		// one that does not would read different bytes.
		return 0, false
	}
	if st.size >= uint64(c.cutoff) {
		if st.start >= c.nSectors {
			return 0, false
		}
		return (int64(st.start) + 1) << c.shift, true
	}
	at := uint64(st.start) * 64
	if at+8 > c.root.size {
		return 0, false
	}
	idx := at >> c.shift
	if idx >= oleMaxMiniChain {
		return 0, false
	}
	s, ok := c.miniSector(int(idx))
	if !ok {
		return 0, false
	}
	return (int64(s)+1)<<c.shift + int64(at&(1<<c.shift-1)), true
}

// miniSector is the idx-th sector of the mini stream, following the
// root's chain once for all the streams read (its sectors kept).
func (c *cfbReader) miniSector(idx int) (uint32, bool) {
	if len(c.chain) == 0 {
		if c.root.start >= c.nSectors {
			return 0, false
		}
		c.chain = append(c.chain, c.root.start)
	}
	for len(c.chain) <= idx {
		s, ok := c.next(c.chain[len(c.chain)-1])
		if !ok || s >= c.nSectors {
			return 0, false
		}
		c.chain = append(c.chain, s)
	}
	return c.chain[idx], true
}

// Why a stream could not be read as a CFB reader reads it; each fails
// closed.
var (
	errCFBChain  = errors.New("sector chain broken")
	errCFBLoop   = errors.New("sector chain loops")
	errCFBShort  = errors.New("shorter than its records say")
	errCFBBudget = errors.New("read budget of the attachment spent")
)

// cfbStream reads one stream from its start, sequentially: along the
// FAT's chain of its sectors at or over the cutoff, or, under it, along
// the mini FAT's chain of 64-byte mini sectors in the mini stream
// ([MS-CFB] 2.3, 2.4, 2.6.3). A chain that leaves the file or comes
// back to a sector it passed is an error: readers differ on what such a
// stream holds. It never reads past the size the directory gives,
// which is at most the file's.
type cfbStream struct {
	c      *cfbReader
	size   int64
	pos    int64
	charge func(int64) bool
	// A stream in the mini stream (under 4096 bytes) is read whole.
	data []byte
	// Otherwise: the sector holding pos, cur, is the idx-th of the
	// chain from start; sec holds it once loaded.
	start  uint32
	cur    uint32
	idx    int64
	sec    []byte
	loaded bool
	seen   []uint64 // sectors of the chain so far, a bit each
}

// stream opens st for sequential reading; charge (if not nil) is asked
// for the bytes of each sector as the chain reaches it.
func (c *cfbReader) stream(st oleStream, charge func(int64) bool) (*cfbStream, error) {
	if c.cutoff != 4096 || c.miniShift != 6 {
		return nil, errors.New("mini stream cutoff or sector size not [MS-CFB]'s")
	}
	if st.size > uint64(c.size) {
		return nil, errCFBShort
	}
	s := &cfbStream{c: c, size: int64(st.size), charge: charge, start: st.start, idx: -1}
	if st.size == 0 {
		return s, nil
	}
	if st.size >= uint64(c.cutoff) {
		s.sec = make([]byte, 1<<c.shift)
		s.seen = make([]uint64, c.nSectors/64+1)
		return s, nil
	}
	if charge != nil && !charge(s.size) {
		return nil, errCFBBudget
	}
	if err := s.readMini(st.start); err != nil {
		return nil, err
	}
	return s, nil
}

// readMini reads a stream of the mini stream whole: it is under 4096
// bytes, 64 mini sectors at most.
func (s *cfbStream) readMini(m uint32) error {
	c := s.c
	s.data = make([]byte, s.size)
	seen := make(map[uint32]bool, len(s.data)/64+1)
	maxIdx := -1
	for off := int64(0); off < s.size; off += 64 {
		if off > 0 {
			var ok bool
			if m, ok = c.miniNext(m); !ok {
				return errCFBChain
			}
		}
		if seen[m] {
			return errCFBLoop
		}
		seen[m] = true
		n := min(64, s.size-off)
		at := uint64(m) * 64
		if m >= oleEndOfChain || at+uint64(n) > c.root.size {
			return errCFBChain
		}
		idx := at >> c.shift
		if idx >= oleMaxMiniChain {
			return errCFBChain
		}
		sec, ok := c.miniSector(int(idx))
		if !ok {
			return errCFBChain
		}
		maxIdx = max(maxIdx, int(idx))
		p := (int64(sec)+1)<<c.shift + int64(at&(1<<c.shift-1))
		if r, _ := c.r.ReadAt(s.data[off:off+n], p); int64(r) < n {
			return errCFBChain
		}
	}
	// The root's chain holds the mini stream: one that comes back to a
	// sector makes two parts of the mini stream one.
	inChain := make(map[uint32]bool, maxIdx+1)
	for _, sec := range c.chain[:maxIdx+1] {
		if inChain[sec] {
			return errCFBLoop
		}
		inChain[sec] = true
	}
	return nil
}

// miniNext is the mini sector after m, from the mini FAT, a stream of
// regular sectors whose chain is followed once for all the streams read.
func (c *cfbReader) miniNext(m uint32) (uint32, bool) {
	per := uint32(1) << (c.shift - 2)
	idx := int(m / per)
	if idx >= oleMaxMiniChain {
		return 0, false
	}
	if len(c.miniFATs) == 0 {
		if c.miniFAT >= c.nSectors {
			return 0, false
		}
		c.miniFATs = append(c.miniFATs, c.miniFAT)
	}
	for len(c.miniFATs) <= idx {
		s, ok := c.next(c.miniFATs[len(c.miniFATs)-1])
		if !ok || s >= c.nSectors {
			return 0, false
		}
		c.miniFATs = append(c.miniFATs, s)
	}
	b := make([]byte, 4)
	off := (int64(c.miniFATs[idx])+1)<<c.shift + int64(m%per)*4
	if n, _ := c.r.ReadAt(b, off); n < 4 {
		return 0, false
	}
	return binary.LittleEndian.Uint32(b), true
}

// reach moves cur to the k-th sector of the chain.
func (s *cfbStream) reach(k int64) error {
	c := s.c
	for s.idx < k {
		nx := s.start
		if s.idx >= 0 {
			var ok bool
			if nx, ok = c.next(s.cur); !ok {
				return errCFBChain
			}
		}
		if nx >= c.nSectors {
			return errCFBChain
		}
		if s.seen[nx/64]&(1<<(nx%64)) != 0 {
			return errCFBLoop
		}
		s.seen[nx/64] |= 1 << (nx % 64)
		if s.charge != nil && !s.charge(min(int64(len(s.sec)), s.size-(s.idx+1)*int64(len(s.sec)))) {
			return errCFBBudget
		}
		s.cur, s.idx, s.loaded = nx, s.idx+1, false
	}
	return nil
}

// read fills p from the stream, all of it or an error.
func (s *cfbStream) read(p []byte) error {
	if int64(len(p)) > s.size-s.pos {
		return errCFBShort
	}
	if s.data != nil {
		s.pos += int64(copy(p, s.data[s.pos:]))
		return nil
	}
	for len(p) > 0 {
		secSize := int64(len(s.sec))
		k := s.pos / secSize
		if err := s.reach(k); err != nil {
			return err
		}
		if !s.loaded {
			n := min(secSize, s.size-k*secSize)
			if r, _ := s.c.r.ReadAt(s.sec[:n], (int64(s.cur)+1)<<s.c.shift); int64(r) < n {
				return errCFBChain
			}
			s.loaded = true
		}
		n := copy(p, s.sec[s.pos-k*secSize:min(secSize, s.size-k*secSize)])
		p = p[n:]
		s.pos += int64(n)
	}
	return nil
}

// skip passes n bytes without reading them; the sectors are reached
// when bytes after them are read, or by finish.
func (s *cfbStream) skip(n int64) error {
	if n > s.size-s.pos {
		return errCFBShort
	}
	s.pos += n
	return nil
}

// finish follows the chain to the stream's last sector, so that a chain
// broken or looping under skipped bytes is found too.
func (s *cfbStream) finish() error {
	if s.data != nil || s.size == 0 {
		return nil
	}
	return s.reach((s.size - 1) / int64(len(s.sec)))
}
