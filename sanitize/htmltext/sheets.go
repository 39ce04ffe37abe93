package htmltext

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// maxContexts bounds the elements readSheets keeps open (see sheetReader):
// past it, deeper svg, math and template elements are not tracked.
const maxContexts = 64

// sheetReader is Convert's first pass. It reads a document for its style
// sheets alone, in document order, and keeps only them: what decides
// whether a <style> is one is tracked, no other element.
//
// Where the browser's tree builder reads a <style> differently from the
// tokenizer, it follows the browser (Chromium was asked):
//   - in a <template>'s content it styles nothing;
//   - in svg it is SVG's style element, which styles the document as
//     HTML's does, but its content is markup: entities and CDATA sections
//     are read, and a tag ends it;
//   - in math (outside mi, mo, mn, ms, mtext and an annotation-xml
//     whose encoding is text/html or application/xhtml+xml, where HTML
//     is read again) it is no style element at all;
//   - in <noscript> it is one: a mail client runs no script, so its
//     browser reads noscript's content as markup, where the tokenizer
//     (and the converter, which drops it) take it as text.
type sheetReader struct {
	z  *html.Tokenizer
	sh *sheet
	// open holds the elements that change how what follows is read:
	// svg and math, their HTML integration points, and <template>; the
	// innermost last. over counts those past maxContexts.
	open      []string
	over      int
	templates int // <template> elements in open
	// The <style> being read: html, the tokenizer's next token is its
	// raw text; svg, its text tokens until the next tag, gathered in css.
	html, svg bool
	css       strings.Builder
}

// lastStyle returns where the last "<style", in any case, begins in the
// text r gives, -1 if nowhere: no <style> start tag begins after it. It
// reads the text as bytes, an order of magnitude faster than the
// tokenizer, so that a document without a sheet costs little more than
// one conversion, and one with its sheets in its head is tokenized twice
// only that far.
func lastStyle(r io.Reader) (int64, error) {
	last, _, err := scanTags(r)
	return last, err
}

// scanTags is lastStyle, and reports whether a "<template", in any
// case, is in the text too: only then can the document have a shadow
// root (shadow.go).
func scanTags(r io.Reader) (last int64, template bool, err error) {
	const tag, tmpl = "<style", "<template"
	buf := make([]byte, 4<<10)
	last, off, keep := int64(-1), int64(0), 0 // off: where buf starts in the text
	for {
		n, err := r.Read(buf[keep:])
		data := buf[:keep+n]
		for i := 0; ; i++ {
			j := bytes.IndexByte(data[i:], '<')
			if j < 0 || len(data)-(i+j) < len(tag) {
				break
			}
			i += j
			if asciiFold(data[i+1:i+len(tag)], tag[1:]) {
				last = off + int64(i)
			}
			if !template && len(data)-i >= len(tmpl) && asciiFold(data[i+1:i+len(tmpl)], tmpl[1:]) {
				template = true
			}
		}
		if errors.Is(err, io.EOF) {
			return last, template, nil
		}
		if err != nil {
			return -1, false, fmt.Errorf("htmltext: read: %w", err)
		}
		// A tag cut by the end of this read is read with the next.
		keep = min(len(tmpl)-1, len(data))
		copy(buf, data[len(data)-keep:])
		off += int64(len(data) - keep)
	}
}

// asciiFold reports whether b is lower, ignoring the case of ASCII
// letters (lower is in lower case).
func asciiFold(b []byte, lower string) bool {
	for i := range b {
		if b[i]|0x20 != lower[i] {
			return false
		}
	}
	return true
}

// readSheets reads every style sheet of the document r gives (nil when
// there is none), stopping past last, where the last <style> may begin
// (see lastStyle). The errors are those convert would meet on r.
func readSheets(r io.Reader, last int64) (*sheet, error) {
	p := &sheetReader{z: html.NewTokenizer(r)}
	p.z.SetMaxBuf(maxToken)
	var read int64
	for {
		if read > last && !p.html && !p.svg {
			return p.sh, nil
		}
		p.z.AllowCDATA(p.namespace() != "")
		tt := p.z.Next()
		read += int64(len(p.z.Raw()))
		if tt != html.TextToken {
			p.endSVGStyle()
		}
		styleNext := p.html
		p.html = false
		switch tt {
		case html.ErrorToken:
			err := p.z.Err()
			if errors.Is(err, io.EOF) {
				return p.sh, nil
			}
			if errors.Is(err, html.ErrBufferExceeded) {
				return nil, fmt.Errorf("htmltext: a tag or text run exceeds %d bytes: %w", maxToken, err)
			}
			return nil, fmt.Errorf("htmltext: read: %w", err)
		case html.TextToken:
			switch {
			case styleNext:
				p.add(string(p.z.Text()))
			case p.svg && p.css.Len() <= maxSheetBytes:
				// One byte past the bound tells sheet.add it was cut.
				t := p.z.Text()
				p.css.Write(t[:min(len(t), maxSheetBytes+1-p.css.Len())])
			}
		case html.StartTagToken, html.SelfClosingTagToken:
			p.start(tt == html.SelfClosingTagToken)
		case html.EndTagToken:
			p.end()
		}
	}
}

func (p *sheetReader) add(css string) {
	if p.sh == nil {
		p.sh = &sheet{}
	}
	p.sh.add(css)
}

// endSVGStyle reads the svg <style> whose text has been gathered.
func (p *sheetReader) endSVGStyle() {
	if p.svg {
		p.svg = false
		p.add(p.css.String())
		p.css.Reset()
	}
}

// namespace is "svg" or "math" where the tokens are read as that
// language's, "" where they are HTML.
func (p *sheetReader) namespace() string {
	if len(p.open) == 0 {
		return ""
	}
	switch top := p.open[len(p.open)-1]; top {
	case "svg", "math":
		return top
	}
	return "" // an integration point, or a template
}

// rawText reports the elements whose content the tokenizer reads as raw
// text (or RCDATA) by itself.
func rawText(name string) bool {
	switch name {
	case "iframe", "noembed", "noframes", "noscript", "plaintext", "script", "style", "textarea", "title", "xmp":
		return true
	}
	return false
}

// rawTagName returns the name of the tag token just read, lower case, if
// it is one of the standard names: the tokenizer's TagName copies it,
// and this pass reads every tag for a few names.
func (p *sheetReader) rawTagName() string {
	raw := p.z.Raw()
	raw = raw[min(len(raw), 1):] // <
	if len(raw) > 0 && raw[0] == '/' {
		raw = raw[1:]
	}
	var lower [16]byte
	n := 0
	for ; n < len(raw); n++ {
		c := raw[n]
		if c == ' ' || c == '\t' || c == '\n' || c == '\f' || c == '\r' || c == '/' || c == '>' {
			break
		}
		if n == len(lower) {
			return ""
		}
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		lower[n] = c
	}
	if a := atom.Lookup(lower[:n]); a != 0 {
		return a.String()
	}
	return ""
}

func (p *sheetReader) start(selfClosing bool) {
	name := p.rawTagName()
	var a attrs
	if name == "style" || name == "font" || name == "annotation-xml" {
		for more := true; more; {
			var k, v []byte
			k, v, more = p.z.TagAttr()
			if k != nil {
				a.set(k, v)
			}
		}
	}
	ns := p.namespace()
	if ns != "" && (breaksOutOfForeign(name) || name == "font" && (a.has("color") || a.has("face") || a.has("size"))) {
		// HTML again: the foreign elements end here.
		for p.namespace() != "" {
			p.pop()
		}
		ns = ""
	}
	if ns != "" {
		if rawText(name) {
			p.z.NextIsNotRawText() // a foreign element: its content is markup
		}
		if selfClosing {
			return
		}
		switch {
		case ns == "svg" && name == "style":
			p.svg = p.templates == 0 && styleApplies(&a)
		case name == ns,
			ns == "svg" && (name == "foreignobject" || name == "desc" || name == "title"),
			ns == "math" && (name == "mi" || name == "mo" || name == "mn" || name == "ms" || name == "mtext"),
			ns == "math" && name == "annotation-xml" && htmlEncoding(a.encoding):
			p.push(name)
		}
		return
	}
	switch name {
	case "svg", "math":
		if !selfClosing {
			p.push(name)
		}
	case "template":
		p.push(name)
	case "noscript":
		p.z.NextIsNotRawText()
	case "style":
		p.html = p.templates == 0 && styleApplies(&a)
	}
}

func (p *sheetReader) end() {
	name := p.rawTagName()
	if p.namespace() != "" && (name == "p" || name == "br") {
		// </p> and </br> end foreign content, as HTML elements would.
		for p.namespace() != "" {
			p.pop()
		}
		return
	}
	switch name {
	case "svg", "math", "foreignobject", "desc", "title", "mi", "mo", "mn", "ms", "mtext", "annotation-xml", "template":
	default:
		return
	}
	if p.over > 0 {
		p.over--
		return
	}
	for i := len(p.open) - 1; i >= 0; i-- {
		if p.open[i] == name {
			for len(p.open) > i {
				p.pop()
			}
			return
		}
	}
}

func (p *sheetReader) push(name string) {
	if len(p.open) == maxContexts {
		p.over++
		return
	}
	p.open = append(p.open, name)
	if name == "template" {
		p.templates++
	}
}

func (p *sheetReader) pop() {
	if p.open[len(p.open)-1] == "template" {
		p.templates--
	}
	p.open = p.open[:len(p.open)-1]
}

// styleApplies reports whether a <style> with these attributes styles a
// desktop mail client's screen: a media query list that holds, a CSS type.
func styleApplies(a *attrs) bool {
	return mediaMatches(a.media) && (a.typ == "" || strings.EqualFold(a.typ, "text/css"))
}
