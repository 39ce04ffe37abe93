package htmltext

import (
	"errors"
	"math"
	"slices"
	"strconv"
	"strings"
)

// attrs holds the attributes of a start tag that rendering looks at.
type attrs struct {
	css    styleInfo // the style attribute, parsed once by parsed (with the sheets' rules, by applySheet)
	cssSet bool
	given  uint32 // attributes set, by attrBit

	style, href, alt, class, width, height, start, value string
	id                                                   string // matched by style sheet selectors
	media                                                string // <style media>
	typ                                                  string // <ol type>
	src                                                  string // <img src>
	border                                               string // <table border>
	rowspan, colspan                                     string // <td>, <th>
	color, bgcolor, bgImage                              string // <font color>, bgcolor, background
	link                                                 string // <body link>, the colour of links
	slot, name                                           string // slot=, <slot name> (see shadow.go)
	shadowMode                                           string // <template shadowrootmode>
	encoding                                             string // <annotation-xml encoding>
	display                                              string // <math display>
	hidden                                               bool   // the boolean "hidden" attribute
	hasAlt                                               bool   // alt is given, maybe empty
}

// attrNames are the attributes attrs records, for attrs.seen.
var attrNames = [...]string{"style", "hidden", "href", "alt", "class", "color", "bgcolor", "background", "width", "height", "start", "value", "border", "rowspan", "colspan", "src", "type", "id", "media", "link", "slot", "name", "shadowrootmode", "encoding", "display"}

// seen reports whether attribute k was given before, and notes it.
func (a *attrs) seen(k string) bool {
	for i, n := range attrNames {
		if n == k {
			if a.given&(1<<i) != 0 {
				return true
			}
			a.given |= 1 << i
			return false
		}
	}
	return false
}

// has reports whether attribute k was given.
func (a *attrs) has(k string) bool {
	for i, n := range attrNames {
		if n == k {
			return a.given&(1<<i) != 0
		}
	}
	return false
}

// invisible reports whether the element (named name) the attributes
// belong to is hidden from a reader of the HTML: the hidden attribute, or
// a style that removes it from view. aria-hidden only hides from screen
// readers, so it does not count. The hidden attribute is the browser's
// own style sheet's display:none, so any display the page gives, inline
// or from a sheet, overrides it (<div hidden style="display:block">
// shows; so does display:revert, in Chromium).
func (a *attrs) invisible(name string, item bool) bool {
	css := a.parsed()
	hidden := a.hidden && css.display == ""
	return hidden || css.hidden || css.zeroClip && heightApplies(name, css.display, css.block || item)
}

// heightApplies reports whether an element's height is its box's: a
// block's, not an inline's (<span style="height:0;overflow:hidden">
// shows its text) nor a table cell's, which grows to its content. A
// float, an absolutely positioned box and a flex or grid item (block)
// are blocks whatever their display.
func heightApplies(name, display string, block bool) bool {
	if block {
		switch display {
		case "contents", "table", "inline-table":
			return false
		}
		return true
	}
	if display != "" && !cssWideKeyword(display) {
		switch display {
		case "inline", "contents", "ruby", "ruby-base", "ruby-text", "table-cell", "table-row", "table-row-group", "table-header-group",
			"table-footer-group", "table-column", "table-column-group", "table", "inline-table":
			return false
		}
		return true
	}
	switch name {
	case "div", "p", "h1", "h2", "h3", "h4", "h5", "h6", "ul", "ol", "li", "menu", "dir", "blockquote", "center",
		"section", "article", "header", "footer", "nav", "aside", "main", "figure", "figcaption", "address",
		"pre", "dl", "dt", "dd", "form", "fieldset", "details", "summary", "hr", "img", "iframe", "video",
		"object", "embed", "button", "input", "select", "textarea", "body",
		"caption", "legend", "marquee", "hgroup", "search", "listing", "xmp", "plaintext", "optgroup", "dialog",
		"meter", "progress", "canvas", "audio":
		return true
	}
	return false
}

// parsed returns the style attribute's declarations, parsed on first use,
// or those applySheet read with the style sheets'.
func (a *attrs) parsed() styleInfo {
	if !a.cssSet {
		a.cssSet = true
		if a.style != "" {
			a.css = parseStyle(a.style)
		}
	}
	return a.css
}

// textColor is what the element says of its text's colour: the style's
// color, else a color attribute (<font color=white>), which a style
// overrides as in a browser.
func (a *attrs) textColor() textColor {
	if css := a.parsed(); css.colorSet {
		return css.color
	}
	return legacyColor(a.color)
}

// textColor is what a colour does to the text inside the element. Like a
// font size it is inherited until a descendant sets its own: a newsletter
// cell in white may hold paragraphs in dark grey, which are read.
type textColor uint8

const (
	colorUnset textColor = iota // no colour given (inherit, currentColor)
	colorWhite                  // white: unseen on the white page mail is read on, unless something paints a background behind it
	colorClear                  // transparent: unseen on any background
	colorShown                  // any other colour
)

// cssColor reads the value of the color property. ok is false for a value
// a browser does not accept: it drops the declaration, and the text keeps
// the colour it had, an earlier declaration's or its parent's. Read as
// "some colour", <span style="color:nocolor"> in a white cell was shown
// while a browser paints it white.
func cssColor(v string) (c textColor, ok bool) {
	v = strings.ToLower(strings.TrimSpace(v))
	switch v {
	case "inherit", "unset", "revert", "revert-layer", "currentcolor":
		return colorUnset, true
	case "transparent":
		return colorClear, true
	case "initial":
		return colorShown, true // CanvasText
	}
	if strings.Contains(v, "var(") {
		// Custom properties are not tracked. One a browser cannot
		// resolve leaves the colour the parent's, as unset does.
		return colorUnset, true
	}
	if !validColor(v) {
		return colorUnset, false
	}
	if faintColor(v) {
		return colorClear, true
	}
	if isWhite(v) {
		return colorWhite, true
	}
	return colorShown, true
}

// validColor reports a CSS colour value a browser accepts: a named or
// system colour, a hex colour, or a colour function whose arguments are
// plain numbers. Relative colours, calc() in a channel, color-mix() and
// the like may be valid, but what they make cannot be told here: they
// are taken as unreadable, so the text keeps the colour it had.
func validColor(v string) bool {
	if h, ok := strings.CutPrefix(v, "#"); ok {
		switch len(h) {
		case 3, 4, 6, 8:
			return allHex(h)
		}
		return false
	}
	open := strings.IndexByte(v, '(')
	if open < 0 {
		return namedColor(v)
	}
	if !strings.HasSuffix(v, ")") {
		return false
	}
	args := colorArgs(v[open+1 : len(v)-1])
	switch v[:open] {
	case "color":
		// color(srgb 0 0 0 / 0): a colour space, then its channels.
		if len(args) == 0 || !namedSpace(args[0]) {
			return false
		}
		args = args[1:]
	case "rgb", "rgba", "hsl", "hsla", "hwb", "lab", "lch", "oklab", "oklch":
	default:
		return false
	}
	if len(args) != 3 && len(args) != 4 {
		return false
	}
	for _, t := range args {
		if t == "none" {
			continue
		}
		_, u, ok := splitNumber(t)
		if !ok {
			return false
		}
		switch u {
		case "", "%", "deg", "rad", "grad", "turn":
		default:
			return false
		}
	}
	return true
}

// colorArgs splits the arguments of a colour function, in either syntax:
// "255, 255, 255, 0.5" or "255 255 255 / 50%".
func colorArgs(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool {
		return r == ' ' || r == ',' || r == '/' || r == '\t' || r == '\n' || r == '\r' || r == '\f'
	})
}

func namedSpace(s string) bool {
	switch s {
	case "srgb", "srgb-linear", "display-p3", "a98-rgb", "prophoto-rgb", "rec2020", "xyz", "xyz-d50", "xyz-d65":
		return true
	}
	return false
}

func allHex(s string) bool {
	for i := 0; i < len(s); i++ {
		if !isHex(s[i]) {
			return false
		}
	}
	return true
}

func isHex(c byte) bool { return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F' }

// namedColor reports a CSS named colour (CSS Color 4) or system colour.
func namedColor(v string) bool {
	return v != "" && !strings.ContainsAny(v, " ,") && strings.Contains(colorNames, ","+v+",")
}

const colorNames = ",aliceblue,antiquewhite,aqua,aquamarine,azure,beige,bisque,black,blanchedalmond,blue,blueviolet,brown,burlywood," +
	"cadetblue,chartreuse,chocolate,coral,cornflowerblue,cornsilk,crimson,cyan,darkblue,darkcyan,darkgoldenrod,darkgray,darkgreen," +
	"darkgrey,darkkhaki,darkmagenta,darkolivegreen,darkorange,darkorchid,darkred,darksalmon,darkseagreen,darkslateblue,darkslategray," +
	"darkslategrey,darkturquoise,darkviolet,deeppink,deepskyblue,dimgray,dimgrey,dodgerblue,firebrick,floralwhite,forestgreen,fuchsia," +
	"gainsboro,ghostwhite,gold,goldenrod,gray,green,greenyellow,grey,honeydew,hotpink,indianred,indigo,ivory,khaki,lavender,lavenderblush," +
	"lawngreen,lemonchiffon,lightblue,lightcoral,lightcyan,lightgoldenrodyellow,lightgray,lightgreen,lightgrey,lightpink,lightsalmon," +
	"lightseagreen,lightskyblue,lightslategray,lightslategrey,lightsteelblue,lightyellow,lime,limegreen,linen,magenta,maroon," +
	"mediumaquamarine,mediumblue,mediumorchid,mediumpurple,mediumseagreen,mediumslateblue,mediumspringgreen,mediumturquoise," +
	"mediumvioletred,midnightblue,mintcream,mistyrose,moccasin,navajowhite,navy,oldlace,olive,olivedrab,orange,orangered,orchid," +
	"palegoldenrod,palegreen,paleturquoise,palevioletred,papayawhip,peachpuff,peru,pink,plum,powderblue,purple,rebeccapurple,red," +
	"rosybrown,royalblue,saddlebrown,salmon,sandybrown,seagreen,seashell,sienna,silver,skyblue,slateblue,slategray,slategrey,snow," +
	"springgreen,steelblue,tan,teal,thistle,tomato,turquoise,violet,wheat,white,whitesmoke,yellow,yellowgreen," +
	// System colours, and the deprecated ones browsers still accept.
	"accentcolor,accentcolortext,activetext,buttonborder,buttonface,buttontext,canvas,canvastext,field,fieldtext,graytext,highlight," +
	"highlighttext,linktext,mark,marktext,selecteditem,selecteditemtext,visitedtext,activeborder,activecaption,appworkspace,background," +
	"buttonhighlight,buttonshadow,captiontext,inactiveborder,inactivecaption,inactivecaptiontext,infobackground,infotext,menu,menutext," +
	"scrollbar,threeddarkshadow,threedface,threedhighlight,threedlightshadow,threedshadow,window,windowframe,windowtext,"

// legacyColor reads a color attribute (<font color=…>) as HTML's rules
// for legacy colour values do: any word but "transparent" is some colour,
// so "ffffff" without its "#" is white in a browser.
func legacyColor(v string) textColor {
	v = strings.Trim(v, " \t\n\f\r")
	lv := strings.ToLower(v)
	switch {
	case v == "", lv == "transparent":
		return colorUnset
	case namedColor(lv):
		if lv == "white" {
			return colorWhite
		}
		return colorShown
	case len(v) == 4 && v[0] == '#' && allHex(v[1:]):
		if lv == "#fff" {
			return colorWhite
		}
		return colorShown
	}
	// Every character that is not a hex digit counts as "0"; the digits
	// are split in three and each part cut to its last eight and then its
	// first two significant digits.
	var d []byte
	for i, r := range v {
		if i == 0 && r == '#' {
			continue
		}
		switch {
		case r > 0xffff:
			d = append(d, '0', '0')
		case r < 0x80 && isHex(byte(r)):
			d = append(d, byte(r))
		default:
			d = append(d, '0')
		}
		if len(d) >= 128 {
			break
		}
	}
	d = d[:min(len(d), 128)]
	for len(d) == 0 || len(d)%3 != 0 {
		d = append(d, '0')
	}
	n := len(d) / 3
	part := [3][]byte{d[:n], d[n : 2*n], d[2*n:]}
	if n > 8 {
		for i := range part {
			part[i] = part[i][n-8:]
		}
		n = 8
	}
	for n > 2 && part[0][0] == '0' && part[1][0] == '0' && part[2][0] == '0' {
		for i := range part {
			part[i] = part[i][1:]
		}
		n--
	}
	for i := range part {
		if n > 2 {
			part[i] = part[i][:2]
		}
		if !strings.EqualFold(string(part[i]), "ff") {
			return colorShown
		}
	}
	return colorWhite
}

// faintColor reports a colour whose alpha is under minOpacity: #rrggbbaa
// and #rgba, rgba(), hsla() and the space syntax "rgb(0 0 0 / 0)".
func faintColor(v string) bool {
	v = strings.ToLower(strings.Join(strings.Fields(v), " "))
	if h, ok := strings.CutPrefix(v, "#"); ok {
		var a string
		switch len(h) {
		case 4:
			a = h[3:] + h[3:]
		case 8:
			a = h[6:]
		default:
			return false
		}
		n, err := strconv.ParseUint(a, 16, 8)
		return err == nil && float64(n)/255 < minOpacity
	}
	open := strings.IndexByte(v, '(')
	if open < 0 || !strings.HasSuffix(v, ")") {
		return false
	}
	switch v[:open] {
	case "rgb", "rgba", "hsl", "hsla", "hwb", "lab", "lch", "oklab", "oklch":
	default:
		return false
	}
	args := v[open+1 : len(v)-1]
	var alpha string
	if i := strings.LastIndexByte(args, '/'); i >= 0 {
		alpha = args[i+1:]
	} else if parts := strings.Split(args, ","); len(parts) == 4 {
		alpha = parts[3]
	} else {
		return false // no alpha: opaque
	}
	alpha = strings.TrimSpace(alpha)
	return alpha != "" && faint(alpha)
}

// paint is what an element paints behind its text.
type paint uint8

const (
	paintNone  paint = iota // nothing: its text is on its parent's background
	paintWhite              // white, as the page is: white text on it is unseen, whatever is painted further down
	paintColor              // a colour or an image: white text on it may be read
)

// background is what the element paints behind its text: a background
// image, else its style's background, else a bgcolor attribute.
func (a *attrs) background() paint {
	if a.bgImage != "" {
		return paintColor
	}
	if css := a.parsed(); css.bgSet {
		return css.bg
	}
	switch legacyColor(a.bgcolor) {
	case colorUnset:
		return paintNone
	case colorWhite:
		return paintWhite
	}
	return paintColor
}

// parsePaint reads the colour of a background or background-color
// declaration (an image is bgImage's). A colour a browser would not
// accept leaves it unread (ok false); one that cannot be told (var())
// counts as a colour, on which white text is read.
func parsePaint(name, v string) (p paint, ok bool) {
	switch v {
	case "", "none", "transparent", "inherit", "initial", "unset", "revert", "revert-layer":
		return paintNone, v != ""
	}
	colour := v
	if name == "background" {
		// The shorthand's colour is one of its words; the others are
		// positions and repeats. Without one it is transparent.
		colour = ""
		for _, w := range cssWords(v) {
			if _, ok := cssColor(w); ok {
				colour = w
			}
		}
		if colour == "" {
			return paintNone, true
		}
	}
	c, ok := cssColor(colour)
	switch {
	case !ok:
		return paintNone, false
	case c == colorClear:
		return paintNone, true
	case c == colorWhite:
		return paintWhite, true
	}
	return paintColor, true
}

// bgImage reports a background or background-image value that paints an
// image or a gradient.
func bgImage(v string) bool {
	return strings.Contains(v, "url(") || strings.Contains(v, "gradient(") || strings.Contains(v, "image-set(")
}

// cssWords splits a value at white space outside parentheses, so that
// "rgb(0 0 0) no-repeat" is two words.
func cssWords(v string) []string {
	var words []string
	depth, start := 0, -1
	for i := 0; i <= len(v); i++ {
		space := i == len(v) || depth == 0 && (v[i] == ' ' || v[i] == '\t' || v[i] == '\n' || v[i] == '\r' || v[i] == '\f')
		if space {
			if start >= 0 {
				words = append(words, v[start:i])
				start = -1
			}
			continue
		}
		if start < 0 {
			start = i
		}
		switch v[i] {
		case '(':
			depth++
		case ')':
			depth = max(depth-1, 0)
		}
	}
	return words
}

// isWhite reports a CSS colour that is white, whatever its alpha: white
// half see-through is white still on the white page.
func isWhite(v string) bool {
	v = strings.ToLower(strings.TrimSpace(v))
	if v == "white" {
		return true
	}
	if h, ok := strings.CutPrefix(v, "#"); ok {
		switch len(h) {
		case 3, 4:
			return allHex(h) && h[:3] == "fff"
		case 6, 8:
			return allHex(h) && h[:6] == "ffffff"
		}
		return false
	}
	open := strings.IndexByte(v, '(')
	if open < 0 || !strings.HasSuffix(v, ")") {
		return false
	}
	args := colorArgs(v[open+1 : len(v)-1])
	if len(args) < 3 {
		return false
	}
	switch v[:open] {
	case "rgb", "rgba":
		for _, t := range args[:3] {
			f, ok := number(t)
			if !ok || f < 255 && !(strings.HasSuffix(t, "%") && f >= 100) {
				return false
			}
		}
		return true
	case "hsl", "hsla":
		f, ok := number(args[2])
		return ok && f >= 100
	}
	return false
}

// thinImage reports an image at most 2 pixels wide or high, by its
// attributes or inline style: a tracking pixel, or a spacer or a rule
// drawn as an image; no picture a reader looks at is that thin. (A
// file named as spacers are, spacer.gif or 1x1.gif, is one too: see
// spacerFile.)
func (a *attrs) thinImage() bool {
	return pixel(a.width) || pixel(a.height) || a.parsed().tiny
}

// spacerNames are the names (without extension) web authoring tools and
// mail templates give the transparent GIF or PNG they stretch to space
// a layout: an image of nothing, whatever width it is given.
var spacerNames = []string{"spacer", "space", "spc", "blank", "clear", "clearpixel", "clear_pixel", "transparent", "trans", "pixel", "1x1", "shim"}

// spacerFile reports an image URL whose file is a spacer GIF or PNG.
func spacerFile(src string) bool {
	if i := strings.IndexAny(src, "?#"); i >= 0 {
		src = src[:i]
	}
	name := strings.ToLower(src[strings.LastIndexByte(src, '/')+1:])
	base, ok := strings.CutSuffix(name, ".gif")
	if !ok {
		base, ok = strings.CutSuffix(name, ".png")
	}
	return ok && slices.Contains(spacerNames, base)
}

// styleInfo is what an inline style says about visibility.
type styleInfo struct {
	hidden bool // display:none, visibility:hidden, opacity under 0.1, collapsed overflow, moved off the page
	tiny   bool // width or height of at most 2 pixels
	color  textColor
	// colorSet: a color declaration was read (inherit too), which
	// overrides a color attribute.
	colorSet bool
	bg       paint // what the last background declaration paints
	bgSet    bool
	fill     textColor // -webkit-text-fill-color, colorUnset for currentcolor
	fillSet  bool
	font     fontSize // what font-size (or the font shorthand) makes of the text's size
	// inheritColor, inheritFont: the colour or the size is the
	// parent's by a declaration (inherit, unset, currentcolor; 1em,
	// 100%), which a table in quirks mode does not take without one.
	inheritColor, inheritFont bool
	rule                      bool // a border as Office draws a table's grid: in windowtext, or an mso-border-…-alt or -inside line
	border                    bool // a border line that can be seen, of any colour
	strike                    bool // text-decoration line-through
	zeroClip                  bool // a height of 0 that clips the content, if the box has a height (heightApplies)
	// visibility, which unlike display:none is inherited: a child of a
	// hidden element may show itself again (visShown).
	visibility byte
	display    string // the display given, "" if none
	// Floated or absolutely positioned: a block, whatever its display.
	block bool
	// A flex or grid container, whose children are blocks.
	flexBox bool
	// The margins above and below, as line breaks: 0 not given, 1 none
	// a reader sees (a paragraph so set is a line), 2 a gap (gapLength).
	marginTop, marginBottom int
}

// What visibility says of an element, when given.
const (
	visHidden = 'h'
	visShown  = 'v'
	// visInherit: the parent's, said outright, which wins over the
	// value a browser's own sheet gives (MathML's <mphantom>).
	visInherit = 'i'
)

// fontSize is what a font-size declaration does to the text inside the
// element. Unlike display:none it does not hide a subtree: a child may set
// a size of its own, and images keep theirs. Responsive mail templates
// (MJML, "hybrid" columns) put font-size:0 on every column to close the
// gaps between inline blocks and give the text inside its size again.
type fontSize uint8

const (
	fontUnset fontSize = iota // no size given, or one relative to the parent's (1em, 100%, inherit)
	fontTiny                  // too small to read: 0, or under minFontPx
	fontShown                 // a readable size, whatever the parent's
)

// minFontPx is the smallest text, in CSS pixels, taken as readable. Text
// smaller than this is there to be missed by the reader and read by a
// filter ("pay<span style=font-size:1px>xq</span>pal"); a template's
// smallest real print is 8 to 10 pixels.
const minFontPx = 2

// defaultFontPx is the size em, rem and % are taken relative to: the
// parent's size is not tracked, and mail clients start from 16px.
const defaultFontPx = 16

// offPage is how far left or up a box is moved to hide it: -9999px and
// -1000px are the usual values; no layout moves text this far.
const offPage = -500

// parseStyle reads the declarations of a style attribute, after those the
// style sheets give the element (see applySheet). It is lenient like a
// browser: comments are removed, names and values are compared
// case-insensitively, and a value a browser drops (an unknown display, a
// colour it cannot read) leaves the earlier one standing. As in the
// cascade, the last declaration of a property wins, and one marked
// !important over a later one that is not: "color:#fff
// !important;color:#333" is white, and a class's display:none gives way
// to the element's own display:block.
func parseStyle(s string) styleInfo {
	var d decls
	d.parse(s)
	return d.info()
}

// parse reads declarations in the order they come.
func (d *decls) parse(s string) {
	eachDecl(s, d.add)
}

// eachDecl calls f with each declaration of a style attribute or a
// rule's block: its name and value in lower case, and whether it was
// marked !important.
func eachDecl(s string, f func(name, val string, important bool)) {
	if s == "" {
		return
	}
	s = stripComments(s)
	for len(s) > 0 {
		// A ';' in a string or a block is not the end of the
		// declaration: "font-family:'a;display:none'" names a font,
		// and a nested rule's declarations (".a{.b{x:1;display:none}}")
		// are not the outer rule's.
		var decl string
		if i := indexOutsideBlocks(s, ';'); i >= 0 {
			decl, s = s[:i], s[i+1:]
		} else {
			decl, s = s, ""
		}
		name, val, ok := strings.Cut(decl, ":")
		if !ok || indexOutsideBlocks(decl, '{') >= 0 {
			continue
		}
		name = strings.ToLower(strings.TrimSpace(name))
		val, important := cutImportant(strings.ToLower(strings.TrimSpace(val)))
		f(name, val, important)
	}
}

// readProp reports whether parseStyle reads the property.
func readProp(name string) bool {
	if _, ok := propIndex[name]; ok {
		return true
	}
	switch name {
	case "border", "overflow", "margin", "margin-block", "margin-inline", "background":
		return true
	}
	return msoBorder(name)
}

func msoBorder(name string) bool {
	switch name {
	case "mso-border-alt", "mso-border-top-alt", "mso-border-right-alt", "mso-border-bottom-alt", "mso-border-left-alt",
		"mso-border-insideh", "mso-border-insidev":
		return true
	}
	return false
}

// The properties parseStyle reads, each holding its winning value.
const (
	propDisplay = iota
	propVisibility
	propFont // font-size, or the font shorthand's size
	propOpacity
	propHeight
	propMaxHeight
	propWidth
	propMaxWidth
	propOverflow // overflow-x
	propOverflowY
	propPosition
	propLeft
	propTop
	propMarginTop // the four sides in order, which margin sets at once
	propMarginRight
	propMarginBottom
	propMarginLeft
	propTextIndent
	propColor
	propFill
	propDecoration
	propBorderTop // the four sides in order, which border sets at once
	propBorderRight
	propBorderBottom
	propBorderLeft
	propBackground // background-color, or the background shorthand's colour
	propBgImage    // background-image, or the shorthand's image
	propFloat
	numProps
)

var propIndex = map[string]int{
	"display": propDisplay, "visibility": propVisibility, "font-size": propFont, "font": propFont,
	"opacity": propOpacity, "height": propHeight, "max-height": propMaxHeight, "width": propWidth,
	"max-width": propMaxWidth, "overflow-x": propOverflow, "overflow-y": propOverflowY, "position": propPosition, "left": propLeft,
	"top": propTop, "margin-left": propMarginLeft, "margin-top": propMarginTop,
	"margin-right": propMarginRight, "margin-bottom": propMarginBottom, "text-indent": propTextIndent,
	// The logical margins, in mail's horizontal, left-to-right writing.
	"margin-block-start": propMarginTop, "margin-block-end": propMarginBottom,
	"margin-inline-start": propMarginLeft, "margin-inline-end": propMarginRight,
	"color": propColor, "-webkit-text-fill-color": propFill, "text-decoration": propDecoration,
	"text-decoration-line": propDecoration, "border-top": propBorderTop, "border-right": propBorderRight,
	"border-bottom": propBorderBottom, "border-left": propBorderLeft, "background-color": propBackground,
	"background-image": propBgImage, "float": propFloat,
}

// decls holds the winning declaration of each property parseStyle reads.
type decls struct {
	val      [numProps]string
	set, imp [numProps]bool
	fontSize fontSize
	color    textColor
	fill     textColor
	bg       paint // what background-color paints
	image    bool  // background-image paints an image
	msoRule  bool  // a grid line Word records (mso-border-alt and the like)
}

func (d *decls) add(name, val string, important bool) {
	switch name {
	case "border":
		for p := propBorderTop; p <= propBorderLeft; p++ {
			d.put(p, val, important)
		}
		return
	case "overflow":
		// Shorthands set their longhands: "overflow:visible" undoes an
		// earlier overflow-y:hidden. overflow is x, then y.
		w := cssWords(val)
		if len(w) == 0 || len(w) > 2 || !allFunc(w, overflowValue) {
			return // a browser drops it
		}
		d.put(propOverflow, w[0], important)
		d.put(propOverflowY, w[len(w)-1], important)
		return
	case "background":
		// It sets the colour and the image: "background:#fff" after
		// a background-image removes the image, and an image in it
		// is painted over its colour.
		bg, ok := parsePaint(name, val)
		if !ok {
			return
		}
		if d.put(propBackground, val, important) {
			d.bg = bg
		}
		if d.put(propBgImage, val, important) {
			d.image = bgImage(val)
		}
		return
	case "margin":
		// One to four values: top, right, bottom, left, the missing
		// ones copied from their opposite side. It sets all four, so
		// "margin:0" undoes an earlier margin-left:-9999px.
		w := cssWords(val)
		if len(w) == 0 || len(w) > 4 || !allFunc(w, cssLength) {
			return // a browser drops it
		}
		for len(w) < 4 {
			w = append(w, w[max(0, len(w)-2)])
		}
		for i, p := range [...]int{propMarginTop, propMarginRight, propMarginBottom, propMarginLeft} {
			d.put(p, w[i], important)
		}
		return
	case "margin-block", "margin-inline":
		// Start, then end, which is the start when not given.
		w := cssWords(val)
		if len(w) == 0 || len(w) > 2 || !allFunc(w, cssLength) {
			return // a browser drops it
		}
		start, end := propMarginTop, propMarginBottom
		if name == "margin-inline" {
			start, end = propMarginLeft, propMarginRight
		}
		d.put(start, w[0], important)
		d.put(end, w[len(w)-1], important)
		return
	}
	if msoBorder(name) {
		// Word's own record of a cell's or a table's grid line,
		// whatever its colour ("mso-border-alt:solid #BFBFBF .5pt"
		// when the grid is grey); only Word writes it.
		d.msoRule = d.msoRule || borderLine(val)
		return
	}
	p, ok := propIndex[name]
	if !ok || d.imp[p] && !important {
		return
	}
	// A value a browser does not take is dropped: the earlier stands.
	switch p {
	case propOpacity:
		f, unit, num := splitNumber(val)
		ok = num && (unit == "" || unit == "%") && !math.IsNaN(f) || cssWideKeyword(val)
	case propLeft, propTop, propMarginTop, propMarginRight, propMarginBottom, propMarginLeft, propTextIndent:
		ok = cssLength(val)
	case propDisplay:
		ok = displayValue(val)
	case propPosition:
		switch val {
		case "static", "relative", "absolute", "fixed", "sticky", "-webkit-sticky":
		default:
			ok = cssWideKeyword(val) || isVar(val)
		}
	case propFloat:
		switch val {
		case "none", "left", "right", "inline-start", "inline-end":
		default:
			ok = cssWideKeyword(val) || isVar(val)
		}
	case propOverflow, propOverflowY:
		ok = overflowValue(val)
	case propHeight, propMaxHeight, propWidth, propMaxWidth:
		ok = sizeValue(val)
	case propVisibility:
		switch val {
		case "visible", "hidden", "collapse", "inherit", "initial", "unset", "revert", "revert-layer":
		default:
			ok = false
		}
	case propFont:
		if name == "font" {
			val = fontShorthandSize(val)
		}
		var f fontSize
		if f, ok = parseFontSize(val); ok {
			d.fontSize = f
		}
	case propColor:
		var c textColor
		if c, ok = cssColor(val); ok {
			d.color = c
		}
	case propFill:
		switch val {
		case "inherit", "unset", "revert", "revert-layer":
			ok = false // it is inherited anyway
		default:
			var c textColor
			if c, ok = cssColor(val); ok {
				d.fill = c // currentcolor: the color's
			}
		}
	case propBackground:
		var bg paint
		if bg, ok = parsePaint(name, val); ok {
			d.bg = bg
		}
	case propBgImage:
		d.image = bgImage(val)
	}
	if ok {
		d.put(p, val, important)
	}
}

// put sets property p unless an !important value stands, and reports
// whether it did.
func (d *decls) put(p int, val string, important bool) bool {
	if d.imp[p] && !important {
		return false
	}
	d.val[p], d.set[p], d.imp[p] = val, true, important
	return true
}

func (d *decls) info() styleInfo {
	var info styleInfo
	v := &d.val
	info.hidden = v[propDisplay] == "none" || d.set[propOpacity] && faint(v[propOpacity])
	// inherit, unset and revert take the parent's, as if not given;
	// initial is visible.
	switch v[propVisibility] {
	case "hidden", "collapse":
		info.visibility = visHidden
	case "visible", "initial":
		info.visibility = visShown
	case "inherit", "unset":
		info.visibility = visInherit
	}
	// left and top move a positioned box only. A sticky one stays
	// where the flow puts it, until scrolling would carry it past them.
	positioned := false
	switch v[propPosition] {
	case "absolute", "relative", "fixed":
		positioned = true
	}
	for _, p := range [...]int{propLeft, propTop, propMarginLeft, propMarginTop, propTextIndent} {
		if !d.set[p] || (p == propLeft || p == propTop) && !positioned {
			continue
		}
		if f, ok := number(v[p]); ok && f <= offPage {
			info.hidden = true
		}
	}
	// The "preheader" trick: a box of height 0 that clips its content.
	// Every overflow but visible clips (auto and scroll make a scroll
	// box with no room for its content), and one across that is not
	// visible or clip makes a visible one down auto. Whether the box
	// has that height depends on what it is (see invisible).
	zeroHeight := d.set[propHeight] && isZero(v[propHeight]) || d.set[propMaxHeight] && isZero(v[propMaxHeight])
	x, y := v[propOverflow], v[propOverflowY]
	clipsY := clips(y) || visibleOverflow(y) && x != "clip" && clips(x)
	info.zeroClip = zeroHeight && clipsY
	info.display = v[propDisplay]
	switch v[propFloat] {
	case "left", "right", "inline-start", "inline-end":
		info.block = true
	}
	switch v[propPosition] {
	case "absolute", "fixed":
		info.block = true
	}
	info.flexBox = flexOrGrid(v[propDisplay])
	for _, p := range [...]int{propHeight, propMaxHeight, propWidth, propMaxWidth} {
		info.tiny = info.tiny || d.set[p] && pixel(v[p])
	}
	if d.set[propFont] {
		info.font = d.fontSize
	}
	info.color, info.colorSet = d.color, d.set[propColor]
	info.inheritColor = d.set[propColor] && d.color == colorUnset && !revert(v[propColor])
	info.inheritFont = d.set[propFont] && d.fontSize == fontUnset && !revert(v[propFont])
	info.fill, info.fillSet = d.fill, d.set[propFill]
	info.bg, info.bgSet = d.bg, d.set[propBackground]
	if d.set[propBgImage] && d.image {
		// An image is painted over the colour: white text on it may
		// be read. background-image:none leaves the colour (or a
		// bgcolor attribute) as it was.
		info.bg, info.bgSet = paintColor, true
	}
	info.marginTop = marginBreaks(d.set[propMarginTop], v[propMarginTop])
	info.marginBottom = marginBreaks(d.set[propMarginBottom], v[propMarginBottom])
	info.strike = slices.Contains(cssWords(v[propDecoration]), "line-through")
	info.rule = d.msoRule
	for p := propBorderTop; p <= propBorderLeft; p++ {
		info.rule = info.rule || officeRule(v[p])
		info.border = info.border || borderLine(v[p])
	}
	return info
}

// marginBreaks is what a vertical margin makes of a paragraph's line
// breaks on its side: 0 when not given, 1 for no gap, 2 for a gap.
//
// A vertical margin of auto is 0 in the flow of text, and a negative one
// leaves no gap either.
func marginBreaks(set bool, v string) int {
	switch {
	case !set || !cssLength(v) || cssWideKeyword(v):
		return 0
	case v == "auto":
		return 1
	case gapLength(v):
		return 2
	}
	return 1
}

// gapLength reports whether a vertical margin leaves a gap a reader sees
// between paragraphs, a quarter of a line or more: Word's "spacing after
// 12pt" does, Outlook's margin-bottom:.0001pt does not. A margin whose
// size depends on the page or the window (5%, 2vh), or is computed
// (calc()), is a gap when it is more than nothing.
func gapLength(v string) bool {
	f, unit, ok := splitNumber(v)
	if !ok {
		return strings.Contains(v, "(") // calc() and the like
	}
	var px float64 // CSS pixels per unit
	switch unit {
	case "", "px":
		px = 1
	case "pt":
		px = 4.0 / 3
	case "pc":
		px = 16
	case "em", "rem", "lh", "rlh", "ic", "ric":
		px = defaultFontPx
	case "ex", "rex", "ch", "rch", "cap", "rcap":
		px = defaultFontPx / 2
	case "mm":
		px = 96 / 25.4
	case "q":
		px = 96 / 25.4 / 4
	case "cm":
		px = 96 / 2.54
	case "in":
		px = 96
	default:
		return f > 0
	}
	return f*px >= defaultFontPx/4
}

// cssLength reports whether v is a value a browser takes for a length
// property (left, margin-top, text-indent): a number with a unit, or one
// without (mail is read in quirks mode, which takes "-9999" as pixels),
// auto, a CSS-wide keyword, or a function such as calc() (taken, and
// read as no offset). "-9999pxx" is not one: a browser drops it.
func cssLength(v string) bool {
	if v == "auto" || cssWideKeyword(v) {
		return true
	}
	if i := strings.IndexByte(v, '('); i > 0 && strings.HasSuffix(v, ")") {
		switch v[:i] {
		case "calc", "min", "max", "clamp", "var", "env", "-webkit-calc", "-moz-calc":
			return true
		}
		return false
	}
	f, unit, ok := splitNumber(v)
	if !ok || math.IsNaN(f) {
		return false
	}
	switch unit {
	case "", "%", "px", "pt", "pc", "em", "rem", "ex", "rex", "ch", "rch", "ic", "ric", "cap", "rcap", "lh", "rlh",
		"vw", "vh", "vi", "vb", "vmin", "vmax", "svw", "svh", "svi", "svb", "lvw", "lvh", "lvi", "lvb", "dvw", "dvh", "dvi", "dvb",
		"svmin", "svmax", "lvmin", "lvmax", "dvmin", "dvmax", "cm", "mm", "q", "in", "cqw", "cqh", "cqi", "cqb", "cqmin", "cqmax":
		return true
	}
	return false
}

func cssWideKeyword(v string) bool {
	switch v {
	case "inherit", "initial", "unset", "revert", "revert-layer":
		return true
	}
	return false
}

func allFunc(w []string, f func(string) bool) bool {
	for _, s := range w {
		if !f(s) {
			return false
		}
	}
	return true
}

// displayValue reports whether v is a value of display a browser takes;
// one it does not ("display:nonee") is dropped, and an earlier one stands.
// none, contents, the legacy keywords (inline-block) and the CSS-wide
// ones stand alone: "none block" and "block block" are dropped.
func displayValue(v string) bool {
	w := cssWords(v)
	if len(w) == 1 {
		switch w[0] {
		case "none", "contents", "block", "inline", "run-in", "flow", "flow-root", "table", "flex", "grid", "ruby", "math",
			"list-item", "inline-block", "inline-table", "inline-flex", "inline-grid", "table-row-group",
			"table-header-group", "table-footer-group", "table-row", "table-cell", "table-column-group",
			"table-column", "table-caption", "ruby-base", "ruby-text", "ruby-base-container", "ruby-text-container",
			"-webkit-box", "-webkit-inline-box", "-ms-flexbox", "-ms-inline-flexbox", "-webkit-flex", "-webkit-inline-flex",
			"inherit", "initial", "unset", "revert", "revert-layer":
			return true
		}
		return isVar(w[0])
	}
	// An outer and an inner display, and list-item, each at most once.
	var outer, inner, item int
	for _, k := range w {
		switch k {
		case "block", "inline", "run-in":
			outer++
		case "flow", "flow-root", "table", "flex", "grid", "ruby", "math":
			inner++
		case "list-item":
			item++
		default:
			return false
		}
	}
	return len(w) > 0 && outer <= 1 && inner <= 1 && item <= 1
}

// flexOrGrid reports whether a display makes a flex or grid container.
func flexOrGrid(v string) bool {
	for _, w := range cssWords(v) {
		switch w {
		case "flex", "grid", "inline-flex", "inline-grid", "-webkit-box", "-webkit-inline-box",
			"-ms-flexbox", "-ms-inline-flexbox", "-webkit-flex", "-webkit-inline-flex":
			return true
		}
	}
	return false
}

// isVar reports a value that is a custom property's, which a browser
// takes when it reads the declaration.
func isVar(v string) bool {
	return strings.HasPrefix(v, "var(") && strings.HasSuffix(v, ")")
}

// overflowValue reports a value of overflow-x or overflow-y (or a word of
// overflow) a browser takes.
func overflowValue(v string) bool {
	switch v {
	case "visible", "hidden", "clip", "scroll", "auto", "overlay":
		return true
	}
	return cssWideKeyword(v) || isVar(v)
}

// clips reports an overflow that does not show what overflows the box.
func clips(v string) bool {
	switch v {
	case "hidden", "clip", "scroll", "auto", "overlay":
		return true
	}
	return false
}

// visibleOverflow reports an overflow-y that is visible: not given, or
// reset to its initial value.
func visibleOverflow(v string) bool {
	switch v {
	case "", "visible", "initial", "unset", "revert", "revert-layer":
		return true
	}
	return false
}

// sizeValue reports a value of height, width and their max- a browser
// takes: a length that is not negative, a keyword of intrinsic size, or
// a function. "0x" is not one: a browser drops it, and the earlier stands.
func sizeValue(v string) bool {
	switch v {
	case "auto", "none", "min-content", "max-content", "fit-content", "stretch", "-webkit-fill-available",
		"-moz-available", "-webkit-min-content", "-webkit-max-content", "-moz-min-content", "-moz-max-content",
		"-webkit-fit-content", "-moz-fit-content", "intrinsic", "min-intrinsic":
		return true
	}
	if strings.HasPrefix(v, "fit-content(") && strings.HasSuffix(v, ")") {
		return true
	}
	if f, _, num := splitNumber(v); num && f < 0 {
		return false
	}
	return cssLength(v)
}

// officeRule reports a border declaration's value that draws a line in
// windowtext, as Word and Excel write a table's grid on each cell
// ("border:solid windowtext 1.0pt", "border:.5pt solid windowtext"):
// an Excel range pasted into Outlook is a table with border=0 whose
// rules are only these. Mail templates do not write windowtext.
func officeRule(v string) bool {
	var color, line bool
	for _, w := range cssWords(v) {
		switch w {
		case "windowtext":
			color = true
		case "solid", "dashed", "dotted", "double", "groove", "ridge", "inset", "outset":
			line = true
		default:
			if isZero(w) {
				return false
			}
		}
	}
	return color && line
}

// borderLine reports a border declaration's value that draws a line that
// can be seen: a line style, no zero width, not transparent or white.
func borderLine(v string) bool {
	line := false
	for _, w := range cssWords(v) {
		switch w {
		case "solid", "dashed", "dotted", "double", "groove", "ridge", "inset", "outset":
			line = true
		case "none", "hidden", "transparent":
			return false
		default:
			if isZero(w) || isWhite(w) {
				return false
			}
		}
	}
	return line
}

// revert reports the keywords that roll a property back to the browser's
// own style sheet.
func revert(v string) bool { return v == "revert" || v == "revert-layer" }

// cutImportant removes a trailing "!important" ("! important" too) from a
// declaration's value and reports whether there was one.
func cutImportant(v string) (string, bool) {
	i := strings.LastIndexByte(v, '!')
	if i < 0 || strings.TrimSpace(v[i+1:]) != "important" {
		return v, false
	}
	return strings.TrimSpace(v[:i]), true
}

// parseFontSize reads the value of font-size. ok is false for a value a
// browser does not accept (a negative size, an unknown unit, "14 px"):
// it drops the declaration and the text keeps the size it had, so such a
// value inside a font-size:0 column shows nothing. Sizes given with
// calc() and the like are taken as the parent's.
func parseFontSize(v string) (size fontSize, ok bool) {
	switch v {
	case "":
		return fontUnset, false
	case "inherit", "unset", "revert", "revert-layer", "smaller", "larger":
		return fontUnset, true
	case "xx-small", "x-small", "small", "medium", "large", "x-large", "xx-large", "xxx-large", "initial":
		return fontShown, true
	}
	if strings.ContainsRune(v, '(') {
		return fontUnset, true // calc(), var(): not evaluated
	}
	f, u, ok := splitNumber(v)
	if !ok || f < 0 {
		return fontUnset, false
	}
	if f == 0 {
		return fontTiny, true
	}
	var px float64
	switch u {
	case "":
		// A number without a unit is a length in pixels only in quirks
		// mode, where mail without a doctype is shown; elsewhere it is
		// dropped. It hides text that is tiny either way, and never
		// shows what its parent hides.
		if f < minFontPx {
			return fontTiny, true
		}
		return fontUnset, false
	case "px":
		px = f
	case "pt":
		px = f * 4 / 3
	case "pc":
		px = f * 16
	case "in":
		px = f * 96
	case "cm":
		px = f * 96 / 2.54
	case "mm":
		px = f * 96 / 25.4
	case "q":
		px = f * 96 / 101.6
	case "rem", "rlh", "rcap", "ric":
		px = f * defaultFontPx
	case "rex", "rch":
		px = f * defaultFontPx / 2
	case "em", "%", "ex", "ch", "cap", "ic", "lh":
		switch u {
		case "%":
			px = f / 100 * defaultFontPx
		case "ex", "ch":
			px = f * defaultFontPx / 2
		default:
			px = f * defaultFontPx
		}
		if px < minFontPx {
			return fontTiny, true
		}
		return fontUnset, true // relative: as small as the parent's text, or not
	case "vw", "vh", "vi", "vb", "vmin", "vmax", "svw", "svh", "svi", "svb", "svmin", "svmax",
		"lvw", "lvh", "lvi", "lvb", "lvmin", "lvmax", "dvw", "dvh", "dvi", "dvb", "dvmin", "dvmax",
		"cqw", "cqh", "cqi", "cqb", "cqmin", "cqmax":
		px = f * maxViewportPx / 100
	default:
		return fontUnset, false
	}
	if px < minFontPx {
		return fontTiny, true
	}
	return fontShown, true
}

// maxViewportPx is the widest window a size in vw (or vh, cqw...) is
// taken relative to: text that is tiny even there is tiny everywhere.
const maxViewportPx = 2000

// fontShorthandSize returns the size in the value of the font shorthand
// ("bold 1px/1.5 Arial", "0/0 a"): the first word that is a length (a
// number with a unit, or 0), before any "/line-height". A weight (700) is
// a number without a unit.
func fontShorthandSize(v string) string {
	switch v {
	case "inherit", "initial", "unset", "revert":
		return v
	}
	for w := range strings.FieldsSeq(v) {
		w, _, _ = strings.Cut(w, "/")
		if w == "" || !(w[0] >= '0' && w[0] <= '9' || w[0] == '.') {
			if sizeKeyword(w) {
				return w
			}
			continue
		}
		f, u, ok := splitNumber(w)
		if !ok {
			continue
		}
		if f == 0 || u != "" {
			return w
		}
	}
	return ""
}

// sizeKeyword reports the absolute and relative size keywords of font-size.
func sizeKeyword(w string) bool {
	switch w {
	case "xx-small", "x-small", "small", "medium", "large", "x-large", "xx-large", "xxx-large", "smaller", "larger":
		return true
	}
	return false
}

// stripComments removes CSS comments, which browsers ignore inside style
// attributes (so display:/**/none still hides).
//
// A "/*" inside a string does not open a comment, as a browser's
// tokenizer reads strings and comments in one pass: a sheet could
// otherwise make a string's "/*" hide the rules after it from us and
// not from the reader.
func stripComments(s string) string {
	if !strings.Contains(s, "/*") {
		return s
	}
	var b strings.Builder
	for {
		i := indexOutsideStrings(s, "/")
		for i >= 0 && !strings.HasPrefix(s[i:], "/*") {
			j := indexOutsideStrings(s[i+1:], "/")
			if j < 0 {
				i = -1
				break
			}
			i += 1 + j
		}
		if i < 0 {
			b.WriteString(s)
			return b.String()
		}
		b.WriteString(s[:i])
		b.WriteByte(' ')
		j := strings.Index(s[i+2:], "*/")
		if j < 0 {
			return b.String()
		}
		s = s[i+2+j+2:]
	}
}

// indexOutsideBlocks returns the index of the first c in s that is
// neither in a string nor inside brackets of any kind, or -1.
func indexOutsideBlocks(s string, c byte) int {
	depth := 0
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '"', '\'':
			i = stringEnd(s, i)
			continue
		case '\\':
			i++
			continue
		case '{', '(', '[':
			if s[i] == c && depth == 0 {
				return i
			}
			depth++
			continue
		case '}', ')', ']':
			depth = max(depth-1, 0)
			continue
		}
		if s[i] == c && depth == 0 {
			return i
		}
	}
	return -1
}

// number parses the numeric start of a CSS length or an HTML dimension
// ("0", "0px", "1.0pt", "-0", "1e-5px"); ok is false when there is no
// number.
func number(v string) (float64, bool) {
	f, _, ok := splitNumber(v)
	return f, ok
}

// splitNumber parses a CSS number and returns it with what follows it,
// the unit. The exponent is read as a browser reads it: "1e-5px" is a
// hundred-thousandth of a pixel, not 1 in a unit "e-5px", and "1em" has
// none.
func splitNumber(v string) (f float64, unit string, ok bool) {
	v = strings.TrimSpace(v)
	end := 0
	if end < len(v) && (v[end] == '+' || v[end] == '-') {
		end++
	}
	digits := func() int {
		n := 0
		for end < len(v) && v[end] >= '0' && v[end] <= '9' {
			end++
			n++
		}
		return n
	}
	n := digits()
	if end+1 < len(v) && v[end] == '.' && v[end+1] >= '0' && v[end+1] <= '9' {
		end++
		n += digits()
	}
	if n == 0 {
		return 0, v, false
	}
	if end < len(v) && (v[end] == 'e' || v[end] == 'E') {
		e := end + 1
		if e < len(v) && (v[e] == '+' || v[e] == '-') {
			e++
		}
		if e < len(v) && v[e] >= '0' && v[e] <= '9' {
			end = e
			digits()
		}
	}
	f, err := strconv.ParseFloat(v[:end], 64)
	if err != nil && !errors.Is(err, strconv.ErrRange) {
		return 0, v, false
	}
	return f, v[end:], true
}

// faint reports an opacity under which nothing can be read: 0, or a
// trace such as 0.01 or 1% that filters read and readers do not.
func faint(v string) bool {
	f, ok := number(v)
	if ok && strings.HasSuffix(v, "%") {
		f /= 100
	}
	return ok && f < minOpacity
}

// minOpacity is the least opacity taken as readable: text at a tenth is
// a faint grey on white, below that it is there to be missed.
const minOpacity = 0.1

func isZero(v string) bool {
	f, ok := number(v)
	return ok && f == 0
}

// pixel reports a length of at most 2 pixels (any unit counts for 0;
// more only in pixels or without a unit, as in width="2").
func pixel(v string) bool {
	f, u, ok := splitNumber(v)
	if !ok {
		return false
	}
	if f == 0 {
		return true
	}
	return f > 0 && f <= 2 && (u == "" || u == "px")
}
