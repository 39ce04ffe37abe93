package textfile

import (
	"bytes"
	"errors"
	"io"
	"strconv"
	"strings"
	"testing"

	"github.com/emersion/go-message/charset"
	"golang.org/x/text/encoding/japanese"

	"mugai/sanitize/links"
)

// benchCSV is about 1 MiB of a Shift_JIS business CSV; every line has a
// formula with a link when formulas is set.
func benchCSV(b *testing.B, formulas bool) []byte {
	var s strings.Builder
	s.WriteString("番号,氏名,所属,金額,備考\r\n")
	for i := 0; s.Len() < 1<<20; i++ {
		s.WriteString("1024,髙橋 一郎,総務課（①係）,-12000,")
		if formulas {
			s.WriteString(`=HYPERLINK("https://evil.example/a","詳細")`)
		} else {
			s.WriteString("4月分の請求")
		}
		s.WriteString("\r\n")
	}
	out, err := japanese.ShiftJIS.NewEncoder().String(s.String())
	if err != nil {
		b.Fatal(err)
	}
	return []byte(out)
}

type benchCase struct {
	name     string
	formulas bool
}

// benchCases are the files both BenchmarkRewrite and BenchmarkBaseline
// read, so that their figures compare.
func benchCases() []benchCase {
	return []benchCase{{"clean-1MiB", false}, {"formulas-1MiB", true}}
}

// BenchmarkRewrite: a kept CSV with nothing to change (the usual case)
// and with a formula and a link on every line.
func BenchmarkRewrite(b *testing.B) {
	for _, tc := range benchCases() {
		data := benchCSV(b, tc.formulas)
		b.Run(tc.name, func(b *testing.B) {
			b.SetBytes(int64(len(data)))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := Rewrite(io.Discard, bytes.NewReader(data), int64(len(data)), Options{Charset: "shift_jis", Links: links.Defang, Formulas: true}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkBaseline decodes the same files to UTF-8 with go-message's
// charset reader: what reading the file at all costs.
func BenchmarkBaseline(b *testing.B) {
	for _, tc := range benchCases() {
		data := benchCSV(b, tc.formulas)
		b.Run(tc.name, func(b *testing.B) {
			b.SetBytes(int64(len(data)))
			b.ReportAllocs()
			for b.Loop() {
				r, err := charset.Reader("shift_jis", bytes.NewReader(data))
				if err != nil {
					b.Fatal(err)
				}
				if _, err := io.Copy(io.Discard, r); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkRewriteHostile: single lines built to make field scanning go
// back over the line (quotes that open and close, separators of another
// reading). MB/s must stay flat as the line grows.
func BenchmarkRewriteHostile(b *testing.B) {
	for _, tc := range []struct{ name, unit, head string }{
		{"quotes", `""=,`, ""},
		{"open-quote", `"=,`, ""},
		{"sep-line", "=|", "sep=|\n"},
		{"semicolons", `=";"&1,`, ""},
	} {
		for _, size := range []int{64 << 10, 256 << 10, 1 << 20} {
			data := []byte(tc.head + strings.Repeat(tc.unit, size/len(tc.unit)) + "\n")
			b.Run(tc.name+"-"+strconv.Itoa(size>>10)+"KiB", func(b *testing.B) {
				b.SetBytes(int64(len(data)))
				for b.Loop() {
					// A refusal (an open quote at the end) is an outcome too:
					// what reaching it costs is measured.
					if _, err := Rewrite(io.Discard, bytes.NewReader(data), int64(len(data)), Options{Links: links.Defang, Formulas: true}); err != nil && !errors.Is(err, ErrReadings) {
						b.Fatal(err)
					}
				}
			})
		}
	}
}
