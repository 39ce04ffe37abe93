package textenc

import (
	"slices"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/encoding"
	"golang.org/x/text/transform"
)

// Codec reads and writes text in one charset, line by line: what
// rewriting a text file in its own encoding needs (a kept attachment
// whose links are neutralised must still open in the reader's program as
// the sender wrote it).
type Codec struct {
	c codec
}

// LookupCodec resolves a charset name, such as Reader.Charset reports, to
// a Codec. It fails for unknown names and for charsets that a line cannot
// be read in on its own or that cannot be written back: UTF-7 and UTF-16
// (whose line ends are not single bytes).
func LookupCodec(name string) (Codec, bool) {
	c, ok := lookup(name)
	if !ok || c.kind == kindUTF7 || !c.asciiCompatible() {
		return Codec{}, false
	}
	return Codec{c}, true
}

// Name is the charset's canonical name.
func (k Codec) Name() string { return k.c.name }

// LineDecoder decodes the lines of a text file in one charset, each from
// the initial state (as mail and text editors write ISO-2022-JP), reusing
// its transformer.
type LineDecoder struct {
	c       codec
	t       transform.Transformer
	invalid int
}

// NewLineDecoder returns a LineDecoder for the charset.
func (k Codec) NewLineDecoder() *LineDecoder {
	d := &LineDecoder{c: k.c}
	d.t = k.c.newDecoder(&d.invalid)
	return d
}

// Invalid is the number of sequences replaced by U+FFFD so far.
func (d *LineDecoder) Invalid() int { return d.invalid }

// Append appends line b (no line end), decoded to UTF-8, to dst.
// Shift_JIS user-defined characters (外字, F040-F9FC) decode to the
// private use area as Windows' CP932 does, so a rewritten line keeps them.
func (d *LineDecoder) Append(dst, b []byte) []byte {
	if d.c.kind != kindUTF7 && plainASCII(b) || (d.c.kind == kindUTF8 || d.c.kind == kindASCII) && utf8.Valid(b) {
		return append(dst, b...)
	}
	if (d.c.kind == kindUTF8 || d.c.kind == kindASCII) && len(b) >= 3 && string(b[:3]) == "\uFEFF" {
		// Our UTF-8 decoder drops a byte order mark; a file keeps it.
		dst, b = append(dst, b[:3]...), b[3:]
	}
	if d.c.kind == kindShiftJIS {
		for i := 0; i < len(b); {
			c := b[i]
			if c >= 0x81 && c <= 0x9f || c >= 0xe0 && c <= 0xfc {
				if r, ok := gaiji(b[i:]); ok {
					dst = d.transform(dst, b[:i])
					dst = utf8.AppendRune(dst, r)
					b, i = b[i+2:], 0
					continue
				}
				i += 2
				continue
			}
			i++
		}
	}
	return d.transform(dst, b)
}

// gaiji decodes a CP932 user-defined character at the start of b.
func gaiji(b []byte) (rune, bool) {
	if len(b) < 2 || b[0] < 0xf0 || b[0] > 0xf9 || b[1] < 0x40 || b[1] > 0xfc || b[1] == 0x7f {
		return 0, false
	}
	t := int(b[1]) - 0x40
	if b[1] > 0x7f {
		t--
	}
	return rune(0xe000 + int(b[0]-0xf0)*188 + t), true
}

// appendGaiji encodes a private use character as its CP932 user-defined
// character.
func appendGaiji(dst []byte, r rune) ([]byte, bool) {
	if r < 0xe000 || r > 0xe757 {
		return dst, false
	}
	n := int(r - 0xe000)
	t := byte(n%188) + 0x40
	if t >= 0x7f {
		t++
	}
	return append(dst, byte(0xf0+n/188), t), true
}

func (d *LineDecoder) transform(dst, b []byte) []byte {
	if len(b) == 0 {
		return dst
	}
	d.t.Reset()
	for {
		if free := cap(dst) - len(dst); free < 3*len(b)+utf8.UTFMax {
			dst = slices.Grow(dst, 3*len(b)+utf8.UTFMax)
		}
		nDst, nSrc, err := d.t.Transform(dst[len(dst):cap(dst)], b, true)
		dst = dst[:len(dst)+nDst]
		b = b[nSrc:]
		switch err {
		case nil:
			return dst
		case transform.ErrShortDst:
			continue
		}
		// Our decoders replace what they cannot read; an error here is
		// a transformer's own: what is left reads as UTF-8 or U+FFFD.
		d.invalid++
		return append(dst, strings.ToValidUTF8(string(b), "\uFFFD")...)
	}
}

// plainASCII reports bytes below 0x80 without ESC or SO: text every
// ASCII-compatible charset decodes to itself.
func plainASCII(b []byte) bool {
	for _, c := range b {
		if c >= 0x80 || c == 0x1b || c == 0x0e { // SO: CP50222's katakana
			return false
		}
	}
	return true
}

// LineEncoder encodes lines of UTF-8 text in one charset, reusing its
// transformer.
type LineEncoder struct {
	c    codec
	enc  *encoding.Encoder
	repl rune
}

// NewLineEncoder returns a LineEncoder for the charset.
func (k Codec) NewLineEncoder() *LineEncoder {
	e := &LineEncoder{c: k.c, repl: utf8.RuneError}
	if k.c.kind == kindUTF8 || k.c.kind == kindASCII {
		return e
	}
	e.enc = k.c.encoding().NewEncoder()
	// The stand-in for what the charset cannot hold: U+FFFD where it
	// can, else the JIS geta mark, else the currency sign, else a space;
	// never a character that could join text into a URL, as "?" could.
	for _, r := range []rune{utf8.RuneError, '〓', '¤', ' '} {
		if _, err := e.enc.String(string(r)); err == nil {
			e.repl = r
			break
		}
	}
	return e
}

// Replacement is the character Append writes for one the charset cannot
// hold.
func (e *LineEncoder) Replacement() rune { return e.repl }

// Append appends text s, encoded, to dst. A character the charset cannot
// hold becomes Replacement; replaced says how many did. us-ascii is written as
// UTF-8, its superset.
func (e *LineEncoder) Append(dst, s []byte) (out []byte, replaced int) {
	if e.enc == nil {
		return append(dst, s...), 0
	}
	e.enc.Reset()
	if b, _, err := transform.Append(e.enc, dst, s); err == nil {
		return b, 0
	}
	// Character by character, so one that does not fit costs only itself.
	var tmp [utf8.UTFMax]byte
	for len(s) > 0 {
		r, size := utf8.DecodeRune(s)
		if e.c.kind == kindShiftJIS {
			if b, ok := appendGaiji(dst, r); ok {
				dst, s = b, s[size:]
				continue
			}
		}
		e.enc.Reset()
		b, _, err := transform.Append(e.enc, dst, tmp[:utf8.EncodeRune(tmp[:], r)])
		if err != nil {
			e.enc.Reset()
			b, _, _ = transform.Append(e.enc, dst, tmp[:utf8.EncodeRune(tmp[:], e.repl)])
			replaced++
		}
		dst = b
		s = s[size:]
	}
	return dst, replaced
}
