package textenc

// The header fast paths are held to the implementation they replaced:
// what follows is a verbatim copy of ParseMediaType and DecodeHeader as
// they were before the fast paths, with their helpers, every name prefixed
// with ref. It shares only the charset machinery below them (decide,
// lookup, normLabel, the decoders), which the fast paths do not touch.
// FuzzParseMediaTypeReference and FuzzDecodeHeaderReference hold the new
// code to it for every input.

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"
)

// refDecodeHeader decodes a header field value (without the field name) for
// display: lines are unfolded, RFC 2047 encoded words (B and Q, any charset
// this package knows, in any case) are decoded wherever they appear — also
// glued to text or inside quoted strings, as mail clients accept — and
// whitespace between adjacent encoded words is dropped. Adjacent words in
// one charset are decoded together, so a character split between them
// survives. Raw 8-bit text (UTF-8 per RFC 6532, or Shift_JIS/EUC-JP) and
// unencoded ISO-2022-JP are detected. Control characters become spaces and
// the result is trimmed; it is always valid UTF-8. refDecodeHeader does not
// parse addresses: quotes and angle brackets stay as they are.
func refDecodeHeader(raw string) (string, []Finding) {
	var fs refFindingSet
	out := refDecodeText(refUnfold(raw), &fs)
	return out, fs.list
}

// refFindingSet collects findings without duplicates.
type refFindingSet struct{ list []Finding }

func (f *refFindingSet) add(fd Finding) {
	for _, g := range f.list {
		if g == fd {
			return
		}
	}
	f.list = append(f.list, fd)
}

// refUnfold removes CR and LF: folding (RFC 5322 2.2.3) keeps the whitespace
// that follows the line break.
func refUnfold(s string) string {
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

// refSegment is a run of plain text or one encoded word.
type refSegment struct {
	text    string // plain text, or the encoded text of a word
	word    bool
	charset string // normalised label
	b       bool   // B encoding, else Q
	folded  bool   // a B word with whitespace inside (broken by folding)
}

// refDecodeText decodes unfolded header text.
func refDecodeText(s string, fs *refFindingSet) string {
	if !refNeedsDecoding(s) {
		return refClean(s)
	}
	segs := refSplitWords(s)

	// Whitespace between two encoded words is not part of the text.
	var kept []refSegment
	for i, sg := range segs {
		if !sg.word && refIsSpace(sg.text) && i > 0 && i+1 < len(segs) && segs[i-1].word && segs[i+1].word {
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
				b.WriteString(refRunDecoder(plainCodec.newDecoder(&n), []byte(sg.text)))
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
		raw := refWordBytes(kept[i:j], fs)
		if refTrustedUTF8(sg.charset, raw) {
			b.Write(raw)
			i = j
			continue
		}
		text, d, n := refDecodeBytes(sg.charset, raw)
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
	return refClean(b.String())
}

func refNeedsDecoding(s string) bool {
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

func refIsSpace(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] != ' ' && s[i] != '\t' {
			return false
		}
	}
	return true
}

// refClean makes decoded text safe to show and to re-encode: controls
// (C0, DEL, C1) become spaces, surrounding whitespace is trimmed.
func refClean(s string) string {
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

// refSplitWords cuts s into plain text and encoded words.
func refSplitWords(s string) []refSegment {
	var segs []refSegment
	start := 0 // start of the current plain text
	for i := 0; i < len(s); {
		j := strings.Index(s[i:], "=?")
		if j < 0 {
			break
		}
		j += i
		w, end, ok := refParseWord(s, j)
		if !ok {
			i = j + 2
			continue
		}
		if j > start {
			segs = append(segs, refSegment{text: s[start:j]})
		}
		segs = append(segs, w)
		i, start = end, end
	}
	if start < len(s) {
		segs = append(segs, refSegment{text: s[start:]})
	}
	return segs
}

// refParseWord parses "=?charset?e?text?=" at s[i:].
func refParseWord(s string, i int) (refSegment, int, bool) {
	j := i + 2
	cs := j
	for j < len(s) && s[j] != '?' && j-cs < 64 {
		if c := s[j]; c <= ' ' || c >= 0x7f || c == '=' {
			return refSegment{}, 0, false
		}
		j++
	}
	if j+2 >= len(s) || s[j] != '?' || j == cs || s[j+2] != '?' {
		return refSegment{}, 0, false
	}
	w := refSegment{word: true, charset: normLabel(s[cs:j])}
	switch s[j+1] {
	case 'B', 'b':
		w.b = true
	case 'Q', 'q':
	default:
		return refSegment{}, 0, false
	}
	p := j + 3
	k := p
	junk := false
	for k < len(s) && s[k] != '?' {
		c := s[k]
		switch {
		case c == ' ' || c == '\t':
			if !w.b {
				return refSegment{}, 0, false
			}
			w.folded = true
		case c < ' ' || c >= 0x7f:
			return refSegment{}, 0, false
		case w.b && b64val(c) < 0 && c != '=':
			junk = true
		}
		k++
	}
	if k+1 >= len(s) || s[k+1] != '=' || (w.folded && junk) {
		// Whitespace is accepted inside a B word (folding in the middle
		// of it) only when everything else is base64.
		return refSegment{}, 0, false
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

// refWordBytes decodes the transfer encoding of a group of adjacent words in
// one charset and concatenates the bytes.
func refWordBytes(words []refSegment, fs *refFindingSet) []byte {
	var out []byte
	var b64parts []string
	allB := true
	for _, w := range words {
		if w.folded {
			fs.add(Finding{KindEncodedWordInvalid, "encoded word broken by folding, joined"})
		}
		if !w.b {
			allB = false
			out = append(out, refDecodeQ(w.text)...)
			continue
		}
		b64parts = append(b64parts, w.text)
		b, ok := refDecodeB(w.text)
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
				if b, ok := refDecodeB(strings.Join(b64parts, "")); ok {
					return b
				}
				break
			}
		}
	}
	return out
}

// refDecodeB decodes base64 leniently: padding optional, URL-safe letters
// accepted, other junk skipped. ok is false when it had to repair.
func refDecodeB(s string) ([]byte, bool) {
	t := strings.TrimRight(s, "=")
	if b, err := base64.RawStdEncoding.DecodeString(t); err == nil {
		return b, true
	}
	cleaned := make([]byte, 0, len(t))
	for i := 0; i < len(t); i++ {
		switch c := t[i]; {
		case c == '-':
			cleaned = append(cleaned, '+')
		case c == '_':
			cleaned = append(cleaned, '/')
		case b64val(c) >= 0:
			cleaned = append(cleaned, c)
		}
	}
	if len(cleaned)%4 == 1 {
		cleaned = cleaned[:len(cleaned)-1]
	}
	b, _ := base64.RawStdEncoding.DecodeString(string(cleaned))
	return b, false
}

// refDecodeQ decodes RFC 2047 Q: "_" is a space, "=XX" a byte; a stray "="
// stays as it is.
func refDecodeQ(s string) []byte {
	out := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '_':
			out = append(out, ' ')
		case c == '=' && i+2 < len(s) && refHexVal(s[i+1]) >= 0 && refHexVal(s[i+2]) >= 0:
			out = append(out, byte(refHexVal(s[i+1])<<4|refHexVal(s[i+2])))
			i += 2
		default:
			out = append(out, c)
		}
	}
	return out
}

func refHexVal(c byte) int {
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

// refRunDecoder runs a fresh decoder over all of b.
func refRunDecoder(t interface {
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

// refTrustedUTF8 reports words that are declared UTF-8 and are valid UTF-8
// without ESC or a byte order mark: they decode to themselves, as body
// text does under the same conditions, with no detection.
func refTrustedUTF8(label string, b []byte) bool {
	c, known := lookup(normLabel(label))
	return known && c.kind == kindUTF8 && utf8.Valid(b) && bytes.IndexByte(b, 0x1b) < 0 && !bytes.HasPrefix(b, []byte("\xEF\xBB\xBF"))
}

// refMaxSections bounds RFC 2231 continuation numbers.
const refMaxSections = 1000

// refParseMediaType parses a Content-Type or Content-Disposition value like
// mime.ParseMediaType, leniently, as mail clients read them:
//   - RFC 2231 extended values in any charset this package knows
//     (filename*=iso-2022-jp'ja'%1B%24B..., shift_jis'ja'%82%A0) and
//     continuations (filename*0*=, filename*1=), charset detected when
//     the label is missing or wrong;
//   - RFC 2047 encoded words and raw 8-bit text inside values
//     (name="=?UTF-8?B?...?="), as refDecodeHeader decodes them;
//   - missing quotes, unterminated quotes, stray and trailing semicolons.
//
// Parameter names are lowercased. A parameter given more than once
// (boundary twice, or filename and filename* with different values) is a
// param-duplicate finding and the first value in the header is returned:
// the caller decides what the ambiguity means. The boundary value is
// returned exactly as written (no decoding), since it must match the body
// byte for byte. err is non-nil only when the type itself is missing or
// malformed; params are returned even then.
func refParseMediaType(v string) (mediaType string, params map[string]string, findings []Finding, err error) {
	var fs refFindingSet
	v = refUnfold(v)
	mt, rest, _ := strings.Cut(v, ";")
	mt = strings.ToLower(strings.TrimSpace(refStripComment(mt)))
	if i := strings.IndexAny(mt, " \t"); i >= 0 {
		if before, after, ok := strings.Cut(mt, "/"); ok && strings.TrimSpace(before) != "" && !strings.ContainsAny(strings.TrimSpace(after), " \t") {
			// "text / plain"
			mt = strings.TrimSpace(before) + "/" + strings.TrimSpace(after)
		} else {
			// "text/plain charset=utf-8": a ';' is missing.
			fs.add(Finding{KindParamInvalid, "missing ';' after the media type"})
			rest = mt[i:] + ";" + rest
			mt = mt[:i]
		}
	}
	switch {
	case mt == "":
		err = ErrNoMediaType
	case !refValidMediaType(mt):
		err = fmt.Errorf("textenc: invalid media type %q", clip(mt, 64))
		mt = ""
	}
	params = refParseParams(rest, &fs)
	return mt, params, fs.list, err
}

// refStripComment removes an RFC 822 comment that follows a token
// ("us-ascii (Plain text)", RFC 2045 5.1); a parenthesis inside a value
// ("report(1).pdf", "my file (2).txt") is left alone.
func refStripComment(v string) string {
	tok, rest, ok := strings.Cut(strings.TrimSpace(v), " ")
	if ok && !strings.ContainsAny(tok, "()") && refIsComment(strings.TrimSpace(rest)) {
		return tok
	}
	return v
}

func refIsComment(s string) bool {
	return strings.HasPrefix(s, "(") && strings.HasSuffix(s, ")")
}

func refValidMediaType(mt string) bool {
	typ, sub, hasSlash := strings.Cut(mt, "/")
	if !refIsToken(typ) {
		return false
	}
	return !hasSlash || refIsToken(sub)
}

func refIsToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c <= ' ' || c >= 0x7f || strings.IndexByte(`()<>@,;:\"/[]?=`, c) >= 0 {
			return false
		}
	}
	return true
}

// refParamGroup gathers every form of one parameter.
type refParamGroup struct {
	base     string
	first    int // order of first appearance
	plain    []refParamValue
	ext      []refParamValue
	sections map[int][]refParamValue
	secFirst int
}

type refParamValue struct {
	order int
	raw   string
	ext   bool // an RFC 2231 extended (percent-encoded) section
}

func refParseParams(s string, fs *refFindingSet) map[string]string {
	groups := map[string]*refParamGroup{}
	var order []*refParamGroup
	n := 0
	for i := 0; i < len(s); {
		for i < len(s) && (s[i] == ';' || s[i] == ' ' || s[i] == '\t') {
			i++
		}
		if i >= len(s) {
			break
		}
		start := i
		for i < len(s) && s[i] != '=' && s[i] != ';' && s[i] != ' ' && s[i] != '\t' {
			i++
		}
		name := strings.ToLower(s[start:i])
		for i < len(s) && (s[i] == ' ' || s[i] == '\t') {
			i++
		}
		if i >= len(s) || s[i] != '=' {
			fs.add(Finding{KindParamInvalid, fmt.Sprintf("parameter %q without a value", clip(name, 40))})
			for i < len(s) && s[i] != ';' {
				i++
			}
			continue
		}
		i++ // '='
		for i < len(s) && (s[i] == ' ' || s[i] == '\t') {
			i++
		}
		var val string
		if i < len(s) && s[i] == '"' {
			i++
			var b strings.Builder
			closed, jis := false, false
			for i < len(s) {
				c := s[i]
				if c == 0x1b || jis {
					// Raw ISO-2022-JP (old Japanese mailers): its
					// two-byte text may contain '"' and '\\'.
					jis = refJisShift(s[i:], jis)
					b.WriteByte(c)
					i++
					continue
				}
				if c == '\\' && i+1 < len(s) {
					b.WriteByte(s[i+1])
					i += 2
					continue
				}
				i++
				if c == '"' {
					closed = true
					break
				}
				b.WriteByte(c)
			}
			if !closed {
				fs.add(Finding{KindParamInvalid, fmt.Sprintf("unterminated quoted value of %q", clip(name, 40))})
			}
			val = b.String()
			j := i
			for j < len(s) && s[j] != ';' {
				j++
			}
			if after := strings.TrimSpace(s[i:j]); after != "" && !refIsComment(after) {
				fs.add(Finding{KindParamInvalid, fmt.Sprintf("text after the quoted value of %q ignored", clip(name, 40))})
			}
			i = j
		} else {
			j, jis := i, false
			for j < len(s) && (s[j] != ';' || jis) {
				if s[j] == 0x1b || jis {
					jis = refJisShift(s[j:], jis)
				}
				j++
			}
			val = strings.TrimSpace(refStripComment(s[i:j]))
			i = j
		}
		if name == "" {
			fs.add(Finding{KindParamInvalid, "parameter without a name"})
			continue
		}

		base, ext, section := refSplitParamName(name)
		if base == "" {
			fs.add(Finding{KindParamInvalid, "parameter without a name"})
			continue
		}
		if section >= refMaxSections {
			fs.add(Finding{KindParamInvalid, fmt.Sprintf("continuation number of %q too large", clip(name, 40))})
			continue
		}
		g := groups[base]
		if g == nil {
			g = &refParamGroup{base: base, first: n, secFirst: -1}
			groups[base] = g
			order = append(order, g)
		}
		pv := refParamValue{order: n, raw: val, ext: ext}
		switch {
		case section >= 0:
			if g.sections == nil {
				g.sections = map[int][]refParamValue{}
				g.secFirst = n
			}
			g.sections[section] = append(g.sections[section], pv)
		case ext:
			g.ext = append(g.ext, pv)
		default:
			g.plain = append(g.plain, pv)
		}
		n++
	}

	params := make(map[string]string, len(order))
	for _, g := range order {
		params[g.base] = g.resolve(fs)
	}
	return params
}

// refJisShift returns the ISO-2022-JP shift state after the byte at s[0]:
// a designation of a two-byte or katakana set shifts out of ASCII, ESC ( B
// or ESC ( J back, a line end resets.
func refJisShift(s string, in bool) bool {
	switch {
	case s[0] == '\r' || s[0] == '\n':
		return false
	case s[0] != 0x1b:
		return in
	case isJISEscape([]byte(s[:min(len(s), 4)])):
		return true
	case strings.HasPrefix(s, "\x1b(B"), strings.HasPrefix(s, "\x1b(J"):
		return false
	}
	return in
}

// refSplitParamName splits "filename*1*" into base "filename", ext true,
// section 1; section is -1 when there is none.
func refSplitParamName(name string) (base string, ext bool, section int) {
	base, section = name, -1
	if strings.HasSuffix(base, "*") {
		ext = true
		base = base[:len(base)-1]
	}
	if k := strings.LastIndexByte(base, '*'); k >= 0 {
		num := base[k+1:]
		if num != "" && len(num) <= 6 && strings.Trim(num, "0123456789") == "" {
			section, _ = strconv.Atoi(num)
			base = base[:k]
		}
	}
	return base, ext, section
}

// candidate values of a parameter, in header order.
type refParamCandidate struct {
	order int
	form  string
	value string
}

func (g *refParamGroup) resolve(fs *refFindingSet) string {
	var cands []refParamCandidate
	for _, p := range g.plain {
		cands = append(cands, refParamCandidate{p.order, g.base, g.decodePlain(p.raw, fs)})
	}
	for _, p := range g.ext {
		cands = append(cands, refParamCandidate{p.order, g.base + "*", refDecodeExtended(p.raw, true, fs)})
	}
	if g.sections != nil {
		cands = append(cands, refParamCandidate{g.secFirst, g.base + "*0...", g.joinSections(fs)})
	}
	sort.SliceStable(cands, func(i, j int) bool { return cands[i].order < cands[j].order })

	if len(g.plain) > 1 {
		fs.add(refDupFinding(g.base, len(g.plain), refValuesOf(cands, g.base)))
	}
	if len(g.ext) > 1 {
		fs.add(refDupFinding(g.base+"*", len(g.ext), refValuesOf(cands, g.base+"*")))
	}
	if len(g.ext) > 0 && g.sections != nil {
		fs.add(Finding{KindParamDuplicate, fmt.Sprintf("%s given both as %s* and in continuations", g.base, g.base)})
	}
	if len(g.plain) > 0 && (len(g.ext) > 0 || g.sections != nil) {
		for _, c := range cands[1:] {
			if c.value != cands[0].value {
				fs.add(Finding{KindParamDuplicate, fmt.Sprintf("%s and %s differ: %q, %q; the first is used",
					cands[0].form, c.form, clip(cands[0].value, 64), clip(c.value, 64))})
				break
			}
		}
	}
	return cands[0].value
}

func refValuesOf(cands []refParamCandidate, form string) []string {
	var out []string
	for _, c := range cands {
		if c.form == form {
			out = append(out, c.value)
		}
	}
	return out
}

func refDupFinding(form string, n int, values []string) Finding {
	same := true
	for _, v := range values[1:] {
		if v != values[0] {
			same = false
		}
	}
	if same {
		return Finding{KindParamDuplicate, fmt.Sprintf("%s given %d times with the same value", form, n)}
	}
	quoted := make([]string, len(values))
	for i, v := range values {
		quoted[i] = strconv.Quote(clip(v, 64))
	}
	return Finding{KindParamDuplicate, fmt.Sprintf("%s given %d times: %s; the first is used", form, n, strings.Join(quoted, ", "))}
}

// decodePlain decodes RFC 2047 words and 8-bit text in a plain value; the
// boundary stays byte for byte.
func (g *refParamGroup) decodePlain(v string, fs *refFindingSet) string {
	if g.base == "boundary" || !refNeedsDecoding(v) {
		return v
	}
	return refDecodeText(v, fs)
}

// refDecodeExtended decodes an RFC 2231 value "charset'lang'%XX..." (withCS)
// or a later continuation section (percent-encoding only, !withCS).
func refDecodeExtended(v string, withCS bool, fs *refFindingSet) string {
	cs, text := "", v
	if withCS {
		var ok bool
		cs, text, ok = refSplitCharset(v)
		if !ok {
			fs.add(Finding{KindParamInvalid, "RFC 2231 value without charset'language' prefix"})
		}
	}
	return refDecodeCharset(cs, refPercentDecode(text), fs)
}

// refSplitCharset splits "charset'lang'text".
func refSplitCharset(v string) (cs, text string, ok bool) {
	i := strings.IndexByte(v, '\'')
	if i < 0 {
		return "", v, false
	}
	j := strings.IndexByte(v[i+1:], '\'')
	if j < 0 {
		return "", v, false
	}
	return v[:i], v[i+1+j+1:], true
}

func refDecodeCharset(cs string, b []byte, fs *refFindingSet) string {
	text, d, n := refDecodeBytes(cs, b)
	for _, f := range d.findings {
		fs.add(f)
	}
	if n > 0 {
		fs.add(invalidFinding(n, d.codec.name))
	}
	return refClean(text)
}

// refPercentDecode decodes %XX; a '%' not followed by two hex digits stays.
func refPercentDecode(s string) []byte {
	out := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		if s[i] == '%' && i+2 < len(s) && refHexVal(s[i+1]) >= 0 && refHexVal(s[i+2]) >= 0 {
			out = append(out, byte(refHexVal(s[i+1])<<4|refHexVal(s[i+2])))
			i += 2
			continue
		}
		out = append(out, s[i])
	}
	return out
}

// joinSections concatenates RFC 2231 continuations in number order.
func (g *refParamGroup) joinSections(fs *refFindingSet) string {
	nums := make([]int, 0, len(g.sections))
	for k := range g.sections {
		nums = append(nums, k)
	}
	sort.Ints(nums)
	for i, k := range nums {
		if k != i {
			fs.add(Finding{KindParamInvalid, fmt.Sprintf("continuations of %q are not numbered 0, 1, 2...", clip(g.base, 40))})
			break
		}
	}
	anyExt := false
	for _, k := range nums {
		if len(g.sections[k]) > 1 {
			fs.add(Finding{KindParamDuplicate, fmt.Sprintf("%s*%d given %d times; the first is used", g.base, k, len(g.sections[k]))})
		}
		if g.sections[k][0].ext {
			anyExt = true
		}
	}
	if !anyExt {
		// Plain continuations: ASCII, or encoded words split over them.
		var b strings.Builder
		for _, k := range nums {
			b.WriteString(g.sections[k][0].raw)
		}
		return g.decodePlain(b.String(), fs)
	}
	cs := ""
	var raw []byte
	for i, k := range nums {
		p := g.sections[k][0]
		text := p.raw
		if i == 0 && p.ext {
			var ok bool
			cs, text, ok = refSplitCharset(p.raw)
			if !ok {
				fs.add(Finding{KindParamInvalid, "RFC 2231 value without charset'language' prefix"})
			}
		}
		if p.ext {
			raw = append(raw, refPercentDecode(text)...)
		} else {
			raw = append(raw, text...)
		}
	}
	return refDecodeCharset(cs, raw, fs)
}

// refDecodeBytes decodes a complete byte string declared as label, with the
// same detection as Reader.
func refDecodeBytes(label string, b []byte) (string, decision, int) {
	d := decide(label, b, true)
	invalid := 0
	out := refRunDecoder(d.codec.newDecoder(&invalid), b)
	return out, d, invalid
}
