package sanitize

import (
	"bytes"
	"mime/quotedprintable"
	"strings"
	"testing"
)

// qpReference is what mime/quotedprintable's Writer makes of lines, each
// followed by CRLF: the encoding appendQPLine must reproduce exactly.
func qpReference(lines []string) []byte {
	var b bytes.Buffer
	w := quotedprintable.NewWriter(&b)
	for _, l := range lines {
		w.Write([]byte(l))
		w.Write([]byte("\r\n"))
	}
	w.Close()
	return b.Bytes()
}

func qpOurs(lines []string) []byte {
	var out []byte
	for _, l := range lines {
		out = appendQPLine(out, []byte(l))
	}
	return out
}

func TestAppendQPLine(t *testing.T) {
	long := strings.Repeat("abcdefghij", 20)
	cases := [][]string{
		{""},
		{"plain text"},
		{"trailing space ", "trailing tab\t", " ", "\t\t"},
		{"a=b", "=", "=="},
		{strings.Repeat("x", 74), strings.Repeat("x", 75), strings.Repeat("x", 76), strings.Repeat("x", 77)},
		{strings.Repeat("x", 73) + "=", strings.Repeat("x", 72) + "é", strings.Repeat("x", 74) + " ", strings.Repeat("x", 75) + " "},
		{long, long + " ", "日本語のテキスト、" + long},
		{"【お知らせ】このメールはメールゲートウェイで無害化（安全な形に再構成）されています。"},
		{"hxxps://example[.]com/r/7 and nothing else here.", "Line 12 of the report. Details at hxxps://example[.]com/r/12 and nothing else here."},
	}
	for _, lines := range cases {
		want, got := qpReference(lines), qpOurs(lines)
		if !bytes.Equal(got, want) {
			t.Errorf("%q:\n got %q\nwant %q", lines, got, want)
		}
	}
}

func FuzzAppendQPLine(f *testing.F) {
	f.Add("plain text", uint8(3))
	f.Add(strings.Repeat("x", 74)+" é=", uint8(1))
	f.Add("日本語 \t", uint8(2))
	f.Fuzz(func(t *testing.T, s string, n uint8) {
		// The sink never passes CR or LF inside a line.
		s = strings.NewReplacer("\r", "", "\n", "").Replace(s)
		lines := []string{s}
		if n%4 != 0 {
			lines = append(lines, s+" ", strings.Repeat(s, 1+int(n%4)))
		}
		if want, got := qpReference(lines), qpOurs(lines); !bytes.Equal(got, want) {
			t.Fatalf("%q:\n got %q\nwant %q", lines, got, want)
		}
	})
}

// TestLineSplitter: lines cut at any point between writes come out whole,
// prefixed, and a quoted empty line is the quote marks without the space.
func TestLineSplitter(t *testing.T) {
	text := "first\n\nthird line\n" + strings.Repeat("x", 40000) + "\nlast\n"
	for _, cut := range []int{1, 2, 7, 100, 16 << 10, len(text)} {
		var got []string
		ls := &lineSplitter{prefix: "> ", emptyQuote: ">", fn: func(b []byte) error {
			got = append(got, string(b))
			return nil
		}}
		for p := text; len(p) > 0; {
			n := min(cut, len(p))
			ls.Write([]byte(p[:n]))
			p = p[n:]
		}
		want := []string{"> first", ">", "> third line", "> " + strings.Repeat("x", 40000), "> last"}
		if len(got) != len(want) {
			t.Fatalf("cut %d: %d lines, want %d", cut, len(got), len(want))
		}
		for i := range want {
			if got[i] != want[i] {
				t.Errorf("cut %d: line %d = %.20q, want %.20q", cut, i, got[i], want[i])
			}
		}
	}
}
