package textenc

import (
	"bytes"
	"io"
	"mime"
	"strings"
	"testing"
	"testing/iotest"
	"unicode/utf8"
)

func FuzzDecodeHeader(f *testing.F) {
	for _, s := range []string{
		"=?UTF-8?B?5pel5pys6Kqe?=",
		"=?iso-2022-jp?B?GyRCJUYlOSVIGyhC?= =?iso-2022-jp?Q?=1B$B$F=1B(B?=",
		"=?ISO-2022-JP?B?GyRCJUYlOSVI\r\n JWEhPCVrGyhC?=",
		"Re:=?shift_jis?B?g2WDWINn?=",
		"\x87@\x87A\x87B\r\n \x87C",
		"\x1b$B%F%9%H\x1b(B",
		"=?x-unknown?q?=82=a0?=",
		"=?utf-7?Q?+ZeVnLIqe-?=",
		"=?UTF-8?B?5pel5p?= =?UTF-8?B?ys6Kqe?=",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		got, _ := DecodeHeader(raw)
		if !utf8.ValidString(got) {
			t.Fatalf("invalid UTF-8 %q", got)
		}
		for _, r := range got {
			if r < 0x20 || (r >= 0x7f && r <= 0x9f) {
				t.Fatalf("control character %U in %q", r, got)
			}
		}
	})
}

func FuzzParseMediaType(f *testing.F) {
	for _, s := range []string{
		"text/plain; charset=ISO-2022-JP",
		`multipart/mixed; boundary="a"; boundary="b"`,
		"attachment; filename*0*=utf-8''%E6%97%A5; filename*1*=%E6%9C%AC; filename*2=.txt",
		"attachment; filename*=shift_jis'ja'%82%A0.txt",
		`application/pdf; name="=?UTF-8?B?5pel5pys6Kqe?=.pdf"`,
		`attachment; filename="abc`,
		"text/plain (c); charset=us-ascii (Plain text)",
		"attachment; filename*99999=x; filename*=''",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, v string) {
		mt, params, _, err := ParseMediaType(v)
		if err == nil && mt == "" {
			t.Fatalf("no error and no media type for %q", v)
		}
		for k, p := range params {
			if k != strings.ToLower(k) {
				t.Fatalf("parameter name %q not lowercased", k)
			}
			if k != "boundary" && !utf8.ValidString(p) {
				t.Fatalf("parameter %s=%q is not valid UTF-8", k, p)
			}
		}
		// Where the standard library accepts the value, we find the same
		// media type and the same parameter names.
		wantMT, wantP, werr := mime.ParseMediaType(v)
		if werr == nil && err == nil {
			if mt != wantMT {
				t.Fatalf("%q: media type %q, mime says %q", v, mt, wantMT)
			}
			for k := range wantP {
				if _, ok := params[k]; !ok && k != "" {
					t.Fatalf("%q: parameter %q missing (mime: %q, us: %q)", v, k, wantP, params)
				}
			}
		}
	})
}

func FuzzReader(f *testing.F) {
	for _, seed := range []struct{ label, data string }{
		{"shift_jis", sjis(jaBody)},
		{"iso-2022-jp", jis(jaBody)},
		{"iso-2022-jp", sjis(jaShort)},
		{"", euc(jaShort)},
		{"utf-8", jaBody + "\xff"},
		{"utf-7", "+ZeVnLIqe-"},
		{"utf-16", "\xfe\xff\x65\xe5"},
		{"x-unknown", "caf\xe9"},
		{"iso-2022-jp", "\x1b$(D\x30\x21\x1b.A\x1bNi\x0e\x31"},
	} {
		f.Add(seed.label, []byte(seed.data))
	}
	f.Fuzz(func(t *testing.T, label string, data []byte) {
		r := NewReader(label, bytes.NewReader(data))
		got, err := io.ReadAll(r)
		if err != nil {
			t.Fatalf("read: %v", err)
		}
		if !utf8.Valid(got) {
			t.Fatalf("invalid UTF-8 %q", got)
		}
		// Streaming byte by byte gives the same text, and for input
		// within the detection window so does decoding it whole.
		r2 := NewReader(label, iotest.OneByteReader(bytes.NewReader(data)))
		got2, err := io.ReadAll(r2)
		if err != nil || !bytes.Equal(got, got2) || r.Charset() != r2.Charset() {
			t.Fatalf("one-byte reads: %q (%s), %v; want %q (%s)", got2, r2.Charset(), err, got, r.Charset())
		}
		if whole, d, _ := decodeBytes(label, data); whole != string(got) || d.codec.name != r.Charset() {
			t.Fatalf("decodeBytes: %q (%s); Reader: %q (%s)", whole, d.codec.name, got, r.Charset())
		}
	})
}
