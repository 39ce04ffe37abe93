package filetype

import (
	"bufio"
	"bytes"
	"encoding/xml"
	"errors"
	"io"
	"strings"

	"golang.org/x/text/encoding/unicode"
	"golang.org/x/text/transform"
)

// partReader is what a reader of an OOXML document's parts (Word's
// fields, a workbook's formulas) looks for in one part; readPart reads
// the part for it.
type partReader struct {
	// what is read, for the finding of a part that cannot be:
	// "office: <what> not inspected".
	what string
	// declared: the part is typed as one the reader reads, and is read
	// as XML whatever it starts with; another that does not start as
	// XML (startsAsXML: a picture) is left.
	declared bool
	// marks reports bytes without which a part holds nothing the
	// reader looks for: names of elements or attributes, which cannot
	// be written with character references.
	marks func([]byte) bool
	// lenient parses as HTML is: a legacy VML drawing, where Excel
	// writes an unclosed <br>.
	lenient bool
	// token is called with each token of the part in order, and
	// returns false to stop reading it (after a finding).
	token func(xml.Token) bool
}

// readPart reads a part of an OOXML document, which open opens, twice:
// once through the budget for p's marks (scanMarks), then, only if
// they are there, with the XML parser, many times slower, over the
// bytes the first read counted (a document's styles or a workbook's
// shared strings, often its largest parts, are not parsed). The part
// is read as Office reads one (partDecoder); one that cannot be read to
// its end is not inspected, and the document not kept.
//
// The Ids of hyperlink relationships the caller set in pictureIDs (for
// the member being read) are looked for in the same read
// (pictureLinkToken): the part is not read again for them. Left unread
// (p.token stopped first), they are set again for the caller to read
// them alone.
func (in *inspector) readPart(e entry, open func() (io.ReadCloser, error), where string, p partReader) {
	if ids := in.pictureIDs; ids != nil {
		in.pictureIDs = nil
		marks, token, pictures := p.marks, p.token, in.pictureLinkToken(ids, where)
		done := false
		p.marks = func(b []byte) bool { return marks(b) || pictureLinkMarks(b) }
		p.token = func(tok xml.Token) bool {
			if !done && !pictures(tok) {
				done = true
			}
			if !token(tok) {
				if !done {
					in.pictureIDs = ids
				}
				return false
			}
			return true
		}
	}
	notInspected := func(why string) { in.find("office: "+p.what+" not inspected", where+": "+why) }
	rc, err := open()
	if err != nil {
		notInspected(errText(err))
		return
	}
	n, marked, err := scanMarks(in.budget(rc, e.comp, where), p.declared, p.marks)
	rc.Close()
	switch {
	case errors.Is(err, errLimit):
		return // the budget's finding says so
	case err != nil:
		notInspected(errText(err))
		return
	case !marked:
		return
	}
	if rc, err = open(); err != nil {
		notInspected(errText(err))
		return
	}
	defer rc.Close()
	d := partDecoder(io.LimitReader(rc, n))
	if p.lenient {
		d.Strict = false
		d.AutoClose = xml.HTMLAutoClose
	}
	for {
		tok, err := d.Token()
		if err == io.EOF {
			return
		}
		if _, ok := tok.(xml.Directive); ok && err == nil {
			// A DTD: Office refuses one in a package, and its
			// entities and default attributes are not applied here.
			err = errDTD
		}
		if err != nil {
			notInspected(errText(err))
			return
		}
		if !p.token(tok) {
			return
		}
	}
}

// scanMarks reads a part to its end and reports how many bytes it has
// and whether it holds marks, or bytes that make the reading
// uncertain: "<!" (a DTD, whose entities may make elements; CDATA and
// comments count too, as they are rare) or a NUL (UTF-16 or UTF-32,
// with a byte order mark or not). Unless declared XML, a part that does
// not start as XML (startsAsXML: a picture) is read no further than its
// first read.
func scanMarks(r io.Reader, declared bool, marks func([]byte) bool) (n int64, marked bool, err error) {
	const keep = 16 // longer than any mark, kept from the chunk before
	buf := make([]byte, keep+32<<10)
	carry, first := 0, true
	for {
		k, err := readFullish(r, buf[carry:])
		n += int64(k)
		chunk := buf[:carry+k]
		if first && !declared && !startsAsXML(chunk) {
			return n, false, nil
		}
		first = false
		if !marked && (bytes.Contains(chunk, []byte("<!")) || bytes.IndexByte(chunk, 0) >= 0 || marks(chunk)) {
			marked = true
		}
		if err != nil || k == 0 {
			return n, marked, err
		}
		carry = copy(buf, chunk[max(len(chunk)-keep, 0):])
	}
}

// startsAsXML reports the start of a part (head, its first bytes) that
// an XML reader would take: "<" after a UTF-8 byte order mark and
// blanks, nothing but blanks (the "<" may come later), or a UTF-16
// byte order mark.
func startsAsXML(head []byte) bool {
	if bytes.HasPrefix(head, []byte("\xff\xfe")) || bytes.HasPrefix(head, []byte("\xfe\xff")) {
		return true
	}
	rest := bytes.TrimLeft(bytes.TrimPrefix(head, []byte("\xef\xbb\xbf")), " \t\r\n")
	return len(rest) > 0 && rest[0] == '<' || len(rest) == 0 && len(head) > 0
}

// partDecoder is an XML decoder over a part of an OOXML package as
// Office reads one: UTF-8, or UTF-16 with a byte order mark (OPC allows
// both; Office writes some custom XML parts in UTF-16). A declaration
// may name UTF-16 only in a part that is; any other charset, or UTF-16
// without a byte order mark (its NULs), is an error when read. A DTD
// is not refused here: the caller refuses the xml.Directive.
func partDecoder(r io.Reader) *xml.Decoder {
	br := bufio.NewReader(r)
	head, _ := br.Peek(2)
	return newPartDecoder(br, head)
}

// newPartDecoder is partDecoder over r, which reads a part starting
// with head (its first two bytes, or fewer if it has fewer): r is
// read as it is, so one that is an io.ByteReader (a bytes.Reader over
// a part read whole) is not buffered again.
func newPartDecoder(r io.Reader, head []byte) *xml.Decoder {
	wide := bytes.HasPrefix(head, []byte("\xff\xfe")) || bytes.HasPrefix(head, []byte("\xfe\xff"))
	if wide {
		// The byte order mark tells the order, and is dropped.
		r = transform.NewReader(r, unicode.UTF16(unicode.LittleEndian, unicode.ExpectBOM).NewDecoder())
	}
	d := xml.NewDecoder(r)
	d.CharsetReader = func(label string, r io.Reader) (io.Reader, error) {
		switch strings.ToLower(label) {
		case "utf-16", "utf-16le", "utf-16be", "unicode":
			if wide {
				return r, nil // decoded above
			}
		}
		return nil, errors.New("charset " + label)
	}
	return d
}
