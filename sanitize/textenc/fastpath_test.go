package textenc

import (
	"reflect"
	"slices"
	"strings"
	"testing"
)

// mediaTypeSeeds are Content-Type and Content-Disposition values as mail
// carries them, and the malformed ones that have to parse the same way.
var mediaTypeSeeds = []string{
	// Typical.
	"text/plain; charset=us-ascii",
	`text/plain; charset="utf-8"`,
	`multipart/alternative; boundary="abc"`,
	`application/pdf; name="report.pdf"`,
	"text/plain; charset=ISO-2022-JP",
	"text/plain; charset=UTF-8; format=flowed; delsp=yes",
	`text/html; charset="iso-2022-jp"`,
	`multipart/mixed; boundary="----=_Part_12345_67890.1600000000000"`,
	"multipart/mixed;\r\n\tboundary=\"b1\"",
	"multipart/related; type=\"text/html\"; boundary=\"=_abc\"",
	`attachment; filename="report.pdf"`,
	"attachment; filename=report.pdf",
	"inline",
	"text/plain",
	"Text/HTML; Charset=\"utf-8\"",
	"TEXT/PLAIN; CHARSET=US-ASCII",
	"text/plain;charset=us-ascii",
	"text/plain ;charset=us-ascii ",
	"text/plain; charset = us-ascii",
	"text/plain;\tcharset=us-ascii;",
	"text/plain; charset=us-ascii;;",
	"message/rfc822",
	// Empty and malformed types.
	"", " ", ";", "; charset=utf-8", "text", "text/", "/plain", "text/plain/x",
	"text / plain", "text/plain charset=utf-8", "text/ plain; a=b", "text /plain",
	"te xt/plain", "text/pl@in", "text/plain\x00; a=b", "téxt/plain", "text/plain (c); charset=us-ascii (Plain text)",
	"(comment) text/plain", "text/plain(c)", "text/plain (c", "text/plain; x",
	// Values.
	`attachment; filename="a \"b\".txt"`, `attachment; filename="a\\b"`, `attachment; filename="a\"`,
	`attachment; filename="abc`, `attachment; filename="abc" junk; size=1`, `attachment; filename="abc" (comment)`,
	`attachment; filename=""`, "attachment; filename=", "attachment; filename", "attachment; =x", "attachment; *=x",
	"attachment; filename = \"x\" ; size = 3", "attachment; filename=my file (2).txt", "attachment; filename=report(1).pdf",
	"attachment; filename=a; FILENAME=b", "attachment; filename=a; filename=a", `multipart/mixed; boundary="a"; boundary="b"`,
	"multipart/mixed; boundary=a; boundary*=UTF-8''b", "multipart/mixed; boundary==?UTF-8?B?5pel?=",
	`multipart/mixed; boundary="=?UTF-8?B?5pel?="`, "multipart/mixed; boundary=\"\xff\xfe\"",
	// RFC 2231.
	"attachment; filename*=UTF-8''%E6%97%A5%E6%9C%AC.txt",
	"attachment; filename*=shift_jis'ja'%82%A0.txt",
	`attachment; filename*="UTF-8''%E6%97%A5.txt"`,
	"attachment; filename*=UTF-8''日本.txt",
	"attachment; filename*=x-foo''%82%A0%82%A2%82%A4.txt",
	"attachment; filename*=%E6%97%A5.txt",
	"attachment; filename*=iso-2022-jp''%1B%24B%24%22%1B%28B.txt",
	"attachment; filename*0*=utf-8''%E6%97%A5; filename*1*=%E6%9C%AC; filename*2=.txt",
	"attachment; filename*0*=utf-8''%E6%97; filename*1*=%A5.txt",
	"attachment; filename*1=b.txt; filename*0=a",
	`attachment; filename*0="=?UTF-8?B?5pel5pys"; filename*1="6Kqe?=.txt"`,
	"attachment; filename*0=a; filename*2=c",
	"attachment; filename*0=a; filename*0=b",
	"attachment; filename*99999=x; filename*=''",
	"attachment; filename*1000=x", "attachment; filename*999=x", "attachment; filename*0001=x", "attachment; filename*1234567=x",
	"attachment; filename*=a'b", "attachment; filename*=''", "attachment; filename*=utf-8'en'%", "attachment; filename*=utf-8''%4", "attachment; filename*=utf-8''%zz",
	"attachment; filename=a.txt; filename*=UTF-8''b.txt", "attachment; filename=a.txt; filename*=UTF-8''a.txt",
	"attachment; filename*=UTF-8''a; filename*=UTF-8''b", "attachment; filename*=UTF-8''a; filename*0=a",
	"attachment; filename=x; filename*0*=UTF-8''y; filename*1=z", "attachment; filename**=x", "attachment; filename*0**=x", "attachment; *0=x",
	"0;*0=0", "a/b; x*0=1; x*1*=%41; x*2=%42",
	// RFC 2047 and 8-bit text inside values.
	`application/pdf; name="=?UTF-8?B?5pel5pys6Kqe?=.pdf"`,
	`attachment; filename="=?ISO-2022-JP?B?GyRCO3FOQRsoQg==?="`,
	`attachment; filename="=?UTF-8?B?5pel?= =?UTF-8?B?5pys?="`,
	`attachment; filename="=?UTF-8?Q?caf=C3=A9?="`,
	`attachment; filename="=?UTF-8?B?5pel5p?="`,
	`attachment; filename="=?x-unknown?B?g2WDWINn?="`,
	"attachment; filename=\"日本語.txt\"",
	"attachment; filename=\"\x8e\x91\x97\xbf\x87@.doc\"",
	"attachment; filename=\"\x1b$B$\"$;\x1b(B.txt\"; size=1",
	"attachment; filename=\x1b$B$;\x1b(B.txt; size=1",
	"attachment; filename=\"\x1b$B\x1b(B\"; a=\"\x1b(J\"",
	"attachment; filename=\"\x1b$B$\"\r\n$;\x1b(B\"",
	"attachment; filename=\"\x1b$(D\"", "attachment; filename=\x1b", "attachment; filename=\"\x1b\"",
	"attachment; filename=\"caf\xe9.txt\"", "attachment; filename=\"a\x00b\"", "attachment; filename=\"a\x7fb\u0085c\"",
	"attachment;\r\n filename=\"=?UTF-8?B?5pel?=\r\n =?UTF-8?B?5pys?=\"",
	"text/plain; charset=\"us-ascii\" (Plain text)", "text/plain; charset=us-ascii (Plain text)",
	"text/plain; charset=us-ascii; charset=utf-8", "text/plain; charset=\"utf-8\"; charset=utf-8",
}

// headerSeeds are header texts as mail carries them, and the malformed
// ones that have to decode the same way.
var headerSeeds = []string{
	"", " ", "Re: meeting tomorrow", "Re: meeting tomorrow at 10", "  padded  ", "tab\there",
	"=?UTF-8?B?44GK55+l44KJ44Gb?=", "=?UTF-8?B?5bGx55Sw5aSq6YOO?=", "=?utf-8?b?5pel5pys6Kqe?=",
	"=?UTF-8?B?5bGx55Sw5aSq6YOO?= <taro@example.jp>", `"=?UTF-8?B?5bGx55Sw?=" <yamada@example.jp>`,
	"=?ISO-8859-1?Q?caf=E9_au_lait?=", "=?utf-8?q?=e3=81=82?=", "=?UTF-8?Q?=E6=97?= =?UTF-8?Q?=A5?=",
	"=?ISO-2022-JP?B?GyRCJUYlOSVIGyhC?=", "=?iso-2022-jp?B?GyRCJUYlOSVIGyhC?= =?iso-2022-jp?Q?=1B$B$F=1B(B?=",
	"=?ISO-2022-JP?B?GyRCJT8lJCVIJWskTkQ5JCQlYSE8JWskTj5sOWckTkJQGyhC?=\r\n =?ISO-2022-JP?B?GyRCPWgkcjxCQXUkOSRrJD8kYSROJUYlOSVIJTEhPCU5JEgkNyRGGyhC?=",
	"=?ISO-2022-JP?B?GyRCJUYlOSVI\r\n JWEhPCVrGyhC?=", "=?shift_jis?B?g2WDWINn?=", "Re:=?shift_jis?B?g2WDWINn?=",
	"=?UTF-8*ja?B?5pel5pys6Kqe?=", "=?UTF-8?B?5pel?= =?UTF-8?B?5pys?=", "=?UTF-8?B?5pel?= \t =?UTF-8?Q?=E6=9C=AC?=",
	"=?UTF-8?B?5pel?= and =?UTF-8?B?5pys?=", "=?UTF-8?B?5pel?=\r\n =?UTF-8?B?5pys?=\r\n\t=?UTF-8?B?6Kqe?=",
	"Re: a long\r\n subject", "Re: a long\r\nsubject", "a\rb\nc", "\r\n", "=?UTF-8?B?5pel5p?= =?UTF-8?B?ys6Kqe?=",
	"[ML]=?UTF-8?B?5pel?=(1)", "=?UTF-8?B?5pel5pys6Kqe5paH?=", "=?UTF-8?B?5pel*5pys?=", "=?UTF-8?B?5pel 5pys?=", "=?UTF-8?B?5p*el 5pys?=",
	"=?UTF-8?B?5pel-_?=", "=?UTF-8?B?=?=", "=?UTF-8?B?====?=", "=?UTF-8?B?5?=", "=?UTF-8?B?5p?= =?UTF-8?B?el?=",
	"=?x-unknown?q?=82=a0?=", "=?utf-7?Q?+ZeVnLIqe-?=", "=?us-ascii?Q?=E6=97=A5?=", "=?UTF-8?B?Yf9i?=",
	"日本語のテスト", "\x87@\x87A\x87B\r\n \x87C", "\x83e\x83X\x83g", "\xa5\xc6\xa5\xb9\xa5\xc8",
	"Forma\xe7\xe3o FrenetikPolis", "\x1b$B%F%9%H\x1b(B", "Re: \x89\xef\x8bc =?UTF-8?B?5pel?=", "\x1b", "a\x1bb", "\x1b$B",
	"=?UTF-8?X?abc?=", "=?UTF-8?Q?a b?=", "=?UTF-8?B?5pel", "a =? b ?= c", "a =?UTF-8?B??= b", "=??B?abc?=", "=?a=b?B?abc?=",
	"=?" + strings.Repeat("x", 70) + "?B?abc?=", "=?UTF-8?B?abc?", "=?UTF-8?B?abc?x", "=?UTF-8?Q?=?=", "=?UTF-8?Q?a=3?=", "=?UTF-8?Q?a\x00?=",
	"=?=?UTF-8?B?5pel?=", "=?UTF-8?B?=?UTF-8?B?5pel?=", "te\x00st", "\x00", "=?UTF-8?Q?a=0D=0ABcc:_x@example.com?=",
	"=?UTF-8?B?woU=?=", "=?UTF-8?B?77u/YQ==?=", "=?UTF-8?B?GyRC?=", "\xef\xbb\xbfBOM", "a\u0085b", "\xff", "\xed\xa0\x80",
	"=?utf-16?B?/v8AYQ==?=", "=?UTF-8?B?5pel?==?UTF-8?B?5pys?=", "=?UTF-8?B?5pel?=x=?UTF-8?B?5pys?=",
	"=?ISO-2022-JP?B?GyRCJCIkJBsoQg==?= \x1b$B$\"\x1b(B",
}

// sameFindings compares findings as reflect.DeepEqual does, except that
// the invalid-sequence findings decodeText adds at its end, one for each
// charset, came out of a map in the reference: their order within a run
// is random there.
func sameFindings(got, want []Finding) bool {
	if (got == nil) != (want == nil) || len(got) != len(want) {
		return false
	}
	sorted := func(fs []Finding) []Finding {
		fs = slices.Clone(fs)
		for i := 0; i < len(fs); {
			j := i
			for j < len(fs) && fs[j].Kind == KindInvalid {
				j++
			}
			slices.SortFunc(fs[i:j], func(a, b Finding) int { return strings.Compare(a.Detail, b.Detail) })
			i = max(j, i+1)
		}
		return fs
	}
	return reflect.DeepEqual(sorted(got), sorted(want))
}

// FuzzParseMediaTypeReference holds ParseMediaType to the implementation
// it replaced, reference_test.go's, for every result.
func FuzzParseMediaTypeReference(f *testing.F) {
	for _, s := range mediaTypeSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, v string) {
		mt, params, fs, err := ParseMediaType(v)
		wmt, wparams, wfs, werr := refParseMediaType(v)
		if mt != wmt || !reflect.DeepEqual(params, wparams) || !sameFindings(fs, wfs) || !reflect.DeepEqual(err, werr) {
			t.Fatalf("ParseMediaType(%q)\n got  %q %#v %#v %v\n want %q %#v %#v %v", v, mt, params, fs, err, wmt, wparams, wfs, werr)
		}
	})
}

// FuzzDecodeHeaderReference holds DecodeHeader to the implementation it
// replaced.
func FuzzDecodeHeaderReference(f *testing.F) {
	for _, s := range headerSeeds {
		f.Add(s)
	}
	for _, s := range mediaTypeSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		got, fs := DecodeHeader(raw)
		want, wfs := refDecodeHeader(raw)
		if got != want || !sameFindings(fs, wfs) {
			t.Fatalf("DecodeHeader(%q)\n got  %q %#v\n want %q %#v", raw, got, fs, want, wfs)
		}
	})
}

// The inputs of a small message's header work.
var (
	benchMediaTypes = []struct{ name, v string }{
		{"plain-ascii", "text/plain; charset=us-ascii"},
		{"plain-utf8-quoted", `text/plain; charset="utf-8"`},
		{"multipart", `multipart/alternative; boundary="abc"`},
		{"pdf-name", `application/pdf; name="report.pdf"`},
		{"2231-continuations", "attachment; filename*0*=utf-8''%E6%97%A5; filename*1*=%E6%9C%AC; filename*2=.txt"},
		{"2047-name", `application/pdf; name="=?UTF-8?B?5pel5pys6Kqe?=.pdf"`},
	}
	benchHeaders = []struct{ name, v string }{
		{"ascii", "Re: meeting tomorrow"},
		{"utf8-b", "=?UTF-8?B?44GK55+l44KJ44Gb?="},
		{"utf8-b-name", "=?UTF-8?B?5bGx55Sw5aSq6YOO?="},
		{"iso-2022-jp", "=?ISO-2022-JP?B?GyRCJT8lJCVIJWskTkQ5JCQlYSE8JWskTj5sOWckTkJQGyhC?=\r\n =?ISO-2022-JP?B?GyRCPWgkcjxCQXUkOSRrJD8kYSROJUYlOSVIJTEhPCU5JEgkNyRGGyhC?="},
		{"raw-sjis", sjis("【重要】会議のお知らせ ①②③")},
	}
)

// BenchmarkParseMediaType measures ParseMediaType beside the
// implementation it replaced (impl=ref), in the same run.
func BenchmarkParseMediaType(b *testing.B) {
	for _, in := range benchMediaTypes {
		b.Run("in="+in.name+"/impl=new", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				ParseMediaType(in.v)
			}
		})
		b.Run("in="+in.name+"/impl=ref", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				refParseMediaType(in.v)
			}
		})
	}
}

// BenchmarkDecodeHeader measures DecodeHeader beside the implementation
// it replaced (impl=ref), in the same run.
func BenchmarkDecodeHeader(b *testing.B) {
	for _, in := range benchHeaders {
		b.Run("in="+in.name+"/impl=new", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				DecodeHeader(in.v)
			}
		})
		b.Run("in="+in.name+"/impl=ref", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				refDecodeHeader(in.v)
			}
		})
	}
}
