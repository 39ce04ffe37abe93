package textenc

import (
	"bytes"
	"encoding/base64"
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
	var fs findingSet
	out := decodeText(unfold(raw), &fs)
	return out, fs.list
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
	if !strings.ContainsAny(s, "\r\n") {
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
	segs := splitWords(s)

	// Whitespace between two encoded words is not part of the text.
	var kept []segment
	for i, sg := range segs {
		if !sg.word && isSpace(sg.text) && i > 0 && i+1 < len(segs) && segs[i-1].word && segs[i+1].word {
			continue
		}
		kept = append(kept, sg)
	}

	// Plain text with 8-bit bytes or ISO-2022-JP: one charset for all of it.
	var plainCodec *codec
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

	var b strings.Builder
	invalid := map[string]int{}
	for i := 0; i < len(kept); {
		sg := kept[i]
		if !sg.word {
			if plainCodec == nil {
				b.WriteString(sg.text)
			} else {
				n := 0
				b.WriteString(runDecoder(plainCodec.newDecoder(&n), []byte(sg.text)))
				invalid[plainCodec.name] += n
			}
			i++
			continue
		}
		// A group of adjacent words in one charset.
		j := i + 1
		for j < len(kept) && kept[j].word && kept[j].charset == sg.charset {
			j++
		}
		raw := wordBytes(kept[i:j], fs)
		if trustedUTF8(sg.charset, raw) {
			b.Write(raw)
			i = j
			continue
		}
		text, d, n := decodeBytes(sg.charset, raw)
		for _, f := range d.findings {
			fs.add(f)
		}
		invalid[d.codec.name] += n
		b.WriteString(text)
		i = j
	}
	for cs, n := range invalid {
		if n > 0 {
			fs.add(invalidFinding(n, cs))
		}
	}
	return clean(b.String())
}

func needsDecoding(s string) bool {
	if strings.Contains(s, "=?") {
		return true
	}
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 || s[i] == 0x1b {
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
	dirty := false
	for _, r := range s {
		if r < 0x20 || (r >= 0x7f && r <= 0x9f) {
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

// splitWords cuts s into plain text and encoded words.
func splitWords(s string) []segment {
	var segs []segment
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
	w := segment{word: true, charset: normLabel(s[cs:j])}
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

// wordBytes decodes the transfer encoding of a group of adjacent words in
// one charset and concatenates the bytes.
func wordBytes(words []segment, fs *findingSet) []byte {
	var out []byte
	var b64parts []string
	allB := true
	for _, w := range words {
		if w.folded {
			fs.add(Finding{KindEncodedWordInvalid, "encoded word broken by folding, joined"})
		}
		if !w.b {
			allB = false
			out = append(out, decodeQ(w.text)...)
			continue
		}
		b64parts = append(b64parts, w.text)
		b, ok := decodeB(w.text)
		if !ok {
			fs.add(Finding{KindEncodedWordInvalid, "invalid base64 in encoded word, repaired"})
		}
		out = append(out, b...)
	}
	if allB && len(words) > 1 {
		// Some encoders split the base64 text itself, not the bytes,
		// between words: decode the joined text when the parts do not
		// stand alone.
		for _, p := range b64parts[:len(b64parts)-1] {
			if len(strings.TrimRight(p, "="))%4 != 0 && !strings.HasSuffix(p, "=") {
				if b, ok := decodeB(strings.Join(b64parts, "")); ok {
					return b
				}
				break
			}
		}
	}
	return out
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

// decodeQ decodes RFC 2047 Q: "_" is a space, "=XX" a byte; a stray "="
// stays as it is.
func decodeQ(s string) []byte {
	out := make([]byte, 0, len(s))
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
	out := make([]byte, 0, len(b)+len(b)/2+8)
	var buf [1024]byte
	for {
		nDst, nSrc, err := t.Transform(buf[:], b, true)
		out = append(out, buf[:nDst]...)
		b = b[nSrc:]
		if err == nil || (nDst == 0 && nSrc == 0) {
			break
		}
	}
	return string(out)
}

// trustedUTF8 reports words that are declared UTF-8 and are valid UTF-8
// without ESC or a byte order mark: they decode to themselves, as body
// text does under the same conditions, with no detection.
func trustedUTF8(label string, b []byte) bool {
	c, known := lookup(normLabel(label))
	return known && c.kind == kindUTF8 && utf8.Valid(b) && bytes.IndexByte(b, 0x1b) < 0 && !bytes.HasPrefix(b, []byte("\xEF\xBB\xBF"))
}
