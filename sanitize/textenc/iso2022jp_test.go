package textenc

import (
	"bytes"
	"io"
	"strings"
	"testing"
	"testing/iotest"

	"golang.org/x/text/encoding/japanese"
	"golang.org/x/text/transform"
)

func decodeISO(t *testing.T, in string) (string, int) {
	t.Helper()
	n := 0
	out, _, err := transform.String(&iso2022JPDecoder{invalid: &n}, in)
	if err != nil {
		t.Fatalf("decode %q: %v", in, err)
	}
	return out, n
}

func TestISO2022JPDecoder(t *testing.T) {
	tests := []struct {
		name, in, want string
		invalid        int
	}{
		{"JIS X 0208", "\x1b$B\x24\x22\x34\x41\x3b\x7a\x1b(B", "あ漢字", 0},
		{"JIS C 6226-1978 designation", "\x1b$@\x24\x22\x1b(B", "あ", 0},
		{"JIS-Roman as ASCII", "\x1b(Jabc\x1b(B", "abc", 0},
		{"NEC row 13", "\x1b$B\x2d\x21\x2d\x6a\x2d\x5f\x2d\x62\x1b(B", "①㈱㍻№", 0},
		{"NEC-selected IBM extensions", "\x1b$B\x7c\x62\x7c\x72\x79\x75\x79\x21\x1b(B", "髙ⅱ﨑纊", 0},
		{"half-width kana ESC ( I", "\x1b(I\x36\x5e\x2f\x3a\x33\x1b(B", "ｶﾞｯｺｳ", 0},
		{"half-width kana SO/SI", "a\x0e\x31\x32\x0fb", "aｱｲb", 0},
		{"SO/SI inside JIS X 0208 text", "\x1b$B\x24\x22\x0e\x31\x0f\x24\x24\x1b(B", "あｱい", 0},
		{"CRLF inside JIS run", "\x1b$B\x24\x22\r\nabc", "あ\r\nabc", 0},
		{"LF inside kana run", "\x1b(I\x31\nabc", "ｱ\nabc", 0},
		{"space inside JIS run", "\x1b$B\x24\x22 \x24\x24\x1b(B", "あ い", 0},
		{"JIS X 0208-1990 announcer", "\x1b&@\x1b$B\x24\x22\x1b(B", "あ", 0},
		{"JIS X 0212", "\x1b$(D\x30\x21\x1b(B", "丂", 0},
		{"JIS X 0213 plane 1, shared with JIS X 0208", "\x1b$(Q\x24\x22\x1b(B", "あ", 0},
		{"JIS X 0213 plane 1 row 89 is not IBM", "\x1b$(Q\x79\x21\x1b(B", "\uFFFD", 1},
		{"ISO-2022-JP-2 GB 2312", "\x1b$A\x30\x21\x1b(B", "啊", 0},
		{"ISO-2022-JP-2 KS C 5601", "\x1b$(C\x30\x21\x1b(B", "가", 0},
		{"ISO-2022-JP-2 ISO-8859-1 G2", "caf\x1b.A\x1bNi", "café", 0},
		{"ISO-2022-JP-2 ISO-8859-7 G2", "\x1b.F\x1bNa", "α", 0},
		{"8-bit byte", "\x1b$B\x24\x22\x1b(B\x82\xa0", "あ\uFFFD\uFFFD", 2},
		{"unknown escape", "a\x1b$Zb", "a\uFFFDb", 1},
		{"ESC not starting a sequence", "a\x1b\x01b", "a\uFFFD\x01b", 1},
		{"truncated escape", "a\x1b$", "a\uFFFD", 1},
		{"truncated pair", "\x1b$B\x24", "\uFFFD", 1},
		{"unassigned JIS cell", "\x1b$B\x2f\x21\x1b(B", "\uFFFD", 1},
		{"second byte out of range", "\x1b$B\x24\x7f", "\uFFFD\x7f", 1},
		{"kana out of range", "\x1b(I\x60\x1b(B", "\uFFFD", 1},
		{"ESC N without G2", "\x1bNa", "\uFFFD", 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, n := decodeISO(t, tt.in)
			if got != tt.want || n != tt.invalid {
				t.Errorf("decode(%q) = %q with %d invalid, want %q with %d", tt.in, got, n, tt.want, tt.invalid)
			}
			// Byte at a time through a small buffer: the same text.
			r := transform.NewReader(iotest.OneByteReader(strings.NewReader(tt.in)), &iso2022JPDecoder{})
			streamed, err := io.ReadAll(r)
			if err != nil || string(streamed) != tt.want {
				t.Errorf("streamed = %q, %v; want %q", streamed, err, tt.want)
			}
		})
	}
}

func TestEncodeISO2022JP(t *testing.T) {
	tests := []struct {
		name, in    string
		want        string // expected bytes
		decoded     string // what decoding the output gives
		unencodable int
	}{
		{"ASCII", "Hello\r\n", "Hello\r\n", "Hello\r\n", 0},
		{"kana and kanji", "あ漢字", "\x1b$B\x24\x22\x34\x41\x3b\x7a\x1b(B", "あ漢字", 0},
		{"back to ASCII before line end", "あ\r\nい", "\x1b$B\x24\x22\x1b(B\r\n\x1b$B\x24\x24\x1b(B", "あ\r\nい", 0},
		{"NEC row 13 (CP50220)", "①㈱㍻", "\x1b$B\x2d\x21\x2d\x6a\x2d\x5f\x1b(B", "①㈱㍻", 0},
		{"NEC-selected IBM extensions (CP50220)", "髙ⅱ", "\x1b$B\x7c\x62\x7c\x72\x1b(B", "髙ⅱ", 0},
		{"half-width kana widened", "ｶﾞｯｺｳ ﾃｽﾄ", "\x1b$B\x25\x2c\x25\x43\x25\x33\x25\x26\x1b(B \x1b$B\x25\x46\x25\x39\x25\x48\x1b(B", "ガッコウ テスト", 0},
		{"lone voiced mark, ヴ", "ﾞｳﾞ", "\x1b$B\x21\x2b\x25\x74\x1b(B", "゛ヴ", 0},
		{"decomposed voiced marks (macOS file names)", "テ\u3099ータのカ\u3099イト\u3099.pdf", "\x1b$B%G!<%?$N%,%$%I\x1b(B.pdf", "データのガイド.pdf", 0},
		{"decomposed semi-voiced mark", "ハ\u309aン", "\x1b$B%Q%s\x1b(B", "パン", 0},
		{"combining mark without a base", "a\u3099\u309a", "a\x1b$B!+!,\x1b(B", "a゛゜", 0},
		{"combining mark on a kana it does not compose with", "ア\u3099", "\x1b$B%\x22!+\x1b(B", "ア゛", 0},
		{"JIS/Unicode variants", "〜−¥‾", "\x1b$B\x21\x41\x21\x5d\x21\x6f\x21\x31\x1b(B", "～－￥￣", 0},
		{"emoji", "a😀b", "a\x1b$B\x22\x2e\x1b(Bb", "a〓b", 1},
		// One 〓 per emoji on the screen, not per code point (a review
		// of a SoftBank photo mail: 〓〓♂〓 for one runner).
		{"emoji ZWJ sequence", "a🏃\u200d♂\ufe0fb", "a\x1b$B\x22\x2e\x1b(Bb", "a〓b", 1},
		{"emoji with a skin tone and a selector", "👍🏻\ufe0f👍", "\x1b$B\x22\x2e\x22\x2e\x1b(B", "〓〓", 2},
		{"family", "👨\u200d👩\u200d👧", "\x1b$B\x22\x2e\x1b(B", "〓", 1},
		{"flags", "🇯🇵🇺🇸", "\x1b$B\x22\x2e\x22\x2e\x1b(B", "〓〓", 2},
		{"a selector after a JIS character stays one", "♂\ufe0f☎\ufe0e", "\x1b$B\x21\x69\x22\x2e\x22\x2e\x1b(B", "♂〓〓", 2},
		{"a joiner between JIS characters stays one", "♂\u200d♀", "\x1b$B\x21\x69\x22\x2e\x21\x6a\x1b(B", "♂〓♀", 1},
		// The links were neutralised in the text as it was: taking the
		// joiner out would make one (a review of the whole change).
		{"a joiner inside a URL stays", "https\u200d://e.example", "https\x1b$B\x22\x2e\x1b(B://e.example", "https〓://e.example", 1},
		{"a selector inside a URL stays", "https\ufe0f://e.example", "https\x1b$B\x22\x2e\x1b(B://e.example", "https〓://e.example", 1},
		{"JIS X 0212 only", "丂", "\x1b$B\x22\x2e\x1b(B", "〓", 1},
		{"Hangul", "가", "\x1b$B\x22\x2e\x1b(B", "〓", 1},
		{"ESC is not passed through", "a\x1b$Bb", "a\x1b$B\x22\x2e\x1b(B$Bb", "a〓$Bb", 1},
		{"invalid UTF-8", "a\xffb", "a\x1b$B\x22\x2e\x1b(Bb", "a〓b", 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, n := EncodeISO2022JP(tt.in)
			if string(got) != tt.want || n != tt.unencodable {
				t.Errorf("EncodeISO2022JP(%q) = %q, %d; want %q, %d", tt.in, got, n, tt.want, tt.unencodable)
			}
			if b, n := AppendISO2022JPBytes(nil, []byte(tt.in)); string(b) != tt.want || n != tt.unencodable {
				t.Errorf("AppendISO2022JPBytes(%q) = %q, %d; want %q, %d", tt.in, b, n, tt.want, tt.unencodable)
			}
			if n := CountUnencodable([]byte(tt.in)); n != tt.unencodable {
				t.Errorf("CountUnencodable(%q) = %d, want %d", tt.in, n, tt.unencodable)
			}
			dec, inv := decodeISO(t, string(got))
			if dec != tt.decoded || inv != 0 {
				t.Errorf("decoded back: %q (%d invalid), want %q", dec, inv, tt.decoded)
			}
			// x/text's decoder (what other software uses) agrees.
			if x, err := japanese.ISO2022JP.NewDecoder().Bytes(got); err != nil || string(x) != tt.decoded {
				t.Errorf("x/text decodes %q, %v; want %q", x, err, tt.decoded)
			}
			for _, b := range got {
				if b >= 0x80 {
					t.Fatalf("8-bit byte in output %q", got)
				}
			}
		})
	}
}

func TestUTF7(t *testing.T) {
	tests := []struct {
		in, want string
		invalid  int
	}{
		{"Hi Mom -+Jjo--!", "Hi Mom -☺-!", 0}, // RFC 2152
		{"+ZeVnLIqe-", "日本語", 0},              // RFC 2152
		{"A+ImIDkQ.", "A≢Α.", 0},              // RFC 2152
		{"1 +- 1", "1 + 1", 0},
		{"+2D3eAA-", "😀", 0},   // surrogate pair
		{"+2D0-", "\uFFFD", 1}, // lone high surrogate
		{"a\x82b", "a\uFFFDb", 1},
		{"+", "+", 0},
	}
	for _, tt := range tests {
		n := 0
		got, _, err := transform.String(&utf7Decoder{invalid: &n}, tt.in)
		if err != nil || got != tt.want || n != tt.invalid {
			t.Errorf("UTF-7 %q = %q (%d invalid), %v; want %q (%d)", tt.in, got, n, err, tt.want, tt.invalid)
		}
	}
	for _, s := range []string{"日本語 text + more ~\\", "😀 a+b", strings.Repeat("長い", 3000)} {
		enc, err := utf7Encoding{}.NewEncoder().String(s)
		if err != nil {
			t.Fatal(err)
		}
		if bytes.ContainsFunc([]byte(enc), func(r rune) bool { return r >= 0x80 }) {
			t.Errorf("UTF-7 output not 7-bit: %q", enc)
		}
		dec, err := utf7Encoding{}.NewDecoder().String(enc)
		if err != nil || dec != s {
			t.Errorf("UTF-7 round trip of %q: %q, %v", clip(s, 20), clip(dec, 20), err)
		}
	}
}
