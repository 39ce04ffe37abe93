package filetype

import (
	"bytes"
	"encoding/binary"
	"net/http"
	"strings"
	"unicode/utf8"

	xunicode "golang.org/x/text/encoding/unicode"
)

// Sniff lengths. Most magic numbers sit in the first bytes; tar's "ustar"
// at 257, %PDF anywhere in the first 1024 (as readers accept) and ISO 9660's
// "CD001" at 0x8001..0x9001 need more.
const (
	sniffShort = 4 << 10
	sniffLong  = 0x9006 + 1024 // covers the last ISO 9660 volume descriptor
)

// Sniff returns the MIME type and class of content from its first bytes.
// Pass at least 4 KiB when there is that much (36 KiB finds ISO images). It
// looks only at head: ZIP-based Office documents, MSI and macros need
// Classify, which reads the whole file.
func Sniff(head []byte) (mimeType string, class Class) {
	mt, c := sniffMagicAll(head)
	if c != "" {
		return mt, c
	}
	if mt, c := sniffMarkup(head); c != "" {
		return mt, c
	}
	if isText(head) {
		return "text/plain", ClassText
	}
	return sniffFallback(head)
}

// SniffFile is the type and class of a file format whose magic number
// starts head, when head is binary too, or "" otherwise: it tells a file
// sent as a text part (an encrypted ZIP labelled text/plain) from text,
// including text that starts like a format ("#!/bin/sh" pasted into a
// mail, "MZ" as a word, "%PDF-1.7" quoted) or has a stray control byte in
// it. Binary is at least minNULs NUL bytes: every executable, archive and
// Office header has them, where text has none.
func SniffFile(head []byte) (mimeType string, class Class) {
	mt, c := sniffMagic(head)
	if c == "" || c == ClassText || bytes.Count(head, []byte{0}) < minNULs {
		return "", ""
	}
	return mt, c
}

// minNULs: see SniffFile.
const minNULs = 2

// sniffMagicAll: the formats found by magic numbers, at the start or at
// their offsets, and PDF after junk.
func sniffMagicAll(head []byte) (string, Class) {
	mt, c := sniffMagic(head)
	if c == "" {
		mt, c = sniffOffset(head)
	}
	// PDF readers accept junk before %PDF: a polyglot is also a PDF.
	if Stricter(ClassPDF, c) && hasPDFHeader(head) {
		return "application/pdf", ClassPDF
	}
	return mt, c
}

func has(b []byte, off int, magic string) bool {
	return off >= 0 && len(b) >= off+len(magic) && string(b[off:off+len(magic)]) == magic
}

// sniffMagic recognises magic numbers at offset 0.
func sniffMagic(b []byte) (string, Class) {
	switch {
	case len(b) == 0:
		return "text/plain", ClassText
	case has(b, 0, "MZ"), has(b, 0, "ZM"):
		return "application/x-msdownload", ClassExecutable
	case has(b, 0, "\x7fELF"):
		return "application/x-executable", ClassExecutable
	case has(b, 0, "\xfe\xed\xfa\xce"), has(b, 0, "\xfe\xed\xfa\xcf"),
		has(b, 0, "\xce\xfa\xed\xfe"), has(b, 0, "\xcf\xfa\xed\xfe"), has(b, 0, "\xca\xfe\xba\xbf"):
		return "application/x-mach-binary", ClassExecutable
	case has(b, 0, "\xca\xfe\xba\xbe"):
		// Mach-O fat binaries and Java classes share the magic; a class
		// file's version (minor<<16|major) is at least 45, a fat header's
		// architecture count is small.
		if len(b) >= 8 && binary.BigEndian.Uint32(b[4:8]) >= 45 {
			return "application/java-vm", ClassExecutable
		}
		return "application/x-mach-binary", ClassExecutable
	case has(b, 0, "#!"):
		return "text/x-shellscript", ClassExecutable
	case has(b, 0, "L\x00\x00\x00\x01\x14\x02\x00\x00\x00\x00\x00\xc0\x00\x00\x00\x00\x00\x00\x46"):
		return "application/x-ms-shortcut", ClassExecutable
	case has(b, 0, "dex\n"):
		return "application/vnd.android.dex", ClassExecutable
	case has(b, 0, "ITSF\x03\x00\x00\x00"):
		return "application/vnd.ms-htmlhelp", ClassExecutable
	case has(b, 0, oleMagic):
		return sniffOLEHead(b)
	case has(b, 0, "PK\x03\x04"), has(b, 0, "PK\x05\x06"), has(b, 0, "PK\x07\x08"):
		return sniffZipHead(b)
	case has(b, 0, "%PDF-"):
		return "application/pdf", ClassPDF
	case has(b, 0, "Rar!\x1a\x07\x00"), has(b, 0, "Rar!\x1a\x07\x01\x00"):
		return "application/vnd.rar", ClassArchive
	case has(b, 0, "7z\xbc\xaf\x27\x1c"):
		return "application/x-7z-compressed", ClassArchive
	case has(b, 0, "\x1f\x8b"):
		return "application/gzip", ClassArchive
	case has(b, 0, "BZh") && len(b) > 3 && b[3] >= '1' && b[3] <= '9':
		return "application/x-bzip2", ClassArchive
	case has(b, 0, "\xfd7zXZ\x00"):
		return "application/x-xz", ClassArchive
	case has(b, 0, "\x28\xb5\x2f\xfd"):
		return "application/zstd", ClassArchive
	case has(b, 0, "\x1f\x9d"), has(b, 0, "\x1f\xa0"):
		return "application/x-compress", ClassArchive
	case has(b, 0, "LZIP"):
		return "application/x-lzip", ClassArchive
	case has(b, 0, "MSCF\x00\x00\x00\x00"):
		return "application/vnd.ms-cab-compressed", ClassArchive
	case has(b, 0, "\x60\xea") && len(b) > 10:
		return "application/x-arj", ClassArchive
	case len(b) >= 7 && b[2] == '-' && b[3] == 'l' && (b[4] == 'h' || b[4] == 'z') && b[6] == '-':
		// LHA/LZH ("-lh5-" at offset 2), still common in Japan.
		return "application/x-lzh-compressed", ClassArchive
	case has(b, 0, "xar!"):
		return "application/x-xar", ClassArchive
	case has(b, 0, "vhdxfile"), has(b, 0, "conectix"):
		return "application/x-vhd", ClassArchive
	case has(b, 0, "KDMV"):
		return "application/x-vmdk", ClassArchive
	case has(b, 0, "{\\rt"):
		// Word opens anything starting "{\rt" as RTF.
		return "application/rtf", ClassOffice
	case has(b, 0, "\xe4\x52\x5c\x7b\x8c\xd8\xa7\x4d\xae\xb1\x53\x78\xd0\x29\x96\xd3"):
		return "application/onenote", ClassOffice
	case has(b, 0, "\x78\x9f\x3e\x22"):
		return "application/ms-tnef", ClassOther
	case has(b, 0, "%!"):
		return "application/postscript", ClassOther
	case has(b, 0, "\x89PNG\r\n\x1a\n"):
		return "image/png", ClassImage
	case has(b, 0, "\xff\xd8\xff"):
		return "image/jpeg", ClassImage
	case has(b, 0, "GIF87a"), has(b, 0, "GIF89a"):
		return "image/gif", ClassImage
	case has(b, 0, "RIFF") && has(b, 8, "WEBP"):
		return "image/webp", ClassImage
	case has(b, 0, "II*\x00"), has(b, 0, "MM\x00*"):
		return "image/tiff", ClassImage
	case isBMP(b):
		return "image/bmp", ClassImage
	case isICO(b):
		return "image/vnd.microsoft.icon", ClassImage
	case has(b, 4, "ftypheic"), has(b, 4, "ftypheix"), has(b, 4, "ftypmif1"), has(b, 4, "ftypavif"):
		return "image/heif", ClassImage
	case has(b, 0, "\xd7\xcd\xc6\x9a"), has(b, 0, "\x01\x00\x09\x00\x00\x03"):
		return "image/wmf", ClassImage
	case has(b, 0, "\x01\x00\x00\x00") && has(b, 40, " EMF"):
		return "image/emf", ClassImage
	}
	return "", ""
}

// sniffOffset recognises formats whose magic is not at offset 0.
func sniffOffset(b []byte) (string, Class) {
	if has(b, 257, "ustar") || isV7Tar(b) {
		return "application/x-tar", ClassArchive
	}
	for _, off := range []int{0x8001, 0x8801, 0x9001} {
		if has(b, off, "CD001") {
			return "application/x-iso9660-image", ClassArchive
		}
		if has(b, off, "BEA01") || has(b, off, "NSR02") || has(b, off, "NSR03") {
			return "application/x-udf-image", ClassArchive
		}
	}
	return "", ""
}

func isBMP(b []byte) bool {
	if !has(b, 0, "BM") || len(b) < 18 {
		return false
	}
	// The DIB header size is one of a few known values.
	switch binary.LittleEndian.Uint32(b[14:18]) {
	case 12, 16, 40, 52, 56, 64, 108, 124:
		return binary.LittleEndian.Uint32(b[6:10]) == 0 // reserved
	}
	return false
}

func isICO(b []byte) bool {
	if len(b) < 22 || !(has(b, 0, "\x00\x00\x01\x00") || has(b, 0, "\x00\x00\x02\x00")) {
		return false
	}
	n := binary.LittleEndian.Uint16(b[4:6])
	return n > 0 && b[9] == 0 // first entry's reserved byte
}

// isV7Tar checks a pre-POSIX tar header by its checksum.
func isV7Tar(b []byte) bool {
	if len(b) < 512 || b[0] == 0 {
		return false
	}
	var sum int64
	for i := 0; i < 512; i++ {
		if i >= 148 && i < 156 {
			sum += ' '
		} else {
			sum += int64(b[i])
		}
	}
	field := strings.Trim(string(b[148:156]), " \x00")
	if field == "" {
		return false
	}
	var want int64
	for _, c := range field {
		if c < '0' || c > '7' {
			return false
		}
		want = want*8 + int64(c-'0')
	}
	return want == sum
}

func hasPDFHeader(b []byte) bool {
	if len(b) > 1024 {
		b = b[:1024]
	}
	return bytes.Contains(b, []byte("%PDF-"))
}

// sniffZipHead looks at the first local file headers within head for the
// OOXML, ODF and JAR layouts. Classify confirms from the central directory.
func sniffZipHead(b []byte) (string, Class) {
	// ODF: a first member "mimetype", stored, holding the type.
	if has(b, 30, "mimetype") && binary.LittleEndian.Uint16(b[26:]) == 8 {
		data := 38 + int(binary.LittleEndian.Uint16(b[28:]))
		const odf = "application/vnd.oasis.opendocument."
		if has(b, data, odf) {
			end := data + len(odf)
			for end < len(b) && end < data+100 && isTypeChar(b[end]) {
				end++
			}
			return string(b[data:end]), ClassOffice
		}
	}
	if bytes.Contains(b, []byte("[Content_Types].xml")) {
		switch {
		case bytes.Contains(b, []byte("word/")):
			return mimeDocx, ClassOffice
		case bytes.Contains(b, []byte("xl/")):
			return mimeXlsx, ClassOffice
		case bytes.Contains(b, []byte("ppt/")):
			return mimePptx, ClassOffice
		}
		return "application/vnd.openxmlformats-officedocument", ClassOffice
	}
	if has(b, 30, "META-INF/MANIFEST.MF") || has(b, 30, "META-INF/") && bytes.Contains(b, []byte("META-INF/MANIFEST.MF")) {
		return "application/java-archive", ClassExecutable
	}
	return "application/zip", ClassArchive
}

func isTypeChar(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '.' || c == '-' || c == '+'
}

const (
	mimeDocx = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
	mimeXlsx = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
	mimePptx = "application/vnd.openxmlformats-officedocument.presentationml.presentation"
	mimeDocm = "application/vnd.ms-word.document.macroEnabled.12"
	mimeXlsm = "application/vnd.ms-excel.sheet.macroEnabled.12"
	mimePptm = "application/vnd.ms-powerpoint.presentation.macroEnabled.12"
)

// sniffMarkup finds HTML, SVG, XML and Windows/desktop launcher files.
// HTML is active content (scripts, forms, remote loads): class other.
func sniffMarkup(b []byte) (string, Class) {
	if len(b) > 1024 {
		b = b[:1024]
	}
	if u, ok := fromUTF16(b); ok {
		// Browsers, mshta and Windows' shortcut reader read UTF-16
		// by its byte order mark: its markup is markup.
		b = u
	}
	low := bytes.ToLower(b)
	if i := bytes.IndexByte(low, 0); i >= 0 {
		low = low[:i] // not text
	}
	s := strings.TrimLeft(strings.TrimPrefix(string(low), "\xef\xbb\xbf"), " \t\r\n\f")
	for _, p := range []string{"[internetshortcut]", "[{000214a0-0000-0000-c000-000000000046}]",
		"[desktop entry]", "[shell]", "windows registry editor", "regedit4"} {
		if strings.HasPrefix(s, p) {
			return "application/x-mswinurl", ClassExecutable
		}
	}
	if strings.Contains(s, "<hta:application") {
		return "application/hta", ClassExecutable
	}
	head := s
	// Skip an XML declaration, comments and a non-HTML doctype.
	for {
		switch {
		case strings.HasPrefix(head, "<?xml"), strings.HasPrefix(head, "<!--"),
			strings.HasPrefix(head, "<!doctype svg"):
			end := ">"
			if strings.HasPrefix(head, "<!--") {
				end = "-->"
			}
			i := strings.Index(head, end)
			if i < 0 {
				head = ""
				break
			}
			head = strings.TrimLeft(head[i+len(end):], " \t\r\n\f")
			continue
		}
		break
	}
	switch {
	case strings.HasPrefix(head, "<svg"):
		return "image/svg+xml", ClassOther
	case strings.HasPrefix(head, "<!doctype html"), strings.HasPrefix(head, "<html"),
		strings.HasPrefix(head, "<head"), strings.HasPrefix(head, "<body"),
		strings.HasPrefix(head, "<script"), strings.HasPrefix(head, "<iframe"),
		strings.HasPrefix(head, "<meta"), strings.HasPrefix(head, "<title"):
		return "text/html", ClassOther
	}
	// Browsers find these anywhere near the start.
	for _, tag := range []string{"<html", "<!doctype html", "<script", "<iframe", "<svg", "<object", "<embed"} {
		if strings.Contains(s, tag) {
			if tag == "<svg" {
				return "image/svg+xml", ClassOther
			}
			return "text/html", ClassOther
		}
	}
	if strings.HasPrefix(s, "<?xml") {
		return "text/xml", ClassOther
	}
	return "", ""
}

// fromUTF16 decodes b to UTF-8 when it is UTF-16 with a byte order mark;
// a code unit cut by the end of b is left out.
func fromUTF16(b []byte) ([]byte, bool) {
	if !has(b, 0, "\xff\xfe") && !has(b, 0, "\xfe\xff") {
		return nil, false
	}
	u, err := xunicode.UTF16(xunicode.LittleEndian, xunicode.ExpectBOM).NewDecoder().Bytes(b[:len(b)&^1])
	return u, err == nil
}

// isText reports whether b looks like text a user would read: UTF-8,
// ISO-2022-JP, Shift_JIS, EUC-JP or a single-byte charset, with no control
// bytes other than tab, line ends, form feed and (for ISO-2022-JP) escape
// sequences; or UTF-16 with a byte order mark. A sequence cut by the end of
// head is allowed.
func isText(b []byte) bool {
	if has(b, 0, "\xff\xfe") || has(b, 0, "\xfe\xff") {
		return isUTF16Text(b[2:], b[0] == 0xff)
	}
	escSeen := false
	for i, c := range b {
		switch {
		case c == '\t' || c == '\n' || c == '\r' || c == '\f':
		case c == 0x1b:
			// ISO-2022-JP designations: ESC $ @, ESC $ B, ESC ( B/J/I, ESC $ ( D.
			if i+1 < len(b) && b[i+1] != '$' && b[i+1] != '(' && b[i+1] != ')' {
				return false
			}
			escSeen = true
		case c == 0x0e || c == 0x0f:
			if !escSeen {
				return false
			}
		case c == 0x1a:
			if i != len(b)-1 { // DOS end-of-file marker
				return false
			}
		case c < 0x20 || c == 0x7f:
			return false
		}
	}
	if utf8.Valid(b) || validUTF8Prefix(b) || validShiftJIS(b) || validEUCJP(b) {
		return true
	}
	// A single-byte legacy charset (ISO-8859-x, windows-125x): mostly
	// ASCII. Bytes without controls but mostly high are not text.
	high := 0
	for _, c := range b {
		if c >= 0x80 {
			high++
		}
	}
	return high*3 <= len(b)
}

// validShiftJIS checks Shift_JIS/CP932 byte structure (a lead byte cut by
// the end of b is allowed).
func validShiftJIS(b []byte) bool {
	for i := 0; i < len(b); i++ {
		c := b[i]
		switch {
		case c < 0x80, c >= 0xa1 && c <= 0xdf: // ASCII, half-width katakana
		case c >= 0x81 && c <= 0x9f, c >= 0xe0 && c <= 0xfc:
			if i+1 == len(b) {
				return true
			}
			t := b[i+1]
			if t < 0x40 || t == 0x7f || t > 0xfc {
				return false
			}
			i++
		default:
			return false
		}
	}
	return true
}

// validEUCJP checks EUC-JP byte structure (JIS X 0208, half-width kana
// after SS2, JIS X 0212 after SS3).
func validEUCJP(b []byte) bool {
	for i := 0; i < len(b); i++ {
		c := b[i]
		n := 0
		switch {
		case c < 0x80:
			continue
		case c == 0x8e:
			n = 1
		case c == 0x8f:
			n = 2
		case c >= 0xa1 && c <= 0xfe:
			n = 1
		default:
			return false
		}
		for k := 1; k <= n; k++ {
			if i+k == len(b) {
				return true
			}
			if t := b[i+k]; t < 0xa1 || t > 0xfe {
				return false
			}
		}
		i += n
	}
	return true
}

func validUTF8Prefix(b []byte) bool {
	for i := len(b) - 1; i >= 0 && i >= len(b)-3; i-- {
		if utf8.RuneStart(b[i]) {
			return utf8.Valid(b[:i])
		}
	}
	return false
}

func isUTF16Text(b []byte, little bool) bool {
	if len(b)%2 == 1 {
		b = b[:len(b)-1]
	}
	for i := 0; i+1 < len(b); i += 2 {
		var u uint16
		if little {
			u = binary.LittleEndian.Uint16(b[i:])
		} else {
			u = binary.BigEndian.Uint16(b[i:])
		}
		switch {
		case u == '\t' || u == '\n' || u == '\r' || u == '\f':
		case u < 0x20 || u == 0x7f || (u >= 0x80 && u < 0xa0):
			return false
		case u == 0xfffe || u == 0xffff:
			return false
		}
	}
	return true
}

// sniffFallback asks net/http's sniffer (audio, video, fonts, images we do
// not list). Text it accepts that isText refused stays unknown binary.
func sniffFallback(b []byte) (string, Class) {
	mt, _, _ := strings.Cut(http.DetectContentType(b), ";")
	switch {
	case strings.HasPrefix(mt, "image/") && mt != "image/svg+xml":
		return mt, ClassImage
	case strings.HasPrefix(mt, "text/"), mt == "application/octet-stream":
		return "application/octet-stream", ClassOther
	case mt == "application/zip", mt == "application/x-gzip", mt == "application/x-rar-compressed":
		return mt, ClassArchive // unreachable after sniffMagic, kept strict
	case mt == "application/pdf":
		return mt, ClassPDF
	}
	return mt, ClassOther
}
