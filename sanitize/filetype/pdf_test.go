package filetype

import (
	"bytes"
	"compress/zlib"
	"encoding/hex"
	"fmt"
	"strings"
	"testing"
)

// objStmPDF writes a PDF 1.5 whose catalog and action stand in an object
// stream: dict is the stream's dictionary without /Length, data its
// encoded content. Readers find the objects through the stream alone.
func objStmPDF(dict string, data []byte) []byte {
	var b bytes.Buffer
	b.WriteString("%PDF-1.5\n%\xe2\xe3\xcf\xd3\n")
	fmt.Fprintf(&b, "5 0 obj\n<< %s /Length %d >>\nstream\r\n", dict, len(data))
	b.Write(data)
	b.WriteString("\r\nendstream\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n")
	return b.Bytes()
}

// objects is an object stream's content: the catalog (object 1) opening
// a JavaScript action (object 2).
func objects(js bool) []byte {
	o1 := "<< /Type /Catalog /Pages 3 0 R >>"
	o2 := "<< /Type /Pages /Kids [] /Count 0 >>"
	if js {
		o1 = "<< /Type /Catalog /OpenAction 2 0 R >>"
		o2 = "<< /S /JavaScript /JS (app.alert\\(1\\)) >>"
	}
	header := fmt.Sprintf("1 0 2 %d ", len(o1)+1)
	return []byte(header + o1 + " " + o2)
}

func deflateBytes(b []byte) []byte {
	var out bytes.Buffer
	w := zlib.NewWriter(&out)
	w.Write(b)
	w.Close()
	return out.Bytes()
}

// pngPredict encodes d in rows of cols bytes, each with PNG filter ft
// (1 Sub, 2 Up) and one byte per pixel.
func pngPredict(d []byte, cols int, ft byte) []byte {
	for len(d)%cols != 0 {
		d = append(d, ' ')
	}
	var out []byte
	prev := make([]byte, cols)
	for r := 0; r < len(d); r += cols {
		row := d[r : r+cols]
		out = append(out, ft)
		for i, c := range row {
			switch ft {
			case 1:
				var left byte
				if i > 0 {
					left = row[i-1]
				}
				out = append(out, c-left)
			case 2:
				out = append(out, c-prev[i])
			default:
				out = append(out, c)
			}
		}
		prev = row
	}
	return out
}

// TestPDFActiveContent: JavaScript is found wherever a reader finds it:
// anywhere in a large file, inside a compressed object stream (with or
// without a predictor), in a PDF inside a ZIP; an object stream mugai
// cannot read is a finding of its own, and a clean PDF 1.5 has none.
func TestPDFActiveContent(t *testing.T) {
	js := objects(true)
	padded := func(body string) []byte {
		pad := "%" + strings.Repeat("padding ", 1<<18) + "\n" // 2 MiB of comment
		p := string(pdfFile(body))
		i := strings.Index(p, "1 0 obj")
		j := strings.Index(p, "2 0 obj")
		return []byte(p[:i] + pad + p[i:j] + pad + p[j:]) // the catalog in the middle
	}
	const objStm = "/Type /ObjStm /N 2 /First 12"
	cases := []classifyCase{
		{name: "javascript between the first and last MiB", data: padded("/OpenAction << /S /JavaScript /JS (x) >>"), filename: "a.pdf",
			class: ClassPDF, findings: []string{"pdf: javascript"}},
		{name: "large and clean", data: padded(""), filename: "a.pdf", class: ClassPDF, clean: true},
		{name: "object stream, flate", data: objStmPDF(objStm+" /Filter /FlateDecode", deflateBytes(js)), filename: "a.pdf",
			class: ClassPDF, findings: []string{"pdf: javascript"}},
		{name: "object stream, clean", data: objStmPDF(objStm+" /Filter /FlateDecode", deflateBytes(objects(false))), filename: "a.pdf",
			class: ClassPDF, clean: true},
		{name: "object stream, hex-escaped type", data: objStmPDF("/Type /Obj#53tm /N 2 /First 12 /Filter /Fl", deflateBytes(js)), filename: "a.pdf",
			class: ClassPDF, findings: []string{"pdf: javascript"}},
		{name: "object stream, PNG Up predictor", data: objStmPDF(objStm+" /Filter /FlateDecode /DecodeParms << /Predictor 12 /Columns 7 >>", deflateBytes(pngPredict(js, 7, 2))), filename: "a.pdf",
			class: ClassPDF, findings: []string{"pdf: javascript"}},
		{name: "object stream, PNG Sub predictor", data: objStmPDF(objStm+" /Filter /FlateDecode /DecodeParms << /Predictor 11 /Columns 16 >>", deflateBytes(pngPredict(js, 16, 1))), filename: "a.pdf",
			class: ClassPDF, findings: []string{"pdf: javascript"}},
		{name: "object stream, hex then flate", data: objStmPDF(objStm+" /Filter [/ASCIIHexDecode /FlateDecode]", []byte(hex.EncodeToString(deflateBytes(js))+">")), filename: "a.pdf",
			class: ClassPDF, findings: []string{"pdf: object stream not inspected"}},
		{name: "object stream, type far from its data", data: objStmPDF(objStm+" /Pad ("+strings.Repeat("x", 5000)+") /Filter /FlateDecode", deflateBytes(js)), filename: "a.pdf",
			class: ClassPDF, findings: []string{"pdf: object stream not inspected"}},
		{name: "object stream, a fake stream keyword first", data: objStmPDF(objStm+" /Pad (\nstream\n) /Filter /FlateDecode", deflateBytes(js)), filename: "a.pdf",
			class: ClassPDF, findings: []string{"pdf: object stream not inspected"}},
		{name: "object stream in a PDF in a ZIP", data: zipFile(t, deflate("docs/a.pdf", objStmPDF(objStm+" /Filter /FlateDecode", deflateBytes(js)))), filename: "docs.zip",
			class: ClassArchive, findings: []string{"pdf: javascript docs/a.pdf"}},
		{name: "ZIP appended to a PDF", data: append(pdfFile(""), zipFile(t, deflate("b.exe", peFile()))...), filename: "a.pdf",
			class: ClassExecutable, exe: true, findings: []string{"zip: archive appended to application/pdf", "archive: executable entry b.exe"}},
		{name: "HTML in a ZIP", data: zipFile(t, deflate("a.html", []byte("<html><script>x()</script></html>"))), filename: "a.zip",
			class: ClassArchive, findings: []string{"archive: active content entry a.html"}},
		{name: "SVG in a ZIP, named as text", data: zipFile(t, deflate("a.txt", []byte(`<svg xmlns="http://www.w3.org/2000/svg"><script>x()</script></svg>`))), filename: "a.zip",
			class: ClassArchive, findings: []string{"archive: active content entry a.txt"}},
		{name: "OneNote in a ZIP", data: zipFile(t, deflate("a.one", []byte("\xe4\x52\x5c\x7b\x8c\xd8\xa7\x4d\xae\xb1\x53\x78\xd0\x29\x96\xd3"))), filename: "a.zip",
			class: ClassExecutable, exe: true, findings: []string{"archive: executable entry a.one"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			res, err := Classify(bytes.NewReader(tc.data), int64(len(tc.data)), tc.declared, tc.filename, tc.lim)
			if err != nil {
				t.Fatalf("Classify: %v", err)
			}
			checkResult(t, tc, res)
		})
	}
}

func TestUnpredictPNG(t *testing.T) {
	d := []byte("1 0 2 40 << /Type /Catalog >> << /S /JavaScript >>")
	for _, ft := range []byte{0, 1, 2} {
		enc := pngPredict(append([]byte{}, d...), 9, ft)
		got := unpredictPNG(enc, 10, 1)
		if !bytes.HasPrefix(got, d) {
			t.Errorf("filter %d: %q, want %q", ft, got, d)
		}
	}
}
