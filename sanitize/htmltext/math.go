package htmltext

import "strings"

// MathML, as Chromium draws it (MathML Core): a formula's text is that
// of its token elements (<mi>, <mo>, <mn>, <ms>, <mtext>), each a box
// of its own, so they are printed as words apart ("x = 2", and a
// fraction's "1 2"); text anywhere else in <math> is not drawn, unless
// its element is given another display than math, which lays it out
// as CSS lays out any box. MathML's own style sheet shows only the
// first child of <semantics> and <maction> and draws <mphantom>
// unseen; the hidden attribute hides no MathML element, and
// display:contents hides one. An <annotation-xml> of HTML holds HTML
// that is not drawn. The document's sheets and an element's style
// attribute apply as to any element. HTML in a token element (an
// integration point) is HTML, and drawn.

// mathElement reports whether an element name starting now is one of
// MathML: <math> outside svg, anything in MathML content, and
// <mglyph> and <malignmark> in a token element (HTML tree construction,
// "in foreign content").
func (c *converter) mathElement(name string) bool {
	switch c.contentNS() {
	case nsMath:
		return true
	case nsSVG:
		return false
	case nsMathText:
		if t := c.top(); t.mathml && (name == "mglyph" || name == "malignmark") {
			return true
		}
	}
	return name == "math"
}

// cssBox reports whether a MathML element of the display d given is
// laid out as CSS lays out a box (MathML Core lays out "math" only),
// so that text right in it is drawn: a block, inline (unset and
// initial)…, not math, none, contents, or its parent's (inherit, which
// the caller reads).
func cssBox(d string) bool {
	switch d {
	case "", "none", "contents", "inherit", "revert", "revert-layer":
		return false
	}
	return !strings.Contains(d, "math")
}

// mathToken reports MathML's token elements, whose text is drawn.
func mathToken(name string) bool {
	switch name {
	case "mi", "mo", "mn", "ms", "mtext":
		return true
	}
	return false
}

// inMathToken reports whether the element at stack index i (or to be
// pushed there) is right in a MathML token element: Chromium lays out
// each element there as a box apart from the text and boxes beside it
// ("<mtext><span>a</span><b>b</b>" reads "a b").
func (c *converter) inMathToken(i int) bool {
	if c.foreign == 0 || i == 0 || i > len(c.stack) {
		return false
	}
	p := &c.stack[i-1]
	return p.mathml && mathToken(p.name)
}

// mathHidden reports whether a MathML element starting now in parent,
// with attributes a, is hidden by MathML's own sheet: a child of
// <semantics> or <maction> after the first (semantics >
// :not(:first-child)), which shows only the formula, not its
// annotations or other actions, unless the author gives it a display.
func (c *converter) mathHidden(parent *entry, a *attrs) bool {
	later := false
	if parent != nil && parent.mathml && (parent.name == "semantics" || parent.name == "maction") {
		later = parent.kids
		parent.kids = true
	}
	switch d := a.parsed().display; {
	case d == "contents":
		return true // Chromium draws no MathML element of display:contents
	case d != "":
		return false // the author's display wins over MathML's sheet
	}
	return later
}

// openMath renders the start of a MathML element: <math display=block>
// is a block, and a token element a box apart from its neighbours.
func (c *converter) openMath(e *entry, a *attrs) {
	if e.name == "math" && strings.EqualFold(strings.TrimSpace(a.display), "block") {
		e.brk = 1
		c.block(1)
	}
	if mathToken(e.name) {
		c.space = true
	}
}

// closeMath renders the end of a MathML element.
func (c *converter) closeMath(e *entry) {
	if mathToken(e.name) {
		c.space = true
	}
	if e.brk > 0 {
		c.block(e.brk)
	}
}
