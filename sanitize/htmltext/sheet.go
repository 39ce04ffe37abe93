package htmltext

import (
	"cmp"
	"slices"
	"strconv"
	"strings"
)

// A document's style sheets (<style> elements) are read for what they say
// of each element's look, as its style attribute is: a class that hides
// text ("sp" blocks for phones beside "pc" blocks, a newsletter's
// preheader) hides it here too, where both versions of every paragraph
// were printed. The declarations of the rules that match an element are
// read before its own style (see applySheet), in the order of a browser's
// cascade.
//
// What is read is what a mail client built on a browser engine shows on a
// desktop (Thunderbird, Outlook on the web); Word-based Outlook reads
// less of a sheet, and templates hide their phone version from it with
// conditional comments, which are comments here:
//   - rules at the top level, inside @media blocks whose query holds
//     on a screen desktopWidth pixels wide, @supports blocks whose
//     condition holds in Chromium (supportsMatches), and @layer blocks,
//     whose rules lose to those of no layer (layerKey); no other
//     at-rule;
//   - selectors of type, class, id and * compounds joined by descendant
//     and child combinators, with their specificity and order, and in
//     a shadow tree's sheet :host and ::slotted() (shadow.go). A
//     selector with anything else (attributes, pseudo-classes, sibling
//     combinators, escapes) is dropped, as a client that does not know
//     it drops it: the element keeps its inline look;
//   - every sheet applies to the whole document, wherever its <style>
//     stands, in the document's order: Convert reads them in a first
//     pass (sheets.go, which says where a browser takes a <style> for
//     one). ConvertStream, which reads the document once, applies a
//     sheet from where it stands on: a <style> after the element it
//     would hide leaves that element shown.
//
// Reading a sheet wrongly can only hide text a browser shows, or show
// text it hides; whatever is shown is sanitised as before.

const (
	// maxSheetBytes is how much style sheet text a document may give;
	// the rest is not read. Newsletters carry 10 to 40 KiB.
	maxSheetBytes = 256 << 10
	// maxRules bounds the rules kept, and maxSelectorParts the compounds
	// in one selector.
	maxRules         = 2048
	maxSelectorParts = 8
	// matchBudget bounds the selector tests one document may cost (a
	// compound tried against an element is one, more against a long
	// class list; each rule gathered for an element is one). Past it
	// the sheet is no longer applied: the elements after keep their
	// inline look.
	matchBudget = 1 << 20
	// classBytesPerStep is how much of a class list one selector test
	// may read for free (see step).
	classBytesPerStep = 64
	// maxMediaDepth bounds @media blocks inside @media blocks.
	maxMediaDepth = 3
	// desktopWidth is the width, in CSS pixels, media queries are
	// evaluated at: a reading pane on a desktop, past the 480 to 640
	// pixels where templates switch to their phone layout.
	desktopWidth = 800
)

// sheet holds the style rules read so far, indexed by the most telling
// part of their subject compound so that an element is tried only
// against rules that may match it.
type sheet struct {
	rules                []sheetRule
	byID, byClass, byTag map[string][]int32
	any                  []int32
	hostRules            []int32          // rules whose subject is :host
	layers               map[string]int32 // cascade layers by name, ranked as first named
	layer                int32            // the rank of the @layer block being read, 0 for none
	layered              bool             // a rule in a layer was read
	slottedRules         []int32          // ::slotted() rules
	read                 int              // style sheet bytes read
	truncated            bool             // a sheet was cut at maxSheetBytes, or rules past maxRules dropped
	steps                int              // selector tests spent, up to matchBudget
	spent                bool             // matchBudget was reached
	found                []int32          // scratch for match
	matched              []*sheetRule
	seen                 map[string][2]int32 // the rules read, as written: their first index in rules and past their last
	order                int32               // rules read, counting those given again
	// exact is set when the document is read in standards mode (see
	// standardsDoctype), where a browser matches classes and ids as
	// written: ".X" does not hide class="x".
	exact bool
}

type sheetRule struct {
	sel []compound // right to left: sel[0] is the element styled
	// slotted: of sel::slotted(X), X, which the light child drawn in a
	// slot sel selects must match; nil for any other rule.
	slotted *compound
	spec    uint32 // specificity: ids<<20 | classes<<10 | types
	order   int32  // where it was read, last if it was read again
	layer   int32  // its cascade layer's rank (sheet.layerRank), 0 for none
	decls   []decl // shared by the selectors of one rule
}

// decl is a declaration of a property parseStyle reads, as eachDecl gives
// it.
type decl struct {
	name, val string
	important bool
}

// compound is one compound selector: div.a.b#c, or * when all are empty.
type compound struct {
	tag     string // lower case
	id      string
	classes []string
	// left is the combinator between it and the compound to its left
	// in the selector (the next one in sheetRule.sel): ' ' for a
	// descendant, '>' for a child.
	left byte
	// host: :host, which selects the shadow host of the tree whose
	// sheet holds it, and nothing else.
	host bool
}

// elemKey is what selectors are matched against.
type elemKey struct {
	tag, id, class string
}

// ancestry is an element's ancestors: the document's html and body
// (roots), which the converter does not keep on its stack, then the open
// elements, the nearest last.
type ancestry struct {
	roots []elemKey
	stack []entry
	// segs: after stack, the ancestors of light children drawn in
	// their slot (replay.go), which are not one run of the stack.
	segs [][]entry
	// host: roots[0] is a shadow host, as its tree's sheet sees it
	// (:host), which only :host matches.
	host bool
}

func (a ancestry) len() int {
	n := len(a.roots) + len(a.stack)
	for _, s := range a.segs {
		n += len(s)
	}
	return n
}

func (a ancestry) at(i int) *elemKey {
	if i < len(a.roots) {
		return &a.roots[i]
	}
	i -= len(a.roots)
	if i < len(a.stack) {
		return &a.stack[i].key
	}
	i -= len(a.stack)
	for _, s := range a.segs {
		if i < len(s) {
			return &s[i].key
		}
		i -= len(s)
	}
	return nil
}

// limited reports whether a limit stopped the sheet being read or applied
// in full.
func (s *sheet) limited() bool { return s.truncated || s.spent }

// add reads style sheet text.
func (s *sheet) add(css string) {
	if len(css) > maxSheetBytes-s.read {
		css = css[:maxSheetBytes-s.read]
		s.truncated = true
	}
	s.read += len(css)
	s.parse(stripComments(css), 0)
}

func (s *sheet) parse(css string, depth int) {
	for {
		css = trimCSSSpace(css)
		// <!-- and --> around a sheet (Outlook writes them) are
		// ignored at its top level; inside a block they are part of
		// the next rule's selector, which they make invalid.
		if depth == 0 && strings.HasPrefix(css, "<!--") {
			css = css[4:]
			continue
		}
		if depth == 0 && strings.HasPrefix(css, "-->") {
			css = css[3:]
			continue
		}
		if css == "" {
			return
		}
		at := css[0] == '@'
		stop := "{"
		if at {
			stop = "{;"
		}
		i := indexOutsideStrings(css, stop)
		if i < 0 {
			return // a rule without a block is dropped
		}
		if css[i] == ';' {
			// @import, @charset, and the like; "@layer a, b;" gives
			// the layers' order.
			if name, names := atKeyword(css[1:i]); name == "layer" {
				for n := range strings.SplitSeq(names, ",") {
					s.layerRank(strings.TrimSpace(n))
				}
			}
			css = css[i+1:]
			continue
		}
		j := blockEnd(css, i)
		prelude, block := css[:i], css[i+1:j]
		css = css[min(j+1, len(css)):]
		if !at && indexOutsideStrings(prelude, ";") >= 0 {
			// A style rule's selector runs to its block, through any
			// ';': a browser reads "junk; .x{...}", or a stray ';'
			// after a '}', as one rule with an invalid selector, and
			// drops it.
			continue
		}
		if at {
			name, query := atKeyword(prelude[1:])
			switch {
			case depth >= maxMediaDepth:
			case name == "media" && mediaMatches(query), name == "supports" && supportsMatches(query):
				s.parse(block, depth+1)
			case name == "layer":
				// Its rules lose to those of no layer, and to a
				// later layer's (layerRank): a browser's cascade
				// layers. A nested layer is ranked as one more.
				outer := s.layer
				s.layer = s.layerRank(strings.TrimSpace(query))
				s.parse(block, depth+1)
				s.layer = outer
			}
			continue
		}
		s.rule(prelude, block)
	}
}

// atKeyword splits an at-rule's prelude into its name (lower case) and
// the rest.
func atKeyword(p string) (name, rest string) {
	i := 0
	for i < len(p) && (isIdentByte(p[i]) || p[i] == '-') {
		i++
	}
	return strings.ToLower(p[:i]), p[i:]
}

// indexOutsideStrings returns the index of the first byte of chars in css
// that is not inside a quoted string, or -1.
func indexOutsideStrings(css, chars string) int {
	for i := 0; i < len(css); i++ {
		switch c := css[i]; {
		case c == '"' || c == '\'':
			i = stringEnd(css, i)
		case c == '\\':
			i++
		case strings.IndexByte(chars, c) >= 0:
			return i
		}
	}
	return -1
}

// stringEnd returns the index of the quote that closes the string opened
// at css[i], or the last index when it is not closed.
func stringEnd(css string, i int) int {
	q := css[i]
	for i++; i < len(css); i++ {
		switch css[i] {
		case '\\':
			i++
		case q:
			return i
		case '\n':
			return i // a newline ends an unclosed string
		}
	}
	return len(css) - 1
}

// blockEnd returns the index of the } that closes the block opened at
// css[open], or len(css): the end of a sheet closes its open blocks.
func blockEnd(css string, open int) int {
	depth := 0
	for i := open; i < len(css); i++ {
		switch css[i] {
		case '"', '\'':
			i = stringEnd(css, i)
		case '\\':
			i++
		case '{':
			depth++
		case '}':
			depth--
			if depth == 0 {
				return i
			}
		}
	}
	return len(css)
}

func trimCSSSpace(s string) string {
	return strings.TrimLeft(s, " \t\r\n\f")
}

// rule records a style rule: each of its selectors that can be read, with
// its declarations.
func (s *sheet) rule(prelude, block string) {
	// A rule given again (a template's sheet repeated, a newsletter
	// forwarded with its quote) is its first reading moved to here:
	// the same declarations, with the later place in the cascade. So
	// repeating rules does not make each element cost more.
	s.order++
	key := prelude + "{" + block
	if r, seen := s.seen[key]; seen {
		for n := r[0]; n < r[1]; n++ {
			s.rules[n].order = s.order
		}
		return
	}
	if s.seen == nil {
		s.seen = make(map[string][2]int32)
	}
	first := int32(len(s.rules))
	defer func() { s.seen[key] = [2]int32{first, int32(len(s.rules))} }()
	var decls []decl
	eachDecl(block, func(name, val string, important bool) {
		if readProp(name) {
			decls = append(decls, decl{name, val, important})
		}
	})
	if len(decls) == 0 {
		// Fonts' families, padding and the like: the bulk of a
		// newsletter's sheet, and nothing to read here.
		return
	}
	sels := strings.Split(prelude, ",")
	if slices.ContainsFunc(sels, badSelector) {
		// One selector of the list that no browser reads drops the
		// whole rule there: ".x, .1col{display:none}" hides nothing.
		return
	}
	for _, sel := range sels {
		if len(s.rules) >= maxRules {
			s.truncated = true
			return
		}
		n := int32(len(s.rules))
		if slot, in, spec, ok := parseSlotted(sel); ok {
			s.rules = append(s.rules, sheetRule{sel: slot, slotted: &in, spec: spec, order: s.order, layer: s.layer, decls: decls})
			s.slottedRules = append(s.slottedRules, n)
			continue
		}
		parts, spec, ok := parseSelector(sel)
		if !ok {
			continue
		}
		s.rules = append(s.rules, sheetRule{sel: parts, spec: spec, order: s.order, layer: s.layer, decls: decls})
		subject := &parts[0]
		switch {
		case subject.host:
			if len(parts) == 1 {
				s.hostRules = append(s.hostRules, n)
			}
		case subject.id != "":
			s.byID = addIndex(s.byID, strings.ToLower(subject.id), n)
		case len(subject.classes) > 0:
			s.byClass = addIndex(s.byClass, strings.ToLower(subject.classes[0]), n)
		case subject.tag != "":
			s.byTag = addIndex(s.byTag, subject.tag, n)
		default:
			s.any = append(s.any, n)
		}
	}
}

func addIndex(m map[string][]int32, k string, n int32) map[string][]int32 {
	if m == nil {
		m = make(map[string][]int32)
	}
	m[k] = append(m[k], n)
	return m
}

// parseSelector reads one selector of a selector list, right to left, and
// its specificity. ok is false for a selector outside what is read (see
// the top of this file), or one a browser rejects (.1col).
func parseSelector(sel string) (parts []compound, spec uint32, ok bool) {
	sel = strings.TrimSpace(sel)
	var ids, classes, types uint32
	var cur *compound
	var comb byte // the combinator before the next compound
	for i := 0; i < len(sel); {
		c := sel[i]
		switch {
		case c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f':
			if cur != nil && comb == 0 {
				comb = ' '
			}
			cur = nil
			i++
			continue
		case c == '>':
			if len(parts) == 0 || comb == '>' {
				return nil, 0, false
			}
			comb, cur = '>', nil
			i++
			continue
		}
		if cur == nil {
			if len(parts) > 0 && comb == 0 || len(parts) == maxSelectorParts {
				return nil, 0, false
			}
			parts = append(parts, compound{left: comb})
			cur, comb = &parts[len(parts)-1], 0
		} else if c == '*' || isIdentByte(c) {
			return nil, 0, false // a type after a class: div.a span without the space
		}
		switch {
		case c == '*':
			i++
		case c == ':' && len(parts) == 1 && !cur.host && cur.tag == "" && cur.id == "" && len(cur.classes) == 0 && hasPrefixFold(sel[i:], ":host"):
			// :host, or :host(compound): the shadow host, as its
			// shadow tree's sheet sees it (shadow.go), leftmost only.
			i += len(":host")
			classes++ // a pseudo-class
			cur.host = true
			if i < len(sel) && sel[i] == '(' {
				end := strings.IndexByte(sel[i:], ')')
				if end < 0 {
					return nil, 0, false
				}
				in, inSpec, ok := parseSelector(sel[i+1 : i+end])
				if !ok || len(in) != 1 {
					return nil, 0, false
				}
				cur.tag, cur.id, cur.classes = in[0].tag, in[0].id, in[0].classes
				spec += inSpec
				i += end + 1
			}
			if i < len(sel) && !strings.ContainsRune(" \t\r\n\f>", rune(sel[i])) {
				return nil, 0, false // :host.a, :host:hover
			}
		case c == '.' || c == '#':
			name, n := cssIdent(sel[i+1:])
			if n == 0 {
				return nil, 0, false
			}
			i += 1 + n
			if c == '.' {
				cur.classes = append(cur.classes, name)
				classes++
			} else {
				if cur.id != "" {
					return nil, 0, false // #a#b matches nothing
				}
				cur.id = name
				ids++
			}
		default:
			name, n := cssIdent(sel[i:])
			if n == 0 {
				return nil, 0, false // :, [, +, ~, \ and the rest
			}
			i += n
			cur.tag = strings.ToLower(name)
			types++
		}
	}
	if len(parts) == 0 || comb == '>' {
		return nil, 0, false
	}
	// Each compound already holds the combinator to its left; matching
	// goes right to left.
	slices.Reverse(parts)
	return parts, spec + min(ids, 1023)<<20 | min(classes, 1023)<<10 | min(types, 1023), true
}

// hasPrefixFold reports whether s starts with the lower-case prefix, in
// any ASCII case, not followed by more of an identifier.
func hasPrefixFold(s, prefix string) bool {
	return len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix) &&
		(len(s) == len(prefix) || !isIdentByte(s[len(prefix)]) && s[len(prefix)] != '-')
}

// parseSlotted reads a selector of the form P::slotted(X), which
// selects a light child X drawn in a slot P selects (shadow.go); ok is
// false for any other.
func parseSlotted(sel string) (slot []compound, in compound, spec uint32, ok bool) {
	sel = strings.TrimSpace(sel)
	// Not an offset in strings.ToLower(sel), which changes the length
	// of invalid UTF-8 and of letters such as İ.
	i := -1
	for j := 0; j+len("::slotted(") <= len(sel); j++ {
		if strings.EqualFold(sel[j:j+len("::slotted(")], "::slotted(") {
			i = j
			break
		}
	}
	if i < 0 || !strings.HasSuffix(sel, ")") {
		return nil, compound{}, 0, false
	}
	inner, inSpec, ok := parseSelector(sel[i+len("::slotted(") : len(sel)-1])
	if !ok || len(inner) != 1 || inner[0].host {
		return nil, compound{}, 0, false
	}
	prefix := sel[:i]
	if prefix == "" || strings.ContainsRune(" \t\r\n\f>", rune(prefix[len(prefix)-1])) {
		prefix += "*"
	}
	slot, spec, ok = parseSelector(prefix)
	if !ok || slot[0].host {
		return nil, compound{}, 0, false
	}
	return slot, inner[0], spec + inSpec + 1, true // ::slotted is a pseudo-element
}

// badSelector reports a selector every browser rejects, as opposed to
// one parseSelector does not read: an empty one (".a, {", ".a,,.b"), a
// class or id that is not a name (".1col", "#-1", "p.", ". a"), or a
// pseudo-class or pseudo-element a browser does not know
// ("p:no-such-class", and a vendor's: "::-moz-selection" drops its whole
// list in a WebKit or Blink engine, and "::-webkit-…" in Gecko, so
// either is taken as unknown, which hides nothing).
func badSelector(sel string) bool {
	sel = strings.TrimSpace(sel)
	if sel == "" {
		return true
	}
	for i := 0; i < len(sel); i++ {
		switch sel[i] {
		case '"', '\'':
			i = stringEnd(sel, i)
		case '\\':
			i++
		case ':':
			j := i + 1
			if j < len(sel) && sel[j] == ':' {
				j++
			}
			name, n := cssIdent(sel[j:])
			if n == 0 || !knownPseudo(strings.ToLower(name)) {
				return true
			}
			i = j + n - 1
		case '.', '#':
			rest := sel[i+1:]
			if strings.HasPrefix(rest, "-") && !strings.HasPrefix(rest, "--") {
				rest = rest[1:]
			}
			if rest == "" || !(isIdentByte(rest[0]) || rest[0] == '\\' || rest[0] == '-') || rest[0] >= '0' && rest[0] <= '9' {
				return true
			}
		}
	}
	return false
}

// knownPseudo reports the pseudo-classes and pseudo-elements browsers
// take in a style sheet, by name (functional ones without their
// arguments).
func knownPseudo(name string) bool {
	switch name {
	case "hover", "active", "focus", "focus-within", "focus-visible", "visited", "link", "any-link", "target",
		"checked", "disabled", "enabled", "first-child", "last-child", "only-child", "first-of-type",
		"last-of-type", "only-of-type", "nth-child", "nth-last-child", "nth-of-type", "nth-last-of-type",
		"not", "is", "where", "has", "root", "empty", "lang", "dir", "placeholder-shown", "required",
		"optional", "read-only", "read-write", "default", "indeterminate", "valid", "invalid", "in-range",
		"out-of-range", "scope", "defined", "autofill", "fullscreen", "modal", "user-invalid", "user-valid",
		"before", "after", "first-line", "first-letter", "placeholder", "selection", "marker", "backdrop",
		"file-selector-button", "host", "slotted":
		return true
	}
	return false
}

// cssIdent reads a CSS identifier at the start of s, without escapes, and
// returns it with its length (0 when there is none).
func cssIdent(s string) (string, int) {
	i := 0
	for i < len(s) && (isIdentByte(s[i]) || s[i] == '-') {
		i++
	}
	if i == 0 {
		return "", 0
	}
	// An identifier cannot start with a digit, or a hyphen and a digit.
	first := s[0]
	if first == '-' && i > 1 {
		first = s[1]
	}
	if first >= '0' && first <= '9' || i < len(s) && s[i] == '\\' {
		return "", 0
	}
	return s[:i], i
}

func isIdentByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c >= 0x80
}

// mediaMatches reports whether a media query list holds in a desktop
// mail client: a screen desktopWidth pixels wide. A query it cannot read
// does not hold, as in a browser.
func mediaMatches(list string) bool {
	list = strings.TrimSpace(list)
	if list == "" {
		return true
	}
	for q := range strings.SplitSeq(strings.ToLower(list), ",") {
		if queryMatches(q) {
			return true
		}
	}
	return false
}

func queryMatches(q string) bool {
	w := mediaWords(q)
	not := false
	switch {
	case len(w) > 0 && w[0] == "only":
		w = w[1:]
	case len(w) > 0 && w[0] == "not":
		not, w = true, w[1:]
	}
	if len(w) == 0 {
		return false
	}
	match := true
	if w[0] != "(" {
		// A media type: a screen is all and screen, and nothing else.
		switch w[0] {
		case "and", "or", "not", "only", ")", ":":
			return false
		}
		match = w[0] == "all" || w[0] == "screen"
		w = w[1:]
		if len(w) > 0 {
			if w[0] != "and" || len(w) == 1 {
				return false
			}
			w = w[1:]
		}
	}
	for len(w) > 0 {
		end := slices.Index(w, ")")
		if w[0] != "(" || end < 0 {
			return false
		}
		holds, known := mediaFeature(w[1:end])
		if !known {
			return false // not read: "not all", whatever the not
		}
		match = match && holds
		w = w[end+1:]
		if len(w) > 0 {
			if w[0] != "and" || len(w) == 1 {
				return false
			}
			w = w[1:]
		}
	}
	return match != not
}

// mediaFeature evaluates a media feature, the words between its
// parentheses, on the desktop screen: known is false for one it cannot
// read. Widths are compared with desktopWidth, in the name: value form
// ("min-width: 600px") and the range form ("width >= 600px",
// "400px < width <= 700px"); the other features are those a desktop
// answers plainly.
func mediaFeature(w []string) (holds, known bool) {
	if len(w) == 3 && w[1] == ":" {
		switch w[0] {
		case "min-width", "min-device-width", "max-width", "max-device-width", "width", "device-width":
			px, ok := mediaLength(w[2])
			if !ok {
				return false, false
			}
			switch w[0] {
			case "min-width", "min-device-width":
				return desktopWidth >= px, true
			case "max-width", "max-device-width":
				return desktopWidth <= px, true
			}
			return desktopWidth == px, true
		case "orientation":
			return w[2] == "landscape", w[2] == "landscape" || w[2] == "portrait"
		case "prefers-color-scheme":
			return w[2] == "light", w[2] == "light" || w[2] == "dark"
		case "hover", "any-hover":
			return w[2] == "hover", w[2] == "hover" || w[2] == "none"
		case "pointer", "any-pointer":
			return w[2] == "fine", w[2] == "fine" || w[2] == "coarse" || w[2] == "none"
		}
		return false, false
	}
	// Range form: value op width, width op value, or value op width op value.
	holds = true
	for i := 1; i < len(w); i += 2 {
		l, op, r := w[i-1], w[i], ""
		if i+1 < len(w) {
			r = w[i+1]
		}
		var lv, rv float64
		switch {
		case (l == "width" || l == "device-width") && r != "":
			v, ok := mediaLength(r)
			if !ok {
				return false, false
			}
			lv, rv = desktopWidth, v
		case (r == "width" || r == "device-width") && l != "":
			v, ok := mediaLength(l)
			if !ok {
				return false, false
			}
			lv, rv = v, desktopWidth
		default:
			return false, false
		}
		var h bool
		switch op {
		case "<":
			h = lv < rv
		case "<=":
			h = lv <= rv
		case ">":
			h = lv > rv
		case ">=":
			h = lv >= rv
		case "=":
			h = lv == rv
		default:
			return false, false
		}
		holds = holds && h
	}
	return holds, len(w) == 3 || len(w) == 5
}

// mediaWords splits a media query at white space, and around each
// parenthesis, colon and comparison (<, <=, >, >=, =).
func mediaWords(q string) []string {
	var w []string
	start := -1
	for i := 0; i <= len(q); i++ {
		c := byte(' ')
		if i < len(q) {
			c = q[i]
		}
		switch c {
		case ' ', '\t', '\n', '\r', '\f', '(', ')', ':', '<', '>', '=':
			if start >= 0 {
				w = append(w, q[start:i])
				start = -1
			}
			switch c {
			case '(', ')', ':':
				w = append(w, q[i:i+1])
			case '<', '>', '=':
				// An operator: <, <=, >, >= or =.
				if n := len(w); n > 0 && w[n-1] != "=" && (w[n-1] == "<" || w[n-1] == ">") && c == '=' && q[i-1] == w[n-1][0] {
					w[n-1] += "="
				} else {
					w = append(w, q[i:i+1])
				}
			}
		default:
			if start < 0 {
				start = i
			}
		}
	}
	return w
}

// mediaLength reads a width in a media query, in CSS pixels.
func mediaLength(v string) (float64, bool) {
	f, unit, ok := splitNumber(v)
	if !ok {
		return 0, false
	}
	switch unit {
	case "px":
		return f, true
	case "em", "rem":
		return f * defaultFontPx, true
	}
	return 0, false
}

// match returns the rules that select an element, in the order of the
// cascade: specificity, then order. The slice is valid until the next
// call.
func (s *sheet) match(el elemKey, anc ancestry) []*sheetRule {
	if s.spent || len(s.rules) == 0 {
		return nil
	}
	s.found = s.found[:0]
	// Each rule gathered is paid for: a class given many times over
	// (class="a a a ...") would gather the rules of "a" once per word,
	// and sort them all, at no cost to the budget.
	gather := func(rules []int32) bool {
		s.found = append(s.found, rules...)
		return s.charge(len(rules))
	}
	if el.id != "" && !gather(s.byID[strings.ToLower(el.id)]) {
		return nil
	}
	if s.byClass != nil {
		for c := range strings.FieldsSeq(el.class) {
			if !gather(s.byClass[strings.ToLower(c)]) {
				return nil
			}
		}
	}
	if !gather(s.byTag[el.tag]) || !gather(s.any) {
		return nil
	}
	if len(s.found) == 0 {
		return nil
	}
	slices.Sort(s.found)
	s.found = slices.Compact(s.found)
	return s.sorted(s.found, func(r *sheetRule) bool { return s.matches(r, &el, anc) })
}

// matchHost returns the :host rules of a shadow tree's sheet that
// select its host el, in cascade order.
func (s *sheet) matchHost(el elemKey) []*sheetRule {
	if s.spent || len(s.hostRules) == 0 {
		return nil
	}
	s.found = append(s.found[:0], s.hostRules...)
	return s.sorted(s.found, func(r *sheetRule) bool { return s.step(&r.sel[0], &el) && r.sel[0].matches(&el, s.exact, true) })
}

// matchSlotted returns the ::slotted() rules of a shadow tree's sheet
// that select el, a light child drawn in the slot slot, whose
// ancestors in the shadow tree are anc, in cascade order.
func (s *sheet) matchSlotted(el, slot elemKey, anc ancestry) []*sheetRule {
	if s.spent || len(s.slottedRules) == 0 {
		return nil
	}
	s.found = append(s.found[:0], s.slottedRules...)
	return s.sorted(s.found, func(r *sheetRule) bool {
		return s.step(r.slotted, &el) && r.slotted.matches(&el, s.exact, false) && s.matches(r, &slot, anc)
	})
}

// sorted returns the rules of found that match accepts, in cascade
// order (s.matched, reused by the next call).
func (s *sheet) sorted(found []int32, match func(*sheetRule) bool) []*sheetRule {
	m := found[:0]
	for _, n := range found {
		if match(&s.rules[n]) {
			m = append(m, n)
		}
		if s.spent {
			return nil
		}
	}
	slices.SortFunc(m, func(a, b int32) int {
		ra, rb := &s.rules[a], &s.rules[b]
		if ra.layer != rb.layer {
			return cmp.Compare(layerKey(ra.layer), layerKey(rb.layer))
		}
		if ra.spec != rb.spec {
			return cmp.Compare(ra.spec, rb.spec)
		}
		return cmp.Compare(ra.order, rb.order)
	})
	s.matched = s.matched[:0]
	for _, n := range m {
		s.matched = append(s.matched, &s.rules[n])
	}
	return s.matched
}

// matches reports whether rule r selects el.
func (s *sheet) matches(r *sheetRule, el *elemKey, anc ancestry) bool {
	if !s.step(&r.sel[0], el) || !r.sel[0].matches(el, s.exact, false) {
		return false
	}
	return s.matchLeft(r.sel, 0, anc.len(), anc)
}

// matchLeft reports whether the compounds left of sel[k], which matched
// the element with pos ancestors, match its ancestors as their
// combinators say. A descendant combinator tries each ancestor in turn,
// nearest first, and backtracks.
func (s *sheet) matchLeft(sel []compound, k, pos int, anc ancestry) bool {
	if k+1 == len(sel) {
		return true
	}
	next := &sel[k+1]
	for p := pos - 1; p >= 0; p-- {
		if !s.step(next, anc.at(p)) {
			return false
		}
		if next.matches(anc.at(p), s.exact, anc.host && p == 0) && s.matchLeft(sel, k+1, p, anc) {
			return true
		}
		if sel[k].left == '>' {
			return false
		}
	}
	return false
}

// step pays for trying compound c against e: one, and one more for each
// classBytesPerStep bytes of e's class list when c looks for a class in
// it, so that an element with a class attribute of megabytes does not
// cost as little to test as one with a single class.
func (s *sheet) step(c *compound, e *elemKey) bool {
	n := 1
	if len(c.classes) > 0 {
		n += len(c.classes) * (len(e.class) / classBytesPerStep)
	}
	return s.charge(n)
}

// charge spends n of the budget, and reports whether any was left.
func (s *sheet) charge(n int) bool {
	s.steps += n
	if s.steps > matchBudget {
		s.spent = true
		return false
	}
	return true
}

// matches reports whether the compound selects e, which is a shadow
// host as its tree's sheet sees it (:host) when host. Unless exact, names
// are compared without regard to ASCII case: most mail is HTML without a
// doctype, which browsers read in quirks mode, where classes and ids
// match so. With a doctype they match as written (see sheet.exact).
func (c *compound) matches(e *elemKey, exact, host bool) bool {
	if c.host != host {
		return false
	}
	if c.tag != "" && c.tag != e.tag {
		return false
	}
	if c.id != "" && !sameName(c.id, e.id, exact) {
		return false
	}
	for _, want := range c.classes {
		if !hasClass(e.class, want, exact) {
			return false
		}
	}
	return true
}

func hasClass(list, want string, exact bool) bool {
	for c := range strings.FieldsSeq(list) {
		if sameName(c, want, exact) {
			return true
		}
	}
	return false
}

func sameName(a, b string, exact bool) bool {
	if exact {
		return a == b
	}
	return strings.EqualFold(a, b)
}

// standardsDoctype reports whether a document that starts with the
// doctype (its text, as the tokenizer gives it) is read in no-quirks or
// limited-quirks mode, where classes and ids are case-sensitive. The
// doctypes that put a browser in quirks mode are the HTML 2 to 4.0 and
// transitional ones of HTML 4.01 without a system identifier (Outlook's
// "-//W3C//DTD HTML 4.0 Transitional//EN"); one not listed here is read
// as standards, which can only leave shown a class a browser would hide
// by its other case.
func standardsDoctype(d string) bool {
	d = strings.ToLower(d)
	name, rest, _ := strings.Cut(strings.TrimSpace(d), " ")
	if name != "html" {
		return false
	}
	rest = strings.TrimSpace(rest)
	pub, ok := strings.CutPrefix(rest, "public")
	if !ok {
		return true
	}
	pub = strings.TrimSpace(pub)
	if pub == "" {
		return false
	}
	id, sys, _ := strings.Cut(pub[1:], pub[:1])
	hasSystem := strings.ContainsAny(sys, `"'`)
	for _, p := range []string{"-//w3c//dtd html 4.0 ", "-//w3c//dtd html 3", "-//w3c//dtd html 2", "-//ietf//dtd html",
		"-//w3c//dtd w3 html", "-//w3o//dtd w3 html", "-//microsoft//dtd internet explorer", "-//netscape comm. corp.//dtd"} {
		if strings.HasPrefix(id, p) {
			return false
		}
	}
	if !hasSystem && (strings.HasPrefix(id, "-//w3c//dtd html 4.01 transitional//") || strings.HasPrefix(id, "-//w3c//dtd html 4.01 frameset//")) {
		return false
	}
	return id != "html" && id != "-/w3c/dtd html 4.0 transitional/en"
}

// String is the selector as read, for tests and debugging.
func (r *sheetRule) String() string {
	var b strings.Builder
	for k := len(r.sel) - 1; k >= 0; k-- {
		r.sel[k].write(&b)
		if k > 0 {
			if r.sel[k-1].left == '>' {
				b.WriteString(" > ")
			} else {
				b.WriteByte(' ')
			}
		}
	}
	if r.slotted != nil {
		b.WriteString("::slotted(")
		r.slotted.write(&b)
		b.WriteString(")")
	}
	b.WriteString(" /" + strconv.Itoa(int(r.spec>>20)) + "," + strconv.Itoa(int(r.spec>>10&1023)) + "," + strconv.Itoa(int(r.spec&1023)))
	return b.String()
}

// write writes the compound as a selector reads it.
func (c *compound) write(b *strings.Builder) {
	if c.host {
		b.WriteString(":host")
		if c.tag == "" && c.id == "" && len(c.classes) == 0 {
			return
		}
		b.WriteString("(")
		defer b.WriteString(")")
	}
	if c.tag == "" && c.id == "" && len(c.classes) == 0 {
		b.WriteByte('*')
	}
	b.WriteString(c.tag)
	if c.id != "" {
		b.WriteString("#" + c.id)
	}
	for _, cl := range c.classes {
		b.WriteString("." + cl)
	}
}

// maxLayers bounds the cascade layers a sheet ranks; past it a layer
// takes the last rank.
const maxLayers = 256

// layerRank returns the rank of the cascade layer named name, given in
// the order layers are first named; an anonymous one ("") is a new
// layer each time.
func (s *sheet) layerRank(name string) int32 {
	s.layered = true
	if s.layers == nil {
		s.layers = map[string]int32{}
	}
	if r, ok := s.layers[name]; ok && name != "" {
		return r
	}
	r := int32(min(len(s.layers)+1, maxLayers))
	if len(s.layers) < maxLayers {
		if name == "" {
			name = "\x00" + strconv.Itoa(int(r)) // anonymous: never named again
		}
		s.layers[name] = r
	}
	return r
}

// layerKey orders layers for the cascade of normal declarations: a
// later layer wins over an earlier one, and no layer over any.
func layerKey(rank int32) int32 {
	if rank == 0 {
		return maxLayers + 1
	}
	return rank
}

// supportsMatches reports whether an @supports condition holds in a
// browser: a declaration it knows, with not, and, or; a selector() or
// anything else it cannot read does not hold. Properties are taken as
// known but a vendor's (-webkit-, -moz-…), which Chromium mostly drops,
// and display's value must be one it knows.
func supportsMatches(cond string) bool {
	cond = strings.TrimSpace(cond)
	if rest, ok := cutWordFold(cond, "not"); ok {
		return !supportsMatches(rest)
	}
	// and / or at the top level, outside parentheses; "a and b or c"
	// mixes them without parentheses: no condition a browser reads.
	and, or := topLevelWord(cond, "and"), topLevelWord(cond, "or")
	switch {
	case and >= 0 && or >= 0:
		return false
	case and >= 0:
		rest, _ := cutWordFold(cond[and:], "and")
		return supportsMatches(cond[:and]) && supportsMatches(rest)
	case or >= 0:
		rest, _ := cutWordFold(cond[or:], "or")
		return supportsMatches(cond[:or]) || supportsMatches(rest)
	}
	if hasPrefixFold(cond, "selector") && strings.HasSuffix(cond, ")") {
		if i := strings.IndexByte(cond, '('); i >= 0 {
			return !badSelector(cond[i+1 : len(cond)-1])
		}
	}
	if len(cond) < 2 || cond[0] != '(' || cond[len(cond)-1] != ')' {
		return false // font-tech() and the rest
	}
	in := strings.TrimSpace(cond[1 : len(cond)-1])
	name, val, ok := strings.Cut(in, ":")
	if _, not := cutWordFold(in, "not"); !ok || not || strings.HasPrefix(in, "(") {
		return supportsMatches(in) // a condition in parentheses
	}
	name, val = strings.ToLower(strings.TrimSpace(name)), strings.TrimSpace(val)
	switch {
	case val == "" || name == "" || strings.HasPrefix(name, "-"):
		return false
	case name == "display":
		return displayValue(strings.ToLower(val))
	}
	return true
}

// cutWordFold cuts the keyword w (any ASCII case) from the start of s,
// past white space, when a space or parenthesis follows it.
func cutWordFold(s, w string) (string, bool) {
	s = strings.TrimLeft(s, " \t\n")
	if len(s) > len(w) && strings.EqualFold(s[:len(w)], w) && (s[len(w)] == ' ' || s[len(w)] == '(' || s[len(w)] == '\t' || s[len(w)] == '\n') {
		return s[len(w):], true
	}
	return "", false
}

// addLayered adds the declarations of rules (in cascade order for
// normal declarations) where some are in cascade layers, whose order
// !important reverses: an earlier layer's wins over a later one's, and
// any layer's over none.
func addLayered(d *decls, rules []*sheetRule) {
	for _, r := range rules {
		for _, dc := range r.decls {
			if !dc.important {
				d.add(dc.name, dc.val, false)
			}
		}
	}
	imp := slices.Clone(rules)
	key := func(r *sheetRule) int32 {
		if r.layer == 0 {
			return 0
		}
		return maxLayers + 1 - r.layer
	}
	slices.SortStableFunc(imp, func(a, b *sheetRule) int { return cmp.Compare(key(a), key(b)) })
	for _, r := range imp {
		for _, dc := range r.decls {
			if dc.important {
				d.add(dc.name, dc.val, true)
			}
		}
	}
}

// topLevelWord is where the keyword w first stands in cond outside
// parentheses (the white space before it), or -1.
func topLevelWord(cond, w string) int {
	depth := 0
	for i := 0; i < len(cond); i++ {
		switch cond[i] {
		case '(':
			depth++
		case ')':
			depth--
		case ' ', '\t', '\n':
			if _, ok := cutWordFold(cond[i:], w); ok && depth == 0 {
				return i
			}
		}
	}
	return -1
}
