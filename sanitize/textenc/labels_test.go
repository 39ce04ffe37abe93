package textenc

import (
	"io"
	"strings"
	"testing"

	"github.com/emersion/go-message/charset"
	"golang.org/x/text/encoding/htmlindex"
	"golang.org/x/text/encoding/ianaindex"
	"golang.org/x/text/encoding/japanese"
)

// goMessageNative reports whether go-message v0.18.2 finds a decoder for
// label without our registrations: its charset.Reader tries its quirks
// table, the IANA MIME index, "cs"+label, then the WHATWG index.
func goMessageNative(label string) bool {
	if enc, _ := ianaindex.MIME.Encoding(label); enc != nil {
		return true
	}
	if enc, _ := ianaindex.MIME.Encoding("cs" + label); enc != nil {
		return true
	}
	enc, err := htmlindex.Get(label)
	return err == nil && enc != nil
}

func TestGoMessageNativeLabels(t *testing.T) {
	// What go-message decodes by itself (checked against x/text v0.44.0):
	// the WHATWG aliases of Shift_JIS and EUC-JP, but none of the
	// Microsoft ISO-2022-JP code pages, the -1/-2/-3 variants, cp932,
	// eucjp or UTF-7.
	native := map[string]bool{
		"shift_jis": true, "sjis": true, "x-sjis": true, "shift-jis": true, "ms932": true,
		"windows-31j": true, "csshiftjis": true, "ms_kanji": true,
		"iso-2022-jp": true, "csiso2022jp": true,
		"euc-jp": true, "x-euc-jp": true, "cseucpkdfmtjapanese": true,
		"utf8": true, "us-ascii": true,
		"cp932": false, "x-ms-cp932": false,
		"iso-2022-jp-ms": false, "cp50220": false, "cp50221": false, "cp50222": false,
		"iso-2022-jp-1": false, "iso-2022-jp-2": false, "iso-2022-jp-3": false,
		"eucjp": false, "utf-7": false,
	}
	for label, want := range native {
		if got := goMessageNative(label); got != want {
			t.Errorf("go-message knows %q natively: %v, want %v", label, got, want)
		}
	}
}

func TestRegisteredLabels(t *testing.T) {
	const text = "テスト① 髙橋"
	sjis, _ := japanese.ShiftJIS.NewEncoder().String(text)
	euc, _ := japanese.EUCJP.NewEncoder().String(text)
	jis, _ := japanese.ISO2022JP.NewEncoder().String(text)
	utf7, _ := utf7Encoding{}.NewEncoder().String(text)
	tests := []struct {
		labels []string
		input  string
	}{
		{[]string{"cp932", "CP932", "ms932", "windows-31j", "x-sjis", "sjis", "shift-jis", "shift_jis", "Shift_JIS", "x-ms-cp932", "windows-932"}, sjis},
		{[]string{"iso-2022-jp", "ISO-2022-JP", "iso-2022-jp-ms", "cp50220", "cp50221", "cp50222", "iso-2022-jp-1", "iso-2022-jp-2", "iso-2022-jp-3", "csiso2022jp"}, jis},
		{[]string{"euc-jp", "x-euc-jp", "eucjp", "EUCJP", "cp51932"}, euc},
		{[]string{"utf8", "UTF8", "utf-8"}, text},
		{[]string{"utf-7", "unicode-1-1-utf-7"}, utf7},
	}
	for _, tt := range tests {
		for _, label := range tt.labels {
			t.Run(label, func(t *testing.T) {
				c, ok := lookup(label)
				if !ok {
					t.Fatalf("lookup(%q) failed", label)
				}
				r, err := charset.Reader(label, strings.NewReader(tt.input))
				if err != nil {
					t.Fatalf("go-message charset.Reader(%q): %v", label, err)
				}
				got, err := io.ReadAll(r)
				if err != nil {
					t.Fatal(err)
				}
				if string(got) != text {
					t.Errorf("go-message decodes %q as %q (codec %s), want %q", label, got, c.name, text)
				}
			})
		}
	}
}

// TestXTextISO2022JP records what x/text's own ISO-2022-JP decoder does,
// which is why we wrap it: it reads NEC row 13, NEC-selected IBM
// extensions and ESC ( I kana, but not SO/SI kana, and it swallows a line
// end left inside a JIS X 0208 run.
func TestXTextISO2022JP(t *testing.T) {
	dec := func(s string) string {
		out, err := japanese.ISO2022JP.NewDecoder().String(s)
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	for _, tt := range []struct{ name, in, want string }{
		{"NEC row 13", "\x1b$B\x2d\x21\x2d\x6a\x2d\x5f\x1b(B", "①㈱㍻"},
		{"NEC-selected IBM", "\x1b$B\x7c\x62\x7c\x72\x1b(B", "髙ⅱ"},
		{"ESC ( I kana", "\x1b(I\x31\x32\x1b(B", "ｱｲ"},
		{"SO/SI kana not decoded", "a\x0e\x31\x0fb", "a\x0e1\x0fb"},
		{"CRLF inside JIS X 0208 swallowed", "\x1b$B\x24\x22\r\n\x24\x24", "あ\uFFFDい"},
	} {
		if got := dec(tt.in); got != tt.want {
			t.Errorf("%s: x/text gives %q, want %q (x/text changed: revisit iso2022jp.go)", tt.name, got, tt.want)
		}
	}
}

// TestXTextShiftJISIsCP932 checks that x/text's Shift_JIS table is CP932's,
// so the CP932 labels can share it.
func TestXTextShiftJISIsCP932(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{"\x87\x40\x87\x8a\x87\x7e", "①㈱㍻"},          // NEC row 13
		{"\xee\xe0\xee\xf0\xed\x95", "髙ⅱ﨑"},          // NEC-selected IBM extensions
		{"\xfb\xfc\xfa\x41\xfa\x55", "髙ⅱ￤"},          // IBM extensions
		{"\x81\x60\x81\x5c\x81\x7c\x81\xca", "～―－￢"}, // CP932 mappings, not JIS's 〜—−¬
	} {
		got, err := japanese.ShiftJIS.NewDecoder().String(tt.in)
		if err != nil || got != tt.want {
			t.Errorf("ShiftJIS(% x) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
}

func TestLookup(t *testing.T) {
	for _, tt := range []struct {
		label, name string
		ok          bool
	}{
		{"ISO-8859-1", "iso-8859-1", true},
		{"latin1", "iso-8859-1", true}, // WHATWG alias
		{"windows-1252", "windows-1252", true},
		{"ks_c_5601-1987", "euc-kr", true},
		{"gb2312", "gbk", true},
		{"\"utf-8\"", "utf-8", true},
		{"UTF-8*ja", "utf-8", true},
		{"charset=us-ascii", "us-ascii", true}, // enmime's html-mime-bad-charset-inline
		{"utf8", "utf-8", true},
		{"x-sjis", "shift_jis", true},
		{"us-askey", "", false},
		{"fakescii", "", false},
		{"", "", false},
	} {
		c, ok := lookup(tt.label)
		if ok != tt.ok || (ok && c.name != tt.name) {
			t.Errorf("lookup(%q) = %q, %v; want %q, %v", tt.label, c.name, ok, tt.name, tt.ok)
		}
	}
}

func TestASCIICompatible(t *testing.T) {
	for label, want := range map[string]bool{
		"utf-8": true, "shift_jis": true, "iso-8859-1": true, "koi8-r": true, "gbk": true,
		"utf-16": false, "utf-7": false, "ibm037": false,
	} {
		c, ok := lookup(label)
		if !ok {
			t.Fatalf("lookup(%q) failed", label)
		}
		if got := c.asciiCompatible(); got != want {
			t.Errorf("%s: asciiCompatible = %v, want %v", label, got, want)
		}
	}
}
