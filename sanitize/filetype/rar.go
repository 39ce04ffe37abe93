package filetype

import (
	"bytes"
	"encoding/binary"
	"io"
	"strings"
)

// RAR archives are not decompressed (no RAR decoder in Go's standard
// library), but their block headers are plain: we walk them for member
// names (executables by name) and encryption flags (PPAP with RAR).
// Formats: RAR 5.0 technote (rarlab.com/technote.htm) and the RAR 4
// TECHNOTE.TXT shipped with unrar.

const rarMaxHeader = 64 << 10 // a header larger than this is not believed

// inspectRAR walks the headers from after the signature; v5 selects the
// format. Members are counted against MaxEntries.
func (in *inspector) inspectRAR(r io.ReaderAt, size int64, v5 bool, path string, depth int) {
	walk := in.walkRAR4
	off := int64(7)
	if v5 {
		walk, off = in.walkRAR5, 8
	}
	walk(r, size, off, path, depth)
}

func (in *inspector) rarMember(name string, encrypted bool, path string, depth int) {
	in.entries++
	in.inspectEntry(entry{name: name, size: -1, encrypted: encrypted, format: "rar"}, nil, path, depth)
}

func (in *inspector) rarHeadersEncrypted(path string) {
	in.encrypted = true
	in.find("rar: encrypted headers", strings.TrimSuffix(path, "/"))
}

func (in *inspector) walkRAR5(r io.ReaderAt, size, off int64, path string, depth int) {
	buf := make([]byte, 16)
	for off < size {
		if in.entries >= in.lim.MaxEntries {
			in.limit("archive: too many entries", "")
			return
		}
		n, _ := r.ReadAt(buf, off)
		if n < 6 {
			return
		}
		hsize, k := uvarint(buf[4:n])
		if k <= 0 || hsize == 0 || hsize > rarMaxHeader {
			return
		}
		start := off + 4 + int64(k)
		h := make([]byte, hsize)
		if m, _ := r.ReadAt(h, start); uint64(m) < hsize {
			return
		}
		typ, p := readVints(h, 2)
		if p < 0 {
			return
		}
		htype, flags := typ[0], typ[1]
		var extraSize, dataSize uint64
		if flags&0x1 != 0 {
			v, q := uvarint(h[p:])
			if q <= 0 {
				return
			}
			extraSize, p = v, p+q
		}
		if flags&0x2 != 0 {
			v, q := uvarint(h[p:])
			if q <= 0 {
				return
			}
			dataSize, p = v, p+q
		}
		switch htype {
		case 4: // archive encryption header: everything after is encrypted
			in.rarHeadersEncrypted(path)
			return
		case 5: // end of archive
			return
		case 2: // file header
			name, encrypted, ok := rar5File(h, p, extraSize)
			if !ok {
				return
			}
			in.rarMember(name, encrypted, path, depth)
		}
		next := start + int64(hsize) + int64(min(dataSize, uint64(size)))
		if next <= off {
			return
		}
		off = next
	}
}

// rar5File parses a RAR 5 file header body from p: file flags, unpacked
// size, attributes, [mtime], [crc], compression, host OS, name; then the
// extra area, whose record type 1 is file encryption.
func rar5File(h []byte, p int, extraSize uint64) (string, bool, bool) {
	v, q := uvarint(h[p:])
	if q <= 0 {
		return "", false, false
	}
	fileFlags := v
	p += q
	if _, q = uvarint(h[p:]); q <= 0 { // unpacked size
		return "", false, false
	}
	p += q
	if _, q = uvarint(h[p:]); q <= 0 { // attributes
		return "", false, false
	}
	p += q
	if fileFlags&0x2 != 0 { // mtime
		p += 4
	}
	if fileFlags&0x4 != 0 { // data CRC32
		p += 4
	}
	if p > len(h) {
		return "", false, false
	}
	vals, q := readVints(h[p:], 3) // compression, host OS, name length
	if q < 0 {
		return "", false, false
	}
	p += q
	nameLen := vals[2]
	if uint64(len(h)-p) < nameLen {
		return "", false, false
	}
	name := decodeZipName(h[p:p+int(nameLen)], false)
	encrypted := false
	if extraSize <= uint64(len(h)) {
		x := h[len(h)-int(extraSize):]
		for len(x) > 0 {
			rs, q := uvarint(x)
			if q <= 0 || rs > uint64(len(x)-q) {
				break
			}
			rec := x[q : q+int(rs)]
			if t, q2 := uvarint(rec); q2 > 0 && t == 1 {
				encrypted = true
			}
			x = x[q+int(rs):]
		}
	}
	return name, encrypted, true
}

func (in *inspector) walkRAR4(r io.ReaderAt, size, off int64, path string, depth int) {
	hdr := make([]byte, 11)
	for off+7 <= size {
		if in.entries >= in.lim.MaxEntries {
			in.limit("archive: too many entries", "")
			return
		}
		n, _ := r.ReadAt(hdr, off)
		if n < 7 {
			return
		}
		htype := hdr[2]
		flags := binary.LittleEndian.Uint16(hdr[3:])
		hsize := int64(binary.LittleEndian.Uint16(hdr[5:]))
		if hsize < 7 || hsize > rarMaxHeader {
			return
		}
		add := int64(0)
		if (flags&0x8000 != 0 || htype == 0x74) && n >= 11 {
			add = int64(binary.LittleEndian.Uint32(hdr[7:])) // ADD_SIZE, PACK_SIZE for files
		}
		switch htype {
		case 0x73: // main header
			if flags&0x0080 != 0 {
				in.rarHeadersEncrypted(path)
				return
			}
		case 0x74: // file header
			h := make([]byte, hsize)
			if m, _ := r.ReadAt(h, off); int64(m) < hsize || hsize < 32 {
				return
			}
			nameSize := int(binary.LittleEndian.Uint16(h[26:]))
			p := 32
			if flags&0x100 != 0 {
				p += 8 // high 32 bits of the sizes
			}
			if p+nameSize > len(h) {
				return
			}
			raw := h[p : p+nameSize]
			if flags&0x200 != 0 { // "ascii\0unicode": the ASCII part is the OEM name
				if i := bytes.IndexByte(raw, 0); i >= 0 {
					raw = raw[:i]
				}
			}
			in.rarMember(decodeZipName(raw, true), flags&0x04 != 0, path, depth)
		case 0x7b: // end of archive
			return
		}
		next := off + hsize + add
		if next <= off {
			return
		}
		off = next
	}
}

// uvarint reads a RAR 5 vint (7 bits per byte, low first, at most 10).
func uvarint(b []byte) (uint64, int) {
	var v uint64
	for i := 0; i < len(b) && i < 10; i++ {
		v |= uint64(b[i]&0x7f) << (7 * i)
		if b[i]&0x80 == 0 {
			return v, i + 1
		}
	}
	return 0, -1
}

// readVints reads n vints from b, returning them and the bytes used (-1 on
// a truncated or overlong value).
func readVints(b []byte, n int) ([]uint64, int) {
	out := make([]uint64, n)
	p := 0
	for i := range out {
		v, q := uvarint(b[p:])
		if q <= 0 {
			return nil, -1
		}
		out[i], p = v, p+q
	}
	return out, p
}
