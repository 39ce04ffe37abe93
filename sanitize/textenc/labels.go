package textenc

import (
	"strings"

	"github.com/emersion/go-message/charset"
	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/htmlindex"
	"golang.org/x/text/encoding/ianaindex"
	"golang.org/x/text/encoding/japanese"
	"golang.org/x/text/encoding/korean"
	"golang.org/x/text/encoding/simplifiedchinese"
	"golang.org/x/text/encoding/traditionalchinese"
	"golang.org/x/text/encoding/unicode"
	"golang.org/x/text/transform"
)

// kind says which decoder a charset uses.
type kind int

const (
	kindOther     kind = iota // an x/text encoding, invalid input counted as U+FFFD
	kindUTF8                  // our validating UTF-8 decoder
	kindASCII                 // us-ascii: decoded as UTF-8 (8-bit bytes go through detection first)
	kindShiftJIS              // Shift_JIS / CP932 (x/text's table is CP932's)
	kindEUCJP                 // EUC-JP
	kindISO2022JP             // ISO-2022-JP and its variants, our decoder
	kindUTF7                  // RFC 2152 UTF-7, our decoder
)

// codec is a resolved charset: its canonical name and how to decode it.
type codec struct {
	name string // canonical, lowercase: the name Reader.Charset reports
	kind kind
	enc  encoding.Encoding // kindOther, kindShiftJIS, kindEUCJP
}

// Canonical codecs used by detection.
var (
	codecUTF8      = codec{name: "utf-8", kind: kindUTF8}
	codecASCII     = codec{name: "us-ascii", kind: kindASCII}
	codecShiftJIS  = codec{name: "shift_jis", kind: kindShiftJIS, enc: japanese.ShiftJIS}
	codecEUCJP     = codec{name: "euc-jp", kind: kindEUCJP, enc: japanese.EUCJP}
	codecISO2022JP = codec{name: "iso-2022-jp", kind: kindISO2022JP}
	codecUTF7      = codec{name: "utf-7", kind: kindUTF7}
	codecCP1252    = codec{name: "windows-1252", kind: kindOther, enc: charmap.Windows1252}
	codecUTF16     = codec{name: "utf-16", kind: kindOther, enc: unicode.UTF16(unicode.BigEndian, unicode.ExpectBOM)}
	codecGBK       = codec{name: "gbk", kind: kindOther, enc: simplifiedchinese.GBK}
	codecBig5      = codec{name: "big5", kind: kindOther, enc: traditionalchinese.Big5}
	codecEUCKR     = codec{name: "euc-kr", kind: kindOther, enc: korean.EUCKR}
)

// labels maps the lowercase labels that mail uses for Japanese and Unicode
// charsets to our codecs. go-message (through x/text's IANA and WHATWG
// indexes) knows some of them already; TestGoMessageNativeLabels records
// which. All ISO-2022-JP variants share one decoder: CP50220/CP50221/
// CP50222 and ISO-2022-JP-MS are ISO-2022-JP plus NEC row 13, the
// NEC-selected IBM extensions (rows 89-92) and half-width katakana (ESC ( I
// or SO/SI), which our decoder reads in every variant; ISO-2022-JP-1 adds
// JIS X 0212, -2 adds GB 2312, KS C 5601 and ISO-8859-1/-7 through G2,
// -3/-2004 use JIS X 0213 (read where it agrees with JIS X 0208).
var labels = map[string]codec{
	// Shift_JIS. x/text's ShiftJIS decodes CP932 (NEC row 13, NEC-selected
	// and IBM extensions), so every alias maps to it.
	"shift_jis":    codecShiftJIS,
	"shift-jis":    codecShiftJIS,
	"shiftjis":     codecShiftJIS,
	"sjis":         codecShiftJIS,
	"s-jis":        codecShiftJIS,
	"x-sjis":       codecShiftJIS,
	"x-shift-jis":  codecShiftJIS,
	"x-shift_jis":  codecShiftJIS,
	"ms_kanji":     codecShiftJIS,
	"csshiftjis":   codecShiftJIS,
	"cp932":        codecShiftJIS,
	"ms932":        codecShiftJIS,
	"x-ms-cp932":   codecShiftJIS,
	"ibm-943":      codecShiftJIS,
	"windows-31j":  codecShiftJIS,
	"windows-932":  codecShiftJIS,
	"cswindows31j": codecShiftJIS,
	"sjis-open":    codecShiftJIS,
	"sjis-win":     codecShiftJIS,

	// EUC-JP (eucJP-ms / CP51932 differ only in the extension rows).
	"euc-jp":              codecEUCJP,
	"euc_jp":              codecEUCJP,
	"eucjp":               codecEUCJP,
	"x-euc-jp":            codecEUCJP,
	"x-eucjp":             codecEUCJP,
	"x-euc":               codecEUCJP,
	"ujis":                codecEUCJP,
	"cseucpkdfmtjapanese": codecEUCJP,
	"eucjp-ms":            codecEUCJP,
	"eucjp-win":           codecEUCJP,
	"euc-jp-ms":           codecEUCJP,
	"cp51932":             codecEUCJP,

	// ISO-2022-JP and variants.
	"iso-2022-jp":      codecISO2022JP,
	"iso2022jp":        codecISO2022JP,
	"csiso2022jp":      codecISO2022JP,
	"iso-2022-jp-ms":   codecISO2022JP,
	"iso2022jp-ms":     codecISO2022JP,
	"cp50220":          codecISO2022JP,
	"cp50221":          codecISO2022JP,
	"cp50222":          codecISO2022JP,
	"iso-2022-jp-1":    codecISO2022JP,
	"iso-2022-jp-2":    codecISO2022JP,
	"csiso2022jp2":     codecISO2022JP,
	"iso-2022-jp-3":    codecISO2022JP,
	"iso-2022-jp-2004": codecISO2022JP,

	// Unicode.
	"utf-8":             codecUTF8,
	"utf8":              codecUTF8,
	"unicode-1-1-utf-8": codecUTF8,
	"x-utf_8j":          codecUTF8,
	"utf-7":             codecUTF7,
	"utf7":              codecUTF7,
	"unicode-1-1-utf-7": codecUTF7,
	"csunicode11utf7":   codecUTF7,

	// US-ASCII and its IANA aliases.
	"us-ascii":         codecASCII,
	"ascii":            codecASCII,
	"us":               codecASCII,
	"ansi_x3.4-1968":   codecASCII,
	"ansi_x3.4-1986":   codecASCII,
	"iso646-us":        codecASCII,
	"iso_646.irv:1991": codecASCII,
	"iso-ir-6":         codecASCII,
	"cp367":            codecASCII,
	"ibm367":           codecASCII,
	"csascii":          codecASCII,
	"646":              codecASCII,
}

// registered lists the labels init registers with go-message: the Japanese
// and Unicode aliases it misses, plus the ISO-2022-JP family so that
// go-message's own decoding (Header.Text, Entity bodies) also gets our
// ISO-2022-JP decoder (SO/SI kana, line ends inside JIS X 0208 runs).
func registeredLabels() []string {
	var out []string
	for l, c := range labels {
		switch c.kind {
		case kindShiftJIS, kindEUCJP, kindISO2022JP, kindUTF7:
			out = append(out, l)
		case kindUTF8:
			if l != "utf-8" {
				out = append(out, l)
			}
		}
	}
	return out
}

func init() {
	for _, l := range registeredLabels() {
		c := labels[l]
		charset.RegisterEncoding(l, c.encoding())
	}
}

// encoding returns an encoding.Encoding for the codec, for go-message.
func (c codec) encoding() encoding.Encoding {
	switch c.kind {
	case kindISO2022JP:
		return iso2022JPEncoding{}
	case kindUTF7:
		return utf7Encoding{}
	case kindUTF8, kindASCII:
		return unicode.UTF8
	}
	return c.enc
}

// lookup resolves a charset label the way go-message does (our table, then
// the IANA MIME index, "cs"+label, then the WHATWG index) and reports
// whether it is known.
func lookup(label string) (codec, bool) {
	l := normLabel(label)
	if l == "" {
		return codec{}, false
	}
	if c, ok := labels[l]; ok {
		return c, true
	}
	enc, _ := ianaindex.MIME.Encoding(l)
	if enc == nil {
		enc, _ = ianaindex.MIME.Encoding("cs" + l)
	}
	if enc == nil {
		enc, _ = htmlindex.Get(l)
	}
	if enc == nil {
		return codec{}, false
	}
	// x/text's own Japanese encodings, reached through other aliases.
	switch enc {
	case japanese.ShiftJIS:
		return codecShiftJIS, true
	case japanese.EUCJP:
		return codecEUCJP, true
	case japanese.ISO2022JP:
		return codecISO2022JP, true
	case unicode.UTF8:
		return codecUTF8, true
	}
	name, err := ianaindex.MIME.Name(enc)
	if err != nil || name == "" {
		name, err = htmlindex.Name(enc)
	}
	if err != nil || name == "" {
		name = l
	}
	return codec{name: strings.ToLower(name), kind: kindOther, enc: enc}, true
}

// SevenBitLabel reports a label under which text has no 8-bit byte:
// us-ascii and the ISO-2022-JP family. 8-bit text under one is mislabelled
// for certain, so other evidence (an HTML part's <meta>) may name its
// charset.
func SevenBitLabel(label string) bool {
	c, ok := lookup(label)
	return ok && (c.kind == kindASCII || c.kind == kindISO2022JP)
}

// normLabel lowercases a label and strips quotes, whitespace and an RFC
// 2231 language suffix ("utf-8*ja").
func normLabel(label string) string {
	l := strings.ToLower(strings.TrimSpace(label))
	l = strings.Trim(l, "\"' \t")
	// "charset=charset=us-ascii" is a sender bug seen in the wild.
	for strings.HasPrefix(l, "charset=") {
		l = strings.Trim(l[len("charset="):], "\"' \t")
	}
	if i := strings.IndexByte(l, '*'); i >= 0 {
		l = l[:i]
	}
	return l
}

// asciiCompatible reports whether printable ASCII bytes decode to
// themselves, so that an all-ASCII prefix says nothing about the charset.
func (c codec) asciiCompatible() bool {
	switch c.kind {
	case kindUTF8, kindASCII, kindShiftJIS, kindEUCJP, kindISO2022JP:
		return true
	case kindUTF7:
		return false
	}
	var src [0x7f - 0x20]byte
	for i := range src {
		src[i] = byte(0x20 + i)
	}
	var dst [len(src) * 3]byte
	t := c.enc.NewDecoder()
	n, m, err := t.Transform(dst[:], src[:], true)
	return err == nil && m == len(src) && n == len(src) && string(dst[:n]) == string(src[:])
}

// newDecoder returns a fresh transformer decoding the codec to UTF-8 that
// adds the number of invalid sequences it replaces by U+FFFD to *invalid.
func (c codec) newDecoder(invalid *int) transform.Transformer {
	switch c.kind {
	case kindUTF8, kindASCII:
		return &utf8Decoder{invalid: invalid}
	case kindISO2022JP:
		return &iso2022JPDecoder{invalid: invalid}
	case kindUTF7:
		return &utf7Decoder{invalid: invalid}
	}
	return &countingDecoder{t: c.enc.NewDecoder(), invalid: invalid, c1: c.kind == kindShiftJIS}
}
