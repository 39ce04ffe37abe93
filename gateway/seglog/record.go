package seglog

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"os"
)

// On-disk framing of one record:
//
//	0  magic   4 bytes  0xD7 'M' 'G' 'L' (the high first byte never occurs in 7-bit mail)
//	4  type    1 byte   owner-defined, never 0 (so a zero-filled tail is not a record)
//	5  idLen   1 byte
//	6  flags   2 bytes  0
//	8  size    8 bytes  payload length, little endian
//	16 hcrc    4 bytes  CRC32C of bytes 0..15, so a torn header is never trusted for its length
//	20 id      idLen bytes
//	   payload size bytes
//	   crc     4 bytes  CRC32C of header, id and payload
//
// The trailing CRC is written last, so a payload can be streamed without
// knowing its checksum in advance.
const (
	headerLen  = 20
	trailerLen = 4
	// MaxIDLen is the longest record id.
	MaxIDLen = 255
	// maxPayload keeps offsets far from int64 overflow.
	maxPayload = 1 << 50
)

var magic = [4]byte{0xD7, 'M', 'G', 'L'}

// castagnoli is a lookup table (constant after init); crc32 uses the SSE4.2
// instruction for it where the CPU has one.
var castagnoli = crc32.MakeTable(crc32.Castagnoli)

var errBadHeader = errors.New("bad record header")

// recordLen is the framed length of a record.
func recordLen(idLen int, size int64) int64 {
	return headerLen + int64(idLen) + size + trailerLen
}

func putHeader(b []byte, typ uint8, idLen int, size int64) {
	copy(b[0:4], magic[:])
	b[4] = typ
	b[5] = uint8(idLen)
	b[6], b[7] = 0, 0
	binary.LittleEndian.PutUint64(b[8:16], uint64(size))
	binary.LittleEndian.PutUint32(b[16:20], crc32.Checksum(b[:16], castagnoli))
}

func parseHeader(b []byte) (typ uint8, idLen int, size int64, err error) {
	if len(b) < headerLen || b[0] != magic[0] || b[1] != magic[1] || b[2] != magic[2] || b[3] != magic[3] {
		return 0, 0, 0, fmt.Errorf("%w: no magic", errBadHeader)
	}
	if crc32.Checksum(b[:16], castagnoli) != binary.LittleEndian.Uint32(b[16:20]) {
		return 0, 0, 0, fmt.Errorf("%w: header checksum mismatch", errBadHeader)
	}
	typ, idLen = b[4], int(b[5])
	u := binary.LittleEndian.Uint64(b[8:16])
	if typ == 0 || b[6] != 0 || b[7] != 0 || u > maxPayload {
		return 0, 0, 0, fmt.Errorf("%w: invalid fields", errBadHeader)
	}
	return typ, idLen, int64(u), nil
}

// Damage describes bytes of a segment that recovery could not use.
type Damage struct {
	Seg       uint64 // segment sequence number
	Off       int64  // offset of the first unusable byte
	Bytes     int64  // number of bytes dropped or skipped
	Truncated bool   // the file was cut at Off (torn tail of the last segment)
	Reason    string
}

func (d Damage) String() string {
	what := "skipped"
	if d.Truncated {
		what = "truncated"
	}
	return fmt.Sprintf("segment %d offset %d: %s, %d bytes %s", d.Seg, d.Off, d.Reason, d.Bytes, what)
}

// crcWriter feeds everything written to it into a CRC32C.
type crcWriter struct{ sum uint32 }

func (c *crcWriter) Write(p []byte) (int, error) {
	c.sum = crc32.Update(c.sum, castagnoli, p)
	return len(p), nil
}

// headerAt reports whether a valid record header starts at off and the
// record it announces fits in the file.
func headerAt(f *os.File, off, size int64) bool {
	if size-off < headerLen+trailerLen {
		return false
	}
	var h [headerLen]byte
	if _, err := f.ReadAt(h[:], off); err != nil {
		return false
	}
	_, idLen, psize, err := parseHeader(h[:])
	return err == nil && recordLen(idLen, psize) <= size-off
}

// scanSegment verifies the records of one segment in order and calls replay
// for each good one. It returns the end of the last good record that is
// followed by nothing usable (the point to truncate at) and what it had to
// drop. A record whose header is intact but whose checksum fails is skipped
// when a valid header follows it (corruption in the middle, not a torn
// write); anything else ends the scan.
func scanSegment(f *os.File, seq uint64, size int64, replay ReplayFunc, br *bufio.Reader) (int64, []Damage, error) {
	var damage []Damage
	br.Reset(io.NewSectionReader(f, 0, size))
	var h [headerLen]byte
	idbuf := make([]byte, MaxIDLen)
	off := int64(0)
	stop := func(reason string) (int64, []Damage, error) {
		damage = append(damage, Damage{Seg: seq, Off: off, Bytes: size - off, Reason: reason})
		return off, damage, nil
	}
	for off < size {
		if size-off < headerLen {
			return stop("short record header")
		}
		if _, err := io.ReadFull(br, h[:]); err != nil {
			return off, damage, fmt.Errorf("read segment %d at %d: %w", seq, off, err)
		}
		typ, idLen, psize, err := parseHeader(h[:])
		if err != nil {
			return stop(err.Error())
		}
		n := recordLen(idLen, psize)
		if n > size-off {
			return stop(fmt.Sprintf("record of %d bytes extends past the end", n))
		}
		cw := crcWriter{sum: crc32.Update(0, castagnoli, h[:])}
		id := idbuf[:idLen]
		if _, err := io.ReadFull(br, id); err != nil {
			return off, damage, fmt.Errorf("read segment %d at %d: %w", seq, off, err)
		}
		cw.sum = crc32.Update(cw.sum, castagnoli, id)
		if _, err := io.CopyN(&cw, br, psize); err != nil {
			return off, damage, fmt.Errorf("read segment %d at %d: %w", seq, off, err)
		}
		var t [trailerLen]byte
		if _, err := io.ReadFull(br, t[:]); err != nil {
			return off, damage, fmt.Errorf("read segment %d at %d: %w", seq, off, err)
		}
		if binary.LittleEndian.Uint32(t[:]) != cw.sum {
			next := off + n
			if next < size && headerAt(f, next, size) {
				damage = append(damage, Damage{Seg: seq, Off: off, Bytes: n, Reason: "record checksum mismatch"})
				off = next
				continue
			}
			return stop("record checksum mismatch")
		}
		rec := Record{Pos: Pos{Seg: seq, Off: off}, Type: typ, ID: string(id), Size: psize}
		if replay != nil {
			if err := replay(rec, io.NewSectionReader(f, off+headerLen+int64(idLen), psize)); err != nil {
				return off, damage, fmt.Errorf("replay %s at %s: %w", rec.ID, rec.Pos, err)
			}
		}
		off += n
	}
	return off, damage, nil
}
