package filetype

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"testing"
)

// pdfShaped is a 500 KiB PDF: objects with binary (incompressible) streams.
func pdfShaped(size int) []byte {
	rng := rand.New(rand.NewPCG(1, 2))
	var b bytes.Buffer
	b.WriteString("%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
	for i := 1; b.Len() < size; i++ {
		chunk := make([]byte, 16<<10)
		for j := range chunk {
			chunk[j] = byte(rng.Uint32())
		}
		fmt.Fprintf(&b, "%d 0 obj\n<< /Length %d /Filter /FlateDecode >>\nstream\n", i, len(chunk))
		b.Write(chunk)
		b.WriteString("\nendstream\nendobj\n")
	}
	b.WriteString("trailer\n<< /Root 1 0 R >>\n%%EOF\n")
	return b.Bytes()
}

// zipShaped is a 10 MiB ZIP of the usual mix: incompressible images and
// PDFs stored or deflated, compressible text, an Office document.
func zipShaped(tb testing.TB, size int) []byte {
	rng := rand.New(rand.NewPCG(3, 4))
	var ents []zent
	for i := 0; len(ents) < 200; i++ {
		n := size / 40
		data := make([]byte, n)
		for j := range data {
			data[j] = byte(rng.Uint32())
		}
		switch i % 4 {
		case 0:
			copy(data, "\xff\xd8\xff\xe0")
			ents = append(ents, stored(fmt.Sprintf("photos/IMG_%04d.jpg", i), data))
		case 1:
			copy(data, pdfFile(""))
			ents = append(ents, deflate(fmt.Sprintf("docs/report-%d.pdf", i), data))
		case 2:
			ents = append(ents, deflate(fmt.Sprintf("data/table-%d.csv", i), bytes.Repeat([]byte("2024-04-01,東京都,12345,備考\r\n"), 2000)))
		case 3:
			ents = append(ents, deflate(fmt.Sprintf("docs/memo-%d.docx", i), docx(tb)))
		}
		if est := len(ents) * n / 2; est > size {
			break
		}
	}
	return zipFile(tb, ents...)
}

func BenchmarkClassifyPDF500K(b *testing.B) {
	data := pdfShaped(500 << 10)
	benchClassify(b, data, "application/pdf", "report.pdf", ClassPDF)
}

func BenchmarkClassifyZip10M(b *testing.B) {
	data := zipShaped(b, 10<<20)
	benchClassify(b, data, "application/zip", "archive.zip", ClassArchive)
}

func benchClassify(b *testing.B, data []byte, declared, name string, want Class) {
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		res, err := Classify(bytes.NewReader(data), int64(len(data)), declared, name, Limits{})
		if err != nil || res.Class != want {
			b.Fatalf("%+v %v", res, err)
		}
	}
	b.ReportMetric(float64(len(data))/(1<<20), "MiB/input")
}
