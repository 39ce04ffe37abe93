package htmltext

import (
	"slices"
	"strings"
)

// Declarative shadow DOM. A <template shadowrootmode="open|closed"> is
// no template in a browser: it becomes the shadow root of the element
// it stands in (its host), whose own children (its light children) are
// then drawn only where a <slot> of the shadow tree takes them: an
// element with slot="x" in <slot name=x>, any other element and any
// text, white space too, in the default slot (no name). A slot that
// takes nothing draws its own content instead (its fallback), and so
// does a second slot of the same name. Chromium attaches a shadow root
// only to a host of the names a script may attach one to (div, p, span,
// section… and custom elements, not b, li or td), once (a second such
// template in the host is an ordinary one), in HTML content (not in svg
// or math), and not in the head.
//
// Convert draws the light children a slot takes in the slot's place:
// their markup, kept in its second record pass, is read again there
// (replay.go), so they take the style of the slot and what is around
// it, as a browser draws them, and are not printed where they stand.
// ConvertStream, and Convert past the bounds of what it keeps, draws
// the shadow tree where it stands, then the light children that a
// slot takes, after it, in the style of their host. Whatever cannot be
// known errs towards printing, as text a browser hides is noise where
// text dropped is lost: without a record from a pass before
// (ConvertStream, or past maxShadowHosts), a light child before the
// template and every slot's fallback are printed.
//
// The shadow tree's style is its own: the document's sheets do not
// reach into it (its elements inherit from the host all the same), and
// a <style> in it styles only it: the whole tree, in Convert, which
// reads it in its first record pass; from where it stands on, in
// ConvertStream (a later rule may then hide less, or show less, than
// it would in the browser). Its :host rules (:host, :host(compound),
// leftmost in a selector) select the host, and its ::slotted(compound)
// rules the light children drawn in its slots, below the rules of the
// tree they are in unless !important: in Convert's last pass, which
// knows the host's sheet before its template, and for light children
// drawn in their slot (replay.go); ConvertStream does not read them.

const (
	// maxShadowHosts bounds the hosts Convert's record passes keep.
	maxShadowHosts = 1024
	// maxSlotNames bounds the slot names kept per host, of slots and of
	// what its light children ask for; past it, every light child of
	// the host is printed.
	maxSlotNames = 32
	// maxSlotName bounds the length of a slot name kept: a longer one
	// counts as past maxSlotNames.
	maxSlotName = 256
	// maxShadowSheets bounds the shadow trees whose <style> is read,
	// so that their sheets (each bounded as a document's) do not
	// multiply the memory and matching a document may cost.
	maxShadowSheets = 8
	// bodyKey is <body>'s key in shadowRecord.hosts: it has no start
	// tag of its own to be known by.
	bodyKey = -1
)

// hostRecord is what is known of a shadow host's slots.
type hostRecord struct {
	slots     []string // the names of the slots in its shadow tree
	slotsOver bool     // more than maxSlotNames
	done      bool     // slots holds them all: its shadow tree was read
	requested []string // the slot names its light children ask for ("" the default slot)
	reqOver   bool
	reqDone   bool // requested holds them all: read in a pass before
	// sheet: the style sheets of its shadow tree, read in pass 1;
	// the passes after apply them to the whole tree, as a browser
	// does, and read no <style> in it.
	sheet *sheet
	// children: its light children, kept in pass 2 (replay.go), in
	// order; capOver: one was not kept, and they are printed where
	// they stand. replay: pass 3 draws them in its slots.
	children        []lightChild
	capOver, replay bool
}

// shadowRoot is an open <template> that is a shadow root: its host's
// record, the slot names met in its tree (the first slot of a name
// takes the light children), and its tree's own style sheet.
type shadowRoot struct {
	host      *hostRecord
	slotSeen  []string
	sheet     *sheet
	sheetRead bool // sheet holds the tree's sheets, read in a pass before
}

// shadowRecord is what Convert's record passes learn of the shadow
// hosts of a document, by where each host's start tag ends.
type shadowRecord struct {
	hosts map[int64]*hostRecord
	// pass 1 finds the hosts and their slots; pass 2, knowing them,
	// what their light children ask for, before and after the
	// template; pass 3 converts.
	pass int
}

// newShadowRecord returns a record for pass 1.
func newShadowRecord() *shadowRecord {
	return &shadowRecord{hosts: map[int64]*hostRecord{}, pass: 1}
}

// next readies the record for the next pass.
func (r *shadowRecord) next() {
	r.pass++
	for _, h := range r.hosts {
		h.done = true
		if r.pass == 3 {
			h.reqDone = true
		}
	}
}

func addName(list []string, over *bool, n string) []string {
	switch {
	case slices.Contains(list, n):
	case len(list) == maxSlotNames || len(n) > maxSlotName:
		*over = true
	default:
		list = append(list, n)
	}
	return list
}

// slotted reports whether a light child asking for slot n is drawn:
// yes unless the host's slots are known and none has that name.
func (h *hostRecord) slotted(n string) bool {
	return !h.done || h.slotsOver || slices.Contains(h.slots, n)
}

// fills reports whether a light child asks for slot n: the first slot
// of that name then draws it, not its fallback. Known only from a pass
// before; unknown, the fallback is drawn.
func (h *hostRecord) fills(n string) bool {
	return h.reqDone && slices.Contains(h.requested, n)
}

// validHost reports the elements a shadow root may be attached to
// (DOM's attachShadow): these, and custom elements.
func validHost(name string) bool {
	switch name {
	case "article", "aside", "blockquote", "body", "div", "footer", "h1", "h2", "h3", "h4", "h5", "h6",
		"header", "main", "nav", "p", "section", "span":
		return true
	}
	return customElement(name)
}

// customElement reports a valid custom element name: a lower-case
// ASCII letter first, a hyphen, no upper-case ASCII letter, and none of
// the names SVG and MathML took before.
func customElement(name string) bool {
	if name == "" || name[0] < 'a' || name[0] > 'z' || !strings.Contains(name, "-") {
		return false
	}
	for i := 0; i < len(name); i++ {
		if c := name[i]; 'A' <= c && c <= 'Z' {
			return false
		}
	}
	switch name {
	case "annotation-xml", "color-profile", "font-face", "font-face-src", "font-face-uri",
		"font-face-format", "font-face-name", "missing-glyph":
		return false
	}
	return true
}

// innerTemplate returns the stack index of the innermost open
// template, shadow root or not, -1 if none.
func (c *converter) innerTemplate() int {
	for i := len(c.stack) - 1; i >= 0; i-- {
		if c.stack[i].name == "template" {
			return i
		}
	}
	return -1
}

// shadowTree returns the stack index of the shadow root whose tree the
// next element or text is in, -1 for the document (or a template's
// content).
func (c *converter) shadowTree() int {
	if c.shadows == 0 {
		return -1
	}
	if len(c.frames) > 0 {
		return c.treeOf(c.stack, nil)
	}
	if t := c.innerTemplate(); t >= 0 && c.stack[t].root != nil {
		return t
	}
	return -1
}

// attachShadow reports whether a <template> with attributes a starting
// now is a shadow root, and attaches it to its host: the top of the
// stack, or <body>. It returns the host's record.
func (c *converter) attachShadow(a *attrs) *hostRecord {
	if !strings.EqualFold(a.shadowMode, "open") && !strings.EqualFold(a.shadowMode, "closed") ||
		c.foreign > 0 || c.overflow > 0 || len(c.stack) >= c.maxDepth {
		return nil
	}
	if t := c.innerTemplate(); t >= 0 && c.stack[t].root == nil {
		return nil // a template's content is not part of the document
	}
	var h **hostRecord
	key := int64(bodyKey)
	switch host := c.top(); {
	case host == nil:
		if !c.bodySeen || c.bodyHosted {
			return nil // in the head, or a second one
		}
		c.bodyHosted, h = true, &c.bodyHost
	case host.hosted || !validHost(host.name):
		return nil
	default:
		host.hosted, h, key = true, &host.host, host.at
	}
	if *h == nil {
		*h = &hostRecord{}
		if c.rec != nil && c.rec.pass == 1 && len(c.rec.hosts) < maxShadowHosts {
			c.rec.hosts[key] = *h
		}
	}
	return *h
}

// lightHost returns the record of the shadow host whose light child an
// element starting now (with parent, see styleParent) or a text is,
// nil if its parent is no host.
func (c *converter) lightHost(parent *entry) *hostRecord {
	if parent == nil {
		if c.bodySeen {
			return c.bodyHost
		}
		return nil
	}
	return parent.host
}

// request notes that a light child of h asks for slot n, in pass 2.
func (c *converter) request(h *hostRecord, n string) {
	if c.rec != nil && c.rec.pass == 2 {
		h.requested = addName(h.requested, &h.reqOver, n)
	}
}

// slot notes a <slot> named n starting in the shadow tree of the root
// at c.stack[s], and reports whether its fallback content is hidden: a
// light child fills it.
func (c *converter) slot(s int, n string) bool {
	t := c.stack[s].root
	h := t.host
	h.slots = addName(h.slots, &h.slotsOver, n)
	if slices.Contains(t.slotSeen, n) {
		return false // a later slot of a name takes nothing
	}
	if len(t.slotSeen) == maxSlotNames || len(n) > maxSlotName {
		return false
	}
	t.slotSeen = append(t.slotSeen, n)
	return h.fills(n)
}

// clone returns a copy of s (nil for nil) for a pass that matches its
// rules: matching spends its budget (matchBudget), which the pass after
// must have whole. The rules themselves are shared, as no pass changes them.
func (s *sheet) clone() *sheet {
	if s == nil {
		return nil
	}
	c := *s
	c.found, c.matched = nil, nil
	return &c
}

// unspent returns a copy of s with its whole budget, for the passes
// after the one that read it and matched with it.
func (s *sheet) unspent() *sheet {
	c := s.clone()
	if c != nil {
		c.steps, c.spent = 0, false
	}
	return c
}
