package sanitize

import (
	"mime"
	"strings"
	"testing"
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
		if w, ok := iso2022jpWords(name); ok {
			return w
		}
	}
	return mime.BEncoding.Encode("utf-8", name)
}

// FuzzEncodedWords holds appendBWords to mime.BEncoding.Encode, and the
// phrase encoding to what it was with mime's encoder.
func FuzzEncodedWords(f *testing.F) {
	for _, t := range []string{
		"", "a", "plain ascii", "tab\there", "bell\a", "del\x7f", "山田太郎", "山田 太郎", "\xff", "a\xffb",
		strings.Repeat("山", 15), strings.Repeat("山", 16), strings.Repeat("a", 44) + "山", strings.Repeat("x", 45) + "é",
		strings.Repeat("a", 45), strings.Repeat("a", 46) + "\x01", strings.Repeat("日本語のメール", 20), "😀😀😀😀😀😀😀😀😀😀😀😀",
		"\xf0\x9f\x98", strings.Repeat("é", 23) + "\xe5\xb1", `Yamada, Taro`, `a "b" \c`, "J.R. Smith", "=?x?=",
		strings.Repeat("Long ", 40), "①②", "髙橋",
	} {
		f.Add(t)
	}
	utf8Pol, isoPol := defaultPolicy(f), defaultPolicy(f)
	isoPol.OutputCharset = "iso-2022-jp"
	ss := []*sanitizer{newSanitizer(Options{Policy: utf8Pol}, nil), newSanitizer(Options{Policy: isoPol}, nil)}
	f.Fuzz(func(t *testing.T, text string) {
		want := mime.BEncoding.Encode("utf-8", text)
		if got := string(appendBWords(nil, text)); got != want {
			t.Fatalf("appendBWords(%q) = %q, mime gives %q", text, got, want)
		}
		if got := ss[0].encodeWords(text); got != want {
			t.Fatalf("encodeWords(%q) = %q, mime gives %q", text, got, want)
		}
		for _, s := range ss {
			want := refEncodePhrase(s, text)
			if got := s.encodePhrase(text); got != want {
				t.Fatalf("%s: encodePhrase(%q) = %q, want %q", s.pol.OutputCharset, text, got, want)
			}
		}
	})
}
