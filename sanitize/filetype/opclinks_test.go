package filetype

import (
	"bytes"
	"slices"
	"strings"
	"testing"
)

// TestPictureLinkToHyperlinkRelationship: a picture or a medium whose
// link (a:blip r:link, VML's v:imagedata r:href) names a relationship
// of the hyperlink type is content fetched as the document is drawn,
// not a link left clickable: LibreOffice takes a blip's r:link target
// whatever the relationship's type (oox BlipContext,
// getExternalTargetFromRelId). Before, the relationship was counted as
// a web link and a rule keeping .docx or .pptx kept the document.
func TestPictureLinkToHyperlinkRelationship(t *testing.T) {
	const (
		nsA   = `xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main"`
		nsR   = `xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"`
		webTo = `<Relationship Id="rId7" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/hyperlink" Target="http://192.0.2.1/a.png" TargetMode="External"/>`
	)
	blip := func(attr string) string {
		return `<w:p><w:r><w:drawing><a:graphic ` + nsA + `><a:graphicData><a:blip ` + nsR + ` ` + attr + `/></a:graphicData></a:graphic></w:drawing></w:r></w:p>`
	}
	word := func(body, rels string) []byte {
		return zipFile(t, contentTypes(`<Default Extension="xml" ContentType="application/xml"/>`+override("/word/document.xml", ctWordMain)),
			rootRels(mainRel("word/document.xml")), wordPart("word/document.xml", body), docRels(rels))
	}
	slide := func(attr, rels string) []byte {
		return zipFile(t, contentTypes(`<Default Extension="xml" ContentType="application/xml"/>`+
			override("/ppt/presentation.xml", "application/vnd.openxmlformats-officedocument.presentationml.presentation.main+xml")),
			rootRels(mainRel("ppt/presentation.xml")), deflate("ppt/presentation.xml", []byte(`<p:presentation xmlns:p="http://schemas.openxmlformats.org/presentationml/2006/main"/>`)),
			deflate("ppt/slides/slide1.xml", []byte(`<p:sld xmlns:p="http://schemas.openxmlformats.org/presentationml/2006/main" `+nsA+`><p:cSld><p:spTree><p:pic><p:blipFill><a:blip xmlns:rel="http://purl.oclc.org/ooxml/officeDocument/relationships" `+attr+`/></p:blipFill></p:pic></p:spTree></p:cSld></p:sld>`)),
			deflate("ppt/slides/_rels/slide1.xml.rels", []byte(`<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">`+rels+`</Relationships>`)))
	}
	cases := []classifyCase{
		{name: "a blip's r:link to a hyperlink relationship", filename: "a.docx",
			data:  word(blip(`r:link="rId7"`), webTo),
			class: ClassOffice, sniffed: mimeDocx, findings: []string{OOXMLPictureLinked + " (a picture's link to a hyperlink relationship, to the web) in word/document.xml"}},
		{name: "a VML picture's r:href to one", filename: "a.docx",
			data:  word(`<w:p><w:r><w:pict><v:shape xmlns:v="urn:schemas-microsoft-com:vml"><v:imagedata `+nsR+` r:href="rId7"/></v:shape></w:pict></w:r></w:p>`, webTo),
			class: ClassOffice, sniffed: mimeDocx, findings: []string{OOXMLPictureLinked + " (a picture's link to a hyperlink relationship, to the web) in word/document.xml"}},
		{name: "a slide's picture, strict namespace, to a share", filename: "a.pptx",
			data:  slide(`rel:link="rId2"`, `<Relationship Id="rId2" Type="http://purl.oclc.org/ooxml/officeDocument/relationships/hyperlink" Target="\\192.0.2.1\s\a.png" TargetMode="External"/>`),
			class: ClassOffice, sniffed: mimePptx, findings: []string{OOXMLPictureLinked + " (a picture's link to a hyperlink relationship, to a network share) in ppt/slides/slide1.xml"}},
		{name: "an id written with blanks in both parts", filename: "a.docx",
			data:  word(blip(`r:link=" rId7"`), `<Relationship Id=" rId7" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/hyperlink" Target="\\192.0.2.1\s\a.png" TargetMode="External"/>`),
			class: ClassOffice, sniffed: mimeDocx, findings: []string{OOXMLPictureLinked + " (a picture's link to a hyperlink relationship, to a network share) in word/document.xml"}},
		{name: "an Id written twice, the picture naming the first", filename: "a.docx",
			data:  word(blip(`r:link="rId7"`), `<Relationship xmlns:x="urn:x" Id="rId7" x:Id="rId8" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/hyperlink" Target="http://192.0.2.1/a.png" TargetMode="External"/>`),
			class: ClassOffice, sniffed: mimeDocx, findings: []string{OOXMLPictureLinked + " (a picture's link to a hyperlink relationship, to the web) in word/document.xml"}},
		{name: "a part that does not read, with a link", filename: "a.pptx",
			data:  slide(`rel:link="rId3"><x`, `<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/hyperlink" Target="https://example.jp/" TargetMode="External"/>`),
			class: ClassOffice, sniffed: mimePptx, findings: []string{"office: picture links not inspected ppt/slides/slide1.xml: XML syntax error on line 1: element <blip> closed by </blipFill>"}},
		{name: "clean, the hyperlink clicked, an embedded picture", filename: "a.docx",
			data:  word(`<w:p><w:hyperlink `+nsR+` r:id="rId7"><w:r><w:t>市</w:t></w:r></w:hyperlink></w:p>`+blip(`r:embed="rId8"`), webTo),
			class: ClassOffice, sniffed: mimeDocx, clean: true},
		{name: "clean, a linked picture's id naming no hyperlink", filename: "a.docx",
			data:  word(blip(`r:link="rId9"`), webTo+`<Relationship Id="rId9" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/image" Target="media/a.png"/>`),
			class: ClassOffice, sniffed: mimeDocx, clean: true},
	}
	runClassify(t, cases)
}

// TestPictureLinkInTheSameRead: a part whose relationships include
// hyperlinks is looked at for pictures linking to them as it is read
// for its fields (a Word document) or formulas (a workbook), not in a
// read of its own: a large document.xml or sheet with one ordinary
// hyperlink was read whole once more, and took the archive past its
// budget (a 55 MB document.xml at the default 100 MiB). A part whose
// reading for formulas stops early is read again for them.
func TestPictureLinkInTheSameRead(t *testing.T) {
	const (
		nsA    = `xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main"`
		nsR    = `xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"`
		hyper  = `<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/hyperlink" Target="https://www.city.example.lg.jp/" TargetMode="External"/>`
		relsOf = `<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">`
	)
	words := string(bytes.ToValidUTF8(wordsText(3<<20), nil))
	bigWord := docx(t, deflate("word/document.xml", []byte(`<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main" `+nsR+`><w:body><w:p><w:r><w:t>`+words+`</w:t></w:r></w:p><w:p><w:hyperlink r:id="rId1"><w:r><w:t>市</w:t></w:r></w:hyperlink></w:p></w:body></w:document>`)),
		deflate("word/_rels/document.xml.rels", []byte(relsOf+hyper+`</Relationships>`)))
	sheetRels := deflate("xl/worksheets/_rels/sheet1.xml.rels", []byte(relsOf+hyper+`</Relationships>`))
	bigSheet := xlsx(t, "", `<row r="1"><c r="A1" t="inlineStr"><is><t>`+words+`</t></is></c></row></sheetData><hyperlinks><hyperlink ref="A1" r:id="rId1"/></hyperlinks><sheetData>`, sheetRels)
	drawing := xlsx(t, "", "", deflate("xl/drawings/drawing1.xml", []byte(`<xdr:wsDr xmlns:xdr="http://schemas.openxmlformats.org/drawingml/2006/spreadsheetDrawing" `+nsA+` `+nsR+`><xdr:pic><xdr:blipFill><a:blip r:link="rId1"/></xdr:blipFill></xdr:pic></xdr:wsDr>`)),
		deflate("xl/drawings/_rels/drawing1.xml.rels", []byte(relsOf+hyper+`</Relationships>`)))
	longFormula := xlsx(t, "", cellFormula("1+"+strings.Repeat("1+", maxFormula))+`<row r="2"><c r="A2"><a:blip `+nsA+` r:link="rId1"/></c></row>`, sheetRels)
	cases := []struct {
		name  string
		data  []byte
		file  string
		lim   Limits
		want  []string
		clean bool
	}{
		{name: "a 3 MiB document.xml with a hyperlink, a 5 MiB budget", data: bigWord, file: "a.docx", lim: Limits{MaxTotal: 5 << 20}, clean: true},
		{name: "a 3 MiB sheet with a hyperlink, a 5 MiB budget", data: bigSheet, file: "a.xlsx", lim: Limits{MaxTotal: 5 << 20}, clean: true},
		{name: "a workbook's drawing linking a picture to a hyperlink", data: drawing, file: "a.xlsx",
			want: []string{OOXMLPictureLinked + " (a picture's link to a hyperlink relationship, to the web) in xl/drawings/drawing1.xml"}},
		{name: "a sheet read for formulas no further than a long one", data: longFormula, file: "a.xlsx",
			want: []string{OOXMLPictureLinked + " (a picture's link to a hyperlink relationship, to the web) in xl/worksheets/sheet1.xml"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			res, err := Classify(bytes.NewReader(tc.data), int64(len(tc.data)), "", tc.file, tc.lim)
			if err != nil {
				t.Fatal(err)
			}
			if tc.clean && len(res.Findings) > 0 {
				t.Errorf("findings %q, want none", res.Findings)
			}
			for _, w := range tc.want {
				if !slices.Contains(res.Findings, w) {
					t.Errorf("findings %q, want %q", res.Findings, w)
				}
			}
		})
	}
}
