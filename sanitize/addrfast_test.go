package sanitize

import (
	"encoding/base64"
	"math/rand/v2"
	"mime"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/emersion/go-message"
)

var benchAddresses = []struct{ name, key, raw string }{
	{"from-utf8-b", "From", "=?UTF-8?B?5bGx55Sw5aSq6YOO?= <taro@example.jp>"},
	{"to-bare", "To", "soumu@city.example.lg.jp"},
	{"from-quoted", "From", `"Taro Yamada" <taro@example.jp>`},
	{"to-list", "To", "a@example.com, b@example.com"},
}

func BenchmarkAddressValue(b *testing.B) {
	for _, c := range benchAddresses {
		b.Run(c.name, func(b *testing.B) {
			s := newSanitizer(Options{Policy: defaultPolicy(b)}, &Report{})
			b.ReportAllocs()
			for b.Loop() {
				s.addressValue(c.key, c.raw)
			}
		})
	}
}

// addressSeeds are realistic and awkward address fields: the first ones
// are in the fast path's subset, the rest mostly are not.
var addressSeeds = []string{
	"=?UTF-8?B?5bGx55Sw5aSq6YOO?= <taro@example.jp>",
	"soumu@city.example.lg.jp",
	`"Taro Yamada" <taro@example.jp>`,
	`"https://secure.evil.example/login" <a@example.jp>`, "Amazon.co.jp <auto@amazon.co.jp>, www.evil.com <b@c.jp>",
	"a@example.com, b@example.com",
	"a@example.com,b@example.com",
	"  a@example.com ,  b@example.com  ",
	"Taro Yamada <taro@example.jp>",
	"Taro Y. Yamada <taro@example.jp>",
	"J.R. Smith <jr@example.com>",
	"<taro@example.jp>",
	"<taro@example.jp>, =?utf-8?q?Andr=C3=A9?= <andre@example.fr>",
	"=?ISO-2022-JP?B?GyRCOzNFRBsoQg==?= <yamada@example.co.jp>",
	"=?iso-2022-jp?B?GyRCOzNFRkJATzobKEI=?= <taro@example.jp>",
	"=?ISO-2022-JP?B?GyRCOzNFRBsoQg==?= =?ISO-2022-JP?B?GyRCQkBPOhsoQg==?= <t@example.jp>",
	"=?UTF-8?B?5bGx55Sw?= =?UTF-8?B?5aSq6YOO?= <taro@example.jp>",
	"=?UTF-8?B?5bGx55Sw?= X =?UTF-8?B?5aSq6YOO?= <taro@example.jp>",
	"=?UTF-8?B?5bGx55Sw?=\"quoted\"=?UTF-8?B?5aSq6YOO?= <taro@example.jp>",
	"=?utf-8?Q?=E5=B1=B1=E7=94=B0_=E5=A4=AA=E9=83=8E?= <taro@example.jp>",
	"=?utf-8?q?a=3Cb=3E?= <x@example.com>",
	"=?utf-8?q?=22quoted=22?= <x@example.com>",
	"=?utf-8?b?IA==?= <x@example.com>",
	"=?utf-8?b??= <x@example.com>",
	"=?utf-8?b??= X <x@example.com>",
	"=?utf-8?b?77u/4oCu?= <x@example.com>",
	"=?utf-8?b?/w==?= <x@example.com>",
	"=?utf-8?b?5bGx55Sw5aSq6YOO5bGx55Sw5aSq6YOO5bGx55Sw5aSq6YOO5bGx55Sw5aSq6YOO?= <x@example.com>",
	"=?utf-8?b?5bGx55Sw5aSq6YO?= <x@example.com>",
	"=?utf-8?b?5bGx55Sw5aSq6YOO <x@example.com>",
	"=?utf-8?x?abc?= <x@example.com>",
	"=?unknown-8bit?b?5bGx55Sw?= <x@example.com>",
	"Taro =?unknown?b?5bGx55Sw?= <x@example.com>",
	"=?shift_jis?B?jlKTYw==?= <x@example.jp>",
	"=?euc-jp?B?u7PFxA==?= <x@example.jp>",
	"=?utf8?B?5bGx55Sw?= <x@example.jp>",
	"=?us-ascii?q?a=FFb?= <x@example.com>",
	"=?iso-8859-1?q?Andr=E9?= <andre@example.fr>",
	"=?UTF-8*ja?B?5bGx55Sw?= <x@example.jp>",
	"a=?utf-8?b?5bGx?= <x@example.com>",
	`"=?utf-8?b?5bGx55Sw?=" <x@example.com>`,
	`"Yamada, Taro" <taro@example.jp>`,
	`"Yamada \"Taro\"" <taro@example.jp>`,
	`"a\\b" <x@example.com>`,
	`"" <x@example.com>`,
	`"a"b <x@example.com>`,
	`"a b"@example.com`,
	`"a:b;" <x@example.com>`,
	"Taro (comment) <taro@example.jp>",
	"taro@example.jp (Taro Yamada)",
	"undisclosed-recipients:;",
	"Group: a@example.com, b@example.com;",
	"foo@bar.com <baz@qux.com>",
	"a@example.com,",
	",a@example.com",
	"a@example.com,,b@example.com",
	"a@example.com, , b@example.com",
	"",
	" ",
	",",
	"<>",
	"Taro <>",
	"a@b",
	"a.@example.com",
	".a@example.com",
	"a..b@example.com",
	"a@example.com.",
	"a@.example.com",
	"a@example..com",
	"a@-example.com",
	"a@exa_mple.com",
	"a@[192.0.2.1]",
	"Taro <a@[192.0.2.1]>",
	"a@ example.com",
	"Taro < a@example.com>",
	"Taro <a@example.com >",
	"Taro<a@example.com>",
	"Taro <a@example.com>x",
	"Taro <a@example.com><b@example.com>",
	"太郎 <taro@example.jp>",
	"taro@例え.jp",
	"Taro <taro@例え.jp>",
	"たろう@example.jp",
	"taro@xn--r8jz45g.jp",
	"Taro <taro@example.jp\r\n>",
	"Taro\r\n <taro@example.jp>",
	"Taro\t<taro@example.jp>",
	"a@example.com,\r\n b@example.com",
	"Taro <taro@example.jp>, Hanako <hanako@example.jp>, jiro@example.jp",
	"Taro\x00 <taro@example.jp>",
	"\x7f <taro@example.jp>",
	strings.Repeat("Long ", 60) + "<long@example.com>",
	strings.Repeat("x", 320) + "@example.com",
	strings.Repeat("x", 320) + "@example.com, a@example.com",
	"To: " + strings.Repeat("x", 320) + "@example.com;",
	"=?utf-8?b?" + strings.Repeat("5bGx55Sw", 30) + "?= <x@example.com>",
	"=?utf-8?q?" + strings.Repeat("=E5=B1=B1", 30) + "?= <x@example.com>",
	"Name=?utf-8?b?5bGx?= <x@example.com>",
	"=?utf-8?b?5bGx?=Name <x@example.com>",
	"=?utf-8?b?5bGx?=.x <x@example.com>",
	"=??b?5bGx?= <x@example.com>",
	"=?utf-8?bb?5bGx?= <x@example.com>",
	"=?utf-8?b?5b?Gx?= <x@example.com>",
	"=?utf-8?q?a=?= <x@example.com>",
	"=?utf-8?q?a=4?= <x@example.com>",
	"=?utf-8?q?a=4g?= <x@example.com>",
	"=?utf-8?b?QQ==QQ==?= <x@example.com>",
	"=?utf-8?b?QR==?= <x@example.com>",
	"=?utf-8?b?QQ?= <x@example.com>",
	"=?utf-8?q?=0D=0A?= <x@example.com>",
	"=?utf-8?q?__?= <x@example.com>",
	"Taro =?utf-8?q?__?= <x@example.com>",
	"!#$%&'*+-/=?^_`{|}~@example.com",
	"Taro <!#$%&'*+-/=?^_`{|}~@example.com>",
	"=?utf-8?b?5bGx55Sw?= <a@b>, =?iso-2022-jp?b?GyRCOzNFRBsoQg==?= <c@d>",
	"0@0,0@0000000A0a!", // an invalid second addr-spec once panicked
	// Links in local parts: dropped by the general path alone.
	"x!evil.com@example.jp, taro@example.jp", "Taro <evil.com/login@example.jp>", `"see https://evil.example/"@example.jp`,
	"kikaku.tokyo+ml@example.jp, info.com@example.jp",
}

// addressTokens are the pieces of address fields, so that the fuzzer,
// given the bytes 0x01-0x1f, writes whole tokens (see expandTokens)
// and reaches the edges of the fast path's subset, not only its
// rejections.
var addressTokens = []string{
	"", "taro", "@", "example.jp", " ", ", ", "<", ">", `"`, ".", "=?utf-8?b?", "5bGx55Sw", "?=",
	"=?ISO-2022-JP?B?GyRCOzNFRBsoQg==?=", "=?utf-8?q?", "=E5=B1=B1_", "(", ")", ":", ";", `\`, "\t",
	"é", "\r\n ", "=?utf-8?b?5bGx55Sw5aSq6YOO?= <taro@example.jp>", "a@example.com", ",", "[", "]",
	"Taro Yamada", "=", "?",
}

// expandTokens replaces each byte below 0x20 of s by an addressToken.
func expandTokens(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if c := s[i]; int(c) < len(addressTokens) {
			b.WriteString(addressTokens[c])
		} else {
			b.WriteByte(c)
		}
	}
	return b.String()
}

var addressKeys = []string{"From", "To", "Cc", "Reply-To", "Sender", "Bcc", "Resent-To", "Disposition-Notification-To"}

// FuzzAddressValueFast holds addressValue (its fast path where it takes
// the input) to addressValueGeneral: the same value and the same
// findings, under both output charsets.
func FuzzAddressValueFast(f *testing.F) {
	// variant: the key, 0x40 for expandTokens, 0x80 for ISO-2022-JP output
	for i, raw := range addressSeeds {
		f.Add(uint8(i%64|i%2<<7), raw)
	}
	for i, toks := range []string{
		"\x01\x02\x03", "\x0a\x0b\x0c\x04\x06\x01\x02\x03\x07", "\x0a\x0b\x0c\x04\x0d\x04\x06\x01\x02\x03\x07",
		"\x08\x1d\x08\x04\x06\x01\x02\x03\x07\x05\x19", "\x0e\x0f\x0c\x04\x06\x01\x02\x03\x07",
		"\x18\x05\x18\x1a\x19", "\x01\x09\x01\x02\x03", "\x10\x01\x11\x04\x06\x01\x02\x03\x07",
		"\x1d\x04\x06\x01\x02\x03\x07\x1a\x04\x19", "\x0d\x0a\x0c\x06\x19\x07",
	} {
		f.Add(uint8(0x40|i|i%2<<7), toks)
	}
	// Building a policy takes far longer than the calls under test.
	utf8Pol, isoPol := defaultPolicy(f), defaultPolicy(f)
	isoPol.OutputCharset = "iso-2022-jp"
	base := [2]*sanitizer{newSanitizer(Options{Policy: utf8Pol}, nil), newSanitizer(Options{Policy: isoPol}, nil)}
	f.Fuzz(func(t *testing.T, variant uint8, raw string) {
		key := addressKeys[int(variant)%len(addressKeys)]
		if variant&0x40 != 0 {
			raw = expandTokens(raw)
		}
		b := base[variant>>7]
		fast := &sanitizer{opt: b.opt, pol: b.pol, rep: &Report{}}
		general := &sanitizer{opt: b.opt, pol: b.pol, rep: &Report{}}
		got := fast.addressValue(key, raw)
		want := general.addressValueGeneral(key, raw)
		if got != want {
			_, took := fast.addressValueFast(raw)
			t.Fatalf("%s: %q: addressValue = %q (fast path took it: %v), general = %q", key, raw, got, took, want)
		}
		if fast.headerLinks != general.headerLinks {
			t.Fatalf("%s: %q: links neutralised: fast path %v, general %v", key, raw, fast.headerLinks, general.headerLinks)
		}
		if !slices.Equal(fast.rep.Findings, general.rep.Findings) {
			t.Fatalf("%s: %q: findings %+v, general %+v", key, raw, fast.rep.Findings, general.rep.Findings)
		}
	})
}

// TestAddressValueFastTakes keeps the common forms on the fast path: a
// change that sends them to the general path passes the fuzz target but
// loses the speed.
func TestAddressValueFastTakes(t *testing.T) {
	s := newSanitizer(Options{Policy: defaultPolicy(t)}, &Report{})
	for _, raw := range addressSeeds[:20] {
		if _, ok := s.addressValueFast(raw); !ok {
			t.Errorf("%q: not on the fast path", raw)
		}
	}
	for _, c := range benchAddresses {
		if _, ok := s.addressValueFast(c.raw); !ok {
			t.Errorf("%q: not on the fast path", c.raw)
		}
	}
}

// TestAddressValueFastGenerated is FuzzAddressValueFast over lists from
// genAddressList; about a tenth of them are on the fast path.
func TestAddressValueFastGenerated(t *testing.T) {
	n := 10000
	if testing.Short() {
		n = 1000
	}
	r := rand.New(rand.NewPCG(1, 2))
	utf8Pol, isoPol := defaultPolicy(t), defaultPolicy(t)
	isoPol.OutputCharset = "iso-2022-jp"
	base := [2]*sanitizer{newSanitizer(Options{Policy: utf8Pol}, nil), newSanitizer(Options{Policy: isoPol}, nil)}
	for i := range n {
		raw := genAddressList(r)
		b := base[i%2]
		fast := &sanitizer{opt: b.opt, pol: b.pol, rep: &Report{}}
		general := &sanitizer{opt: b.opt, pol: b.pol, rep: &Report{}}
		key := addressKeys[i%len(addressKeys)]
		got, want := fast.addressValue(key, raw), general.addressValueGeneral(key, raw)
		if got != want || !slices.Equal(fast.rep.Findings, general.rep.Findings) {
			t.Fatalf("%s: %q: addressValue = %q, %+v; general = %q, %+v", key, raw, got, fast.rep.Findings, want, general.rep.Findings)
		}
	}
}

// genAddressList writes a random address list near the fast path's
// subset: mostly inside it, with the near misses (broken encoded words,
// unknown charsets, stray dots and commas, escapes, odd characters) that
// coverage-guided fuzzing rarely builds whole.
func genAddressList(r *rand.Rand) string {
	pick := func(s ...string) string { return s[r.IntN(len(s))] }
	atext := "abcXYZ019!#$%&'*+-/=?^_`{|}~"
	word := func(chars string, n int) string {
		var b strings.Builder
		for range 1 + r.IntN(n) {
			b.WriteByte(chars[r.IntN(len(chars))])
		}
		return b.String()
	}
	dotted := func(chars string) string {
		s := word(chars, 6)
		for r.IntN(3) == 0 {
			s += pick(".", ".", "..") + word(chars, 5)
		}
		if r.IntN(20) == 0 {
			s = pick(".", "") + s + pick(".", "")
		}
		return s
	}
	const jp = "\xe5\xb1\xb1\xe7\x94\xb0 aZ\x1b$B;3ED\x1b(B" // UTF-8 and ISO-2022-JP bytes
	randBytes := func() []byte {
		b := make([]byte, r.IntN(20))
		for i := range b {
			switch r.IntN(4) {
			case 0:
				b[i] = byte(r.IntN(256))
			case 1:
				b[i] = byte(' ' + r.IntN(95))
			default:
				b[i] = jp[r.IntN(len(jp))]
			}
		}
		return b
	}
	enc := func() string {
		cs := pick("utf-8", "UTF-8", "Utf-8", "iso-2022-jp", "ISO-2022-JP", "us-ascii", "iso-8859-1", "shift_jis", "utf8", "x-unknown", "")
		e := pick("B", "b", "Q", "q", "x", "")
		b := randBytes()
		var text string
		switch strings.ToLower(e) {
		case "q":
			var sb strings.Builder
			for _, c := range b {
				switch {
				case c == ' ':
					sb.WriteString(pick("_", "=20"))
				case c > ' ' && c < 0x7f && c != '=' && c != '?' && c != '_' && r.IntN(2) == 0:
					sb.WriteByte(c)
				default:
					sb.WriteString("=" + strings.ToUpper(strconv.FormatInt(int64(c)|0x100, 16)[1:]))
				}
			}
			text = sb.String()
		default:
			text = base64.StdEncoding.EncodeToString(b)
		}
		if r.IntN(15) == 0 && len(text) > 0 { // a broken word
			i := r.IntN(len(text))
			text = text[:i] + pick("=", "?", "", " ", "A", ".") + text[i+1:]
		}
		return "=?" + cs + "?" + e + "?" + text + "?="
	}
	phraseWord := func() string {
		switch r.IntN(4) {
		case 0:
			return dotted(atext)
		case 1:
			return `"` + word(" abc,.:;<>@()[]=?!~", 8) + pick(`"`, `"`, `\"`, "") + `"`
		}
		return enc()
	}
	spec := func() string {
		return dotted(atext) + "@" + dotted(pick("abcxyz019-", "abc-", "abc_", "ab"))
	}
	var out []string
	for range 1 + r.IntN(3) {
		var el string
		if r.IntN(3) == 0 {
			el = spec()
		} else {
			var ws []string
			for range r.IntN(4) {
				ws = append(ws, phraseWord()+pick(" ", " ", "", "  "))
			}
			el = strings.Join(ws, "") + pick("", " ") + "<" + spec() + ">"
		}
		out = append(out, el)
	}
	s := pick("", " ") + strings.Join(out, pick(",", ", ", " , ", ",,")) + pick("", " ", ",")
	if r.IntN(10) == 0 && len(s) > 0 { // any character, anywhere
		i := r.IntN(len(s))
		s = s[:i] + string(rune(r.IntN(0x3100))) + s[i:]
	}
	return s
}

func TestIsAtomByte(t *testing.T) {
	for c := 0; c < 256; c++ {
		if want := c == '.' || c < 0x80 && isAtext(rune(c)); isAtomByte(byte(c)) != want {
			t.Errorf("isAtomByte(%q) = %v", rune(c), !want)
		}
	}
}

// refEncodePhrase is encodePhrase as it was before appendBWords and
// appendQuoted, with mime's encoder.
func refEncodePhrase(s *sanitizer, name string) string {
	if isASCII(name) && !strings.Contains(name, "=?") {
		atoms := true
		for _, r := range name {
			if !(r == ' ' || isAtext(r)) {
				atoms = false
				break
			}
		}
		if atoms && len(name) < 200 {
			return name
		}
		if len(name) < 200 {
			return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(name) + `"`
		}
	}
	if s.pol.OutputCharset == "iso-2022-jp" {
		if w, ok := iso2022jpWords(name, s.pol.Body.Links); ok {
			return w
		}
	}
	if w := refBWords(name); w != name {
		return w
	}
	// Printable ASCII too long to quote (phraseForm): encoded all the
	// same, as written bare its specials would be address-list syntax.
	return forcedWords(name)
}

// forcedWords is mime's B encoding of name, printable ASCII included:
// 45-byte chunks, each an encoded word.
func forcedWords(name string) string {
	var words []string
	for len(name) > 45 {
		words = append(words, "=?utf-8?b?"+base64.StdEncoding.EncodeToString([]byte(name[:45]))+"?=")
		name = name[45:]
	}
	return strings.Join(append(words, "=?utf-8?b?"+base64.StdEncoding.EncodeToString([]byte(name))+"?="), " ")
}

// refBWords is mime.BEncoding.Encode("utf-8", t), except that printable
// ASCII reading like an encoded word is encoded too (mime returns it as it
// is; a reader would decode it). For that case it returns what
// appendBWords gives once checkForcedWords has found it right.
func refBWords(t string) string {
	if !needsEncoding(t) && strings.Contains(t, "=?") {
		return string(appendBWords(nil, t))
	}
	return mime.BEncoding.Encode("utf-8", t)
}

// checkForcedWords: appendBWords of printable ASCII with "=?" in it is
// encoded words only, each at most 75 characters, that decode to t.
func checkForcedWords(t *testing.T, text string) {
	if needsEncoding(text) || !strings.Contains(text, "=?") {
		return
	}
	got := string(appendBWords(nil, text))
	for _, w := range strings.Split(got, " ") {
		if !strings.HasPrefix(w, "=?utf-8?b?") || !strings.HasSuffix(w, "?=") || len(w) > 75 {
			t.Fatalf("appendBWords(%q) = %q: %q is not one encoded word", text, got, w)
		}
	}
	if d, err := (&mime.WordDecoder{}).DecodeHeader(got); err != nil || d != text {
		t.Fatalf("appendBWords(%q) = %q decodes to %q, %v", text, got, d, err)
	}
}

// FuzzEncodedWords holds appendBWords to mime.BEncoding.Encode, the
// phrase encoding to what it was with mime's encoder, and the fast
// encoded-word decoding to the mime.WordDecoder go-message parses
// address lists with.
func FuzzEncodedWords(f *testing.F) {
	for _, t := range []string{
		"", "a", "plain ascii", "tab\there", "bell\a", "del\x7f", "山田太郎", "山田 太郎", "\xff", "a\xffb",
		strings.Repeat("山", 15), strings.Repeat("山", 16), strings.Repeat("a", 44) + "山", strings.Repeat("x", 45) + "é",
		strings.Repeat("a", 45), strings.Repeat("a", 46) + "\x01", strings.Repeat("日本語のメール", 20), "😀😀😀😀😀😀😀😀😀😀😀😀",
		"\xf0\x9f\x98", strings.Repeat("é", 23) + "\xe5\xb1", `Yamada, Taro`, `a "b" \c`, "J.R. Smith", "=?x?=",
		strings.Repeat("Long ", 40), "①②", "髙橋",
		"<mayor@city.example.lg.jp>, " + strings.Repeat("x", 200), strings.Repeat("Yamada, Taro ", 20),
	} {
		f.Add(t)
	}
	for _, w := range addressSeeds {
		if i := strings.Index(w, "=?"); i >= 0 {
			if j := strings.Index(w[i:], " "); j > 0 {
				f.Add(w[i : i+j])
			}
		}
	}
	dec := mime.WordDecoder{CharsetReader: message.CharsetReader}
	utf8Pol, isoPol := defaultPolicy(f), defaultPolicy(f)
	isoPol.OutputCharset = "iso-2022-jp"
	ss := []*sanitizer{newSanitizer(Options{Policy: utf8Pol}, nil), newSanitizer(Options{Policy: isoPol}, nil)}
	f.Fuzz(func(t *testing.T, text string) {
		checkForcedWords(t, text)
		want := refBWords(text)
		if got := string(appendBWords(nil, text)); got != want {
			t.Fatalf("appendBWords(%q) = %q, mime gives %q", text, got, want)
		}
		if got := ss[0].encodeWords(text); got != want {
			t.Fatalf("encodeWords(%q) = %q, mime gives %q", text, got, want)
		}
		for _, s := range ss {
			want := s.encodeWords(text)
			if got := string(s.appendWords([]byte("x"), text)); got != "x"+want {
				t.Fatalf("%s: appendWords(%q) = %q, want x%q", s.pol.OutputCharset, text, got, want)
			}
			want = refEncodePhrase(s, text)
			if got := s.encodePhrase(text); got != want {
				t.Fatalf("%s: encodePhrase(%q) = %q, want %q", s.pol.OutputCharset, text, got, want)
			}
			if got := string(s.appendPhrase([]byte("x"), text)); got != "x"+want {
				t.Fatalf("%s: appendPhrase(%q) = %q, want x%q", s.pol.OutputCharset, text, got, want)
			}
		}
		d, err := dec.Decode(text)
		got, ok := appendDecodedWord([]byte("x"), text)
		if ok && (err != nil || string(got) != "x"+d) {
			t.Fatalf("appendDecodedWord(%q) = %q; mime: %q, %v", text, got, d, err)
		}
		if !ok && err == nil {
			t.Fatalf("appendDecodedWord(%q) fails; mime: %q", text, d)
		}
	})
}
