package sanitize

import (
	"bytes"
	"regexp"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"
)

// The fast paths of the small-message work each have a slow, obvious
// reference; these fuzz targets hold them to it.

var reMsgIDReference = regexp.MustCompile(`<[!-;=?-~]{1,250}>`)

func FuzzMsgIDs(f *testing.F) {
	for _, s := range []string{
		"<a@b>", " <a@b> <c@d>", "<<a@b>>", "<a b@c>", "<>", "x <a@b",
		"<" + strings.Repeat("x", 250) + ">", "<" + strings.Repeat("x", 251) + "><y@z>",
		"<é@b> <ok@b>", "(comment) <id@example.jp>", "<1@a> <2@a> <3@a> <4@a> <5@a> <6@a> <7@a>",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		for _, max := range []int{200, 3, 1} {
			want := reMsgIDReference.FindAllString(s, -1)
			if len(want) > max {
				want = append(want[:1], want[len(want)-(max-1):]...)
			}
			if got := msgIDs(s, max); !slices.Equal(got, want) {
				t.Fatalf("msgIDs(%q, %d) = %q, want %q", s, max, got, want)
			}
		}
	})
}

func FuzzCollapseSpace(f *testing.F) {
	for _, s := range []string{"", "a b", " a", "a ", "a  b", "a\tb", "from x\r\n by y", "a\u3000b", "a\u00a0b", "日本 語"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := collapseSpace(s), strings.Join(strings.Fields(s), " "); got != want {
			t.Fatalf("collapseSpace(%q) = %q, want %q", s, got, want)
		}
	})
}

func FuzzCleanBytes(f *testing.F) {
	for _, s := range []string{"", "plain", "tab\there", "bell\a", "del\x7f", "日本語", "\xff\xfe", "\u202eevil", "\ufeffbom", "\u0085c1", "\xed\xa0\x80", "\uFFFD",
		"12345678\x7f", "abcdefgh\tij", "abcdefg\x01", "abcdefghijklmnop\x1f", "eight by\u200ftes", "日本語\u2066x", "\u061c", "\u00a0\u009f", "abcdefg\u202e", "abcdef\u0085x", "abcdefg\ufeff", "日本語の文章\u061c", "（全角）：\u200e"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		want := refCleanLine([]byte(s))
		got, copied := cleanBytes(nil, []byte(s), utf8.ValidString(s))
		if string(got) != want {
			t.Fatalf("cleanBytes(%q) = %q, want %q", s, got, want)
		}
		if copied == (want == s) || isClean([]byte(s), false) != (want == s) || utf8.ValidString(s) && isClean([]byte(s), true) != (want == s) || isCleanString(s) != (want == s) {
			t.Fatalf("%q: copied %v, isClean %v, but cleanLine changes it: %v", s, copied, isClean([]byte(s), false), want != s)
		}
		if got := cleanLine([]byte(s)); got != want {
			t.Fatalf("cleanLine(%q) = %q, want %q", s, got, want)
		}
		if got := cleanString(s); got != want {
			t.Fatalf("cleanString(%q) = %q, want %q", s, got, want)
		}
	})
}

func FuzzHasLongWord(f *testing.F) {
	f.Add("short words only", 5)
	f.Add("averyveryverylongword x", 5)
	f.Fuzz(func(t *testing.T, s string, n int) {
		if !isASCII(s) || n < 0 {
			return // its callers pass ASCII only
		}
		want := false
		for _, w := range strings.Fields(s) {
			if len(w) > n {
				want = true
			}
		}
		if got := hasLongWord(s, n); got != want {
			t.Fatalf("hasLongWord(%q, %d) = %v, want %v", s, n, got, want)
		}
	})
}

func FuzzPlain7bit(f *testing.F) {
	for _, s := range []string{"", "plain ascii text", "with\x1besc", "12345678\x1b", "日本語", "abcdefgh\x80", "\x7f\x7f\x7f\x7f\x7f\x7f\x7f\x7f\x1c"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		want := !strings.ContainsFunc(s, func(r rune) bool { return r >= 0x80 || r == 0x1b })
		if got := plain7bit([]byte(s)); got != want {
			t.Fatalf("plain7bit(%q) = %v", s, got)
		}
	})
}

// refCleanLine is cleanLine as first written, rune by rune: the
// reference the fast paths (isClean, cleanBytes, cleanString) answer to.
func refCleanLine(b []byte) string {
	clean := true
	for i := 0; i < len(b); i++ {
		if c := b[i]; c < 0x20 && c != '\t' || c == 0x7f || c >= 0x80 {
			clean = false
			break
		}
	}
	if clean {
		return string(b)
	}
	var sb strings.Builder
	sb.Grow(len(b))
	for len(b) > 0 {
		r, size := utf8.DecodeRune(b)
		b = b[size:]
		switch {
		case r == utf8.RuneError && size == 1:
			sb.WriteRune(utf8.RuneError)
		case r == '\t':
			sb.WriteRune(r)
		case r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0):
		case isBidiControl(r) || r == 0xFEFF:
		default:
			sb.WriteRune(r)
		}
	}
	return sb.String()
}

// TestCleanScanWords holds cleanScan's eight-byte tests to the reference
// over every pair of byte values at two places of a word of printable
// ASCII (a carry or borrow from one must not hide the other), for lines
// and single lines, with UTF-8 known valid or not.
func TestCleanScanWords(t *testing.T) {
	for p := 0; p < 8; p++ {
		for q := p + 1; q < 8; q++ {
			for c := 0; c < 256; c++ {
				for d := 0; d < 256; d++ {
					b := []byte("abcdefghijk")
					b[p], b[q] = byte(c), byte(d)
					valid := utf8.Valid(b)
					single := refCleanLine(b) == string(b)
					multi := valid && refCleanLine(bytes.ReplaceAll(b, []byte("\n"), []byte("x"))) == string(bytes.ReplaceAll(b, []byte("\n"), []byte("x")))
					if got := cleanScan(b, false, false); got != single {
						t.Fatalf("cleanScan(%q, false, false) = %v, want %v", b, got, single)
					}
					if got := cleanScan(b, false, true); got != multi {
						t.Fatalf("cleanScan(%q, false, true) = %v, want %v", b, got, multi)
					}
					if valid {
						if got := cleanScan(b, true, false); got != single {
							t.Fatalf("cleanScan(%q, true, false) = %v, want %v", b, got, single)
						}
						if got := cleanScan(b, true, true); got != multi {
							t.Fatalf("cleanScan(%q, true, true) = %v, want %v", b, got, multi)
						}
					}
				}
			}
		}
	}
}
