package filetype

// Builders for the small files the tests classify: real formats written
// with the standard library where it can (archive/zip, archive/tar,
// compress/gzip, image/png), byte-exact headers where it cannot.

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"compress/flate"
	"compress/gzip"
	"encoding/binary"
	"encoding/xml"
	"hash/crc32"
	"image"
	"image/png"
	"strings"
	"testing"
	"time"
	"unicode/utf16"
)

// zent is one ZIP member. raw members are written with CreateRaw: data is
// taken as the compressed bytes and size/crc as given (lying headers,
// encrypted payloads).
type zent struct {
	name    string
	data    []byte
	method  uint16 // zip.Store or zip.Deflate
	flags   uint16
	extra   []byte
	raw     bool
	size    uint64
	nonUTF8 bool
	// host and attrs, when attrs is set, are the system that made the
	// entry (3 Unix, 0 FAT) and its external attributes (a Unix mode
	// in the high 16 bits).
	host  uint16
	attrs uint32
}

func zipFile(t testing.TB, ents ...zent) []byte {
	t.Helper()
	var b bytes.Buffer
	zw := zip.NewWriter(&b)
	for _, e := range ents {
		fh := &zip.FileHeader{Name: e.name, Method: e.method, Flags: e.flags, Extra: e.extra, NonUTF8: e.nonUTF8}
		fh.Modified = time.Date(2024, 4, 1, 9, 0, 0, 0, time.UTC)
		if e.attrs != 0 {
			fh.CreatorVersion, fh.ExternalAttrs = e.host<<8, e.attrs
		}
		if e.raw {
			fh.CompressedSize64 = uint64(len(e.data))
			fh.UncompressedSize64 = e.size
			fh.CRC32 = crc32.ChecksumIEEE(e.data)
			w, err := zw.CreateRaw(fh)
			if err != nil {
				t.Fatal(err)
			}
			w.Write(e.data)
			continue
		}
		w, err := zw.CreateHeader(fh)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Write(e.data); err != nil {
			t.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func deflated(t testing.TB, data []byte) []byte {
	t.Helper()
	var b bytes.Buffer
	fw, _ := flate.NewWriter(&b, flate.BestCompression)
	fw.Write(data)
	fw.Close()
	return b.Bytes()
}

// overlapping is a ZIP whose n central directory entries all name the
// one stored member, name holding data: each entry reads the same bytes
// (a non-recursive ZIP bomb, when stored members are read in place).
func overlapping(name string, data []byte, n int) []byte {
	var b bytes.Buffer
	le := func(v any) { binary.Write(&b, binary.LittleEndian, v) }
	crc := crc32.ChecksumIEEE(data)
	// version, flags, method (stored), time, date, crc, sizes, name length, extra length
	fixed := func() {
		le(uint16(0))
		le(uint16(0))
		le(uint16(0))
		le(uint16(0))
		le(crc)
		le(uint32(len(data)))
		le(uint32(len(data)))
		le(uint16(len(name)))
		le(uint16(0))
	}
	le(uint32(0x04034b50))
	le(uint16(10))
	fixed()
	b.WriteString(name)
	b.Write(data)
	cd := b.Len()
	for i := 0; i < n; i++ {
		le(uint32(0x02014b50))
		le(uint16(20))
		le(uint16(10))
		fixed()
		le(uint16(0)) // comment length
		le(uint16(0)) // disk
		le(uint16(0)) // internal attributes
		le(uint32(0)) // external attributes
		le(uint32(0)) // local header offset: the one member
		b.WriteString(name)
	}
	end := b.Len()
	le(uint32(0x06054b50))
	le(uint32(0))
	le(uint16(n))
	le(uint16(n))
	le(uint32(end - cd))
	le(uint32(cd))
	le(uint16(0))
	return b.Bytes()
}

func stored(name string, data []byte) zent  { return zent{name: name, data: data, method: zip.Store} }
func deflate(name string, data []byte) zent { return zent{name: name, data: data, method: zip.Deflate} }

// nestZips wraps inner in levels ZIPs, each holding the previous as
// "level<N>.zip".
func nestZips(t testing.TB, inner []byte, levels int) []byte {
	for i := levels; i >= 1; i-- {
		inner = zipFile(t, deflate("level"+string(rune('0'+i))+".zip", inner))
	}
	return inner
}

func docx(t testing.TB, extra ...zent) []byte {
	ents := []zent{
		deflate("[Content_Types].xml", []byte(`<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="xml" ContentType="application/xml"/><Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>`)),
		deflate("_rels/.rels", []byte(`<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/></Relationships>`)),
		deflate("word/document.xml", []byte(`<?xml version="1.0"?><w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body><w:p><w:r><w:t>議事録</w:t></w:r></w:p></w:body></w:document>`)),
	}
	return zipFile(t, append(ents, extra...)...)
}

// xlsx is a workbook whose workbook part holds definedNames (the
// elements, or "") and whose one sheet holds sheetData's rows, with
// extra parts.
func xlsx(t testing.TB, definedNames, sheetData string, extra ...zent) []byte {
	const ns = `xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"`
	ents := []zent{
		deflate("[Content_Types].xml", []byte(`<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="xml" ContentType="application/xml"/><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>`)),
		deflate("_rels/.rels", []byte(`<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>`)),
		deflate("xl/workbook.xml", []byte(`<?xml version="1.0" encoding="UTF-8" standalone="yes"?><workbook `+ns+`><sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets>`+definedNames+`</workbook>`)),
		deflate("xl/_rels/workbook.xml.rels", []byte(`<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>`)),
		deflate("xl/worksheets/sheet1.xml", []byte(`<?xml version="1.0" encoding="UTF-8" standalone="yes"?><worksheet `+ns+`><sheetData>`+sheetData+`</sheetData></worksheet>`)),
	}
	return zipFile(t, append(ents, extra...)...)
}

// cellFormula is a row with one cell holding formula (as Excel stores
// it, without "=", XML-escaped here).
func cellFormula(formula string) string {
	var b strings.Builder
	xml.EscapeText(&b, []byte(formula))
	return `<row r="1"><c r="A1"><f>` + b.String() + `</f><v>0</v></c></row>`
}

// oleEnt is a directory entry of a compound file (1 storage, 2 stream).
type oleEnt struct {
	name string
	typ  byte
}

// oleFile writes a minimal compound file (v3, 512-byte sectors): sector 0
// is the FAT, sectors 1.. the directory, with a root entry carrying clsid.
func oleFile(clsid []byte, ents ...oleEnt) []byte {
	all := append([]oleEnt{{"Root Entry", 5}}, ents...)
	dirSectors := (len(all) + 3) / 4
	out := make([]byte, 512*(2+dirSectors))
	fat := cfbHeader(out, 3, 9)
	binary.LittleEndian.PutUint32(fat[0:], 0xfffffffd)
	for s := 1; s <= dirSectors; s++ {
		next := uint32(s + 1)
		if s == dirSectors {
			next = 0xfffffffe
		}
		binary.LittleEndian.PutUint32(fat[4*s:], next)
	}
	for i, e := range all {
		d := out[1024+128*i : 1024+128*(i+1)]
		u := utf16.Encode([]rune(e.name))
		for k, c := range u {
			binary.LittleEndian.PutUint16(d[2*k:], c)
		}
		binary.LittleEndian.PutUint16(d[0x40:], uint16(2*len(u)+2))
		d[0x42] = e.typ
		binary.LittleEndian.PutUint32(d[0x44:], 0xffffffff)
		binary.LittleEndian.PutUint32(d[0x48:], 0xffffffff)
		binary.LittleEndian.PutUint32(d[0x4c:], 0xffffffff)
		if i == 0 {
			copy(d[0x50:], clsid)
			binary.LittleEndian.PutUint32(d[0x74:], 0xfffffffe)
		}
	}
	return out
}

func tarFile(t testing.TB, files map[string][]byte, order ...string) []byte {
	t.Helper()
	var b bytes.Buffer
	tw := tar.NewWriter(&b)
	for _, name := range order {
		data := files[name]
		if err := tw.WriteHeader(&tar.Header{Name: name, Mode: 0o755, Size: int64(len(data)), Typeflag: tar.TypeReg,
			ModTime: time.Date(2024, 4, 1, 9, 0, 0, 0, time.UTC), Format: tar.FormatUSTAR}); err != nil {
			t.Fatal(err)
		}
		tw.Write(data)
	}
	tw.Close()
	return b.Bytes()
}

// tent is one tar member: a regular file, or a link (typ tar.TypeSymlink,
// tar.TypeLink) to link.
type tent struct {
	name, link string
	typ        byte
	data       []byte
}

// tarOf writes a tar of ents in order.
func tarOf(t testing.TB, ents ...tent) []byte {
	t.Helper()
	var b bytes.Buffer
	tw := tar.NewWriter(&b)
	for _, e := range ents {
		h := &tar.Header{Name: e.name, Linkname: e.link, Typeflag: e.typ, Mode: 0o644, Size: int64(len(e.data)),
			ModTime: time.Date(2024, 4, 1, 9, 0, 0, 0, time.UTC), Format: tar.FormatPAX}
		if e.typ == 0 {
			h.Typeflag = tar.TypeReg
		}
		if err := tw.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
		tw.Write(e.data)
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func gzipOf(t testing.TB, name string, data []byte) []byte {
	t.Helper()
	var b bytes.Buffer
	zw := gzip.NewWriter(&b)
	zw.Name = name
	zw.ModTime = time.Date(2024, 4, 1, 9, 0, 0, 0, time.UTC)
	zw.Write(data)
	zw.Close()
	return b.Bytes()
}

func pngImage(t testing.TB) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := png.Encode(&b, image.NewGray(image.Rect(0, 0, 2, 2))); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// Minimal executable headers: enough for the loaders' magic checks and for
// file(1), not runnable.
func peFile() []byte {
	b := make([]byte, 0x200)
	copy(b, "MZ\x90\x00\x03")
	binary.LittleEndian.PutUint32(b[0x3c:], 0x80)
	copy(b[0x4e:], "This program cannot be run in DOS mode.")
	copy(b[0x80:], "PE\x00\x00\x64\x86")           // x86-64
	binary.LittleEndian.PutUint16(b[0x94:], 0xf0)  // optional header size
	binary.LittleEndian.PutUint16(b[0x96:], 0x22)  // executable image
	binary.LittleEndian.PutUint16(b[0x98:], 0x20b) // PE32+
	binary.LittleEndian.PutUint16(b[0x98+68:], 2)  // Windows GUI subsystem
	return b
}

func elfFile() []byte {
	b := make([]byte, 0x78)
	copy(b, "\x7fELF\x02\x01\x01")
	binary.LittleEndian.PutUint16(b[0x10:], 2)    // ET_EXEC
	binary.LittleEndian.PutUint16(b[0x12:], 0x3e) // x86-64
	binary.LittleEndian.PutUint32(b[0x14:], 1)
	return b
}

func machOFile(magic string) []byte {
	b := make([]byte, 32)
	copy(b, magic)
	return b
}

func javaClass() []byte {
	return []byte("\xca\xfe\xba\xbe\x00\x00\x00\x41\x00\x0d\x0a\x00\x02\x00\x03")
}

func lnkFile() []byte {
	b := make([]byte, 0x4c)
	copy(b, "L\x00\x00\x00\x01\x14\x02\x00\x00\x00\x00\x00\xc0\x00\x00\x00\x00\x00\x00\x46")
	return b
}

func isoImage() []byte {
	b := make([]byte, 0x8800)
	copy(b[0x8000:], "\x01CD001\x01")
	return b
}

func pdfFile(body string) []byte {
	return []byte("%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R " + body + ">>\nendobj\n" +
		"2 0 obj\n<< /Type /Pages /Kids [] /Count 0 >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n")
}

// rar5 writes a RAR 5 archive's headers: main, one file header per name
// (with an encryption extra record when encrypted), end. Data areas are
// empty: we never decompress RAR.
func rar5(names []string, encrypted bool, headerEncryption bool) []byte {
	vint := func(v uint64) []byte {
		var b []byte
		for {
			c := byte(v & 0x7f)
			v >>= 7
			if v != 0 {
				b = append(b, c|0x80)
				continue
			}
			return append(b, c)
		}
	}
	block := func(body []byte) []byte {
		size := vint(uint64(len(body)))
		crc := crc32.ChecksumIEEE(append(append([]byte(nil), size...), body...))
		out := binary.LittleEndian.AppendUint32(nil, crc)
		return append(append(out, size...), body...)
	}
	out := []byte("Rar!\x1a\x07\x01\x00")
	if headerEncryption {
		body := append([]byte{4, 0}, 0, 0) // type 4, flags 0, version 0, flags 0
		body = append(body, make([]byte, 16+1)...)
		return append(out, block(body)...)
	}
	out = append(out, block([]byte{1, 0, 0})...)
	for _, n := range names {
		var extra []byte
		if encrypted {
			rec := append([]byte{1}, make([]byte, 10)...) // type 1: file encryption
			extra = append(vint(uint64(len(rec))), rec...)
		}
		data := []byte("0123456789") // stored (or, flagged encrypted, taken as ciphertext)
		body := []byte{2}
		flags := byte(0x2) // data area present
		if len(extra) > 0 {
			flags |= 1
		}
		body = append(body, flags)
		if len(extra) > 0 {
			body = append(body, vint(uint64(len(extra)))...)
		}
		body = append(body, byte(len(data)))
		// file flags (CRC present), unpacked size, attributes, CRC, compression (store), host OS (Windows)
		body = append(body, 0x4, byte(len(data)), 0x20)
		body = binary.LittleEndian.AppendUint32(body, crc32.ChecksumIEEE(data))
		body = append(body, 0, 0)
		body = append(body, vint(uint64(len(n)))...)
		body = append(body, n...)
		body = append(body, extra...)
		out = append(out, block(body)...)
		out = append(out, data...)
	}
	return append(out, block([]byte{5, 0, 0})...)
}

// rar4 writes a RAR 4 archive's blocks: marker, main header (password
// flag for encrypted headers), file headers, end.
func rar4(names []string, encrypted bool, headerEncryption bool) []byte {
	out := []byte("Rar!\x1a\x07\x00")
	// HEAD_CRC is the low 16 bits of the CRC32 of the header from HEAD_TYPE.
	sum := func(h []byte) []byte {
		binary.LittleEndian.PutUint16(h, uint16(crc32.ChecksumIEEE(h[2:])))
		return h
	}
	main := []byte{0, 0, 0x73, 0, 0, 13, 0, 0, 0, 0, 0, 0, 0}
	if headerEncryption {
		main[3] = 0x80
	}
	out = append(out, sum(main)...)
	for _, n := range names {
		data := []byte("0123456789")
		h := make([]byte, 32+len(n))
		h[2] = 0x74
		flags := uint16(0x8000)
		if encrypted {
			flags |= 0x04
		}
		binary.LittleEndian.PutUint16(h[3:], flags)
		binary.LittleEndian.PutUint16(h[5:], uint16(len(h)))
		binary.LittleEndian.PutUint32(h[7:], uint32(len(data)))  // packed
		binary.LittleEndian.PutUint32(h[11:], uint32(len(data))) // unpacked
		h[15] = 2                                                // Windows
		binary.LittleEndian.PutUint32(h[16:], crc32.ChecksumIEEE(data))
		binary.LittleEndian.PutUint32(h[20:], 0x58813000) // 2024-04-01 06:00
		h[24], h[25] = 29, 0x30                           // version 2.9, stored
		binary.LittleEndian.PutUint16(h[26:], uint16(len(n)))
		binary.LittleEndian.PutUint32(h[28:], 0x20)
		copy(h[32:], n)
		out = append(out, sum(h)...)
		out = append(out, data...)
	}
	return append(out, sum([]byte{0, 0, 0x7b, 0, 0x40, 7, 0})...)
}

// cfbHeader writes the header of a compound file of the version and
// sector shift ([MS-CFB] 2.2) at the start of out, one FAT sector
// (sector 0) and the directory from sector 1, no mini FAT and no DIFAT
// sectors, and returns the FAT sector with every entry free.
func cfbHeader(out []byte, version, shift uint16) (fat []byte) {
	h := out[:512]
	copy(h, oleMagic)
	binary.LittleEndian.PutUint16(h[0x18:], 0x3e)
	binary.LittleEndian.PutUint16(h[0x1a:], version)
	binary.LittleEndian.PutUint16(h[0x1c:], 0xfffe)
	binary.LittleEndian.PutUint16(h[0x1e:], shift)
	binary.LittleEndian.PutUint16(h[0x20:], 6)
	binary.LittleEndian.PutUint32(h[0x2c:], 1) // FAT sectors
	binary.LittleEndian.PutUint32(h[0x30:], 1) // first directory sector
	binary.LittleEndian.PutUint32(h[0x38:], 4096)
	binary.LittleEndian.PutUint32(h[0x3c:], 0xfffffffe)
	binary.LittleEndian.PutUint32(h[0x44:], 0xfffffffe)
	for i := 0; i < 109; i++ {
		binary.LittleEndian.PutUint32(h[0x4c+4*i:], 0xffffffff)
	}
	binary.LittleEndian.PutUint32(h[0x4c:], 0) // FAT in sector 0
	sec := 1 << shift
	fat = out[sec : 2*sec]
	for i := 0; i < sec/4; i++ {
		binary.LittleEndian.PutUint32(fat[4*i:], 0xffffffff)
	}
	return fat
}
