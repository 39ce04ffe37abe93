package textenc

import (
	"bytes"
	"fmt"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/korean"
	"golang.org/x/text/encoding/simplifiedchinese"
	"golang.org/x/text/encoding/traditionalchinese"

	"golang.org/x/text/transform"
)

// Finding is one repair or problem met while decoding. Kinds:
// charset-mislabeled (declared one charset, decoded as another),
// charset-missing (no charset declared but 8-bit or ISO-2022-JP text),
// charset-unknown (a label no decoder knows), charset-invalid (bytes that
// became U+FFFD), encoded-word-invalid (an RFC 2047 word that had to be
// repaired or could not be decoded), param-duplicate and param-invalid
// (ParseMediaType).
type Finding struct {
	Kind, Detail string
}

// Finding kinds.
const (
	KindMislabeled         = "charset-mislabeled"
	KindMissing            = "charset-missing"
	KindUnknown            = "charset-unknown"
	KindInvalid            = "charset-invalid"
	KindEncodedWordInvalid = "encoded-word-invalid"
	KindParamDuplicate     = "param-duplicate"
	KindParamInvalid       = "param-invalid"
)

// detectWindow is how much of the input detection looks at to find
// 8-bit bytes or escape sequences; scoreWindow is how much of it, from the
// first such byte, candidates are decoded and scored on.
const (
	detectWindow = 64 << 10
	scoreWindow  = 16 << 10
)

// evalWindow cuts window to scoreWindow bytes from its first 8-bit byte or
// ESC.
func evalWindow(window []byte, atEOF bool) ([]byte, bool) {
	start := 0
	for start < len(window) && window[start] < 0x80 && window[start] != 0x1b {
		start++
	}
	// Keep a little ASCII before it: harmless, and readers of the
	// scores see the same text a person would.
	start = max(0, start-64)
	if len(window)-start > scoreWindow {
		return window[start : start+scoreWindow], false
	}
	return window[start:], atEOF
}

// decision is the outcome of detection.
type decision struct {
	codec    codec
	findings []Finding
	// pending: the window was plain ASCII, which says nothing about the
	// charset; decide again at the first 8-bit byte or ESC.
	pending bool
}

// candidate is one charset tried on the window.
type candidate struct {
	codec codec
	errs  int     // invalid sequences
	score float64 // plausibility of the decoded text
}

// cost orders candidates: an invalid sequence outweighs any plausibility
// a few characters can earn.
func (c candidate) cost() float64 { return 8*float64(c.errs) - c.score }

// decide picks the codec for input beginning with window (all of the input
// when atEOF) declared with label.
func decide(label string, window []byte, atEOF bool) decision {
	l := normLabel(label)
	declared, known := lookup(l)
	missing := l == ""
	result := func(c codec) decision {
		d := decision{codec: c}
		switch {
		case missing:
			if c.kind != kindASCII {
				d.findings = append(d.findings, Finding{KindMissing, "no charset declared, decoded as " + c.name})
			}
		case !known:
			d.findings = append(d.findings, Finding{KindUnknown, fmt.Sprintf("unknown charset %q, decoded as %s", clip(l, 40), c.name)})
		case c.name != declared.name:
			d.findings = append(d.findings, Finding{KindMislabeled, fmt.Sprintf("declared %s, decoded as %s", clip(l, 40), c.name)})
		}
		return d
	}

	// A UTF-16 label on bytes with a CR LF and no NUL: every line end,
	// space and ASCII letter of UTF-16 has a NUL byte, so this is 8-bit
	// or ASCII text (charset="unicode" from a misconfigured sender),
	// which the label made CJK and private-use mojibake with no
	// finding. It counts as no label.
	void := known && strings.HasPrefix(declared.name, "utf-16") &&
		bytes.Contains(window, []byte("\r\n")) && bytes.IndexByte(window, 0) < 0
	if known && !declared.asciiCompatible() && !void {
		// "utf-16" without a byte order mark is big-endian (RFC 2781),
		// but Windows writes it little-endian without one: every line
		// end and ASCII character then has its NUL after it
		// ("\r\x00\n\x00"), which read big-endian is CJK and
		// private-use mojibake with no finding. The line ends decide.
		if declared.name == "utf-16" && littleEndianNULs(window) {
			le, _ := lookup("utf-16le")
			return result(le)
		}
		return decision{codec: declared} // UTF-16, UTF-7 ...: trust the label
	}

	high, esc := scanWindow(window)
	if !high && !esc {
		c := codecASCII
		if known && !void {
			c = declared
		}
		d := result(c)
		d.pending = true
		return d
	}
	if !high {
		// ISO-2022-JP escape sequences in 7-bit text.
		return result(codecISO2022JP)
	}

	// Byte-order marks decide by themselves where the label is weak.
	weak := missing || !known || void || declared.kind == kindASCII || declared.kind == kindISO2022JP
	if bytes.HasPrefix(window, []byte("\xEF\xBB\xBF")) && (weak || declared.kind == kindShiftJIS || declared.kind == kindEUCJP) {
		return result(codecUTF8)
	}
	if weak && (bytes.HasPrefix(window, []byte("\xFE\xFF")) || bytes.HasPrefix(window, []byte("\xFF\xFE"))) {
		return result(codecUTF16)
	}

	// Score the candidates on the text from the first byte that matters:
	// 16 KiB is thousands of characters, and detection then costs a
	// bounded share of a large body.
	window, atEOF = evalWindow(window, atEOF)
	cands := []candidate{{codec: codecUTF8}, {codec: codecShiftJIS}, {codec: codecEUCJP}}
	if esc {
		cands = append(cands, candidate{codec: codecISO2022JP})
	}
	for i := range cands {
		cands[i] = evaluate(cands[i].codec, window, atEOF)
	}
	best := cands[0]
	for _, c := range cands[1:] {
		if c.cost() < best.cost() {
			best = c
		}
	}
	if e := cands[2]; best.codec.kind == kindShiftJIS && e.errs == 0 && e.cost() <= best.cost()+1 && eucNotKana(window, atEOF) {
		best = e
	}

	switch {
	case known && (declared.kind == kindUTF8 || declared.kind == kindShiftJIS || declared.kind == kindEUCJP):
		// A Japanese or Unicode label: keep it unless another reading is
		// clearly better.
		var dc candidate
		for _, c := range cands {
			if c.codec.kind == declared.kind {
				dc = c
			}
		}
		// The other reading must also be plausible text by itself, so
		// that one undecodable character (a carrier emoji) does not
		// turn a short text into another charset's mojibake.
		margin := 4 + 0.1*abs(dc.score)
		if best.codec.kind != declared.kind && best.cost() < dc.cost()-margin && best.score >= 3 {
			return result(best.codec)
		}
		// Too short to earn that (a name, a file name), but the label
		// reads as invalid at least every other character where another
		// reading has none: "髙橋" in Shift_JIS labelled UTF-8 would be
		// four U+FFFD. One bad character among good ones (a carrier
		// emoji) keeps the label, and so does Latin-1 under UTF-8,
		// single accented letters ("Ärger") that read as half-width
		// katakana.
		if best.codec.kind != declared.kind && dc.errs > 0 && best.errs == 0 && best.score > 0 &&
			2*dc.errs >= validRunes(declared, window, atEOF) && !western(window) {
			return result(best.codec)
		}
		// One kanji in UTF-8 under a Shift_JIS or EUC-JP label: valid
		// in both, but in the label a rare kanji beside a half-width
		// katakana ("日" is "譌･", "殿" "谿ｿ"), which scores next to
		// nothing, where valid UTF-8 of three bytes is strong evidence.
		if u := cands[0]; declared.kind != kindUTF8 && u.errs == 0 && u.score >= 3 && dc.score <= 1 && utf8Evidence(window) {
			return result(codecUTF8)
		}
		return decision{codec: declared}

	case latin1Family(declared) && unreadable(declared, window):
		// Latin-1 with windows-1252's quotes, dashes and € (what mail
		// clients and browsers read the label as): Western words around
		// them, where Shift_JIS read the same way is symbols ("ƒeƒXƒg").
		// Anything else is read as if no label were given.
		if lat := evaluate(codecCP1252, window, atEOF); lat.errs == 0 && lat.score >= 0 && western(window) {
			return result(codecCP1252)
		}

	case known && declared.kind != kindASCII && declared.kind != kindISO2022JP && !unreadable(declared, window) && !void:
		// Any other ASCII-compatible label (ISO-8859-*, windows-125*, GB,
		// Big5, EUC-KR, KOI8...): only valid UTF-8 overrides it.
		if u := cands[0]; u.errs == 0 && utf8Evidence(window) {
			return result(codecUTF8)
		}
		// A Chinese or Korean label on Japanese text: EUC-JP shares the
		// EUC layout and Shift_JIS pairs are valid GBK, so the label's
		// reading is mojibake without an error ("お世話" as "お坤厦",
		// "はい" as "偼偄"). The Japanese reading must be clearly
		// better, as the others must be where no label is given: short
		// text that reads well both ways ("了解", "東京都") keeps the
		// label, and so does Chinese or Korean text.
		if eastAsian(declared) && best.errs == 0 && best.codec.kind != kindUTF8 {
			jp, w := best, window
			if best.codec.kind == kindEUCJP && declared.enc != traditionalchinese.Big5 && declared.enc != korean.EUCKR {
				// GB2312 has the kana, full-width forms and symbols
				// where EUC-JP has them: Japanese written in GBK reads
				// them alike, and only the kanji tell the two apart
				// ("了解しました" in GBK is "阻盾しました" in EUC-JP).
				w = kanjiOnly(window)
				jp = evaluate(codecEUCJP, w, atEOF)
			}
			if dc := evaluate(declared, w, atEOF); jp.errs == 0 && jp.cost() < dc.cost()-3-0.1*abs(dc.score) {
				return result(best.codec)
			}
		}
		// A single-byte label (ISO-8859-*, windows-125*) on text that
		// reads cleanly and plausibly as Japanese.
		if _, single := declared.enc.(*charmap.Charmap); single && best.errs == 0 && best.codec.kind != kindUTF8 &&
			best.score >= 6 && best.score >= 0.4*float64(highBytes(window)) && !western(window) {
			return result(best.codec)
		}
		// A short Japanese text (a name, "はい") earns less than that,
		// but in a Latin-1 label's reading it is symbols and letters
		// among symbols ("¤Ï¤¤"), which Western words are not. Nor are
		// "ƒeƒXƒg", Shift_JIS katakana with ASCII trail bytes, though
		// their 8-bit bytes stand alone as accented letters do.
		if latin1Family(declared) && best.errs == 0 && best.codec.kind != kindUTF8 &&
			best.score >= 2 && best.score >= 0.4*float64(highBytes(window)) &&
			evaluate(codecCP1252, window, atEOF).score < 0 {
			return result(best.codec)
		}
		return decision{codec: declared}
	}

	// us-ascii, ISO-2022-JP with 8-bit bytes, missing or unknown label:
	// the best reading, also among Chinese, Korean (so that a Korean text
	// is not taken for clean EUC-JP) and Western ones (accented letters
	// followed by ASCII letters are valid Shift_JIS pairs). Short
	// kanji-only text reads as Chinese or Korean about as well as
	// Japanese (the EUC encodings share their layout); this is a
	// Japanese gateway, so the others need to be clearly better.
	jp := best
	for _, c := range []codec{codecGBK, codecBig5, codecEUCKR, codecCP1252} {
		cand := evaluate(c, window, atEOF)
		if cand.score > 0 && cand.cost() < best.cost() && cand.cost() < jp.cost()-3-0.1*abs(jp.score) {
			best = cand
		}
	}
	return result(best.codec)
}

// littleEndianNULs reports UTF-16 without a byte order mark whose line
// ends are little-endian ("\n\x00" at an even offset) rather than
// big-endian ("\x00\n"). Line ends decide, not NUL bytes in general:
// big-endian U+3000 (the ideographic space) and 一 have their NUL at an
// odd offset too. Text without a line end (a header's encoded word)
// stays big-endian.
func littleEndianNULs(b []byte) bool {
	if bytes.HasPrefix(b, []byte("\xFE\xFF")) || bytes.HasPrefix(b, []byte("\xFF\xFE")) {
		return false
	}
	le, be := 0, 0
	for i := 0; i+1 < len(b); i += 2 {
		switch {
		case b[i] == '\n' && b[i+1] == 0:
			le++
		case b[i] == 0 && b[i+1] == '\n':
			be++
		}
	}
	return le > be
}

// kanjiOnly is b without the two-byte characters of the rows GB2312 and
// EUC-JP share (lead bytes 0xA1 to 0xAF: symbols, full-width forms,
// kana, Greek, Cyrillic, box drawing), where the two read alike.
// Both encodings are read a character at a time: a lead byte and the
// byte after it, so that a kanji's second byte is never taken for the
// first of a kana.
func kanjiOnly(b []byte) []byte {
	out := make([]byte, 0, len(b))
	for i := 0; i < len(b); i++ {
		c := b[i]
		if c < 0x81 || i+1 == len(b) {
			out = append(out, c)
			continue
		}
		if t := b[i+1]; !(c >= 0xa1 && c <= 0xaf && t >= 0xa1 && t <= 0xfe) {
			out = append(out, c, t)
		}
		i++
	}
	return out
}

// eastAsian reports a Chinese or Korean multibyte label, which evaluate
// scores with chineseScore or koreanScore.
func eastAsian(c codec) bool {
	switch c.enc {
	case simplifiedchinese.GBK, simplifiedchinese.GB18030, traditionalchinese.Big5, korean.EUCKR:
		return true
	}
	return false
}

// unreadable reports a single-byte label under which b cannot be text:
// a byte it decodes to a C1 control (ISO-8859-*: 0x80-0x9F, which no
// Latin text holds) or leaves undefined (windows-1252's 0x81, 0x8D ...).
// Those are Shift_JIS lead bytes, and windows-1252's quotes and dashes
// under an ISO-8859-1 label; the reader's view would drop them or show
// U+FFFD, so the label is taken as no better than a missing one.
func unreadable(c codec, b []byte) bool {
	cm, ok := c.enc.(*charmap.Charmap)
	if !ok {
		return false
	}
	for _, x := range b {
		if x >= 0x80 && x <= 0x9f {
			if r := cm.DecodeByte(x); r <= 0x9f || r == utf8.RuneError {
				return true
			}
		}
	}
	return false
}

// latin1Family reports the labels whose 8-bit letters are windows-1252's
// (ISO-8859-1, -15 and windows-1252 itself): latinScore reads them.
func latin1Family(c codec) bool {
	return c.enc == charmap.ISO8859_1 || c.enc == charmap.ISO8859_15 || c.enc == charmap.Windows1252
}

// eucNotKana breaks a near tie between Shift_JIS and EUC-JP for text
// whose 8-bit bytes are all 0xA1-0xDF: half-width katakana to Shift_JIS,
// level 1 kanji to EUC-JP, and both score the same. EUC-JP wins when
// each of its characters is a common kanji (a name: 山田, 渡辺, 小林; a
// word: 確認, 重要), which half-width katakana read as EUC-JP seldom are
// (ﾃｽﾄﾒｰﾙ is 箪漬為, ｼｽﾃﾑ 悉恥), and the katakana lack the marks that
// make a katakana word (kanaMarks: ｾﾝﾀｰ stays). nkf, the converter
// Japanese systems use, prefers EUC-JP over half-width katakana
// outright; this is narrower. Called only on such a tie.
func eucNotKana(b []byte, atEOF bool) bool {
	for _, c := range b {
		if c >= 0x80 && (c < 0xa1 || c > 0xdf) {
			return false
		}
	}
	if kanaMarks(b) {
		return false
	}
	invalid := 0
	out := runDecoder(codecEUCJP.newDecoder(&invalid), b)
	if invalid > 0 && atEOF {
		return false
	}
	kanji := 0
	for _, r := range out {
		switch {
		case r < 0x80, r == utf8.RuneError && !atEOF:
		case commonKanjiSet.has(r):
			kanji++
		default:
			return false
		}
	}
	return kanji > 0
}

// kanaMarks reports half-width katakana (b read as Shift_JIS) with the
// marks that make a katakana word and that kanji in EUC-JP rarely line
// up as: a voiced or semi-voiced mark after a kana that takes it
// (ﾀﾞ ﾊﾟ), a long vowel mark or ﾝ after a kana (ｾﾝﾀｰ).
func kanaMarks(b []byte) bool {
	for i := 1; i < len(b); i++ {
		p, c := b[i-1], b[i]
		if p < 0xa6 || p > 0xdf {
			continue // not a kana before it
		}
		switch {
		case c == 0xde && (p == 0xb3 || p >= 0xb6 && p <= 0xc4 || p >= 0xca && p <= 0xce): // ﾞ after ｳ, ｶ-ﾄ, ﾊ-ﾎ
			return true
		case c == 0xdf && p >= 0xca && p <= 0xce: // ﾟ after ﾊ-ﾎ
			return true
		case (c == 0xb0 || c == 0xdd) && p != 0xb0 && p != 0xdd: // ｰ, ﾝ after a kana
			return true
		}
	}
	return false
}

// validRunes counts the characters beyond ASCII that c decodes b to,
// U+FFFD for an invalid sequence not included.
func validRunes(c codec, b []byte, atEOF bool) int {
	invalid := 0
	t := c.newDecoder(&invalid)
	var buf [4096]byte
	n := 0
	for len(b) > 0 {
		nDst, nSrc, err := t.Transform(buf[:], b, atEOF)
		for _, x := range buf[:nDst] {
			if x >= 0xc0 { // a lead byte: one character
				n++
			}
		}
		b = b[nSrc:]
		if err != transform.ErrShortDst {
			break
		}
	}
	return n - invalid
}

func highBytes(b []byte) int {
	n := 0
	for _, c := range b {
		if c >= 0x80 {
			n++
		}
	}
	return n
}

func abs(f float64) float64 {
	if f < 0 {
		return -f
	}
	return f
}

func clip(s string, n int) string {
	if len(s) > n {
		s = s[:n] + "…"
	}
	return s
}

// scanWindow reports whether b has 8-bit bytes and whether it has an
// escape sequence that designates a Japanese (or ISO-2022-JP-2) set.
func scanWindow(b []byte) (high, esc bool) {
	for i, c := range b {
		if c >= 0x80 {
			high = true
		} else if c == 0x1b && !esc {
			esc = isJISEscape(b[i:])
		}
		if high && esc {
			break
		}
	}
	return high, esc
}

func isJISEscape(b []byte) bool {
	for _, s := range []string{"\x1b$B", "\x1b$@", "\x1b(I", "\x1b$(D", "\x1b$(O", "\x1b$(Q", "\x1b$(B", "\x1b$A"} {
		if bytes.HasPrefix(b, []byte(s)) {
			return true
		}
	}
	return false
}

// utf8Evidence reports whether b has enough multibyte UTF-8 to override a
// declared single-byte or CJK label: a 3- or 4-byte sequence, or at least
// two 2-byte ones.
func utf8Evidence(b []byte) bool {
	two := 0
	for i := 0; i < len(b); {
		if b[i] < utf8.RuneSelf {
			i++
			continue
		}
		_, n := utf8.DecodeRune(b[i:])
		switch {
		case n >= 3:
			return true
		case n == 2:
			two++
			if two >= 2 {
				return true
			}
		}
		i += n
	}
	return false
}

// western reports whether the 8-bit bytes of b look like accented letters
// in Latin text: mostly single bytes between ASCII, where Japanese
// encodings have runs of two and more.
func western(b []byte) bool {
	runs, singles := 0, 0
	for i := 0; i < len(b); {
		if b[i] < 0x80 {
			i++
			continue
		}
		j := i
		for j < len(b) && b[j] >= 0x80 {
			j++
		}
		runs++
		if j-i == 1 {
			singles++
		}
		i = j
	}
	return runs > 0 && singles*10 >= runs*6
}

// evaluate decodes window with c, counting invalid sequences, and scores
// how plausible the result is.
func evaluate(c codec, window []byte, atEOF bool) candidate {
	cand := candidate{codec: c}
	t := c.newDecoder(&cand.errs)
	buf := make([]byte, min(4096, 3*len(window)+16)) // headers are short
	src := window
	for len(src) > 0 {
		nDst, nSrc, err := t.Transform(buf, src, atEOF)
		switch c.kind {
		case kindUTF8, kindISO2022JP:
			cand.score += runeScore(c.kind, buf[:nDst])
		case kindOther:
			switch c.name {
			case codecEUCKR.name:
				cand.score += koreanScore(buf[:nDst])
			case codecCP1252.name:
				cand.score += latinScore(buf[:nDst])
			default:
				cand.score += chineseScore(buf[:nDst])
			}
		}
		src = src[nSrc:]
		if err == transform.ErrShortSrc || (err == nil && nSrc == 0) {
			break // a character cut by the window's end
		}
		if err != nil && err != transform.ErrShortDst {
			break
		}
	}
	switch c.kind {
	case kindShiftJIS:
		cand.score = sjisScore(window)
	case kindEUCJP:
		cand.score = eucScore(window)
	case kindOther:
		if c.name == codecEUCKR.name {
			cand.score += euckrScore(window)
		}
	}
	if c.kind != kindISO2022JP {
		cand.score -= float64(bytes.Count(window, []byte{0x1b}))
	}
	return cand
}

// runeScore scores decoded UTF-8 text: for the UTF-8 candidate every valid
// multibyte character earns its length (valid UTF-8 is strong evidence);
// for ISO-2022-JP the Japanese character classes count.
func runeScore(k kind, b []byte) float64 {
	s := 0.0
	for i := 0; i < len(b); {
		if b[i] < utf8.RuneSelf {
			i++
			continue
		}
		r, n := utf8.DecodeRune(b[i:])
		i += n
		if r == utf8.RuneError {
			continue
		}
		if k == kindUTF8 {
			s += float64(n)
			continue
		}
		s += classScore(r)
	}
	return s
}

// chineseScore scores text decoded as GBK or Big5: the commonest hanzi
// earn most, rare ones (what Japanese or Korean bytes turn into) almost
// nothing, kana nothing.
func chineseScore(b []byte) float64 {
	s := 0.0
	for i := 0; i < len(b); {
		if b[i] < utf8.RuneSelf {
			i++
			continue
		}
		r, n := utf8.DecodeRune(b[i:])
		i += n
		switch {
		case r == utf8.RuneError:
		case r >= 0x4e00 && r <= 0x9fff:
			if commonHanziSet.has(r) {
				s += 2
			} else {
				s += 0.1
			}
		case r >= 0x3000 && r <= 0x303f, r >= 0xff01 && r <= 0xff5e:
			s += 0.5
		case r == 0x20ac: // byte 0x80, which GBK reads as €: an error in text
			s -= 8
		case r >= 0x80 && r <= 0x9f:
			s -= 2
		case r >= 0xe000 && r <= 0xf8ff:
			s--
		}
	}
	return s
}

// latinScore scores text decoded as windows-1252: accented letters next
// to ASCII letters are Western words; the other 8-bit characters (ƒ, Œ,
// ‰ ...) are what Japanese bytes turn into.
func latinScore(b []byte) float64 {
	s := 0.0
	ascii := func(r rune) bool { return r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' }
	var prev rune
	for i := 0; i < len(b); {
		r, n := utf8.DecodeRune(b[i:])
		i += n
		if r >= 0x80 {
			next := rune(' ') // the text's end bounds a word as a space does
			if i < len(b) {
				next, _ = utf8.DecodeRune(b[i:])
			}
			switch {
			case r >= 0xc0 && r <= 0xff && r != 0xd7 && r != 0xf7:
				// In a word beside an ASCII letter; inside a long
				// run of 8-bit characters it is another script.
				if ascii(prev) || ascii(next) {
					s += 1.5
				} else if prev >= 0x80 && next >= 0x80 {
					s--
				}
			case latinPunct(r), r >= 0xa0 && r <= 0xbf:
				// Dashes, smart quotes, …, €, Latin-1 symbols: alone,
				// or quotes and dashes together ("fine…”").
				if (prev < 0x80 || quoteDash(prev)) && (next < 0x80 || quoteDash(next)) {
					s += 0.3
				} else {
					s--
				}
			case r < 0xa0: // C1: bytes windows-1252 leaves undefined
				s -= 2
			default:
				s -= 1
			}
		}
		prev = r
	}
	return s
}

// latinPunct reports windows-1252's dashes, quotes, bullet, ellipsis
// and euro sign; not its daggers † ‡, which ① and ② are in Shift_JIS.
func latinPunct(r rune) bool {
	return r >= 0x2013 && r <= 0x2026 && r != 0x2020 && r != 0x2021 || r == 0x20ac
}

// quoteDash reports windows-1252's dashes, quotes and ellipsis, which
// Western text puts side by side ("fine…”"; not "€€", which is junk).
func quoteDash(r rune) bool {
	return r >= 0x2013 && r <= 0x201e || r == 0x2026
}

// euckrScore scores b read as EUC-KR (x/text's is UHC/CP949): Hangul of
// KS X 1001 earns most, UHC's extra syllables (what other encodings'
// bytes turn into) count against.
func euckrScore(b []byte) float64 {
	s := 0.0
	for i := 0; i < len(b); {
		c := b[i]
		if c < 0x81 || c == 0xff || i+1 >= len(b) {
			i++
			continue
		}
		c1 := b[i+1]
		switch {
		case c1 < 0x41:
			i++
			continue
		case c1 < 0xa1 || c < 0xa1:
			s -= 0.5 // UHC extension
		case c >= 0xb0 && c <= 0xc8:
			s += 0.3 // Hangul; the commonest earn more in koreanScore
		case c >= 0xca && c <= 0xfd:
			s += 0.2 // Hanja
		default:
			s += 0.3 // symbols
		}
		i += 2
	}
	return s
}

// koreanScore adds to euckrScore for the commonest Hangul syllables:
// Japanese kanji read as EUC-KR become Hangul too, but rarely these.
func koreanScore(b []byte) float64 {
	s := 0.0
	for _, r := range string(b) {
		if commonHangulSet.has(r) {
			s += 1.7
		}
	}
	return s
}

// commonHangul are the most frequent Hangul syllables in running Korean.
const commonHangul = "이다는의에을하고가한지서로기를도니습요어사리있수나대그자것들해시인주일으보게아만정라면적전우상제및마여내부소공와과장국경성구원동무생화학분개계관문되합안위때말세감드립녕회알려행신결발연미간민물저년월유오명선식용실비중모업치통당히데현진방작체조불영입않같없할했었된까네죠"

// runeSet is a bitset over a block of code points, built once from a
// constant string (a constant table, never written after init).
type runeSet struct {
	lo, hi rune
	bits   []uint64
}

func newRuneSet(lo, hi rune, members string) runeSet {
	s := runeSet{lo: lo, hi: hi, bits: make([]uint64, (hi-lo)/64+1)}
	for _, r := range members {
		if r >= lo && r <= hi {
			s.bits[(r-lo)/64] |= 1 << ((r - lo) % 64)
		}
	}
	return s
}

func (s runeSet) has(r rune) bool {
	return r >= s.lo && r <= s.hi && s.bits[(r-s.lo)/64]&(1<<((r-s.lo)%64)) != 0
}

var (
	commonKanjiSet  = newRuneSet(0x4e00, 0x9fff, commonKanji)
	commonHanziSet  = newRuneSet(0x4e00, 0x9fff, commonHanzi)
	commonHangulSet = newRuneSet(0xac00, 0xd7a3, commonHangul)
)

// commonHanzi are the most frequent Chinese characters, simplified and
// traditional: a third or more of running Chinese text.
const commonHanzi = "的一是不了人我在有他这中大来上国个到说们为子和你地出道也时年得就那要下以生会自着去之过家学对可她里后小么心多天而能好都然没日于起还发成事只作当想看文无开手十用主行方又如前所本见经头面公同三已老从动两长知民样现分将外但身些与高意进把法此实回二理美点月明其种声全工己话儿者向情部正名定女问力机给等几很业最间新什打便位因重被走电四第门相次东政海口使教西再平真听世气信北少关并内加化由却代军产入先山五太水万市眼体别处总才场师书比住员九笑性通目华报立马命张活难神数件安表原车白应路期叫死常提感金何更反合放做系计或司利受光王果亲界及今京务制解各任至清物台象记边共风战干接它许八特觉望直服" +
	"這們來國個說為時會對後過學發還現樣與實點經見開問長間動種當頭從兩進話關產機業電東萬幾麼當無"

// commonKanji are the kanji of the first three years of Japan's primary
// school curriculum (教育漢字, grades 1-3), the commonest of family names
// and those of business and municipal mail beyond them: few enough that
// half-width katakana read as EUC-JP seldom make only these.
const commonKanji = "一右雨円王音下火花貝学気九休玉金空月犬見五口校左三山子四糸字耳七車手十出女小上森人水正生青夕石赤千川先早草足村大男竹中虫町天田土二日入年白八百文木本名目立力林六" +
	"引羽雲園遠何科夏家歌画回会海絵外角楽活間丸岩顔汽記帰弓牛魚京強教近兄形計元言原戸古午後語工公広交光考行高黄合谷国黒今才細作算止市矢姉思紙寺自時室社弱首秋週春書少場色食心新親図数西声星晴切雪船線前組走多太体台地池知茶昼長鳥朝直通弟店点電刀冬当東答頭同道読内南肉馬売買麦半番父風分聞米歩母方北毎妹万明鳴毛門夜野友用曜来里理話" +
	"悪安暗医委意育員院飲運泳駅央横屋温化荷界開階寒感漢館岸起期客究急級宮球去橋業曲局銀区苦具君係軽血決研県庫湖向幸港号根祭皿仕死使始指歯詩次事持式実写者主守取酒受州拾終習集住重宿所暑助昭消商章勝乗植申身神真深進世整昔全相送想息速族他打対待代第題炭短談着注柱丁帳調追定庭笛鉄転都度投豆島湯登等動童農波配倍箱畑発反坂板皮悲美鼻筆氷表秒病品負部服福物平返勉放味命面問役薬由油有遊予羊洋葉陽様落流旅両緑礼列練路和" +
	// Family names: 佐藤 伊藤 渡辺 加藤 松本 井上 斎藤 清水 山崎 吉田 ...
	"佐藤伊渡辺加松井斎清崎吉岡浜沢菊杉堀浦尾瀬野谷沼橋原村郎子" +
	// Business and municipal mail: 確認 重要 見積 各位 申請 御中 課 ...
	"確認要積各位請求御殿宛依頼照延締添付納領契払振込座郵宜致承了恐縮訳候課係議資料報告案連絡予定件議総務税福祉保健"

// classScore is the plausibility of one character in Japanese mail.
func classScore(r rune) float64 {
	switch {
	case r >= 0x3041 && r <= 0x309f: // hiragana
		return 2
	case r >= 0x30a0 && r <= 0x30ff: // katakana
		return 1.5
	case r >= 0x3000 && r <= 0x303f: // CJK punctuation
		return 1
	case r >= 0x4e00 && r <= 0x9fff: // ideographs
		return 1
	case r >= 0xff61 && r <= 0xff65: // half-width ｡｢｣､･
		return -0.5
	case r >= 0xff66 && r <= 0xff9f: // half-width katakana
		return 0.5
	case r >= 0xff01 && r <= 0xff5e, r >= 0xffe0 && r <= 0xffe5:
		return 0.5
	case r >= 0x2460 && r <= 0x24ff, r >= 0x2160 && r <= 0x217f, r >= 0x3200 && r <= 0x33ff:
		return 0.5
	case r >= 0x80 && r <= 0x9f: // C1 controls
		return -2
	case r >= 0xe000 && r <= 0xf8ff: // private use
		return -1
	}
	return 0
}

// rowScore is the plausibility of a JIS X 0208 row (1-based); rows past 94
// are Shift_JIS's user-defined (95-114) and IBM extension (115-120) rows.
func rowScore(row int) float64 {
	switch {
	case row == 4: // hiragana
		return 2
	case row == 5: // katakana
		return 1.5
	case row == 1: // 、。「」 and other punctuation
		return 1
	case row >= 16 && row <= 47: // level 1 kanji
		return 1
	case row == 3, row == 13: // full-width alphanumerics, NEC specials
		return 0.5
	case row == 2:
		return 0.3
	case row >= 48 && row <= 84: // level 2 kanji
		return 0.3
	case row >= 6 && row <= 8: // Greek, Cyrillic, box drawing
		return 0
	case row >= 89 && row <= 92, row >= 115 && row <= 119: // IBM extensions
		return -0.3
	}
	return -1
}

// halfKanaScore scores a half-width katakana byte (0xA1-0xDF).
func halfKanaScore(c byte) float64 {
	if c <= 0xa5 {
		return -0.5 // ｡｢｣､･: what EUC-JP's lead bytes look like
	}
	return 0.5
}

// sjisScore scores b read as Shift_JIS by JIS row (validity is counted by
// the decoder).
func sjisScore(b []byte) float64 {
	s := 0.0
	for i := 0; i < len(b); {
		c := b[i]
		switch {
		case c < 0x80:
			i++
		case c >= 0xa1 && c <= 0xdf:
			s += halfKanaScore(c)
			i++
		case c == 0x80:
			// x/text (like CP932) decodes it as the C1 control U+0080
			// rather than U+FFFD: score it as the error it is in text.
			s -= 8
			i++
		case (c >= 0x81 && c <= 0x9f) || (c >= 0xe0 && c <= 0xfc):
			if i+1 >= len(b) {
				return s
			}
			c1 := b[i+1]
			if c1 < 0x40 || c1 == 0x7f || c1 > 0xfc {
				i++
				continue
			}
			var row int
			if c <= 0x9f {
				row = int(c-0x81)*2 + 1
			} else {
				row = int(c-0xc1)*2 + 1
			}
			if c1 >= 0x9f {
				row++
			}
			s += rowScore(row)
			i += 2
		default:
			i++
		}
	}
	return s
}

// eucScore scores b read as EUC-JP by JIS row.
func eucScore(b []byte) float64 {
	s := 0.0
	for i := 0; i < len(b); {
		c := b[i]
		switch {
		case c < 0x80:
			i++
		case c == 0x8e: // half-width katakana, as Shift_JIS scores a kanji
			s++
			i += 2
		case c == 0x8f: // JIS X 0212
			i += 3
		case c >= 0xa1 && c <= 0xfe:
			if i+1 >= len(b) {
				return s
			}
			if c1 := b[i+1]; c1 < 0xa1 || c1 > 0xfe {
				i++
				continue
			}
			s += rowScore(int(c - 0xa0))
			i += 2
		default:
			i++
		}
	}
	return s
}
