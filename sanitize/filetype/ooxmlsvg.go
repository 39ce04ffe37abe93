package filetype

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/xml"
	"io"
	"strings"

	"golang.org/x/text/encoding/unicode"
	"golang.org/x/text/transform"
)

// OOXMLPictureLinked is the finding for a part of an OOXML document
// that is an SVG picture (told by its content, whatever its name and
// type) drawing an image from a file, a share or the web: LibreOffice,
// opening a .docx, .xlsx or .pptx, draws the picture a blip names by
// its content with svgio, as it does an OpenDocument file's (odfPicture),
// and its <image> is fetched from where it says (a share: the NTLM
// hash).
const OOXMLPictureLinked = "office: picture drawing content from outside the file"

// OOXMLPictureScript is the finding for an SVG picture in an OOXML
// document holding a script or an event handler bound to one (read as
// odfPicture reads an OpenDocument file's picture): the document is
// not an OpenDocument file, and the audit log said so (ODFMacro). It
// blocks keeping as macros do (sanitize's keepBlocker).
const OOXMLPictureScript = "office: script in an SVG picture"

// OOXMLPictureNotInspected is the finding for an SVG picture in an
// OOXML document that could not be read (not UTF-8, a DTD, over the
// limits).
const OOXMLPictureNotInspected = "office: not inspected: SVG picture"

// maxSVGProlog bounds what is read of a part before its root element
// to tell whether it is SVG.
const maxSVGProlog = 64 << 10

// ooxmlPicture reads a part of an OOXML document whose root element is
// svg as an OpenDocument file's picture is read (odfPicture): what
// LibreOffice draws as SVG it tells by the content, so a PNG, or an XML
// part, may be one. Any other part costs the bytes up to its root
// element. open opens the part, read twice.
func (in *inspector) ooxmlPicture(e entry, open func() (io.ReadCloser, error), path string, macros *bool) {
	where := path + displayName(e.name)
	rc, err := open()
	if err != nil {
		return
	}
	svg := svgRoot(io.LimitReader(in.budget(rc, e.comp, where), maxSVGProlog))
	rc.Close()
	if !svg {
		return
	}
	if rc, err = open(); err != nil {
		return
	}
	defer rc.Close()
	o := &odfPackage{where: where, macros: macros, linked: OOXMLPictureLinked, macro: OOXMLPictureScript}
	in.odfPicture(o, e, rc, where, strings.ToLower(e.name))
	if o.missing != "" {
		in.find(OOXMLPictureNotInspected, o.missing)
	}
}

// svgSniff is how much of a part (inflated, for SVGZ) LibreOffice
// searches for "<svg" to tell an SVG picture.
const svgSniff = 2048

// svgRoot reports whether markup's root element is svg, in any
// namespace, or "<svg" is in its first svgSniff bytes: plain, gzip
// (SVGZ) or UTF-16 with a byte order mark, any declared charset read
// as ASCII for the name. What does not read up to a root element is
// not SVG for this test; odfPicture reads what is.
func svgRoot(r io.Reader) bool {
	br := bufio.NewReader(r)
	if head, _ := br.Peek(2); len(head) == 2 && head[0] == 0x1f && head[1] == 0x8b {
		gz, err := gzip.NewReader(br)
		if err != nil {
			return false
		}
		defer gz.Close()
		br = bufio.NewReader(io.LimitReader(gz, maxSVGProlog))
	}
	if head, _ := br.Peek(svgSniff); bytes.Contains(bytes.ToLower(head), []byte("<svg")) {
		// LibreOffice's graphic filter takes a part for SVG by "<svg"
		// anywhere in its first 2 KiB (GraphicFormatDetector::checkSVG),
		// not by its root: <x><svg><image …/></svg></x> is drawn too.
		return true
	}
	var src io.Reader = br
	if head, _ := br.Peek(2); bytes.Equal(head, []byte("\xff\xfe")) || bytes.Equal(head, []byte("\xfe\xff")) {
		src = transform.NewReader(br, unicode.UTF16(unicode.LittleEndian, unicode.ExpectBOM).NewDecoder())
	}
	d := xml.NewDecoder(src)
	d.Strict = false
	d.CharsetReader = func(_ string, r io.Reader) (io.Reader, error) { return r, nil }
	for {
		tok, err := d.RawToken()
		if err != nil {
			return false
		}
		if t, ok := tok.(xml.StartElement); ok {
			return strings.EqualFold(t.Name.Local, "svg")
		}
	}
}
