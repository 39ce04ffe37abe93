package htmltext

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// Options tunes the conversion.
type Options struct {
	MaxDepth   int    // element nesting limit (0 → 256); deeper markup is flattened, not lost
	ImageLabel string // "" → "画像"; images render as "[画像: alt]"
}

// Stats counts what the conversion met, for the sanitiser's report.
type Stats struct {
	Links         int  // links printed with their target
	Images        int  // images replaced by a placeholder
	Hidden        int  // hidden elements dropped (hidden attribute, inline style or style sheet, text too small to read, tracking pixels)
	Mismatched    int  // links whose text is a web address on another site than their target, marked MismatchMark
	DepthExceeded bool // nesting went past MaxDepth and was flattened
	StyleLimit    bool // style sheets went past their limits (see sheet.go); the rest was not applied
}

const (
	defaultMaxDepth = 256
	// maxToken bounds one tag or one run of text, the unit the tokenizer
	// buffers. Real mail stays far below; a larger token (a multi-megabyte
	// data: URI, say) fails the conversion and the caller fails closed.
	maxToken = 8 << 20
	// maxIndent bounds the prefix of a line, so deep nesting of lists and
	// quotes cannot multiply the output size.
	maxIndent = 32
	// maxCellIndent bounds the indentation of a layout table cell's
	// continuation lines (see cellText): a cell that starts further right
	// than this, after a long first cell, continues at the line's start.
	maxCellIndent = 24
	hrLine        = "----"
	// strikeMark encloses struck-through text, as plain-text mail and
	// Markdown write it: "~~4月1日~~ 4月8日" is a date changed, where
	// "4月1日 4月8日" read as two.
	strikeMark = "~~"
	// headingMark starts the title of a section (<h1>–<h3>).
	headingMark = "■ "
	// headingSymbols start titles that newsletters mark themselves
	// (■ 目次, ◆お知らせ): such a title gets no second mark.
	headingSymbols = "■□◆◇●○◎★☆▼▽▲△▶▷◉"
)

// What a <q> is quoted with, which its text decides (see openQuotes).
const (
	quotePending = 'p'
	quoteJa      = 'j' // 「」, 『』 inside another
	quoteEn      = 'e' // “”, ‘’ inside another
	quoteParen   = ')' // an <rt>'s parentheses, opened with its first word
)

// entry is one open element on the stack.
type entry struct {
	name     string
	fl       flag
	shown    bool       // its start was rendered, so its end is rendered too
	skipRoot bool       // it is the root of a dropped or hidden subtree
	brk      int        // line breaks around it: 1 line, 2 blank line
	brkEnd   int        // line breaks after it, when they differ from brk (0: brk)
	ordered  bool       // <ol>
	next     int        // next item number of an <ol>
	numbers  byte       // <ol type>: '1', 'a', 'A', 'i' or 'I'
	rp       bool       // <ruby>: it has <rp> fallback parentheses of its own
	paren    bool       // <rt>: its text is put in parentheses, which wait for its first word as a quote's marks do
	strike   bool       // its text is struck through (<s>, <del>, line-through)
	sup      bool       // <sup> after a word: "^" before its text
	headMark bool       // <h1>–<h3>: headingMark before its text
	quote    byte       // <q>: quotePending until its first word, then quoteJa or quoteEn; <rt>: quoteParen
	data     bool       // <table>: it has header cells or rules, so it holds data, not layout
	styled   bool       // <table>: Word gave it a table style, data from its second row
	rows     int        // <table>: rows started, counted to 2
	col      int        // <table>: the column the current row's next cell starts in
	rowCell  bool       // <table>: the current row has a cell of its own
	rowRuled bool       // <table>: the current row has a cell with a border
	cells    int        // <table>: the cells placed in it, which pay for its ditto marks
	grid     *tableGrid // <table>: the columns its rowspans hold, once a cell spans rows
	indent   int        // <td>, <th>: the column its text starts in, when after another cell's on the line
	wordsAt  int        // <td>, <th>, <li>: words written before it
	// What makes its text unseen, each inherited until a descendant
	// says otherwise: a size too small to read (font-size), the colour
	// white (unless the nearest background painted behind it is a
	// colour: onBG) or transparent.
	small, white, clear, onBG bool
	fill                      textColor // -webkit-text-fill-color, which paints over the colour: colorUnset when it is the colour
	counted                   bool      // its unseen text was counted as hidden
	invis                     bool      // visibility:hidden, its own or inherited
	flexBox                   bool      // a flex or grid container: its children are blocks
	mathml                    bool      // an element of MathML (math.go), not HTML's of its name
	kids                      bool      // MathML <semantics>, <maction>: an element child started
	boxText                   bool      // MathML given a display of CSS's, not math's: its text is drawn
	hosted                    bool      // see at, below
	// ns: how its content is read, as the parser's tree builder
	// reads it (see contentNS): HTML (0), foreign content (nsSVG,
	// nsMath), or HTML in an integration point drawn (nsDrawn,
	// nsMathText) or not (nsUndrawn).
	ns byte
	// outerSkip: moved out of a hidden table being skipped, 1 + the
	// skip to go back to when it ends; 0 otherwise.
	outerSkip   int
	stops       uint16  // the scope searches that stop at it, 1<<stop
	key         elemKey // its name, id and class, for style sheet selectors
	serial      uint64  // its number, in the order elements were opened (see activeFormatting)
	outerMarker uint64  // a marker element (see marker): the serial of the one around it, 0 if none
	// Shadow DOM (shadow.go). at: where its start tag ends in the
	// input, which names it across Convert's passes; host: its slots,
	// when it is (or, known from a pass before, will be) a shadow
	// host; hosted (with the flags above): a shadow root was attached
	// to it.
	at   int64
	host *hostRecord
	// root: a <template> that is a shadow root, nil for any other
	// element (a pointer, so that the entries of a deep stack stay
	// small).
	root *shadowRoot
}

type converter struct {
	out
	stats    Stats
	maxDepth int
	label    string

	z         *html.Tokenizer
	stack     []entry
	sheet     *sheet     // the <style> rules read so far, nil before the first
	gathered  bool       // sheet holds every sheet of the document, read in a first pass (Convert)
	roots     [2]elemKey // <html> and <body>, which are not on the stack
	htmlStyle string     // <html>'s style attribute, read with <body>'s
	bodyStyle string     // <body>'s style attribute
	// htmlStyled, bodyStyled: the style attribute was given, and a later
	// <html> or <body> does not replace it (a browser adds only the
	// attributes not already there); rootsRead: visibility on <html>
	// and <body> was read, at <body> or at the content that implies it.
	htmlStyled, bodyStyled, rootsRead bool
	styleNext                         bool      // the next token is the text of a <style> to read
	overflow                          int       // elements opened past maxDepth, not on the stack
	skip                              int       // stack index of the dropped subtree being skipped, -1 if none
	rawSkip                           bool      // the next token is the raw content of <script>, <style>, ...
	preNL                             bool      // the next token directly follows <pre>
	pre                               int       // open elements that keep white space
	strike                            int       // open elements whose text is struck through
	heads                             int       // open <h1>–<h3>: a title inside another is not marked again
	foreign                           int       // open svg/math elements
	bodySeen                          bool      // body content has started, so a later <head> is ignored
	bodyBG                            bool      // <body> paints a background
	linkColor                         textColor // <body link>: the colour of links, colorUnset for the browser's blue
	begun                             bool      // a tag or text was read: a doctype after it does not count
	exact                             bool      // a standards doctype began the document (see sheet.exact)
	prefixStr                         string
	prefixOK                          bool

	// Shadow DOM (shadow.go): the record of Convert's passes before,
	// nil for none; <body>'s record as a host, and whether a shadow
	// root was attached to it; the shadow roots open; the shadow
	// sheets made; the stack index of the shadow root the <style>
	// being read belongs to, -1 for the document.
	// svgStyle: an svg <style> is being read, its text tokens up to
	// the next tag gathered in css (as sheets.go reads it), for
	// c.styleInto.
	svgStyle bool
	css      strings.Builder

	rec      *shadowRecord
	hostRoot [1]elemKey // scratch for treeRoots
	replayState
	bodyHost     *hostRecord
	bodyHosted   bool
	shadows      int
	selects      int // open <select> elements, which change what tags end (selectInTable)
	shadowSheets int
	styleInto    int

	// rootInvis: <html> or <body> has visibility:hidden, which the
	// content inherits (rootCounted: its text was counted as hidden).
	rootInvis, rootCounted bool

	// The formatting elements to open again (formatting.go), the last
	// serial given, and the one being opened again, if any.
	active      []activeFormatting
	serial      uint64
	reopening   *activeFormatting
	innerMarker uint64 // serial of the innermost open marker element, 0 if none
	// Bytes of input read, and the cost of the copies opened again
	// (see reopenRatio).
	read, reopened int64

	link, linkHref string // target of the open <a>, "" when none
	linkOwner      int    // stack index of the <a> that opened the link
	linkAfter      rune   // the character written just before the link
	linkUnseen     bool   // the link is in text that cannot be seen
	linkHid        bool   // text inside the link was dropped as unseen
	linkWords      int    // words written when the link started
	cellAt         int    // stack index of the cell last started, -1 when past MaxDepth
	linkImages     int    // images without alt text in the open link, not printed
	linkSeen       bool   // the open link holds an image that can be seen, printed or not
	linkPend       bool   // the open link took over the pending link to its target (see startLink)

	// An image link with no alt text (or a link with no text at all)
	// says nothing but its target, and newsletters put one beside a
	// text link to the same page (a thumbnail, then the title): its
	// target waits for what comes next, and prints once (see endLink).
	pendDisplay, pendTarget string
	pendImage               bool // it holds an image: "[画像] <target>"
	pendCell                bool // a cell of its row started after it, its line still empty
	pendWS                  int  // len(c.ws) when it ended: the preserved white space before it
	// The target of the link printed last and c.words after it: a
	// link to it right after prints nothing.
	lastTarget string
	lastWords  int
}

// Convert reads the UTF-8 HTML document open gives and writes it to w as
// plain text with \n line ends, ending in one newline (empty input gives
// empty output). URLs are printed as they are, in angle brackets;
// neutralising them is left to the caller.
//
// open is called up to five times and must give the same document from
// its start each time (Convert does not close what it gives). A browser
// applies every style sheet of a document to the whole document,
// wherever its <style> stands, so the sheets are read first, keeping
// nothing else (sheet.go bounds what it keeps): a scan of the bytes finds
// where the last <style> may be (scanTags), and the tokenizer reads the
// sheets up to there (readSheets). A document with a <template> may
// have shadow roots, whose slots decide what of their hosts is drawn:
// two passes that write nothing learn them (shadowRecords). The last
// pass converts.
//
// The error is a read or write error, or html.ErrBufferExceeded (wrapped)
// when a single tag or text run is larger than 8 MiB. When the sheets
// cannot be read for one, the document is converted as ConvertStream
// does, which meets it at the same place: the text before it is written,
// as it was before sheets were read first.
func Convert(w io.Writer, open func() io.Reader, opt Options) (Stats, error) {
	last, template, err := scanTags(open())
	if err != nil {
		return ConvertStream(w, open(), opt)
	}
	var sh *sheet
	if last >= 0 {
		if sh, err = readSheets(open(), last); err != nil {
			return ConvertStream(w, open(), opt)
		}
	}
	var rec *shadowRecord
	if template {
		rec = shadowRecords(open, opt, sh)
	}
	return convert(w, open(), opt, sh, true, rec)
}

// shadowRecords runs Convert's record passes over the document open
// gives, with its sheets sh: which light children a shadow root's slots
// take, and which slots they fill, is known only past them, and two
// passes that write nothing learn it (shadow.go). The sheets are copied,
// as matching charges their budget. It returns nil when a pass fails
// (the conversion meets the error too).
func shadowRecords(open func() io.Reader, opt Options, sh *sheet) *shadowRecord {
	rec := newShadowRecord()
	for range 2 {
		if _, err := convert(io.Discard, open(), opt, sh.clone(), true, rec); err != nil {
			return nil
		}
		rec.next()
	}
	return rec
}

// ConvertStream is Convert for a document that can be read only once: a
// style sheet then applies from where it stands on, and a <style> after
// the element it would hide leaves that element shown, where a browser
// hides it. Its memory does not grow with the document, and its text
// comes out while the document is still coming in.
func ConvertStream(w io.Writer, r io.Reader, opt Options) (Stats, error) {
	return convert(w, r, opt, nil, false, nil)
}

// convert converts the document r gives. With gathered, sh holds every
// style sheet of the document (nil for none) and a <style> met adds
// nothing; without, each sheet is read where it stands.
func convert(w io.Writer, r io.Reader, opt Options, sh *sheet, gathered bool, rec *shadowRecord) (Stats, error) {
	c := &converter{maxDepth: opt.MaxDepth, label: opt.ImageLabel, skip: -1, cellAt: -1, sheet: sh, gathered: gathered, rec: rec, styleInto: -1}
	if rec != nil {
		c.bodyHost = rec.hosts[bodyKey]
	}
	c.roots = [2]elemKey{{tag: "html"}, {tag: "body"}}
	if c.maxDepth <= 0 {
		c.maxDepth = defaultMaxDepth
	}
	if c.label == "" {
		c.label = "画像"
	}
	c.out.w = bufio.NewWriter(w)
	c.out.prefix = c.linePrefix
	c.out.inCell = c.inCell
	c.out.cellText = c.cellText
	c.out.flushPend = c.flushPend
	c.out.openQuotes = c.openQuotes
	c.out.textStart = -1

	z := html.NewTokenizer(r)
	z.SetMaxBuf(maxToken)
	if err := c.tokens(z); err != nil {
		return c.stats, err
	}
	c.stats.StyleLimit = c.stats.StyleLimit || c.sheet != nil && c.sheet.limited()
	c.popTo(0)
	return c.stats, c.finish()
}

// tokens converts what z reads, up to its end (nil) or an error.
func (c *converter) tokens(z *html.Tokenizer) error {
	c.z = z
	for c.err == nil {
		// In svg and math a CDATA section is text, as a browser reads
		// it (and sheets.go): "<![CDATA[<b>]]>" is no tag.
		ns := c.contentNS()
		z.AllowCDATA(ns == nsSVG || ns == nsMath)
		tt := z.Next()
		c.tokStart = c.read
		c.read += int64(len(z.Raw()))
		if tt != html.TextToken && c.svgStyle {
			c.svgStyle = false
			c.addSheet(c.css.String())
			c.css.Reset()
		}
		rawSkip, preNL, styleNext := c.rawSkip, c.preNL, c.styleNext
		c.rawSkip, c.preNL, c.styleNext = false, false, false
		switch tt {
		case html.ErrorToken:
			err := z.Err()
			if errors.Is(err, io.EOF) {
				return nil
			}
			if errors.Is(err, html.ErrBufferExceeded) {
				return fmt.Errorf("htmltext: a tag or text run exceeds %d bytes: %w", maxToken, err)
			}
			return fmt.Errorf("htmltext: read: %w", err)
		case html.TextToken:
			if rawSkip {
				if styleNext {
					c.addSheet(string(z.Text()))
				}
				break
			}
			text := z.Text()
			if c.svgStyle && c.css.Len() <= maxSheetBytes {
				// One byte past the bound tells sheet.add it was cut.
				c.css.Write(text[:min(len(text), maxSheetBytes+1-c.css.Len())])
			}
			c.begun = c.begun || len(bytes.TrimLeft(text, " \t\r\n\f")) > 0
			if preNL {
				// HTML drops a newline directly after <pre>.
				text = bytes.TrimPrefix(text, []byte("\n"))
			}
			c.text(text)
		case html.DoctypeToken:
			if !c.begun {
				c.exact = standardsDoctype(string(z.Text()))
				if c.sheet != nil {
					c.sheet.exact = c.exact
				}
			}
			c.begun = true
		case html.StartTagToken, html.SelfClosingTagToken:
			c.begun = true
			name, hasAttr := z.TagName()
			var a attrs
			for hasAttr {
				var k, v []byte
				k, v, hasAttr = z.TagAttr()
				a.set(k, v)
			}
			c.start(name, &a, tt == html.SelfClosingTagToken)
		case html.EndTagToken:
			name, _ := z.TagName()
			c.end(name)
		}
		if c.capturing > 0 {
			c.keep(z.Raw())
		}
		if c.ending != "" {
			c.ending = ""
		}
	}
	return fmt.Errorf("htmltext: write: %w", c.err)
}

// set records an attribute. The first of duplicates counts, as in a
// browser: <span style="display:none" style="color:red"> is hidden.
func (a *attrs) set(k, v []byte) {
	if a.seen(string(k)) {
		return
	}
	switch string(k) {
	case "style":
		a.style = string(v)
	case "hidden":
		a.hidden = true
	case "href":
		a.href = string(v)
	case "alt":
		a.alt, a.hasAlt = string(v), true
	case "class":
		a.class = string(v)
	case "id":
		a.id = string(v)
	case "media":
		a.media = string(v)
	case "color":
		a.color = string(v)
	case "bgcolor":
		a.bgcolor = string(v)
	case "background":
		a.bgImage = string(v)
	case "width":
		a.width = string(v)
	case "height":
		a.height = string(v)
	case "start":
		a.start = string(v)
	case "type":
		a.typ = string(v)
	case "value":
		a.value = string(v)
	case "border":
		a.border = string(v)
	case "rowspan":
		a.rowspan = string(v)
	case "colspan":
		a.colspan = string(v)
	case "src":
		a.src = string(v)
	case "link":
		a.link = string(v)
	case "slot":
		a.slot = string(v)
	case "name":
		a.name = string(v)
	case "shadowrootmode":
		a.shadowMode = string(v)
	case "encoding":
		a.encoding = string(v)
	case "display":
		a.display = string(v)
	}
}

// tagName returns an element name, without allocating for the standard
// names the atom table holds.
func tagName(b []byte) string {
	if a := atom.Lookup(b); a != 0 {
		return a.String()
	}
	return string(b)
}

func (c *converter) skipping() bool { return c.skip >= 0 }

// styleTarget reports whether the <style> starting now is to be read,
// and sets c.styleInto to where: in a <template>'s content a <style>
// styles nothing; in a shadow tree, that tree (shadow.go); else the
// document, unless its sheets were read in a pass before (gathered).
func (c *converter) styleTarget() bool {
	switch t := c.innerTemplate(); {
	case t < 0:
		c.styleInto = -1
		return !c.gathered
	case c.stack[t].root == nil || c.stack[t].root.sheetRead:
		return false
	case c.stack[t].root.sheet != nil || c.shadowSheets < maxShadowSheets:
		c.styleInto = t
		return true
	default:
		c.stats.StyleLimit = true
		return false
	}
}

// addSheet reads the text of the <style> just started: a sheet of the
// document, or of the shadow tree it is in (c.styleInto).
func (c *converter) addSheet(css string) {
	i := c.styleInto
	switch {
	case i < 0:
		if c.sheet == nil {
			c.sheet = &sheet{exact: c.exact}
		}
		c.sheet.add(css)
	case i < len(c.stack) && c.stack[i].root != nil:
		r := c.stack[i].root
		if r.sheet == nil {
			r.sheet = &sheet{exact: c.exact}
			c.shadowSheets++
		}
		r.sheet.add(css)
	}
}

// applySheet reads the declarations the style sheets give an element
// before its own style attribute, which wins over them unless they are
// !important, as in a browser.
func (c *converter) applySheet(name string, a *attrs, anc ancestry) {
	c.applySheetOf(c.sheet, name, a, anc)
}

// applySheetOf is applySheet with the sheet sh: the document's, or a
// shadow tree's.
func (c *converter) applySheetOf(sh *sheet, name string, a *attrs, anc ancestry) {
	c.applyCascade(nil, sh, name, a, anc)
}

// applyCascade is applySheetOf with the rules inner of a shadow tree's
// sheet that reach out of it (:host, ::slotted(): shadow.go), which
// the rules of the tree the element is in (sh) override, unless they
// are !important, as in a browser's cascade of contexts.
func (c *converter) applyCascade(inner []*sheetRule, sh *sheet, name string, a *attrs, anc ancestry) {
	var rules []*sheetRule
	if sh != nil {
		rules = sh.match(elemKey{tag: name, id: a.id, class: a.class}, anc)
	}
	if len(rules) == 0 && len(inner) == 0 {
		return
	}
	var d decls
	for _, r := range inner {
		for _, dc := range r.decls {
			d.add(dc.name, dc.val, dc.important)
		}
	}
	if sh != nil && sh.layered {
		addLayered(&d, rules)
	} else {
		for _, r := range rules {
			for _, dc := range r.decls {
				d.add(dc.name, dc.val, dc.important)
			}
		}
	}
	for _, r := range inner {
		for _, dc := range r.decls {
			if dc.important {
				d.add(dc.name, dc.val, true)
			}
		}
	}
	d.parse(a.style)
	a.css, a.cssSet = d.info(), true
}

// hostRules returns the :host rules of its shadow tree's sheet that
// select an element starting now, when it is a shadow host known from
// a pass before (Convert's last pass: the record's sheets are not
// copied for it).
func (c *converter) hostRules(name string, a *attrs) []*sheetRule {
	if c.rec == nil || c.rec.pass != 3 || !validHost(name) {
		return nil
	}
	h := c.rec.hosts[c.read]
	if h == nil || h.sheet == nil {
		return nil
	}
	return slices.Clone(h.sheet.matchHost(elemKey{tag: name, id: a.id, class: a.class}))
}

// treeRoots returns the ancestors before the stack of an element in the
// shadow tree of the root at stack index s: its host, as :host sees it.
func (c *converter) treeRoots(s int) []elemKey {
	k := c.roots[1]
	if s > 0 {
		k = c.stack[s-1].key
	}
	c.hostRoot[0] = k
	return c.hostRoot[:]
}

func (c *converter) top() *entry {
	if len(c.stack) == 0 {
		return nil
	}
	return &c.stack[len(c.stack)-1]
}

// inHead reports whether the insertion point is <head> itself, where body
// content implicitly ends the head as it does in a browser.
func (c *converter) inHead() bool {
	t := c.top()
	return t != nil && t.name == "head"
}

func (c *converter) start(nameb []byte, a *attrs, selfClosing bool) {
	fl := elements[string(nameb)]
	if ns := c.contentNS(); (ns == nsSVG || ns == nsMath) && rawText(string(nameb)) {
		// In svg and math, <style>, <title>, <script>… are elements of
		// theirs, whose content is markup: <svg><style>a<b>x shows x,
		// as <b> ends the svg. (It ends no svg in a <title> or <desc>
		// of svg, which are HTML again: see contentNS.) svg's <style>
		// is a sheet all the same, of its text up to the next tag.
		if c.z != nil && !selfClosing {
			c.z.NextIsNotRawText()
			if ns == nsSVG && string(nameb) == "style" && styleApplies(a) {
				c.svgStyle = c.styleTarget()
			}
		}
	} else if fl&fRawSkip != 0 {
		// The tokenizer returns the content as raw text next, whether or
		// not we can track the element: drop it unconditionally.
		c.rawSkip = true
	}
	name := tagName(nameb)
	if name == "style" && c.rawSkip && styleApplies(a) {
		c.styleNext = c.styleTarget()
	}
	switch name {
	case "html":
		if c.roots[0].id == "" && c.roots[0].class == "" {
			c.roots[0].id, c.roots[0].class = a.id, a.class
		}
		if !c.htmlStyled && a.has("style") {
			c.htmlStyle, c.htmlStyled = a.style, true
		}
		return
	case "body":
		if c.inHead() {
			c.popTo(len(c.stack) - 1)
		}
		if c.roots[1].id == "" && c.roots[1].class == "" {
			c.roots[1].id, c.roots[1].class = a.id, a.class
		}
		if !c.bodyStyled && a.has("style") {
			c.bodyStyle, c.bodyStyled = a.style, true
		}
		c.applySheet(name, a, ancestry{roots: c.roots[:1]})
		c.rootVisibility()
		c.bodySeen = true
		c.bodyBG = c.bodyBG || a.background() == paintColor
		if c.linkColor == colorUnset {
			c.linkColor = legacyColor(a.link)
		}
		return
	case "head":
		if c.bodySeen || len(c.stack) > 0 || c.overflow > 0 {
			return
		}
	}
	if c.inHead() && fl&fHeadOK == 0 {
		c.popTo(len(c.stack) - 1)
	}
	if fl&fHeadOK == 0 && name != "head" {
		c.startBody()
	}
	if ns := c.contentNS(); c.foreign > 0 && ns != nsUndrawn && ns != nsMathText && breaksOutOfForeign(name) {
		c.popForeign()
	}
	// An element of MathML (math.go) is none of HTML's of its name:
	// its tag implies no end, opens no table part or link, and its
	// hidden attribute hides nothing (Chromium reads it on HTML
	// elements only).
	mathml := c.mathElement(name)
	if mathml {
		fl &= fForeign | fScope
		if mathToken(name) || name == "annotation-xml" {
			// HTML's "special" elements and scope boundaries: an
			// <li> in an <ms> does not end the <li> around the math.
			fl |= fSpecial | fScope
		}
		a.hidden = false
		if name == "annotation-xml" && htmlEncoding(a.encoding) {
			fl |= fDrop // its HTML is not drawn
		}
	}
	inMath := mathml && name != "math"
	if name == "table" {
		// In a table's insertion mode a <table> ends the open table
		// before it starts (HTML "in table": a start tag "table"),
		// whatever was moved out of it (foster parenting) stands open
		// above it: <table hidden><span><table> puts both tables in
		// the body, and the rows after them are in neither.
		c.popTo(c.tableMode())
	}
	switch name {
	case "tr", "tbody", "thead", "tfoot", "td", "th", "caption":
		if inMath {
			break
		}
		if c.foreign == 0 && c.overflow == 0 && c.findName("table", stopTable) < 0 {
			// Outside a table the parser ignores the tag (HTML's "in
			// body" insertion mode), and its text is shown where it
			// stands; taken for a row, it was dropped as text right in
			// a table, and a hidden cell hid it. Its end tag finds no
			// row or cell to end.
			return
		}
	}
	if name == "a" && c.reopening == nil && !inMath {
		c.dropActive("a")
	}
	// An element a browser moves out of a table (foster parenting)
	// stands before it: a hidden table being skipped does not hide it.
	// The skip goes on when it ends (entry.outerSkip), or right away
	// for one that is not pushed.
	outer := -1
	if ti := c.fostered(name); ti >= 0 && c.skip >= ti {
		outer, c.skip = c.skip, -1
		defer func() {
			if outer >= 0 && outer < len(c.stack) && c.stack[outer].skipRoot {
				c.skip = outer // unless an end the tag implied closed the table
			}
		}()
	}
	if !c.skipping() && !inMath && reconstructsBefore(name, fl) {
		c.reconstruct()
	}
	// Inside a <select> the parser ignores every tag but a few, and
	// <input>, <keygen>, <textarea> and another <select> end it (HTML's
	// "in select" insertion mode): without its end tag, what follows
	// them is shown, and the second <select> is no element at all.
	switch name {
	case "caption", "tbody", "tfoot", "thead", "tr", "td", "th":
		// In a <select> in a table (HTML's "in select in table"), a
		// table part ends the select first: <td><select><option>o
		// <caption>c puts the caption in the table, not in the select.
		if s := c.selectInTable(); s >= 0 && !inMath {
			c.popTo(s)
		}
	case "input", "keygen", "textarea", "select":
		if inMath {
			break
		}
		if i := c.findName("select", stopTable); i >= 0 {
			c.popTo(i)
			if name == "select" {
				return
			}
		}
	}
	if !inMath {
		c.implicitEnd(name, fl)
	}
	var hostOf *hostRecord
	if name == "template" {
		hostOf = c.attachShadow(a)
	}
	shadow := hostOf != nil
	if shadow {
		// A shadow root, drawn: it has no attributes of its own (the
		// template's hidden or style hide nothing) and no rules match it.
		fl &^= fDrop
		*a = attrs{}
	}
	ti := c.fostered(name)
	if !c.skipping() && !a.cssSet && !shadow { // set: a copy reopened past its budget (reopenRatio)
		// An element moved out of a table (foster parenting) stands
		// before it: the table and what is in it are not its ancestors.
		anc := c.stack
		if ti >= 0 {
			anc = c.stack[:ti]
		}
		if len(c.frames) > 0 {
			c.applyLightSheet(name, a, anc)
		} else if s := c.shadowTree(); s >= 0 && s < len(anc) {
			// The document's rules do not reach into a shadow tree,
			// nor its own out of it but to its host (:host).
			c.applyCascade(c.hostRules(name, a), c.stack[s].root.sheet, name, a, ancestry{roots: c.treeRoots(s), stack: anc[s+1:], host: true})
		} else {
			c.applyCascade(c.hostRules(name, a), c.sheet, name, a, ancestry{roots: c.roots[:], stack: anc})
		}
	}

	bg := a.background()
	parent := c.styleParent(ti)
	hidden := a.invisible(name, parent != nil && parent.flexBox)
	if mathml && c.mathHidden(parent, a) {
		hidden = true
	}
	var light *hostRecord // the host it is a light child of
	lightSlot := ""
	if h := c.lightHost(parent); h != nil && !shadow {
		// A shadow host's child is drawn in the slot that takes it:
		// there, when its markup was kept (replay), and not here.
		if a.has("slot") {
			lightSlot = a.slot
		}
		c.request(h, lightSlot)
		hidden = hidden || !h.slotted(lightSlot)
		light = h
		if h.replay {
			hidden, fl = false, fl|fDrop
		}
	}
	replayAt := -1 // the shadow root whose host's light children it takes
	if name == "slot" {
		if s := c.shadowTree(); s >= 0 && c.slot(s, a.name) {
			if c.replayable(s) {
				replayAt = s
			} else {
				hidden = true // light children fill it: its fallback is not drawn
			}
		}
	}
	// Under visibility:hidden nothing shows but what sets itself
	// visible again.
	invis := c.rootInvis
	if parent != nil {
		invis = parent.invis
	}
	if inMath && name == "mphantom" && a.parsed().visibility != visInherit {
		invis = true // MathML's own sheet: it takes room, unseen
	}
	switch a.parsed().visibility {
	case visHidden:
		invis = true
	case visShown:
		invis = false
	}
	if fl&fVoid != 0 || (selfClosing && c.foreign > 0) {
		if light != nil {
			c.keepChild(light, lightSlot, c.z.Raw())
			if light.replay {
				return // drawn in its slot
			}
		}
		if replayAt >= 0 && !c.skipping() && !hidden {
			c.replay(replayAt, a.name)
		}
		if c.skipping() {
			return
		}
		if !hidden && invis {
			// Unseen but in its place: a line break still breaks the
			// line, and a rule still ends the block, without its line.
			switch name {
			case "br":
				c.br()
				return
			case "hr":
				c.block(1)
				return
			}
		}
		if hidden || invis {
			c.stats.Hidden++
			if name == "img" && c.link != "" {
				// All a link holds may be hidden: see endLink.
				c.linkHid = true
			}
			return
		}
		c.void(name, a)
		return
	}
	if len(c.stack) >= c.maxDepth {
		// Flattened: the element's text is kept, but its end cannot be
		// tracked, so only effects that need no end are applied. (Content
		// of script, style and the like is still dropped: see rawSkip.)
		c.overflow++
		c.stats.DepthExceeded = true
		if !c.skipping() && fl&(fLine|fPara) != 0 {
			c.block(1)
		}
		if !c.skipping() && (name == "td" || name == "th") {
			c.cell()
			c.cellAt = -1
		}
		if light != nil {
			light.capOver = true // its end cannot be known: printed where it stands
		}
		if replayAt >= 0 && !c.skipping() && !hidden {
			c.replay(replayAt, a.name) // flattened too, and its fallback
		}
		return
	}
	e := entry{name: name, fl: fl, key: elemKey{tag: name, id: a.id, class: a.class}, invis: invis, flexBox: a.parsed().flexBox, mathml: mathml}
	if d := a.parsed().display; mathml && d == "inherit" {
		// Its parent's display: HTML's, or a MathML element's own.
		e.boxText = parent == nil || !parent.mathml || parent.boxText
	} else {
		e.boxText = mathml && cssBox(d)
	}
	e.at = c.read
	if shadow {
		e.root = &shadowRoot{host: hostOf}
		if c.rec != nil && c.rec.pass > 1 {
			// Its sheets, read whole in pass 1.
			e.root.sheetRead = true
			if e.root.sheet = hostOf.sheet; c.rec.pass == 2 {
				e.root.sheet = hostOf.sheet.unspent()
			}
		}
	}
	e.ns = c.childNS(name, a)
	if c.rec != nil && len(c.rec.hosts) > 0 && validHost(name) {
		e.host = c.rec.hosts[c.read] // known from a pass before
		if h := e.host; h != nil && c.rec.pass == 3 {
			// Its light children are drawn in its slots when their
			// markup was kept whole, and it is not among light
			// children being drawn so (their own are then printed
			// where they stand).
			h.replay = !h.capOver && !h.slotsOver && !h.reqOver && len(c.frames) == 0 && len(c.stack)+1 < c.maxDepth
		}
	}

	e.onBG = c.bodyBG
	if p := parent; p != nil {
		e.small, e.white, e.clear, e.onBG, e.fill = p.small, p.white, p.clear, p.onBG, p.fill
	}
	if name == "table" && !c.exact {
		// In quirks mode, most mail's, a table does not inherit the
		// font size and colour around it (the browser's quirks sheet
		// gives it font-size:medium and the initial colour): a nested
		// table in a cell of font-size:0 or white text is read. Its
		// own color:inherit or font-size:1em takes them again.
		if css := a.parsed(); !css.inheritFont {
			e.small = false
		}
		if css := a.parsed(); !css.inheritColor {
			e.white, e.clear = false, false
		}
	}
	switch bg {
	case paintColor:
		e.onBG = true
	case paintWhite:
		// A white box inside a dark one: white text on it is unseen.
		e.onBG = false
	}
	switch a.parsed().font {
	case fontTiny:
		e.small = true
	case fontShown:
		e.small = false
	}
	if css := a.parsed(); css.fillSet {
		e.fill = css.fill
	}
	tc := a.textColor()
	if tc == colorUnset && name == "a" && a.has("href") {
		// A link has the link colour, not its parent's: the browser's
		// own style sheet gives it (:link, blue), or <body link>. A link
		// in a white paragraph or <font color=white> is seen.
		tc = colorShown
		if c.linkColor != colorUnset {
			tc = c.linkColor
		}
	}
	switch tc {
	case colorWhite:
		e.white, e.clear = true, false
	case colorClear:
		e.white, e.clear = false, true
	case colorShown:
		e.white, e.clear = false, false
	}
	switch {
	case c.skipping():
		// Inside a dropped subtree: tracked only to find where it ends.
	case hidden:
		c.stats.Hidden++
		e.skipRoot = true
		if name == "tr" {
			// A hidden row is still a row of the table: the cells
			// above that span into it end there as they would.
			if t := c.findName("table", stopTable); t >= 0 {
				c.stack[t].startRow()
			}
		}
	case fl&fDrop != 0:
		e.skipRoot = true
	default:
		e.shown = true
		if mathml {
			c.openMath(&e, a)
		} else {
			if c.inMathToken(len(c.stack)) {
				c.space = true
			}
			c.open(&e, a)
		}
	}
	if e.skipRoot {
		c.skip = len(c.stack)
	}
	if fl&fForeign != 0 {
		c.foreign++
	}
	if name == "select" {
		c.selects++
	}
	if shadow {
		c.shadows++
	}
	e.stops = stopsFor(&e)
	c.serial++
	e.serial = c.serial
	if light != nil && c.rec != nil && c.rec.pass == 2 {
		c.beginChild(light, lightSlot, e.serial)
	}
	if marker(name) {
		e.outerMarker, c.innerMarker = c.innerMarker, e.serial
	}
	if outer >= 0 {
		e.outerSkip, outer = outer+1, -1
	}
	ownNS := c.contentNS()
	c.stack = append(c.stack, e)
	if fl&fFormatting != 0 && !((ownNS == nsSVG || ownNS == nsMath) && (name == "a" || name == "font" && !a.has("color"))) {
		// Inside svg or math, an <a> or a plain <font> is theirs, no
		// formatting element (the others break out of it); in their
		// integration points (<foreignObject>, <mi>…) it is HTML's.
		c.pushActive(name, a, e.serial)
	}
	if fl&fIndent != 0 {
		c.prefixOK = false
	}
	if replayAt >= 0 && !c.skipping() {
		// The light children it takes, in its place; its fallback
		// is not drawn.
		c.replay(replayAt, a.name)
		c.stack[len(c.stack)-1].skipRoot = true
		c.skip = len(c.stack) - 1
	}
}

// open renders the start of a visible element.
func (c *converter) open(e *entry, a *attrs) {
	switch {
	case e.fl&fPara != 0:
		e.brk = 2
	case e.fl&fLine != 0:
		e.brk = 1
	}
	switch e.name {
	case "p":
		// A paragraph's margins are its gaps: 1em above and below, a
		// blank line. Outlook writes every line as <p class=MsoNormal>
		// with none, and templates write lines as <p style="margin:0">:
		// a blank line after each would double-space the mail. Word's
		// paragraph spacing (margin-bottom:12pt) is a gap on its side.
		if strings.HasPrefix(a.class, "Mso") {
			e.brk = 1
		}
		e.brkEnd = e.brk
		if m := a.parsed().marginTop; m > 0 {
			e.brk = m
		}
		if m := a.parsed().marginBottom; m > 0 {
			e.brkEnd = m
		}
	case "ul", "ol", "menu", "dir":
		if c.inList() {
			e.brk = 1 // a nested list continues its item
		}
		e.ordered = e.name == "ol"
		e.next = 1
		if t := strings.TrimSpace(a.typ); len(t) == 1 && strings.Contains("1aAiI", t) {
			e.numbers = t[0]
		}
		if n, ok := smallInt(a.start); ok {
			e.next = n
		}
	case "pre", "listing":
		c.preNL = true
	}
	c.block(e.brk)
	strike := e.name == "s" || e.name == "strike" || e.name == "del" || a.parsed().strike
	if c.pend && (strike || e.name == "q") {
		// A link waiting before it is outside it: the marks that wait
		// for its first word are not the link's.
		c.flushPend()
	}
	if strike {
		// The outermost one marks it; the mark waits for its first word,
		// so an empty one leaves nothing.
		e.strike = true
		if c.strike == 0 {
			c.mark = strikeMark
		}
		c.strike++
	}
	switch e.name {
	case "h1", "h2", "h3":
		// A section's title stands out as plain-text newsletters
		// (メルマガ) mark theirs; the mark waits for its first word.
		if c.heads == 0 {
			e.headMark = true
			c.mark += headingMark
		}
		c.heads++
	case "sup":
		// x<sup>2</sup> is x^2 in plain text; a superscript after
		// a space or at a line's start has nothing to raise above.
		if c.hasText && !c.space && len(c.ws) == 0 && !c.pend {
			e.sup = true
			c.mark += "^"
		}
	case "q":
		// Its marks are its ::before and ::after, hidden with it.
		if !e.invis {
			e.quote = quotePending
			c.quotes++
		}
	case "li":
		// A hidden item's marker is hidden with it (and counted).
		m := c.marker(a)
		if e.invis {
			m = ""
		}
		c.lead = c.linePrefix() + m
		e.wordsAt = c.words
	case "table":
		// A table drawn with rules is a grid of data, as one with header
		// cells is: Word's and Outlook's tables (MsoTableGrid), and the
		// border=1 tables of notices written by hand.
		e.data = ruled(a) || a.parsed().rule
		// A table Word gave a table style holds data from its second
		// row: one row of it is as often an Outlook signature laid out
		// beside a logo, whose lines stay lines.
		e.styled = wordTableStyle(a.class)
	case "tr":
		if t := c.findName("table", stopTable); t >= 0 {
			c.stack[t].startRow()
		}
	case "thead", "tbody", "tfoot":
		// A cell spans rows to the end of its row group at most.
		if t := c.findName("table", stopTable); t >= 0 && c.stack[t].grid != nil {
			clear(c.stack[t].grid.below)
		}
	case "td", "th":
		if t := c.findName("table", stopTable); t >= 0 {
			if c.stack[t].rowCell {
				c.joinCell()
			}
			// A header cell, or a grid drawn by Office, makes it data;
			// so do two cells of a row with borders of their own, a
			// grid drawn in CSS. One such cell is a template's button
			// or box, or a column's dividing line.
			tbl := &c.stack[t]
			if e.name == "th" || a.parsed().rule {
				tbl.data = true
			}
			if a.parsed().border {
				tbl.data = tbl.data || tbl.rowRuled
				tbl.rowRuled = true
			}
			c.spannedCells(t, true)
			c.stack[t].place(a)
		}
		c.cell()
		c.cellAt = len(c.stack) // where e goes
		e.wordsAt = c.words
	case "rp":
		if r := c.findName("ruby", stopScope); r >= 0 {
			c.stack[r].rp = true
		}
	case "rt":
		// Furigana: 漢字(かんじ), unless the ruby has its own <rp>(</rp>.
		// The "(" waits for the reading's first word, as a quote's
		// mark does: a reading that cannot be seen leaves nothing,
		// and in a link it is no text that shows the link.
		if r := c.findName("ruby", stopScope); r >= 0 && !c.stack[r].rp {
			if c.pend {
				c.flushPend() // a link waiting before it is outside it
			}
			e.paren = true
			e.quote = quotePending
			c.quotes++
		}
	case "a":
		c.endLink() // an <a> the parser could not close ends here
		c.startLink(a.href)
		c.linkOwner = len(c.stack)
		c.linkUnseen, c.linkHid, c.linkWords = e.unseen(), false, c.words
	}
	if e.fl&fPre != 0 {
		c.pre++
	}
}

// close renders the end of an element taken off the stack.
func (c *converter) close(e *entry, i int) {
	if c.capturing > 0 {
		c.endChild(e)
	}
	c.closedActive(e)
	if e.name == "select" {
		c.selects--
	}
	if e.fl&fForeign != 0 {
		c.foreign--
	}
	if r := e.root; r != nil {
		c.shadows--
		r.host.done = true // its light children after it are drawn as its slots say
		if c.rec != nil && c.rec.pass == 1 && r.sheet != nil {
			r.host.sheet = r.sheet.unspent()
		}
		c.stats.StyleLimit = c.stats.StyleLimit || r.sheet != nil && r.sheet.limited()
	}
	if e.skipRoot && c.skip == i {
		c.skip = -1
	}
	if o := e.outerSkip - 1; o >= 0 && o < i && c.stack[o].skipRoot {
		c.skip = o
	}
	if !e.shown {
		return
	}
	if e.mathml {
		c.closeMath(e)
		return
	}
	if e.name == "a" && i == c.linkOwner {
		c.endLink()
	}
	if e.sup {
		c.mark = strings.TrimSuffix(c.mark, "^") // no text came
	}
	switch e.name {
	case "h1", "h2", "h3":
		c.heads--
		if e.headMark {
			c.mark = strings.TrimSuffix(c.mark, headingMark) // no text came
		}
	}
	switch e.quote {
	case quotePending:
		c.quotes-- // no text came
	case quoteJa, quoteEn:
		c.endQuote(quoteMarks(e.quote, c.quoteLevel(i))[1])
	case quoteParen:
		c.endQuote(")")
	}
	if e.strike {
		if c.pend {
			c.flushPend() // a link in it is struck through with it
		}
		c.strike--
		if c.strike == 0 {
			c.endMark(strikeMark)
		}
	}
	if e.fl&fPre != 0 {
		c.pre--
	}
	if e.fl&fIndent != 0 || e.indent > 0 {
		c.prefixOK = false
	}
	if e.name == "table" {
		// The cell around it has text: its own, of which the table is
		// part. A table that showed nothing (its text hidden, its cells
		// empty) gives it none.
		c.cellWords = -1
		if t := c.find(isCell, stopTable); t >= 0 && c.stack[t].wordsAt == c.words {
			c.cellWords = c.words
		}
	}
	if e.name == "tr" {
		// Columns held after the row's last cell.
		if t := c.findName("table", stopTable); t >= 0 {
			c.spannedCells(t, false)
		}
	}
	if e.brkEnd > 0 {
		c.block(e.brkEnd)
	} else {
		c.block(e.brk)
	}
	if e.name == "li" && c.words == e.wordsAt {
		// Nothing of the item was seen: its marker, waiting for a
		// word, is not the next line's.
		c.lead = ""
	}
	if c.inMathToken(i) {
		c.space = true
	}
}

// popTo closes the elements from the top of the stack down to index i.
func (c *converter) popTo(i int) {
	if i >= 0 && i < c.floor() {
		i = c.floor() // light children being drawn end in their slot
	}
	for len(c.stack) > i && i >= 0 {
		n := len(c.stack) - 1
		e := c.stack[n]
		c.stack = c.stack[:n]
		c.close(&e, n)
	}
}

// find searches the stack from the top for an element that match accepts,
// giving up at one where the search stops: the HTML parser's "has an
// element in scope" test. It returns the index or -1. The walk is bounded
// by the stack depth, so each tag costs at most MaxDepth steps.
func (c *converter) find(match func(*entry) bool, s stop) int {
	lo := c.floor()
	for i := len(c.stack) - 1; i >= lo; i-- {
		e := &c.stack[i]
		if match(e) {
			return i
		}
		if e.stops&(1<<s) != 0 {
			return -1
		}
	}
	return -1
}

// findName is find for an element of the given name.
func (c *converter) findName(name string, s stop) int {
	lo := c.floor()
	for i := len(c.stack) - 1; i >= lo; i-- {
		e := &c.stack[i]
		if e.name == name {
			return i
		}
		if e.stops&(1<<s) != 0 {
			return -1
		}
	}
	return -1
}

// stop names the kinds of scope of the HTML tree-construction rules.
type stop uint8

const (
	stopNever    stop = iota
	stopScope         // "in scope"
	stopButton        // "in button scope"
	stopListItem      // "in list item scope"
	stopItem          // end of the search for an open li/dd/dt
	stopCell          // the row or table around a cell
	stopRow           // the table or section around a row
	stopTable         // "in table scope"
	stopSpecial       // "any other end tag": a special element
)

// stopsFor computes entry.stops once, when the element is pushed, so the
// searches (up to MaxDepth steps per tag) test one bit per step.
func stopsFor(e *entry) uint16 {
	var m uint16
	for s := stopScope; s <= stopSpecial; s++ {
		if s.at(e) {
			m |= 1 << s
		}
	}
	return m
}

func (s stop) at(e *entry) bool {
	switch s {
	case stopScope:
		return e.fl&fScope != 0
	case stopButton:
		return e.fl&fScope != 0 || e.name == "button"
	case stopListItem:
		return e.fl&fScope != 0 || e.name == "ul" || e.name == "ol"
	case stopItem:
		return e.fl&fSpecial != 0 && e.name != "address" && e.name != "div" && e.name != "p"
	case stopCell:
		return e.name == "tr" || isSection(e) || e.name == "table" || e.name == "template" || e.name == "caption"
	case stopRow:
		return isSection(e) || e.name == "table" || e.name == "template" || e.name == "caption"
	case stopTable:
		return e.name == "table" || e.name == "template"
	case stopSpecial:
		return e.fl&fSpecial != 0
	}
	return false
}

// ruled reports a table whose border attribute draws rules: present and
// not 0. A browser reads the value's leading digits ("0px" is 0), and a
// value without any (border, border="yes") as 1.
func ruled(a *attrs) bool {
	if !a.has("border") {
		return false
	}
	v := strings.TrimPrefix(strings.TrimLeft(a.border, " \t\n\f\r"), "+") // "+0" is 0
	digits := len(v) - len(strings.TrimLeft(v, "0123456789"))
	return digits == 0 || strings.Trim(v[:digits], "0") != ""
}

// wordTableStyle reports a class Word gives a table it made with a table
// style (MsoTableGrid, the "Table Grid" of Word and Outlook, and the
// others of its gallery: MsoTableGridLight, MsoGridTable4Accent1…): a
// table the writer inserted to hold data, even when its borders were
// taken off. MsoNormalTable, a table with no style, is also what a web
// page's layout pasted into Word becomes, and says nothing.
func wordTableStyle(class string) bool {
	for _, w := range strings.Fields(class) {
		if strings.HasPrefix(w, "Mso") && strings.Contains(w, "Table") && w != "MsoNormalTable" {
			return true
		}
	}
	return false
}

// inCell reports whether the top of the stack is inside a table cell of
// a table that holds data (it has header cells or rules): the nearest
// table or the nearest around layout tables nested in its cells, whose
// rows are lines of that cell. Otherwise cell reports whether it is in
// a layout table's cell with no row or table between (a row's end is no
// line of the cell around its table), and own whether the cell last
// started is still open, tables nested in it or not. The walk is
// bounded by the stack depth.
func (c *converter) inCell() (cell, data, own bool) {
	in, part := false, false
	for i := len(c.stack) - 1; i >= 0; i-- {
		switch e := &c.stack[i]; e.name {
		case "td", "th":
			cell = cell || !part
			in, part = true, true
		case "tr", "tbody", "thead", "tfoot", "caption":
			part = true
		case "table":
			if e.data && in {
				return true, true, true
			}
			// A layout table in a cell is part of that cell's text.
			in, part = false, true
		}
	}
	own = c.cellAt >= 0 && c.cellAt < len(c.stack) && isCell(&c.stack[c.cellAt])
	return cell, false, own
}

func isDefinition(e *entry) bool { return e.name == "dd" || e.name == "dt" }
func isCell(e *entry) bool       { return e.name == "td" || e.name == "th" }
func isSection(e *entry) bool    { return e.name == "tbody" || e.name == "thead" || e.name == "tfoot" }
func isHeading(e *entry) bool    { return e.fl&fHeading != 0 }
func isList(e *entry) bool {
	return e.name == "ul" || e.name == "ol" || e.name == "menu" || e.name == "dir"
}

// implicitEnd closes the elements a start tag ends without an end tag:
// <p> before a block, the previous <li>, <td> or <tr>, an open <a>.
// Sloppy mail HTML relies on these, and they decide where hidden content
// ends.
func (c *converter) implicitEnd(name string, fl flag) {
	if c.overflow > 0 {
		return // structure past the depth limit is flattened
	}
	// A <table> ends an open <p> only in standards mode: in quirks mode
	// (no doctype, as most mail is written) the table is inside the
	// paragraph, and takes its style.
	if fl&fClosesP != 0 && (name != "table" || c.exact) {
		c.popTo(c.findName("p", stopButton))
	}
	switch {
	case name == "li":
		c.popTo(c.findName("li", stopItem))
	case name == "dd" || name == "dt":
		c.popTo(c.find(isDefinition, stopItem))
	case name == "td" || name == "th":
		c.popTo(c.find(isCell, stopCell))
		c.clearToContext(func(e *entry) bool { return e.name == "tr" || isSection(e) || e.name == "table" })
	case name == "tr":
		c.popTo(c.findName("tr", stopRow))
		c.clearToContext(func(e *entry) bool { return isSection(e) || e.name == "table" })
	case name == "tbody" || name == "thead" || name == "tfoot":
		c.popTo(c.find(isSection, stopTable))
		c.clearToContext(func(e *entry) bool { return e.name == "table" })
	case name == "caption" || name == "colgroup":
		// It ends the cell and the row it is in (HTML "in cell", then
		// "clear the stack back to a table context"), whose style is
		// then not its own.
		if t := c.findName("table", stopTable); t >= 0 {
			c.popTo(t + 1)
		}
	case fl&fHeading != 0:
		if t := c.top(); t != nil && t.fl&fHeading != 0 {
			c.popTo(len(c.stack) - 1)
		}
	case name == "a":
		// An <a> inside an open one ends it. Past a block inside it
		// the parser's adoption agency keeps the block where it is
		// (only the outer link ends, which startLink does): popping to
		// the outer <a> would close that block, and the end tag meant
		// for it would close the one around, a hidden <div> among them.
		i := c.findName("a", stopScope)
		if i >= 0 && !slices.ContainsFunc(c.stack[i+1:], func(e entry) bool { return e.fl&fSpecial != 0 }) {
			c.popTo(i)
		}
	case name == "button":
		c.popTo(c.findName("button", stopScope))
	case name == "option" || name == "optgroup":
		if t := c.top(); t != nil && t.name == "option" {
			c.popTo(len(c.stack) - 1)
		}
	case name == "rt" || name == "rp":
		// An open <rt> or <rp> ends where the next one starts (HTML's
		// implied end tags), so 漢<rt>かん<rt>じ reads 漢(かん)(じ).
		if t := c.top(); t != nil && (t.name == "rt" || t.name == "rp") {
			c.popTo(len(c.stack) - 1)
		}
	}
}

// styleParent is the element whose style an element starting now
// inherits: the one it starts in, or for one a browser moves out of a
// table (foster parenting: anything but the table's own parts right in a
// table, a row group or a row) the table's parent, nil for the root.
// The table's size, colour and visibility do not reach it. ti is
// what fostered gives for it.
func (c *converter) styleParent(ti int) *entry {
	switch {
	case ti < 0:
		return c.top()
	case ti == 0:
		return nil
	default:
		return &c.stack[ti-1]
	}
}

// fostered returns the stack index of the table an element starting now
// is moved out of (foster parenting), -1 if it stays where it starts.
func (c *converter) fostered(name string) int {
	t := c.top()
	if t == nil || c.foreign > 0 || !(t.name == "table" || t.name == "tr" || isSection(t)) {
		return -1
	}
	switch name {
	case "caption", "colgroup", "col", "tbody", "thead", "tfoot", "tr", "td", "th", "table",
		"style", "script", "template", "input", "form":
		return -1
	}
	return c.findName("table", stopTable)
}

// tableMode returns the stack index of the table whose insertion mode
// the parser is in (HTML "in table", "in table body", "in row"): the
// table of the nearest table, row group or row open, when no cell,
// caption or template is open above it (only what was moved out of the
// table, foster parenting, is); -1 otherwise. The walk is bounded by
// the stack depth.
func (c *converter) tableMode() int {
	if c.overflow > 0 {
		return -1 // structure past the depth limit is flattened
	}
	for i := len(c.stack) - 1; i >= 0; i-- {
		switch e := &c.stack[i]; {
		case e.name == "table" || e.name == "tr" || isSection(e):
			for ; i >= 0; i-- {
				if c.stack[i].name == "table" {
					return i
				}
			}
			return -1
		case isCell(e) || e.name == "caption" || e.name == "template":
			return -1
		}
	}
	return -1
}

// clearToContext closes what is open above the nearest table element
// that context accepts, when only elements a browser moves out of the
// table (foster parenting) stand between: <table><font color=white><tr>
// puts the font before the table, empty, and the row's cells do not take
// its colour. A cell or caption in between is content of the table, and
// the row or cell starting is inside it (a table in a cell is found first).
func (c *converter) clearToContext(context func(*entry) bool) {
	for i := len(c.stack) - 1; i >= 0; i-- {
		e := &c.stack[i]
		switch {
		case context(e):
			c.popTo(i + 1)
			return
		case isCell(e) || e.name == "caption" || e.name == "template" || e.name == "table" || e.name == "tr" || isSection(e):
			return
		}
	}
}

// popForeign ends svg/math content at an HTML element that breaks out of it.
func (c *converter) popForeign() {
	if c.overflow > 0 {
		return
	}
	if c.contentNS() != nsDrawn {
		// As the parser does: up to the HTML element or integration
		// point the svg or math stands in, an <mi> among them (math.go).
		for c.foreign > 0 {
			if ns := c.contentNS(); ns != nsSVG && ns != nsMath {
				return
			}
			c.popTo(len(c.stack) - 1)
		}
		return
	}
	// In svg's <foreignObject> the tag is HTML's and ends nothing, but
	// the svg, which is not drawn, would drop what it draws: it ends
	// the outermost svg, short of a MathML token element around it.
	at := -1
	for i := len(c.stack) - 1; i >= 0 && c.stack[i].ns != nsMathText; i-- {
		if c.stack[i].fl&fForeign != 0 {
			at = i
		}
	}
	c.popTo(at)
}

func (c *converter) end(nameb []byte) {
	fl := elements[string(nameb)]
	name := tagName(nameb)
	if c.capturing > 0 {
		c.ending = name // for endChild, in pass 2 only
	}
	switch name {
	case "br": // </br> is a <br> in every browser
		if !c.skipping() {
			c.br()
		}
		return
	case "html", "body":
		return // text after </body> is still shown
	}
	if fl&fVoid != 0 {
		return
	}
	if c.overflow > 0 {
		c.overflow--
		return
	}
	switch name {
	case "caption", "table", "tbody", "tfoot", "thead", "tr", "td", "th":
		// In a <select> in a table, the end tag of a table part open
		// around it ends the select, then that part (HTML "in select
		// in table"). A <tbody> is open where a row is, implied or not.
		if s := c.selectInTable(); s >= 0 && (c.findName(name, stopTable) >= 0 || name == "tbody" && c.findName("tr", stopTable) >= 0) {
			c.popTo(s)
		}
	}
	if t := c.top(); t != nil && t.mathml {
		// In foreign content an end tag ends the nearest element of
		// its name up to the first HTML element (HTML "in foreign
		// content", any other end tag): </math> after an <mtext>'s
		// broken-out <p> ends the math around it.
		for i := len(c.stack) - 1; i >= c.floor(); i-- {
			e := &c.stack[i]
			if !e.mathml && e.ns != nsSVG {
				break
			}
			if e.name == name {
				c.popTo(i)
				return
			}
		}
	}
	var i int
	switch {
	case name == "p":
		i = c.findName("p", stopButton)
		if i < 0 && !c.skipping() {
			c.block(2) // </p> without <p> is an empty paragraph
		}
	case name == "li":
		i = c.findName("li", stopListItem)
	case name == "dd" || name == "dt":
		i = c.findName(name, stopScope)
	case fl&fHeading != 0:
		i = c.find(isHeading, stopScope)
	case fl&fTablePart != 0:
		i = c.findName(name, stopTable)
	case name == "table":
		i = c.findName("table", stopTable)
	case fl&fFormatting != 0:
		if !c.endActive(name) {
			return // a block closed it already
		}
		i = c.findName(name, stopScope)
		if c.adopted(i) {
			return
		}
	case fl&(fSpecial|fForeign) != 0:
		i = c.findName(name, stopScope)
	default:
		// "Any other end tag": the nearest element of that name, unless a
		// special element comes first.
		i = c.findName(name, stopSpecial)
	}
	if c.selects > 0 && i >= 0 && name != "select" && name != "template" {
		// In a <select> an end tag ends nothing around it (HTML "in
		// select": ignored) but </template>, which ends the template
		// around it; the table parts above did.
		if s := c.findName("select", stopTable); s >= 0 && i <= s {
			return
		}
	}
	c.popTo(i)
}

func (c *converter) inList() bool {
	return c.find(func(e *entry) bool { return isList(e) || e.name == "li" }, stopNever) >= 0
}

// marker returns the "- " or "N. " of a list item, numbering <ol> items.
func (c *converter) marker(a *attrs) string {
	i := c.find(isList, stopNever)
	if i < 0 || !c.stack[i].ordered {
		return "- "
	}
	l := &c.stack[i]
	if n, ok := smallInt(a.value); ok {
		l.next = n
	}
	n := l.next
	l.next++
	return listNumber(n, l.numbers) + ". "
}

// listNumber writes n as an <ol type> numbers its items: 1, a, A, i or
// I ("3" is "c", "C", "iii", "III"). Past what letters (the 27th item is
// "aa") or Roman numerals (up to 3999) can write, and for 0 and below,
// it is a number.
func listNumber(n int, numbers byte) string {
	switch {
	case n < 1:
	case numbers == 'a' || numbers == 'A':
		var b []byte
		for ; n > 0 && len(b) < 8; n = (n - 1) / 26 {
			b = append(b, numbers+byte((n-1)%26))
		}
		slices.Reverse(b)
		return string(b)
	case (numbers == 'i' || numbers == 'I') && n < 4000:
		var b strings.Builder
		for _, r := range romans {
			for ; n >= r.v; n -= r.v {
				b.WriteString(r.s)
			}
		}
		if numbers == 'i' {
			return strings.ToLower(b.String())
		}
		return b.String()
	}
	return strconv.Itoa(n)
}

var romans = [...]struct {
	v int
	s string
}{{1000, "M"}, {900, "CM"}, {500, "D"}, {400, "CD"}, {100, "C"}, {90, "XC"}, {50, "L"}, {40, "XL"}, {10, "X"}, {9, "IX"}, {5, "V"}, {4, "IV"}, {1, "I"}}

// smallInt parses a list number; absurd values are ignored.
func smallInt(s string) (int, bool) {
	n, err := strconv.Atoi(strings.TrimSpace(s))
	if err != nil || n < -1e6 || n > 1e6 {
		return 0, false
	}
	return n, true
}

// linePrefix is the indentation of a line: "> " per quote, two spaces per
// list item or definition, and spaces up to the column a table cell's
// text started in (cellText), capped at maxIndent.
func (c *converter) linePrefix() string {
	if c.prefixOK {
		return c.prefixStr
	}
	// A quote inside a cell whose lines continue under it starts its
	// lines: a mail client sees "> " as a quote only there.
	lastQuote := -1
	for i := range c.stack {
		if e := &c.stack[i]; e.shown && e.name == "blockquote" {
			lastQuote = i
		}
	}
	var b strings.Builder
	for i := range c.stack {
		e := &c.stack[i]
		if e.indent > b.Len() && i > lastQuote {
			b.WriteString(strings.Repeat(" ", e.indent-b.Len()))
		}
		if !e.shown || e.fl&fIndent == 0 {
			continue
		}
		s := "  "
		if e.name == "blockquote" {
			s = "> "
		}
		if b.Len()+len(s) > maxIndent {
			break
		}
		b.WriteString(s)
	}
	c.prefixStr, c.prefixOK = b.String(), true
	return c.prefixStr
}

// cell starts a table cell: its first word is separated from the previous
// cell's text by " | ". Empty cells of layout tables leave no trace; in a
// table with header cells, an empty cell between two with text keeps its
// column (a row "4/1 |  | 会議" under "日付 | 午前 | 午後").
func (c *converter) cell() {
	if c.pend {
		if !c.hasText {
			// It stays the first of the line: see flushPend.
			c.pendCell = true
			c.cellWords = c.words
			return
		}
		c.flushPend()
	}
	if !c.hasText {
		c.cellWords = c.words
		return
	}
	if c.words == c.cellWords && c.cellSeen {
		if t := c.findName("table", stopTable); t >= 0 && c.stack[t].data {
			c.empties++
		}
	}
	c.cellWords, c.cellSeen = c.words, true
	c.clearInline()
	c.sep = true
}

// cellText notes the column the text of a table cell after the row's
// first starts in: the cell's own lines continue there, under it, so a
// layout table's "日時 | 4月1日（月）<br>午後2時～4時" keeps its second
// line with its label, as a browser shows it beside the label, instead
// of a line of its own that reads as the next row. (A data table's cell
// keeps its row on one line instead: see breakInCell.)
func (c *converter) cellText(col int) {
	if col > maxCellIndent {
		return
	}
	// The first word of a cell is the first of the cells around it
	// that have none yet: a layout table at the start of a cell.
	for i := len(c.stack) - 1; i >= 0; i-- {
		e := &c.stack[i]
		if !isCell(e) {
			continue
		}
		if !e.shown || e.wordsAt != c.words {
			break
		}
		e.indent = col
		c.prefixOK = false
	}
}

// tableGrid follows the columns that cells spanning rows (rowspan) hold
// in the rows below them. Without it a row under such a cell would
// shift its cells left, into the spanned column: "第2庁舎 | 20名"
// under "日時 | 会場 | 定員" reads 第2庁舎 as the date.
type tableGrid struct {
	below  []int  // by column: the rows after the current one it is held in
	held   []bool // by column: held in the current row by a cell above
	first  []bool // by column: the first one of the cell that holds it
	dittos int    // ditto marks written
}

const (
	// maxGridColumns bounds the columns a table's rowspans are followed in.
	maxGridColumns = 256
	// dittosPerCell bounds the ditto marks of a table by the cells in
	// it: each cell's tag (4 bytes at least) pays for at most this many
	// marks of 6 bytes (" | 〃"). Without it one cell with a large
	// colspan and rowspan=0 held 256 columns in every <tr> below it:
	// 400 KB of "<tr>" became 100 MB of text. A real table needs fewer
	// (a row has cells of its own); past the bound the columns are
	// only counted, as in a layout table.
	dittosPerCell = 4
)

// startRow moves a table's grid to its next row.
func (e *entry) startRow() {
	e.col, e.rowCell, e.rowRuled = 0, false, false
	if e.styled && e.rows > 0 {
		e.data = true
	}
	e.rows = min(e.rows+1, 2)
	if g := e.grid; g != nil {
		for i, n := range g.below {
			g.held[i] = n > 0
			if n > 0 {
				g.below[i] = n - 1
			}
		}
	}
}

// spannedCells writes, before the next cell of the table at c.stack[t],
// a ditto mark (〃, 同上: "as above", as Japanese tables write it) for
// each cell of a row above that holds columns here, when the table holds data and
// the row has a cell of its own (before it, or the one that follows: a
// row that only continues the cells above says nothing new); a layout
// table's columns are only counted, and so are those past the marks
// the table's cells pay for (dittosPerCell).
func (c *converter) spannedCells(t int, cellNext bool) {
	e := &c.stack[t]
	g := e.grid
	if g == nil {
		return
	}
	write := e.data && (cellNext || e.rowCell)
	for e.col < len(g.held) && g.held[e.col] {
		// One mark for a cell that spans columns too, as the row it is
		// in shows it once ("1 | x | 2" above "3 | 〃 | 4").
		if write && g.first[e.col] && g.dittos < dittosPerCell*e.cells {
			g.dittos++
			c.cell()
			c.wordString("〃")
		}
		e.col++
	}
}

// place puts the cell with attributes a at the table's current column,
// holding the columns it spans for the rows below when it spans rows.
func (e *entry) place(a *attrs) {
	cols := spanValue(a.colspan, 1, 1, 1000) // HTML caps colspan at 1000
	// rowspan=0 spans to the end of the row group; HTML caps it at 65534.
	rows := spanValue(a.rowspan, 1, 65534, 65534)
	e.rowCell = true
	e.cells = min(e.cells+1, 1<<30)
	if rows > 1 && e.col < maxGridColumns {
		if e.grid == nil {
			e.grid = &tableGrid{}
		}
		g := e.grid
		end := min(e.col+cols, maxGridColumns)
		for len(g.below) < end {
			g.below, g.held, g.first = append(g.below, 0), append(g.held, false), append(g.first, false)
		}
		for i := e.col; i < end; i++ {
			g.below[i], g.first[i] = rows-1, i == e.col
		}
	}
	e.col += cols
}

// spanValue reads a rowspan or colspan as HTML does (the rules for
// parsing non-negative integers: leading white space, then digits, what
// follows ignored): def when there are no digits, zero for 0, at most max.
func spanValue(s string, def, zero, max int) int {
	s = strings.TrimLeft(s, " \t\n\f\r")
	n, digits := 0, 0
	for ; digits < len(s) && '0' <= s[digits] && s[digits] <= '9'; digits++ {
		n = min(n*10+int(s[digits]-'0'), max)
	}
	switch {
	case digits == 0:
		return def
	case n == 0:
		return zero
	}
	return n
}

func (c *converter) void(name string, a *attrs) {
	switch name {
	case "br":
		c.br()
	case "hr":
		c.block(1)
		c.wordString(hrLine)
		c.block(1)
	case "img":
		// A spacer known by its name alone keeps an alt text it was
		// given: the name is the sender's, and a client that blocks
		// images shows the text.
		if a.thinImage() || spacerFile(a.src) && cleanText(a.alt) == "" {
			c.stats.Hidden++ // tracking pixel or spacer: invisible
			if c.link != "" && !a.thinImage() {
				// A spacer known by its file's name alone: the name
				// is the sender's to choose, and the image may be
				// drawn in any size, so its link can be clicked.
				c.linkSeen = true
			}
			return
		}
		alt := cleanText(a.alt)
		if alt == "" && c.link != "" {
			// The link says where it goes, with its text or its
			// target: "[画像]" before "詳しくはこちら" is an icon's.
			if !a.hasAlt {
				c.linkImages++
			}
			c.linkSeen = true
			return
		}
		c.stats.Images++
		label := "[" + c.label + "]"
		if alt != "" {
			label = "[" + c.label + ": " + alt + "]"
		} else if a.hasAlt {
			return // alt="": the author marked it decorative
		}
		c.space = true
		c.wordString(label)
		c.space = true
	}
}

// text renders a text token.
func (c *converter) text(s []byte) {
	if c.foreign > 0 && c.contentNS() == nsMath && !c.top().boxText {
		return // MathML draws text in its token elements only (math.go)
	}
	if c.inHead() {
		if len(bytes.TrimLeft(s, " \t\n\f\r")) == 0 {
			return
		}
		c.popTo(len(c.stack) - 1) // text ends the head, as in a browser
	}
	if len(bytes.TrimLeft(s, " \t\n\f\r")) > 0 {
		c.startBody() // not at white space, before a <style> in <head>
	}
	foster := false
	if t := c.top(); t != nil && (t.name == "table" || t.name == "tr" || isSection(t)) && len(bytes.TrimLeft(s, " \t\n\f\r")) > 0 {
		// Text right in a table, not in a cell: a browser moves it
		// before the table (foster parenting), where the table's own
		// style does not reach it.
		ti := c.findName("table", stopTable)
		if ti < 0 || c.skip >= 0 && c.skip < ti {
			return
		}
		if ti == 0 && c.rootInvis || ti > 0 && c.stack[ti-1].unseen() {
			c.stats.Hidden++
			return
		}
		// It is put in the formatting elements opened again for it,
		// whose style then decides (the next row closes them).
		n := len(c.stack)
		c.reconstruct()
		foster = len(c.stack) == n
	}
	if !foster {
		var light *hostRecord
		if h := c.lightHost(c.top()); h != nil {
			// A shadow host's text, white space too, is drawn in its
			// default slot.
			c.request(h, "")
			if !h.slotted("") {
				return
			}
			light = h
		}
		if c.skipping() {
			return
		}
		if len(bytes.TrimLeft(s, " \t\n\f\r")) > 0 {
			c.reconstruct()
			if c.skipping() {
				return // into a hidden one, or a light child drawn in its slot
			}
		}
		if light != nil && c.lightHost(c.top()) == light {
			// Right in the host still (no formatting element was
			// opened again around it, which would be the light
			// child): drawn in its slot, when it was kept.
			c.keepChild(light, "", c.z.Raw())
			if light.replay {
				return
			}
		}
		if c.unseen() {
			c.bodySeen = true
			c.unseenText(s)
			return
		}
	}
	c.bodySeen = true
	pre := c.pre > 0
	start := -1
	flush := func(i int) {
		if start >= 0 {
			c.word(s[start:i])
			start = -1
		}
	}
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRune(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			flush(i)
			c.wordString("\uFFFD")
		case r == '\n' && pre:
			flush(i)
			c.br()
		case r == ' ' || r == '\t' || r == '\n' || r == '\f' || r == '\r':
			flush(i)
			if pre {
				c.preserve(s[i : i+size])
			} else {
				c.space = true
				c.spaceNL = c.spaceNL || r == '\n'
			}
		case r == '\u3000' || (pre && unicode.IsSpace(r)):
			// The ideographic space is deliberate layout in Japanese text.
			flush(i)
			c.preserve(s[i : i+size])
		case unicode.IsSpace(r): // &nbsp; and the other Unicode spaces
			flush(i)
			c.space = true
			c.openEmpty()
		case invisible(r):
			flush(i)
		default:
			if start < 0 {
				start = i
			}
		}
		i += size
	}
	flush(len(s))
}

// unseen reports whether the element's text cannot be seen: too small
// to read, white on the white page, or transparent.
func (e *entry) unseen() bool {
	if e.invis {
		return true
	}
	switch e.fill {
	case colorClear:
		return true
	case colorWhite:
		return e.small || !e.onBG
	case colorShown:
		return e.small
	}
	return e.small || e.clear || e.white && !e.onBG
}

// unseen reports whether text here cannot be seen.
func (c *converter) unseen() bool {
	if t := c.top(); t != nil {
		return t.unseen()
	}
	return c.rootInvis
}

// startBody notes that body content started: without a <body> tag the
// browser made one, whose visibility (from the sheets, or <html>'s) the
// content inherits all the same.
func (c *converter) startBody() {
	c.bodySeen = true
	if !c.rootsRead {
		c.rootVisibility()
	}
}

// rootVisibility reads visibility on <html> and <body> (their
// attributes as merged from all their tags, with the sheets' rules
// applied): hidden there, nothing shows but what sets itself visible
// again, as under any element.
func (c *converter) rootVisibility() {
	c.rootsRead = true
	h := attrs{id: c.roots[0].id, class: c.roots[0].class, style: c.htmlStyle}
	c.applySheet("html", &h, ancestry{})
	b := attrs{id: c.roots[1].id, class: c.roots[1].class, style: c.bodyStyle}
	c.applySheet("body", &b, ancestry{roots: c.roots[:1]})
	c.rootInvis = false
	for _, v := range []byte{h.parsed().visibility, b.parsed().visibility} {
		switch v {
		case visHidden:
			c.rootInvis = true
		case visShown:
			c.rootInvis = false
		}
	}
}

// unseenText drops text that cannot be seen. The element that made it so
// is counted as hidden once, and only if it holds more than white space:
// the columns of a responsive template (font-size:0 around text that sets
// its own size) and a white cell around dark paragraphs hide nothing.
func (c *converter) unseenText(s []byte) {
	if len(bytes.TrimLeft(s, " \t\n\f\r")) == 0 {
		return
	}
	c.linkHid = c.link != ""
	i := len(c.stack) - 1
	if i < 0 || c.rootInvis && !slices.ContainsFunc(c.stack, func(e entry) bool { return !e.unseen() }) {
		// Unseen from <body> down.
		if !c.rootCounted {
			c.rootCounted = true
			c.stats.Hidden++
		}
		return
	}
	for i > 0 && c.stack[i-1].unseen() {
		i--
	}
	if !c.stack[i].counted {
		c.stack[i].counted = true
		c.stats.Hidden++
	}
}

// invisible reports characters that are dropped from the text: controls,
// zero-width characters used to pad or split words against filters, and
// bidirectional overrides that make text read differently from how it is
// stored. ZWJ stays: it joins emoji.
func invisible(r rune) bool {
	switch {
	case r < 0x20, r >= 0x7f && r < 0xa0:
		return true
	case r == 0xad, r == 0x34f, r == 0x61c, r == 0x180e, r == 0xfeff:
		return true
	case r >= 0x200b && r <= 0x200f && r != 0x200d:
		return true
	case r >= 0x202a && r <= 0x202e, r >= 0x2060 && r <= 0x206f, r >= 0xfff9 && r <= 0xfffb:
		return true
	}
	return false
}

// cleanText collapses white space and drops invisible characters in an
// attribute value that is shown (alt text).
func cleanText(s string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	var b strings.Builder
	space := false
	for _, r := range s {
		switch {
		case unicode.IsSpace(r):
			space = b.Len() > 0
		case invisible(r):
		default:
			if space {
				b.WriteByte(' ')
				space = false
			}
			b.WriteRune(r)
		}
	}
	return b.String()
}

// startLink begins an <a>. javascript:, data: and vbscript: targets, and
// targets that lead nowhere in a plain-text mail (empty, "#..."), are
// dropped and the link becomes its text.
func (c *converter) startLink(href string) {
	display, target, ok := linkTarget(href)
	if !ok {
		return
	}
	c.linkPend = false
	if c.pend {
		if target == c.pendTarget {
			// The image link before it goes where this one does:
			// its target prints once, after this one's text (or
			// as it was, if nothing of this one can be seen).
			c.pend, c.linkPend = false, true
		} else {
			c.flushPend()
		}
	}
	c.link, c.linkHref = display, target
	c.linkImages, c.linkSeen = 0, false
	c.release()
	c.holding, c.hold, c.textStart = true, c.hold[:0], -1
	c.linkAfter = c.last
	c.holdMax = len(display) + len(target) + maxIndent + 16
	c.linkOpen, c.linkText = true, c.linkText[:0]
}

// endLink prints the target of the open link after its text, or alone when
// the text is the target itself.
func (c *converter) endLink() {
	if c.link == "" {
		return
	}
	c.linkOpen = false
	absorbed := c.linkPend
	c.linkPend = false
	if (c.linkUnseen || c.linkHid) && c.words == c.linkWords && !c.linkSeen {
		// Nothing of it can be seen (itself unseen, or all it holds),
		// so nothing can be clicked: its target is no content of the
		// mail. The link before it that it took over still is.
		c.release()
		c.link, c.linkHref = "", ""
		c.stats.Hidden++
		c.pend = absorbed
		return
	}
	d := "<" + c.link + ">"
	if c.holding && c.textStart >= 0 {
		t := string(c.hold[c.textStart:])
		if t == c.link || t == c.linkHref {
			if c.textStart == 0 && c.linkAfter == '<' {
				// "Name &lt;<a href=mailto:x>x</a>&gt;": the text
				// brackets the address already.
				d = c.link
			}
			c.hold, c.col = c.hold[:c.textStart], c.textCol
			c.release()
			c.putString(d)
			c.last, _ = utf8.DecodeLastRuneInString(d)
			c.afterLink = true
			c.lastTarget, c.lastWords = c.linkHref, c.words
			c.link, c.linkHref = "", ""
			c.stats.Links++
			return
		}
	}
	c.release()
	if c.words == c.linkWords {
		// Nothing of it was printed: an image without alt text, or
		// nothing. Right after a link to the same target it adds
		// nothing; else it waits to see whether one follows.
		if c.linkHref == c.lastTarget && c.words == c.lastWords && c.hasText {
			// The space that separated the two goes with it:
			// "こちら <X>。", not "こちら <X> 。".
			c.space, c.spaceNL = false, false
		} else {
			// With the one it took over: the same target, its
			// image and its place in the row.
			c.pendImage = c.linkImages > 0 || absorbed && c.pendImage
			c.pendCell = absorbed && c.pendCell
			if !absorbed {
				c.pendWS = len(c.ws)
			}
			c.pend, c.pendDisplay, c.pendTarget = true, c.link, c.linkHref
		}
		c.link, c.linkHref = "", ""
		return
	}
	if owed := c.owed; owed > 0 && !c.hasText && c.words > c.linkWords {
		// The link's text ended in a line break (<a>…<br></a>, a
		// paragraph in the link): the target goes with the text, not at
		// the start of the next line, glued to what follows it.
		c.hasText, c.owed = true, 0
		c.space = true
		c.wordString(d)
		c.markMismatch()
		c.hasText, c.owed = false, owed
	} else {
		c.space = true
		c.wordString(d)
		c.markMismatch()
	}
	c.afterLink = true
	c.lastTarget, c.lastWords = c.linkHref, c.words
	c.link, c.linkHref = "", ""
	c.stats.Links++
}

// markMismatch follows the target just printed with MismatchMark when
// the link's text is an address of another site.
func (c *converter) markMismatch() {
	if linkMismatch(string(c.linkText), c.linkHref) {
		c.space = true
		c.wordString(MismatchMark)
		c.stats.Mismatched++
	}
}

// openQuotes returns the opening marks of the <q> elements (and the "("
// of the <rt> elements) waiting for their first word, whose first
// character is first, and settles a quote's marks: “” for a quote that
// starts with a Latin letter and does not follow Japanese text directly,
// 「」 for any other (a Japanese quote, or a word quoted in a Japanese
// sentence: 市長は「Safety first」と); 『』 and ‘’ inside another quote. The text decides, not the page's
// lang, which mail rarely sets right. The walk is bounded by the stack
// depth.
func (c *converter) openQuotes(first rune, joined bool) string {
	style := byte(quoteJa)
	if !wide(first) && unicode.IsLetter(first) && !(joined && wide(c.last)) {
		style = quoteEn
	}
	var b strings.Builder
	level := 0
	for i := range c.stack {
		e := &c.stack[i]
		if e.quote == 0 {
			continue
		}
		if e.paren {
			if e.quote == quotePending {
				e.quote = quoteParen
				b.WriteString("(")
			}
			continue // no quote: the level is the <q>s'
		}
		if e.quote == quotePending {
			e.quote = style
			b.WriteString(quoteMarks(style, level)[0])
		}
		level++
	}
	return b.String()
}

// quoteLevel counts the quotes around c.stack[i].
func (c *converter) quoteLevel(i int) int {
	n := 0
	for j := range i {
		if q := c.stack[j].quote; q == quoteJa || q == quoteEn {
			n++
		}
	}
	return n
}

// quoteMarks returns the opening and closing marks of a quote in style
// with level quotes around it.
func quoteMarks(style byte, level int) [2]string {
	switch {
	case style == quoteJa && level%2 == 0:
		return [2]string{"「", "」"}
	case style == quoteJa:
		return [2]string{"『", "』"}
	case level%2 == 0:
		return [2]string{"“", "”"}
	}
	return [2]string{"‘", "’"}
}

// flushPend prints the link endLink held back, where it was: before
// the word, line break or cell that follows it, or, when its row's
// next cell started with its line still empty, as that line's first
// cell.
func (c *converter) flushPend() {
	c.pend = false
	// The white space waiting for the next word came after the link
	// (but preserved space that was waiting when the link ended): it
	// stays between the two ("<X> 本文", not "<X>本文").
	n := min(c.pendWS, len(c.ws))
	space, spaceNL, ws := c.space, c.spaceNL, append([]byte(nil), c.ws[n:]...)
	c.ws = c.ws[:n]
	if c.pendImage {
		c.stats.Images++
		c.space = true
		c.wordString("[" + c.label + "]")
	}
	c.space = true
	c.wordString("<" + c.pendDisplay + ">")
	c.afterLink = true
	c.lastTarget, c.lastWords = c.pendTarget, c.words
	c.stats.Links++
	c.space, c.spaceNL, c.ws = space, spaceNL, ws
	if c.pendCell {
		c.pendCell = false
		c.cell()
	}
}

// linkTarget cleans an href for printing. display is what goes between the
// angle brackets (the address of a mailto: link), target the whole URL.
func linkTarget(href string) (display, target string, ok bool) {
	// Browsers ignore leading and trailing controls and spaces and remove
	// tabs and newlines anywhere (WHATWG URL), so "java\nscript:" is
	// javascript: too.
	href = strings.TrimFunc(href, func(r rune) bool { return r <= ' ' })
	href = strings.Map(func(r rune) rune {
		if r == '\t' || r == '\n' || r == '\r' {
			return -1
		}
		return r
	}, href)
	if href == "" || href[0] == '#' {
		return "", "", false
	}
	scheme, rest, hasScheme := strings.Cut(href, ":")
	scheme = strings.ToLower(scheme)
	if hasScheme {
		switch scheme {
		case "javascript", "data", "vbscript":
			return "", "", false
		}
	}
	target = escapeURL(href)
	display = target
	if hasScheme && scheme == "mailto" {
		addr, _, _ := strings.Cut(rest, "?")
		if addr == "" {
			return "", "", false
		}
		display = escapeURL(addr)
	}
	return display, target, true
}

// escapeURL percent-encodes what must not appear raw in a printed URL:
// spaces and controls (which would split it), angle brackets (which would
// end it early) and invisible formatting characters such as bidi overrides.
func escapeURL(s string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	var b strings.Builder
	for _, r := range s {
		if r <= ' ' || r == '<' || r == '>' || r == 0x7f || unicode.IsSpace(r) || invisible(r) || unicode.Is(unicode.Cf, r) {
			var buf [utf8.UTFMax]byte
			for _, x := range buf[:utf8.EncodeRune(buf[:], r)] {
				fmt.Fprintf(&b, "%%%02X", x)
			}
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

// How an element's content is read (entry.ns).
const (
	nsSVG   = 's'
	nsMath  = 'm'
	nsDrawn = 'd' // HTML in svg's <foreignObject>
	// nsMathText: HTML in math's <mi>, <mo>, <mn>, <ms>, <mtext>, drawn
	// with the formula (math.go): its tags do not end the math.
	nsMathText = 't'
	nsUndrawn  = 'u' // HTML in svg's <title>, <desc>, math's <annotation-xml> of HTML
)

// contentNS returns how the content of the innermost open element is
// read (entry.ns): 0 for HTML.
func (c *converter) contentNS() byte {
	if c.foreign == 0 || len(c.stack) == 0 {
		return 0
	}
	return c.stack[len(c.stack)-1].ns
}

// childNS returns how the content of an element starting now is read:
// svg and math are foreign content, where HTML's tags are read again in
// their integration points (HTML tree construction; sheets.go follows
// the same). In those svg and math do not draw (<title>, <desc>, an
// <annotation-xml> of HTML) an HTML tag does not end the svg or math:
// what it holds is not drawn either. In the others (<foreignObject>,
// <mi>…) it ends it, as before, so that what they draw is printed.
func (c *converter) childNS(name string, a *attrs) byte {
	switch c.contentNS() {
	case nsSVG:
		switch name {
		case "foreignobject":
			return nsDrawn
		case "title", "desc":
			return nsUndrawn
		}
		return nsSVG
	case nsMathText:
		if t := c.top(); t.mathml && (name == "mglyph" || name == "malignmark") {
			return nsMath // MathML's own in its token elements
		}
	case nsMath:
		switch name {
		case "mi", "mo", "mn", "ms", "mtext":
			return nsMathText
		case "annotation-xml":
			if htmlEncoding(a.encoding) {
				return nsUndrawn
			}
		}
		return nsMath
	}
	switch name {
	case "svg":
		return nsSVG
	case "math":
		return nsMath
	}
	return c.contentNS() // HTML, drawn or not as the integration point around it
}

// htmlEncoding reports an <annotation-xml encoding> that makes it an
// HTML integration point.
func htmlEncoding(enc string) bool {
	return strings.EqualFold(enc, "text/html") || strings.EqualFold(enc, "application/xhtml+xml")
}
