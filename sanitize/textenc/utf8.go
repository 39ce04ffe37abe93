package textenc

import (
	"bytes"
	"unicode/utf8"

	"golang.org/x/text/transform"
)

const replacement = "\uFFFD"

// utf8Decoder passes valid UTF-8 through, replaces each invalid byte
// sequence (as utf8.DecodeRune delimits them) by U+FFFD and counts it. A
// U+FFFD present in the source is valid text and not counted. A leading
// byte-order mark is dropped.
type utf8Decoder struct {
	invalid *int
	started bool
}

func (d *utf8Decoder) Reset() { d.started = false }

func (d *utf8Decoder) Transform(dst, src []byte, atEOF bool) (nDst, nSrc int, err error) {
	if !d.started {
		if len(src) < 3 && !atEOF && bytes.HasPrefix([]byte("\xEF\xBB\xBF"), src) {
			return 0, 0, transform.ErrShortSrc
		}
		d.started = true
		if bytes.HasPrefix(src, []byte("\xEF\xBB\xBF")) {
			nSrc = 3
		}
	}
	for nSrc < len(src) {
		// Copy the run of ASCII at once.
		if src[nSrc] < utf8.RuneSelf {
			end := nSrc + 1
			for end < len(src) && src[end] < utf8.RuneSelf {
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
		r, size := utf8.DecodeRune(src[nSrc:])
		if r == utf8.RuneError && size == 1 {
			if !atEOF && !utf8.FullRune(src[nSrc:]) {
				return nDst, nSrc, transform.ErrShortSrc
			}
			if len(dst)-nDst < 3 {
				return nDst, nSrc, transform.ErrShortDst
			}
			nDst += copy(dst[nDst:], replacement)
			nSrc++
			if d.invalid != nil {
				*d.invalid++
			}
			continue
		}
		if len(dst)-nDst < size {
			return nDst, nSrc, transform.ErrShortDst
		}
		nDst += copy(dst[nDst:], src[nSrc:nSrc+size])
		nSrc += size
	}
	return nDst, nSrc, nil
}

// countingDecoder wraps an x/text decoder, which replaces invalid input by
// U+FFFD silently, and counts the replacement characters it produces. For
// the charsets these decoders cover (none of which but GB18030 and UTF-16
// can encode U+FFFD itself) every U+FFFD is an invalid sequence.
type countingDecoder struct {
	t       transform.Transformer
	invalid *int
	// c1: the decoder turns a byte it has no character for into that C1
	// control (x/text's Shift_JIS does so with 0x80, as CP932 does),
	// which the text sink drops unseen; it becomes U+FFFD and counts.
	c1 bool
}

func (d *countingDecoder) Reset() { d.t.Reset() }

func (d *countingDecoder) Transform(dst, src []byte, atEOF bool) (nDst, nSrc int, err error) {
	if !d.c1 {
		nDst, nSrc, err = d.t.Transform(dst, src, atEOF)
		if d.invalid != nil && nDst > 0 {
			*d.invalid += bytes.Count(dst[:nDst], []byte(replacement))
		}
		return nDst, nSrc, err
	}
	// A C1 control is two bytes and U+FFFD three: the decoder writes
	// into two thirds of dst, leaving room to widen every one.
	room := len(dst) - len(dst)/3
	nDst, nSrc, err = d.t.Transform(dst[:room], src, atEOF)
	n := bytes.Count(dst[:nDst], []byte("\xc2\x80"))
	if d.invalid != nil {
		*d.invalid += bytes.Count(dst[:nDst], []byte(replacement)) + n
	}
	if n == 0 {
		return nDst, nSrc, err
	}
	// Widen from the end, each C2 80 to EF BF BD.
	w := nDst + n
	for r := nDst; r > 0; {
		if r >= 2 && dst[r-2] == 0xc2 && dst[r-1] == 0x80 {
			w -= 3
			copy(dst[w:], replacement)
			r -= 2
			continue
		}
		r--
		w--
		dst[w] = dst[r]
	}
	return nDst + n, nSrc, err
}
