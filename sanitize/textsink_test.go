package sanitize

import (
	"bytes"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"
)

// runSink writes data to a fresh textSink in pieces of the given sizes
// (cycled) and returns everything it produced.
func runSink(data []byte, mode string, valid, lines bool, sizes []byte) (string, textStats, []block, error) {
	var out bytes.Buffer
	s := newTextSink(&out, mode)
	s.validUTF8 = valid
	s.noBlocks = !lines
	for i := 0; len(data) > 0; i++ {
		n := len(data)
		if len(sizes) > 0 {
			n = min(n, int(sizes[i%len(sizes)])+1)
		}
		s.Write(data[:n])
		data = data[n:]
	}
	err := s.Close()
	return out.String(), s.st, s.blocks, err
}

// FuzzTextSinkLines holds the sink's whole-lines path (writeLines) to the
// line by line one: the same text, statistics and cut-out blocks for any
// input written in any pieces, in every links mode.
func FuzzTextSinkLines(f *testing.F) {
	for _, s := range []string{
		plainText(1600),
		japaneseText(3000),
		"see www.example.com\nand https://a.example/x\r\nftp://b.example\n",
		"a\nhttps://x.example/\n\nwww.y.example\n",
		"x\r\ny\rz\n\r\n",
		"line\nbegin 644 f.bin\nM86)C\n`\nend\nafter https://e.example\n",
		"=ybegin line=128 size=3 name=a.bin\nabc\n=yend size=3\n",
		"(This file must be converted with BinHex 4.0)\n:abc:\n",
		"a\x00b\x1b[31mc\u202Ed\xffe\r\nnext\rlast",
		"\u3000\u3000\n \t\n",
		"http://example.com/a\nb\n" + strings.Repeat("w", 20000) + "\nhttps://z.example\n",
		"<https://evil.example/>\n(www.evil.example)\n「https://例え.jp/パス」\n",
		"https://a.example/path.\nwww.b.example,\n",
	} {
		f.Add([]byte(s), byte(0), []byte{255})
		f.Add([]byte(s), byte(1), []byte{7, 200, 0, 63})
		f.Add([]byte(s), byte(2), []byte{3})
	}
	f.Fuzz(func(t *testing.T, data []byte, mode byte, sizes []byte) {
		m := []string{"defang", "remove", "keep"}[int(mode)%3]
		for _, valid := range []bool{false, true} {
			if valid && !utf8.Valid(data) {
				continue
			}
			o1, st1, b1, e1 := runSink(data, m, valid, false, sizes)
			o2, st2, b2, e2 := runSink(data, m, valid, true, sizes)
			if o1 != o2 {
				t.Fatalf("mode %s valid %v: text differs\nline by line: %q\nwhole lines:  %q", m, valid, o1, o2)
			}
			if st1 != st2 || !reflect.DeepEqual(b1, b2) || (e1 == nil) != (e2 == nil) {
				t.Fatalf("mode %s valid %v: stats %+v vs %+v, blocks %+v vs %+v, err %v vs %v", m, valid, st1, st2, b1, b2, e1, e2)
			}
		}
	})
}
