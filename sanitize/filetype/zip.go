package filetype

import (
	"archive/zip"
	"bufio"
	"bytes"
	"cmp"
	"compress/bzip2"
	"compress/flate"
	"encoding/binary"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/encoding/japanese"
)

// ZIP layout constants (APPNOTE.TXT 4.3).
const (
	sigLocal    = 0x04034b50
	sigCentral  = 0x02014b50
	sigEnd      = 0x06054b50
	sigEnd64    = 0x06064b50
	sigEnd64Loc = 0x07064b50
	lenLocal    = 30
	lenCentral  = 46
	lenEnd      = 22
)

var errZipFormat = errors.New("not a valid zip")

type directoryEnd struct {
	at      int64  // offset of the end record
	records uint64 // as declared
	dirSize uint64
	dirOff  uint64
}

// findDirectoryEnd locates the end of central directory record the way
// archive/zip does: the last signature in the final 1 KiB, else 65 KiB,
// whose comment fits; zip64 values are taken from the zip64 record.
func findDirectoryEnd(r io.ReaderAt, size int64) (directoryEnd, error) {
	var d directoryEnd
	for i, bLen := range []int64{1024, 65 * 1024} {
		bLen = min(bLen, size)
		buf := make([]byte, bLen)
		if n, _ := r.ReadAt(buf, size-bLen); int64(n) < bLen {
			return d, errZipFormat
		}
		p := -1
		for j := len(buf) - lenEnd; j >= 0; j-- {
			if binary.LittleEndian.Uint32(buf[j:]) == sigEnd {
				if n := int(binary.LittleEndian.Uint16(buf[j+20:])); n+lenEnd+j <= len(buf) {
					p = j
				}
				break
			}
		}
		if p >= 0 {
			b := buf[p:]
			d.at = size - bLen + int64(p)
			d.records = uint64(binary.LittleEndian.Uint16(b[10:]))
			d.dirSize = uint64(binary.LittleEndian.Uint32(b[12:]))
			d.dirOff = uint64(binary.LittleEndian.Uint32(b[16:]))
			if d.records == 0xffff || d.dirSize == 0xffff || d.dirOff == 0xffffffff {
				readEnd64(r, &d)
			}
			return d, nil
		}
		if i == 1 || bLen == size {
			break
		}
	}
	return d, errZipFormat
}

func readEnd64(r io.ReaderAt, d *directoryEnd) {
	loc := make([]byte, 20)
	if d.at < 20 {
		return
	}
	if n, _ := r.ReadAt(loc, d.at-20); n < 20 || binary.LittleEndian.Uint32(loc) != sigEnd64Loc {
		return
	}
	off := int64(binary.LittleEndian.Uint64(loc[8:]))
	rec := make([]byte, 56)
	if off < 0 {
		return
	}
	if n, _ := r.ReadAt(rec, off); n < 56 || binary.LittleEndian.Uint32(rec) != sigEnd64 {
		return
	}
	d.at = off
	d.records = binary.LittleEndian.Uint64(rec[32:])
	d.dirSize = binary.LittleEndian.Uint64(rec[40:])
	d.dirOff = binary.LittleEndian.Uint64(rec[48:])
}

// cdEntry is one central directory header as we read it ourselves.
type cdEntry struct {
	name     []byte
	flags    uint16
	method   uint16
	comp     uint64
	size     uint64
	localOff int64 // relative to the archive start (base)
	aes      bool  // WinZip AES extra field 0x9901
	upath    []byte
}

// centralDirectory is the directory we hand to archive/zip.
type centralDirectory struct {
	base    int64 // offset of the archive in the file (prefix data)
	start   int64 // absolute offset of the first header
	end     int64 // absolute offset after the last header we keep
	entries []cdEntry
	more    bool // there were more headers than we kept
	// oversized: a header with a name or extra field beyond maxZipName /
	// maxZipExtra stopped the walk.
	oversized bool
}

const (
	maxZipName  = 4096 // 16 times Windows' MAX_PATH
	maxZipExtra = 8192
)

// readCentralDirectory walks the central directory headers, keeping at most
// max. Like archive/zip it reads headers until one does not parse, so that
// the entries it keeps are exactly those archive/zip will see in the view
// built by zipView, and a directory of a million entries costs no memory.
func readCentralDirectory(r io.ReaderAt, size int64, max int) (centralDirectory, error) {
	var cd centralDirectory
	d, err := findDirectoryEnd(r, size)
	if err != nil {
		return cd, err
	}
	if d.dirSize > uint64(size) || d.dirOff > uint64(size) {
		return cd, errZipFormat
	}
	base := d.at - int64(d.dirSize) - int64(d.dirOff)
	if o := base + int64(d.dirOff); o < 0 || o >= size {
		return cd, errZipFormat
	}
	if base > 0 && isCentralHeader(r, int64(d.dirOff)) {
		base = 0 // archive/zip's rule for a wrong base offset
	}
	cd.base, cd.start = base, base+int64(d.dirOff)
	br := bufio.NewReaderSize(io.NewSectionReader(r, cd.start, size-cd.start), 8<<10)
	pos := cd.start
	hdr := make([]byte, lenCentral)
	for {
		if _, err := io.ReadFull(br, hdr); err != nil || binary.LittleEndian.Uint32(hdr) != sigCentral {
			break
		}
		if len(cd.entries) >= max {
			cd.more = true
			break
		}
		e := cdEntry{
			flags:    binary.LittleEndian.Uint16(hdr[8:]),
			method:   binary.LittleEndian.Uint16(hdr[10:]),
			comp:     uint64(binary.LittleEndian.Uint32(hdr[20:])),
			size:     uint64(binary.LittleEndian.Uint32(hdr[24:])),
			localOff: int64(binary.LittleEndian.Uint32(hdr[42:])),
		}
		n, m, k := int(binary.LittleEndian.Uint16(hdr[28:])), int(binary.LittleEndian.Uint16(hdr[30:])), int(binary.LittleEndian.Uint16(hdr[32:]))
		if n > maxZipName || m > maxZipExtra {
			// No extractor needs this; a directory of such headers is a
			// way to make us allocate. The rest is not looked at.
			cd.oversized = true
			break
		}
		rest := make([]byte, n+m)
		if _, err := io.ReadFull(br, rest); err != nil {
			break
		}
		if _, err := br.Discard(k); err != nil {
			break
		}
		e.name = rest[:n]
		e.parseExtra(rest[n:])
		cd.entries = append(cd.entries, e)
		pos += int64(lenCentral + n + m + k)
	}
	cd.end = pos
	return cd, nil
}

func isCentralHeader(r io.ReaderAt, off int64) bool {
	b := make([]byte, 4)
	n, _ := r.ReadAt(b, off)
	return n == 4 && binary.LittleEndian.Uint32(b) == sigCentral
}

// parseExtra takes zip64 sizes and offset and notes WinZip AES.
func (e *cdEntry) parseExtra(x []byte) {
	x0 := x
	for len(x) >= 4 {
		id, n := binary.LittleEndian.Uint16(x), int(binary.LittleEndian.Uint16(x[2:]))
		if n > len(x)-4 {
			return
		}
		body := x[4 : 4+n]
		switch id {
		case 0x0001:
			for _, f := range []*uint64{&e.size, &e.comp} {
				if *f == 0xffffffff && len(body) >= 8 {
					*f = binary.LittleEndian.Uint64(body)
					body = body[8:]
				}
			}
			if e.localOff == 0xffffffff && len(body) >= 8 {
				e.localOff = int64(binary.LittleEndian.Uint64(body))
			}
		case 0x9901:
			e.aes = true
		}
		x = x[4+n:]
	}
	e.upath = unicodePath(e.upath, x0)
}

// unicodePath finds Info-ZIP's Unicode Path extra field (0x7075: a
// version, the CRC-32 of the header's name, the name in UTF-8) in x, or
// returns found. unzip, libarchive, 7-Zip and WinRAR name the file they
// write by it; archive/zip, and so the name mugai reads, by the header.
func unicodePath(found, x []byte) []byte {
	for len(x) >= 4 {
		id, n := binary.LittleEndian.Uint16(x), int(binary.LittleEndian.Uint16(x[2:]))
		if n > len(x)-4 {
			break
		}
		if body := x[4 : 4+n]; id == 0x7075 && len(body) > 5 {
			found = body[5:]
		}
		x = x[4+n:]
	}
	return found
}

// zipView presents the archive to archive/zip as exactly the entries of cd:
// the bytes from the archive start to the end of the kept headers, then a
// fresh end record. What archive/zip parses is then what we counted.
type zipView struct {
	r    io.ReaderAt
	base int64
	n    int64 // bytes taken from r
	end  []byte
}

func newZipView(r io.ReaderAt, cd centralDirectory) *zipView {
	v := &zipView{r: r, base: cd.base, n: cd.end - cd.base}
	end := make([]byte, lenEnd)
	binary.LittleEndian.PutUint32(end, sigEnd)
	cnt := uint16(len(cd.entries)) // at most 0xfffe, see inspectZip
	binary.LittleEndian.PutUint16(end[8:], cnt)
	binary.LittleEndian.PutUint16(end[10:], cnt)
	binary.LittleEndian.PutUint32(end[12:], uint32(cd.end-cd.start))
	binary.LittleEndian.PutUint32(end[16:], uint32(cd.start-cd.base))
	v.end = end
	return v
}

func (v *zipView) size() int64 { return v.n + int64(len(v.end)) }

func (v *zipView) ReadAt(p []byte, off int64) (int, error) {
	if off < 0 {
		return 0, errZipFormat
	}
	total := 0
	if off < v.n {
		k := min(int64(len(p)), v.n-off)
		n, err := v.r.ReadAt(p[:k], v.base+off)
		total += n
		if int64(n) < k {
			if err == nil {
				err = io.ErrUnexpectedEOF
			}
			return total, err
		}
		p, off = p[k:], off+k
	}
	if len(p) == 0 {
		return total, nil
	}
	i := off - v.n
	if i >= int64(len(v.end)) {
		return total, io.EOF
	}
	n := copy(p, v.end[i:])
	total += n
	if n < len(p) {
		return total, io.EOF
	}
	return total, nil
}

// inspectZip opens a ZIP archive (or OOXML/ODF/JAR) within the limits.
func (in *inspector) inspectZip(r io.ReaderAt, size int64, path string, depth int, mt string) (string, Class) {
	where := strings.TrimSuffix(path, "/")
	if depth > in.lim.MaxDepth {
		in.limit("archive: nesting too deep", where)
		return mt, ClassArchive
	}
	// archive/zip checks the entry count modulo 65536 only; keep the
	// synthetic end record below the zip64 marker.
	allowed := min(in.lim.MaxEntries-in.entries, 0xfffe)
	if allowed <= 0 {
		in.limit("archive: too many entries", fmt.Sprintf("(more than %d)", in.lim.MaxEntries))
		return mt, ClassArchive
	}
	cd, err := readCentralDirectory(r, size, allowed)
	if err == nil && len(cd.entries) == 0 && !cd.more && size > lenEnd && has(readUpTo(r, size, 4), 0, "PK\x03\x04") {
		err = errZipFormat // local headers but no directory
	}
	if err != nil {
		in.corrupt = true
		in.find("zip: corrupt", withWhere(where, errText(err)))
		return in.scanLocalHeaders(r, size, path, depth)
	}
	if cd.more {
		in.limit("archive: too many entries", fmt.Sprintf("(more than %d)", in.lim.MaxEntries))
	}
	if cd.oversized {
		in.corrupt = true
		in.find("zip: corrupt", withWhere(where, "oversized central directory header"))
	}
	view := newZipView(r, cd)
	zr, err := zip.NewReader(view, view.size())
	if err != nil && !errors.Is(err, zip.ErrInsecurePath) || zr == nil || len(zr.File) != len(cd.entries) {
		if err == nil {
			err = errZipFormat
		}
		in.corrupt = true
		in.find("zip: corrupt", withWhere(where, errText(err)))
		return in.scanLocalHeaders(r, size, path, depth)
	}
	zr.RegisterDecompressor(12, func(r io.Reader) io.ReadCloser { return io.NopCloser(bzip2.NewReader(r)) })

	layout := zipLayout(zr)
	var pkg *ooxmlPackage
	if layout.ooxml {
		// Office tells a document's kind, and each part's, from the
		// package's own index, not from folder names.
		pkg = in.readPackage(zr, cd, where)
		if pkg != nil && pkg.mime != "" {
			layout.mime = pkg.mime
		}
	}
	mt = layout.mime
	if layout.polyglot {
		in.find(OfficePolyglot, where)
	}
	if layout.class == ClassExecutable {
		in.executable = true
		in.find("zip: "+layout.kind, where)
	}

	var declared uint64
	for _, e := range cd.entries {
		declared += e.size
	}
	if declared > uint64(in.lim.MaxTotal) {
		in.limit("archive: total size exceeded", strings.TrimSpace(fmt.Sprintf("%s (%d bytes declared)", where, declared)))
	}
	if declared >= ratioFloor && float64(declared) > in.lim.MaxRatio*float64(max(size, 1)) {
		in.limit("archive: ratio exceeded", strings.TrimSpace(where+" (overall)"))
	}

	// A VBA project inside the document (found by name or by opening an
	// OLE2 member) is reported once, for the document.
	macros := pkg != nil && pkg.macros
	saved := in.macroSink
	in.macroSink = nil
	if layout.office {
		in.macroSink = &macros
	}
	defer func() { in.macroSink = saved }()
	// An OpenDocument file binds macros to events and links content
	// from shares in its XML: its XML parts are read (odf.go), and one
	// not read to the end is not inspected (red team).
	odf := newODF(layout.mime, where, &macros)
	var spans []span
	complete := !cd.more && !cd.oversized
	for i, f := range zr.File {
		if in.entries >= in.lim.MaxEntries {
			in.limit("archive: too many entries", fmt.Sprintf("(more than %d)", in.lim.MaxEntries))
			complete = false
			break
		}
		e := cd.entries[i]
		in.entries++
		name := decodeZipName(e.name, f.NonUTF8)
		where := path + displayName(name)
		if ln, lupath, lflags, data, ok := in.localHeader(view, e); ok {
			spans = append(spans, span{e.localOff, data + int64(min(e.comp, 1<<40)) + 24})
			if !bytes.Equal(ln, e.name) {
				lname := decodeZipName(ln, f.NonUTF8)
				in.find("zip: local name differs", where+" (local: "+displayName(lname)+")")
				in.corrupt = true
				in.inspectEntry(entry{name: lname, size: -1}, nil, path, depth)
			}
			in.unicodeName(name, lupath, where, path, depth)
			if lflags&1 != 0 {
				e.flags |= 1
			}
		} else {
			spans = append(spans, span{e.localOff, e.localOff + lenLocal})
			in.corrupt = true
			in.find("zip: corrupt entry", where)
		}
		in.unicodeName(name, e.upath, where, path, depth)
		encrypted := e.flags&0x41 != 0 || e.aes || f.Method == 99
		if isZipLink(f.ExternalAttrs) {
			// Before the folder test: a link named "a/" is a link.
			in.find(LinkEntry, where+in.zipLinkTarget(f, encrypted, where))
		}
		if f.FileInfo().IsDir() && e.size == 0 {
			continue
		}
		ent := entry{
			name:      name,
			size:      int64(min(e.size, 1<<62)),
			comp:      int64(min(e.comp, 1<<62)),
			encrypted: encrypted,
		}
		lower := strings.ToLower(name)
		ct := pkg.typeOf(partKey(name))
		odf.member(lower)
		if layout.office && (strings.HasSuffix(lower, "vbaproject.bin") ||
			strings.HasPrefix(lower, "xl/macrosheets/") || strings.HasPrefix(lower, "basic/") ||
			strings.HasPrefix(lower, "scripts/")) {
			macros = true
		}
		if layout.office && (strings.Contains("/"+lower, "/activex/") || lower == "xl/connections.xml" || strings.HasPrefix(lower, "xl/querytables/") ||
			strings.HasPrefix(ct, ctActiveX) || ct == ctConnections || ct == ctQueryTable) {
			// An ActiveX control runs code of its own; a workbook's
			// data connection or query table fetches from a server, a
			// share or a database when it refreshes (on opening, if
			// it says so).
			in.find("office: embedded or external content", where)
		}
		if layout.ooxml && (strings.Contains("/"+lower, "/webextensions/") || strings.HasPrefix(ct, ctWebExtension)) {
			// An Office web add-in bound to the document: Office
			// loads it from its store (the web, a share's catalog)
			// into a task pane or the sheet as the document opens,
			// and the add-in runs its own script with the settings
			// the document gives it.
			in.find("office: embedded or external content", where+" (web add-in)")
		}
		if layout.ooxml && isChunkType(ct) {
			// Typed so, Word imports it whatever names it: the
			// relationship's type may be the only other sign.
			in.find(OOXMLAltChunk, where)
		}
		if ent.size >= ratioFloor && float64(ent.size) > in.lim.MaxRatio*float64(max(ent.comp, 1)) {
			in.limit("archive: ratio exceeded", where)
			in.inspectEntry(entry{name: name, size: ent.size, encrypted: ent.encrypted}, nil, path, depth)
			continue
		}
		if ent.encrypted {
			in.inspectEntry(ent, nil, path, depth)
			continue
		}
		if f.Method != zip.Store && f.Method != zip.Deflate && f.Method != 12 {
			in.find("zip: unsupported compression method", fmt.Sprintf("%d %s", f.Method, where))
			in.inspectEntry(ent, nil, path, depth)
			continue
		}
		rc, err := f.Open()
		if err != nil {
			in.corrupt = true
			in.find("archive: corrupt entry", where+": "+errText(err))
			in.inspectEntry(ent, nil, path, depth)
			continue
		}
		if f.Method == zip.Store && ent.comp == ent.size {
			if off, err := f.DataOffset(); err == nil && off >= 0 && off+ent.comp <= view.size() {
				ent.at = io.NewSectionReader(view, off, ent.comp)
			}
		}
		externalLink := layout.office && (isExternalLinkPart(lower) || ct == ctExternalLink)
		officePart := layout.office && (lower == "[content_types].xml" || strings.HasSuffix(lower, ".rels")) || externalLink
		if officePart {
			in.inspectOfficePart(ent, rc, path, externalLink, &macros)
		} else {
			in.inspectEntry(ent, rc, path, depth)
		}
		rc.Close()
		// Any .rels is read for external relationships, but only one
		// in a _rels folder is a relationship part (OPC): another, a
		// header or a sheet by its type, is read as any part is. A
		// part named as a workbook's external link is read as one,
		// and as any part is too unless typed as one, and in a Word
		// document always: Word and Excel find their parts by
		// relationship and type, not by folder (a sheet under
		// xl/externalLinks/ is a sheet).
		content := layout.ooxml && lower != "[content_types].xml" && !isRelsPart(lower) &&
			(!externalLink || ct != ctExternalLink || layout.mime == mimeDocx || isWordprocessingML(ct))
		// Its hyperlink relationships used as a picture's link are
		// looked for as it is read for its formulas or fields, or in
		// a read of their own.
		hyperlinks := pkg.hyperlinksOf(i)
		in.pictureIDs = hyperlinks
		if content && (layout.mime == mimeXlsx || isSpreadsheetML(ct)) {
			// Read again, whole, for its formulas: inspectEntry sniffs it.
			in.workbookPart(ent, f.Open, path, lower, isSpreadsheetML(ct), &macros)
		}
		if content && (layout.mime == mimeDocx || isWordprocessingML(ct)) {
			// Read again, whole, for its fields: inspectEntry sniffs
			// it. In a Word document every XML part is read, as Word
			// finds headers, footers and notes by relationships, not
			// by name; one typed as Word's is read as XML whatever it
			// holds.
			in.wordFields(ent, f.Open, path, isWordprocessingML(ct))
		}
		if in.pictureIDs != nil {
			in.pictureIDs = nil
			in.pictureLinkUses(ent, f.Open, path+displayName(name), hyperlinks)
		}
		if layout.ooxml && lower != "[content_types].xml" {
			// LibreOffice draws a picture by its content: one that
			// is SVG is read for the images it fetches. Any part: a
			// relationship names its picture by path, whatever the
			// part's type or folder, so one typed or named as an
			// external link, a .rels or a part in a _rels folder is
			// drawn too, and was not read. [Content_Types].xml holds
			// no element but Default and Override (parseContentTypes
			// refuses any other), so no image.
			in.ooxmlPicture(ent, f.Open, path, &macros)
		}
		if content && (layout.mime == mimeDocx || isWordprocessingML(ct)) && isWordSettings(lower, ct) {
			// Its mail merge data source is named in attributes, not
			// in a relationship or a field.
			if rc, err := f.Open(); err == nil {
				in.wordSettings(ent, rc, path)
				rc.Close()
			}
		}
		if odf.wants(lower) {
			if rc, err := f.Open(); err == nil {
				in.odfPart(odf, ent, rc, path, lower)
				rc.Close()
			}
		}
	}
	if complete {
		in.scanGaps(view, spans, cd.start-cd.base, path, depth)
	}
	in.inspectPrefix(r, cd.base, path, depth)
	in.closeODF(odf, complete)
	if macros {
		in.find(MacroFinding, where)
		mt = macroMime(mt)
	}
	return mt, layout.class
}

// isZipLink reports a ZIP entry whose external attributes hold a Unix
// symlink mode (S_IFLNK in the high 16 bits): unzip, libarchive and
// 7-Zip write it as a link to the path its data names. The system that
// made the entry is not looked at: an entry made on Windows may carry a
// Unix mode too (7-Zip writes one, flagged 0x8000), extractors differ in
// when they read it, and no archiver writes these bits for a file that
// is not a link.
func isZipLink(attrs uint32) bool { return (attrs>>16)&0o170000 == 0o120000 }

// maxLinkTarget bounds the bytes of a ZIP link's target read for the
// finding's detail (displayName shows fewer).
const maxLinkTarget = 512

// zipLinkTarget is " -> " and the target of a ZIP link member, its data,
// for the finding's detail; "" when it cannot be read (encrypted, a
// compression method archive/zip lacks).
func (in *inspector) zipLinkTarget(f *zip.File, encrypted bool, where string) string {
	if encrypted {
		return ""
	}
	rc, err := f.Open()
	if err != nil {
		return ""
	}
	defer rc.Close()
	b, _ := io.ReadAll(io.LimitReader(in.budget(rc, 0, where), maxLinkTarget))
	if len(b) == 0 {
		return ""
	}
	return " -> " + displayName(string(b))
}

// localHeader reads an entry's local header: name, flags and where its
// data starts.
func (in *inspector) localHeader(r io.ReaderAt, e cdEntry) (name, upath []byte, flags uint16, data int64, ok bool) {
	hdr := make([]byte, lenLocal)
	if n, _ := r.ReadAt(hdr, e.localOff); n < lenLocal || binary.LittleEndian.Uint32(hdr) != sigLocal {
		return nil, nil, 0, 0, false
	}
	nn, xn := int(binary.LittleEndian.Uint16(hdr[26:])), int(binary.LittleEndian.Uint16(hdr[28:]))
	b := make([]byte, nn+min(xn, maxZipExtra))
	if n, _ := r.ReadAt(b, e.localOff+lenLocal); n < len(b) {
		return nil, nil, 0, 0, false
	}
	data = e.localOff + lenLocal + int64(nn) + int64(xn)
	return b[:nn], unicodePath(nil, b[nn:]), binary.LittleEndian.Uint16(hdr[6:]), data, true
}

// unicodeName checks the name an extractor gives a member from its
// Unicode Path field (upath, nil without one) against the name read:
// by its name alone the member is classed again (a script named
// readme.txt whose Unicode Path says readme.js), and a different
// extension is a finding that blocks keeping, since what was inspected
// under one type is written out as another. Names that differ only in
// how a legacy encoding was read keep their extension.
func (in *inspector) unicodeName(name string, upath []byte, where, path string, depth int) {
	if upath == nil || string(upath) == name {
		return
	}
	u := strings.ToValidUTF8(string(upath), "\uFFFD")
	if !strings.EqualFold(extOf(u), extOf(name)) {
		in.find("zip: unicode path differs", where+" (unicode path: "+displayName(u)+")")
		in.corrupt = true
	}
	in.inspectEntry(entry{name: u, size: -1}, nil, path, depth)
}

// extOf is what follows the last dot of a path's last element, without
// the trailing dots and spaces Windows drops.
func extOf(p string) string {
	p = strings.TrimRight(p, ". ")
	if i := strings.LastIndexAny(p, "/\\"); i >= 0 {
		p = p[i+1:]
	}
	if i := strings.LastIndexByte(p, '.'); i >= 0 {
		return p[i+1:]
	}
	return ""
}

// span is a byte range of the archive that a central directory entry
// accounts for: local header, data and data descriptor.
type span struct{ start, end int64 }

// scanGaps looks for local file headers in the bytes no directory entry
// accounts for, below the central directory at limit. Extractors that
// read local headers front to back (and some scanners) see such hidden
// members; archive/zip does not.
func (in *inspector) scanGaps(r io.ReaderAt, spans []span, limit int64, path string, depth int) {
	slices.SortFunc(spans, func(a, b span) int { return cmp.Compare(a.start, b.start) })
	var cursor int64
	check := func(from, to int64) {
		for from < to && in.entries < in.lim.MaxEntries {
			sec := io.NewSectionReader(r, from, to-from)
			p := in.nextSignature(sec, to-from, 0, "PK\x03\x04")
			if p < 0 {
				return
			}
			hdr := make([]byte, lenLocal)
			if n, _ := r.ReadAt(hdr, from+p); n == lenLocal {
				name := make([]byte, binary.LittleEndian.Uint16(hdr[26:]))
				n, _ := r.ReadAt(name, from+p+lenLocal)
				flags := binary.LittleEndian.Uint16(hdr[6:])
				dn := decodeZipName(name[:n], flags&0x800 == 0)
				in.entries++
				in.corrupt = true
				in.find("zip: entry outside central directory", path+displayName(dn))
				in.inspectEntry(entry{name: dn, size: -1, encrypted: flags&0x41 != 0}, nil, path, depth)
			}
			from += p + 4
		}
	}
	for _, s := range spans {
		if s.start > cursor {
			check(cursor, min(s.start, limit))
		}
		cursor = max(cursor, s.end)
	}
	if cursor < limit {
		check(cursor, limit)
	}
}

// inspectPrefix looks at what precedes an archive whose offsets start later
// in the file: a whole second archive (concatenated ZIPs, which different
// extractors open differently) or stray local headers.
func (in *inspector) inspectPrefix(r io.ReaderAt, base int64, path string, depth int) {
	if base <= 0 || in.entries >= in.lim.MaxEntries {
		return
	}
	in.entries++ // each prefix costs an entry: 10,000 stacked empty archives stop here
	sec := io.NewSectionReader(r, 0, base)
	if _, err := findDirectoryEnd(sec, base); err == nil {
		in.corrupt = true
		in.find("zip: concatenated archive", strings.TrimSpace(strings.TrimSuffix(path, "/")))
		in.inspectZip(sec, base, path, depth, "application/zip")
		return
	}
	if p := in.nextSignature(sec, base, 0, "PK\x03\x04"); p >= 0 {
		in.corrupt = true
		in.find("zip: entries before archive", strings.TrimSpace(strings.TrimSuffix(path, "/")))
		in.scanLocalHeaders(io.NewSectionReader(r, p, base-p), base-p, path, depth)
	}
}

// decodeZipName decodes an entry name: UTF-8 when flagged or valid, else
// CP437 by the standard but in practice the Windows code page, which for
// Japanese senders is Shift_JIS (Explorer's "送る > 圧縮").
func decodeZipName(raw []byte, nonUTF8 bool) string {
	if utf8.Valid(raw) {
		return string(raw)
	}
	if s, err := japanese.ShiftJIS.NewDecoder().Bytes(raw); err == nil && utf8.Valid(s) && !bytes.ContainsRune(s, utf8.RuneError) {
		return string(s)
	}
	return string(raw) // displayName escapes the invalid bytes
}

// OOXMLAltChunk is the finding for a Word document that imports a
// chunk in another format (w:altChunk, an aFChunk relationship, or a
// part typed as HTML, MHT or RTF): Word converts it into the document
// as it opens, fetching what an HTML chunk's pictures and style sheets
// name (a share hands over the NTLM hash) and keeping an RTF chunk's
// fields and objects, none of which is read here.
const OOXMLAltChunk = "office: embedded document Word imports on opening (altChunk)"

// isChunkType reports a part type that only an imported chunk has in
// an OOXML package: HTML, XHTML, MHT and RTF (ct in lower case).
func isChunkType(ct string) bool {
	switch ct {
	case "text/html", "application/xhtml+xml", "message/rfc822", "multipart/related", "application/x-mimearchive", "application/rtf", "text/rtf":
		return true
	}
	return false
}

// OfficePolyglot is the finding of a package that is both an OOXML
// document ([Content_Types].xml) and an OpenDocument one (mimetype and
// content.xml or its manifest): which parts run depends on the program
// that opens it, and only one reading is inspected.
const OfficePolyglot = "office: not inspected: both an OOXML and an OpenDocument package"

// ODFNotInspected is the finding of an OpenDocument file (ODT, ODS, ODP
// and the rest) whose XML, where macros are bound to events and content
// linked from elsewhere, could not all be read (odf.go): encrypted, not
// XML, over the limits.
const ODFNotInspected = "office: not inspected: OpenDocument event bindings, linked and embedded content"

type layout struct {
	kind   string // for the finding: "java archive", "android package", …
	mime   string
	class  Class
	office bool
	ooxml  bool // an OOXML package: readPackage tells its mime
	// polyglot: an OOXML package that is an OpenDocument package too
	polyglot bool
}

// zipLayout recognises ZIP-based formats by their well-known members.
func zipLayout(zr *zip.Reader) layout {
	names := map[string]bool{}
	for _, f := range zr.File {
		names[strings.ToLower(f.Name)] = true
	}
	ooxml := layout{mime: "application/vnd.openxmlformats-officedocument", class: ClassOffice, office: true, ooxml: true}
	switch {
	case names["[content_types].xml"] && (names["appxmanifest.xml"] || names["appxmetadata/appxbundlemanifest.xml"]):
		return layout{kind: "windows app package", mime: "application/vnd.ms-appx", class: ClassExecutable}
	case names["[content_types].xml"]:
		// Also an OpenDocument file: LibreOffice may open it as one,
		// Word as the other, each reading its own parts.
		ooxml.polyglot = names["mimetype"] && (names["content.xml"] || names["meta-inf/manifest.xml"])
		return ooxml
	case names["mimetype"] && (names["content.xml"] || names["meta-inf/manifest.xml"]):
		mt := "application/vnd.oasis.opendocument"
		for _, f := range zr.File {
			if f.Name == "mimetype" && f.UncompressedSize64 < 100 {
				if rc, err := f.Open(); err == nil {
					b, _ := io.ReadAll(io.LimitReader(rc, 100))
					rc.Close()
					// A kind's name (text, spreadsheet-template), not
					// any bytes: the type is reported and matched.
					if kind, ok := strings.CutPrefix(string(b), "application/vnd.oasis.opendocument."); ok && kind != "" &&
						strings.Trim(kind, "abcdefghijklmnopqrstuvwxyz0123456789.+-") == "" {
						mt += "." + kind
					}
				}
			}
		}
		return layout{mime: mt, class: ClassOffice, office: true}
	case names["androidmanifest.xml"] && names["classes.dex"]:
		return layout{kind: "android package", mime: "application/vnd.android.package-archive", class: ClassExecutable}
	case names["meta-inf/manifest.mf"]:
		return layout{kind: "java archive", mime: "application/java-archive", class: ClassExecutable}
	case names["_rels/.rels"]:
		// A package's relationships without its part types: Office
		// opens it, if at all, in repair, and readPackage says so.
		return ooxml
	}
	return layout{mime: "application/zip", class: ClassArchive}
}

func macroMime(mt string) string {
	switch mt {
	case mimeDocx:
		return mimeDocm
	case mimeXlsx:
		return mimeXlsm
	case mimePptx:
		return mimePptm
	}
	return mt
}

// isRelsPart reports an OOXML relationship part (its name in lower
// case): a .rels in a _rels folder.
func isRelsPart(lower string) bool {
	return strings.HasSuffix(lower, ".rels") && (strings.HasPrefix(lower, "_rels/") || strings.Contains(lower, "/_rels/"))
}

// isExternalLinkPart reports whether an OOXML part (its name in lower
// case) is a workbook's external link.
func isExternalLinkPart(lower string) bool {
	return strings.HasPrefix(lower, "xl/externallinks/") && strings.HasSuffix(lower, ".xml")
}

// inspectOfficePart reads [Content_Types].xml, relationship parts and
// external links (externalLink, by name or type) of an OOXML document
// (they are small) for macro content types and external references.
func (in *inspector) inspectOfficePart(e entry, rd io.Reader, path string, externalLink bool, macros *bool) {
	where := path + displayName(e.name)
	b, err := io.ReadAll(io.LimitReader(in.budget(rd, e.comp, where), maxPackagePart+1))
	if err != nil && !errors.Is(err, errLimit) {
		in.corrupt = true
		in.find("archive: corrupt entry", where+": "+errText(err))
	}
	over := len(b) > maxPackagePart
	b = b[:min(len(b), maxPackagePart)]
	s := strings.ToLower(string(b))
	if strings.ToLower(e.name) == "[content_types].xml" {
		if strings.Contains(s, "vbaproject") || strings.Contains(s, "macroenabled") || strings.Contains(s, "macrosheet") {
			*macros = true
		}
		return
	}
	if externalLink {
		if over {
			in.find(externalLinkNotInspected, where+fmt.Sprintf(": over %d bytes", maxPackagePart))
			return
		}
		links, why := externalLinkFindings(b)
		for _, k := range links {
			in.find("office: external reference", k+" in "+where)
		}
		if why != "" {
			in.find(externalLinkNotInspected, where+": "+why)
		}
		return
	}
	// A relationship part is read as Office reads it, with an XML
	// parser: a substring search missed `TargetMode = "External"`,
	// character references (`&#69;xternal`), a namespace prefix on the
	// element and UTF-16 parts, all of which Word honours.
	for _, f := range officeRelFindings(b, in.links()) {
		in.find(f, "in "+where)
	}
}

// externalLinkNotInspected is the finding for a workbook's external
// link part that does not read as XML or is over maxPackagePart: what
// it links to is not known.
const externalLinkNotInspected = "office: external link not inspected"

// externalLinkFindings reads a workbook's external link part as Excel
// does, with an XML parser, for a link to another program (DDE:
// "cmd|' /C calc'") or to an OLE object, which Excel starts when the
// link updates: a substring search missed a UTF-16 part. It returns
// the links' kinds (ddelink, olelink) and, for a part that does not
// read as XML (a DTD, another charset), why it is not inspected.
func externalLinkFindings(b []byte) (links []string, why string) {
	d := packageDecoder(b) // another charset is an error when read
	for {
		tok, err := d.Token()
		if err == io.EOF {
			return links, ""
		}
		if err != nil {
			return links, "not readable as XML"
		}
		switch t := tok.(type) {
		case xml.Directive:
			return links, "DTD"
		case xml.StartElement:
			for _, k := range []string{"ddeLink", "oleLink"} {
				if strings.EqualFold(t.Name.Local, k) {
					links = append(links, strings.ToLower(k))
				}
			}
		}
	}
}

// links is the set the link targets left clickable in a kept document go
// into: a PDF's, and an Office document's web, mail and phone links.
func (in *inspector) links() *pdfLinks {
	if in.pdfLinks == nil {
		in.pdfLinks = &pdfLinks{}
	}
	return in.pdfLinks
}

// officeRelFindings reads a relationship part (.rels) and returns a
// finding for each external relationship Office would follow when the
// document opens or a link is clicked: every external target but a
// hyperlink to a web page, a mail address or a phone number. An image,
// video or workbook link fetched from a UNC path hands over the user's
// NTLM hash, a template or OLE object fetched from the web runs code;
// an external relationship of any type is refused, not only the types
// known to be abused. A part that does not read as XML as Office reads
// one (packageDecoder: a charset other than UTF-8 or UTF-16, a DTD, a
// syntax error) cannot be checked and is refused too. The hyperlinks kept go into links, to be counted.
func officeRelFindings(b []byte, links *pdfLinks) []string {
	d := packageDecoder(b)
	var out []string
	for {
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			return append(out, "office: relationships not inspected (not readable as XML)")
		}
		switch t := tok.(type) {
		case xml.Directive:
			// A DTD: Office refuses one in a package, and its entities
			// are not expanded here.
			return append(out, "office: relationships not inspected (DTD)")
		case xml.StartElement:
			if !strings.EqualFold(t.Name.Local, "Relationship") {
				continue
			}
			var typ, target, mode string
			seen := map[string]bool{}
			twice := false
			for _, a := range t.Attr {
				l := strings.ToLower(a.Name.Local)
				switch l {
				case "type":
					typ = a.Value
				case "target":
					target = a.Value
				case "targetmode":
					mode = a.Value
				default:
					continue
				}
				// Office and LibreOffice read Target, Type and
				// TargetMode without a namespace, in this case: a
				// second one (x:TargetMode="Internal" after
				// TargetMode="External") is a decoy for a reader
				// that takes the last.
				twice = twice || seen[l]
				seen[l] = true
			}
			if twice {
				out = append(out, "office: relationships not inspected (an attribute written twice)")
				continue
			}
			kind := strings.ToLower(typ[strings.LastIndexByte(typ, '/')+1:])
			if kind == "hyperlink" && !strings.EqualFold(typ, relHyperlink) && !strings.EqualFold(typ, relHyperlinkStrict) {
				// Named like one, but no hyperlink: LibreOffice
				// follows a relationship by its Id whatever its type
				// (a picture's r:link fetches any external target).
				kind = "relationship"
			}
			if kind == "afchunk" {
				// Word imports the chunk (HTML, MHT, RTF, text or
				// another document) into the document as it opens,
				// with its own importers, which fetch an HTML chunk's
				// pictures and keep an RTF chunk's fields: nothing of
				// that is read here. Internal or external.
				out = append(out, OOXMLAltChunk)
				continue
			}
			if kind == "webextension" || kind == "webextensiontaskpanes" {
				// A web add-in bound to the document (see inspectZip),
				// by its relationship: the part it names may have any
				// name and be typed as plain XML.
				out = append(out, "office: embedded or external content (web add-in)")
				continue
			}
			internal := mode == "" || mode == "Internal"
			if internal && links.refused([]byte(target)) != pdfLinkRelative {
				// LibreOffice makes an internal hyperlink's target the
				// link's URL as it is (oox HyperLinkContext: "the
				// internal target"), so one that is a URL, a share or
				// a drive path links out as an external one does. It
				// looks the relationship up by its Id whatever its
				// type (getInternalTargetFromRelId checks none), so a
				// shape's click on an image relationship so written
				// links out too. A part of the package does not.
				internal = false
			}
			if internal {
				// Exactly so: LibreOffice takes any other value, " Internal"
				// too, for External (oox RelationsFragment).
				continue
			}
			// "External", or a value Office may read as it: external.
			if kind == "hyperlink" {
				if f := links.refused([]byte(target)); f != "" {
					out = append(out, "office: "+strings.TrimPrefix(f, "pdf: "))
				} else {
					links.add([]byte(target))
				}
				continue
			}
			if kind == "" || len(kind) > 40 {
				kind = "relationship"
			}
			out = append(out, "office: external reference "+kind)
		}
	}
	return out
}

// wordFieldFetches are the Word fields that fetch or run something
// from elsewhere when the document opens or its fields update: a picture
// or text from a path or URL (a share hands over the user's NTLM hash),
// an OLE link, DDE, a database's rows (DATABASE \d names the file, \c
// the connection).
var wordFieldFetches = map[string]bool{
	"INCLUDEPICTURE": true, "INCLUDETEXT": true, "INCLUDE": true, "IMPORT": true,
	"LINK": true, "DDE": true, "DDEAUTO": true, "DATABASE": true,
}

// wordFields reads a part of a Word document for its field codes (the
// text of w:instrText between a field's begin and separate marks, split
// over runs as Word writes it, and w:fldSimple's w:instr) and notes a
// field that fetches something (wordFieldFetches) or a HYPERLINK field
// to anything but a web page, a mail address or a phone number. It is
// read as readPart reads one, parsed only if it holds what a field
// needs (hasFieldMark), so a document's styles, often its largest
// parts, are not parsed; one that does not read as XML is not
// inspected. Unless declared (typed as Word's), one that does not start
// as XML (a picture) is left.
func (in *inspector) wordFields(e entry, open func() (io.ReadCloser, error), path string, declared bool) {
	where := path + displayName(e.name)
	// The fields open, innermost last. A field stays open past its
	// separate mark (its result may hold other fields) to its end: popped
	// at both, a field with both closed the one around it, whose code
	// then went on as no field's ({ HYPERLINK { QUOTE x } "\\evil\s" }
	// lost its target).
	type openField struct {
		code strings.Builder
		// withDel is the code with its tracked deletions
		// (w:delInstrText) still in it: whether Word runs a field
		// whose code has one as shown or as it will read once
		// accepted is not known here, so both are checked.
		withDel   strings.Builder
		dels      bool
		separated bool
		keyword   string // once complete, found once: not again at each field inside
		found     bool
	}
	fieldKeyword := func(f *openField) string {
		if !f.found {
			f.keyword, _ = wordFieldKeyword(f.code.String())
			f.found = true
		}
		return f.keyword
	}
	var stack []*openField
	inInstr, inDel := false, false
	check := func(f *openField) {
		in.wordField(f.code.String(), where)
		if f.dels {
			in.wordField(f.withDel.String(), where)
		}
	}
	in.readPart(e, open, where, partReader{
		what:     "fields",
		declared: declared,
		marks:    hasFieldMark,
		token: func(tok xml.Token) bool {
			switch t := tok.(type) {
			case xml.StartElement:
				switch t.Name.Local {
				case "fldChar":
					switch xmlAttr(t, "fldCharType") {
					case "begin":
						if n := len(stack); n > 0 && !stack[n-1].separated && !strings.ContainsAny(strings.TrimLeft(stack[n-1].code.String(), " \t\r\n"), " \t\r\n") {
							// A field inside another before the outer's
							// keyword is complete: the keyword may be
							// the inner one's result.
							in.find("office: fields not inspected", where+": a field's keyword made by another field")
						} else if n > 0 && !stack[n-1].separated && fieldKeyword(stack[n-1]) == "HYPERLINK" {
							// After it, in a HYPERLINK: the target may be
							// the inner one's result, no part of the code.
							in.find("office: fields not inspected", where+": a HYPERLINK's target made by another field")
						}
						stack = append(stack, &openField{})
					case "separate":
						if n := len(stack); n > 0 && !stack[n-1].separated {
							check(stack[n-1])
							stack[n-1].separated = true
						}
					case "end":
						if n := len(stack); n > 0 {
							if !stack[n-1].separated {
								check(stack[n-1])
							}
							stack = stack[:n-1]
						}
					}
				case "instrText", "delInstrText":
					inInstr, inDel = true, t.Name.Local == "delInstrText"
					if n := len(stack); n == 0 || stack[n-1].separated {
						// A code outside any field's, or in a field's
						// result: read as a field's of its own.
						stack = append(stack, &openField{})
					}
				case "fldSimple":
					in.wordField(xmlAttr(t, "instr"), where)
				}
			case xml.EndElement:
				if t.Name.Local == "instrText" || t.Name.Local == "delInstrText" {
					inInstr, inDel = false, false
				}
			case xml.CharData:
				// Only the start of a code is read: its keyword and
				// first argument.
				if top := len(stack) - 1; inInstr && top >= 0 && !stack[top].separated {
					f := stack[top]
					if !inDel && f.code.Len() < 2048 {
						f.code.Write(t)
					}
					if f.withDel.Len() < 2048 {
						f.withDel.Write(t)
						f.dels = f.dels || inDel
					}
				}
			}
			return true
		},
	})
	// A field the part leaves open (no separate or end mark) is
	// checked too: Word may repair the part and run it.
	for _, f := range stack {
		if !f.separated {
			check(f)
		}
	}
}

// wordFieldKeyword is a field code's keyword, upper case: the letters
// it starts with after blanks (a quote may follow them without a
// blank); args is the code after it.
func wordFieldKeyword(code string) (keyword, args string) {
	code = strings.TrimLeftFunc(code, unicode.IsSpace)
	i := 0
	for i < len(code) && ('a' <= code[i]|0x20 && code[i]|0x20 <= 'z') {
		i++
	}
	return strings.ToUpper(code[:i]), code[i:]
}

// wordField checks one field code. Its keyword is the letters it
// starts with (a quote may follow them without a blank). where names
// the part it is in, "" for the attachment itself (an RTF document).
func (in *inspector) wordField(code, where string) {
	if where != "" {
		where = "in " + where
	}
	kw, args := wordFieldKeyword(code)
	if kw == "" {
		return
	}
	if wordFieldFetches[kw] {
		in.find("office: external reference "+strings.ToLower(kw)+" field", where)
		return
	}
	if kw != "HYPERLINK" {
		return
	}
	t, ok := hyperlinkFieldTarget(args)
	if !ok {
		return // only a place in the document (\l "bookmark")
	}
	// Its backslashes doubled as in every field code string.
	t = strings.ReplaceAll(t, `\\\\`, `\\`)
	if r := in.links().refused([]byte(t)); r != "" {
		in.find("office: "+strings.TrimPrefix(r, "pdf: "), where)
	} else {
		in.links().add([]byte(t))
	}
}

// hyperlinkFieldTarget is the target of a HYPERLINK field, args being
// the code after its keyword: its first argument, quoted or not, that
// is neither a switch (\ and a letter, or one of *#@!) nor the argument
// of one (\l's place in the document, \o's tip, \t's frame), wherever
// the switches stand; false if there is none.
func hyperlinkFieldTarget(args string) (string, bool) {
	next := func() string {
		args = strings.TrimLeftFunc(args, unicode.IsSpace)
		if strings.HasPrefix(args, `"`) {
			t, rest, _ := strings.Cut(args[1:], `"`)
			args = rest
			return t
		}
		end := strings.IndexFunc(args, unicode.IsSpace)
		if end < 0 {
			end = len(args)
		}
		t := args[:end]
		args = args[end:]
		return t
	}
	for {
		args = strings.TrimLeftFunc(args, unicode.IsSpace)
		if args == "" {
			return "", false
		}
		if len(args) > 1 && args[0] == '\\' && ('a' <= args[1]|0x20 && args[1]|0x20 <= 'z' || strings.IndexByte("*#@!", args[1]) >= 0) {
			sw := args[1] | 0x20
			args = args[2:]
			if sw == 'l' || sw == 'o' || sw == 't' {
				next()
			}
			continue
		}
		return next(), true
	}
}

// hasFieldMark reports the bytes in b that a field needs: "instr"
// (w:instrText, w:instr) or "fldchar", in any case. Element and
// attribute names cannot be written with character references, so a
// part without these bytes holds no field for Word either.
func hasFieldMark(b []byte) bool {
	return containsFold(b, "instr") || containsFold(b, "fldchar")
}

func xmlAttr(t xml.StartElement, local string) string {
	for _, a := range t.Attr {
		if a.Name.Local == local {
			return a.Value
		}
	}
	return ""
}

// scanLocalHeaders reads a ZIP whose central directory is unusable the way
// streaming extractors do: local header after local header. Names and
// flags of at most the remaining entry budget are checked, and stored or
// deflated members are sniffed.
func (in *inspector) scanLocalHeaders(r io.ReaderAt, size int64, path string, depth int) (string, Class) {
	hdr := make([]byte, lenLocal)
	var off int64
	for in.entries < in.lim.MaxEntries {
		if n, _ := r.ReadAt(hdr, off); n < lenLocal || binary.LittleEndian.Uint32(hdr) != sigLocal {
			next := in.nextSignature(r, size, off+1, "PK\x03\x04")
			if next < 0 {
				break
			}
			off = next
			continue
		}
		flags := binary.LittleEndian.Uint16(hdr[6:])
		method := binary.LittleEndian.Uint16(hdr[8:])
		comp := int64(binary.LittleEndian.Uint32(hdr[18:]))
		usize := int64(binary.LittleEndian.Uint32(hdr[22:]))
		n, m := int64(binary.LittleEndian.Uint16(hdr[26:])), int64(binary.LittleEndian.Uint16(hdr[28:]))
		raw := make([]byte, n)
		if k, _ := r.ReadAt(raw, off+lenLocal); int64(k) < n {
			break
		}
		in.entries++
		name := decodeZipName(raw, flags&0x800 == 0)
		data := off + lenLocal + n + m
		e := entry{name: name, size: usize, comp: comp, encrypted: flags&0x41 != 0 || method == 99}
		var rd io.Reader
		known := flags&8 == 0 || comp != 0
		if !e.encrypted && data <= size && !strings.HasSuffix(name, "/") {
			sec := io.NewSectionReader(r, data, size-data)
			if known {
				sec = io.NewSectionReader(r, data, min(comp, size-data))
			}
			switch method {
			case zip.Store:
				rd = sec
			case zip.Deflate:
				rd = flate.NewReader(sec)
			}
		}
		if !strings.HasSuffix(name, "/") {
			if e.size >= ratioFloor && float64(e.size) > in.lim.MaxRatio*float64(max(e.comp, 1)) {
				in.limit("archive: ratio exceeded", path+displayName(name))
				rd = nil
			}
			in.inspectEntry(e, rd, path, depth)
		}
		if c, ok := rd.(io.Closer); ok {
			c.Close()
		}
		if known && comp > 0 {
			off = data + comp
		} else {
			next := in.nextSignature(r, size, data, "PK\x03\x04")
			if next < 0 {
				break
			}
			off = next
		}
	}
	if in.entries >= in.lim.MaxEntries {
		in.limit("archive: too many entries", fmt.Sprintf("(more than %d)", in.lim.MaxEntries))
	}
	return "application/zip", ClassArchive
}

// nextSignature finds sig at or after off, reading in 64 KiB windows.
func (in *inspector) nextSignature(r io.ReaderAt, size, off int64, sig string) int64 {
	if in.sigBuf == nil {
		in.sigBuf = make([]byte, 64<<10)
	}
	buf := in.sigBuf
	for off < size {
		n, _ := r.ReadAt(buf, off)
		if n < len(sig) {
			return -1
		}
		if i := bytes.Index(buf[:n], []byte(sig)); i >= 0 {
			return off + int64(i)
		}
		off += int64(n - len(sig) + 1)
	}
	return -1
}
