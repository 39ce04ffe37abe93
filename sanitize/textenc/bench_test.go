package textenc

import (
	"bytes"
	"io"
	"strings"
	"testing"

	"golang.org/x/text/encoding/japanese"
	"golang.org/x/text/transform"
)

// shiftJISMiB is 1 MiB of Japanese business text in Shift_JIS.
func shiftJISMiB() []byte {
	var b bytes.Buffer
	for b.Len() < 1<<20 {
		b.WriteString(sjis(jaBody))
	}
	return b.Bytes()[:1<<20]
}

// BenchmarkReaderShiftJIS measures NewReader on 1 MiB of Shift_JIS with
// its label, with no label (detection), with a wrong label, beside x/text's
// plain decoder through transform.NewReader as the baseline.
func BenchmarkReaderShiftJIS(b *testing.B) {
	data := shiftJISMiB()
	for _, label := range []string{"shift_jis", "", "iso-2022-jp"} {
		name := "label=" + label
		if label == "" {
			name = "label=none"
		}
		b.Run(name, func(b *testing.B) {
			b.SetBytes(int64(len(data)))
			b.ReportAllocs()
			for b.Loop() {
				r := NewReader(label, bytes.NewReader(data))
				if _, err := io.Copy(io.Discard, r); err != nil {
					b.Fatal(err)
				}
				if r.Charset() != "shift_jis" {
					b.Fatal(r.Charset())
				}
			}
		})
	}
	b.Run("baseline=x/text", func(b *testing.B) {
		b.SetBytes(int64(len(data)))
		b.ReportAllocs()
		for b.Loop() {
			r := transform.NewReader(bytes.NewReader(data), japanese.ShiftJIS.NewDecoder())
			if _, err := io.Copy(io.Discard, r); err != nil {
				b.Fatal(err)
			}
		}
	})
}

func BenchmarkReaderISO2022JP(b *testing.B) {
	data := []byte(jis(strings.Repeat(jaBody, 8000)))[:1<<20]
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := io.Copy(io.Discard, NewReader("iso-2022-jp", bytes.NewReader(data))); err != nil {
			b.Fatal(err)
		}
	}
}
