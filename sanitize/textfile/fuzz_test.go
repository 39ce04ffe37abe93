package textfile

import (
	"bytes"
	"errors"
	"testing"

	"mugai/sanitize/links"
)

// FuzzRewrite: any bytes, any declared charset. Rewrite refuses a file
// only for the documented reasons; a file it does not change comes out
// byte for byte; what it writes has nothing left to neutralise, read back
// in the charset it was written in.
func FuzzRewrite(f *testing.F) {
	for _, s := range []string{
		"No,URL\r\n1,=HYPERLINK(\"http://evil.example\")\r\n",
		"=cmd|' /C calc'!A0\n",
		"\"a\n=b\",=c\n",
		"-1,234.5,+81-3-1234-5678,@A1;＝1\t-\r=2\n",
		"\uFEFF=1\n",
		"\xff\xfe=\x001\x00\n\x00",
		"\xfe\xff\x00=\x001\x00\n",
		"\x95\x5c\x8e\xa6,https://evil.example\r\n",
		"\xf0\x40\x81\xf0\x40,=1+1,\xf9\xfc\r\n",
		"\x1b$B%F%9%H\x1b(B http://evil.example\n",
		"www.evil.example\n<http://evil.example/ a>\n",
		"ID;P\r\nC;Y1;X1;K0;EEXEC(\"calc\")\r\nE\r\n",
		"a,b\r\nx,\x81\x81cmd|' /C calc'!A0\r\n",
		"a,b\r\nx,\x00=cmd|' /C calc'!A0\r\n\x1a",
	} {
		for _, cs := range []string{"", "shift_jis", "iso-2022-jp", "utf-8", "gbk"} {
			f.Add([]byte(s), cs, true, false)
		}
		f.Add([]byte(s), "", false, true)
	}
	f.Fuzz(func(t *testing.T, in []byte, charset string, formulas, remove bool) {
		mode := links.Defang
		if remove {
			mode = links.Remove
		}
		opt := Options{Charset: charset, Links: mode, Formulas: formulas, MaxLine: 4096}
		out, res, err := rewrite(t, in, opt)
		if errors.Is(err, ErrLineTooLong) || errors.Is(err, ErrCharset) || errors.Is(err, ErrReadings) || errors.Is(err, ErrSYLK) || errors.Is(err, ErrControl) {
			return
		}
		if err != nil {
			t.Fatalf("error: %v", err)
		}
		if !res.Changed() && !bytes.Equal(out, in) {
			t.Fatalf("unchanged result but different bytes:\n%q\n%q", in, out)
		}
		if !res.Changed() {
			return
		}
		again, res2, err := rewrite(t, out, Options{Charset: res.Charset, Links: mode, Formulas: formulas, MaxLine: 1 << 20})
		if err != nil {
			t.Fatalf("second pass: %v", err)
		}
		if res2.Charset == res.Charset && (res2.Changed() || !bytes.Equal(again, out)) {
			t.Fatalf("second pass changed %+v:\nin    %q\nout   %q\nagain %q", res2, in, out, again)
		}
	})
}
