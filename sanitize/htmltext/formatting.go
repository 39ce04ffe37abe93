package htmltext

// The HTML parser keeps a list of the formatting elements (b, font, s, a…)
// that are open, and when a block closes the paragraph around one, or an
// end tag pops it with the element around it, it opens a copy of it again,
// with the same attributes, before the next text or inline element
// ("reconstruct the active formatting elements"): <p><font
// color=white>x<div>y</div> has y white too, and <p><s>4月1日</p>4月8日
// strikes both dates. The converter keeps that list for the same reason.

// maxActive bounds the list; a browser's only bound is three alike
// (noahsArk), which lets a page keep any number of different ones.
const maxActive = 32

// noahsArk is how many formatting elements with the same name and
// attributes the list keeps: HTML's "Noah's Ark" clause.
const noahsArk = 3

// activeFormatting is one entry of the list.
type activeFormatting struct {
	name   string
	a      attrs     // its attributes as written, before any sheet's rules
	serial uint64    // the stack entry it is while open
	open   bool      // on the stack
	owner  uint64    // serial of the cell, caption, template, object, applet or marquee it started in (HTML's marker), 0 for none
	css    styleInfo // its style as it was first opened, for a copy when the budget (reopenRatio) does not pay to read it again
}

// A copy opened again reads its style attribute and the sheets' rules
// again (its place may match other rules), which costs in proportion to
// its attributes: a budget bounds that work, over a message, to a
// multiple of the bytes read, plus a free allowance, each copy paying
// reopenCost and its attributes' length. Past it a copy has the style
// its element was first given. Without the bound a 1 MB style attribute
// on an element reopened by each of a million "<p>x" was read a million
// times (minutes per megabyte of input).
const (
	reopenRatio = 2
	reopenFree  = 64 << 10
	reopenCost  = 32
)

// marker reports the elements that start a new list of formatting
// elements of their own: what was open outside one is not opened again
// inside it.
func marker(name string) bool {
	switch name {
	case "td", "th", "caption", "template", "object", "applet", "marquee":
		return true
	}
	return false
}

// markerOwner is the serial of the innermost open marker element, 0 if
// none (kept as they are pushed and closed: see closedActive).
func (c *converter) markerOwner() uint64 { return c.innerMarker }

// pushActive records a formatting element just pushed as entry serial.
func (c *converter) pushActive(name string, a *attrs, serial uint64) {
	if c.reopening != nil {
		// A copy opened again: the entry it stands for is open again.
		c.reopening.serial, c.reopening.open = serial, true
		return
	}
	css := a.parsed()
	raw := *a
	raw.css, raw.cssSet = styleInfo{}, false
	owner := c.markerOwner()
	alike, first := 0, -1
	for i := range c.active {
		f := &c.active[i]
		if f.owner == owner && f.name == name && f.a.same(&raw) {
			if alike++; first < 0 {
				first = i
			}
		}
	}
	if alike >= noahsArk {
		c.active = append(c.active[:first], c.active[first+1:]...)
	}
	if len(c.active) >= maxActive {
		c.active = append(c.active[:0], c.active[1:]...)
	}
	c.active = append(c.active, activeFormatting{name: name, a: raw, serial: serial, open: true, owner: owner, css: css})
}

// same reports whether two formatting elements have the same attributes,
// as far as they are recorded.
func (a *attrs) same(b *attrs) bool {
	return a.given == b.given && a.style == b.style && a.href == b.href && a.class == b.class && a.id == b.id &&
		a.color == b.color && a.bgcolor == b.bgcolor && a.bgImage == b.bgImage && a.hidden == b.hidden
}

// closedActive notes that the entry serial left the stack.
func (c *converter) closedActive(e *entry) {
	if e.fl&fFormatting != 0 {
		for i := len(c.active) - 1; i >= 0; i-- {
			if c.active[i].serial == e.serial {
				c.active[i].open = false
				break
			}
		}
	}
	if marker(e.name) {
		c.innerMarker = e.outerMarker
		// The list's entries since the marker go with it.
		n := 0
		for _, f := range c.active {
			if f.owner != e.serial {
				c.active[n] = f
				n++
			}
		}
		c.active = c.active[:n]
	}
}

// endActive handles the end tag of a formatting element as far as the
// list goes: the last one of that name since the marker leaves it. It
// reports whether the end tag closes an element still open; one that a
// block closed before is already ended, and its end tag does nothing
// more.
func (c *converter) endActive(name string) (open bool) {
	owner := c.markerOwner()
	for i := len(c.active) - 1; i >= 0; i-- {
		f := c.active[i]
		if f.owner != owner {
			break
		}
		if f.name == name {
			c.active = append(c.active[:i], c.active[i+1:]...)
			return f.open
		}
	}
	return true
}

// dropActive removes the entries of that name since the marker: an <a>
// inside an open one ends it, in the list as on the stack.
func (c *converter) dropActive(name string) {
	owner := c.markerOwner()
	n := 0
	for _, f := range c.active {
		if f.owner == owner && f.name == name {
			continue
		}
		c.active[n] = f
		n++
	}
	c.active = c.active[:n]
}

// reconstruct opens again, in order, the formatting elements of the list
// (since the marker) that are no longer open.
func (c *converter) reconstruct() {
	if len(c.active) == 0 || c.reopening != nil || len(c.stack) >= c.maxDepth {
		// Past the depth limit a copy could only be flattened, counted
		// in c.overflow as if its start tag had been read: an end tag
		// of the page's would then pop it instead, and every text
		// would add one more (the elements around never closing).
		return
	}
	last := len(c.active) - 1
	if c.active[last].open {
		return // the common case, before the walk down the stack
	}
	owner := c.markerOwner()
	if c.active[last].owner != owner {
		return
	}
	i := last
	for i > 0 && c.active[i-1].owner == owner && !c.active[i-1].open {
		i--
	}
	for ; i <= last; i++ {
		f := &c.active[i]
		a := f.a
		if f.name == "a" {
			// Its target was printed after the link's own text; the
			// copy keeps its styles, not its target on every paragraph
			// after it (an <a> left open makes the rest of a page one
			// link in a browser).
			a.href = ""
		}
		if cost := int64(reopenCost + len(a.style) + len(a.class) + len(a.id)); c.reopened+cost <= reopenRatio*c.read+reopenFree {
			c.reopened += cost
		} else {
			a.css, a.cssSet = f.css, true // past the budget: see reopenRatio
		}
		if len(c.stack) >= c.maxDepth {
			return // see above
		}
		c.reopening = f
		c.start([]byte(f.name), &a, false)
		c.reopening = nil
		if !f.open {
			return // not opened: the rest are left for later
		}
	}
}

// reconstructsBefore reports the start tags before which the parser opens
// the formatting elements again: text-level ones and <marquee>, <applet>
// and <object>, not the other blocks, tables or the elements whose
// content is raw text.
func reconstructsBefore(name string, fl flag) bool {
	switch name {
	case "marquee", "applet", "object":
		return true // blocks, but opened inside them as inline elements are
	case "textarea", "iframe", "noembed", "noframes", "noscript", "plaintext", "xmp", "listing", "pre",
		"hr", "table", "frameset", "frame", "template", "script", "style", "title", "head", "body", "html":
		return false
	}
	return fl&(fLine|fPara|fClosesP|fTablePart|fHeadOK) == 0
}

// adopted reports whether the end tag of the formatting element at
// stack index i leaves the block opened in it open, as the parser's
// adoption agency does: past a "furthest block" (a special element
// opened in it), <b><div hidden-by-style><i>x</b>y</i>z</div> keeps y
// and z in the div, where popping to the <b> printed them. The
// converter keeps the block only where the formatting element, and
// what stands between it and the block, gave the block nothing it
// would lose (a colour, a size, a strike, a link): in the parser's tree
// the block is no longer in it, and the stack cannot say so.
func (c *converter) adopted(i int) bool {
	if i < 0 || c.overflow > 0 {
		return false
	}
	block := -1
	for j := i + 1; j < len(c.stack); j++ {
		if c.stack[j].fl&fSpecial != 0 {
			block = j
			break
		}
	}
	if block < 0 || c.skip >= 0 && c.skip < block {
		return false
	}
	below := entry{invis: c.rootInvis, onBG: c.bodyBG}
	if i > 0 {
		below = c.stack[i-1]
	}
	for j := i; j < block; j++ {
		e := &c.stack[j]
		if e.name == "a" || e.strike || e.small != below.small || e.white != below.white || e.clear != below.clear ||
			e.onBG != below.onBG || e.fill != below.fill || e.invis != below.invis {
			return false
		}
	}
	return true
}
