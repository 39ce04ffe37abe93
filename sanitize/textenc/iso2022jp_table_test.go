package textenc

import (
	"strings"
	"testing"
	"unicode/utf8"

	"golang.org/x/text/encoding/japanese"
)

// refEncodeISO2022JP is EncodeISO2022JP as it was before the JIS table:
// one EUC-JP transform per character. The table-driven encoder is held to
// it for every character (TestJISTable) and any text (the fuzz target).
func refEncodeISO2022JP(s string) (b []byte, unencodable int) {
	s = PrepareISO2022JP(s)
	enc := japanese.EUCJP.NewEncoder()
	out := make([]byte, 0, len(s)+len(s)/2+8)
	jis := false
	var rb [utf8.UTFMax]byte
	var eb [8]byte
	for _, r := range s {
		if r < utf8.RuneSelf && r != 0x1b && r != 0x0e && r != 0x0f {
			if jis {
				out = append(out, 0x1b, '(', 'B')
				jis = false
			}
			out = append(out, byte(r))
			continue
		}
		hi, lo := byte(getaHi), byte(getaLo)
		if v, ok := jisVariants[r]; ok {
			r = v
		}
		if r >= utf8.RuneSelf && r != utf8.RuneError {
			n := utf8.EncodeRune(rb[:], r)
			m, _, err := enc.Transform(eb[:], rb[:n], true)
			if err == nil && m == 2 && eb[0] >= 0xa1 && eb[0] <= 0xfe && eb[1] >= 0xa1 && eb[1] <= 0xfe {
				hi, lo = eb[0]&0x7f, eb[1]&0x7f
			} else {
				unencodable++
			}
			enc.Reset()
		} else {
			unencodable++
		}
		if !jis {
			out = append(out, 0x1b, '$', 'B')
			jis = true
		}
		out = append(out, hi, lo)
	}
	if jis {
		out = append(out, 0x1b, '(', 'B')
	}
	return out, unencodable
}

func TestJISTable(t *testing.T) {
	check := func(s string) {
		t.Helper()
		got, n := EncodeISO2022JP(s)
		want, wn := refEncodeISO2022JP(s)
		if string(got) != string(want) || n != wn {
			t.Fatalf("%+q: %q, %d; the per-character encoder gives %q, %d", s, got, n, want, wn)
		}
	}
	for r := rune(0); r < 0x10000; r++ {
		check(string(r))
	}
	// Beyond the table: emoji, CJK extension B, the last code point.
	for _, r := range []rune{0x10000, 0x1F600, 0x20000, 0x2A6D6, 0x10FFFF} {
		check(string(r))
	}
	for _, s := range []string{"", "a\x1b$Bb\x0e\x0f", "\xff\xfe", "\xef\xbd", "ｶﾞｷﾞ\r\nabc漢字①", "\u301c\u2212\u00a5\ufffd"} {
		check(s)
	}
	if n := len(jisTable()); n != 0x10000 {
		t.Fatalf("table of %d", n)
	}
	filled := 0
	for _, c := range jisTable() {
		if c != 0 {
			filled++
		}
	}
	// JIS X 0208's 6879 characters, the NEC and IBM rows, the variants.
	if filled < 7000 || filled > 9000 {
		t.Errorf("%d characters have a JIS code", filled)
	}
}

func FuzzEncodeISO2022JPReference(f *testing.F) {
	for _, s := range []string{"Hello\r\n", "あ漢字", "①㈱㍻髙ⅱ", "ｶﾞｯｺｳ ﾃｽﾄ", "〜−¥‾", "a😀b丂가", "a\x1b$Bb", "a\xffb", "ﾞｱ\x0e\x0f", "\xf0\x9f\x98", "テ\u3099ータ", "a\u3099\u309a", "ｶ\u3099ﾞ", "\xff\u3099", "🏃\u200d♂\ufe0f", "👍🏻", "🇯🇵🇺", "1\ufe0f\u20e3", "\u200d🏻"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, n := EncodeISO2022JP(s)
		want, wn := refEncodeISO2022JP(s)
		if string(got) != string(want) || n != wn {
			t.Fatalf("%+q: %q, %d; the per-character encoder gives %q, %d", s, got, n, want, wn)
		}
		dst := []byte("prefix")
		app, an := AppendISO2022JP(dst, s)
		if string(app) != "prefix"+string(want) || an != wn {
			t.Fatalf("AppendISO2022JP: %q, %d", app, an)
		}
		app, an = AppendISO2022JPBytes(dst[:6], []byte(s))
		if string(app) != "prefix"+string(want) || an != wn {
			t.Fatalf("AppendISO2022JPBytes: %q, %d", app, an)
		}
		if c := CountUnencodable([]byte(s)); c != wn {
			t.Fatalf("CountUnencodable(%+q) = %d, the encoder replaced %d", s, c, wn)
		}
		if hasKana([]byte(s)) != strings.ContainsFunc(s, func(r rune) bool { return r >= 0xff61 && r <= 0xff9f || r == 0x3099 || r == 0x309a }) {
			t.Fatalf("hasKana(%+q) = %v", s, hasKana([]byte(s)))
		}
		if p := PrepareISO2022JP(s); p != s && !hasKana([]byte(s)) && !hasEmojiParts(s) {
			t.Fatalf("PrepareISO2022JP(%+q) = %+q, but neither hasKana nor hasEmojiParts says so", s, p)
		}
		if p := PrepareISO2022JP(s); PrepareISO2022JP(p) != p {
			t.Fatalf("PrepareISO2022JP(%+q) = %+q, not prepared again the same", s, p)
		}
	})
}
