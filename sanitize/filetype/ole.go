package filetype

import (
	"bytes"
	"encoding/binary"
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
)

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
	oleLink   bool // a storage of class StdOleLink: a linked object
	// pkgStream: a "Package" stream, an OOXML document (docx, xlsx,
	// pptx) embedded as an OLE object, or a "package_stream", the
	// OpenDocument one LibreOffice embeds so, which the program opens
	// when the object is loaded or activated; its parts are not read
	// here.
	pkgStream bool
	truncated bool // the directory could not be read to its end
}

// readOLE reads the directory of a compound file. It never reads more than
// oleMaxDirSectors directory sectors plus the FAT sectors that chain them,
// and stops at the first inconsistency (ok then reports what was seen).
func readOLE(r io.ReaderAt, size int64) oleInfo {
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
				}
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
			nameLen := int(binary.LittleEndian.Uint16(ent[0x40:]))
			if nameLen < 2 || nameLen > 64 {
				continue
			}
			u := make([]uint16, 0, nameLen/2-1)
			for k := 0; k+1 < nameLen-2; k += 2 {
				u = append(u, binary.LittleEndian.Uint16(ent[k:]))
			}
			name := string(utf16.Decode(u))
			switch strings.ToLower(name) {
			case "_vba_project_cur", "vba", "_vba_project", "macros":
				info.macros = true
			case "encryptedpackage":
				info.encrypted = true
			case "\x01ole10native":
				info.oleNative = true
			case "package", "package_stream":
				info.pkgStream = info.pkgStream || typ == 2
			case "worddocument":
				info.mime = "application/msword"
			case "workbook", "book":
				info.mime = "application/vnd.ms-excel"
			case "powerpoint document":
				info.mime = "application/vnd.ms-powerpoint"
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
	if msiNames >= 3 {
		info.mime, info.class = "application/x-msi", ClassExecutable
	}
	return info
}

// sniffOLEHead classifies a compound file from what head holds; Classify
// reads the real file with readOLE.
func sniffOLEHead(b []byte) (string, Class) {
	info := readOLE(bytes.NewReader(b), int64(len(b)))
	return info.mime, info.class
}
