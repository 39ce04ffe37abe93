package sanitize

import (
	"bytes"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestFlowedWriter(t *testing.T) {
	for _, tt := range []struct {
		name, in, want string
		delsp          bool
	}{
		{"soft breaks joined", "one two \r\nthree\r\nfour\r\n", "one two three\nfour\n", false},
		{"delsp takes the space off", "来週の説明会で \r\nす。\r\n", "来週の説明会です。\n", true},
		{"without delsp the space is text", "来週の説明会で \r\nす。\r\n", "来週の説明会で す。\n", false},
		{"space-stuffed lines", " From here\r\n >not a quote\r\n", "From here\n>not a quote\n", false},
		{"quote depth kept", "> a \r\n> b\r\n>> c \r\n>>d\r\n", "> a b\n>> c d\n", false},
		{"a new quote depth ends the paragraph", "> a \r\nb\r\n", "> a \nb\n", false},
		{"signature separator is not flowed", "text \r\n-- \r\nname\r\n", "text \n-- \nname\n", false},
		{"empty quoted line", ">\r\n> x\r\n", ">\n> x\n", false},
		{"LF and CR line ends", "a \nb\rc \r\nd", "a b\nc d", false},
		{"last line soft-broken", "a \r\nb ", "a b ", false},
		{"link broken over lines", "see https://www.example.jp/a \r\nb.html now\r\n", "see https://www.example.jp/ab.html now\n", true},
	} {
		// Whole, and a byte at a time: the writer streams.
		for _, chunk := range []int{len(tt.in) + 1, 1, 3} {
			var out bytes.Buffer
			w := newFlowedWriter(&out, tt.delsp)
			for p := []byte(tt.in); len(p) > 0; {
				n := min(chunk, len(p))
				w.Write(p[:n])
				p = p[n:]
			}
			w.Close()
			if out.String() != tt.want {
				t.Errorf("%s (chunks of %d): %q, want %q", tt.name, chunk, out.String(), tt.want)
			}
		}
	}
}

// TestFlowedWriterLongLine: a physical line past maxLine passes through
// without being held whole, and still joins the next when soft-broken.
func TestFlowedWriterLongLine(t *testing.T) {
	long := strings.Repeat("x", 3*maxLine)
	var out bytes.Buffer
	w := newFlowedWriter(&out, true)
	w.Write([]byte("> " + long + " \r\n> tail\r\n"))
	w.Close()
	if want := "> " + long + "tail\n"; out.String() != want {
		t.Errorf("got %d bytes %q…%q, want %d", out.Len(), out.String()[:10], out.String()[out.Len()-10:], len(want))
	}
	if cap(w.line) > 2*maxLine {
		t.Errorf("line buffer grew to %d", cap(w.line))
	}
}

// FuzzFlowed: unflowing streams (the same text whatever the writes'
// sizes), keeps valid UTF-8 valid, and holds no more than a line.
func FuzzFlowed(f *testing.F) {
	f.Add([]byte("a \r\nb\r\n> c \r\n> d\r\n-- \r\n"), uint8(1), true)
	f.Add([]byte(" x \r>> y \n\n"), uint8(3), false)
	f.Add([]byte("来週で \r\nす。"), uint8(2), true)
	f.Fuzz(func(t *testing.T, in []byte, chunk uint8, delsp bool) {
		run := func(n int) []byte {
			var out bytes.Buffer
			w := newFlowedWriter(&out, delsp)
			for p := in; len(p) > 0; {
				k := min(n, len(p))
				w.Write(p[:k])
				p = p[k:]
			}
			w.Close()
			if cap(w.line) > 2*maxLine+2 {
				t.Fatalf("line buffer grew to %d", cap(w.line))
			}
			return out.Bytes()
		}
		whole := run(len(in) + 1)
		if parts := run(int(chunk%16) + 1); !bytes.Equal(whole, parts) {
			t.Fatalf("in chunks of %d: %q, whole: %q", chunk%16+1, parts, whole)
		}
		if utf8.Valid(in) && !utf8.Valid(whole) {
			t.Fatalf("invalid UTF-8 out of valid: %q", whole)
		}
	})
}
