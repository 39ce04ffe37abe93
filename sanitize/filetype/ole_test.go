package filetype

import (
	"bytes"
	"encoding/binary"
	"runtime"
	"testing"
	"unicode/utf16"
)

// cfbEnt is a directory entry of a compound file written by cfbFile,
// with its stream's bytes.
type cfbEnt struct {
	name  string
	typ   byte   // 1 storage, 2 stream
	clsid []byte // a storage's class, or nil
	data  []byte // a stream's bytes
	// size, if not 0, is the size the entry declares instead of
	// len(data) (a stream cut short, or claimed past the file).
	size uint64
}

// cfbFile writes a compound file (v3, 512-byte sectors) as Office does:
// streams under 4096 bytes in the mini stream (the root entry's stream,
// its mini FAT in a sector of its own), others in sectors of their own.
// Sector 0 is the FAT, then the directory, the mini FAT, the mini
// stream and the large streams; all entries are the root's children.
// Python's olefile reads what it writes.
func cfbFile(rootCLSID []byte, ents ...cfbEnt) []byte {
	const sec = 512
	all := append([]cfbEnt{{name: "Root Entry", typ: 5, clsid: rootCLSID}}, ents...)
	dirSectors := (len(all) + 3) / 4
	var mini []byte
	var miniChains [][2]int // first mini sector, count
	starts := make([]uint32, len(all))
	for i := range starts {
		starts[i] = 0xfffffffe
	}
	for i, e := range all {
		if e.typ == 2 && len(e.data) > 0 && len(e.data) < 4096 {
			starts[i] = uint32(len(mini) / 64)
			n := (len(e.data) + 63) / 64
			miniChains = append(miniChains, [2]int{len(mini) / 64, n})
			mini = append(mini, e.data...)
			mini = append(mini, make([]byte, n*64-len(e.data))...)
		}
	}
	miniFATSectors := (len(mini)/64*4 + sec - 1) / sec
	miniStreamSectors := (len(mini) + sec - 1) / sec
	next := 1 + dirSectors + miniFATSectors + miniStreamSectors
	var big []byte
	bigChains := map[int][2]int{}
	for i, e := range all {
		if e.typ == 2 && len(e.data) >= 4096 {
			n := (len(e.data) + sec - 1) / sec
			starts[i] = uint32(next)
			bigChains[next] = [2]int{next, n}
			next += n
			big = append(big, e.data...)
			big = append(big, make([]byte, n*sec-len(e.data))...)
		}
	}
	if next > sec/4 {
		panic("cfbFile: more sectors than one FAT sector holds")
	}
	out := make([]byte, sec*(1+next))
	h := out[:sec]
	fat := cfbHeader(out, 3, 9)
	if miniFATSectors > 0 {
		binary.LittleEndian.PutUint32(h[0x3c:], uint32(1+dirSectors))
		binary.LittleEndian.PutUint32(h[0x40:], uint32(miniFATSectors))
	}
	binary.LittleEndian.PutUint32(fat[0:], 0xfffffffd)
	chain := func(first, n int) {
		for s := first; s < first+n; s++ {
			v := uint32(s + 1)
			if s == first+n-1 {
				v = 0xfffffffe
			}
			binary.LittleEndian.PutUint32(fat[4*s:], v)
		}
	}
	chain(1, dirSectors)
	chain(1+dirSectors, miniFATSectors)
	rootStart := 1 + dirSectors + miniFATSectors
	chain(rootStart, miniStreamSectors)
	for _, c := range bigChains {
		chain(c[0], c[1])
	}
	if miniFATSectors > 0 {
		mf := out[sec*(2+dirSectors) : sec*(2+dirSectors+miniFATSectors)]
		for i := 0; i < len(mf)/4; i++ {
			binary.LittleEndian.PutUint32(mf[4*i:], 0xffffffff)
		}
		for _, c := range miniChains {
			for s := c[0]; s < c[0]+c[1]; s++ {
				v := uint32(s + 1)
				if s == c[0]+c[1]-1 {
					v = 0xfffffffe
				}
				binary.LittleEndian.PutUint32(mf[4*s:], v)
			}
		}
		copy(out[sec*(1+rootStart):], mini)
	}
	copy(out[sec*(1+1+dirSectors+miniFATSectors+miniStreamSectors):], big)
	for i, e := range all {
		d := out[2*sec+128*i : 2*sec+128*(i+1)]
		u := utf16.Encode([]rune(e.name))
		for k, c := range u {
			binary.LittleEndian.PutUint16(d[2*k:], c)
		}
		binary.LittleEndian.PutUint16(d[0x40:], uint16(2*len(u)+2))
		d[0x42] = e.typ
		d[0x43] = 1 // black
		// A flat tree: every entry a child of the root, each the next's
		// left sibling (readOLE walks the directory in order anyway).
		binary.LittleEndian.PutUint32(d[0x44:], 0xffffffff)
		binary.LittleEndian.PutUint32(d[0x48:], 0xffffffff)
		binary.LittleEndian.PutUint32(d[0x4c:], 0xffffffff)
		if i+1 < len(all) && i > 0 {
			binary.LittleEndian.PutUint32(d[0x48:], uint32(i+1))
		}
		if i == 0 && len(all) > 1 {
			binary.LittleEndian.PutUint32(d[0x4c:], 1)
		}
		copy(d[0x50:], e.clsid)
		size := uint64(len(e.data))
		if e.size != 0 {
			size = e.size
		}
		binary.LittleEndian.PutUint32(d[0x74:], starts[i])
		binary.LittleEndian.PutUint64(d[0x78:], size)
		if i == 0 && len(mini) > 0 {
			binary.LittleEndian.PutUint32(d[0x74:], uint32(rootStart))
			binary.LittleEndian.PutUint64(d[0x78:], uint64(len(mini)))
		}
	}
	return out
}

// oleStreamOf is an \x01Ole stream ([MS-OLEDS] 2.3.3) with flags: an
// embedded object's (0) as Office writes it, or a linked one's (1),
// whose source moniker (a URL moniker here) follows.
func oleStreamOf(flags uint32) []byte {
	b := make([]byte, 20)
	binary.LittleEndian.PutUint32(b, 0x02000001)
	binary.LittleEndian.PutUint32(b[4:], flags)
	if flags&1 == 0 {
		return b
	}
	// RelativeSourceMonikerStreamSize 0, then an absolute one: a URL
	// moniker's CLSID and its URL, then the class and the rest.
	url := utf16.Encode([]rune(`\\192.0.2.1\s\a.xlsx` + "\x00"))
	moniker := []byte("\xe0\xc9\xea\x79\xf9\xba\xce\x11\x8c\x82\x00\xaa\x00\x4b\xa9\x0b")
	moniker = binary.LittleEndian.AppendUint32(moniker, uint32(2*len(url)))
	for _, c := range url {
		moniker = binary.LittleEndian.AppendUint16(moniker, c)
	}
	b = binary.LittleEndian.AppendUint32(b, 0)
	b = binary.LittleEndian.AppendUint32(b, uint32(len(moniker)))
	b = append(b, moniker...)
	return append(b, make([]byte, 16+4+8+8+4+4)...)
}

// TestOLELinkedAnyClass: an OLE object whose \x01Ole stream flags it
// as linked is a link whatever its storage's class says: OLE binds to
// the source moniker that follows (a URL, a share: CVE-2017-0199) when
// the link updates. Before, only a storage of class StdOleLink was
// found, so a linked object claiming Excel's class in a .docx's
// oleObject1.bin, or in a .doc's object pool, had no finding.
func TestOLELinkedAnyClass(t *testing.T) {
	linked, embedded := oleStreamOf(1), oleStreamOf(0)
	compObj := cfbEnt{name: "\x01CompObj", typ: 2, data: make([]byte, 100)}
	inDocx := func(bin []byte) []byte {
		return docx(t, deflate("word/embeddings/oleObject1.bin", bin))
	}
	// Over the mini stream cutoff: the stream is in sectors of its own.
	bigLinked := append(oleStreamOf(1), make([]byte, 5000)...)
	cases := []classifyCase{
		{name: "linked, Excel's class, in a .docx", filename: "a.docx",
			data:  inDocx(cfbFile(clsidXls, cfbEnt{name: "\x01Ole", typ: 2, data: linked}, compObj)),
			class: ClassOffice, sniffed: mimeDocx, findings: []string{OLELinkObject + " word/embeddings/oleObject1.bin"}},
		{name: "linked, no class, the stream's name in capitals", filename: "a.docx",
			data:  inDocx(cfbFile(nil, compObj, cfbEnt{name: "\x01OLE", typ: 2, data: linked})),
			class: ClassOffice, sniffed: mimeDocx, findings: []string{OLELinkObject + " word/embeddings/oleObject1.bin"}},
		{name: "linked, in the mini stream's second sector", filename: "a.docx",
			data:  inDocx(cfbFile(nil, cfbEnt{name: "\x01CompObj", typ: 2, data: make([]byte, 600)}, cfbEnt{name: "\x01Ole", typ: 2, data: linked})),
			class: ClassOffice, sniffed: mimeDocx, findings: []string{OLELinkObject + " word/embeddings/oleObject1.bin"}},
		{name: "linked, outside the mini stream", filename: "a.docx",
			data:  inDocx(cfbFile(clsidXls, cfbEnt{name: "\x01Ole", typ: 2, data: bigLinked})),
			class: ClassOffice, sniffed: mimeDocx, findings: []string{OLELinkObject + " word/embeddings/oleObject1.bin"}},
		{name: "linked object in a Word 97 document's object pool", filename: "a.doc",
			data: cfbFile(clsidWord, cfbEnt{name: "WordDocument", typ: 2, data: make([]byte, 600)}, cfbEnt{name: "ObjectPool", typ: 1},
				cfbEnt{name: "_1234", typ: 1, clsid: clsidXls}, cfbEnt{name: "\x01CompObj", typ: 2, data: make([]byte, 90)}, cfbEnt{name: "\x01Ole", typ: 2, data: linked}),
			class: ClassOffice, sniffed: "application/msword", findings: []string{OLELinkObject}},
		{name: "an \\x01Ole stream shorter than its flags", filename: "a.docx",
			data:  inDocx(cfbFile(clsidXls, cfbEnt{name: "\x01Ole", typ: 2, data: linked[:6]})),
			class: ClassOffice, sniffed: mimeDocx, findings: []string{"office: directory not fully read word/embeddings/oleObject1.bin"}},
		{name: "an \\x01Ole stream claiming sectors past the file", filename: "a.docx",
			data:  inDocx(cfbFile(clsidXls, cfbEnt{name: "\x01Ole", typ: 2, data: linked, size: 1 << 20})),
			class: ClassOffice, sniffed: mimeDocx, findings: []string{"office: directory not fully read word/embeddings/oleObject1.bin"}},
		{name: "a mini stream cutoff other than 4096", filename: "a.docx",
			data: inDocx(func() []byte {
				b := cfbFile(clsidXls, cfbEnt{name: "\x01Ole", typ: 2, data: embedded})
				binary.LittleEndian.PutUint32(b[0x38:], 16)
				return b
			}()),
			class: ClassOffice, sniffed: mimeDocx, findings: []string{"office: directory not fully read word/embeddings/oleObject1.bin"}},
		{name: "a mini sector shift other than 6", filename: "a.docx",
			data: inDocx(func() []byte {
				b := cfbFile(clsidXls, cfbEnt{name: "\x01Ole", typ: 2, data: embedded})
				binary.LittleEndian.PutUint16(b[0x20:], 7)
				return b
			}()),
			class: ClassOffice, sniffed: mimeDocx, findings: []string{"office: directory not fully read word/embeddings/oleObject1.bin"}},
		{name: "clean, an embedded workbook", filename: "a.docx",
			data:  inDocx(cfbFile(clsidXls, cfbEnt{name: "\x01Ole", typ: 2, data: embedded}, compObj, cfbEnt{name: "Workbook", typ: 2, data: make([]byte, 5000)})),
			class: ClassOffice, sniffed: mimeDocx, clean: true},
	}
	runClassify(t, cases)
}

// TestOLEEquationEditor: an Equation Editor 3.0 object, by its class or
// its "Equation Native" stream, in a .docx's oleObject1.bin or a .doc's
// object pool, blocks keeping: EQNEDT32.EXE parses that stream as the
// document opens (CVE-2017-11882, CVE-2018-0802), and such documents
// are still sent. An RTF's object is blocked whatever it is; before,
// the same equation in a .doc or .docx was clean.
func TestOLEEquationEditor(t *testing.T) {
	native := cfbEnt{name: "\x01CompObj", typ: 2, data: make([]byte, 90)}
	eq := cfbEnt{name: "Equation Native", typ: 2, data: make([]byte, 200)}
	runClassify(t, []classifyCase{
		{name: "in a .docx, by its class", filename: "a.docx",
			data:  docx(t, deflate("word/embeddings/oleObject1.bin", cfbFile(clsidEquation, native, cfbEnt{name: "\x01Ole", typ: 2, data: oleStreamOf(0)}))),
			class: ClassOffice, sniffed: mimeDocx, findings: []string{EmbeddedObject + " word/embeddings/oleObject1.bin (Equation Editor)"}},
		{name: "in a .docx, by its stream, another class claimed", filename: "a.docx",
			data:  docx(t, deflate("word/embeddings/oleObject1.bin", cfbFile(clsidXls, native, eq))),
			class: ClassOffice, sniffed: mimeDocx, findings: []string{EmbeddedObject + " word/embeddings/oleObject1.bin (Equation Editor)"}},
		{name: "Equation 2.0's class", filename: "a.docx",
			data:  docx(t, deflate("word/embeddings/oleObject1.bin", cfbFile(clsidEquation2, native))),
			class: ClassOffice, sniffed: mimeDocx, findings: []string{EmbeddedObject + " word/embeddings/oleObject1.bin (Equation Editor)"}},
		{name: "in a Word 97 document's object pool", filename: "a.doc",
			data: cfbFile(clsidWord, cfbEnt{name: "WordDocument", typ: 2, data: make([]byte, 600)}, cfbEnt{name: "ObjectPool", typ: 1},
				cfbEnt{name: "_1234", typ: 1, clsid: clsidEquation}, native),
			class: ClassOffice, sniffed: "application/msword", findings: []string{EmbeddedObject + " (Equation Editor)"}},
	})
}

// TestOLEStreamPastMiniChainBound: an \x01Ole stream in the mini stream
// beyond the sectors walked (oleMaxMiniChain) is not read, and the
// compound file's directory is not fully read (which blocks keeping).
// The root's chain here is a sector pointing to itself, which a walk
// without the bound would follow as far as the stream claims (2^29
// steps for a mini sector number near 2^32), and would find the
// linked flag at this one.
func TestOLEStreamPastMiniChainBound(t *testing.T) {
	b := cfbFile(clsidXls, cfbEnt{name: "\x01Ole", typ: 2, data: oleStreamOf(1)})
	const rootStart = 3 // after the FAT, the directory and the mini FAT
	binary.LittleEndian.PutUint32(b[512+4*rootStart:], rootStart)
	root, ent := b[2*512:2*512+128], b[2*512+128:2*512+256]
	binary.LittleEndian.PutUint64(root[0x78:], uint64(oleMaxMiniChain+1)*512)
	binary.LittleEndian.PutUint32(ent[0x74:], uint32(oleMaxMiniChain)*512/64)
	info := readOLE(bytes.NewReader(b), int64(len(b)))
	if !info.truncated || info.oleLink {
		t.Errorf("truncated %v, oleLink %v; want truncated, no link read", info.truncated, info.oleLink)
	}
}

// TestSniffOLEHeadReadsNoStreams: sniffing a compound file's head does
// not read its \x01Ole streams, which the type and class do not depend
// on: a root chain that is one sector pointing to itself, inside the
// head, was walked to oleMaxMiniChain (2^15 reads, 128 KiB of sector
// numbers kept) at every sniff, for each member of an archive.
func TestSniffOLEHeadReadsNoStreams(t *testing.T) {
	b := cfbFile(clsidXls, cfbEnt{name: "\x01Ole", typ: 2, data: oleStreamOf(0)})
	const rootStart = 3 // after the FAT, the directory and the mini FAT
	binary.LittleEndian.PutUint32(b[512+4*rootStart:], rootStart)
	binary.LittleEndian.PutUint64(b[2*512+0x78:], uint64(oleMaxMiniChain)*512)
	binary.LittleEndian.PutUint32(b[2*512+128+0x74:], uint32(oleMaxMiniChain-1)*512/64)
	head := append(b, make([]byte, sniffShort-len(b))...)
	if mt, c := Sniff(head); mt != "application/vnd.ms-excel" || c != ClassOffice {
		t.Fatalf("Sniff: %s %s", mt, c)
	}
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	const n = 20
	for i := 0; i < n; i++ {
		Sniff(head)
	}
	runtime.ReadMemStats(&after)
	if per := (after.TotalAlloc - before.TotalAlloc) / n; per > 32<<10 {
		t.Errorf("Sniff allocated %d bytes a call, want under 32 KiB", per)
	}
}

// TestOLEVersion4: a version 4 compound file (4096-byte sectors, the
// header in a sector of its own, 32 directory entries a sector, 64-bit
// stream sizes) has its \x01Ole streams read where [MS-CFB] puts them:
// in the mini stream (64-byte mini sectors in the root's 4096-byte
// sectors) or, from 4096 bytes, in sectors of their own.
func TestOLEVersion4(t *testing.T) {
	const sec = 4096
	v4 := func(flags uint32, big bool, sizeHigh uint32) []byte {
		// Sector 0 the FAT, 1 the directory, 2 the mini stream, 3 and
		// 4 a large stream.
		out := make([]byte, sec*6)
		fat := cfbHeader(out, 4, 12)
		for s, v := range []uint32{0xfffffffd, 0xfffffffe, 0xfffffffe, 4, 0xfffffffe} {
			binary.LittleEndian.PutUint32(fat[4*s:], v)
		}
		entry := func(i int, name string, typ byte, start uint32, size uint64) {
			d := out[2*sec+128*i : 2*sec+128*(i+1)]
			u := utf16.Encode([]rune(name))
			for k, c := range u {
				binary.LittleEndian.PutUint16(d[2*k:], c)
			}
			binary.LittleEndian.PutUint16(d[0x40:], uint16(2*len(u)+2))
			d[0x42] = typ
			for _, o := range []int{0x44, 0x48, 0x4c} {
				binary.LittleEndian.PutUint32(d[o:], 0xffffffff)
			}
			binary.LittleEndian.PutUint32(d[0x74:], start)
			binary.LittleEndian.PutUint64(d[0x78:], size)
		}
		entry(0, "Root Entry", 5, 2, 128)
		binary.LittleEndian.PutUint32(out[2*sec+0x4c:], 1) // the root's child
		// The mini stream: an embedded object's stream at mini sector
		// 0 (a decoy where a 512-byte reader would look), the one
		// read at mini sector 1.
		ole := oleStreamOf(flags)
		copy(out[3*sec:], oleStreamOf(0))
		copy(out[3*sec+64:], ole)
		size := uint64(len(ole)) | uint64(sizeHigh)<<32
		if big {
			copy(out[4*sec:], ole)
			entry(1, "\x01Ole", 2, 3, 5000)
		} else {
			entry(1, "\x01Ole", 2, 1, size)
		}
		return out
	}
	for _, tc := range []struct {
		name              string
		data              []byte
		linked, truncated bool
	}{
		{"linked, in the mini stream", v4(1, false, 0), true, false},
		{"linked, in sectors of its own", v4(1, true, 0), true, false},
		{"embedded, in the mini stream", v4(0, false, 0), false, false},
		// Version 4 sizes are 64 bits: one past the file is not read.
		{"a size's high bits set", v4(1, false, 1), false, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			info := readOLE(bytes.NewReader(tc.data), int64(len(tc.data)))
			if info.oleLink != tc.linked || info.truncated != tc.truncated {
				t.Errorf("oleLink %v, truncated %v; want %v, %v", info.oleLink, info.truncated, tc.linked, tc.truncated)
			}
		})
	}
}

// TestOLENamesAsOfficeCompares: a compound file's names are compared as
// MS-CFB compares them (2.6.4: each character upper-cased, simple case
// mapping), so a name spelt with a dotless ı or a long ſ is the one
// Office opens ("PowerPoınt Document" is its PowerPoint Document,
// "Macroſ" its Macros storage), and it is read as that.
func TestOLENamesAsOfficeCompares(t *testing.T) {
	vba := pptContainer(rtVBAInfo, pptRec(2, 0, rtVBAInfoAtom, []byte{1, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0}))
	s := pptStream(vba, nil, nil, 0)
	b := make([]byte, 24)
	binary.LittleEndian.PutUint32(b, 0x14)
	binary.LittleEndian.PutUint32(b[4:], 0xE391C05F)
	binary.LittleEndian.PutUint32(b[8:], pptEditAt(s))
	cu := pptAtom(0x0FF6, b)
	runClassify(t, []classifyCase{
		{name: "PowerPoint Document with a dotless i", filename: "a.ppt",
			data:  cfbFile(nil, cfbEnt{name: "PowerPo\u0131nt Document", typ: 2, data: s}, cfbEnt{name: "Current U\u017fer", typ: 2, data: cu}),
			class: ClassOffice, sniffed: "application/vnd.ms-powerpoint", findings: []string{MacroFinding}},
		{name: "Macros storage with a long s", filename: "a.doc",
			data:  oleFile(clsidWord, oleEnt{"WordDocument", 2}, oleEnt{"Macro\u017f", 1}),
			class: ClassOffice, findings: []string{MacroFinding}},
		{name: "Equation Native with a dotless i", filename: "a.docx",
			data: docx(t, deflate("word/embeddings/oleObject1.bin", cfbFile(clsidXls,
				cfbEnt{name: "\x01CompObj", typ: 2, data: make([]byte, 90)}, cfbEnt{name: "Equat\u0131on Nat\u0131ve", typ: 2, data: make([]byte, 200)}))),
			class: ClassOffice, sniffed: mimeDocx, findings: []string{EmbeddedObject + " word/embeddings/oleObject1.bin (Equation Editor)"}},
	})
}
