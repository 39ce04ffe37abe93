package textenc

import (
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/japanese"
	"golang.org/x/text/encoding/korean"
	"golang.org/x/text/encoding/simplifiedchinese"
	"golang.org/x/text/transform"
	"golang.org/x/text/unicode/norm"
	"golang.org/x/text/width"
)

// Why our own ISO-2022-JP decoder: x/text's japanese.ISO2022JP decodes NEC
// row 13 (① ㈱ ㍻), the NEC-selected IBM extensions in rows 89-92 (髙 ⅱ)
// and ESC ( I katakana (TestXTextISO2022JP checks this), but it prints
// SO/SI (CP50222 katakana) as control characters and, when a line ends
// inside a JIS X 0208 run (a common sender bug), swallows CR LF into one
// U+FFFD. It also knows none of ISO-2022-JP-2's sets. We keep its tables:
// a JIS pair is looked up through x/text's EUC-JP decoder (the same
// WHATWG/CP932 jis0208 index, rows 1-94), JIS X 0212 through EUC-JP's 0x8F
// plane, GB 2312 and KS C 5601 through GBK and EUC-KR.

// g0 character sets.
const (
	setASCII = iota
	setKana
	setJIS0208
	setJIS0212
	setJIS0213p1
	setJIS0213p2
	setGB2312
	setKSC5601
)

// iso2022JPDecoder decodes ISO-2022-JP, ISO-2022-JP-MS/CP5022x, -1, -2 and
// (where it agrees with JIS X 0208) -3/-2004. Line ends return to ASCII.
type iso2022JPDecoder struct {
	invalid *int
	g0      int
	so      bool             // SO: G1 (JIS X 0201 katakana) invoked
	g2      *charmap.Charmap // ISO-2022-JP-2 G2 set for ESC N

	euc, gbk, kr transform.Transformer // pair decoders, created on first use
	out          [8]byte
	in           [3]byte
}

func (d *iso2022JPDecoder) Reset() {
	d.g0, d.so, d.g2 = setASCII, false, nil
}

func (d *iso2022JPDecoder) bad() {
	if d.invalid != nil {
		*d.invalid++
	}
}

// lookup decodes one character given as bytes of another encoding through
// t, returning U+FFFD unless it yields exactly one valid rune.
func (d *iso2022JPDecoder) lookup(t transform.Transformer, src []byte) rune {
	n, m, err := t.Transform(d.out[:], src, true)
	if err != nil || m != len(src) {
		return utf8.RuneError
	}
	r, size := utf8.DecodeRune(d.out[:n])
	if size != n {
		return utf8.RuneError
	}
	return r
}

// pair decodes a two-byte character (both bytes in 0x21..0x7E) of set.
func (d *iso2022JPDecoder) pair(set int, c0, c1 byte) rune {
	switch set {
	case setJIS0213p1:
		if c0-0x20 > 84 {
			// Rows 85-94 of JIS X 0213 plane 1 are not the IBM
			// extensions the jis0208 index has there.
			return utf8.RuneError
		}
		fallthrough
	case setJIS0208:
		if d.euc == nil {
			d.euc = japanese.EUCJP.NewDecoder()
		}
		d.in[0], d.in[1] = c0|0x80, c1|0x80
		return d.lookup(d.euc, d.in[:2])
	case setJIS0212:
		if d.euc == nil {
			d.euc = japanese.EUCJP.NewDecoder()
		}
		d.in[0], d.in[1], d.in[2] = 0x8f, c0|0x80, c1|0x80
		return d.lookup(d.euc, d.in[:3])
	case setGB2312:
		if d.gbk == nil {
			d.gbk = simplifiedchinese.GBK.NewDecoder()
		}
		d.in[0], d.in[1] = c0|0x80, c1|0x80
		return d.lookup(d.gbk, d.in[:2])
	case setKSC5601:
		if d.kr == nil {
			d.kr = korean.EUCKR.NewDecoder()
		}
		d.in[0], d.in[1] = c0|0x80, c1|0x80
		return d.lookup(d.kr, d.in[:2])
	}
	return utf8.RuneError // JIS X 0213 plane 2: no table
}

// escape interprets the escape sequence at src[0] (ESC). It returns the
// sequence length, or 0 with ok=false when more input is needed.
// recognised is false for an unknown or truncated sequence, which the
// caller replaces by one U+FFFD.
func (d *iso2022JPDecoder) escape(src []byte, atEOF bool) (size int, ok, recognised bool) {
	// ISO 2022: ESC, intermediate bytes 0x20-0x2F, one final byte 0x30-0x7E.
	i := 1
	for i < len(src) && i < 5 && src[i] >= 0x20 && src[i] <= 0x2f {
		i++
	}
	if i >= len(src) {
		if !atEOF && i < 5 {
			return 0, false, false
		}
		return len(src), true, false
	}
	if src[i] < 0x30 || src[i] > 0x7e {
		// Not an escape sequence: replace the ESC alone.
		return 1, true, false
	}
	size = i + 1
	switch string(src[1:size]) {
	case "(B", "(J", "(H":
		d.g0 = setASCII
	case "(I":
		d.g0 = setKana
	case "$@", "$B", "$(@", "$(B":
		d.g0 = setJIS0208
	case "$(D":
		d.g0 = setJIS0212
	case "$(O", "$(Q":
		d.g0 = setJIS0213p1
	case "$(P":
		d.g0 = setJIS0213p2
	case "$A", "$(A":
		d.g0 = setGB2312
	case "$(C":
		d.g0 = setKSC5601
	case ".A":
		d.g2 = charmap.ISO8859_1
	case ".F":
		d.g2 = charmap.ISO8859_7
	case "&@", ")I", "N":
		// JIS X 0208-1990 announcer; G1 = katakana (what SO uses
		// anyway); single shift 2, which the caller completes.
	default:
		return size, true, false
	}
	return size, true, true
}

func (d *iso2022JPDecoder) Transform(dst, src []byte, atEOF bool) (nDst, nSrc int, err error) {
	for nSrc < len(src) {
		c := src[nSrc]

		// Fast path: ASCII text in the ASCII state.
		if d.g0 == setASCII && !d.so && c < 0x80 && c != 0x1b && c != 0x0e && c != 0x0f {
			end := nSrc + 1
			for end < len(src) {
				b := src[end]
				if b >= 0x80 || b == 0x1b || b == 0x0e || b == 0x0f {
					break
				}
				end++
			}
			n := copy(dst[nDst:], src[nSrc:end])
			if n == 0 {
				return nDst, nSrc, transform.ErrShortDst
			}
			nDst += n
			nSrc += n
			continue
		}

		if len(dst)-nDst < utf8.UTFMax {
			return nDst, nSrc, transform.ErrShortDst
		}
		var r rune
		size := 1
		switch {
		case c == 0x1b:
			n, ok, recognised := d.escape(src[nSrc:], atEOF)
			if !ok {
				return nDst, nSrc, transform.ErrShortSrc
			}
			if recognised && n == 2 && src[nSrc+1] == 'N' {
				// ESC N: single shift G2 for the next byte.
				if nSrc+2 >= len(src) {
					if !atEOF {
						return nDst, nSrc, transform.ErrShortSrc
					}
					r, size = utf8.RuneError, n
					d.bad()
					break
				}
				b := src[nSrc+2]
				size = 3
				if d.g2 == nil || b < 0x20 || b >= 0x80 {
					r = utf8.RuneError
					d.bad()
				} else {
					r = d.g2.DecodeByte(b | 0x80)
				}
				break
			}
			if !recognised {
				nDst += copy(dst[nDst:], replacement)
				d.bad()
			}
			nSrc += n
			continue
		case c == 0x0e:
			d.so = true
			nSrc++
			continue
		case c == 0x0f:
			d.so = false
			nSrc++
			continue
		case c == '\r' || c == '\n':
			// RFC 1468 requires ASCII at line end; senders that forget
			// ESC ( B still mean their line to end here.
			d.g0, d.so = setASCII, false
			r = rune(c)
		case c >= 0x80:
			r = utf8.RuneError
			d.bad()
		case c < 0x21 || c == 0x7f:
			// Controls and SPACE are the same in every 94-character set.
			r = rune(c)
		case d.so || d.g0 == setKana:
			if c <= 0x5f {
				r = rune(c) + (0xff61 - 0x21)
			} else {
				r = utf8.RuneError
				d.bad()
			}
		case d.g0 == setASCII:
			r = rune(c)
		default:
			if nSrc+1 >= len(src) {
				if !atEOF {
					return nDst, nSrc, transform.ErrShortSrc
				}
				r = utf8.RuneError
				d.bad()
				break
			}
			c1 := src[nSrc+1]
			if c1 < 0x21 || c1 > 0x7e {
				r = utf8.RuneError // the second byte is read again
				d.bad()
				break
			}
			size = 2
			r = d.pair(d.g0, c, c1)
			if r == utf8.RuneError {
				d.bad()
			}
		}
		nDst += utf8.EncodeRune(dst[nDst:], r)
		nSrc += size
	}
	return nDst, nSrc, nil
}

// iso2022JPEncoding is the encoding registered with go-message for the
// ISO-2022-JP labels: our decoder, x/text's encoder.
type iso2022JPEncoding struct{}

func (iso2022JPEncoding) NewDecoder() *encoding.Decoder {
	return &encoding.Decoder{Transformer: &iso2022JPDecoder{}}
}

func (iso2022JPEncoding) NewEncoder() *encoding.Encoder {
	return japanese.ISO2022JP.NewEncoder()
}

// jisVariants maps characters that JIS X 0208 tables disagree on to the
// form x/text's (CP932-style) table encodes: text written on a Mac or in
// Unicode-strict software uses the left-hand forms for the same JIS cells.
var jisVariants = map[rune]rune{
	'\u301C': '\uFF5E', // WAVE DASH → FULLWIDTH TILDE (JIS 1-33)
	'\u2016': '\u2225', // DOUBLE VERTICAL LINE → PARALLEL TO (1-34)
	'\u2212': '\uFF0D', // MINUS SIGN → FULLWIDTH HYPHEN-MINUS (1-61)
	'\u00A2': '\uFFE0', // CENT SIGN (1-81)
	'\u00A3': '\uFFE1', // POUND SIGN (1-82)
	'\u00AC': '\uFFE2', // NOT SIGN (2-44)
	'\u2014': '\u2015', // EM DASH → HORIZONTAL BAR (1-29)
	'\u00A5': '\uFFE5', // YEN SIGN → FULLWIDTH YEN (1-79); ISO-2022-JP's ASCII has none
	'\u203E': '\uFFE3', // OVERLINE → FULLWIDTH MACRON (1-17)
	'\u00A6': '\uFFE4', // BROKEN BAR → FULLWIDTH BROKEN BAR (NEC-selected IBM 92-91)
}

// geta is 〓 (JIS 2-14), the conventional mark for a character that could
// not be represented.
const getaHi, getaLo = 0x22, 0x2e

// EncodeISO2022JP encodes UTF-8 text as ISO-2022-JP (RFC 1468) for
// output_charset iso-2022-jp. Half-width katakana are first widened
// (ｶﾞ → ガ) because ISO-2022-JP has none. Besides JIS X 0208 it encodes,
// as CP50220/ISO-2022-JP-MS and Outlook do, the NEC special characters of
// row 13 (① ㈱ ㍻) and the NEC-selected IBM extensions of rows 89-92
// (髙 﨑 ⅱ): every Japanese mail client decodes these, and turning ① into
// 〓 would lose common text. Any other character (emoji, JIS X 0212,
// Hangul, invalid UTF-8, and ESC/SO/SI, which would be read as shifts) is
// replaced by 〓 and counted in unencodable. Output ends in ASCII, and
// every CR or LF is preceded by a return to ASCII.
func EncodeISO2022JP(s string) (b []byte, unencodable int) {
	return AppendISO2022JP(make([]byte, 0, len(s)+len(s)/2+8), s)
}

// AppendISO2022JP is EncodeISO2022JP appending to dst.
func AppendISO2022JP(dst []byte, s string) (b []byte, unencodable int) {
	return appendISO(dst, PrepareISO2022JP(s))
}

// AppendISO2022JPBytes is AppendISO2022JP for text in a byte slice.
func AppendISO2022JPBytes(dst, s []byte) (b []byte, unencodable int) {
	if hasKana(s) || hasEmojiParts(s) {
		return appendISO(dst, PrepareISO2022JP(string(s)))
	}
	return appendISO(dst, s)
}

// PrepareISO2022JP is s as the encoder writes it: half-width katakana
// widened (ｶﾞ → ガ) and combining voiced and semi-voiced sound marks
// composed with the kana before them (テ U+3099 → デ), or, where they
// compose with nothing, written as the spacing marks JIS X 0208 has
// (゛ ゜). macOS writes file names decomposed, and so do the mailers of
// its users: ISO-2022-JP has no code for the combining marks, which
// became 〓 (テ〓ータ.pdf). A caller that splits text before encoding
// it (into encoded words) prepares it first, so that a mark is not
// parted from its kana.
//
// An emoji sequence, one character on the screen (🏃‍♂️: a runner, a zero
// width joiner, ♂, a variation selector), becomes one 〓, not one for
// each of its code points: the joiner and what it joins, variation
// selectors, skin tones and tags are dropped after a character that
// becomes 〓, and a flag's two regional indicators are one. Only there:
// the links were neutralised before encoding, in the text as it was, so
// nothing may be taken out of it between two characters that are kept
// ("https\u200d://" is no link; "https://" is). After 〓 nothing can
// join what stood before it to what follows.
func PrepareISO2022JP(s string) string {
	return composeMarks(widenKana(collapseEmoji(s)))
}

// collapseEmoji is PrepareISO2022JP's emoji step.
func collapseEmoji(s string) string {
	if !hasEmojiParts(s) {
		return s
	}
	table := jisTable()
	out := make([]byte, 0, len(s))
	base, joined, flag := false, false, false
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		i += n
		switch {
		case base && r == 0x200d: // zero width joiner
			joined = true
			continue
		case base && r >= 0xfe00 && r <= 0xfe0f: // variation selectors
			continue
		case base && (joined && (r >= 0x10000 || unicode.Is(unicode.So, r)) || r >= 0x1f3fb && r <= 0x1f3ff || r >= 0xe0020 && r <= 0xe007f || r == 0x20e3):
			// a picture joined to the cluster (never a letter, a digit or
			// punctuation, which may be what kept a link from being one),
			// a skin tone, a tag or the keycap mark
			joined = false
			continue
		case flag && r >= 0x1f1e6 && r <= 0x1f1ff:
			// A flag's second letter: the pair becomes a white flag
			// (as unencodable), so that preparing again pairs nothing.
			out = utf8.AppendRune(out[:len(out)-4], 0x1f3f3)
			flag = false
			continue
		}
		out = append(out, s[i-n:i]...) // as it is, invalid UTF-8 too
		// A picture that becomes 〓: an emoji outside the Basic
		// Multilingual Plane, or a symbol without a JIS code (not a
		// half-width kana or a sound mark, which are widened and
		// composed into characters that have one).
		// Not an invalid octet: what follows it is kept, so that no
		// removal puts two invalid octets together into a character.
		base = r >= 0x10000 || !(r == utf8.RuneError && n <= 1) && table[r] == 0 && unicode.Is(unicode.So, r)
		flag = r >= 0x1f1e6 && r <= 0x1f1ff
		joined = false
	}
	return string(out)
}

// NeedsPrepare reports whether PrepareISO2022JP may change s.
func NeedsPrepare(s []byte) bool { return hasKana(s) || hasEmojiParts(s) }

// hasEmojiParts reports whether s may hold what collapseEmoji drops: a
// character outside the Basic Multilingual Plane (4 bytes in UTF-8), a
// joiner (E2 80 8D), a variation selector (EF B8 80-8F) or the keycap
// mark (E2 83 A3).
func hasEmojiParts[T ~string | ~[]byte](s T) bool {
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c >= 0xf0:
			return true
		case c == 0xe2 && i+2 < len(s) && (s[i+1] == 0x80 && s[i+2] == 0x8d || s[i+1] == 0x83 && s[i+2] == 0xa3):
			return true
		case c == 0xef && i+2 < len(s) && s[i+1] == 0xb8 && s[i+2] >= 0x80 && s[i+2] <= 0x8f:
			return true
		}
	}
	return false
}

// CountUnencodable is the count of characters AppendISO2022JPBytes
// would replace by 〓 in s, without encoding it.
func CountUnencodable(s []byte) int {
	if hasEmojiParts(s) {
		n, _ := countUnencodable([]byte(PrepareISO2022JP(string(s))), false)
		return n
	}
	n, kana := countUnencodable(s, true)
	if kana {
		// Prepared as the encoder prepares it (ｶﾞ → ガ), then counted.
		n, _ = countUnencodable([]byte(PrepareISO2022JP(string(s))), false)
	}
	return n
}

// countUnencodable counts as appendISO does, writing nothing; with
// stopAtKana it stops at a half-width katakana and says so.
func countUnencodable(s []byte, stopAtKana bool) (n int, kana bool) {
	table := jisTable()
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c == 0x1b || c == 0x0e || c == 0x0f {
				n++
			}
			i++
			continue
		}
		var r rune
		var size int
		if c&0xf0 == 0xe0 && i+2 < len(s) && s[i+1]&0xc0 == 0x80 && s[i+2]&0xc0 == 0x80 {
			// Three bytes, as kana and kanji are: decoded here, where
			// utf8.DecodeRune is a call each.
			r, size = rune(c&0x0f)<<12|rune(s[i+1]&0x3f)<<6|rune(s[i+2]&0x3f), 3
			if r < 0x800 || r >= 0xd800 && r <= 0xdfff {
				r, size = utf8.DecodeRune(s[i:]) // overlong or a surrogate: invalid
			}
		} else {
			r, size = utf8.DecodeRune(s[i:])
		}
		if stopAtKana && (r >= 0xff61 && r <= 0xff9f || r == 0x3099 || r == 0x309a) {
			return n, true
		}
		i += size
		if r >= 0x10000 || r == utf8.RuneError && size <= 1 || table[r] == 0 {
			n++
		}
	}
	return n, false
}

// hasKana reports what PrepareISO2022JP changes: U+FF61-U+FF9F
// (EF BD A1 - EF BE 9F in UTF-8) and U+3099, U+309A (E3 82 99, E3 82 9A).
func hasKana(s []byte) bool {
	for i := 0; i+2 < len(s); i++ {
		if s[i] == 0xef && (s[i+1] == 0xbd && s[i+2] >= 0xa1 && s[i+2] <= 0xbf || s[i+1] == 0xbe && s[i+2] >= 0x80 && s[i+2] <= 0x9f) ||
			s[i] == 0xe3 && s[i+1] == 0x82 && (s[i+2] == 0x99 || s[i+2] == 0x9a) {
			return true
		}
	}
	return false
}

// composeMarks composes each combining voiced or semi-voiced sound mark
// (U+3099, U+309A) with the character before it where NFC does (テ U+3099
// → デ) and writes any other as its spacing form (゛ U+309B, ゜ U+309C).
func composeMarks(s string) string {
	if !strings.Contains(s, "\u3099") && !strings.Contains(s, "\u309A") {
		return s
	}
	out := make([]byte, 0, len(s))
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		i += n
		if r != 0x3099 && r != 0x309a {
			out = append(out, s[i-n:i]...) // as it is, invalid UTF-8 too
			continue
		}
		if prev, pn := utf8.DecodeLastRune(out); pn > 0 && prev != utf8.RuneError {
			if c := norm.NFC.String(string(prev) + string(r)); utf8.RuneCountInString(c) == 1 {
				out = append(out[:len(out)-pn], c...)
				continue
			}
		}
		out = utf8.AppendRune(out, r+2) // U+309B, U+309C
	}
	return string(out)
}

func appendISO[T ~string | ~[]byte](dst []byte, s T) (b []byte, unencodable int) {
	table := jisTable()
	jis := false
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf && c != 0x1b && c != 0x0e && c != 0x0f {
			if jis {
				dst = append(dst, 0x1b, '(', 'B')
				jis = false
			}
			// The ASCII run, copied whole.
			j := i + 1
			for j < len(s) && s[j] < utf8.RuneSelf && s[j] != 0x1b && s[j] != 0x0e && s[j] != 0x0f {
				j++
			}
			dst = append(dst, s[i:j]...)
			i = j
			continue
		}
		r, size := decodeRune(s[i:])
		i += size
		code := uint16(getaHi<<8 | getaLo)
		if r < 0x10000 && (r != utf8.RuneError || size > 1) && table[r] != 0 {
			code = table[r]
		} else {
			unencodable++
		}
		if !jis {
			dst = append(dst, 0x1b, '$', 'B')
			jis = true
		}
		dst = append(dst, byte(code>>8), byte(code))
	}
	if jis {
		dst = append(dst, 0x1b, '(', 'B')
	}
	return dst, unencodable
}

// decodeRune is utf8.DecodeRune for a string or a byte slice.
func decodeRune[T ~string | ~[]byte](s T) (rune, int) {
	if len(s) > 0 && s[0] < utf8.RuneSelf {
		return rune(s[0]), 1
	}
	var buf [utf8.UTFMax]byte
	n := copy(buf[:], s[:min(len(s), utf8.UTFMax)])
	return utf8.DecodeRune(buf[:n])
}

// jisTable maps each character of the Basic Multilingual Plane to its
// JIS X 0208 cell (row and column bytes as ISO-2022-JP writes them), 0
// where it has none. Built once, on first use (only a policy with
// output_charset iso-2022-jp needs it), from jisCode; TestJISTable holds
// the encoder to the per-character one it replaced, for every character.
var jisTable = sync.OnceValue(func() *[0x10000]uint16 {
	var t [0x10000]uint16
	enc := japanese.EUCJP.NewEncoder()
	for r := rune(utf8.RuneSelf); r < 0x10000; r++ {
		if hi, lo, ok := jisCode(enc, r); ok {
			t[r] = uint16(hi)<<8 | uint16(lo)
		}
	}
	return &t
})

// jisCode is the JIS X 0208 cell of a non-ASCII character as EUC-JP
// encodes it (with the NEC and NEC-selected IBM rows CP50220 has), after
// jisVariants; not ok for anything else (JIS X 0212, half-width kana,
// characters EUC-JP does not have).
func jisCode(enc *encoding.Encoder, r rune) (hi, lo byte, ok bool) {
	if v, found := jisVariants[r]; found {
		r = v
	}
	if r < utf8.RuneSelf || r == utf8.RuneError || !utf8.ValidRune(r) {
		return 0, 0, false
	}
	var rb [utf8.UTFMax]byte
	var eb [8]byte
	n := utf8.EncodeRune(rb[:], r)
	m, _, err := enc.Transform(eb[:], rb[:n], true)
	enc.Reset()
	if err == nil && m == 2 && eb[0] >= 0xa1 && eb[0] <= 0xfe && eb[1] >= 0xa1 && eb[1] <= 0xfe {
		return eb[0] & 0x7f, eb[1] & 0x7f, true
	}
	return 0, 0, false
}

// widenKana replaces runs of half-width katakana (U+FF61-U+FF9F) by their
// full-width forms, composing voiced marks (ｶﾞ → ガ).
func widenKana(s string) string {
	isHW := func(r rune) bool { return r >= 0xff61 && r <= 0xff9f }
	start := -1
	for i, r := range s {
		if isHW(r) {
			start = i
			break
		}
	}
	if start < 0 {
		return s
	}
	out := make([]byte, 0, len(s)+len(s)/2)
	out = append(out, s[:start]...)
	for i := start; i < len(s); {
		j := i
		for j < len(s) {
			r, n := utf8.DecodeRuneInString(s[j:])
			if !isHW(r) {
				break
			}
			j += n
		}
		if j > i {
			// Widen gives combining voiced marks (カ U+3099); NFC on
			// this run of kana composes them (ガ), and a mark left
			// without a base becomes the spacing form JIS has (゛).
			w := norm.NFC.String(width.Widen.String(s[i:j]))
			w = strings.NewReplacer("\u3099", "\u309B", "\u309A", "\u309C").Replace(w)
			out = append(out, w...)
			i = j
			continue
		}
		_, n := utf8.DecodeRuneInString(s[i:])
		out = append(out, s[i:i+n]...)
		i += n
	}
	return string(out)
}
