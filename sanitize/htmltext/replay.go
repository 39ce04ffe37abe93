package htmltext

import (
	"bytes"
	"slices"

	"golang.org/x/net/html"
)

// Light children drawn in their slot (shadow.go). A browser draws a
// shadow host's light children where the slot that takes them stands
// in its shadow tree, in the slot's style: a slot in a hidden element
// hides them, a slot between two words puts them between. The token
// stream has them where the host's markup has them, before or after
// its template. So Convert's second record pass keeps the markup of
// each light child of a host (bounded by maxLightBytes), and the
// conversion, at the slot that takes them, reads that markup again
// (replay) with the slot on the stack, and drops them where they stand.
//
// While they are read there, the stack below the slot is theirs to
// inherit from but not to end: an end tag or an implied end stops at
// the slot (floor), as their parser's did at the host. The style
// sheets match them as a browser does, in their own tree: the host and
// its ancestors, then what they open, not the slot's ancestors.
//
// The light children of a host among light children being drawn so
// are printed where they stand, as before (a replay does not nest but
// through a slot of an outer host, whose tree holds the inner one).

// maxLightBytes bounds the markup of light children a document's
// record keeps; past it, a host's light children are printed where they
// stand.
const maxLightBytes = 1 << 20

// lightChild is a light child of a host as pass 2 read it: the slot it
// asks for, where its markup starts in the document, and its markup.
type lightChild struct {
	slot string
	at   int64
	raw  []byte
}

// lightCapture is a light child whose markup is being kept: the
// serial of its stack entry, its host, its slot and where it starts.
type lightCapture struct {
	serial uint64
	host   *hostRecord
	slot   string
	at     int64
}

// replayFrame is light children being drawn in their slot: the stack
// index of their host, and the floor, the first index above the slot.
type replayFrame struct {
	host, floor int
}

// replayState is the converter's state for keeping and drawing light
// children: where the current token starts, the end tag being read
// (ending), the markup kept since the outermost light child being kept
// started (capBuf, from capBase; capFail when it went past the bound),
// and the frames of light children being drawn.
type replayState struct {
	tokStart  int64
	ending    string
	capturing int
	captures  []lightCapture // the light children being kept, innermost last
	capBuf    []byte
	capBase   int64
	capFail   bool
	kept      int
	frames    []replayFrame
	segBuf    [][]entry
}

// floor returns the lowest stack index the tags read may end or find.
func (c *converter) floor() int {
	if n := len(c.frames); n > 0 {
		return c.frames[n-1].floor
	}
	return 0
}

// keep adds the markup of the token just read to what is kept.
func (c *converter) keep(raw []byte) {
	if c.capFail {
		return
	}
	if len(c.capBuf)+len(raw) > maxLightBytes {
		c.capFail, c.capBuf = true, nil
		return
	}
	c.capBuf = append(c.capBuf, raw...)
}

// keepChild keeps a light child of h read whole in one token (a text,
// a void element), in pass 2.
func (c *converter) keepChild(h *hostRecord, slot string, raw []byte) {
	if c.rec == nil || c.rec.pass != 2 {
		return
	}
	c.addChild(h, slot, c.tokStart, raw, false)
}

func (c *converter) addChild(h *hostRecord, slot string, at int64, raw []byte, fail bool) {
	if fail || h.capOver || c.kept+len(raw) > maxLightBytes {
		h.capOver = true
		return
	}
	c.kept += len(raw)
	h.children = append(h.children, lightChild{slot: slot, at: at, raw: bytes.Clone(raw)})
}

// beginChild starts keeping the markup of a light child of h starting
// now, in pass 2.
func (c *converter) beginChild(h *hostRecord, slot string, serial uint64) {
	if c.capturing == 0 {
		c.capBuf, c.capBase, c.capFail = c.capBuf[:0], c.tokStart, false
	}
	c.capturing++
	c.captures = append(c.captures, lightCapture{serial: serial, host: h, slot: slot, at: c.tokStart})
}

// endChild ends keeping the markup of the light child named name: up
// to the token being read, or through it when that is its end tag.
func (c *converter) endChild(e *entry) {
	n := len(c.captures) - 1
	if n < 0 || c.captures[n].serial != e.serial {
		return // not a light child being kept
	}
	lc, name := c.captures[n], e.name
	c.captures = c.captures[:n]
	c.capturing--
	var raw []byte
	if !c.capFail {
		raw = c.capBuf[lc.at-c.capBase:]
		if c.ending == name {
			raw = append(raw[:len(raw):len(raw)], c.z.Raw()...)
		}
	}
	c.addChild(lc.host, lc.slot, lc.at, raw, c.capFail)
}

// replayable reports whether a slot of the shadow root at stack index
// s takes its host's light children here: their markup was kept, and
// the host stands right below the root.
func (c *converter) replayable(s int) bool {
	h := c.stack[s].root.host
	return h.replay && s > 0 && c.stack[s-1].host == h
}

// replay draws the light children of the host of the shadow root at
// stack index s that ask for slot n, on top of the stack (the slot).
func (c *converter) replay(s int, n string) {
	h := c.stack[s].root.host
	z, read, tokStart, ending := c.z, c.read, c.tokStart, c.ending
	rawSkip, preNL, styleNext, overflow := c.rawSkip, c.preNL, c.styleNext, c.overflow
	active, innerMarker := slices.Clone(c.active), c.innerMarker
	floor := len(c.stack)
	c.frames = append(c.frames, replayFrame{host: s - 1, floor: floor})
	for _, ch := range h.children {
		if ch.slot != n {
			continue
		}
		c.read = ch.at
		c.rawSkip, c.preNL, c.styleNext = false, false, false
		// The markup was read whole before: no error but the writer's.
		err := c.tokens(html.NewTokenizer(bytes.NewReader(ch.raw)))
		c.svgStyle = false
		c.css.Reset()
		c.popTo(floor)
		c.overflow = overflow
		if err != nil {
			break
		}
	}
	c.frames = c.frames[:len(c.frames)-1]
	c.z, c.read, c.tokStart, c.ending = z, read, tokStart, ending
	c.rawSkip, c.preNL, c.styleNext = rawSkip, preNL, styleNext
	c.active, c.innerMarker = active, innerMarker
}

// treeOf returns the stack index of the shadow root whose tree an
// element with the ancestors anc (a prefix of the stack) is in, -1 for
// the document or a template's content; with segs, it sets *segs to
// its ancestors in that tree, outermost first: through each frame of
// light children being drawn, what they opened, then their host and
// its ancestors.
func (c *converter) treeOf(anc []entry, segs *[][]entry) int {
	add := func(seg []entry) {
		if segs != nil && len(seg) > 0 {
			*segs = append(*segs, seg)
		}
	}
	tree := func(lo, hi int) int {
		for i := hi - 1; i >= lo; i-- {
			if anc[i].name == "template" {
				return i
			}
		}
		return -1
	}
	hi, t := len(anc), -1
	for k := len(c.frames) - 1; k >= 0 && t < 0; k-- {
		f := c.frames[k]
		if f.floor > hi {
			continue // light children drawn above what anc reaches
		}
		lo := f.floor
		if t = tree(lo, hi); t < 0 {
			add(anc[lo:hi])
			hi = min(f.host+1, hi)
		}
	}
	if t < 0 {
		t = tree(0, hi)
	}
	add(anc[t+1 : hi])
	if segs != nil {
		slices.Reverse(*segs)
	}
	if t >= 0 && anc[t].root == nil {
		return -1
	}
	return t
}

// applyLightSheet applies the sheets to an element starting among
// light children being drawn in their slot, with ancestors anc: those
// of its tree, matched with its ancestors there.
func (c *converter) applyLightSheet(name string, a *attrs, anc []entry) {
	var inner []*sheetRule
	if f := c.frames[len(c.frames)-1]; len(anc) == f.floor && f.floor > 0 {
		// A light child right in its slot: the ::slotted() rules of
		// the slot's tree.
		slot := f.floor - 1
		if st := c.treeOf(c.stack[:slot], nil); st >= 0 && c.stack[st].root.sheet != nil {
			sh := c.stack[st].root.sheet
			sa := ancestry{roots: c.treeRoots(st), stack: c.stack[st+1 : slot], host: true}
			if len(c.frames) > 1 {
				sa = ancestry{} // past one frame, its ancestors are not one run: matched alone
			}
			inner = slices.Clone(sh.matchSlotted(elemKey{tag: name, id: a.id, class: a.class}, c.stack[slot].key, sa))
		}
	}
	inner = append(inner, c.hostRules(name, a)...)
	segs := c.segBuf[:0]
	t := c.treeOf(anc, &segs)
	c.segBuf = segs
	if t >= 0 {
		c.applyCascade(inner, c.stack[t].root.sheet, name, a, ancestry{roots: c.treeRoots(t), segs: segs, host: true})
		return
	}
	c.applyCascade(inner, c.sheet, name, a, ancestry{roots: c.roots[:], segs: segs})
}
