package htmltext

// flag describes how an element affects the token stream and the output.
type flag uint32

const (
	fVoid       flag = 1 << iota // never has content or an end tag (HTML "void elements")
	fDrop                        // its content is never shown to the reader
	fRawSkip                     // the tokenizer returns its content as one raw text token, which we drop
	fSpecial                     // HTML "special" category: stops the search for a matching end tag
	fScope                       // boundary of "has an element in scope"
	fFormatting                  // HTML "formatting" element (b, a, font...): closed by its end tag when in scope
	fLine                        // starts and ends a line
	fPara                        // separated from its neighbours by a blank line
	fClosesP                     // its start tag implicitly closes an open <p>
	fHeadOK                      // may appear inside <head> without ending it
	fPre                         // keeps its white space
	fIndent                      // indents its lines (prefix from lineLead)
	fHeading                     // h1–h6
	fTablePart                   // tr, td, th, tbody, thead, tfoot, caption
	fForeign                     // svg, math: self-closing tags inside are honoured
)

// elements is the table of HTML elements that matter for rendering or for
// finding where an element ends. Unknown elements (span, o:p, custom tags)
// are inline and follow the "any other end tag" rule of the HTML parser.
// The categories follow the WHATWG HTML tree-construction rules closely
// enough that hidden or dropped subtrees end where a browser ends them.
var elements = map[string]flag{
	// Void elements.
	"area":   fVoid | fSpecial,
	"base":   fVoid | fSpecial | fHeadOK,
	"br":     fVoid | fSpecial,
	"col":    fVoid | fSpecial,
	"embed":  fVoid | fSpecial,
	"hr":     fVoid | fSpecial | fClosesP,
	"img":    fVoid | fSpecial,
	"input":  fVoid | fSpecial,
	"keygen": fVoid | fSpecial,
	"link":   fVoid | fSpecial | fHeadOK,
	"meta":   fVoid | fSpecial | fHeadOK,
	"param":  fVoid | fSpecial,
	"source": fVoid | fSpecial,
	"track":  fVoid | fSpecial,
	"wbr":    fVoid | fSpecial,

	// Never shown: scripts, styles, metadata, embedded content, form controls.
	// The tokenizer reads the content of the fRawSkip ones as raw text.
	"script":   fDrop | fRawSkip | fSpecial | fHeadOK,
	"style":    fDrop | fRawSkip | fSpecial | fHeadOK,
	"title":    fDrop | fRawSkip | fSpecial | fHeadOK,
	"textarea": fDrop | fRawSkip | fSpecial,
	"noscript": fDrop | fRawSkip | fSpecial | fHeadOK,
	"noembed":  fDrop | fRawSkip | fSpecial,
	"noframes": fDrop | fRawSkip | fSpecial | fHeadOK,
	"iframe":   fDrop | fRawSkip | fSpecial,
	"head":     fDrop | fSpecial,
	"template": fDrop | fSpecial | fScope | fHeadOK,
	"object":   fDrop | fSpecial | fScope,
	"applet":   fDrop | fSpecial | fScope,
	"frameset": fDrop | fSpecial,
	"frame":    fDrop | fSpecial,
	"select":   fDrop | fSpecial,
	"datalist": fDrop,
	"option":   0, // shown outside <select>, like a browser does
	"optgroup": 0,
	"button":   fDrop | fSpecial,
	"svg":      fDrop | fScope | fForeign,
	"math":     fScope | fForeign, // drawn as MathML draws it (math.go)
	"canvas":   fDrop,
	"audio":    fDrop,
	"video":    fDrop,
	"picture":  0, // its <img> is the fallback the reader sees

	// Raw text that is shown as preformatted text.
	"xmp":       fPre | fPara | fSpecial | fClosesP,
	"plaintext": fPre | fPara | fSpecial | fClosesP,
	"listing":   fPre | fPara | fSpecial | fClosesP,
	"pre":       fPre | fPara | fSpecial | fClosesP,

	// Blocks.
	"p":          fPara | fSpecial | fClosesP,
	"h1":         fPara | fSpecial | fClosesP | fHeading,
	"h2":         fPara | fSpecial | fClosesP | fHeading,
	"h3":         fPara | fSpecial | fClosesP | fHeading,
	"h4":         fPara | fSpecial | fClosesP | fHeading,
	"h5":         fPara | fSpecial | fClosesP | fHeading,
	"h6":         fPara | fSpecial | fClosesP | fHeading,
	"blockquote": fPara | fSpecial | fClosesP | fIndent,
	"ul":         fPara | fSpecial | fClosesP,
	"ol":         fPara | fSpecial | fClosesP,
	"menu":       fPara | fSpecial | fClosesP,
	"dir":        fPara | fSpecial | fClosesP,
	"dl":         fPara | fSpecial | fClosesP,
	"figure":     fPara | fSpecial | fClosesP,
	"fieldset":   fPara | fSpecial | fClosesP,
	"address":    fPara | fSpecial | fClosesP,
	"li":         fLine | fSpecial | fIndent | fClosesP,
	"dd":         fLine | fSpecial | fIndent | fClosesP,
	"dt":         fLine | fSpecial | fClosesP,
	"div":        fLine | fSpecial | fClosesP,
	"center":     fLine | fSpecial | fClosesP,
	"section":    fLine | fSpecial | fClosesP,
	"article":    fLine | fSpecial | fClosesP,
	"aside":      fLine | fSpecial | fClosesP,
	"header":     fLine | fSpecial | fClosesP,
	"footer":     fLine | fSpecial | fClosesP,
	"nav":        fLine | fSpecial | fClosesP,
	"main":       fLine | fSpecial | fClosesP,
	"search":     fLine | fSpecial | fClosesP,
	"hgroup":     fLine | fSpecial | fClosesP,
	"details":    fLine | fSpecial | fClosesP,
	"summary":    fLine | fSpecial | fClosesP,
	"dialog":     fLine | fSpecial | fClosesP,
	"figcaption": fLine | fSpecial | fClosesP,
	"form":       fLine | fSpecial | fClosesP,
	"legend":     fLine,
	"marquee":    fLine | fSpecial | fScope,

	// Tables.
	"table":    fPara | fSpecial | fScope | fClosesP,
	"caption":  fLine | fSpecial | fScope | fTablePart,
	"tr":       fLine | fSpecial | fTablePart,
	"td":       fSpecial | fScope | fTablePart,
	"th":       fSpecial | fScope | fTablePart,
	"tbody":    fSpecial | fTablePart,
	"thead":    fSpecial | fTablePart,
	"tfoot":    fSpecial | fTablePart,
	"colgroup": fVoid | fSpecial, // holds only <col>; never pushed so a missing </colgroup> cannot swallow the table

	// Formatting elements (the HTML parser's list of active formatting elements).
	"a":      fFormatting,
	"b":      fFormatting,
	"big":    fFormatting,
	"code":   fFormatting,
	"em":     fFormatting,
	"font":   fFormatting,
	"i":      fFormatting,
	"nobr":   fFormatting,
	"s":      fFormatting,
	"small":  fFormatting,
	"strike": fFormatting,
	"strong": fFormatting,
	"tt":     fFormatting,
	"u":      fFormatting,

	// Structure the parser handles itself; never pushed on our stack.
	"html": fSpecial | fScope,
	"body": fSpecial,
}

// breaksOutOfForeign reports whether a start tag inside svg or math content
// ends that content, as the HTML parser's "breakout" list does. Without this
// an unclosed <svg> would swallow the rest of the message.
func breaksOutOfForeign(name string) bool {
	switch name {
	case "b", "big", "blockquote", "body", "br", "center", "code", "dd", "div",
		"dl", "dt", "em", "embed", "h1", "h2", "h3", "h4", "h5", "h6", "head",
		"hr", "i", "img", "li", "listing", "menu", "meta", "nobr", "ol", "p",
		"pre", "ruby", "s", "small", "span", "strong", "strike", "sub", "sup",
		"table", "tt", "u", "ul", "var":
		return true
	}
	return false
}

// selectInTable returns the stack index of the open <select> when it
// stands in a table (HTML's "in select in table" insertion mode), -1
// otherwise.
func (c *converter) selectInTable() int {
	if c.selects == 0 {
		return -1
	}
	s := c.findName("select", stopTable)
	if s < 0 {
		return -1
	}
	for i := s - 1; i >= 0; i-- {
		if c.stack[i].name == "table" {
			return s
		}
	}
	return -1
}
