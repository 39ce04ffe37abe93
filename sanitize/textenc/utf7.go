package textenc

import (
	"unicode/utf16"
	"unicode/utf8"

	"golang.org/x/text/encoding"
	"golang.org/x/text/transform"
)

// UTF-7 (RFC 2152) is still seen in old Outlook Express mail and in spam
// written to slip past filters that do not decode it; neither x/text nor
// go-message reads it.

const b64chars = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"

func b64val(c byte) int {
	switch {
	case c >= 'A' && c <= 'Z':
		return int(c - 'A')
	case c >= 'a' && c <= 'z':
		return int(c-'a') + 26
	case c >= '0' && c <= '9':
		return int(c-'0') + 52
	case c == '+':
		return 62
	case c == '/':
		return 63
	}
	return -1
}

// utf7Decoder decodes UTF-7. Invalid input (8-bit bytes, unpaired
// surrogates, non-zero leftover bits) becomes U+FFFD and is counted.
type utf7Decoder struct {
	invalid *int
	inB64   bool
	first   bool // just after '+'
	acc     uint32
	nbits   uint
	hi      rune // pending high surrogate
}

func (d *utf7Decoder) Reset() { *d = utf7Decoder{invalid: d.invalid} }

func (d *utf7Decoder) bad(dst []byte) int {
	if d.invalid != nil {
		*d.invalid++
	}
	return copy(dst, replacement)
}

// unit handles one UTF-16 code unit; dst has room for 7 bytes.
func (d *utf7Decoder) unit(dst []byte, u rune) int {
	n := 0
	if d.hi != 0 {
		hi := d.hi
		d.hi = 0
		if utf16.IsSurrogate(u) && u >= 0xdc00 {
			return utf8.EncodeRune(dst, utf16.DecodeRune(hi, u))
		}
		n += d.bad(dst)
	}
	switch {
	case u >= 0xd800 && u < 0xdc00:
		d.hi = u
	case u >= 0xdc00 && u < 0xe000:
		n += d.bad(dst[n:])
	default:
		n += utf8.EncodeRune(dst[n:], u)
	}
	return n
}

// end closes a base64 run.
func (d *utf7Decoder) end(dst []byte) int {
	n := 0
	if d.hi != 0 {
		d.hi = 0
		n += d.bad(dst)
	}
	if d.nbits >= 6 || d.acc != 0 {
		n += d.bad(dst[n:])
	}
	d.inB64, d.acc, d.nbits = false, 0, 0
	return n
}

func (d *utf7Decoder) Transform(dst, src []byte, atEOF bool) (nDst, nSrc int, err error) {
	for nSrc < len(src) {
		if len(dst)-nDst < 8 {
			return nDst, nSrc, transform.ErrShortDst
		}
		c := src[nSrc]
		if d.inB64 {
			if v := b64val(c); v >= 0 {
				d.first = false
				d.acc = d.acc<<6 | uint32(v)
				d.nbits += 6
				if d.nbits >= 16 {
					d.nbits -= 16
					u := rune(d.acc>>d.nbits) & 0xffff
					d.acc &= 1<<d.nbits - 1
					nDst += d.unit(dst[nDst:], u)
				}
				nSrc++
				continue
			}
			if c == '-' && d.first {
				d.inB64 = false
				dst[nDst] = '+'
				nDst++
				nSrc++
				continue
			}
			nDst += d.end(dst[nDst:])
			if c == '-' {
				nSrc++
				continue
			}
		}
		switch {
		case c == '+':
			d.inB64, d.first, d.acc, d.nbits = true, true, 0, 0
		case c >= utf8.RuneSelf:
			nDst += d.bad(dst[nDst:])
		default:
			dst[nDst] = c
			nDst++
		}
		nSrc++
	}
	if atEOF && d.inB64 {
		if len(dst)-nDst < 8 {
			return nDst, nSrc, transform.ErrShortDst
		}
		if d.first {
			// A lone '+' at the end: keep it.
			d.inB64 = false
			dst[nDst] = '+'
			nDst++
		} else {
			nDst += d.end(dst[nDst:])
		}
	}
	return nDst, nSrc, nil
}

// utf7Encoder writes UTF-7: printable ASCII other than '+' and '\' and '~'
// directly (plus TAB, CR, LF), everything else as "+base64-" runs, closed at
// the end of each chunk so it needs no state.
type utf7Encoder struct{ transform.NopResetter }

func utf7Direct(r rune) bool {
	return r == '\t' || r == '\r' || r == '\n' || (r >= 0x20 && r < 0x7f && r != '+' && r != '\\' && r != '~')
}

func (utf7Encoder) Transform(dst, src []byte, atEOF bool) (nDst, nSrc int, err error) {
	for nSrc < len(src) {
		r, size := utf8.DecodeRune(src[nSrc:])
		if r == utf8.RuneError && size == 1 && !atEOF && !utf8.FullRune(src[nSrc:]) {
			return nDst, nSrc, transform.ErrShortSrc
		}
		if utf7Direct(r) {
			if nDst >= len(dst) {
				return nDst, nSrc, transform.ErrShortDst
			}
			dst[nDst] = byte(r)
			nDst++
			nSrc += size
			continue
		}
		if r == '+' {
			if len(dst)-nDst < 2 {
				return nDst, nSrc, transform.ErrShortDst
			}
			nDst += copy(dst[nDst:], "+-")
			nSrc++
			continue
		}
		// Collect a run of non-direct runes that fits in dst.
		var units []uint16
		end := nSrc
		for end < len(src) {
			r, size := utf8.DecodeRune(src[end:])
			if r == utf8.RuneError && size == 1 && !atEOF && !utf8.FullRune(src[end:]) {
				break
			}
			if utf7Direct(r) || r == '+' {
				break
			}
			next := utf16.AppendRune(units, r)
			if 2+(len(next)*16+5)/6 > len(dst)-nDst {
				break
			}
			units = next
			end += size
		}
		if len(units) == 0 {
			if end < len(src) && len(dst)-nDst >= 6 {
				// The first rune is an incomplete sequence at !atEOF.
				return nDst, nSrc, transform.ErrShortSrc
			}
			return nDst, nSrc, transform.ErrShortDst
		}
		dst[nDst] = '+'
		nDst++
		var acc uint32
		var nbits uint
		for _, u := range units {
			acc = acc<<16 | uint32(u)
			nbits += 16
			for nbits >= 6 {
				nbits -= 6
				dst[nDst] = b64chars[(acc>>nbits)&63]
				nDst++
			}
			acc &= 1<<nbits - 1
		}
		if nbits > 0 {
			dst[nDst] = b64chars[(acc<<(6-nbits))&63]
			nDst++
		}
		dst[nDst] = '-'
		nDst++
		nSrc = end
	}
	return nDst, nSrc, nil
}

type utf7Encoding struct{}

func (utf7Encoding) NewDecoder() *encoding.Decoder {
	return &encoding.Decoder{Transformer: &utf7Decoder{}}
}

func (utf7Encoding) NewEncoder() *encoding.Encoder {
	return &encoding.Encoder{Transformer: utf7Encoder{}}
}
