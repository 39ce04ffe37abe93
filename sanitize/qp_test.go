package sanitize

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"io"
	"math/rand"
	"mime/quotedprintable"
	"strings"
	"testing"

	"mugai/sanitize/links"
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
		ls := &lineSplitter{prefix: "> ", emptyQuote: ">", to: lineFunc(func(b []byte) error {
			got = append(got, string(b))
			return nil
		})}
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

// refLineWrapper is the obvious base64 line breaker base64Lines replaces:
// CRLF after every 76 characters written.
type refLineWrapper struct {
	w   io.Writer
	col int
}

func (l *refLineWrapper) Write(p []byte) (int, error) {
	for _, c := range p {
		l.w.Write([]byte{c})
		if l.col++; l.col == 76 {
			l.w.Write([]byte("\r\n"))
			l.col = 0
		}
	}
	return len(p), nil
}

func FuzzB64Lines(f *testing.F) {
	f.Add([]byte("hello"), uint8(1))
	f.Add(bytes.Repeat([]byte("x"), 57), uint8(57))
	f.Add(bytes.Repeat([]byte("日本"), 100), uint8(13))
	f.Add(bytes.Repeat([]byte{0, 255}, 5000), uint8(200))
	f.Fuzz(func(t *testing.T, data []byte, step uint8) {
		var want bytes.Buffer
		lw := &refLineWrapper{w: &want}
		enc := base64.NewEncoder(base64.StdEncoding, lw)
		enc.Write(data)
		enc.Close()
		var got bytes.Buffer
		b := newBase64Lines(&got)
		for p, k := data, 1+int(step); len(p) > 0; {
			n := min(k, len(p))
			b.Write(p[:n])
			p = p[n:]
		}
		partial, err := b.Close()
		if err != nil || !bytes.Equal(got.Bytes(), want.Bytes()) || partial != (lw.col > 0) {
			t.Fatalf("%d bytes in writes of %d: partial %v (want %v), output equal %v", len(data), 1+int(step), partial, lw.col > 0, bytes.Equal(got.Bytes(), want.Bytes()))
		}
	})
}

// TestQPLiteral8 holds the eight-byte test to the byte table: every byte
// value in every position, beside printable ASCII.
func TestQPLiteral8(t *testing.T) {
	for pos := 0; pos < 8; pos++ {
		for c := 0; c < 256; c++ {
			b := []byte("abcdefgh")
			b[pos] = byte(c)
			want := qpLiteral(byte(c)) && c != '\t'
			if got := qpLiteral8(binary.LittleEndian.Uint64(b)); got != want {
				t.Errorf("byte %#02x at %d: qpLiteral8 = %v, want %v", c, pos, got, want)
			}
		}
	}
	// Two bytes of any values: a carry or borrow from the lower one must
	// not hide the upper one, nor make a good one look bad.
	for lo := 0; lo < 8; lo++ {
		for hi := lo + 1; hi < 8; hi++ {
			for c := 0; c < 256; c++ {
				for d := 0; d < 256; d++ {
					b := []byte("abcdefgh")
					b[lo], b[hi] = byte(c), byte(d)
					want := qpLiteral(byte(c)) && c != '\t' && qpLiteral(byte(d)) && d != '\t'
					if got := qpLiteral8(binary.LittleEndian.Uint64(b)); got != want {
						t.Fatalf("bytes %#02x at %d, %#02x at %d: qpLiteral8 = %v, want %v", c, lo, d, hi, got, want)
					}
				}
			}
		}
	}
}

// refWriteField is writeField's folding loop alone, without its one-line
// shortcut: the reference for TestWriteFieldShortcut.
func refWriteField(w *bufio.Writer, key, value string) {
	value = headerSafe(value)
	w.WriteString(key + ":")
	col := len(key) + 1
	for i := 0; ; i++ {
		word := value
		j := strings.IndexByte(value, ' ')
		if j >= 0 {
			word = value[:j]
		}
		if i > 0 && col+1+len(word) > 76 && col > 1 {
			w.WriteString("\r\n")
			col = 0
		}
		w.WriteString(" " + word)
		col += 1 + len(word)
		if j < 0 {
			break
		}
		value = value[j+1:]
	}
	w.WriteString("\r\n")
}

// TestWriteFieldShortcut: a field short enough for one line is written
// as the folding loop would write it, at every length around the limit.
func TestWriteFieldShortcut(t *testing.T) {
	r := rand.New(rand.NewSource(1))
	words := []string{"a", "bb", "", "Re:", "=?utf-8?b?5bGx55Sw?=", "<id@example.jp>", "\t", "x\x01y"}
	for n := 0; n < 20000; n++ {
		key := []string{"To", "Subject", "X-Mugai-Sanitized", "Content-Transfer-Encoding"}[r.Intn(4)]
		var v []string
		for k := r.Intn(25); k > 0; k-- {
			v = append(v, words[r.Intn(len(words))])
		}
		value := strings.Join(v, " ")
		var got, want bytes.Buffer
		gw, ww := bufio.NewWriter(&got), bufio.NewWriter(&want)
		writeField(gw, key, value)
		refWriteField(ww, key, value)
		gw.Flush()
		ww.Flush()
		if got.String() != want.String() {
			t.Fatalf("%s: %q:\ngot  %q\nwant %q", key, value, got.String(), want.String())
		}
	}
}

// TestISOLongLineSplit: with output_charset iso-2022-jp a line too long
// for one 7-bit line is written as several, and a mail client reads each
// as a line of its own. No piece may hold what the whole line did not:
// a bare domain after a cut address or defanged URL, or a "begin" line
// that starts a uuencoded file (red team).
func TestISOLongLineSplit(t *testing.T) {
	uu := "M35J0``,````$````__\\``%1H:7,@<')O9W)A;2!C86YN;W0@8F4@<G5N(&EN\r\n`\r\nend\r\n"
	tests := []struct {
		name string
		text string // the body; the cut falls after 200 characters
		bad  string // must not be a line of the output, nor start one
	}{
		{"address cut before its domain", strings.Repeat("a", 195) + "user@evil.com/login " + strings.Repeat("b", 900), "evil.com/login"},
		{"defanged URL cut before its host", strings.Repeat("c", 192) + "hxxps://evil.com/login " + strings.Repeat("d", 900), "evil.com/login"},
		{"domain cut before its last letters", strings.Repeat("e", 192) + " evil.commandos " + strings.Repeat("f", 900), ""},
		{"uuencode begin after the cut", strings.Repeat("g", 1000) + "begin 644 evil.exe\r\n" + uu, "begin 644 evil.exe"},
		{"yEnc begin after the cut", strings.Repeat("h", 1000) + "=ybegin line=128 size=3 name=evil.exe\r\nabc\r\n=yend size=3\r\n", "=ybegin"},
	}
	pol := defaultPolicy(t)
	pol.OutputCharset = "iso-2022-jp"
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			msg := "From: a@example.jp\r\nSubject: long\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=us-ascii\r\n\r\n" + tt.text + "\r\n"
			_, out := rebuilt(t, msg, pol)
			for _, line := range strings.Split(decodedText(t, out), "\n") {
				if tt.bad != "" && strings.HasPrefix(line, tt.bad) {
					t.Errorf("a line starts with %q: %.80q", tt.bad, line)
				}
				if got, n := links.Rewrite(line, links.Defang); n > 0 {
					t.Errorf("a line holds a link: %.80q → %.80q", line, got)
				}
			}
		})
	}
}
