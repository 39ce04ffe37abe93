package textenc

import (
	"bytes"
	"encoding/base64"
	"slices"
	"strings"
	"unicode/utf8"
)

// Why not mime.WordDecoder: it decodes each encoded word on its own, so a
// multibyte character (or an ISO-2022-JP shift state) split across two
// words of the same charset is lost, and it rejects the malformed words
// (glued to text, broken by folding, bad padding) that mail clients show
// anyway. The grammar is small enough to scan here in one linear pass.

// DecodeHeader decodes a header field value (without the field name) for
// display: lines are unfolded, RFC 2047 encoded words (B and Q, any charset
// this package knows, in any case) are decoded wherever they appear — also
// glued to text or inside quoted strings, as mail clients accept — and
// whitespace between adjacent encoded words is dropped. Adjacent words in
// one charset are decoded together, so a character split between them
// survives. Raw 8-bit text (UTF-8 per RFC 6532, or Shift_JIS/EUC-JP) and
// unencoded ISO-2022-JP are detected. Control characters become spaces and
// the result is trimmed; it is always valid UTF-8. DecodeHeader does not
// parse addresses: quotes and angle brackets stay as they are.
func DecodeHeader(raw string) (string, []Finding) {
	if printableASCII(raw) {
		// Nothing to unfold, decode or clean: most subjects and names.
		return strings.TrimSpace(raw), nil
	}
	var fs findingSet
	out := decodeText(unfold(raw), &fs)
	return out, fs.list
}

// printableASCII reports text of the bytes 0x20 to 0x7e only, with no "=?".
func printableASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 0x20 || c >= 0x7f || c == '=' && i+1 < len(s) && s[i+1] == '?' {
			return false
		}
	}
	return true
}

// findingSet collects findings without duplicates.
type findingSet struct{ list []Finding }

func (f *findingSet) add(fd Finding) {
	for _, g := range f.list {
		if g == fd {
			return
		}
	}
	f.list = append(f.list, fd)
}

// unfold removes CR and LF: folding (RFC 5322 2.2.3) keeps the whitespace
// that follows the line break.
func unfold(s string) string {
	if strings.IndexByte(s, '\r') < 0 && strings.IndexByte(s, '\n') < 0 {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); i++ {
		if s[i] != '\r' && s[i] != '\n' {
			b.WriteByte(s[i])
		}
	}
	return b.String()
}

// segment is a run of plain text or one encoded word.
type segment struct {
	text    string // plain text, or the encoded text of a word
	word    bool
	charset string // normalised label
	b       bool   // B encoding, else Q
	folded  bool   // a B word with whitespace inside (broken by folding)
}

// decodeText decodes unfolded header text.
func decodeText(s string, fs *findingSet) string {
	if !needsDecoding(s) {
		return clean(s)
	}
	// A header has a few words: their segments, and the bytes of one
	// group of them, fit on the stack.
	var segBuf [8]segment
	var wordBuf [256]byte
	segs := splitWords(segBuf[:0], s)

	// Whitespace between two encoded words is not part of the text. The
	// filter writes behind where it reads, so segs[i-1] and segs[i+1] are
	// still the neighbours as split.
	kept := segs[:0]
	for i, sg := range segs {
		if !sg.word && isSpace(sg.text) && i > 0 && i+1 < len(segs) && segs[i-1].word && segs[i+1].word {
			continue
		}
		kept = append(kept, sg)
	}

	// Plain text with 8-bit bytes or ISO-2022-JP: one charset for all of it.
	var plainCodec *codec
	if plain8bit(kept) {
		var rawText []byte
		for _, sg := range kept {
			if !sg.word {
				rawText = append(rawText, sg.text...)
			}
		}
		if high, esc := scanWindow(rawText); high || esc {
			d := decide("", rawText, true)
			plainCodec = &d.codec
			if d.codec.kind != kindUTF8 {
				fs.add(Finding{KindMissing, "unencoded header text, decoded as " + d.codec.name})
			}
		}
	}

	var b strings.Builder
	b.Grow(len(s))
	var countBuf [4]charsetCount
	invalid := countBuf[:0]
	for i := 0; i < len(kept); {
		sg := kept[i]
		if !sg.word {
			if plainCodec == nil {
				b.WriteString(sg.text)
			} else {
				n := 0
				b.WriteString(runDecoder(plainCodec.newDecoder(&n), []byte(sg.text)))
				invalid = addCount(invalid, plainCodec.name, n)
			}
			i++
			continue
		}
		// A group of adjacent words in one charset.
		j := i + 1
		for j < len(kept) && kept[j].word && kept[j].charset == sg.charset {
			j++
		}
		raw := wordBytes(wordBuf[:0], kept[i:j], fs)
		if trustedUTF8(sg.charset, raw) {
			b.Write(raw)
			i = j
			continue
		}
		// The decoders keep their input: a copy, so that wordBuf can
		// stay on the stack.
		text, d, n := decodeBytes(sg.charset, bytes.Clone(raw))
		for _, f := range d.findings {
			fs.add(f)
		}
		invalid = addCount(invalid, d.codec.name, n)
		b.WriteString(text)
		i = j
	}
	for _, c := range invalid {
		if c.n > 0 {
			fs.add(invalidFinding(c.n, c.name))
		}
	}
	return clean(b.String())
}

// plain8bit reports plain text with a byte that only a charset decision
// can tell: 8-bit, or ESC.
func plain8bit(segs []segment) bool {
	for _, sg := range segs {
		if sg.word {
			continue
		}
		for i := 0; i < len(sg.text); i++ {
			if sg.text[i] >= 0x80 || sg.text[i] == 0x1b {
				return true
			}
		}
	}
	return false
}

// charsetCount counts the invalid sequences decoded in one charset.
type charsetCount struct {
	name string
	n    int
}

// addCount adds n to name's count, keeping charsets in order of first
// appearance so that the findings come out in a stable order.
func addCount(counts []charsetCount, name string, n int) []charsetCount {
	for i := range counts {
		if counts[i].name == name {
			counts[i].n += n
			return counts
		}
	}
	return append(counts, charsetCount{name, n})
}

func needsDecoding(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c >= 0x80 || c == 0x1b || c == '=' && i+1 < len(s) && s[i+1] == '?' {
			return true
		}
	}
	return false
}

func isSpace(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] != ' ' && s[i] != '\t' {
			return false
		}
	}
	return true
}

// clean makes decoded text safe to show and to re-encode: controls
// (C0, DEL, C1) become spaces, surrounding whitespace is trimmed.
func clean(s string) string {
	// A C1 control is C2 80 to C2 9F in UTF-8; C2 is never a
	// continuation byte, so a byte scan finds exactly the runes that a
	// rune scan does.
	dirty := false
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c == 0x7f || c == 0xc2 && i+1 < len(s) && s[i+1] >= 0x80 && s[i+1] <= 0x9f {
			dirty = true
			break
		}
	}
	if dirty {
		s = strings.Map(func(r rune) rune {
			if r < 0x20 || (r >= 0x7f && r <= 0x9f) {
				return ' '
			}
			return r
		}, s)
	}
	if !utf8.ValidString(s) {
		s = strings.ToValidUTF8(s, replacement)
	}
	return strings.TrimSpace(s)
}

// splitWords appends the plain text and encoded words of s to segs.
func splitWords(segs []segment, s string) []segment {
	start := 0 // start of the current plain text
	for i := 0; i < len(s); {
		j := strings.Index(s[i:], "=?")
		if j < 0 {
			break
		}
		j += i
		w, end, ok := parseWord(s, j)
		if !ok {
			i = j + 2
			continue
		}
		if j > start {
			segs = append(segs, segment{text: s[start:j]})
		}
		segs = append(segs, w)
		i, start = end, end
	}
	if start < len(s) {
		segs = append(segs, segment{text: s[start:]})
	}
	return segs
}

// parseWord parses "=?charset?e?text?=" at s[i:].
func parseWord(s string, i int) (segment, int, bool) {
	j := i + 2
	cs := j
	for j < len(s) && s[j] != '?' && j-cs < 64 {
		if c := s[j]; c <= ' ' || c >= 0x7f || c == '=' {
			return segment{}, 0, false
		}
		j++
	}
	if j+2 >= len(s) || s[j] != '?' || j == cs || s[j+2] != '?' {
		return segment{}, 0, false
	}
	w := segment{word: true, charset: wordLabel(s[cs:j])}
	switch s[j+1] {
	case 'B', 'b':
		w.b = true
	case 'Q', 'q':
	default:
		return segment{}, 0, false
	}
	p := j + 3
	k := p
	junk := false
	for k < len(s) && s[k] != '?' {
		c := s[k]
		switch {
		case c == ' ' || c == '\t':
			if !w.b {
				return segment{}, 0, false
			}
			w.folded = true
		case c < ' ' || c >= 0x7f:
			return segment{}, 0, false
		case w.b && b64val(c) < 0 && c != '=':
			junk = true
		}
		k++
	}
	if k+1 >= len(s) || s[k+1] != '=' || (w.folded && junk) {
		// Whitespace is accepted inside a B word (folding in the middle
		// of it) only when everything else is base64.
		return segment{}, 0, false
	}
	w.text = s[p:k]
	if w.folded {
		w.text = strings.Map(func(r rune) rune {
			if r == ' ' || r == '\t' {
				return -1
			}
			return r
		}, w.text)
	}
	return w, k + 2, true
}

// wordLabel is normLabel for the charset of an encoded word, without
// lowercasing into a new string the labels that mail writes in capitals.
func wordLabel(label string) string {
	for _, l := range [...]string{"utf-8", "iso-2022-jp", "shift_jis", "us-ascii", "iso-8859-1", "euc-jp", "windows-1252"} {
		if asciiEqualFold(label, l) {
			return l
		}
	}
	return normLabel(label)
}

// asciiEqualFold is strings.EqualFold for ASCII: no Unicode folding lets
// "ſhift_jis" or "\u212a" match, where normLabel would not lowercase them.
func asciiEqualFold(s, lower string) bool {
	if len(s) != len(lower) {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != lower[i] {
			return false
		}
	}
	return true
}

// wordBytes appends the transfer-decoded bytes of a group of adjacent
// words in one charset to dst.
func wordBytes(dst []byte, words []segment, fs *findingSet) []byte {
	start := len(dst)
	allB := true
	for _, w := range words {
		if w.folded {
			fs.add(Finding{KindEncodedWordInvalid, "encoded word broken by folding, joined"})
		}
		if !w.b {
			allB = false
			dst = appendQ(dst, w.text)
			continue
		}
		var ok bool
		dst, ok = appendB(dst, w.text)
		if !ok {
			fs.add(Finding{KindEncodedWordInvalid, "invalid base64 in encoded word, repaired"})
		}
	}
	if allB && len(words) > 1 {
		// Some encoders split the base64 text itself, not the bytes,
		// between words: decode the joined text when the parts do not
		// stand alone.
		for _, w := range words[:len(words)-1] {
			if p := w.text; len(strings.TrimRight(p, "="))%4 != 0 && !strings.HasSuffix(p, "=") {
				var joined strings.Builder
				for _, w := range words {
					joined.WriteString(w.text)
				}
				if b, ok := decodeB(joined.String()); ok {
					return append(dst[:start], b...)
				}
				break
			}
		}
	}
	return dst
}

// appendB appends decodeB(s) to dst.
func appendB(dst []byte, s string) ([]byte, bool) {
	t := strings.TrimRight(s, "=")
	// Decode wants bytes; a word's text fits in src's stack array.
	var srcBuf [128]byte
	src := append(srcBuf[:0], t...)
	n := base64.RawStdEncoding.DecodedLen(len(src))
	dst = slices.Grow(dst, n)
	if m, err := base64.RawStdEncoding.Decode(dst[len(dst):len(dst)+n], src); err == nil {
		return dst[:len(dst)+m], true
	}
	b, _ := decodeB(s)
	return append(dst, b...), false
}

// decodeB decodes base64 leniently: padding optional, URL-safe letters
// accepted, other junk skipped. ok is false when it had to repair.
func decodeB(s string) ([]byte, bool) {
	t := strings.TrimRight(s, "=")
	if b, err := base64.RawStdEncoding.DecodeString(t); err == nil {
		return b, true
	}
	clean := make([]byte, 0, len(t))
	for i := 0; i < len(t); i++ {
		switch c := t[i]; {
		case c == '-':
			clean = append(clean, '+')
		case c == '_':
			clean = append(clean, '/')
		case b64val(c) >= 0:
			clean = append(clean, c)
		}
	}
	if len(clean)%4 == 1 {
		clean = clean[:len(clean)-1]
	}
	b, _ := base64.RawStdEncoding.DecodeString(string(clean))
	return b, false
}

// appendQ appends the RFC 2047 Q decoding of s to out: "_" is a space,
// "=XX" a byte; a stray "=" stays as it is.
func appendQ(out []byte, s string) []byte {
	out = slices.Grow(out, len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '_':
			out = append(out, ' ')
		case c == '=' && i+2 < len(s) && hexVal(s[i+1]) >= 0 && hexVal(s[i+2]) >= 0:
			out = append(out, byte(hexVal(s[i+1])<<4|hexVal(s[i+2])))
			i += 2
		default:
			out = append(out, c)
		}
	}
	return out
}

func hexVal(c byte) int {
	switch {
	case c >= '0' && c <= '9':
		return int(c - '0')
	case c >= 'a' && c <= 'f':
		return int(c-'a') + 10
	case c >= 'A' && c <= 'F':
		return int(c-'A') + 10
	}
	return -1
}

// runDecoder runs a fresh decoder over all of b.
func runDecoder(t interface {
	Transform(dst, src []byte, atEOF bool) (int, int, error)
}, b []byte) string {
	// The decoder writes into the tail of out, a window of the same size
	// as the separate buffer it used to fill and copy from, so it sees
	// the same calls: one allocation fewer, and for a header's few bytes
	// no more memory than that buffer.
	const window = 1024
	out := make([]byte, 0, max(window, len(b)+len(b)/2+8))
	for {
		out = slices.Grow(out, window)
		nDst, nSrc, err := t.Transform(out[len(out):len(out)+window], b, true)
		out = out[:len(out)+nDst]
		b = b[nSrc:]
		if err == nil || (nDst == 0 && nSrc == 0) {
			break
		}
	}
	return string(out)
}

var utf8Codec, utf8Known = lookup("utf-8")

// trustedUTF8 reports words that are declared UTF-8 and are valid UTF-8
// without ESC or a byte order mark: they decode to themselves, as body
// text does under the same conditions, with no detection.
func trustedUTF8(label string, b []byte) bool {
	var c codec
	known := false
	if label == "utf-8" {
		// wordLabel's spelling of the most common label: resolved once.
		c, known = utf8Codec, utf8Known
	} else {
		c, known = lookup(normLabel(label))
	}
	return known && c.kind == kindUTF8 && utf8.Valid(b) && bytes.IndexByte(b, 0x1b) < 0 && !bytes.HasPrefix(b, []byte("\xEF\xBB\xBF"))
}
